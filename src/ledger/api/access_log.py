"""The access log: one JSON line per request, and the fields a handler adds to its line.

Around the whole app, not per route (`create_app` wraps its ASGI handler), so unknown paths and
405s get a request id and a line too.
"""

from __future__ import annotations

import time
from typing import Any
from uuid import uuid4

import structlog
from litestar import Request
from litestar.types import ASGIApp, Message, Receive, Scope, Send

access_log = structlog.get_logger("ledger.http")


def note(request: Request[Any, Any, Any], **fields: Any) -> None:
    """Fields for the request's access-log line (case, event type, position, ...)."""
    request.scope["state"].setdefault("log", {}).update(fields)


def request_log(app: ASGIApp) -> ASGIApp:
    """One JSON line per request: request id, actor, case, event type, position, status, latency."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # type: ignore[comparison-overlap]
            await app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            fields = scope.get("state", {}).get("log", {})
            access_log.info(
                "http.request",
                method=scope.get("method"),
                path=scope["path"],
                status=status,
                latency_ms=round((time.perf_counter() - started) * 1000, 2),
                **fields,
            )
            structlog.contextvars.clear_contextvars()

    return middleware
