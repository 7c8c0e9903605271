"""Rates as every indicator serves them: numerator ÷ denominator, rounded half up, with both parts.

A rate is a number in [0, 1] rounded half up to 4 decimals (2 for per-case averages), or null
when the denominator is 0; each is served with its numerator and denominator so anyone can
recompute it. Rounding is exact (fractions), as one rounds by hand.
"""

from __future__ import annotations

import math
from fractions import Fraction

import msgspec


class Rate(msgspec.Struct, frozen=True, kw_only=True):
    """numerator ÷ denominator, rounded; null when the denominator is 0."""

    value: float | None
    numerator: int
    denominator: int


def rate(numerator: int, denominator: int, places: int = 4) -> Rate:
    """numerator ÷ denominator rounded half up to `places` decimals; null for a zero denominator."""
    value = None if denominator == 0 else round_half_up(Fraction(numerator, denominator), places)
    return Rate(value=value, numerator=numerator, denominator=denominator)


def round_half_up(value: Fraction, places: int) -> float:
    """Exact decimal rounding of a non-negative fraction (0.125 → 0.13, as one rounds by hand)."""
    scale = 10**places
    return float(Fraction(math.floor(value * scale + Fraction(1, 2)), scale))
