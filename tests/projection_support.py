"""A small projection for testing the projection runtime, and a fast way to fill the log.

`Counts` counts events per originator into `test_counts` (a view table with the leading
`generation` column every view has). `Ping` is a stored-event shape `MsgspecMapper` decodes, so
the log can be filled by COPY in a blink. Both are importable by a `ledger worker` subprocess
(PYTHONPATH = the repository, LEDGER_EXTRA_PROJECTIONS=tests.projection_support:Counts).
`Fussy` is `Counts` with a bug: it cannot apply the Pings whose `n` it is told to refuse (in
process, `Fussy.refused`; in a subprocess, the file LEDGER_TEST_FUSSY_ABOUT names).
`fresh_ledger` and `owner_connection` are the `ledger` and `owner` fixtures of a module that
makes its own `database`.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.utils import get_topic

from ledger.application.service import Ledger
from ledger.config.settings import Settings
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


FUSSY_ABOUT = "LEDGER_TEST_FUSSY_ABOUT"
"""Environment variable: the file listing (one per line) the Ping numbers `Fussy` refuses."""


class Fussy(Counts):
    """`Counts` with a bug: a batch holding a Ping whose `n` is in `refused` (or listed in the
    file LEDGER_TEST_FUSSY_ABOUT names) fails, after writing its rows, as a real failure would.
    Emptying them is the fix."""

    refused: ClassVar[set[int]] = set()

    def apply(
        self, cur: psycopg.Cursor[Any], generation: int, events: Sequence[ProjectedEvent]
    ) -> None:
        super().apply(cur, generation, events)
        refused = self.refused | _listed()
        if bad := [e for e in events if getattr(e.event, "n", None) in refused]:
            raise ValueError(f"cannot count ping {bad[0].event.n}")


def _listed() -> set[int]:
    path = os.environ.get(FUSSY_ABOUT)
    if not path or not Path(path).exists():
        return set()
    return {int(line) for line in Path(path).read_text().split()}


def refuse(path: Path, *numbers: int) -> None:
    """Make `Fussy` refuse these Ping numbers (none: the bug is fixed)."""
    path.write_text("".join(f"{n}\n" for n in numbers))


def make_view(database: Database, table: str = "test_counts") -> None:
    """The view table, made by the owner as a migration would, and granted to the app role."""
    with psycopg.connect(database.owner_conninfo, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {table} (generation int NOT NULL, originator_id uuid NOT NULL, "
            "events int NOT NULL, last_position bigint NOT NULL, "
            "PRIMARY KEY (generation, originator_id))"
        )
        conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO ledger_app")


def fill_log(database: Database, events: int, per_originator: int = 10, first: int = 0) -> None:
    """COPY `events` Pings (numbered from `first`) into the log as the owner (a bulk path, as
    the benchmarks use)."""
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
                state = f'{{"timestamp":"{now}","n":{first + i}}}'.encode()
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


def failures(conn: psycopg.Connection[Any], name: str | None = None) -> list[dict[str, Any]]:
    """The recorded failures (of one projection), as dicts, oldest event first."""
    cur = conn.execute(
        "SELECT * FROM ledger_projection_failures WHERE %s::text IS NULL OR name = %s "
        "ORDER BY name, position",
        (name, name),
    )
    columns = [c.name for c in cur.description or ()]
    return [dict(zip(columns, row, strict=True)) for row in cur.fetchall()]


def stopped_before(conn: psycopg.Connection[Any], name: str) -> int | None:
    """The event the live generation of `name` is stopped before (None: it goes on)."""
    row = conn.execute(
        "SELECT t.stopped_before FROM ledger_projections p JOIN ledger_projection_tracking t "
        "ON t.name = p.name AND t.generation = p.generation WHERE p.name = %s",
        (name,),
    ).fetchone()
    return None if row is None else row[0]


def wait_until(check: Any, timeout: float = 30.0, every: float = 0.05) -> Any:
    """Poll `check()` until it returns something truthy (returned), or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while not (found := check()):
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {check}"
        time.sleep(every)
    return found


@pytest.fixture(name="ledger")
def fresh_ledger(settings: Settings, database: Database) -> Iterator[Ledger]:
    """A `Ledger` on the test module's own `database`, per test (conftest's is per session).
    Import it into a module that defines its own `database`."""
    app = Ledger(settings, database)
    yield app
    app.close()


@pytest.fixture(name="owner")
def owner_connection(database: Database) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection as the database's owner."""
    with psycopg.connect(database.owner_conninfo, autocommit=True) as conn:
        yield conn
