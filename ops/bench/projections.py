"""Projection benchmark: catch-up from zero, batched against per-event, and read-your-writes.

    uv run python ops/bench/projections.py [--quick] [--events N] [--projection module:Class]

One run makes a fresh database (embedded PostgreSQL in a temp dir, or a new database on the
server in LEDGER_BENCH_DATABASE_URL), fills ledger_events with 200,000 case events (--quick:
50,000) by COPY, measures (1) to (3) below, prints a table with ratios and budgets, and drops
the database. Nothing is written to the repository.

The projection is the real cases view, `ledger.projections.cases:CasesProjection` (view_cases,
view_handoffs, view_interventions), unless --projection names another `module:Class` whose view
tables exist after the migrations, or `BenchCases` (the one-table stand-in below).

The pre-fill is the demo's synthetic traffic (`ledger.demo.synthetic`: notices, hand-offs,
pauses, extensions, refusals, late and open cases, interventions), CASES_PER_MONTH cases a month,
month after month up to the last full one. Each plan is decided by a bare `Case` aggregate, with
no database: `Case.register`, then `Case.append` with the centre's `Timing` for every step, each
body converted as the API converts it (`ledger.demo.commands`, which the view tests use too);
steps later than now are dropped, as the tests drop them. The events are encoded by the ledger's
`MsgspecMapper` and COPYed into ledger_events in the order they happened (each case's events in
order; between cases, by business time). The case-number series and index aggregates
(`CaseNumberSeries`, `CaseNumber`) are not written: the views read only case events. Case
numbers are issued in registration order per centre and year, in the series' format. Each
event's recorded `timestamp` is the pre-fill's own clock (no view reads it).

(1) `Projector.catch_up()` from position 0 over the whole log: one transaction per batch of
    5,000 events (view rows + tracking position), into view tables that start empty and are not
    analysed meanwhile (a first build). Baseline for information: the same reads and decoding
    with no view writes. The note gives the time Python's cyclic GC took meanwhile. Then the view
    tables are analysed, as autovacuum soon does on a live view, before (2) and (3).
(2) The library's per-event pattern over the same log: eventsourcing's `ProjectionRunner`
    following the log through its subscription, with a `PostgresTrackingRecorder` view that
    writes the view rows and the tracking row in one transaction per event, for at most
    --library-seconds. Both call the same `Projection.apply` (here with one event at a time), so
    both do the same view work; then ours builds a scratch generation from exactly the events
    the per-event run reached, and every view table is compared row for row.
(3) Read-your-writes: 16 writer threads replay synthetic cases of the current month through
    `Ledger.register_case` and `Ledger.append` (group commit; registrations, visits, notices,
    hand-offs, clock moves, completions, as they come) while a live projector runs in this
    process; after each write, the time until `PositionWaiter.wait` reports the view caught up
    to the write's position (p50 / p99). The ledger's series issue these cases' numbers from 1
    again (the pre-fill wrote no series), so they repeat pre-filled numbers; nothing here needs
    them unique.

Reuses append.py's and notary.py's machinery: run it from the repository root as above. See
ops/bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import importlib
import itertools
import math
import os
import sys
import threading
import time
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from append import (
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
from notary import Autovacuum, check_shape, cpu_note, source_revision
from psycopg.rows import tuple_row

from ledger.application.service import Ledger
from ledger.config.settings import Settings
from ledger.demo import last_full_month
from ledger.demo.commands import as_actor, command, registration
from ledger.demo.plan import BEIJING, CasePlan
from ledger.demo.synthetic import CaseDraw, WorkingDays, national_calendar
from ledger.domain.case import Case
from ledger.domain.case_number import series_year
from ledger.domain.personal_data import protect_applicant
from ledger.projections.base import ProjectedEvent, Projection
from ledger.projections.runtime import DEFAULT_BATCH, ProjectionWorker, Projector
from ledger.projections.waiter import PositionWaiter
from ledger.rules.calendars import policy_dir
from ledger.rules.time_limits import Policies
from ledger.store.database import database_for, eventsourcing_env
from ledger.store.events import MsgspecMapper

BUDGET_SPEEDUP = 20.0  # ours / the library's per-event pattern, events/s
BUDGET_RYW_P99_MS = 50.0
WRITERS = 16
RYW_WARMUP = 1.0  # seconds of writes not counted
RYW_COOLDOWN = 0.5  # seconds the writers go on after the counted ones, while their CPU is read
LIBRARY_GENERATION = 0  # the per-event run writes its rows here; ours is the live generation
SCRATCH_GENERATION = 99  # ours again, over exactly the events the per-event run reached
WAIT_TIMEOUT = 5.0
COMMIT_BASELINE_EVENTS = 3_000
CASES_PER_MONTH = 10_000  # the five synthetic centres together: ~450 a working day
EVENTS_PER_CASE = 4.4  # the synthetic mix's mean, to choose the first month
PREFILL_SEED = 1
WRITER_SEED = 2
COPY_CHUNK = 50_000  # pre-fill rows per COPY (one transaction each)


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


# --- the pre-fill: the demo's synthetic months, decided by Case aggregates ----------------------

Row = tuple[UUID, int, str, bytes]


@dataclass
class Mix:
    """What the pre-fill wrote."""

    events: int = 0
    months: list[str] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    dropped: int = 0
    """Steps later than now, never decided (as the view tests drop them)."""
    payload_bytes: int = 0
    decide_seconds: float = 0.0
    copy_seconds: float = 0.0

    def describe(self) -> list[str]:
        cases = self.kinds["Registered"]
        share = ", ".join(
            f"{kind} {100 * n / self.events:.1f}%" for kind, n in self.kinds.most_common()
        )
        months = f"{self.months[0]}..{self.months[-1]}" if len(self.months) > 1 else self.months[0]
        return [
            f"pre-fill: {self.events:,} events of {cases:,} synthetic cases ({months}, "
            f"{CASES_PER_MONTH:,} cases a month, seed {PREFILL_SEED}; {self.dropped:,} steps "
            f"later than now dropped), {self.payload_bytes / self.events:.0f} bytes a payload: "
            f"decided by Case aggregates and encoded {self.decide_seconds:.1f} s, "
            f"COPY + VACUUM ANALYZE {self.copy_seconds:.1f} s",
            f"mix: {share}",
        ]


class SyntheticCases:
    """Synthetic plans decided by bare `Case` aggregates, step by step as `Ledger` decides them
    (the centre's `Timing` for clocks, ids minted by earlier steps filled in), no database."""

    def __init__(self, pii_key: bytes, now: datetime) -> None:
        self.now = now
        self.days = WorkingDays(national_calendar())
        self.policies = Policies(policy_dir())
        self.protect = functools.partial(protect_applicant, pii_key)
        self.mapper = MsgspecMapper()
        self.numbers: Counter[tuple[str, int]] = Counter()

    def decide(self, plan: CasePlan, mix: Mix) -> list[tuple[datetime, Row]]:
        """The case's events as rows, each with when the case had got that far (the latest
        `occurred_at` so far: a case's events keep their order when sorted by it)."""
        first, *rest = plan.steps
        fields = registration(first, self.protect)
        series = (fields["centre"], series_year(first.at))
        self.numbers[series] += 1  # the series' own format: HUOSHAN-2026-000123
        case = Case.register(
            actor=as_actor(first.by),
            case_no=f"{series[0].upper()}-{series[1]}-{self.numbers[series]:06d}",
            **fields,
        )
        timing = self.policies.timing(case.state.centre)
        minted: dict[str, Any] = {}
        for i, step in enumerate(rest):
            if step.at > self.now:
                mix.dropped += len(rest) - i
                break
            c = command(step, minted)
            minted.update(case.append(c.event_type, c.actor, c.occurred_at, timing, **c.fields))
        rows: list[tuple[datetime, Row]] = []
        latest = first.at
        for event in case.collect_events():
            stored = self.mapper.to_stored_event(event)
            latest = max(latest, event.occurred_at)  # type: ignore[attr-defined]
            row = (stored.originator_id, stored.originator_version, stored.topic, stored.state)
            rows.append((latest, row))
        return rows


def add_months(first: date, n: int) -> date:
    year, month = divmod(first.year * 12 + first.month - 1 + n, 12)
    return date(year, month + 1, 1)


def synthetic_rows(events: int, pii_key: bytes, mix: Mix) -> Iterator[Row]:
    """The first `events` events of whole synthetic months ending near the last full month, in
    the order they happened. A month's cases are merged with whatever earlier months' cases did
    after it began, so a case that goes on into the next month interleaves with its cases."""
    now = datetime.now(timezone.utc)  # noqa: UP017 (house style)
    cases = SyntheticCases(pii_key, now)
    last = date.fromisoformat(last_full_month(now.astimezone(BEIJING).date()) + "-01")
    month = add_months(last, 1 - max(1, math.ceil(events / (CASES_PER_MONTH * EVENTS_PER_CASE))))
    pending: list[tuple[datetime, int, Row]] = []
    sequence = itertools.count()  # ties keep the order they were decided in
    while True:
        begins = datetime(month.year, month.month, 1, tzinfo=BEIJING)
        if begins <= now:
            name = f"{month:%Y-%m}"
            mix.months.append(name)
            plans = [
                CaseDraw(name, PREFILL_SEED, n, cases.days).plan() for n in range(CASES_PER_MONTH)
            ]
            plans.sort(key=lambda p: p.registered_at)  # numbers in registration order
            for plan in plans:
                if plan.registered_at > now:
                    mix.dropped += len(plan.steps)
                    continue
                pending += [(at, next(sequence), row) for at, row in cases.decide(plan, mix)]
        month = add_months(month, 1)
        pending.sort()
        ends = datetime(month.year, month.month, 1, tzinfo=BEIJING)
        ready = (
            len(pending)
            if begins > now
            else next((i for i, (at, _, _) in enumerate(pending) if at >= ends), len(pending))
        )
        for _, _, row in pending[:ready]:
            yield row
            mix.events += 1
            mix.kinds[row[2].rpartition(".")[2]] += 1
            mix.payload_bytes += len(row[3])
            if mix.events == events:
                return
        del pending[:ready]
        if begins > now and not pending:
            return  # the log is shorter than asked: every case until now is in


def prefill(owner: str, events: int, pii_key: bytes) -> Mix:
    """COPY the synthetic rows in as the owner role; notification_id comes from its sequence."""
    mix = Mix()
    rows = synthetic_rows(events, pii_key, mix)
    with psycopg.connect(owner, autocommit=True) as conn:
        while True:
            t0 = time.perf_counter()
            chunk = list(itertools.islice(rows, COPY_CHUNK))
            t1 = time.perf_counter()
            mix.decide_seconds += t1 - t0
            if not chunk:
                break
            with (
                conn.cursor() as cur,
                cur.copy(
                    "COPY ledger_events (originator_id, originator_version, topic, state) "
                    "FROM STDIN (FORMAT BINARY)"
                ) as copy,
            ):
                copy.set_types(["uuid", "int8", "text", "bytea"])
                for row in chunk:
                    copy.write_row(row)
            mix.copy_seconds += time.perf_counter() - t1
            log(f"  pre-filled {mix.events:,} events")
        t0 = time.perf_counter()
        conn.execute("VACUUM (ANALYZE) ledger_events")  # hint bits set: no reader pays for them
        mix.copy_seconds += time.perf_counter() - t0
    return mix


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


DEFAULT_PROJECTION = "ledger.projections.cases:CasesProjection"
VIEW_TABLES = {
    "cases": ("view_cases", "view_handoffs", "view_interventions"),
    "pushback": (
        "view_hotline_tickets",
        "view_hotline_dispatches",
        "view_unresolved",
        "view_root_causes",
        "view_improvements",
        "view_ratings",
    ),
}
"""The tables of projections that name no `tables` (or `table`) themselves, by name."""


def load_projection(path: str | None) -> Projection:
    path = path or DEFAULT_PROJECTION
    if path == "BenchCases" or path.endswith(":BenchCases"):  # this script's, not a re-import
        return BenchCases()
    module, _, name = path.partition(":")
    made = getattr(importlib.import_module(module), name)
    return made() if isinstance(made, type) else made  # type: ignore[no-any-return]


def view_tables(projection: Projection) -> tuple[str, ...]:
    if (tables := getattr(projection, "tables", None)) is not None:
        return tuple(tables)
    if (table := getattr(projection, "table", None)) is not None:
        return (table,)
    return VIEW_TABLES.get(projection.name, ())


def view_rows(conninfo: str, table: str, generation: int) -> list[str]:
    """A generation's rows without the generation column, sorted: equal lists, equal views."""
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            f"SELECT (to_jsonb(v) - 'generation')::text FROM {table} v WHERE generation = %s",
            (generation,),
        ).fetchall()
    return sorted(r[0] for r in rows)


