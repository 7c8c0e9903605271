"""Projection benchmark: catch-up from zero, batched against per-event, and read-your-writes.

    uv run python ops/bench/projections.py [--quick] [--events N] [--projection module:Class]

One run makes a fresh database (embedded PostgreSQL in a temp dir, or a new database on the
server in LEDGER_BENCH_DATABASE_URL), fills ledger_events with 200,000 case events (--quick:
50,000) by COPY, measures (1) to (3) below, prints a table with ratios and budgets, and drops
the database. Nothing is written to the repository.

(1) `Projector.catch_up()` from position 0 over the whole log: one transaction per batch of
    5,000 events (view rows + tracking position). Baseline for information: the same reads and
    decoding with no view writes.
(2) The library's per-event pattern over the same log: eventsourcing's `ProjectionRunner`
    following the log through its subscription, with a `PostgresTrackingRecorder` view that
    writes the view rows and the tracking row in one transaction per event. Both call the same
    `Projection.apply` (here with one event at a time), so both do the same view work; the two
    views are compared row for row at the end.
(3) Read-your-writes: 16 writer threads `Ledger.append` (group commit) while a live projector
    runs in this process; after each write, the time until `PositionWaiter.wait` reports the
    view caught up to the write's position (p50 / p99).

The projection is the `BenchCases` stand-in below (one row per case: number, centre,
department, status, counters; upserted per batch), or any `module:Class` given with
--projection whose view tables exist after the migrations (e.g.
`ledger.projections.cases:CasesProjection`); if it has a `table` attribute the two views of (1)
and (2) are compared. Reuses append.py's and notary.py's machinery: run it from the repository
root as above. See ops/bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from append import (
    CLERK,
    Cpu,
    Result,
    Run,
    checkpointer,
    fresh_database,
    log,
    machine_fact,
    percentile,
    quiet_ledger_logging,
    run_and_print,
    server_facts,
    verdict,
)
from eventsourcing.application import Application
from eventsourcing.domain import DomainEvent
from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.projection import Projection as LibraryProjection
from eventsourcing.projection import ProjectionRunner
from eventsourcing.utils import get_topic
from notary import Autovacuum, check_shape, cpu_note, prefill, source_revision
from psycopg.rows import tuple_row

from ledger.application import Ledger
from ledger.database import database_for, eventsourcing_env
from ledger.domain.case import Case
from ledger.domain.values import Channel, Matter, Priority
from ledger.projections.base import ProjectedEvent, Projection
from ledger.projections.runtime import DEFAULT_BATCH, ProjectionWorker, Projector
from ledger.projections.waiter import PositionWaiter
from ledger.settings import Settings
from ledger.store import MsgspecMapper

BUDGET_SPEEDUP = 20.0  # ours / the library's per-event pattern, events/s
BUDGET_RYW_P99_MS = 50.0
WRITERS = 16
CASES_PER_WRITER = 4
RYW_WARMUP = 1.0  # seconds of writes not counted
LIBRARY_GENERATION = 0  # the per-event run writes its rows here; ours is the live generation
SCRATCH_GENERATION = 99  # ours again, over exactly the events the per-event run reached
WAIT_TIMEOUT = 5.0
COMMIT_BASELINE_EVENTS = 3_000


@dataclass(frozen=True)
class Plan:
    mode: str
    events: int
    ryw_seconds: float
    library_seconds: float | None
    """Cap on the per-event run (None: the whole log, which takes minutes at ~1-3k events/s)."""
    custom_events: bool = False

    @classmethod
    def for_mode(cls, quick: bool, events: int | None, library_seconds: float | None) -> Plan:
        n = events or (50_000 if quick else 200_000)
        return cls(
            "quick" if quick else "full",
            n,
            5.0 if quick else 10.0,
            library_seconds,
            custom_events=events is not None,
        )


# --- the view both runs build -------------------------------------------------------------------

CASE_TOPICS = frozenset(
    get_topic(cls)
    for cls in vars(Case).values()
    if isinstance(cls, type) and issubclass(cls, DomainEvent)
)
STATUS = {
    "Accepted": "accepted",
    "AcceptanceRefused": "refused",
    "Completed": "completed",
    "Reopened": "reopened",
    "Withdrawn": "withdrawn",
}


class BenchCases:
    """A stand-in for the cases view: one row per case, upserted once per batch."""

    name: ClassVar[str] = "bench_cases"
    topics: ClassVar[frozenset[str] | None] = CASE_TOPICS
    table: ClassVar[str] = "bench_cases"

    def apply(
        self, cur: psycopg.Cursor[Any], generation: int, events: Sequence[ProjectedEvent]
    ) -> None:
        rows: dict[UUID, list[Any]] = {}
        for projected in events:
            e: Any = projected.event
            row = rows.get(e.originator_id)
            if row is None:
                # case_no, centre, department, status, events, visits, version, position, at
                row = rows[e.originator_id] = [None, None, None, None, 0, 0, 0, 0, None]
            kind = type(e).__name__
            if kind == "Registered":
                row[0:4] = [e.case_no, e.centre, e.department, "registered"]
            elif kind == "VisitRecorded":
                row[5] += 1
            elif kind in STATUS:
                row[3] = STATUS[kind]
            row[4] += 1
            row[6:9] = [e.originator_version, projected.position, e.timestamp]
        columns = list(zip(*rows.values(), strict=True))
        cur.execute(
            "INSERT INTO bench_cases AS v (generation, case_id, case_no, centre, department, "
            "status, events, visits, version, last_position, updated_at) "
            "SELECT %s, * FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::text[], "
            "%s::text[], %s::int[], %s::int[], %s::int[], %s::bigint[], %s::timestamptz[]) "
            "ON CONFLICT (generation, case_id) DO UPDATE SET "
            "case_no = coalesce(excluded.case_no, v.case_no), "
            "centre = coalesce(excluded.centre, v.centre), "
            "department = coalesce(excluded.department, v.department), "
            "status = coalesce(excluded.status, v.status), events = v.events + excluded.events, "
            "visits = v.visits + excluded.visits, version = excluded.version, "
            "last_position = excluded.last_position, updated_at = excluded.updated_at",
            (generation, list(rows), *(list(c) for c in columns)),
        )

    def clear(self, cur: psycopg.Cursor[Any], generation: int) -> None:
        cur.execute("DELETE FROM bench_cases WHERE generation = %s", (generation,))


BENCH_VIEW = """
CREATE TABLE bench_cases (
    generation int NOT NULL, case_id uuid NOT NULL, case_no text, centre text, department text,
    status text, events int NOT NULL, visits int NOT NULL, version int NOT NULL,
    last_position bigint NOT NULL, updated_at timestamptz, PRIMARY KEY (generation, case_id)
)
"""


def load_projection(path: str | None) -> Projection:
    if path is None:
        return BenchCases()
    module, _, name = path.partition(":")
    made = getattr(importlib.import_module(module), name)
    return made() if isinstance(made, type) else made  # type: ignore[no-any-return]


def view_rows(conninfo: str, table: str, generation: int) -> list[str]:
    """A generation's rows without the generation column, sorted: equal lists, equal views."""
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            f"SELECT (to_jsonb(v) - 'generation')::text FROM {table} v WHERE generation = %s",
            (generation,),
        ).fetchall()
    return sorted(r[0] for r in rows)


