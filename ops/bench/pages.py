"""Pages benchmark: each zh-CN page against the JSON read it renders, on a month of 10k cases.

    uv run python ops/bench/pages.py [--quick] [--events N]

One run makes a fresh database (embedded PostgreSQL in a temp dir, or a new database on the
server in LEDGER_BENCH_DATABASE_URL), pre-fills it by COPY with the demo's synthetic traffic
(the projections bench's pre-fill: 10,000 cases a month over the five synthetic centres, about
44,000 events for the last full month; `--events` for more), starts a real `ledger serve`, waits
for the notary and every projection to catch up, and then times, over one keep-alive connection,
N sequential GETs of each page and of the JSON endpoint with the same data (the baseline,
measured in the same run), plus `/health` (the bare round trip). Budget (issue 15): every page
loads in 300 ms at p99. The ratio page/JSON says what rendering costs over the read itself.
The busiest centre and the case with most events are the ones read. Nothing is written to the
repository. See ops/bench/README.md.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from pages_bench.reads import Pair, busiest, pairs, ratio, timed
from projections_bench.plan import CASES_PER_MONTH
from projections_bench.prefill import EVENTS_PER_CASE, prefill
from support import cli
from support.postgres import database_facts, fresh_database
from support.report import budget_line, header, log, machine_fact, source_fact
from support.run import Run, run_and_print
from support.server import free_port, start_server, wait_for_views
from support.timing import Result, latency

from ledger.application.tokens import create_token
from ledger.domain.values import Role

BUDGET_MS = 300.0
ROLES = [Role.DUTY_OFFICER, Role.CENTRE_DIRECTOR, Role.AUDITOR]
"""A reader every page admits: the board's, the indicators', the registers' and the case's."""


@dataclass
class Plan:
    mode: str
    events: int
    requests: int


@dataclass
class Report:
    plan: Plan
    facts: list[tuple[str, str]] = field(default_factory=list)
    rows: list[tuple[Pair, Result, Result]] = field(default_factory=list)
    health: Result | None = None
    extra: list[str] = field(default_factory=list)


def bench(run: Run, plan: Plan, report: Report) -> None:
    owner, where, settings, _ = fresh_database(run)
    report.facts += database_facts(run, owner, where)
    log(f"pre-filling {plan.events:,} events of synthetic cases by COPY ...")
    filled = prefill(owner, plan.events, settings.pii_key)
    report.extra += filled.describe()
    port = free_port()
    log("starting ledger serve; the notary seals the pre-fill ...")
    start_server(run, owner, settings, port)
    log("waiting for every projection to catch up ...")
    wait_for_views(owner)
    centre, case_id = busiest(owner)
    token = create_token(settings.token_secret, "bench-reader", ROLES, None, 3600, centres=["*"])
    api_headers = {"Authorization": f"Bearer {token}"}
    page_headers = {"Cookie": f"ledger_session={token}"}
    report.extra.append(f"centre {centre}; case {case_id}; month {filled.months[-1]}")
    samples, bad = timed(port, "/health", {}, plan.requests)
    report.health = latency("/health", samples, non2xx=bad)
    for pair in pairs(centre, case_id, filled.months[-1]):
        log(f"timing {pair.label} ...")
        api, api_bad = timed(port, pair.api, api_headers, plan.requests)
        page, page_bad = timed(port, pair.page, page_headers, plan.requests)
        report.rows.append(
            (
                pair,
                latency(pair.page, page, non2xx=page_bad),
                latency(pair.api, api, non2xx=api_bad),
            )
        )


def render(report: Report) -> str:
    lines = header("pages", report.plan.mode, report.facts)
    lines.append("")
    lines.append(f"{'read':<38}{'p50 ms':>9}{'p99 ms':>9}{'non-200':>9}")
    if report.health is not None:
        h = report.health
        lines.append(f"{'/health (baseline)':<38}{h.p50_ms:>9.1f}{h.p99_ms:>9.1f}{h.non2xx:>9}")
    for pair, page, api in report.rows:
        lines.append(
            f"{pair.label + ' (page)':<38}{page.p50_ms:>9.1f}{page.p99_ms:>9.1f}{page.non2xx:>9}"
        )
        lines.append(
            f"{pair.label + ' (JSON)':<38}{api.p50_ms:>9.1f}{api.p99_ms:>9.1f}{api.non2xx:>9}"
        )
    lines.append("")
    for pair, page, api in report.rows:
        ok = page.p99_ms <= BUDGET_MS and not page.non2xx
        lines.append(
            budget_line(
                f"{pair.label}: page p99", f"{page.p99_ms:.1f} ms", f"<= {BUDGET_MS:.0f} ms", ok
            )
        )
        lines.append(
            budget_line(f"{pair.label}: page/JSON p99", f"{ratio(page, api):.2f}", "", None)
        )
    lines.append("")
    lines += [f"  {x}" for x in report.extra]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(__doc__, "100 requests per read instead of 300", events=True)
    args = parser.parse_args(argv)
    events = args.events or int(CASES_PER_MONTH * EVENTS_PER_CASE)
    plan = Plan("quick" if args.quick else "full", events, 100 if args.quick else 300)
    cli.quiet()
    report = Report(plan)
    report.facts.append(machine_fact("litestar", "jinja2"))
    report.facts.append(source_fact())
    return run_and_print(bench, plan, report, render)


if __name__ == "__main__":
    sys.exit(main())
