"""(3) a case's bundle: building it through `Ledger.bundle`, and an auditor's `verify_bundle`."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import msgspec
from support.cases import AUDITOR
from support.timing import latency

from ledger.log.signed_note import Verifier
from ledger.log.verify import verify_bundle
from notary_bench.plan import BUNDLE_BUILDS, EVENTS_PER_CASE, VERIFY_WARMUP

if TYPE_CHECKING:
    from uuid import UUID

    from support.timing import Result

    from ledger.application.service import Ledger


def bundles(ledger: Ledger, case_id: UUID, verifier_key: str, runs: int) -> list[Result]:
    """BUNDLE_BUILDS builds, then `runs` verifications after VERIFY_WARMUP; each must be ok."""
    builds: list[float] = []
    for _ in range(BUNDLE_BUILDS):
        t0 = time.perf_counter()
        data = msgspec.json.encode(ledger.bundle(case_id, AUDITOR))
        builds.append(time.perf_counter() - t0)
    samples: list[float] = []
    for i in range(VERIFY_WARMUP + runs):
        t0 = time.perf_counter()
        report = verify_bundle(data, Verifier(verifier_key))
        elapsed = time.perf_counter() - t0
        if not report.ok or not any(f"{EVENTS_PER_CASE} events" in c for c in report.checked):
            raise RuntimeError(
                f"the bundle does not verify: {report.failures[:3]} {report.checked}"
            )
        if i >= VERIFY_WARMUP:
            samples.append(elapsed)
    return [
        latency(
            f"ledger.bundle + msgspec encode, {EVENTS_PER_CASE} events",
            builds,
            f"{len(data):,} B",
        ),
        latency(
            "verify_bundle(bytes, Verifier(key))",
            samples,
            f"{len(data):,} B bundle; all {runs} reports ok",
        ),
    ]