def analyze(owner: str, tables: Sequence[str]) -> None:
    """VACUUM (ANALYZE) the view tables, as autovacuum soon does to a live view. A view table
    that was never analysed plans the load of a batch's states (`case_id = ANY(...)`) on the
    wrong index: 8.5 ms instead of 0.25 ms for 6 cases among 46,000 rows here."""
    with psycopg.connect(owner, autocommit=True) as conn:
        for table in tables:
            conn.execute(f"VACUUM (ANALYZE) {table}")


def head(conninfo: str) -> int:
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SELECT coalesce(max(notification_id), 0) FROM ledger_events")
        found = row.fetchone()
    assert found is not None
    return int(found[0])


class Vacuums(Autovacuum):
    """Autovacuum and autoanalyze runs on the log and the view tables during a phase."""

    TABLES = ("ledger_events", "view_cases", "view_handoffs", "view_interventions", "bench_cases")


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


class GcTime:
    """Time Python's cyclic garbage collector took while this is entered (any thread)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.runs: Counter[int] = Counter()
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.runs[info["generation"]] += 1

    def __enter__(self) -> GcTime:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def describe(self, wall: float) -> str:
        runs = "/".join(str(self.runs[g]) for g in range(3))
        return f"GC {self.seconds:.2f} s ({100 * self.seconds / wall:.0f}%, gen0/1/2 runs {runs})"


def ours(run: Run, conninfo: str, owner: str, projection: Projection, events: int) -> Result:
    projector = Projector(conninfo, projection, batch_size=DEFAULT_BATCH)
    try:
        with Vacuums(owner) as autovacuum, Cpu(os.getpid(), run.ours) as cpu, GcTime() as gct:
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
        note=f"to position {position:,}; {gct.describe(seconds)}; "
        + cpu_note(cpu)
        + autovacuum.describe(),
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


# --- (3) read-your-writes -----------------------------------------------------------------------


@dataclass
class Ryw:
    waits: list[float] = field(default_factory=list)
    writes: list[float] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    timeouts: int = 0
    refused: int = 0


def writer_plans(i: int, days: WorkingDays, now: datetime) -> Iterator[CasePlan]:
    """Writer i's cases: every WRITERS-th synthetic case of the current month registered by now."""
    month = f"{now.astimezone(BEIJING):%Y-%m}"
    for n in itertools.count(i, WRITERS):
        plan = CaseDraw(month, WRITER_SEED, n, days).plan()
        if plan.registered_at <= now:
            yield plan


