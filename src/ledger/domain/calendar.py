"""Working days in one jurisdiction (holidays, 调休 make-up days) and deadlines counted in them.

Pure: calendar data arrives as values (`ledger.rules.calendars` reads the TOML files); nothing
here reads files or the clock. All local dates are Asia/Shanghai, a fixed +08:00 with no daylight
saving, so every day is exactly 24 hours long.

Units and rules, in one place:

- **Working day**: a day that is not a listed holiday and is either Monday to Friday or a listed
  make-up day. In a year the calendar does not cover, Monday to Friday is *assumed*; only
  `add_working_days` may use that assumption, and it marks its result provisional. The other
  working-day queries raise `CalendarNotCoveredError` instead (fail closed).
- **Working time** (`working_time_between`): the part of the half-open interval [start, end) that
  falls on working days, minus the part of it that is paused. A whole working day is 24 hours of
  working time; hours on weekends and holidays count zero. Pauses may overlap; paused time is
  counted once.
- **Deadline in working days** (`add_working_days`): the day of the event is not counted (民法典
  Art. 201): the clock starts at 00:00 of the next day. The deadline is the end (23:59:59.999999)
  of the earliest working day by which the *unpaused* working time since the clock started reaches
  n whole days. Without pauses that is the end of the n-th working day after the event. A pause
  covering k whole working days pushes the deadline k working days later. A pause covering part of
  a working day takes that part out, and because deadlines fall at the end of a day, the total
  paused working time is in effect rounded UP to whole working days: a 4-hour pause moves the
  deadline one working day; two 4-hour pauses together also move it one; 30 hours move it two.
  Paused time before the clock starts, on non-working days, or after the deadline changes nothing.
  (Case clocks started since the policy gives office hours count pauses to the minute on them
  instead: `ledger.domain.working_hours`; this rule stays for older clocks, which replay as
  frozen.)
- **Emergency limits** (`add_minutes`): wall-clock minutes, holidays irrelevant, never provisional.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone

import msgspec

from ledger.domain.errors import LedgerError

SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
DAY = timedelta(days=1)
END_OF_DAY = time(23, 59, 59, 999999)
_SATURDAY = 5
_NOTHING = timedelta(0)

Pause = tuple[datetime, datetime]


class CalendarError(LedgerError):
    """Calendar data that cannot be right, or an override that does not fit its base."""


class CalendarNotCoveredError(LedgerError):
    """A working-day question about a year the calendar has no published schedule for."""

    def __init__(self, version: str, years: list[int]) -> None:
        super().__init__(f"calendar {version} does not cover {', '.join(map(str, years))}")
        self.version = version
        self.years = years


class Deadline(msgspec.Struct, frozen=True, kw_only=True):
    """When a time limit runs out, and whether the calendar could vouch for every day counted."""

    due_at: datetime
    provisional: bool
    calendar_version: str


class WorkingCalendar(msgspec.Struct, frozen=True, kw_only=True):
    """One jurisdiction's holidays and 调休 make-up days for the years it covers.

    `extends` is set only on a local override fragment (the jurisdiction it amends); a fragment
    answers no working-day question until `merge`d over its base.
    """

    version: str
    jurisdiction: str
    covered_years: frozenset[int]
    holidays: frozenset[date] = frozenset()
    makeup_days: frozenset[date] = frozenset()
    extends: str | None = None

    def __post_init__(self) -> None:
        if not self.version or not self.jurisdiction:
            raise CalendarError("a calendar needs a version and a jurisdiction")
        if both := sorted(self.holidays & self.makeup_days):
            raise CalendarError(f"{_days(both)} listed both as holiday and as make-up day")
        if outside := sorted(
            d for d in self.holidays | self.makeup_days if d.year not in self.covered_years
        ):
            raise CalendarError(f"{_days(outside)} outside the covered years")
        if weekdays := sorted(d for d in self.makeup_days if d.weekday() < _SATURDAY):
            raise CalendarError(f"make-up days must be weekend days, not {_days(weekdays)}")

    def covers(self, day: date) -> bool:
        return _as_date(day).year in self.covered_years

    def is_working_day(self, day: date) -> bool:
        """Raises `CalendarNotCoveredError` for a day in a year the calendar does not cover."""
        self._require_complete()
        day = _as_date(day)
        if not self.covers(day):
            raise CalendarNotCoveredError(self.version, [day.year])
        return self._assumed_working(day)

    def assumed_working_day(self, day: date) -> bool:
        """Working by the calendar; Monday to Friday in a year it does not cover (a caller that
        relies on that marks its answer provisional, as `add_working_days` does)."""
        self._require_complete()
        return self._assumed_working(_as_date(day))

    def counting_starts_at(self, event_at: datetime) -> datetime:
        """00:00 local of the day after the event: the event's own day is not counted."""
        return _midnight(_local(event_at).date() + DAY)

    def add_working_days(self, start: datetime, n: int, pauses: Iterable[Pause] = ()) -> Deadline:
        """End of the n-th working day after `start`, later by paused working time (module doc)."""
        self._require_complete()
        if n < 1:
            raise ValueError(f"a working-day limit must be at least 1, not {n}")
        clock_from = self.counting_starts_at(start)
        paused = union_pauses(pauses, not_before=clock_from)
        remaining = n * DAY
        provisional = False
        day = clock_from.date()
        while True:
            provisional = provisional or not self.covers(day)
            if self._assumed_working(day):
                begins = _midnight(day)
                remaining -= DAY - _overlap(paused, begins, begins + DAY)
                if remaining <= _NOTHING:
                    return Deadline(
                        due_at=datetime.combine(day, END_OF_DAY, SHANGHAI),
                        provisional=provisional,
                        calendar_version=self.version,
                    )
            day += DAY

    def working_time_between(
        self, start: datetime, end: datetime, pauses: Iterable[Pause] = ()
    ) -> timedelta:
        """The part of [start, end) on working days, minus pauses; raises if a year is uncovered."""
        self._require_complete()
        lo, hi = _local(start), _local(end)
        if hi < lo:
            raise ValueError(f"end {hi.isoformat()} is before start {lo.isoformat()}")
        if hi == lo:
            return _NOTHING
        first, last = lo.date(), (hi - timedelta(microseconds=1)).date()
        if uncovered := [
            y for y in range(first.year, last.year + 1) if y not in self.covered_years
        ]:
            raise CalendarNotCoveredError(self.version, uncovered)
        paused = union_pauses(pauses, not_before=lo)
        total = _NOTHING
        day = first
        while day <= last:
            if self._assumed_working(day):
                begins = _midnight(day)
                seg_lo, seg_hi = max(lo, begins), min(hi, begins + DAY)
                total += (seg_hi - seg_lo) - _overlap(paused, seg_lo, seg_hi)
            day += DAY
        return total

    def add_minutes(self, start: datetime, minutes: int) -> Deadline:
        """Emergency limits (e.g. 15 minutes to sign for a threat to life): wall-clock time."""
        if minutes < 1:
            raise ValueError(f"a minutes limit must be at least 1, not {minutes}")
        return Deadline(
            due_at=_local(start) + timedelta(minutes=minutes),
            provisional=False,
            calendar_version=self.version,
        )

    def _assumed_working(self, day: date) -> bool:
        if day in self.holidays:
            return False
        return day in self.makeup_days or day.weekday() < _SATURDAY

    def _require_complete(self) -> None:
        if self.extends is not None:
            raise CalendarError(
                f"{self.version} is an override of {self.extends!r}; merge it over its base first"
            )


