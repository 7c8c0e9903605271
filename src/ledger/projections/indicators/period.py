"""The period P every indicator counts over: whole dates in Asia/Shanghai, both inclusive.

`from` and `to` are dates, both inclusive, in Asia/Shanghai (+08:00): P = [from 00:00, to+1 00:00).
`to` defaults to today, `from` to the first day of `to`'s month; `from` after `to` is refused, and
so is a period longer than 366 days. Only deadlines already passed (≤ now, an argument: no
clock here) make anything due.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from ledger.domain.calendar import SHANGHAI

MAX_PERIOD_DAYS = 366


class QueryError(ValueError):
    """A report request that cannot be answered as asked; `field` names the parameter."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail


@dataclass(frozen=True)
class Period:
    """The dates `first`..`last` (inclusive) in Asia/Shanghai: the instants [start, end)."""

    first: date
    last: date
    start: datetime = field(init=False, repr=False, compare=False)
    end: datetime = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Computed once, as UTC: `contains` runs several times per case, and Python compares
        # datetimes with the very same tzinfo (rows read in a UTC session) without converting.
        start = datetime.combine(self.first, time(), SHANGHAI)
        end = datetime.combine(self.last + timedelta(days=1), time(), SHANGHAI)
        object.__setattr__(self, "start", start.astimezone(timezone.utc))  # noqa: UP017
        object.__setattr__(self, "end", end.astimezone(timezone.utc))  # noqa: UP017

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment < self.end


def resolve_period(first: date | None, last: date | None, today: date) -> Period:
    """`to` defaults to `today`, `from` to the first day of `to`'s month; at most 366 days."""
    last = today if last is None else last
    first = last.replace(day=1) if first is None else first
    if first > last:
        raise QueryError("from", f"from {first} is after to {last}")
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise QueryError("from", f"a period spans at most {MAX_PERIOD_DAYS} days")
    return Period(first=first, last=last)
