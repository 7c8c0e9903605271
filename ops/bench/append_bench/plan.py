"""How long and how much each phase of the append bench runs, by mode."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_WORKERS = (1, 2, 4)


@dataclass(frozen=True)
class Plan:
    mode: str
    loop_seconds: float  # (a) and (b) each, split over `rounds` interleaved rounds of 0.5 s
    rounds: int
    http_seconds: float  # (c) each concurrency, (e) once, for each worker count
    http_warmup_seconds: float
    get_requests: int  # (d) per case
    loop_pool: int  # fresh 6-event aggregates for (a) and for (b): each op uses a new one
    http_pool_1: int  # fresh cases for (c) at 1 client, per worker count
    http_pool_16: int  # ... at 16 clients
    ryw_pool: int  # ... and for (e), and as many again for its floor
    think_pool: int  # ... and for (e) with think time
    workers: tuple[int, ...] = DEFAULT_WORKERS
    """`ledger serve --workers N` for each N in turn: (c) and (e) are measured for each."""

    @classmethod
    def for_mode(cls, quick: bool) -> Plan:
        if quick:
            return cls(
                "quick", 3.0, 6, 3.0, 1.0, 200, 200 + 3 * 1500, 3 * 600, 3 * 1500, 3 * 500, 3 * 250
            )
        return cls(
            "full", 8.0, 16, 10.0, 2.0, 500, 200 + 8 * 1500, 10 * 600, 10 * 1500, 10 * 500, 10 * 250
        )

    @property
    def budget_workers(self) -> int:
        """The count the budgets are judged at: `ledger serve`'s default, one per core."""
        cores = os.cpu_count() or 1
        return cores if cores in self.workers else self.workers[-1]

    @property
    def http_pool(self) -> int:
        """Cases (c) and (e) use for one worker count."""
        return self.http_pool_1 + self.http_pool_16 + 2 * self.ryw_pool + self.think_pool
