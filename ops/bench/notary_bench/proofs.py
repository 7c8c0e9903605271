"""(2) inclusion proofs at the sealed log's size: in process through `AuditLog`, the pooled round
trip under each of its queries, and over HTTP through `ledger serve --no-notary`."""

from __future__ import annotations

import http.client
import os
import time
from typing import TYPE_CHECKING, Any

import msgspec
from support.cpu import Cpu, cpu_note
from support.postgres import Autovacuum
from support.server import free_port, start_server
from support.timing import latency

from ledger.log.merkle.proofs import verify_inclusion
from notary_bench.plan import PROOF_WARMUP

if TYPE_CHECKING:
    from pathlib import Path

    from support.cpu import Ours
    from support.run import Run
    from support.timing import Result

    from ledger.application.service import Ledger
    from ledger.config.settings import Settings
    from ledger.store.database import Database


def queries_per_proof(ledger: Ledger, position: int) -> int:
    """How many statements one (warm) inclusion proof sends, counted, not assumed."""
    audit = ledger.audit
    fetch = audit._fetch
    count = 0

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal count
        count += 1
        return fetch(*args, **kwargs)

    audit._fetch = counting  # type: ignore[method-assign]
    try:
        audit.inclusion_proof(position)
    finally:
        del audit._fetch
    return count


def proofs_in_process(
    ledger: Ledger, positions: list[int], ours: Ours, conninfo: str
) -> tuple[Result, int]:
    """`AuditLog.inclusion_proof`, sequential; every proof is then checked (untimed)."""
    for position in positions[:PROOF_WARMUP]:
        ledger.audit.inclusion_proof(position)
    samples: list[float] = []
    proofs = []
    with Autovacuum(conninfo) as autovacuum, Cpu(os.getpid(), ours) as cpu:
        for position in positions[PROOF_WARMUP:]:
            t0 = time.perf_counter()
            proof = ledger.audit.inclusion_proof(position)
            samples.append(time.perf_counter() - t0)
            proofs.append(proof)
    bad = sum(
        not verify_inclusion(
            p.leaf_hash, p.leaf_index, p.tree_size, p.audit_path, p.checkpoint.root_hash
        )
        for p in proofs
    )
    depth = max(len(p.audit_path) for p in proofs)
    queries = queries_per_proof(ledger, positions[-1])
    note = f"{len(proofs) - bad:,}/{len(proofs):,} verify; {depth} hashes; {queries} queries; "
    note += cpu_note(cpu) + autovacuum.describe()
    result = latency(
        "AuditLog.inclusion_proof, in process", samples, note, others_pct=cpu.others_pct
    )
    return result, proofs[0].tree_size


def pool_round_trip(ledger: Ledger, count: int) -> Result:
    """The floor under each of inclusion_proof's queries: one prepared `SELECT 1` through the
    same pool and the same code path as AuditLog's queries."""
    samples: list[float] = []
    for i in range(PROOF_WARMUP + count):
        t0 = time.perf_counter()
        with ledger.audit.datastore.get_connection() as conn, conn.cursor() as cur:
            cur.execute("SELECT 1", prepare=True)
            cur.fetchall()
        if i >= PROOF_WARMUP:
            samples.append(time.perf_counter() - t0)
    return latency("baseline: one pooled round trip (SELECT 1)", samples, "same pool and path")


def start_proof_server(run: Run, database: Database, settings: Settings, key: Path) -> int:
    """`ledger serve --no-notary` on the bench database (the notary here is the script's)."""
    port = free_port()
    start_server(
        run,
        database.owner_conninfo,
        settings,
        port,
        notary=False,
        extra_env={"LEDGER_NOTARY_KEY": str(key)},
    )
    return port


class _ProofResponse(msgspec.Struct):
    leaf_index: int
    tree_size: int


def proofs_over_http(run: Run, port: int, positions: list[int], tree_size: int) -> Result:
    """Sequential GET /audit/proofs/inclusion on one keep-alive connection; checks each answer."""
    decoder = msgspec.json.Decoder(_ProofResponse)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    samples: list[float] = []
    assert run.server is not None
    with Cpu(run.server.pid, run.ours) as cpu:
        for i, position in enumerate(positions):
            t0 = time.perf_counter()
            conn.request("GET", f"/audit/proofs/inclusion?position={position}")
            response = conn.getresponse()
            body = response.read()
            elapsed = time.perf_counter() - t0
            if response.status != 200 or decoder.decode(body).tree_size != tree_size:
                raise RuntimeError(f"proof of {position}: {response.status} {body[:300]!r}")
            if i >= PROOF_WARMUP:
                samples.append(elapsed)
    conn.close()
    return latency(
        "GET /audit/proofs/inclusion, keep-alive",
        samples,
        f"{cpu.describe('server')}; {len(body):,} B per answer",
        others_pct=cpu.others_pct,
    )
