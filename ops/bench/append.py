"""Append benchmark: bare eventsourcing vs `Ledger.append` vs HTTP POST, and GET latency.

    uv run python ops/bench/append.py [--quick] [--workers 1,2,4]

One run makes a fresh database (embedded PostgreSQL in a temp dir, or a new database on the
server in LEDGER_BENCH_DATABASE_URL), measures (a) to (d) below, prints a table with the ratios
and budgets, and drops the database. Nothing is written to the repository.

(a) baseline: a plain eventsourcing Application/Aggregate: get a 6-event aggregate, one command,
    save; single thread.
(b) `Ledger.append(VisitRecorded)` on a 6-event case, in process, single thread.
(c) POST /cases/{id}/events through the real server (`ledger serve --workers N`: N API worker
    processes, the notary, projections and timers in a background process of their own) driven
    by wrk at 1 and 16 concurrent connections, for each N of `--workers` (default 1, 2, 4); the
    CPU of every process of the server counts as ours.
(d) GET /cases/{id} latency for cases of 10 and 1,000 events (and 1,049: the worst case, 49
    events replayed after the last snapshot), sequential, keep-alive, at the default worker count.
(e) read-your-writes at 16 clients, for each N: each connection appends, then reads the cases
    view at the position the append answered; the GET's latency is the sample. Its floor: the
    same load with `GET /health` in place of the view read (what any read costs meanwhile). And
    the same load below saturation: each connection pauses 100 ms after its read.

Run as a file: Python puts ops/bench first on sys.path, so the shared machinery (`support`) and
this bench's pieces (`append_bench`) import from beside it. See ops/bench/README.md for what
each figure means.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from typing import TYPE_CHECKING

from append_bench.baseline import Baseline, baseline_env, seed_baseline
from append_bench.cases import seed_cases
from append_bench.get import get_latency
from append_bench.loops import Loop, measure_interleaved
from append_bench.plan import DEFAULT_WORKERS, Plan
from append_bench.post import wrk_post
from append_bench.report import Report, render
from append_bench.ryw import THINK_MS, ryw_label, wrk_ryw
from support import cli
from support.cases import CLERK, case_with_events
from support.cpu import Cpu
from support.postgres import autovacuum_runs, checkpointer, database_facts, fresh_database
from support.report import log, machine_fact
from support.run import Run, run_and_print
from support.server import ViewLag, free_port, start_server, stop_server, wait_for_views
from support.tools import ensure_tool

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
    http_cases = plan.http_pool * len(plan.workers) + 1500
    pools = seed_cases(ledger, plan.loop_pool + http_cases)
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
    """(c) POST at 1 and 16 clients and (e) read-your-writes, against `ledger serve --workers N`
    for each N; (d) GET at the default worker count."""
    token = create_token(
        settings.token_secret, CLERK.id, list(CLERK.roles), CLERK.unit, 3600, centres=["*"]
    )
    wrk = ensure_tool("wrk")
    report.facts.append(("load generator", f"wrk {wrk} (keep-alive, Lua script)"))
    warm_pool, http_ids = http_ids[:1500], http_ids[1500:]
    for n, workers in enumerate(plan.workers):
        ids = http_ids[n * plan.http_pool : (n + 1) * plan.http_pool]
        port = free_port()
        log(f"starting `ledger serve --workers {workers}` on 127.0.0.1:{port} ...")
        start_server(run, owner, settings, port, workers=workers)
        assert run.server is not None
        wait_for_views(owner)  # (e) measures steady state, not the catch-up of the seeded log

        def post(ids: list[UUID], clients: int, seconds: float, port: int = port) -> Result:
            return wrk_post(wrk, port, token, ids, clients, seconds, run.tmp)

        pool_1 = ids[: plan.http_pool_1]
        pool_16 = ids[plan.http_pool_1 : plan.http_pool_1 + plan.http_pool_16]
        ryw_from = plan.http_pool_1 + plan.http_pool_16
        floor_from = ryw_from + plan.ryw_pool
        think_from = floor_from + plan.ryw_pool
        pool_ryw, pool_floor = ids[ryw_from:floor_from], ids[floor_from:think_from]
        pool_think = ids[think_from:]
        log("(c) warm-up ...")
        post(warm_pool, 4, plan.http_warmup_seconds)
        for key, clients, pool in (("c1", 1, pool_1), ("c16", 16, pool_16)):
            checkpoint()
            log(f"(c) POST at {clients} client(s), {workers} worker(s) ...")
            with Cpu(run.server.pid, run.ours) as cpu:
                result = post(pool, clients, plan.http_seconds)
            result.label += f", {workers} worker{'s' if workers > 1 else ''}"
            result.note = cpu.describe("server") + (f"; {result.note}" if result.note else "")
            result.others_pct = cpu.others_pct
            report.results[f"{key}w{workers}"] = result
        # (e), its floor (GET /health in place of the view read), and (e) below saturation (a
        # pause after each read), each from caught-up views
        phases = (
            ("e16", False, 0, pool_ryw),
            ("f16", True, 0, pool_floor),
            ("t16", False, THINK_MS, pool_think),
        )
        for key, floor, think, pool in phases:
            wait_for_views(owner)
            checkpoint()
            log(f"{ryw_label(16, workers, floor=floor, think_ms=think)} ...")
            with Cpu(run.server.pid, run.ours) as cpu, ViewLag(owner) as lag:
                result = wrk_ryw(
                    wrk,
                    port,
                    token,
                    pool,
                    16,
                    plan.http_seconds,
                    run.tmp,
                    workers,
                    floor=floor,
                    think_ms=think,
                )
            result.note = f"{cpu.describe('server')}; {lag.describe()}"
            result.others_pct = cpu.others_pct
            report.results[f"{key}w{workers}"] = result
        if workers == plan.budget_workers:
            get_phase(plan, report, port, token, ledger, get_cases, checkpoint)
        stop_server(run)


def get_phase(
    plan: Plan,
    report: Report,
    port: int,
    token: str,
    ledger: Ledger,
    get_cases: dict[int, UUID],
    checkpoint: Callable[[], None],
) -> None:
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


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(__doc__, "short phases (about a minute)")
    parser.add_argument(
        "--workers",
        default=",".join(str(n) for n in DEFAULT_WORKERS),
        help="`ledger serve --workers` counts to measure (c) and (e) at, comma-separated",
    )
    args = parser.parse_args(argv)
    cli.quiet()
    workers = tuple(int(n) for n in args.workers.split(","))
    plan = dataclasses.replace(Plan.for_mode(args.quick), workers=workers)
    report = Report(plan)
    report.facts.append(machine_fact("litestar", "uvicorn"))
    return run_and_print(bench, plan, report, render)


if __name__ == "__main__":
    sys.exit(main())
