"""How many events the projections bench pre-fills and how long each phase runs, by mode."""

from __future__ import annotations

from dataclasses import dataclass

WRITERS = 16
COMMIT_BASELINE_EVENTS = 3_000
CASES_PER_MONTH = 10_000  # the five synthetic centres together: ~450 a working day


@dataclass(frozen=True)
class Plan:
    mode: str
    events: int
    ryw_seconds: float
    library_seconds: float | None
    """Cap on the per-event run (None: the whole log, which takes minutes at ~1-3k events/s)."""
    custom_events: bool = False

    @classmethod
    def for_mode(cls, quick: bool, events: int | None, library_seconds: float | None) -> Plan:
        n = events or (50_000 if quick else 200_000)
        return cls(
            "quick" if quick else "full",
            n,
            5.0 if quick else 10.0,
            library_seconds,
            custom_events=events is not None,
        )
