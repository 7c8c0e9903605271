"""One measured row (`Result`) and the nearest-rank percentile every bench reports."""

from __future__ import annotations

import math
from dataclasses import dataclass


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass
class Result:
    label: str
    ops: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non2xx: int | None = None
    note: str = ""
    others_pct: float | None = None
    """CPU that other people's processes took during the phase, % of the machine."""

    @property
    def rate(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0


def latency(
    label: str,
    samples: list[float],
    note: str = "",
    *,
    seconds: float | None = None,
    non2xx: int | None = None,
    others_pct: float | None = None,
) -> Result:
    """A row from per-operation latencies (seconds); its time is their sum unless given."""
    ordered = sorted(samples)
    return Result(
        label=label,
        ops=len(ordered),
        seconds=sum(ordered) if seconds is None else seconds,
        p50_ms=percentile(ordered, 50) * 1000,
        p99_ms=percentile(ordered, 99) * 1000,
        non2xx=non2xx,
        note=note,
        others_pct=others_pct,
    )


def throughput(
    label: str, ops: int, seconds: float, note: str, others_pct: float | None = None
) -> Result:
    """A row timed as a whole (a catch-up): a rate, no latencies."""
    return Result(
        label=label,
        ops=ops,
        seconds=seconds,
        p50_ms=math.nan,
        p99_ms=math.nan,
        note=note,
        others_pct=others_pct,
    )