def merge(base: WorkingCalendar, override: WorkingCalendar) -> WorkingCalendar:
    """The base calendar with a local override applied; the override wins where they disagree.

    Override holidays become non-working days (even a base make-up day); override make-up days
    become working days (even a weekend inside a base holiday period). The result covers what the
    base covers: an override may not speak for a year the base has not published.
    """
    if base.extends is not None:
        raise CalendarError(f"base {base.version} is itself an override of {base.extends!r}")
    if override.extends != base.jurisdiction:
        raise CalendarError(
            f"override {override.version} extends {override.extends!r}, not {base.jurisdiction!r}"
        )
    if beyond := sorted(override.covered_years - base.covered_years):
        raise CalendarError(
            f"override {override.version} covers {', '.join(map(str, beyond))},"
            f" which base {base.version} does not"
        )
    return WorkingCalendar(
        version=f"{base.version}+{override.version}",
        jurisdiction=override.jurisdiction,
        covered_years=base.covered_years,
        holidays=(base.holidays - override.makeup_days) | override.holidays,
        makeup_days=(base.makeup_days - override.holidays) | override.makeup_days,
    )


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; deadlines need aware datetimes")
    return moment.astimezone(SHANGHAI)


def _as_date(day: date) -> date:
    return _local(day).date() if isinstance(day, datetime) else day


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), SHANGHAI)


def union_pauses(pauses: Iterable[Pause], not_before: datetime) -> list[Pause]:
    """Pauses in local time, clipped to start no earlier than `not_before`, overlaps merged."""
    clipped: list[Pause] = []
    for raw_start, raw_end in pauses:
        start, end = _local(raw_start), _local(raw_end)
        if end < start:
            raise ValueError(f"pause ends {end.isoformat()} before it starts {start.isoformat()}")
        start = max(start, not_before)
        if end > start:
            clipped.append((start, end))
    merged: list[Pause] = []
    for start, end in sorted(clipped):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _overlap(paused: list[Pause], lo: datetime, hi: datetime) -> timedelta:
    total = _NOTHING
    for start, end in paused:
        if start < hi and end > lo:
            total += min(end, hi) - max(start, lo)
    return total


def _days(days: list[date]) -> str:
    return ", ".join(d.isoformat() for d in days)