def head(conninfo: str) -> int:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SELECT coalesce(max(notification_id), 0) FROM ledger_events")
        found = row.fetchone()
    assert found is not None
    return int(found[0])


# --- (1) ours -----------------------------------------------------------------------------------


def read_decode_baseline(conninfo: str, topics: list[str] | None, batch: int) -> float:
    """The projector's reads and decoding, batch after batch, with no view writes."""
    mapper = MsgspecMapper()
    last = 0
    started = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        while True:
            rows = conn.execute(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM ledger_events WHERE notification_id > %s "
                + ("AND topic = ANY(%s) " if topics is not None else "")
                + "ORDER BY notification_id LIMIT %s",
                (last, topics, batch) if topics is not None else (last, batch),
                binary=True,
            ).fetchall()
            for _, originator_id, version, topic, state in rows:
                mapper.to_domain_event(
                    StoredEvent(
                        originator_id=originator_id,
                        originator_version=version,
                        topic=topic,
                        state=state,
                    )
                )
            if len(rows) < batch:
                break
            last = rows[-1][0]
    return time.perf_counter() - started


def ours(run: Run, conninfo: str, owner: str, projection: Projection, events: int) -> Result:
    projector = Projector(conninfo, projection, batch_size=DEFAULT_BATCH)
    try:
        with Autovacuum(owner) as autovacuum, Cpu(os.getpid(), run.ours) as cpu:
            t0 = time.perf_counter()
            position = projector.catch_up()
            seconds = time.perf_counter() - t0
    finally:
        projector.close()
    return Result(
        label=f"Projector.catch_up(), batch {DEFAULT_BATCH:,}",
        ops=events,
        seconds=seconds,
        p50_ms=float("nan"),
        p99_ms=float("nan"),
        note=f"to position {position:,}; " + cpu_note(cpu) + autovacuum.describe(),
        others_pct=cpu.others_pct,
    )


