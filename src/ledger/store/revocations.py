"""Revoked tokens (`ledger_revoked_tokens`, migration 0012): written only by the owner role through
`ledger token revoke`; every request's token is checked against them, through `RevocationCache`
in a serving process (migration 0023 NOTIFYs each revocation)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

import msgspec
import psycopg
import structlog
from psycopg.rows import class_row, tuple_row

log = structlog.get_logger("ledger.revocations")

REVOKED_CHANNEL = "ledger_revoked"
KNOWN_GOOD_MAX = 100_000
"""Token ids a process remembers as not revoked; past it the memory starts again (a token costs
one lookup after that)."""

_IS_REVOKED = "SELECT EXISTS (SELECT 1 FROM ledger_revoked_tokens WHERE token_id = %s)"


class Revocation(msgspec.Struct, frozen=True, kw_only=True):
    token_id: str
    subject: str
    expires_at: datetime | None
    revoked_at: datetime
    revoked_by: str
    reason: str


def is_revoked(conn: psycopg.Connection[Any], token_id: str) -> bool:
    with conn.cursor(row_factory=tuple_row) as cur:
        row = cur.execute(_IS_REVOKED, (token_id,), prepare=True).fetchone()
    return bool(row and row[0])


def revoke(
    owner_conninfo: str,
    token_id: str,
    *,
    subject: str,
    expires_at: datetime | None,
    revoked_by: str,
    reason: str,
) -> Revocation:
    """Record the revocation; revoking twice keeps the first record (who and why, first)."""
    with psycopg.connect(owner_conninfo, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO ledger_revoked_tokens (token_id, subject, expires_at, revoked_by, reason)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (token_id) DO NOTHING",
            (token_id, subject, expires_at, revoked_by, reason),
        )
        with conn.cursor(row_factory=class_row(Revocation)) as cur:
            cur.execute("SELECT * FROM ledger_revoked_tokens WHERE token_id = %s", (token_id,))
            row = cur.fetchone()
    assert row is not None
    return row


def revocations(conninfo: str) -> list[Revocation]:
    with (
        psycopg.connect(conninfo) as conn,
        conn.cursor(row_factory=class_row(Revocation)) as cur,
    ):
        cur.execute("SELECT * FROM ledger_revoked_tokens ORDER BY revoked_at, token_id")
        return cur.fetchall()


class RevocationCache:
    """The token ids this process has looked up and found not revoked, kept only while it
    LISTENs on `ledger_revoked`: a revocation's NOTIFY (sent at its commit) drops the id, so a
    revoked token is refused from the moment the process hears of it, milliseconds after
    `ledger token revoke` returns. The lookup cost about 175 µs of the request path's CPU (a pool
    checkout and a query, measured in process); a known token now costs none.

    Without a live LISTEN (not started yet, the connection lost, the database restarting) nothing
    is remembered and every request looks its token up, as before. A lookup that raced a
    revocation (it read the table before the revocation committed, the NOTIFY came before it
    returned) is not remembered: every NOTIFY moves the generation, and only a lookup that began
    and ended in the same generation is kept.
    """

    def __init__(self, conninfo: str, *, retry_delay: float = 1.0) -> None:
        self.conninfo = conninfo
        self.retry_delay = retry_delay
        self._lock = threading.Lock()
        self._good: set[str] = set()
        self._generation = 0
        self._listening = False
        self._ready = threading.Event()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 10.0) -> RevocationCache:
        self._thread = threading.Thread(target=self._listen, name="revocations", daemon=True)
        self._thread.start()
        self._ready.wait(timeout)
        return self

    def close(self) -> None:
        self._closed.set()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None

    def vouches(self, token_id: str) -> bool:
        """Whether this process knows, without asking the table, that `token_id` is not revoked."""
        with self._lock:
            return self._listening and token_id in self._good

    def is_revoked(self, token_id: str, look_up: Callable[[str], bool]) -> bool:
        """Whether `token_id` is revoked; `look_up` asks the table when this process cannot
        vouch for the answer."""
        with self._lock:
            if self._listening and token_id in self._good:
                return False
            generation = self._generation
        revoked = look_up(token_id)
        if not revoked:
            with self._lock:
                if self._listening and generation == self._generation:
                    if len(self._good) >= KNOWN_GOOD_MAX:
                        self._good.clear()
                    self._good.add(token_id)
        return revoked

    def _forget(self, listening: bool) -> None:
        with self._lock:
            self._good.clear()
            self._generation += 1
            self._listening = listening

    def _listen(self) -> None:
        while not self._closed.is_set():
            try:
                with psycopg.connect(
                    self.conninfo, autocommit=True, application_name="ledger revocations"
                ) as conn:
                    conn.execute(f"LISTEN {REVOKED_CHANNEL}")
                    self._forget(listening=True)  # what was missed while not listening
                    self._ready.set()
                    while not self._closed.is_set():
                        for notify in conn.notifies(timeout=0.25):
                            with self._lock:
                                self._generation += 1
                                self._good.discard(notify.payload)
            except psycopg.Error as e:
                log.warning("revocations.listener_disconnected", error=str(e))
            finally:
                self._forget(listening=False)
            self._closed.wait(self.retry_delay)
