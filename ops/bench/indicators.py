"""Indicators benchmark: `GET /metrics/timeliness` for a month of 100,000 cases, summed by
PostgreSQL, against reading that month's case rows alone.

    uv run python ops/bench/indicators.py [--quick] [--events N] [--cases-per-month N] [--timers]

One run makes a fresh database (embedded PostgreSQL in a temp dir, or a new database on the
server in LEDGER_BENCH_DATABASE_URL), pre-fills it by COPY with the demo's synthetic traffic
(the projections bench's pre-fill) at 100,000 cases a month (--quick: 20,000), starts a real
`ledger serve --no-timers`, waits for the notary and every projection to catch up, vacuums and
analyses the view tables and checkpoints (what autovacuum and the checkpointer soon do after such
a load; a phase that autovacuum overlaps anyway is named in the notes), and then times, over one
keep-alive connection, N sequential GETs of the report for the busiest month by each grouping,
and for the whole year by department. `--timers` serves with the timers, as a live centre does:
the pre-fill's backlog of unrated cases is then rated by default during the timed phases, so the
run shows what a backlog sweep costs the readers. Baselines measured in the same run, on the same
database:

- **rows read**: the month's case rows that count in it, fetched by psycopg and nothing else
  (what any report tallied outside the database must at least read);
- **tallied**: the report as it was computed before (`indicator_reads.fetch` of every row and
  `compute` in Python), in this process.

Budget (issue 16): the month's report ≤ 200 ms at p99. Nothing is written to the repository.
See ops/bench/README.md.
"""

from __future__ import annotations

import http.client
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

import psycopg
from pages_bench.reads import timed
from projections_bench.prefill import EVENTS_PER_CASE, prefill
from prometheus_client.parser import text_string_to_metric_families
from support import cli
from support.postgres import Autovacuum, all_view_tables, database_facts, fresh_database, settle
from support.report import budget_line, header, log, machine_fact, source_fact
from support.run import Run, run_and_print
from support.server import free_port, start_server, stop_server, wait_for_views
from support.timing import Result, latency

from ledger.api.indicator_reads import compute, fetch
from ledger.api.reads import utc_now
from ledger.application.service import Ledger
from ledger.application.tokens import create_token
from ledger.domain.values import Role
from ledger.projections.indicators.grouping import GroupBy
from ledger.projections.indicators.period import Period
from ledger.projections.indicators.timeliness import CaseRow
from ledger.store.database import database_for

BUDGET_MS = 200.0
BASELINE_RUNS = 20


@dataclass
class Plan:
    mode: str
    per_month: int
    events: int
    requests: int
    timers: bool = False


@dataclass
class Report:
    plan: Plan
    facts: list[tuple[str, str]] = field(default_factory=list)
    rows: list[Result] = field(default_factory=list)
    baselines: list[Result] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)


