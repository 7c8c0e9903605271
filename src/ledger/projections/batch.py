"""One batch of the log into one generation of a view: the step under the projector and rebuild.

Why batches: a commit per event caps a projection at ≈2.7k events/s
(`shared/reference/performance-baselines.md` §3f). Here one transaction holds a whole batch: the
view rows `Projection.apply` writes, the new tracking position and, for the live generation, a
`NOTIFY ledger_projected`. A crash before the commit redoes the batch; after it, nothing.

Why "after the tracked position" never skips: the events' insert lock makes commit order equal
notification order, so once an id is visible every smaller id that will ever commit is visible
too (tests/integration/test_log_order.py). A projection that reads only some topics still moves
its position to the head it saw, so waiting for any position resolves and nothing is re-scanned.

Why a failing batch is halved (`_advance`): an event the projection cannot apply must not freeze
it (`ledger.projections.failures`). The batch is applied in a savepoint; if that fails for a
reason that is not transient, its first half is tried, then its second, each in a savepoint,
down to the one event that fails alone. The events before it stay applied, the position stops
right before it, and the record of it is written, all in the batch's transaction. Events an
operator skipped are read (so the position passes them) and never applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import psycopg
import structlog
from eventsourcing.persistence import StoredEvent
from psycopg.sql import SQL, Literal

from ledger.projections.base import ProjectedEvent, Projection
from ledger.projections.failures import EventFailure, is_transient, record_failure
from ledger.store.events import MsgspecMapper
from ledger.store.statements import rendered

log = structlog.get_logger("ledger.projections")

PROJECTED_CHANNEL = "ledger_projected"
"""Payload `<name>:<generation>:<position>`, sent by the live generation's batches and the swap."""
DEFAULT_BATCH = 5_000
ASYNC_COMMIT = "SET LOCAL synchronous_commit = off"
"""A live batch commits without waiting for its WAL to reach the disk: a view is derived, and
its rows and tracking position commit together, so a crash that loses the last batches loses
both and the projector reads those events again. The appends, the notary's seals and the
operator's records keep the server's setting."""

Conn = psycopg.Connection[tuple[Any, ...]]
Cursor = psycopg.Cursor[tuple[Any, ...]]

# Each event with whether an operator skipped it for this projection (the list is evaluated once
# per statement: it is a handful of positions, or none).
_SKIPPED = (
    "notification_id = ANY(ARRAY(SELECT position FROM ledger_projection_failures "
    "WHERE name = %s AND state = 'skipped'))"
)
_SELECT = (
    f"SELECT notification_id, originator_id, originator_version, topic, state, {_SKIPPED} "
    "FROM ledger_events WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
)
# The head and the matching events in one statement, hence one snapshot: every event up to the
# head that matches is in the result unless the batch is full.
_SELECT_TOPICS = (
    "SELECT h.head, e.notification_id, e.originator_id, e.originator_version, e.topic, e.state, "
    "e.skipped FROM (SELECT max(notification_id) AS head FROM ledger_events) h LEFT JOIN LATERAL ("
    "  SELECT notification_id, originator_id, originator_version, topic, state, "
    f"  {_SKIPPED} AS skipped FROM ledger_events"
    "  WHERE notification_id > %s AND topic = ANY({topics}) ORDER BY notification_id LIMIT %s"
    ") e ON true ORDER BY e.notification_id"
)
_LIVE = "SELECT generation FROM ledger_projections WHERE name = %s FOR KEY SHARE"
_TRACKING = (
    "SELECT position, stopped_before FROM ledger_projection_tracking "
    "WHERE name = %s AND generation = %s FOR UPDATE"
)

Row = tuple[Any, ...]
"""A stored event as read: notification id, originator id, version, topic, state, skipped."""


@dataclass(frozen=True)
class Batch:
    generation: int
    events: int
    """Events applied (of the projection's topics)."""
    position: int
    """The tracking position after the batch."""
    full: bool
    """The read hit the batch size: more may be waiting."""
    skipped: tuple[int, ...] = ()
    """Events passed without applying them: an operator skipped them."""
    stopped_before: int | None = None
    """The generation is stopped before this event until an operator skips or retries it."""
    failure: EventFailure | None = None
    """The record this batch wrote: the event it stopped before, and why."""


