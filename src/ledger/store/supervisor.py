"""Watches the database from inside the serving process: says whether it answers, and since when,
and restarts the embedded server when its postmaster dies.

One thread probes every `every` seconds: for an embedded server, is its postmaster alive (a kill
-9 is seen at the next probe, without waiting for a query to fail), then `SELECT 1` on its own
connection. A failed probe marks the database down (`database.unreachable`); an embedded server
whose postmaster is gone is started again in the same data directory (`database.restarted`,
`ledger.store.embedded` clears the dead one's stale pid file and leftover backends). A configured
server (LEDGER_DATABASE_URL) is not ours to start: the supervisor only notices when it answers
again. Either way, on recovery (`database.recovered`) the `on_recovered` callbacks run, so the
request pool drops its dead connections at once instead of failing one request for each.

Requests fail fast: while the supervisor knows the database is down, the request pool it
`guard`s refuses at once (`DatabaseUnavailable`, a 503 with Retry-After in `api/errors.py`);
before it knows, the pool's acquire and connect timeouts bound the wait.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import msgspec
import psycopg
import structlog

from ledger.config.logs import error_text
from ledger.domain.errors import LedgerError
from ledger.store import embedded
from ledger.store.database import Database

log = structlog.get_logger("ledger.store")

State = Literal["up", "down", "restarting", "stopped"]

MAX_RESTART_DELAY = 10.0
"""Longest pause between two failed attempts to start the embedded server."""
NOT_RUNNING = "the embedded PostgreSQL is not running (its postmaster is gone)"
IN_THE_LOG = "the driver's words are in the server's log (database.unreachable)"
"""What a client is told in place of the driver's error, which names hosts, ports, socket paths
and roles: every client of the API, and anyone who can reach `/health`, reads `describe()`."""


class DatabaseStatus(msgspec.Struct, frozen=True, kw_only=True):
    """What `/health` reports about the database."""

    state: State
    since: datetime
    """When the database entered this state (UTC)."""
    last_error: str | None = None
    """Why the last probe failed (kept after recovery, for the record)."""
    restarts: int = 0
    """Times this process restarted the embedded server."""
    embedded: bool = False

    @property
    def up(self) -> bool:
        return self.state == "up"

    def describe(self) -> str:
        since = self.since.isoformat(timespec="seconds").replace("+00:00", "Z")
        ago = (datetime.now(timezone.utc) - self.since).total_seconds()  # noqa: UP017
        what = {
            "up": "the database answers",
            "down": "the database is unreachable",
            "restarting": "the embedded database is restarting",
            "stopped": "the database supervisor has stopped",
        }[self.state]
        why = ""
        if self.last_error and not self.up:
            why = f": {self.last_error if self.last_error == NOT_RUNNING else IN_THE_LOG}"
        return f"{what} since {since} ({ago:.1f} s){why}"

    def unavailable(self) -> DatabaseUnavailable:
        return DatabaseUnavailable(self)


class DatabaseUnavailable(LedgerError):
    """The database does not answer (down, restarting): a 503 with Retry-After."""

    retry_after = 2

    def __init__(self, status: DatabaseStatus) -> None:
        super().__init__(status.describe())
        self.status = status


class DatabaseSupervisor:
    """`DatabaseSupervisor(database).start()`; `.status()` from any thread; `.close()`."""

    def __init__(self, database: Database, *, every: float = 0.5, connect_timeout: int = 2) -> None:
        self.database = database
        self.every = every
        self.connect_timeout = connect_timeout
        self._lock = threading.Lock()
        self._status = DatabaseStatus(
            state="up", since=_now(), embedded=database.pgdata is not None
        )
        self._callbacks: list[Callable[[], Any]] = []
        self._conn: psycopg.Connection[tuple[Any, ...]] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_restart = 0.0
        self._restart_delay = 0.0

    @property
    def pgdata(self) -> Path | None:
        return self.database.pgdata

    def status(self) -> DatabaseStatus:
        with self._lock:
            return self._status

    def on_recovered(self, callback: Callable[[], Any]) -> None:
        """Run `callback` (on the supervisor's thread) each time the database answers again."""
        self._callbacks.append(callback)

    def guard(self, pool: Any) -> None:
        """Make `pool` (a psycopg_pool.ConnectionPool: the request pool) refuse a connection at
        once while the database is down, and drop its dead connections when it is back.

        Without it, a request waits the pool's acquire timeout, and eventsourcing's recorder
        retries most calls ten times, 0.2 s apart (its `@retry` on OperationalError): seconds
        per request at best, 300 with its defaults. `DatabaseUnavailable` is not retried.
        """
        getconn = pool.getconn

        def getconn_unless_down(timeout: float | None = None) -> Any:
            status = self.status()
            if status.state in ("down", "restarting"):
                raise status.unavailable()
            return getconn(timeout)

        pool.getconn = getconn_unless_down  # the instance's: `pool.connection()` calls it
        self.on_recovered(lambda: None if pool.closed else pool.check())

    def start(self) -> DatabaseSupervisor:
        self._thread = threading.Thread(target=self._run, name="database-supervisor", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop watching (before the server is stopped on purpose: it must not be restarted)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(15.0)
            self._thread = None
        self._drop_connection()
        self._set("stopped")

    # --- the thread ----------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.check()
            except Exception:  # the watcher itself must not die
                log.exception("database.supervisor_failed")
            self._stop.wait(self.every)

    def check(self) -> DatabaseStatus:
        """One probe, and a restart if the embedded server is gone; returns the new status."""
        error = self._probe()
        if error is None:
            before = self.status()
            if not before.up:
                self._set("up")
                self._restart_delay = 0.0
                log.warning(
                    "database.recovered",
                    down_for=round((_now() - before.since).total_seconds(), 3),
                    restarts=before.restarts,
                )
                for callback in self._callbacks:
                    try:
                        callback()
                    except Exception:
                        log.exception("database.recovery_callback_failed")
            return self.status()
        if self.status().state == "up":
            self._set("down", error)
            log.error("database.unreachable", error=error, embedded=self.pgdata is not None)
        else:
            self._set(self.status().state, error, keep_since=True)
        if self.pgdata is not None and embedded.postmaster(self.pgdata) is None:
            self._restart(self.pgdata)
        return self.status()

    def _probe(self) -> str | None:
        """None if the database answers, else why not."""
        if self.pgdata is not None and embedded.postmaster(self.pgdata) is None:
            self._drop_connection()
            return NOT_RUNNING
        try:
            if self._conn is None or self._conn.closed:
                self._conn = psycopg.connect(
                    self.database.app_conninfo,
                    autocommit=True,
                    connect_timeout=self.connect_timeout,
                    tcp_user_timeout=3000,  # a server gone from the network: fail, do not hang
                    application_name="ledger database supervisor",
                )
            self._conn.execute("SELECT 1")
        except psycopg.Error as e:
            self._drop_connection()
            return error_text(e, 500) or type(e).__name__
        return None

    def _restart(self, pgdata: Path) -> None:
        if time.monotonic() < self._next_restart:
            return
        down = self.status()
        self._set("restarting", down.last_error, keep_since=True)
        started = time.monotonic()
        try:
            pid = embedded.restart(pgdata)
        except Exception as e:
            self._restart_delay = min(max(1.0, self._restart_delay * 2), MAX_RESTART_DELAY)
            self._next_restart = time.monotonic() + self._restart_delay
            self._set("down", f"restart failed: {e}", keep_since=True)
            log.error("database.restart_failed", pgdata=str(pgdata), error=str(e))
            return
        if pid is None:  # another process sharing the data directory restarted it
            return
        with self._lock:
            self._status = msgspec.structs.replace(self._status, restarts=self._status.restarts + 1)
        log.warning(
            "database.restarted",
            pgdata=str(pgdata),
            pid=pid,
            took=round(time.monotonic() - started, 3),
            down_for=round((_now() - down.since).total_seconds(), 3),
        )

    def _set(self, state: State, error: str | None = None, *, keep_since: bool = False) -> None:
        with self._lock:
            now = self._status.since if keep_since else _now()
            self._status = msgspec.structs.replace(
                self._status, state=state, since=now, last_error=error or self._status.last_error
            )

    def _drop_connection(self) -> None:
        if self._conn is not None:
            with suppress(psycopg.Error):
                self._conn.close()
            self._conn = None


def _now() -> datetime:
    return datetime.now(timezone.utc)  # noqa: UP017
