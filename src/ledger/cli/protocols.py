"""The HTTP protocol `ledger serve` runs: uvicorn's httptools protocol with the limits it lacks.

httptools parses in C (llhttp); uvicorn's h11 protocol parses in Python and cost about a tenth of
the server's CPU per append (measured with py-spy, docs/PROFILE.md). uvicorn 0.54 leaves three
limits to us, on either protocol:

- a deadline per request: from a connection's opening (or the first byte of its next request),
  the whole request, head and body, must arrive within `request_timeout` seconds, or the
  connection is closed. uvicorn only times out *idle keep-alive* connections: one that opens and
  sends nothing, or a head a byte a second (slowloris), it holds for ever;
- a bound on the head: past `max_header_bytes` read before the head ends, 431 and the
  connection is closed (llhttp sets no bound of its own; a head that arrives whole in one read
  is bounded by the read, 256 KiB);
- a connection cap answered as the API answers: past `max_connections` open connections, a
  request gets 503 problem+json with Retry-After, and its connection is closed (uvicorn's
  `limit_concurrency` answers text/plain, without Retry-After).
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ledger.api.errors import PROBLEM_BASE, PROBLEM_JSON
from ledger.api.schemas.problems import Problem

HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\ncontent-length: 28\r\nconnection: close\r\n\r\n"
    b"Request head is too large.\r\n"
)


def over_capacity(max_connections: int) -> Any:
    """The ASGI app a connection past the cap gets: 503 problem+json, Retry-After, close."""
    problem = Problem(
        type=PROBLEM_BASE + "too-many-connections",
        title="Too many connections",
        status=503,
        detail=f"the server holds its most open connections ({max_connections}); retry shortly",
    )
    body = msgspec.json.encode(problem)
    start = {
        "type": "http.response.start",
        "status": 503,
        "headers": [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", b"1"),
            (b"connection", b"close"),
        ],
    }

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send(start)
        await send({"type": "http.response.body", "body": body})

    return app


def guarded_httptools(
    max_connections: int, request_timeout: float, max_header_bytes: int
) -> type[asyncio.Protocol]:
    """uvicorn's httptools protocol with a request deadline, a head bound and a connection cap."""
    refuse = over_capacity(max_connections)

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        _deadline: asyncio.TimerHandle | None = None
        _head: int | None = None
        """Bytes read while the current request's head was unfinished; None outside a head."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                self.app = refuse
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            # Counted after parsing: while the head is still unfinished, every byte read
            # belongs to it, so a body that came in the same read is never counted.
            if self._head is not None and not self.transport.is_closing():
                self._head += len(data)
                if self._head > max_header_bytes:
                    self._disarm()
                    self.transport.write(HEAD_TOO_LARGE)
                    self.transport.close()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._head = 0
            self._arm()

        def on_headers_complete(self) -> None:
            self._head = None
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._disarm()
            super().on_message_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._deadline is None:
                self._deadline = self.loop.call_later(request_timeout, self._expire)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expire(self) -> None:
            self._deadline = None
            if not self.transport.is_closing():
                self.transport.close()

    return GuardedHttpToolsProtocol