class Tracked(NamedTuple):
    position: int
    stopped_before: int | None


class BatchWriter:
    """One projection's connection to the log and its view tables: reads the events after a
    position, applies them to a generation and moves that generation's tracking row."""

    def __init__(
        self, conninfo: str, projection: Projection, *, batch_size: int = DEFAULT_BATCH
    ) -> None:
        self.conninfo = conninfo
        self.projection = projection
        self.name = projection.name
        self.topics = sorted(projection.topics) if projection.topics is not None else None
        # The topics as a literal in the statement, rendered once, not a parameter: psycopg would
        # dump the list element by element in Python at every batch (0.1-0.3 ms for 20-66 topics).
        self._select_topics = (
            None
            if self.topics is None
            else rendered(SQL(_SELECT_TOPICS).format(topics=Literal(self.topics)))
        )
        self.batch_size = batch_size
        self._mapper = MsgspecMapper()
        self._conn: Conn | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> Conn:
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
        return self._conn

    def _connect(self) -> Conn:
        """Named, so pg_stat_activity shows which projection a session (or a lock) belongs to."""
        return psycopg.connect(
            self.conninfo, autocommit=True, application_name=f"ledger projection {self.name}"
        )

    def _live_generation(self, conn: Conn) -> int:
        row = conn.execute(_LIVE, (self.name,)).fetchone()
        if row is None:  # the first run of this projection anywhere
            conn.execute(  # created in the current shape (ledger.projections.shapes)
                "INSERT INTO ledger_projections (name, generation, shape) VALUES (%s, 1, %s) "
                "ON CONFLICT DO NOTHING",
                (self.name, getattr(self.projection, "shape", None)),
            )
            row = conn.execute(_LIVE, (self.name,)).fetchone()
            assert row is not None
        return int(row[0])

    def _advance(self, conn: Conn, generation: int, position: int, *, notify: bool) -> Batch:
        """Read, decode and apply the events after `position`, isolating an event that cannot be
        applied, and move the tracking row (whose lock the caller holds)."""
        rows, full, reached = self._rows(self._read(conn, position), position)
        applying, skipped = split_skipped(rows)
        failed = self._apply_isolating(conn, generation, applying)
        if failed is not None:
            return self._stop(conn, generation, position, applying, skipped, *failed, notify=notify)
        if reached != position:
            self._track(conn, generation, reached, notify=notify)
        return Batch(generation, len(applying), reached, full, skipped)

    def _read(self, conn: Conn, position: int) -> Cursor:
        if self._select_topics is None:
            return conn.execute(_SELECT, (self.name, position, self.batch_size), binary=True)
        return conn.execute(
            self._select_topics, (self.name, position, self.batch_size), binary=True
        )

    def _rows(self, read: Cursor, position: int) -> tuple[list[Row], bool, int]:
        """The events read, whether the batch is full, and the position the batch reaches."""
        if self.topics is None:
            rows = read.fetchall()
            full = len(rows) == self.batch_size
            return rows, full, rows[-1][0] if rows else position
        found = read.fetchall()
        head = found[0][0]
        rows = [r[1:] for r in found if r[1] is not None]
        full = len(rows) == self.batch_size
        # Not full: every matching event up to the head is here, so pass the head too.
        return rows, full, rows[-1][0] if full else max(position, head or 0)

    def _apply(self, conn: Conn, generation: int, rows: Sequence[Row]) -> None:
        """Decode `rows` (none of them skipped) and hand them to the projection."""
        if rows:
            decode = self._mapper.to_domain_event
            events = [
                ProjectedEvent(
                    position=n,
                    event=decode(
                        StoredEvent(
                            originator_id=originator_id,
                            originator_version=version,
                            topic=topic,
                            state=state,
                        )
                    ),
                )
                for n, originator_id, version, topic, state, *_ in rows
            ]
            with conn.cursor() as cur:
                self.projection.apply(cur, generation, events)

    def _apply_isolating(
        self, conn: Conn, generation: int, rows: Sequence[Row]
    ) -> tuple[Row, Exception] | None:
        """Apply `rows` in a savepoint; if that fails, and not transiently, apply every event
        before the first one that fails alone, and return that one with its error."""
        if not rows:
            return None
        try:
            with conn.transaction():
                self._apply(conn, generation, rows)
        except Exception as e:
            if is_transient(e):
                raise
            return self._first_failing(conn, generation, rows, e)
        return None

    def _first_failing(
        self, conn: Conn, generation: int, rows: Sequence[Row], error: Exception
    ) -> tuple[Row, Exception] | None:
        """`rows` failed together with `error`: apply each half in turn, bisecting the one that
        fails, so everything before the first event that fails alone is applied. None when every
        part applies on its own (the batch failed only as a whole)."""
        if len(rows) == 1:
            return rows[0], error
        middle = len(rows) // 2
        for part in (rows[:middle], rows[middle:]):
            try:
                with conn.transaction():
                    self._apply(conn, generation, part)
            except Exception as e:
                if is_transient(e):
                    raise
                if (found := self._first_failing(conn, generation, part, e)) is not None:
                    return found
        return None

    def _stop(
        self,
        conn: Conn,
        generation: int,
        position: int,
        applying: Sequence[Row],
        skipped: tuple[int, ...],
        row: Row,
        error: Exception,
        *,
        notify: bool,
    ) -> Batch:
        """Record the event in `row` and stop `generation` right before it (the events before it
        were applied). If an operator skipped it meanwhile, just stop short of it: the next batch
        reads it as skipped."""
        before = int(row[0])
        failure = record_failure(conn, self.name, generation, row, error)
        stopped_before = None if failure is None else before
        self._track(conn, generation, before - 1, notify=notify, stopped_before=stopped_before)
        applied = sum(1 for r in applying if r[0] < before)
        if failure is not None:
            log.error(
                "projection.event_failed",
                projection=self.name,
                generation=generation,
                position=before,
                originator_id=str(failure.originator_id),
                originator_version=failure.originator_version,
                topic=failure.topic,
                error_class=failure.error_class,
                error=failure.error,
                attempts=failure.attempts,
            )
        return Batch(
            generation,
            applied,
            before - 1,
            full=failure is None,
            skipped=tuple(p for p in skipped if p < before),
            stopped_before=stopped_before,
            failure=failure,
        )

    def _track(
        self,
        conn: Conn,
        generation: int,
        position: int,
        *,
        notify: bool,
        stopped_before: int | None = None,
    ) -> None:
        conn.execute(
            "UPDATE ledger_projection_tracking SET position = %s, stopped_before = %s, "
            "updated_at = now() WHERE name = %s AND generation = %s",
            (position, stopped_before, self.name, generation),
        )
        if notify:
            notify_projected(conn, self.name, generation, position)


def split_skipped(rows: Sequence[Row]) -> tuple[list[Row], tuple[int, ...]]:
    """The rows to apply, and the positions of those an operator skipped."""
    if not any(r[5] for r in rows):
        return list(rows), ()
    return [r for r in rows if not r[5]], tuple(int(r[0]) for r in rows if r[5])


def lock_tracking(conn: Conn, name: str, generation: int) -> Tracked:
    """Lock a generation's tracking row (creating it at 0 if missing) and read its position and
    whether it is stopped."""
    row = conn.execute(_TRACKING, (name, generation)).fetchone()
    if row is None:
        conn.execute(
            "INSERT INTO ledger_projection_tracking (name, generation) VALUES (%s, %s) "
            "ON CONFLICT DO NOTHING",
            (name, generation),
        )
        row = conn.execute(_TRACKING, (name, generation)).fetchone()
        assert row is not None
    return Tracked(int(row[0]), None if row[1] is None else int(row[1]))


def notify_projected(conn: Conn, name: str, generation: int, position: int) -> None:
    conn.execute("SELECT pg_notify(%s, %s)", (PROJECTED_CHANNEL, f"{name}:{generation}:{position}"))
