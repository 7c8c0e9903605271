"""One batch of the log into one generation of a view: the step under the projector and rebuild.

Why batches: a commit per event caps a projection at ≈2.7k events/s
(`shared/reference/performance-baselines.md` §3f). Here one transaction holds a whole batch: the
view rows `Projection.apply` writes, the new tracking position and, for the live generation, a
`NOTIFY ledger_projected`. A crash before the commit redoes the batch; after it, nothing.

Why "after the tracked position" never skips: the events' insert lock makes commit order equal
notification order, so once an id is visible every smaller id that will ever commit is visible
too (tests/integration/test_log_order.py). A projection that reads only some topics still moves
its position to the head it saw, so waiting for any position resolves and nothing is re-scanned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from eventsourcing.persistence import StoredEvent

from ledger.projections.base import ProjectedEvent, Projection
from ledger.store.events import MsgspecMapper

PROJECTED_CHANNEL = "ledger_projected"
"""Payload `<name>:<generation>:<position>`, sent by the live generation's batches and the swap."""
DEFAULT_BATCH = 5_000

Conn = psycopg.Connection[tuple[Any, ...]]
Cursor = psycopg.Cursor[tuple[Any, ...]]

_SELECT = (
    "SELECT notification_id, originator_id, originator_version, topic, state FROM ledger_events "
    "WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
)
# The head and the matching events in one statement, hence one snapshot: every event up to the
# head that matches is in the result unless the batch is full.
_SELECT_TOPICS = (
    "SELECT h.head, e.notification_id, e.originator_id, e.originator_version, e.topic, e.state "
    "FROM (SELECT max(notification_id) AS head FROM ledger_events) h LEFT JOIN LATERAL ("
    "  SELECT notification_id, originator_id, originator_version, topic, state FROM ledger_events"
    "  WHERE notification_id > %s AND topic = ANY(%s) ORDER BY notification_id LIMIT %s"
    ") e ON true ORDER BY e.notification_id"
)
_LIVE = "SELECT generation FROM ledger_projections WHERE name = %s FOR KEY SHARE"
_TRACKING = (
    "SELECT position FROM ledger_projection_tracking WHERE name = %s AND generation = %s FOR UPDATE"
)


@dataclass(frozen=True)
class Batch:
    generation: int
    events: int
    """Events handed to `apply` (those of the projection's topics)."""
    position: int
    """The tracking position after the batch."""
    full: bool
    """The read hit the batch size: more may be waiting."""


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
            conn.execute(
                "INSERT INTO ledger_projections (name, generation) VALUES (%s, 1) "
                "ON CONFLICT DO NOTHING",
                (self.name,),
            )
            row = conn.execute(_LIVE, (self.name,)).fetchone()
            assert row is not None
        return int(row[0])

    def _advance(self, conn: Conn, generation: int, position: int, *, notify: bool) -> Batch:
        """Read, decode and apply the events after `position`, and move the tracking row (whose
        lock the caller holds)."""
        rows, full, reached = self._rows(self._read(conn, position), position)
        self._apply(conn, generation, rows)
        if reached != position:
            self._track(conn, generation, reached, notify=notify)
        return Batch(generation, len(rows), reached, full)

    def _read(self, conn: Conn, position: int) -> Cursor:
        if self.topics is None:
            return conn.execute(_SELECT, (position, self.batch_size), binary=True)
        return conn.execute(_SELECT_TOPICS, (position, self.topics, self.batch_size), binary=True)

    def _rows(self, read: Cursor, position: int) -> tuple[list[tuple[Any, ...]], bool, int]:
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

    def _apply(self, conn: Conn, generation: int, rows: list[tuple[Any, ...]]) -> None:
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
                for n, originator_id, version, topic, state in rows
            ]
            with conn.cursor() as cur:
                self.projection.apply(cur, generation, events)

    def _track(self, conn: Conn, generation: int, position: int, *, notify: bool) -> None:
        conn.execute(
            "UPDATE ledger_projection_tracking SET position = %s, updated_at = now() "
            "WHERE name = %s AND generation = %s",
            (position, self.name, generation),
        )
        if notify:
            notify_projected(conn, self.name, generation, position)


def lock_tracking(conn: Conn, name: str, generation: int) -> int:
    """Lock a generation's tracking row (creating it at 0 if missing) and read its position."""
    row = conn.execute(_TRACKING, (name, generation)).fetchone()
    if row is None:
        conn.execute(
            "INSERT INTO ledger_projection_tracking (name, generation) VALUES (%s, %s) "
            "ON CONFLICT DO NOTHING",
            (name, generation),
        )
        row = conn.execute(_TRACKING, (name, generation)).fetchone()
        assert row is not None
    return int(row[0])


def notify_projected(conn: Conn, name: str, generation: int, position: int) -> None:
    conn.execute("SELECT pg_notify(%s, %s)", (PROJECTED_CHANNEL, f"{name}:{generation}:{position}"))
