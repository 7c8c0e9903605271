"""Poison events: which errors stop a projection, the durable record of the event it stopped
before, and the operator's two ways on (`skip`, `retry`).

Why stop rather than retry: an event a projection cannot apply (a NUL in a text field, which
PostgreSQL text refuses; any bug in a view) fails the same way every time. Retrying it froze the
projection for ever, every read waiting for it answered 503 for ever, and nothing said why. Now
the runtime finds the exact event (`batch.BatchWriter` halves the failing batch until one event
fails alone), applies everything before it, moves the position to just before it and records it
here, in the same transaction; then that projection stops, and the others go on.

Why some errors are not poison: a lost connection, a serialization failure or a deadlock says
nothing about the event; those are retried with back-off (`is_transient`) and never recorded.

A generation's stop lives on its tracking row (`stopped_before`, read under the projector's lock);
the record, keyed by projection and position, in `ledger_projection_failures`. `skip` marks the
event skipped (every generation passes it without applying it from then on, a rebuild too) and
`retry` clears the stop so the projector tries again (after a fix; failing again records again).
"""

from __future__ import annotations

import sysconfig
import traceback
from datetime import datetime
from types import FrameType
from typing import Any
from uuid import UUID

import msgspec
import psycopg

Conn = psycopg.Connection[tuple[Any, ...]]
Cursor = psycopg.Cursor[tuple[Any, ...]]

CONTROL_CHANNEL = "ledger_projection_control"
"""NOTIFYed (payload: the projection's name) when an operator skips or retries: a stopped
projector resumes at once instead of at its next idle check."""

