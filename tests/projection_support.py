"""A small projection for testing the projection runtime, and a fast way to fill the log.

`Counts` counts events per originator into `test_counts` (a view table with the leading
`generation` column every view has). `Ping` is a stored-event shape `MsgspecMapper` decodes, so
the log can be filled by COPY in a blink. Both are importable by a `ledger worker` subprocess
(PYTHONPATH = the repository, LEDGER_EXTRA_PROJECTIONS=tests.projection_support:Counts).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar
from uuid import UUID, uuid4

import psycopg
from eventsourcing.utils import get_topic

from ledger.projections.base import ProjectedEvent
from ledger.store.database import Database


@dataclass(frozen=True)
class Ping:
    """A minimal stored event: the envelope, the library's timestamp, and a number."""

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    n: int


PING_TOPIC = get_topic(Ping)


class Counts:
    """Events per originator, and the last position that touched each."""

    name: ClassVar[str] = "test_counts"
    topics: ClassVar[frozenset[str] | None] = None
    table: ClassVar[str] = "test_counts"
    delay: ClassVar[float] = 0.0
    """Seconds each batch sleeps after writing its rows (a batch caught in flight)."""

    def apply(
        self, cur: psycopg.Cursor[Any], generation: int, events: Sequence[ProjectedEvent]
    ) -> None:
        counts = Counter(e.event.originator_id for e in events)
        last = {e.event.originator_id: e.position for e in events}
        ids = list(counts)
        cur.execute(
            f"INSERT INTO {self.table} (generation, originator_id, events, last_position) "
            "SELECT %s, * FROM unnest(%s::uuid[], %s::int[], %s::bigint[]) "
            "ON CONFLICT (generation, originator_id) DO UPDATE "
            f"SET events = {self.table}.events + excluded.events, "
            "last_position = excluded.last_position",
            (generation, ids, [counts[i] for i in ids], [last[i] for i in ids]),
        )
        if self.delay:
            time.sleep(self.delay)

    def clear(self, cur: psycopg.Cursor[Any], generation: int) -> None:
        cur.execute(f"DELETE FROM {self.table} WHERE generation = %s", (generation,))


class SlowCounts(Counts):
    """Counts, sleeping in every batch: a worker killed in the middle of one."""

    name = "test_slow_counts"
    table = "test_slow_counts"
    delay = 0.3


def make_view(database: Database, table: str = "test_counts") -> None:
    """The view table, made by the owner as a migration would, and granted to the app role."""
    with psycopg.connect(database.owner_conninfo, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {table} (generation int NOT NULL, originator_id uuid NOT NULL, "
            "events int NOT NULL, last_position bigint NOT NULL, "
            "PRIMARY KEY (generation, originator_id))"
        )
        conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO ledger_app")


def fill_log(database: Database, events: int, per_originator: int = 10) -> None:
    """COPY `events` Pings into the log as the owner (a bulk path, as the benchmarks use)."""
    now = datetime.now(timezone.utc).isoformat()  # noqa: UP017 (house style)
    with psycopg.connect(database.owner_conninfo) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY ledger_events (originator_id, originator_version, topic, state) FROM STDIN"
        ) as copy:
            originator = uuid4()
            for i in range(events):
                version = i % per_originator + 1
                if version == 1:
                    originator = uuid4()
                state = f'{{"timestamp":"{now}","n":{i}}}'.encode()
                copy.write_row((originator, version, PING_TOPIC, state))


def view_counts(conn: psycopg.Connection[Any], table: str = "test_counts") -> dict[UUID, int]:
    """The live generation's counts, as a read joined on the registry sees them."""
    rows = conn.execute(
        f"SELECT v.originator_id, v.events FROM {table} v "
        "JOIN ledger_projections p ON p.name = %s AND v.generation = p.generation",
        (table,),
    ).fetchall()
    return dict(rows)


def log_counts(conn: psycopg.Connection[Any], up_to: int | None = None) -> dict[UUID, int]:
    """Events per originator in the log (up to a position)."""
    rows = conn.execute(
        "SELECT originator_id, count(*) FROM ledger_events "
        "WHERE notification_id <= coalesce(%s, 9223372036854775807) GROUP BY originator_id",
        (up_to,),
    ).fetchall()
    return dict(rows)
