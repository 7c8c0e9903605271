"""Projection benchmark: catch-up from zero, batched against per-event, and read-your-writes.

    uv run python ops/bench/projections.py [--quick] [--events N] [--projection module:Class]

One run makes a fresh database (embedded PostgreSQL in a temp dir, or a new database on the
server in LEDGER_BENCH_DATABASE_URL), fills ledger_events with 200,000 case events (--quick:
50,000) by COPY, measures (1) to (3) below, prints a table with ratios and budgets, and drops
the database. Nothing is written to the repository.

The projection is the real cases view, `ledger.projections.views.cases:CasesProjection`
(view_cases, view_handoffs, view_interventions), unless --projection names another
`module:Class` whose view tables exist after the migrations, or `BenchCases` (the one-table
stand-in in projections_bench/views.py).

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

Run as a file: Python puts ops/bench first on sys.path, so the shared machinery (`support`) and
this bench's pieces (`projections_bench`) import from beside it. See ops/bench/README.md.
"""

from __future__ import annotations

import gc
import sys

from projections_bench.catch_up import drained, ours, read_decode_baseline
from projections_bench.per_event import commit_baseline, compare_views, library
from projections_bench.plan import COMMIT_BASELINE_EVENTS, WRITERS, Plan
from projections_bench.prefill import prefill
from projections_bench.report import Report, render
from projections_bench.ryw import read_your_writes
from projections_bench.views import (
    DEFAULT_PROJECTION,
    BenchCases,
    create_bench_view,
    describe_projection,
    load_projection,
    view_tables,
)
from support import cli
from support.events import check_shape
from support.postgres import analyze, checkpointer, database_facts, fresh_database
from support.report import log, machine_fact, source_fact
from support.run import Run, run_and_print

from ledger.projections.batch import DEFAULT_BATCH
from ledger.projections.views.cases import CasesProjection


def bench(run: Run, plan: Plan, report: Report) -> None:
    owner, where, settings, database = fresh_database(run)
    projection = load_projection(report.projection or None)
    report.projection = describe_projection(projection)
    if projection.name == BenchCases.name:
        create_bench_view(owner, settings.app_role)
    report.facts += [*database_facts(run, owner, where), ("projection", report.projection)]
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
    if projection.name == CasesProjection.name:
        report.extra.append(drained(database.app_conninfo, "(1)"))
    analyze(owner, view_tables(projection))  # (1) built the tables from empty, with no statistics
    log("(2) baseline: one commit per event, no view work ...")
    checkpoint()
    report.commits_per_second = commit_baseline(owner, COMMIT_BASELINE_EVENTS)
    log("(2) ProjectionRunner, one transaction per event, from zero (slow) ...")
    checkpoint()
    per_event = library(run, owner, projection, plan.library_seconds)
    report.catch_up.append(per_event.result)
    report.extra.append(compare_views(database.app_conninfo, owner, projection, per_event))
    if projection.name == CasesProjection.name:
        report.extra.append(drained(database.app_conninfo, "(2)"))
    log(f"(3) read-your-writes: {WRITERS} writers for {plan.ryw_seconds:g} s ...")
    checkpoint()
    waits, writes, kinds = read_your_writes(run, settings, owner, projection, plan.ryw_seconds)
    report.ryw += [waits, writes]
    report.extra.append(kinds)


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(__doc__, "50,000 events, shorter phase (3)", events=True)
    parser.add_argument(
        "--library-seconds",
        type=float,
        default=30.0,
        help="cap on the per-event run, seconds; 0: the whole log [default: 30]",
    )
    parser.add_argument(
        "--projection",
        help=f"module:Class of the projection to measure, or BenchCases (this bench's one-table "
        f"stand-in) [default: {DEFAULT_PROJECTION}]",
    )
    args = parser.parse_args(argv)
    plan = Plan.for_mode(args.quick, args.events, args.library_seconds or None)
    cli.quiet()
    report = Report(plan, projection=args.projection or "")
    report.facts.append(machine_fact("msgspec"))
    report.facts.append(source_fact())
    return run_and_print(bench, plan, report, render)


if __name__ == "__main__":
    sys.exit(main())