# --- (2) the library's per-event pattern --------------------------------------------------------


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
    with Autovacuum(owner) as autovacuum:
        t0 = time.perf_counter()
        with ProjectionRunner(
            application_class=LedgerLog, projection_class=PerEvent, view_class=PerEventView, env=env
        ) as runner:
            # CPU is read while the runner's threads live (a thread's CPU leaves /proc with it).
            with Cpu(os.getpid(), run.ours) as cpu, suppress(TimeoutError):
                runner.wait(target, timeout=cap or 3600)
            seconds = time.perf_counter() - t0
            timed = runner.view.max_tracking_id(runner.app_name) or 0
    # Stopping lets the event in hand finish: the view's final position, once stopped.
    with psycopg.connect(owner) as conn:
        final = conn.execute(
            "SELECT notification_id FROM bench_per_event_tracking WHERE application_name = %s",
            (LedgerLog.name,),
        ).fetchone()
        assert final is not None
        counted = conn.execute(
            "SELECT count(*) FILTER (WHERE notification_id <= %s), count(*) "
            "FROM ledger_events WHERE notification_id <= %s",
            (timed, final[0]),
        ).fetchone()
    assert counted is not None
    events, reached = int(counted[0]), int(counted[1])
    covered = "the whole log" if timed == target else f"stopped after {cap:g} s"
    return LibraryRun(
        Result(
            label="ProjectionRunner, one transaction per event",
            ops=events,
            seconds=seconds,
            p50_ms=float("nan"),
            p99_ms=float("nan"),
            note=f"{events:,} events ({covered}); " + cpu_note(cpu) + autovacuum.describe(),
            others_pct=cpu.others_pct,
        ),
        position=int(final[0]),
        events=reached,
    )


def compare_views(conninfo: str, owner: str, projection: Projection, run: LibraryRun) -> str:
    """The per-event run's rows against ours over exactly the same events: a scratch generation
    built by one batch of the events the per-event run reached (then discarded)."""
    table = getattr(projection, "table", None)
    if table is None:
        return "views not compared: the projection names no `table`"
    scratch = Projector(conninfo, projection, batch_size=max(1, run.events))
    try:
        built = scratch.build_step(SCRATCH_GENERATION)
        a = view_rows(owner, table, SCRATCH_GENERATION)
        b = view_rows(owner, table, LIBRARY_GENERATION)
        scratch.discard(SCRATCH_GENERATION)
    finally:
        scratch.close()
    if built.position != run.position:
        return f"views not compared: one batch reached {built.position}, not {run.position}"
    same = "identical" if a == b else f"DIFFERENT ({len(a):,} vs {len(b):,} rows)"
    return (
        f"views over the {run.events:,} events the per-event run projected, ours (one batch) "
        f"and its (one transaction each): {len(b):,} rows, {same}"
    )


# --- (3) read-your-writes -----------------------------------------------------------------------


@dataclass
class Ryw:
    waits: list[float] = field(default_factory=list)
    writes: list[float] = field(default_factory=list)
    timeouts: int = 0
    batches: int = 0


