"""(2) the library's per-event pattern: eventsourcing's `ProjectionRunner` with a view that
writes each event's rows and its tracking row in one transaction; the commit-rate ceiling under
it; and the check that it built the same view rows as ours."""

from __future__ import annotations

import os
import time
from contextlib import suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.persistence import Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import Projection as LibraryProjection
from eventsourcing.projection import ProjectionRunner
from psycopg.rows import tuple_row
from support.cpu import Cpu, cpu_note
from support.timing import throughput

from ledger.projections.base import ProjectedEvent
from ledger.projections.projector import Projector
from ledger.store.database import eventsourcing_env
from ledger.store.events import MsgspecMapper
from projections_bench.views import Vacuums, head, view_rows, view_tables

if TYPE_CHECKING:
    from support.run import Run
    from support.timing import Result

    from ledger.projections.base import Projection

LIBRARY_GENERATION = 0  # the per-event run writes its rows here; ours is the live generation
SCRATCH_GENERATION = 99  # ours again, over exactly the events the per-event run reached


def commit_baseline(owner: str, count: int) -> float:
    """What one commit per event costs here with no view work at all: a one-row tracking-style
    upsert in its own transaction, `count` times; returns commits/s. Bounds (2) from above."""
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_commits (name text PRIMARY KEY, position bigint)")
        t0 = time.perf_counter()
        for i in range(count):
            with conn.transaction():
                conn.execute(
                    "INSERT INTO bench_commits VALUES ('x', %s) ON CONFLICT (name) "
                    "DO UPDATE SET position = excluded.position",
                    (i,),
                )
        seconds = time.perf_counter() - t0
        conn.execute("DROP TABLE bench_commits")
    return count / seconds


class LedgerLog(Application[UUID]):
    """The ledger's log as a plain eventsourcing application, as ProjectionRunner follows it,
    decoding with the ledger's own mapper."""

    name = "Ledger"  # ledger_events

    def construct_mapper(self) -> MsgspecMapper:  # type: ignore[override]
        return MsgspecMapper()


class PerEventView(PostgresTrackingRecorder):
    """A materialised view in the library's style: each event's view rows and its tracking row
    in one transaction of their own."""

    projection: ClassVar[Any] = None

    def project(self, domain_event: Any, tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as curs:
            with curs.connection.cursor(row_factory=tuple_row) as cur:
                self.projection.apply(
                    cur,
                    LIBRARY_GENERATION,
                    [ProjectedEvent(position=tracking.notification_id, event=domain_event)],
                )
            self._insert_tracking(curs, tracking)


class PerEvent(LibraryProjection[PerEventView]):
    name = "bench_per_event"
    topics: tuple[str, ...] = ()

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.project(domain_event, tracking)


@dataclass
class LibraryRun:
    result: Result
    position: int
    """Where it stopped (the whole log, or what it reached within the time cap)."""
    events: int
    """The events up to `position`."""


def library(run: Run, owner: str, projection: Projection, cap: float | None) -> LibraryRun:
    """ProjectionRunner from zero towards the head, for at most `cap` seconds (its rate is
    bound by commits, not by the log's size). Runs as the owner role: the library creates its
    tracking table itself."""
    PerEventView.projection = projection
    PerEvent.topics = tuple(sorted(projection.topics)) if projection.topics is not None else ()
    env = {
        **eventsourcing_env(owner),
        "CREATE_TABLE": "false",  # the ledger's tables exist
        "BENCH_PER_EVENT_CREATE_TABLE": "true",  # the view's tracking table
        "POSTGRES_POOL_SIZE": "2",
    }
    target = head(owner)
    with Vacuums(owner) as autovacuum:
        t0 = time.perf_counter()
        with ProjectionRunner(
            application_class=LedgerLog, projection_class=PerEvent, view_class=PerEventView, env=env
        ) as runner:
            # CPU is read while the runner's threads live (a thread's CPU leaves /proc with it).
            with Cpu(os.getpid(), run.ours) as cpu, suppress(TimeoutError):
                runner.wait(target, timeout=cap or 3600)
            seconds = time.perf_counter() - t0
            timed = runner.view.max_tracking_id(runner.app_name) or 0
    # Stopping lets the event in hand finish: the view's final position, once stopped. The
    # events counted are those the runner handed to the view (its topics).
    topics = sorted(projection.topics) if projection.topics is not None else None
    with psycopg.connect(owner) as conn:
        final = conn.execute(
            "SELECT notification_id FROM bench_per_event_tracking WHERE application_name = %s",
            (LedgerLog.name,),
        ).fetchone()
        assert final is not None
        counted = conn.execute(
            "SELECT count(*) FILTER (WHERE notification_id <= %s), count(*) "
            "FROM ledger_events WHERE notification_id <= %s"
            + (" AND topic = ANY(%s)" if topics is not None else ""),
            (timed, final[0], topics) if topics is not None else (timed, final[0]),
        ).fetchone()
    assert counted is not None
    events, reached = int(counted[0]), int(counted[1])
    covered = "the whole log" if timed == target else f"stopped after {cap:g} s"
    return LibraryRun(
        throughput(
            "ProjectionRunner, one transaction per event",
            events,
            seconds,
            f"{events:,} events ({covered}); " + cpu_note(cpu) + autovacuum.describe(),
            cpu.others_pct,
        ),
        position=int(final[0]),
        events=reached,
    )


def compare_views(conninfo: str, owner: str, projection: Projection, run: LibraryRun) -> str:
    """The per-event run's rows against ours over exactly the same events: a scratch generation
    built by one batch of the events the per-event run reached (then discarded), every view
    table compared row for row."""
    tables = view_tables(projection)
    if not tables:
        return "views not compared: the projection names no `tables` or `table`"
    scratch = Projector(conninfo, projection, batch_size=max(1, run.events))
    try:
        built = scratch.build_step(SCRATCH_GENERATION)
        compared = [
            (
                table,
                view_rows(owner, table, SCRATCH_GENERATION),
                view_rows(owner, table, LIBRARY_GENERATION),
            )
            for table in tables
        ]
        scratch.discard(SCRATCH_GENERATION)
    finally:
        scratch.close()
    if built.position != run.position or built.events != run.events:
        return (
            f"views not compared: one batch reached {built.position} ({built.events} events), "
            f"not {run.position} ({run.events})"
        )
    same = all(a == b for _, a, b in compared)
    counts = ", ".join(
        f"{table} {len(b):,}" + ("" if a == b else f" (DIFFERENT: ours {len(a):,})")
        for table, a, b in compared
    )
    return (
        f"views over the {run.events:,} events the per-event run projected, ours (one batch) "
        f"and its (one transaction each): {'identical' if same else 'DIFFERENT'}, rows: {counts}"
    )