@dataclass
class Writer:
    """One writer thread: its cases' steps through `Ledger`, each followed by a wait for the view
    (as a client that sends `Ledger-Position` back reads its own write)."""

    ledger: Ledger
    waiter: PositionWaiter
    loop: asyncio.AbstractEventLoop
    projection: str
    plans: Iterator[CasePlan]
    now: datetime
    counting: float
    deadline: float
    """Writes started in [counting, deadline) are counted; the writers stop RYW_COOLDOWN later,
    so that they are still alive when the phase's CPU is read (a thread's CPU leaves /proc with
    it)."""
    ryw: Ryw = field(default_factory=Ryw)

    def run(self) -> None:
        for plan in self.plans:
            first, *rest = plan.steps
            fields = registration(first, self.ledger.protect_applicant)
            if (started := time.perf_counter()) >= self.deadline + RYW_COOLDOWN:
                return
            try:
                receipt = self.ledger.register_case(as_actor(first.by), **fields)
            except Exception:  # not expected: the demo's plans are valid
                self.ryw.refused += 1
                continue
            case_id = receipt.case_id
            self.wait("Registered", started, receipt.position)
            minted: dict[str, Any] = {}
            for step in rest:
                if step.at > self.now:
                    break
                c = command(step, minted)
                if (started := time.perf_counter()) >= self.deadline + RYW_COOLDOWN:
                    return
                try:
                    receipt = self.ledger.append(
                        case_id, c.actor, c.event_type, occurred_at=c.occurred_at, **c.fields
                    )
                except Exception:  # not expected, as above
                    self.ryw.refused += 1
                    break
                minted.update(receipt.ids)
                self.wait(c.event_type, started, receipt.position)

    def wait(self, kind: str, started: float, position: int) -> None:
        written = time.perf_counter()
        try:
            asyncio.run_coroutine_threadsafe(
                self.waiter.wait(self.projection, position, WAIT_TIMEOUT), self.loop
            ).result()
        except Exception:
            self.ryw.timeouts += 1
        if self.counting <= started < self.deadline:
            self.ryw.writes.append(written - started)
            self.ryw.waits.append(time.perf_counter() - written)
            self.ryw.kinds[kind] += 1


