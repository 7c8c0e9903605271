"""A read never waits for a view that has stopped: `refuse_if_stopped` answers it at once.

A projection stopped before an event it cannot apply (`ledger.projections.failures`) will not
pass that event until an operator skips or retries it, so a read asking for a position at or
beyond it would wait `READ_WAIT` and answer 503, again and again. The read path asks here first,
only when it would wait at all (the view is behind the position asked for), and gets
`ProjectionStopped`, a 503 naming the projection and the event.

Why a cache: the answer is read from the database (`status.stopped_projections`, one indexed
query) at most once per `MAX_AGE` seconds per process, on a connection of its own, so a waiting
read still holds no pooled connection and a thousand waiting reads cost one query. A read that
arrives within `MAX_AGE` of a stop may still wait out its `READ_WAIT` (then 503 not-caught-up),
as does one already waiting when the projection stops: bounded, never for ever.
"""

from __future__ import annotations

import asyncio
import threading
import time

import psycopg
import structlog

from ledger.projections.status import StoppedProjection, stopped_projections
from ledger.projections.waiter import NotCaughtUp, PositionWaiter

log = structlog.get_logger("ledger.projections")

MAX_AGE = 0.5
"""Seconds a process trusts what it last read of which projections are stopped."""
RULE = "projection.stopped"


class ProjectionStopped(NotCaughtUp):
    """A read asked for a position a stopped projection will not reach until an operator acts.

    A `NotCaughtUp` (503, Retry-After), answered at once instead of after the wait."""

    rule = RULE
    retry_after = 30

    def __init__(self, stopped: StoppedProjection, min_position: int) -> None:
        super().__init__(stopped.name, min_position, stopped.position)
        failure = stopped.failure
        self.args = (
            f"{RULE}: the {stopped.name} view is stopped at position {stopped.position}, before "
            f"{failure.describe()}; it will not reach {min_position} until an operator skips or "
            f"retries that event (ledger projections status)",
        )
        self.failure = failure
        self.stopped_before = failure.position


class _Stops:
    """What one process last read of the stopped projections of one database."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.read_at = -MAX_AGE
        self.stopped: dict[str, StoppedProjection] = {}

    def fresh(self) -> bool:
        return time.monotonic() - self.read_at < MAX_AGE

    def refresh(self, conninfo: str) -> None:
        with self.lock:  # one reader at a time; the others find it fresh
            if self.fresh():
                return
            try:
                with psycopg.connect(conninfo, autocommit=True, connect_timeout=2) as conn:
                    found = stopped_projections(conn)
            except psycopg.Error as e:  # unknown: let the read wait, as before
                log.warning("projections.stops_unreadable", error=str(e))
                found = list(self.stopped.values())
            self.stopped = {s.name: s for s in found}
            self.read_at = time.monotonic()


_STOPS: dict[str, _Stops] = {}
_STOPS_LOCK = threading.Lock()


async def refuse_if_stopped(waiter: PositionWaiter, name: str, min_position: int) -> None:
    """Raise `ProjectionStopped` if view `name` is stopped before an event at or before
    `min_position` (so waiting could not end well); return at once if the view is already
    there."""
    if waiter.position(name) >= min_position:
        return
    with _STOPS_LOCK:
        stops = _STOPS.setdefault(waiter.conninfo, _Stops())
    if not stops.fresh():
        await asyncio.to_thread(stops.refresh, waiter.conninfo)
    stopped = stops.stopped.get(name)
    if stopped is not None and stopped.failure.position <= min_position:
        raise ProjectionStopped(stopped, min_position)