def read_your_writes(
    run: Run, settings: Settings, owner: str, projection: Projection, seconds: float
) -> tuple[Result, Result]:
    """16 writers append; each then waits for the live projection to reach its position."""
    database = database_for(owner, settings)
    ledger = Ledger(settings, database)
    run.apps.append(ledger)
    conninfo = database.app_conninfo
    cases = [[register(ledger) for _ in range(CASES_PER_WRITER)] for _ in range(WRITERS)]
    worker = ProjectionWorker(conninfo, [projection]).start()
    waiter = PositionWaiter(conninfo).start()
    Projector(conninfo, projection).catch_up()  # the registrations: start in step
    loop = asyncio.new_event_loop()
    loop_thread = threading.Thread(target=loop.run_forever, name="ryw-loop", daemon=True)
    loop_thread.start()
    results = [Ryw() for _ in range(WRITERS)]
    begin = time.perf_counter()
    counting = begin + RYW_WARMUP
    deadline = counting + seconds

    def write(i: int) -> None:
        own, ryw = cases[i], results[i]
        k = 0
        while (now := time.perf_counter()) < deadline:
            position = ledger.append(own[k % len(own)], CLERK, "VisitRecorded").position
            written = time.perf_counter()
            try:
                asyncio.run_coroutine_threadsafe(
                    waiter.wait(projection.name, position, WAIT_TIMEOUT), loop
                ).result()
            except Exception:
                ryw.timeouts += 1
            if now >= counting:
                ryw.writes.append(written - now)
                ryw.waits.append(time.perf_counter() - written)
            k += 1

    threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(max(0.0, counting - time.perf_counter()))
        with Cpu(os.getpid(), run.ours) as cpu:  # while the writers live: see library()
            time.sleep(max(0.0, deadline - time.perf_counter()))
        for thread in threads:
            thread.join()
    finally:
        worker.stop()
        waiter.close()
        loop.call_soon_threadsafe(loop.stop)
        loop_thread.join()
    waits = sorted(w for r in results for w in r.waits)
    writes = sorted(w for r in results for w in r.writes)
    timeouts = sum(r.timeouts for r in results)
    note = f"{WRITERS} writers; {timeouts} timed out; " + cpu_note(cpu)
    return (
        Result(
            label=f"append -> PositionWaiter.wait, {WRITERS} writers",
            ops=len(waits),
            seconds=seconds,
            p50_ms=percentile(waits, 50) * 1000,
            p99_ms=percentile(waits, 99) * 1000,
            note=note,
            others_pct=cpu.others_pct,
        ),
        Result(
            label="  (the appends themselves, for information)",
            ops=len(writes),
            seconds=seconds,
            p50_ms=percentile(writes, 50) * 1000,
            p99_ms=percentile(writes, 99) * 1000,
            note=f"max wait {waits[-1] * 1000:.1f} ms" if waits else "",
        ),
    )


def register(ledger: Ledger) -> UUID:
    return ledger.register_case(
        CLERK,
        centre="huoshan",
        channel=Channel.WINDOW,
        matter=Matter(code="SI-ARREARS", name="养老保险费补缴"),
        department="人社",
        window="2F-07",
        applicant=ledger.protect_applicant(name="李某", id_number="341525197001010020"),
        priority=Priority.NORMAL,
        statutory_limit=None,
        promised_limit=None,
        parent_case_id=None,
    ).case_id


# --- the run ------------------------------------------------------------------------------------


@dataclass
class Report:
    plan: Plan
    projection: str = ""
    facts: list[tuple[str, str]] = field(default_factory=list)
    catch_up: list[Result] = field(default_factory=list)
    ryw: list[Result] = field(default_factory=list)
    baseline_seconds: float = 0.0
    commits_per_second: float = 0.0
    extra: list[str] = field(default_factory=list)


def bench(run: Run, plan: Plan, report: Report) -> None:
    started = time.perf_counter()
    owner, where, settings, database = fresh_database(run)
    projection = load_projection(report.projection or None)
    report.projection = f"{type(projection).__module__}:{type(projection).__qualname__}"
    if isinstance(projection, BenchCases):
        with psycopg.connect(owner, autocommit=True) as conn:
            conn.execute(BENCH_VIEW)
            conn.execute(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON bench_cases TO {settings.app_role}"
            )
    report.facts += [
        ("PostgreSQL", f"{where}; {server_facts(owner)}"),
        ("database", f"{run.db_name} (fresh, migrated; dropped at the end)"),
        ("projection", report.projection),
    ]
    run.ours.watch(owner)
    checkpoint = checkpointer(owner)

    log(f"pre-filling {plan.events:,} events by COPY ...")
    filled = prefill(owner, plan.events)
    report.extra.append(
        f"pre-fill: {filled.events:,} events in {filled.cases:,} cases, COPY + VACUUM ANALYZE "
        f"{filled.seconds:.1f} s; {check_shape(owner)}"
    )
    topics = sorted(projection.topics) if projection.topics is not None else None
    log("(1) baseline: reads + decoding, no view writes ...")
    checkpoint()
    report.baseline_seconds = read_decode_baseline(database.app_conninfo, topics, DEFAULT_BATCH)
    log("(1) Projector.catch_up() from zero ...")
    checkpoint()
    report.catch_up.append(ours(run, database.app_conninfo, owner, projection, plan.events))
    log("(2) baseline: one commit per event, no view work ...")
    checkpoint()
    report.commits_per_second = commit_baseline(owner, COMMIT_BASELINE_EVENTS)
    log("(2) ProjectionRunner, one transaction per event, from zero (slow) ...")
    checkpoint()
    per_event = library(run, owner, projection, plan.library_seconds)
    report.catch_up.append(per_event.result)
    report.extra.append(compare_views(database.app_conninfo, owner, projection, per_event))
    log(f"(3) read-your-writes: {WRITERS} writers for {plan.ryw_seconds:g} s ...")
    checkpoint()
    report.ryw += read_your_writes(run, settings, owner, projection, plan.ryw_seconds)
    report.extra.append(f"total run time {time.perf_counter() - started:.0f} s")


