"""What every view read answers beside its rows: the view's lag, and counts by colour."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from ledger.domain.clock import Colour


class Lag(msgspec.Struct, kw_only=True):
    events: int
    """Events stored after `as_of_position`."""
    seconds: float | None
    """How long ago the oldest of them was recorded (0 when caught up)."""


class ColourCounts(msgspec.Struct, kw_only=True):
    red: int = 0
    amber: int = 0
    green: int = 0
    none: int = 0

    @classmethod
    def of(cls, colours: Iterable[Colour]) -> ColourCounts:
        counts = cls()
        for colour in colours:
            setattr(counts, colour.value, getattr(counts, colour.value) + 1)
        return counts
