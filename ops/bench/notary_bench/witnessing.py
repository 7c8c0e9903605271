"""(4) the witness path: sealing with the cosignature collector running beside the notary, one
checkpoint cosigned by the local witness, and `verify_bundle` with the witness pinned."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import msgspec
from support.cases import AUDITOR, CLERK
from support.timing import latency

from ledger.log.audit import consistency_prover
from ledger.log.notary import Notary
from ledger.log.signed_note import Verifier
from ledger.log.verify import Witnesses, verify_bundle
from ledger.log.witnesses import local_witness
from ledger.log.witnessing import CosignatureCollector, start_collector_thread
from notary_bench.plan import DEFAULT_BATCH, VERIFY_WARMUP
from notary_bench.sealing import timed_catch_up

if TYPE_CHECKING:
    from pathlib import Path
    from uuid import UUID

    from support.cpu import Ours
    from support.timing import Result

    from ledger.application.service import Ledger
    from ledger.log.signed_note import Signer
    from ledger.store.database import Database

COSIGN_ROUNDS = 200


def collector_for(
    database: Database, signer: Signer, origin: str, directory: Path
) -> tuple[CosignatureCollector, Witnesses]:
    witness = local_witness(directory, origin, [Verifier(signer.verifier_key)])
    conninfo = database.notary_conninfo
    collector = CosignatureCollector(
        conninfo, [(witness.verifier, witness.client)], consistency_prover(conninfo)
    )
    return collector, Witnesses(keys=(witness.verifier,), quorum=1)


def sealing_while_witnessed(
    database: Database, signer: Signer, origin: str, collector: CosignatureCollector, ours: Ours
) -> Result:
    """`Notary.catch_up()` from zero with the collector thread cosigning every checkpoint the
    notary signs meanwhile (once a second), as `ledger serve` runs them."""
    _, stop = start_collector_thread(collector)
    try:
        result = timed_catch_up(database, signer, origin, DEFAULT_BATCH, ours)
    finally:
        stop.set()
    result.label += ", witness collector running"
    return result


def cosigning(
    ledger: Ledger,
    database: Database,
    signer: Signer,
    origin: str,
    case_id: UUID,
    collector: CosignatureCollector,
) -> Result:
    """COSIGN_ROUNDS times: one event, a checkpoint, then the time for the collector to get it
    cosigned (add-checkpoint with a consistency proof, the witness's checks and fsync, the
    cosignature verified and stored)."""
    notary = Notary(database.notary_conninfo, signer, origin)
    samples = []
    try:
        for _ in range(COSIGN_ROUNDS):
            ledger.append(case_id, CLERK, "VisitRecorded", note="witnessed")
            notary.seal(force_checkpoint=True)
            t0 = time.perf_counter()
            stored = collector.collect_once()
            samples.append(time.perf_counter() - t0)
            if stored != 1:
                raise RuntimeError(f"the local witness did not cosign (stored {stored})")
    finally:
        notary.close()
    return latency(
        "a new checkpoint cosigned by the local witness",
        samples,
        "collect_once: proof + witness (SQLite, synchronous=FULL) + verify + INSERT",
    )


def witnessed_verification(
    ledger: Ledger, case_id: UUID, verifier_key: str, witnesses: Witnesses, runs: int
) -> Result:
    bundle = ledger.bundle(case_id, AUDITOR, witnessed=True)
    data = msgspec.json.encode(bundle)
    samples = []
    for i in range(VERIFY_WARMUP + runs):
        t0 = time.perf_counter()
        report = verify_bundle(data, Verifier(verifier_key), witnesses=witnesses)
        elapsed = time.perf_counter() - t0
        if not report.ok or not any("cosigned by 1 pinned" in c for c in report.checked):
            raise RuntimeError(f"the witnessed bundle does not verify: {report.failures[:3]}")
        if i >= VERIFY_WARMUP:
            samples.append(elapsed)
    return latency(
        "verify_bundle(bytes, key, witnesses=1 pinned, quorum 1)",
        samples,
        f"{len(bundle.events)} events (the cosigning rounds added them), {len(data):,} B; "
        f"all {runs} reports ok",
    )
