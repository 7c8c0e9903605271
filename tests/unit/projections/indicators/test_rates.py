"""`rates.exact_sum` is `sum` over `Fraction`s, exactly, for any floats a wait can be."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from ledger.projections.indicators.rates import exact_sum

floats = st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False)


@given(st.lists(floats, max_size=40))
def test_exact_sum_is_the_sum_of_the_fractions(values: list[float]) -> None:
    assert exact_sum(values) == sum((Fraction(v) for v in values), Fraction(0))


def test_exact_sum_keeps_what_float_addition_loses() -> None:
    values = [2.0**53, 1.0, 1.0]
    assert exact_sum(values) == Fraction(2**53 + 2)
    assert sum(values) != 2**53 + 2  # float addition drops each 1.0
