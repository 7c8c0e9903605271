"""承诺时限压缩率's inputs: each matter's promised and statutory limit, from its centre's policy.

Apart from the tallies in `timeliness` because it reads policies (as values: the caller passes
how to find a centre's), and the tallies stay pure arithmetic over rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple, Protocol

from ledger.domain.policy import JurisdictionPolicy


class Promise(NamedTuple):
    """A matter's 承诺时限 and 法定时限 in the policy, in the same unit."""

    promised: int
    statutory: int


Promises = Mapping[tuple[str, str], Promise]
"""(centre, matter code) -> the matter's limits; matters without both are absent."""


class _Row(Protocol):
    @property
    def centre(self) -> str: ...
    @property
    def matter_code(self) -> str: ...


def promises_of(rows: Iterable[_Row], policy_of: Callable[[str], JurisdictionPolicy]) -> Promises:
    """The promised and statutory limits of the rows' matters, each from its centre's policy:
    only matters that list both, in one unit, with a statutory limit above 0."""
    found: dict[tuple[str, str], Promise] = {}
    for centre, code in {(r.centre, r.matter_code) for r in rows}:
        matter = policy_of(centre).matters.get(code)
        statutory = matter.statutory if matter else None
        if matter and statutory and statutory.unit is matter.promised.unit and statutory.value:
            found[centre, code] = Promise(matter.promised.value, statutory.value)
    return found
