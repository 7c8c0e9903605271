"""Read-your-writes: wait until a view has projected a given log position, pushed, not polled.

One thread per process LISTENs on `ledger_projected` (the projectors' NOTIFY) and keeps each
projection's live (generation, position); a waiting request parks a future that the thread
resolves the moment the position passes its target. So a thousand waiting requests cost one
connection, and none of them holds a pooled one.

Positions have gaps (a failed transaction consumes sequence values) and a projection that reads
few topics skips most events, so the tracked position is the last notification id the projector
has *passed*: waiting for a position in a gap resolves once the projector is beyond it.

Parked waits are capped (`max_parked`): past the cap a read answers 503 at once (`TooManyWaits`),
so a flood of reads for a position the views have not reached cannot stretch every wait (each
timed-out wait reads the view's lag on a connection of its own).

A live batch commits without waiting for the disk (`batch.ASYNC_COMMIT`), so after a crash of
the server a view may be behind a NOTIFY heard before it: on every (re)connection the database's
positions replace what the process knew, and while it is not listening no wait is answered from
memory.

Only live generations notify (a rebuild's builder does not; its swap does, naming the new
generation), and PostgreSQL delivers notifications in commit order, so a higher generation in a
payload means the swap happened; its position is then at least the old one's.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
import structlog

from ledger.domain.errors import LedgerError
from ledger.projections.batch import PROJECTED_CHANNEL
from ledger.projections.status import projection_status

log = structlog.get_logger("ledger.projections")

_LIVE = (
    "SELECT p.name, p.generation, t.position FROM ledger_projections p "
    "JOIN ledger_projection_tracking t ON t.name = p.name AND t.generation = p.generation"
)


class NotCaughtUp(LedgerError):
    """A view had not projected the position a read asked for within the wait."""

    def __init__(
        self,
        name: str,
        min_position: int,
        position: int,
        lag_events: int | None = None,
        lag_seconds: float | None = None,
    ) -> None:
        lag = "" if lag_events is None else f" ({lag_events} events behind the log"
        if lag and lag_seconds is not None:
            lag += f", oldest recorded {lag_seconds:.1f} s ago"
        super().__init__(
            f"the {name} view has reached position {position}, not yet {min_position}"
            + (lag + ")" if lag else "")
            + "; retry shortly"
        )
        self.name = name
        self.min_position = min_position
        self.position = position
        self.lag_events = lag_events
        self.lag_seconds = lag_seconds


class TooManyWaits(LedgerError):
    """So many reads are already waiting for views to catch up that this one is refused."""

    retry_after = 1

    def __init__(self, parked: int) -> None:
        super().__init__(
            f"{parked} reads are already waiting for views to catch up (the most this process "
            "parks, LEDGER_MAX_PARKED_WAITS); retry shortly"
        )
        self.parked = parked


@dataclass
class _Waiting:
    min_position: int
    wake: Callable[[], None]


class PositionWaiter:
    """Shared by every request of a process: `await waiter.wait("cases", position, timeout)`."""

    def __init__(self, conninfo: str, *, retry_delay: float = 1.0, max_parked: int = 256) -> None:
        self.conninfo = conninfo
        self.retry_delay = retry_delay
        self.max_parked = max_parked
        self._parked = 0
        self._lock = threading.Lock()
        self._live: dict[str, tuple[int, int]] = {}  # name -> (generation, position)
        self._stale = True
        """Not listening now: what `_live` says may be ahead of the database after a crash of
        the server (`batch.ASYNC_COMMIT`), so no wait is answered from it."""
        self._waiting: dict[str, list[_Waiting]] = {}
        self._ready = threading.Event()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 10.0) -> PositionWaiter:
        """Start listening; returns once the current positions are loaded (or after `timeout`
        if the database does not answer: waits then time out until it does)."""
        self._thread = threading.Thread(target=self._listen, name="position-waiter", daemon=True)
        self._thread.start()
        self._ready.wait(timeout)
        return self

    def close(self) -> None:
        self._closed.set()
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None

    def position(self, name: str) -> int:
        """The live generation's position as last notified (0 if never)."""
        with self._lock:
            return self._live.get(name, (0, 0))[1]

    async def wait(self, name: str, min_position: int, timeout: float) -> int:
        """Return the view's position once it is at least `min_position`; raise NotCaughtUp
        after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        reached = loop.create_future()

        def resolve() -> None:
            if not reached.done():
                reached.set_result(None)

        def wake() -> None:
            loop.call_soon_threadsafe(resolve)

        entry = self._park(name, min_position, wake)
        if entry is None:
            return self.position(name)
        try:
            await asyncio.wait_for(reached, timeout)
        except TimeoutError:
            raise await asyncio.to_thread(self._not_caught_up, name, min_position) from None
        finally:
            self._unpark(name, entry)
        return self.position(name)

    def wait_blocking(self, name: str, min_position: int, timeout: float) -> int:
        """`wait` for threads (a sync handler holds its worker thread, not a connection)."""
        reached = threading.Event()
        entry = self._park(name, min_position, reached.set)
        if entry is None:
            return self.position(name)
        try:
            if not reached.wait(timeout):
                raise self._not_caught_up(name, min_position)
        finally:
            self._unpark(name, entry)
        return self.position(name)

    # --- plumbing ------------------------------------------------------------------------------

    def _park(self, name: str, min_position: int, wake: Callable[[], None]) -> _Waiting | None:
        with self._lock:
            if not self._stale and self._live.get(name, (0, 0))[1] >= min_position:
                return None
            if self._parked >= self.max_parked:
                raise TooManyWaits(self._parked)
            entry = _Waiting(min_position, wake)
            self._waiting.setdefault(name, []).append(entry)
            self._parked += 1
            return entry

    def _unpark(self, name: str, entry: _Waiting) -> None:
        with self._lock:
            waiting = self._waiting.get(name, [])
            if entry in waiting:
                waiting.remove(entry)
                self._parked -= 1

    def _not_caught_up(self, name: str, min_position: int) -> NotCaughtUp:
        position = self.position(name)
        try:
            with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=2) as conn:
                status = projection_status(conn, name)
        except psycopg.Error:
            return NotCaughtUp(name, min_position, position)
        return NotCaughtUp(
            name,
            min_position,
            max(position, status.position),
            status.lag_events,
            status.lag_seconds,
        )

    def _advance(self, name: str, generation: int, position: int) -> None:
        with self._lock:
            known_generation, known_position = self._live.get(name, (0, 0))
            if generation < known_generation or (
                generation == known_generation and position <= known_position
            ):
                return
            self._live[name] = (generation, position)
            self._wake(name, position)

    def _reload(self, rows: list[tuple[str, int, int]]) -> None:
        """On (re)connecting: the database's positions replace what this process knew, lower
        ones too. A live batch commits without waiting for the disk (`batch.ASYNC_COMMIT`), so
        after a crash of the server a view may be behind what a NOTIFY said before it."""
        with self._lock:
            self._live = {name: (generation, position) for name, generation, position in rows}
            self._stale = False
            for name, (_, position) in self._live.items():
                self._wake(name, position)

    def _wake(self, name: str, position: int) -> None:
        """Under the lock: wake the reads waiting on `name` for `position` or before."""
        waiting = self._waiting.get(name, [])
        for entry in [w for w in waiting if w.min_position <= position]:
            waiting.remove(entry)
            self._parked -= 1
            entry.wake()

    def _listen(self) -> None:
        while not self._closed.is_set():
            try:
                with psycopg.connect(
                    self.conninfo, autocommit=True, application_name="ledger position waiter"
                ) as conn:
                    conn.execute(f"LISTEN {PROJECTED_CHANNEL}")
                    # Load after LISTEN, so nothing committed in between goes unnoticed.
                    self._reload(conn.execute(_LIVE).fetchall())
                    self._ready.set()
                    while not self._closed.is_set():
                        for notify in conn.notifies(timeout=0.25):
                            self._seen(notify.payload)
            except psycopg.Error as e:
                log.warning("projections.waiter_disconnected", error=str(e))
                with self._lock:
                    self._stale = True
                self._closed.wait(self.retry_delay)

    def _seen(self, payload: str) -> None:
        try:
            name, generation, position = payload.rsplit(":", 2)
            self._advance(name, int(generation), int(position))
        except ValueError:
            log.warning("projections.bad_notification", payload=payload[:200])
