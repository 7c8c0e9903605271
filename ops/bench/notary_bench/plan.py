"""How many events the notary bench pre-fills and how often each phase runs, by mode."""

from __future__ import annotations

from dataclasses import dataclass

EVENTS_PER_CASE = 50
CASES_IN_FLIGHT = 1_000  # the pre-fill interleaves this many open cases, as a centre's day does
BATCH_SIZES = (10_000, 50_000)  # the notary's default first: the budget applies to it
DEFAULT_BATCH = BATCH_SIZES[0]
PROOF_WARMUP = 200  # every pooled connection has prepared its statements by then
BUNDLE_BUILDS = 20
VERIFY_WARMUP = 10


@dataclass(frozen=True)
class Plan:
    mode: str
    events: int  # pre-filled events
    profile_events: int  # the cProfile slice
    proofs: int  # (2) in process and over HTTP, each
    verify_runs: int  # (3)
    custom_events: bool = False

    @classmethod
    def for_mode(cls, quick: bool, events: int | None) -> Plan:
        n = events or (100_000 if quick else 1_000_000)
        mode = "quick" if quick else "full"
        return cls(mode, n, min(100_000, n), 2_000, 200, custom_events=events is not None)
