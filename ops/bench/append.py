"""Append benchmark: bare eventsourcing vs `Ledger.append` vs HTTP POST, and GET latency.

    uv run python ops/bench/append.py [--quick] [--projections serve|worker]

One run makes a fresh database (embedded PostgreSQL in a temp dir, or a new database on the
server in LEDGER_BENCH_DATABASE_URL), measures (a) to (d) below, prints a table with the ratios
and budgets, and drops the database. Nothing is written to the repository.

(a) baseline: a plain eventsourcing Application/Aggregate: get a 6-event aggregate, one command,
    save; single thread.
(b) `Ledger.append(VisitRecorded)` on a 6-event case, in process, single thread.
(c) POST /cases/{id}/events through the real server (`ledger serve`, uvicorn) driven by wrk at
    1 and 16 concurrent connections. The projections run inside `ledger serve` (the default,
    as the README's first command runs them), or with `--projections worker` in a `ledger
    worker` process beside `ledger serve --no-projections` (the layout for throughput; its CPU
    is counted as ours).
(d) GET /cases/{id} latency for cases of 10 and 1,000 events (and 1,049: the worst case, 49
    events replayed after the last snapshot), sequential, keep-alive.

Run as a file: Python puts ops/bench first on sys.path, so the shared machinery (`support`) and
this bench's pieces (`append_bench`) import from beside it. See ops/bench/README.md for what
each figure means.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import time
from typing import TYPE_CHECKING

from append_bench.baseline import Baseline, baseline_env, seed_baseline
from append_bench.cases import seed_cases
from append_bench.get import get_latency
from append_bench.loops import Loop, measure_interleaved
from append_bench.plan import Plan
from append_bench.post import python_post, wrk_post
from append_bench.report import Report, render
from support import cli
from support.cases import CLERK, case_with_events
from support.cpu import Cpu
from support.postgres import autovacuum_runs, checkpointer, database_facts, fresh_database
from support.report import log, machine_fact
from support.run import Run, run_and_print
from support.server import free_port, start_server, stop_server

from ledger.application.service import Ledger
from ledger.application.tokens import create_token
from ledger.store.database import database_for

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

    from support.timing import Result

    from ledger.config.settings import Settings


def bench(run: Run, plan: Plan, report: Report) -> None:
    owner, where, settings, _ = fresh_database(run)
    report.facts += database_facts(run, owner, where)
    checkpoint = checkpointer(owner)
    run.ours.watch(owner)

    log("seeding the baseline and the ledger ...")
    baseline = Baseline(env=baseline_env(owner))
    ledger = Ledger(settings, database_for(owner, settings))
    run.apps += [baseline, ledger]
    t0 = time.perf_counter()
    loop_a = Loop("(a) baseline: get+command+save", baseline.record_visit, [])
    loop_a.ids = seed_baseline(baseline, plan.loop_pool)
    loop_a.cpu.ours = run.ours
    pools = seed_cases(ledger, plan.loop_pool + plan.http_pool_1 + plan.http_pool_16 + 1500)
    loop_b = Loop(
        "(b) Ledger.append, no HTTP",
        lambda case_id: ledger.append(case_id, CLERK, "VisitRecorded", ticket="A-0001"),
        pools[: plan.loop_pool],
        cpu=Cpu(os.getpid(), run.ours),
    )
    http_ids = pools[plan.loop_pool :]
    get_cases = {n: case_with_events(ledger, n) for n in (10, 1000)}
    report.extra.append(
        f"seeded {len(loop_a.ids):,} dossiers and {len(pools):,} cases of 6 events, "
        f"and the GET cases, in {time.perf_counter() - t0:.1f} s"
    )

    log(f"(a)/(b): {plan.rounds} interleaved round(s), {plan.loop_seconds:g} s each in all ...")
    measure_interleaved([loop_a, loop_b], plan, checkpoint)
    report.results["a"] = loop_a.result()
    report.results["b"] = loop_b.result()

    http_phase(run, plan, report, owner, settings, http_ids, ledger, get_cases, checkpoint)
    report.extra.append(
        autovacuum_runs(
            owner, ("benchbaseline_events", "ledger_events"), since=" (seeding included)"
        )
    )


def http_phase(
    run: Run,
    plan: Plan,
    report: Report,
    owner: str,
    settings: Settings,
    http_ids: list[UUID],
    ledger: Ledger,
    get_cases: dict[int, UUID],
    checkpoint: Callable[[], None],
) -> None:
    """(c) POST at 1 and 16 clients, then (d) GET, against one `ledger serve`."""
    port = free_port()
    log(f"starting `ledger serve` on 127.0.0.1:{port} ...")
    start_server(run, owner, settings, port, projections=plan.projections)
    assert run.server is not None
    token = create_token(
        settings.token_secret, CLERK.id, list(CLERK.roles), CLERK.unit, 3600, centres=["*"]
    )
    wrk = shutil.which("wrk")
    report.facts.append(
        (
            "load generator",
            f"wrk {wrk} (-t1, keep-alive, Lua script)"
            if wrk
            else "FALLBACK: Python threads + http.client (steals CPU from the server)",
        )
    )
    report.facts.append(
        (
            "projections",
            "inside `ledger serve`"
            if plan.projections == "serve"
            else "in a `ledger worker` process beside `ledger serve --no-projections`",
        )
    )

    def post(ids: list[UUID], clients: int, seconds: float) -> Result:
        if wrk:
            return wrk_post(wrk, port, token, ids, clients, seconds, run.tmp)
        return python_post(port, token, ids, clients, seconds)

    pool_1 = http_ids[: plan.http_pool_1]
    pool_16 = http_ids[plan.http_pool_1 : plan.http_pool_1 + plan.http_pool_16]
    warm_pool = http_ids[plan.http_pool_1 + plan.http_pool_16 :]
    log("(c) warm-up ...")
    post(warm_pool, 4, plan.http_warmup_seconds)
    for key, clients, ids in (("c1", 1, pool_1), ("c16", 16, pool_16)):
        checkpoint()
        log(f"(c) POST at {clients} client(s) for {plan.http_seconds:g} s ...")
        with Cpu(run.server.pid, run.ours) as cpu:
            report.results[key] = post(ids, clients, plan.http_seconds)
        result = report.results[key]
        result.note = cpu.describe("server") + (f"; {result.note}" if result.note else "")
        result.others_pct = cpu.others_pct

    log(f"(d) GET x {plan.get_requests} per case ...")
    checkpoint()
    for events in (10, 1000):
        report.results[f"d{events}"] = get_latency(
            port, token, get_cases[events], events, plan.get_requests
        )
    for k in range(49):  # worst case: 49 events to replay on top of the snapshot at 1,000
        ledger.append(get_cases[1000], CLERK, "VisitRecorded", ticket=f"H-{k:04d}")
    report.results["d1049"] = get_latency(port, token, get_cases[1000], 1049, plan.get_requests)
    report.results["d1049"].label += " (49 past snapshot)"
    stop_server(run)


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(__doc__, "short phases (about a minute)")
    parser.add_argument(
        "--projections",
        choices=("serve", "worker"),
        default="serve",
        help="run the projections inside `ledger serve` (default) or in a `ledger worker`",
    )
    args = parser.parse_args(argv)
    cli.quiet()
    plan = dataclasses.replace(Plan.for_mode(args.quick), projections=args.projections)
    report = Report(plan)
    report.facts.append(machine_fact("litestar", "uvicorn"))
    return run_and_print(bench, plan, report, render)


if __name__ == "__main__":
    sys.exit(main())
