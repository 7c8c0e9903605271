"""How far each projection has followed the log: position, lag, and any rebuild under way.

`ledger projections status` prints it, views report `position` as their as_of_position, and a
read that times out waiting for a view (`ledger.projections.waiter`) says how far behind it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

import msgspec

from ledger.projections.batch import Conn, Cursor
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
    """Events stored after `position`."""
    lag_seconds: float | None
    """How long ago the oldest unprojected event was recorded (0 when caught up)."""
    rebuilding: int | None = None
    """The generation a rebuild is building (or left unfinished), if any."""
    rebuild_position: int | None = None
    rebuild_running: bool = False
    """A process holds the projection's rebuild lock (False with `rebuilding`: abandoned)."""


class _Recorded(msgspec.Struct):
    timestamp: datetime


_STATUS = (
    "SELECT p.name, p.generation, coalesce(t.position, 0), p.rebuilding, r.position, "
    "EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted "
    "  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "  AND l.classid = %s::oid AND l.objid = hashtext(p.name)::oid AND l.objsubid = 2) "
    "FROM ledger_projections p "
    "LEFT JOIN ledger_projection_tracking t ON t.name = p.name AND t.generation = p.generation "
    "LEFT JOIN ledger_projection_tracking r ON r.name = p.name AND r.generation = p.rebuilding "
    "ORDER BY p.name"
)
_LAG = (
    "SELECT (SELECT coalesce(max(notification_id), 0) FROM ledger_events), "
    "(SELECT count(*) FROM ledger_events WHERE notification_id > %(p)s), "
    "(SELECT state FROM ledger_events WHERE notification_id > %(p)s "
    " ORDER BY notification_id LIMIT 1)"
)


def read_status(conn: Conn | Cursor, names: Iterable[str] = ()) -> list[ProjectionStatus]:
    """Every registered projection's status, and those of `names` not registered yet. Takes a
    connection, or a (tuple-row) cursor, so a view can read it in its own snapshot."""
    found = {row[0]: row for row in conn.execute(_STATUS, (REBUILD_LOCK,)).fetchall()}
    statuses = []
    for name in sorted(found.keys() | set(names)):
        _, generation, position, rebuilding, rebuild_position, running = found.get(
            name, (name, None, 0, None, None, False)
        )
        row = conn.execute(_LAG, {"p": position}).fetchone()
        assert row is not None
        head, lag_events, oldest = row
        statuses.append(
            ProjectionStatus(
                name=name,
                generation=generation,
                position=position,
                head=head,
                lag_events=lag_events,
                lag_seconds=_age(oldest),
                rebuilding=rebuilding,
                rebuild_position=rebuild_position,
                rebuild_running=running,
            )
        )
    return statuses


def projection_status(conn: Conn | Cursor, name: str) -> ProjectionStatus:
    """One projection's status: views report `position` as their as_of_position, and the lag."""
    return next(s for s in read_status(conn, [name]) if s.name == name)


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
