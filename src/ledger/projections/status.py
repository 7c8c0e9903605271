"""How far each projection has followed the log: position, lag, any rebuild under way, and
whether it is stopped before an event it cannot apply (and which events an operator skipped).

`ledger projections status` prints it, views report `position` as their as_of_position, and a
read that times out waiting for a view (`ledger.projections.waiter`) says how far behind it is.
`stopped_projections` is the cheap question `/health` and the read path ask: which live views are
stopped, before which event, and why (`ledger.projections.failures`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

import msgspec

from ledger.projections.batch import Conn, Cursor
from ledger.projections.failures import EventFailure, decode_failures
from ledger.projections.rebuild import REBUILD_LOCK


class ProjectionStatus(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    generation: int | None
    """The live generation; None while no projector has run this projection."""
    position: int
    """The last notification id the live generation has passed."""
    head: int
    """The log's last notification id."""
    lag_events: int
    """Events stored after `position` (past `LAG_COUNTED`, `head - position`)."""
    lag_seconds: float | None
    """How long ago the oldest unprojected event was recorded (0 when caught up)."""
    rebuilding: int | None = None
    """The generation a rebuild is building (or left unfinished), if any."""
    rebuild_position: int | None = None
    rebuild_running: bool = False
    """A process holds the projection's rebuild lock (False with `rebuilding`: abandoned)."""
    stopped: EventFailure | None = None
    """The event the live generation is stopped before, and why; None while it goes on."""
    rebuild_stopped: EventFailure | None = None
    """The event the rebuild (`rebuilding`) stopped before, if it did."""
    skipped: tuple[EventFailure, ...] = ()
    """Events an operator skipped: the view is knowingly missing them."""

    @property
    def state(self) -> str:
        """One word: stopped, skipping (goes on, missing skipped events) or ok."""
        return "stopped" if self.stopped else "skipping" if self.skipped else "ok"


class _Recorded(msgspec.Struct):
    timestamp: datetime


_STATUS = (
    "SELECT p.name, p.generation, coalesce(t.position, 0), p.rebuilding, r.position, "
    "EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted "
    "  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "  AND l.classid = %s::oid AND l.objid = hashtext(p.name)::oid AND l.objsubid = 2), "
    "t.stopped_before, r.stopped_before, "
    "(SELECT json_agg(f ORDER BY f.position)::text FROM ledger_projection_failures f "
    "  WHERE f.name = p.name AND (f.state = 'skipped' "
    "    OR f.position IN (t.stopped_before, r.stopped_before))) "
    "FROM ledger_projections p "
    "LEFT JOIN ledger_projection_tracking t ON t.name = p.name AND t.generation = p.generation "
    "LEFT JOIN ledger_projection_tracking r ON r.name = p.name AND r.generation = p.rebuilding "
    "ORDER BY p.name"
)
_ONE = _STATUS.replace("ORDER BY p.name", "WHERE p.name = %s")
LAG_COUNTED = 10_000
"""Events behind a view are counted up to this many; past it, `lag_events` is `head - position`
(an upper bound: a failed write leaves a gap in the positions)."""
# The count reads the index in order and stops at the limit. A bare count(*) of the events after
# the position was planned, with statistics that had not seen the newest positions, as a scan of
# the whole table: 77 ms at 117,000 events, for every view read (bench (e), 2026-12-06).


def _lag_query(after: str) -> str:
    """The head, the events after `after` (counted up to %(n)s) and the oldest one's state."""
    return (
        "SELECT (SELECT coalesce(max(notification_id), 0) FROM ledger_events) AS head, "
        "(SELECT count(*) FROM (SELECT FROM ledger_events WHERE notification_id > "
        f"{after} ORDER BY notification_id LIMIT %(n)s) AS behind) AS counted, "
        f"(SELECT state FROM ledger_events WHERE notification_id > {after} "
        "ORDER BY notification_id LIMIT 1) AS oldest"
    )


_LAG = _lag_query("%(p)s")
VIEW_STATUS = (
    "SELECT s.position, l.head, l.counted, l.oldest FROM (SELECT coalesce(("
    "SELECT t.position FROM ledger_projections p JOIN ledger_projection_tracking t "
    "ON t.name = p.name AND t.generation = p.generation WHERE p.name = %(name)s), 0) AS position"
    f") AS s, LATERAL ({_lag_query('s.position')}) AS l"
)
"""A view's live position and its lag in one statement (`view_status_params`, then
`view_status_of` on its row): a view read sends it with its BEGIN, in one round trip, since
on a busy machine each round trip is a wait for a core and the GIL (docs/PROFILE.md)."""


