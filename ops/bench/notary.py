"""Notary benchmark: sealing rate on a pre-filled log, proof latency, bundle verification time.

    uv run python ops/bench/notary.py [--quick] [--events N]

One run makes a fresh database (embedded PostgreSQL in a temp dir, or a new database on the
server in LEDGER_BENCH_DATABASE_URL), fills ledger_events with 1,000,000 realistic events
(--quick: 100,000) by COPY, measures (1) to (3) below, prints a table with the baselines, ratios
and budgets, and drops the database. Nothing is written to the repository.

(1) `Notary.catch_up()` from an empty tree over the whole log, at batch sizes 10,000 (the
    default) and 50,000; against the same run's baselines: raw batched reads of the same rows,
    the notary's own hashing loop without I/O, and raw COPY of the leaf and node rows it writes.
    cProfile over the first 100,000 events shows where the notary's time goes.
(2) `AuditLog.inclusion_proof(position)` latency for 2,000 random positions at ~1M leaves, in
    process and over HTTP (`GET /audit/proofs/inclusion`, `ledger serve --no-notary`).
(3) `verify_bundle` of a 50-event case made through the real `Ledger` API.
(4) The witness path: (1) again with the cosignature collector running beside the notary (a
    local witness cosigns each checkpoint it signs meanwhile); a fresh checkpoint cosigned by the
    local witness, 200 times; `verify_bundle` with that witness pinned.

Run as a file: Python puts ops/bench first on sys.path, so the shared machinery (`support`) and
this bench's pieces (`notary_bench`) import from beside it. See ops/bench/README.md.
"""

from __future__ import annotations

import random
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg
from notary_bench.bundles import bundles
from notary_bench.parts import baselines
from notary_bench.plan import (
    BATCH_SIZES,
    BUNDLE_BUILDS,
    CASES_IN_FLIGHT,
    DEFAULT_BATCH,
    EVENTS_PER_CASE,
    PROOF_WARMUP,
    Plan,
)
from notary_bench.prefill import prefill
from notary_bench.proofs import (
    pool_round_trip,
    proofs_in_process,
    proofs_over_http,
    start_proof_server,
)
from notary_bench.report import Report, render
from notary_bench.sealing import latest_root, profile_slice, reset_log, timed_catch_up
from notary_bench.witnessing import (
    collector_for,
    cosigning,
    sealing_while_witnessed,
    witnessed_verification,
)
from support import cli
from support.cases import case_with_events
from support.events import check_shape
from support.postgres import autovacuum_runs, checkpointer, database_facts, fresh_database
from support.report import log, machine_fact, source_fact
from support.run import Run, run_and_print
from support.server import stop_server

from ledger.application.service import Ledger
from ledger.log.keys import load_signer
from ledger.log.notary import Notary

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from uuid import UUID

    from ledger.config.settings import Settings
    from ledger.log.signed_note import Signer
    from ledger.store.database import Database


@dataclass
class Bench:
    """What the phases share: the database, the settings and the notary's key."""

    run: Run
    report: Report
    database: Database
    settings: Settings
    key_path: Path
    signer: Signer
    checkpoint: Callable[[], None]


def bench(run: Run, plan: Plan, report: Report) -> None:
    owner, where, settings, database = fresh_database(run)
    key_path = run.tmp / "keys" / "notary.key"
    b = Bench(
        run,
        report,
        database,
        settings,
        key_path,
        load_signer(key_path, settings.origin),
        checkpointer(owner),
    )
    report.facts += database_facts(run, owner, where)
    run.ours.watch(owner)

    log(f"pre-filling {plan.events:,} events by COPY ...")
    filled = prefill(owner, plan.events)
    report.extra.append(
        f"pre-fill: {filled.events:,} events in {filled.cases:,} cases of {EVENTS_PER_CASE} "
        f"({CASES_IN_FLIGHT:,} interleaved), payload {filled.payload_bytes / filled.events:.0f} B "
        f"on average, ledger_events {filled.table_mb:,.0f} MB with indexes; COPY + VACUUM "
        f"ANALYZE took {filled.seconds:.1f} s; {check_shape(owner, 2 * CASES_IN_FLIGHT)}"
    )
    sealing_phase(b, plan)
    ledger = Ledger(settings, database)
    run.apps.append(ledger)
    case_id = bundle_case(b, ledger)
    proof_phase(b, plan, ledger)
    log(f"(3) bundle: build x{BUNDLE_BUILDS}, verify_bundle x{plan.verify_runs} ...")
    report.bundle = bundles(ledger, case_id, b.signer.verifier_key, plan.verify_runs)
    log("(4) witnesses: cosigning checkpoints, verify_bundle with a pinned witness ...")
    collector, witnesses = collector_for(database, b.signer, settings.origin, run.tmp / "witness")
    try:
        report.witness = [
            cosigning(ledger, database, b.signer, settings.origin, case_id, collector),
            witnessed_verification(
                ledger, case_id, b.signer.verifier_key, witnesses, plan.verify_runs
            ),
        ]
    finally:
        collector.close()
    report.extra.append(
        autovacuum_runs(owner, ("ledger_events", "ledger_leaves", "ledger_tree_nodes"))
    )