def busiest_month(owner: str) -> tuple[Period, int]:
    """The month (Beijing time) in which most cases were registered, and how many."""
    with psycopg.connect(owner) as conn:
        row = conn.execute(
            "SELECT date_trunc('month', registered_at AT TIME ZONE 'Asia/Shanghai')::date, "
            "count(*) FROM view_cases GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        ).fetchone()
    assert row is not None, "the cases view is empty: did the projections catch up?"
    first: date = row[0]
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return Period(first=first, last=last), int(row[1])


def rows_read(owner: str, period: Period) -> tuple[list[float], int]:
    """The baseline: the month's case rows that count in it (the columns the indicators read),
    fetched and nothing else."""
    columns = ", ".join(f'"{name}"' for name in CaseRow.__struct_fields__)
    query = (
        f"SELECT {columns} FROM view_cases WHERE registered_at >= %(s)s AND registered_at < %(e)s "
        "OR accepted_at >= %(s)s AND accepted_at < %(e)s OR closed_at >= %(s)s AND closed_at < "
        "%(e)s OR due_at >= %(s)s AND due_at < %(e)s OR notice_at >= %(s)s AND notice_at < %(e)s"
    )
    samples, n = [], 0
    with psycopg.connect(owner) as conn:
        for _ in range(BASELINE_RUNS):
            t0 = time.perf_counter()
            n = len(conn.execute(query, {"s": period.start, "e": period.end}).fetchall())
            samples.append(time.perf_counter() - t0)
    return samples, n


def tallied(ledger: Ledger, period: Period) -> list[float]:
    """The report as computed before: every row fetched and tallied in Python."""
    samples = []
    for _ in range(max(3, BASELINE_RUNS // 4)):
        t0 = time.perf_counter()
        fetched = fetch(ledger, period, None)
        compute(ledger, fetched, period, GroupBy.DEPARTMENT, utc_now())
        samples.append(time.perf_counter() - t0)
    return samples


def connections_used(port: int) -> str:
    """How many of the server's reports got their second connection, from its own counter
    (`ledger_report_reads_total`, summed over the API workers): a report on one connection ran
    its queries one by one, and is slower."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/metrics")
    text = conn.getresponse().read().decode()
    conn.close()
    counts = {
        sample.labels["connections"]: int(sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "ledger_report_reads_total"
    }
    return (
        f"reports read on two connections: {counts.get('2', 0):,}; on one (no second connection "
        f"free): {counts.get('1', 0):,} (the server's ledger_report_reads_total)"
    )


def bench(run: Run, plan: Plan, report: Report) -> None:
    owner, where, settings, _ = fresh_database(run)
    report.facts += database_facts(run, owner, where)
    log(f"pre-filling {plan.events:,} events, {plan.per_month:,} cases a month, by COPY ...")
    filled = prefill(owner, plan.events, settings.pii_key, plan.per_month)
    report.extra += filled.describe()
    port = free_port()
    log("starting ledger serve; the notary seals the pre-fill ...")
    # No timers unless asked for (--timers): the pre-fill's month holds about 15,000 closed,
    # unrated cases, and the default-rating timer would rate them by default, 1,000 a minute,
    # during the timed phases (a backlog a live centre never has).
    start_server(run, owner, settings, port, timers=plan.timers)
    log("waiting for every projection to catch up, and the tallies' queue to drain ...")
    t0 = time.perf_counter()
    wait_for_views(owner)
    report.extra.append(f"views caught up and tallies drained {time.perf_counter() - t0:.0f} s "
                        "after the notary sealed the pre-fill")  # fmt: skip
    tables = all_view_tables(owner)
    t0 = time.perf_counter()
    settle(owner, tables)
    report.extra.append(f"view tables vacuumed and analysed, then a checkpoint: "
                        f"{time.perf_counter() - t0:.0f} s")  # fmt: skip
    month, registered = busiest_month(owner)
    year = Period(
        first=month.first.replace(month=1, day=1), last=month.first.replace(month=12, day=31)
    )
    token = create_token(
        settings.token_secret, "bench-reader", [Role.CENTRE_DIRECTOR], None, 3600, centres=["*"]
    )
    headers = {"Authorization": f"Bearer {token}"}
    report.extra.append(f"month {month.first:%Y-%m}: {registered:,} cases registered in it")

    def get(label: str, period: Period, group_by: GroupBy) -> None:
        log(f"timing {label} ...")
        path = f"/metrics/timeliness?from={period.first}&to={period.last}&group_by={group_by}"
        with Autovacuum(owner, tables) as autovacuum:
            samples, bad = timed(port, path, headers, plan.requests)
        report.rows.append(latency(label, samples, non2xx=bad))
        if ran := autovacuum.describe():
            report.extra.append(f"{label}{ran}")

    for group_by in GroupBy:
        get(f"a month by {group_by}", month, group_by)
    get("the year by department", year, GroupBy.DEPARTMENT)
    report.extra.append(connections_used(port))
    stop_server(run)
    log("baselines: the month's rows read; the report tallied in Python ...")
    samples, n = rows_read(owner, month)
    report.baselines.append(latency("rows read (the month's counting cases)", samples))
    report.extra.append(f"the month's counting case rows: {n:,}")
    ledger = Ledger(settings, database_for(owner, settings))
    try:
        before = tallied(ledger, month)
        report.baselines.append(latency("tallied in Python (before), by department", before))
    finally:
        ledger.close()


def render(report: Report) -> str:
    lines = header("indicators", report.plan.mode, report.facts)
    lines += ["", f"{'GET /metrics/timeliness':<44}{'p50 ms':>9}{'p99 ms':>9}{'non-200':>9}"]
    lines += [f"  {r.label:<42}{r.p50_ms:>9.1f}{r.p99_ms:>9.1f}{r.non2xx:>9}" for r in report.rows]
    lines += ["", f"{'baselines, in process':<44}{'p50 ms':>9}{'p99 ms':>9}"]
    lines += [f"  {b.label:<42}{b.p50_ms:>9.1f}{b.p99_ms:>9.1f}" for b in report.baselines]
    lines.append("")
    read, before = report.baselines
    for r in report.rows:
        if r.label.startswith("a month"):
            ok = r.p99_ms <= BUDGET_MS and not r.non2xx
            lines.append(budget_line(f"{r.label}: p99", f"{r.p99_ms:.1f} ms", "<= 200 ms", ok))
    month = report.rows[0]  # by department
    for label, baseline in (("rows read", read), ("tallied (before)", before)):
        ratio = f"{month.p50_ms / baseline.p50_ms:.2f}"
        lines.append(budget_line(f"month by department / {label}, p50", ratio, "", None))
    lines += ["", *(f"  {x}" for x in report.extra)]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(__doc__, "20,000 cases a month, 50 requests per read", events=True)
    parser.add_argument("--cases-per-month", type=int, help="instead of 100,000 (--quick: 20,000)")
    parser.add_argument(
        "--timers", action="store_true", help="serve with the timers (their backlog sweep runs)"
    )
    args = parser.parse_args(argv)
    per_month = args.cases_per_month or (20_000 if args.quick else 100_000)
    events = args.events or int(per_month * EVENTS_PER_CASE)
    requests = 50 if args.quick else 100
    mode = ("quick" if args.quick else "full") + (", timers on" if args.timers else "")
    plan = Plan(mode, per_month, events, requests, args.timers)
    cli.quiet()
    report = Report(plan)
    report.facts.append(machine_fact("psycopg"))
    report.facts.append(source_fact())
    return run_and_print(bench, plan, report, render)


if __name__ == "__main__":
    sys.exit(main())