def render(report: Report) -> str:
    ours_result, library_result = report.catch_up
    speedup = ours_result.rate / library_result.rate
    ryw = report.ryw[0]
    n = report.plan.events
    lines = [
        f"ledger projections benchmark — {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, "
        f"mode={report.plan.mode}" + (f" (--events {n:,})" if report.plan.custom_events else ""),
        *(f"  {k}: {v}" for k, v in report.facts),
        "",
        f"(1)-(2) catch-up from zero over {n:,} events{'':<14}{'events/s':>10}{'seconds':>9}"
        "  notes",
        f"  {'baseline: reads + decoding only, no view writes':<52}"
        f"{n / report.baseline_seconds:>10,.0f}{report.baseline_seconds:>9.2f}  for information",
    ]
    for x in report.catch_up:
        lines.append(f"  {x.label:<52}{x.rate:>10,.0f}{x.seconds:>9.2f}  {x.note}")
    lines.append(
        f"  {'baseline: one upsert + COMMIT per event, no view work':<52}"
        f"{report.commits_per_second:>10,.0f}{'':>9}  {COMMIT_BASELINE_EVENTS:,} commits: the "
        "ceiling of any per-event pattern here"
    )
    lines += [
        "",
        f"(3) read-your-writes{'':<34}{'p50 ms':>10}{'p99 ms':>9}{'n':>8}  notes",
        *(
            f"  {x.label:<52}{x.p50_ms:>10.2f}{x.p99_ms:>9.2f}{x.ops:>8,}  {x.note}"
            for x in report.ryw
        ),
        "",
        f"{'ratio / budget':<54}{'value':>10}  {'budget':<12}verdict",
        f"{'ours / per-event (events/s)':<54}{speedup:>10.1f}  "
        f"{'>= ' + f'{BUDGET_SPEEDUP:g}':<12}{verdict(speedup >= BUDGET_SPEEDUP)}",
        f"{'read-your-writes p99 (ms)':<54}{ryw.p99_ms:>10.2f}  "
        f"{'<= ' + f'{BUDGET_RYW_P99_MS:g}':<12}{verdict(ryw.p99_ms <= BUDGET_RYW_P99_MS)}",
        f"{'ours / reads + decoding only':<54}"
        f"{ours_result.rate * report.baseline_seconds / n:>10.2f}  {'-':<12}info",
        "",
        *(f"  {line}" for line in report.extra),
    ]
    worst = max((x.others_pct or 0.0 for x in [*report.catch_up, *report.ryw]), default=0.0)
    if worst > 10:
        lines += [
            f"  WARNING: other processes took up to {worst:.0f}% of the machine during a timed "
            "phase (see 'others' in the notes): rerun on a quiet machine before trusting it.",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="50,000 events, shorter phase (3)")
    parser.add_argument("--events", type=int, help="pre-fill this many events instead")
    parser.add_argument(
        "--library-seconds",
        type=float,
        default=30.0,
        help="cap on the per-event run, seconds; 0: the whole log [default: 30]",
    )
    parser.add_argument(
        "--projection",
        help="module:Class of the projection to measure [default: this file's BenchCases]",
    )
    args = parser.parse_args(argv)
    plan = Plan.for_mode(args.quick, args.events, args.library_seconds or None)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    quiet_ledger_logging()
    report = Report(plan, projection=args.projection or "")
    report.facts.append(machine_fact("msgspec"))
    report.facts.append(("source", source_revision()))
    return run_and_print(bench, plan, report, render)


if __name__ == "__main__":
    sys.exit(main())