class Behind(msgspec.Struct, frozen=True):
    head: int
    events: int
    seconds: float | None


def lag_behind(conn: Conn | Cursor, position: int) -> Behind:
    """The log's head, and how far `position` is behind it: events (up to `LAG_COUNTED`) and the
    age of the oldest event after it."""
    row = conn.execute(_LAG, {"p": position, "n": LAG_COUNTED + 1}).fetchone()
    assert row is not None
    return _behind(position, *row)


def _behind(position: int, head: int, counted: int, oldest: bytes | None) -> Behind:
    events = counted if counted <= LAG_COUNTED else head - position
    return Behind(head, events, _age(oldest))


def view_status_params(name: str) -> dict[str, Any]:
    return {"name": name, "n": LAG_COUNTED + 1}


def view_status_of(row: tuple[Any, ...] | None) -> tuple[int, Behind]:
    """The position and lag in `VIEW_STATUS`'s row."""
    assert row is not None
    position, *lag = row
    return int(position), _behind(int(position), *lag)


def view_position(conn: Conn | Cursor, name: str) -> tuple[int, Behind]:
    """A view's live position and its lag, what every view read reports: one statement of
    indexed reads, without the rebuild, lock and failure detail `read_status` adds."""
    return view_status_of(conn.execute(VIEW_STATUS, view_status_params(name)).fetchone())


def read_status(conn: Conn | Cursor, names: Iterable[str] = ()) -> list[ProjectionStatus]:
    """Every registered projection's status, and those of `names` not registered yet. Takes a
    connection, or a (tuple-row) cursor, so a view can read it in its own snapshot."""
    found = {row[0]: row for row in conn.execute(_STATUS, (REBUILD_LOCK,)).fetchall()}
    return [_status(conn, name, found.get(name)) for name in sorted(found.keys() | set(names))]


def _status(conn: Conn | Cursor, name: str, row: tuple[Any, ...] | None) -> ProjectionStatus:
    _, generation, position, rebuilding, rebuild_position, running, stop, rebuild_stop, f = row or (
        name,
        None,
        0,
        None,
        None,
        False,
        None,
        None,
        None,
    )
    failures = {x.position: x for x in decode_failures(f)} if f else {}
    lag = lag_behind(conn, position)
    return ProjectionStatus(
        name=name,
        generation=generation,
        position=position,
        head=lag.head,
        lag_events=lag.events,
        lag_seconds=lag.seconds,
        rebuilding=rebuilding,
        rebuild_position=rebuild_position,
        rebuild_running=running,
        stopped=failures.get(stop),
        rebuild_stopped=failures.get(rebuild_stop),
        skipped=tuple(x for x in failures.values() if x.state == "skipped"),
    )


def projection_status(conn: Conn | Cursor, name: str) -> ProjectionStatus:
    """One projection's status: views report `position` as their as_of_position, and the lag."""
    return _status(conn, name, conn.execute(_ONE, (REBUILD_LOCK, name)).fetchone())


_STOPPED = (
    "SELECT p.name, t.position, row_to_json(f)::text FROM ledger_projections p "
    "JOIN ledger_projection_tracking t ON t.name = p.name AND t.generation = p.generation "
    "JOIN ledger_projection_failures f ON f.name = p.name AND f.position = t.stopped_before "
    "ORDER BY p.name"
)
_decode_failure = msgspec.json.Decoder(EventFailure).decode


class StoppedProjection(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    position: int
    """Where the live generation stopped: right before `failure.position`."""
    failure: EventFailure


def stopped_projections(conn: Conn | Cursor) -> list[StoppedProjection]:
    """The projections whose live generation is stopped before an event it cannot apply, with
    the record of that event: one indexed query, for `/health` and for reads about to wait."""
    return [
        StoppedProjection(name=name, position=position, failure=_decode_failure(failure))
        for name, position, failure in conn.execute(_STOPPED).fetchall()
    ]


def _age(state: bytes | None) -> float | None:
    if state is None:
        return 0.0
    try:
        recorded = msgspec.json.decode(state, type=_Recorded).timestamp
    except msgspec.DecodeError:
        return None
    if recorded.tzinfo is None:
        recorded = recorded.replace(tzinfo=timezone.utc)  # noqa: UP017 (house style)
    return max(0.0, (datetime.now(timezone.utc) - recorded).total_seconds())  # noqa: UP017