MAX_ERROR = 2_000
"""Characters of an error's description kept in the record."""
_NAMED = ("schema", "table", "column", "constraint", "datatype")
"""The schema objects a server error names (its `diag`): identifiers, never values."""
LIBRARIES = tuple(sorted({sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib")}))
"""Where Python's own modules and installed packages live: a frame there is not where a view
went wrong, unless it is the ledger's own (installed, the ledger is there too)."""

# SQLSTATE classes that say nothing about the event: connection exception, transaction rollback
# (serialization failure, deadlock), insufficient resources, operator intervention (shutdown,
# cancel, statement timeout), system error. Not 54 (program limit exceeded: an index row too
# large for one event's text is that event's fault) nor 22/23/42 (data, integrity, syntax).
_TRANSIENT_CLASSES = frozenset({"08", "40", "53", "57", "58"})
_TRANSIENT_STATES = frozenset({"55P03"})  # lock_not_available


def is_transient(error: BaseException) -> bool:
    """An error to retry with back-off, not to blame on the event being applied."""
    if not isinstance(error, psycopg.Error):
        return False
    state = error.sqlstate
    if state is None:  # raised by the driver itself: a lost or closed connection, or bad data
        return isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)
    return state[:2] in _TRANSIENT_CLASSES or state in _TRANSIENT_STATES


class EventFailure(msgspec.Struct, frozen=True, kw_only=True):
    """The record of one event a projection could not apply."""

    position: int
    """The event's notification id: the projection stopped right before it."""
    generation: int
    """The generation that last failed on it (the live one, or a rebuild's)."""
    originator_id: UUID
    originator_version: int
    topic: str
    error_class: str
    error: str
    attempts: int
    """Times a projection stopped on it: 1, plus one for each retry that failed again."""
    first_failed_at: datetime
    failed_at: datetime
    state: str
    """failed (unresolved), skipped (passed without applying it) or retried."""
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    reason: str | None = None

    def describe(self) -> str:
        return (
            f"event {self.position} ({self.topic}, version {self.originator_version} of "
            f"{self.originator_id}): {self.error_class}: {self.error}"
        )


class NothingStopped(Exception):
    """`skip` or `retry` named a projection (or position) that is not stopped."""


_COLUMNS = (
    "position, generation, originator_id, originator_version, topic, error_class, error, "
    "attempts, first_failed_at, failed_at, state, resolved_by, resolved_at, reason"
)
FAILURES_JSON = (
    "SELECT coalesce(json_agg(f ORDER BY f.position), '[]')::text "
    "FROM ledger_projection_failures f WHERE f.name = %s"
)
"""A projection's records, oldest event first, as one JSON array (`decode_failures`)."""

decode_failures = msgspec.json.Decoder(list[EventFailure]).decode


def record_failure(
    conn: Conn,
    name: str,
    generation: int,
    row: tuple[object, ...],
    error: BaseException,
) -> EventFailure | None:
    """Record that `generation` of `name` failed on the stored event `row` (notification id,
    originator id, version, topic, ...), or count another attempt; None when an operator has
    skipped that event meanwhile (then there is nothing to stop for)."""
    position, originator_id, version, topic = row[:4]
    found = conn.execute(
        "INSERT INTO ledger_projection_failures AS f (name, position, generation, originator_id, "
        "originator_version, topic, error_class, error) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (name, position) DO UPDATE SET generation = excluded.generation, "
        "error_class = excluded.error_class, error = excluded.error, "
        "attempts = f.attempts + 1, failed_at = now(), state = 'failed' "
        f"WHERE f.state <> 'skipped' RETURNING {_COLUMNS}",
        (
            name,
            position,
            generation,
            originator_id,
            version,
            _printable(str(topic)),
            _printable(f"{type(error).__module__}.{type(error).__qualname__}"),
            _printable(describe_error(error))[:MAX_ERROR],
        ),
    ).fetchone()
    return None if found is None else _failure(found)


def describe_error(error: BaseException) -> str:
    """What failed, without the error's message: the SQLSTATE and the schema objects a server
    error names, and the innermost frame of ours it was raised from (not psycopg's cursor).

    Why no message: it can quote the event's values, and the record reaches the anonymous
    `/health`, the 503 of a reader in any centre and the log. PostgreSQL's DETAIL quotes the
    whole failing row (an applicant's name, a mobile), a class-22 message the value, psycopg's
    parsers and Python's `int()` their input. The event itself is at the record's position,
    for an operator with the right to read it."""
    parts = []
    if isinstance(error, psycopg.Error) and error.sqlstate is not None:
        diag = error.diag
        named = [(what, getattr(diag, f"{what}_name")) for what in _NAMED]
        objects = ", ".join(f"{what} {name}" for what, name in named if name)
        parts.append(f"SQLSTATE {error.sqlstate}" + (f" ({objects})" if objects else ""))
    frames = list(traceback.walk_tb(error.__traceback__))
    ours = [f for f in frames if _ours(f[0])]
    if frames:
        frame, line = (ours or frames)[-1]
        module = frame.f_globals.get("__name__", "?")
        parts.append(f"raised at {module}:{line} in {frame.f_code.co_name}")
    return ", ".join(parts) or "raised outside any frame"


def _ours(frame: FrameType) -> bool:
    module = str(frame.f_globals.get("__name__", ""))
    if module == "ledger" or module.startswith("ledger."):
        return True
    return not frame.f_code.co_filename.startswith(LIBRARIES)


def failures_of(conn: Conn | Cursor, name: str) -> list[EventFailure]:
    row = conn.execute(FAILURES_JSON, (name,)).fetchone()
    return decode_failures(row[0]) if row else []


def skip(
    conn: Conn, name: str, *, by: str, reason: str, position: int | None = None
) -> EventFailure:
    """Skip the event `name` is stopped before (of its live generation or a rebuild's; name it
    with `position` if they differ): every generation passes it without applying it from now on.
    The view is then knowingly missing it; the record says who decided, when and why."""
    with conn.transaction():
        stops = _lock_stops(conn, name, position)
        if len(stops) > 1:
            raise NothingStopped(
                f"{name} is stopped before events {', '.join(map(str, stops))}: "
                "name the one to skip with --position"
            )
        resolved = _resolve(conn, name, stops, "skipped", by, reason)
        if not resolved:
            raise NothingStopped(f"{name}: no record of event {stops[0]}")
    return resolved[0]


def retry(conn: Conn, name: str, *, by: str, reason: str | None = None) -> list[EventFailure]:
    """Clear `name`'s stops, so its projector applies those events again (after a fix: fix
    forward). An event that still fails is recorded again, with one more attempt."""
    with conn.transaction():
        return _resolve(conn, name, _lock_stops(conn, name, None), "retried", by, reason)


def _lock_stops(conn: Conn, name: str, position: int | None) -> list[int]:
    """The positions `name`'s generations are stopped before, their tracking rows locked (so no
    batch of theirs is in flight)."""
    rows = conn.execute(
        "SELECT stopped_before FROM ledger_projection_tracking "
        "WHERE name = %s AND stopped_before IS NOT NULL "
        "AND (%s::bigint IS NULL OR stopped_before = %s::bigint) FOR UPDATE",
        (name, position, position),
    ).fetchall()
    if not rows:
        at = "" if position is None else f" before event {position}"
        raise NothingStopped(f"{name} is not stopped{at}")
    return sorted({int(r[0]) for r in rows})


def _resolve(
    conn: Conn, name: str, positions: list[int], state: str, by: str, reason: str | None
) -> list[EventFailure]:
    conn.execute(
        "UPDATE ledger_projection_tracking SET stopped_before = NULL, updated_at = now() "
        "WHERE name = %s AND stopped_before = ANY(%s)",
        (name, positions),
    )
    rows = conn.execute(
        "UPDATE ledger_projection_failures SET state = %s, resolved_by = %s, "
        "resolved_at = now(), reason = %s "
        f"WHERE name = %s AND position = ANY(%s) RETURNING {_COLUMNS}",
        (state, _printable(by), None if reason is None else _printable(reason), name, positions),
    ).fetchall()
    conn.execute("SELECT pg_notify(%s, %s)", (CONTROL_CHANNEL, name))
    return sorted((_failure(r) for r in rows), key=lambda f: f.position)


def _failure(row: tuple[object, ...]) -> EventFailure:
    return msgspec.convert(dict(zip(_COLUMNS.split(", "), row, strict=True)), EventFailure)


def _printable(text: str) -> str:
    """Text PostgreSQL stores: the message of a NUL failure may quote the NUL, and a message may
    hold lone surrogates that UTF-8 cannot encode."""
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")