def read_your_writes(
    run: Run, settings: Settings, owner: str, projection: Projection, seconds: float
) -> tuple[Result, Result, str]:
    """16 writers replay synthetic cases step by step; after each write, each waits for the live
    projection to reach its position."""
    database = database_for(owner, settings)
    ledger = Ledger(settings, database)
    run.apps.append(ledger)
    conninfo = database.app_conninfo
    Projector(conninfo, projection).catch_up()  # start in step (a no-op after (1))
    worker = ProjectionWorker(conninfo, [projection]).start()
    waiter = PositionWaiter(conninfo).start()
    loop = asyncio.new_event_loop()
    loop_thread = threading.Thread(target=loop.run_forever, name="ryw-loop", daemon=True)
    loop_thread.start()
    now = datetime.now(timezone.utc)  # noqa: UP017 (house style)
    days = WorkingDays(national_calendar())
    counting = time.perf_counter() + RYW_WARMUP
    deadline = counting + seconds
    writers = [
        Writer(
            ledger,
            waiter,
            loop,
            projection.name,
            writer_plans(i, days, now),
            now,
            counting,
            deadline,
        )
        for i in range(WRITERS)
    ]
    threads = [threading.Thread(target=w.run, name=f"writer-{i}") for i, w in enumerate(writers)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(max(0.0, counting - time.perf_counter()))
        with Vacuums(owner) as autovacuum, Cpu(os.getpid(), run.ours) as cpu:
            time.sleep(max(0.0, deadline - time.perf_counter()))  # writers live: see Writer
        for thread in threads:
            thread.join()
    finally:
        worker.stop()
        waiter.close()
        loop.call_soon_threadsafe(loop.stop)
        loop_thread.join()
    results = [w.ryw for w in writers]
    waits = sorted(w for r in results for w in r.waits)
    writes = sorted(w for r in results for w in r.writes)
    timeouts = sum(r.timeouts for r in results)
    refused = sum(r.refused for r in results)
    kinds = sum((r.kinds for r in results), Counter[str]())
    note = f"{WRITERS} writers; {timeouts} timed out; " + cpu_note(cpu) + autovacuum.describe()
    mix = ", ".join(f"{kind} {n:,}" for kind, n in kinds.most_common())
    return (
        Result(
            label=f"write -> PositionWaiter.wait, {WRITERS} writers",
            ops=len(waits),
            seconds=seconds,
            p50_ms=percentile(waits, 50) * 1000,
            p99_ms=percentile(waits, 99) * 1000,
            note=note,
            others_pct=cpu.others_pct,
        ),
        Result(
            label="  (the writes themselves, for information)",
            ops=len(writes),
            seconds=seconds,
            p50_ms=percentile(writes, 50) * 1000,
            p99_ms=percentile(writes, 99) * 1000,
            note=f"max wait {waits[-1] * 1000:.1f} ms" if waits else "",
        ),
        f"(3) writes counted, by kind: {mix}"
        + (f"; {refused} refused (not expected)" if refused else ""),
    )


# --- the run ------------------------------------------------------------------------------------


@dataclass
class Report:
    plan: Plan
    projection: str = ""
    events: int = 0
    """Events pre-filled (the plan's count unless the synthetic months ran out first)."""
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
    report.projection = (
        "BenchCases (this script's one-table stand-in)"
        if isinstance(projection, BenchCases)
        else f"{type(projection).__module__}:{type(projection).__qualname__}"
    )
    if projection.name == BenchCases.name:
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

    log(f"pre-filling {plan.events:,} events of synthetic cases by COPY ...")
    filled = prefill(owner, plan.events, settings.pii_key)
    report.events = filled.events
    report.extra += [*filled.describe(), f"pre-fill check: {check_shape(owner)}"]
    del filled
    gc.collect()  # the pre-fill's garbage is not the projector's to collect
    topics = sorted(projection.topics) if projection.topics is not None else None
    log("(1) baseline: reads + decoding, no view writes ...")
    checkpoint()
    report.baseline_seconds = read_decode_baseline(database.app_conninfo, topics, DEFAULT_BATCH)
    log("(1) Projector.catch_up() from zero ...")
    checkpoint()
    report.catch_up.append(ours(run, database.app_conninfo, owner, projection, report.events))
    analyze(owner, view_tables(projection))  # (1) built the tables from empty, with no statistics
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
    waits, writes, kinds = read_your_writes(run, settings, owner, projection, plan.ryw_seconds)
    report.ryw += [waits, writes]
    report.extra.append(kinds)
    report.extra.append(f"total run time {time.perf_counter() - started:.0f} s")


def render(report: Report) -> str:
    ours_result, library_result = report.catch_up
    speedup = ours_result.rate / library_result.rate
    ryw = report.ryw[0]
    n = report.events
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
        help=f"module:Class of the projection to measure, or BenchCases (this file's one-table "
        f"stand-in) [default: {DEFAULT_PROJECTION}]",
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