def sealing_phase(b: Bench, plan: Plan) -> None:
    """(1) the baselines, the profile, then the notary from zero at each batch size."""
    owner, origin = b.database.owner_conninfo, b.settings.origin
    b.report.parts = parts = baselines(b.database, b.settings.app_role, b.run.ours, b.checkpoint)
    log(f"(1) cProfile over {plan.profile_events:,} events ...")
    b.checkpoint()
    b.report.profile = profile_slice(b.database, b.signer, origin, plan.profile_events)
    roots: dict[int | str, tuple[int, bytes]] = {}
    for batch in BATCH_SIZES:
        reset_log(owner)
        b.checkpoint()
        log(f"(1) Notary.catch_up() from zero, batch {batch:,} ...")
        b.report.seal[batch] = timed_catch_up(b.database, b.signer, origin, batch, b.run.ours)
        roots[batch] = latest_root(owner)
    reset_log(owner)
    b.checkpoint()
    log(f"(4) Notary.catch_up() from zero, batch {DEFAULT_BATCH:,}, witness collector running ...")
    collector, _ = collector_for(b.database, b.signer, origin, b.run.tmp / "witness-sealing")
    try:
        b.report.seal_witnessed = sealing_while_witnessed(
            b.database, b.signer, origin, collector, b.run.ours
        )
    finally:
        collector.close()
    roots["witnessed"] = latest_root(owner)
    agree = set(roots.values()) == {(parts.events, parts.root)}
    b.report.extra.append(
        f"tree at {parts.events:,} leaves: both notary runs and the baseline's Frontier give "
        + ("the same size and root" if agree else f"DIFFERENT trees: {roots}")
    )


def bundle_case(b: Bench, ledger: Ledger) -> UUID:
    """(3)'s case through the real API, sealed; then the log tables vacuumed before (2)."""
    log(f"(3) a case of {EVENTS_PER_CASE} events through the Ledger API, then catch_up ...")
    case_id = case_with_events(ledger, EVENTS_PER_CASE)
    notary = Notary(b.database.notary_conninfo, b.signer, b.settings.origin)
    try:
        b.report.tree_size = notary.catch_up()
    finally:
        notary.close()
    # A live log's leaves were vacuumed (hint bits, visibility map) and analysed long ago; here
    # they are minutes old, and an autovacuum would otherwise land in the middle of (2).
    t0 = time.perf_counter()
    with psycopg.connect(b.database.owner_conninfo, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) ledger_leaves, ledger_tree_nodes, ledger_checkpoints")
        sizes = conn.execute(
            "SELECT pg_total_relation_size('ledger_leaves'), "
            "pg_total_relation_size('ledger_tree_nodes')"
        ).fetchone()
    assert sizes is not None
    b.report.extra.append(
        f"VACUUM (ANALYZE) of the log tables before (2): {time.perf_counter() - t0:.1f} s; "
        f"ledger_leaves {sizes[0] / 2**20:,.0f} MB, ledger_tree_nodes {sizes[1] / 2**20:,.0f} MB "
        "with indexes"
    )
    return case_id


def proof_phase(b: Bench, plan: Plan, ledger: Ledger) -> None:
    """(2) proofs in process, the pooled round trip, then over HTTP (optional)."""
    log(f"(2) {plan.proofs:,} inclusion proofs in process ...")
    b.checkpoint()
    rng = random.Random(9162)
    positions = rng.sample(range(1, plan.events + 1), plan.proofs + PROOF_WARMUP)
    in_process, tree_size = proofs_in_process(
        ledger, positions, b.run.ours, b.database.owner_conninfo
    )
    b.report.proofs += [in_process, pool_round_trip(ledger, plan.proofs)]
    log("(2) ... and over HTTP (`ledger serve --no-notary`) ...")
    try:
        port = start_proof_server(b.run, b.database, b.settings, b.key_path)
        b.report.proofs.append(proofs_over_http(b.run, port, positions, tree_size))
    except Exception as e:  # optional: report it and go on
        b.report.extra.append(f"HTTP proofs skipped: {e!r}"[:300])
    finally:
        stop_server(b.run)


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(__doc__, "100,000 events (under a minute)", events=True)
    args = parser.parse_args(argv)
    plan = Plan.for_mode(args.quick, args.events)
    if plan.events < plan.proofs + PROOF_WARMUP:
        parser.error(f"--events must be at least {plan.proofs + PROOF_WARMUP:,}")
    cli.quiet()
    report = Report(plan)
    report.facts.append(machine_fact("msgspec"))
    report.facts.append(source_fact())
    return run_and_print(bench, plan, report, render)


if __name__ == "__main__":
    sys.exit(main())
