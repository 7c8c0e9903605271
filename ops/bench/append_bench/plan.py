"""How long and how much each phase of the append bench runs, by mode."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    mode: str
    loop_seconds: float  # (a) and (b) each, split over `rounds` interleaved rounds of 0.5 s
    rounds: int
    http_seconds: float  # (c) each concurrency
    http_warmup_seconds: float
    get_requests: int  # (d) per case
    loop_pool: int  # fresh 6-event aggregates for (a) and for (b): each op uses a new one
    http_pool_1: int  # fresh cases for (c) at 1 client
    http_pool_16: int  # ... and at 16 clients
    projections: str = "serve"  # where the projections run during (c): serve or worker

    @classmethod
    def for_mode(cls, quick: bool) -> Plan:
        if quick:
            return cls("quick", 3.0, 6, 3.0, 1.0, 200, 200 + 3 * 1500, 3 * 600, 3 * 1000)
        return cls("full", 8.0, 16, 10.0, 2.0, 500, 200 + 8 * 1500, 10 * 600, 10 * 1000)
