"""Office hours, and a case clock's time counted on them to the minute.

Why: the time 行政许可法 第四十五条 says not to count (补正, 听证, 检验检测, 专家评审 …) is a span
of office time, not of whole days. Counted on the centre's hours, a pause from Tuesday 10:30 to
Thursday 15:00 takes out exactly the office minutes in between, and a part-day pause never rounds
to a day (as the 24-hour working days of `WorkingCalendar.add_working_days` must).

Pure: the hours come from the policy (`case_clock.working_hours`), the days from the
`WorkingCalendar`; local times are Asia/Shanghai.

- **Office time** of an interval: its overlap with the sessions of each working day in it. In a
  year the calendar does not cover, Monday to Friday is assumed and the answer is provisional.
- **n working days** (`add_office_days`) are n days' office time, counted from the first session
  of the day after the event (民法典 Art. 201) and skipping paused time. The deadline is the moment
  that much unpaused office time has passed; when no unpaused office time is left in that day after
  it, it is the end of the day (23:59:59.999999), as for a clock without pauses. So whole days of
  pause still give an end-of-day deadline, and a 90-minute pause gives one 90 office minutes later.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta

import msgspec

from ledger.domain.calendar import (
    DAY,
    END_OF_DAY,
    SHANGHAI,
    Deadline,
    Pause,
    WorkingCalendar,
    union_pauses,
)

_NOTHING = timedelta(0)


class Session(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One stretch of a working day the centre is open, [start, end) local time."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("session times are local (Asia/Shanghai), without an offset")
        if not self.start < self.end:
            raise ValueError(f"a session must end after it starts ({self.start}-{self.end})")


class WorkingHours(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A centre's office hours on every working day: sessions in order, not overlapping."""

    sessions: tuple[Session, ...]

    def __post_init__(self) -> None:
        if not self.sessions:
            raise ValueError("office hours need at least one session")
        for before, after in zip(self.sessions, self.sessions[1:], strict=False):
            if after.start < before.end:
                raise ValueError(f"sessions out of order or overlapping at {after.start}")

    @property
    def per_day(self) -> timedelta:
        """A working day's office time: what one day of a working-day limit is worth."""
        return sum((_span(s) for s in self.sessions), _NOTHING)

    def on(self, day: date) -> list[Pause]:
        """The day's sessions as aware datetimes."""
        return [
            (datetime.combine(day, s.start, SHANGHAI), datetime.combine(day, s.end, SHANGHAI))
            for s in self.sessions
        ]


def office_time(
    calendar: WorkingCalendar, intervals: Iterable[Pause], hours: WorkingHours
) -> tuple[timedelta, bool]:
    """The office time inside `intervals` (overlaps counted once), and whether it is provisional."""
    total, provisional = _NOTHING, False
    for lo, hi in union_pauses(intervals, not_before=datetime.min.replace(tzinfo=SHANGHAI)):
        day = lo.date()
        while day <= hi.date():
            if calendar.assumed_working_day(day):
                provisional = provisional or not calendar.covers(day)
                for start, end in hours.on(day):
                    total += max(_NOTHING, min(hi, end) - max(lo, start))
            day += DAY
    return total, provisional


def add_office_days(
    calendar: WorkingCalendar,
    start: datetime,
    n: int,
    pauses: Iterable[Pause],
    hours: WorkingHours,
) -> Deadline:
    """When n working days of unpaused office time, counted from the day after `start`, run out."""
    if n < 1:
        raise ValueError(f"a working-day limit must be at least 1, not {n}")
    paused = union_pauses(pauses, not_before=calendar.counting_starts_at(start))
    remaining = n * hours.per_day
    day, provisional = calendar.counting_starts_at(start).date(), False
    while True:
        if calendar.assumed_working_day(day):
            provisional = provisional or not calendar.covers(day)
            running = [part for lo, hi in hours.on(day) for part in _unpaused(paused, lo, hi)]
            for i, (lo, hi) in enumerate(running):
                if hi - lo >= remaining:
                    moment = lo + remaining
                    last = moment == hi and i == len(running) - 1
                    return Deadline(
                        due_at=datetime.combine(day, END_OF_DAY, SHANGHAI) if last else moment,
                        provisional=provisional,
                        calendar_version=calendar.version,
                    )
                remaining -= hi - lo
        day += DAY


def _unpaused(paused: Sequence[Pause], lo: datetime, hi: datetime) -> list[Pause]:
    """[lo, hi) without the (sorted, merged) paused intervals."""
    parts, at = [], lo
    for start, end in paused:
        if end <= at or start >= hi:
            continue
        if start > at:
            parts.append((at, start))
        at = max(at, end)
    if at < hi:
        parts.append((at, hi))
    return parts


def _span(session: Session) -> timedelta:
    today = date(2000, 1, 1)
    return datetime.combine(today, session.end) - datetime.combine(today, session.start)
