"""Working days and office hours for the synthetic month, from the national calendar.

Window traffic keeps to working days and office hours (Beijing time) as the national calendar in
`policies/calendars` has them: none on the National Day holidays, some on the 调休 Saturday.
`WorkingDays` answers, from a case's random stream, "when in office hours" and "which working day".
"""

from __future__ import annotations

import bisect
import random
from datetime import date, datetime, time, timedelta

from ledger.demo.plan import BEIJING
from ledger.domain.calendar import CalendarNotCoveredError, WorkingCalendar
from ledger.rules.calendars import DEFAULT_DIR, load_jurisdiction

OPENS, LUNCH, REOPENS, CLOSES = time(9, 0), time(12, 0), time(14, 0), time(17, 30)
_OFFICE_MINUTES = [  # the 5-minute slots of a day's office hours, as minutes after opening
    minute
    for minute in range(0, 8 * 60 + 30, 5)
    if (t := (datetime.combine(date.min, OPENS) + timedelta(minutes=minute)).time()) < LUNCH
    or REOPENS <= t < CLOSES
]
_OFFICE_OFFSETS = [timedelta(minutes=minute) for minute in _OFFICE_MINUTES]


class WorkingDays:
    """Working days and office hours, from the national calendar (weekdays where it has no year)."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self._working: dict[date, bool] = {}

    def is_working(self, day: date) -> bool:
        known = self._working.get(day)
        if known is None:
            try:
                known = self.calendar.is_working_day(day)
            except CalendarNotCoveredError:
                known = day.weekday() < 5
            self._working[day] = known
        return known

    def after(self, day: date, n: int) -> date:
        """The n-th working day after `day`; n = 0: `day` itself if working, else the next one."""
        while n > 0 or not self.is_working(day):
            day += timedelta(days=1)
            if n > 0 and self.is_working(day):
                n -= 1
        return day

    def office_time(
        self, rng: random.Random, day: date, not_before: datetime | None = None
    ) -> datetime:
        """A random moment of office hours on `day` after `not_before`, else the next day's."""
        while True:
            opens = datetime.combine(day, OPENS, BEIJING)
            lo = opens
            if not_before is not None and not_before.date() == day:
                lo = max(lo, not_before + timedelta(minutes=5))
            # The office slots at or after `lo` (the offsets are sorted).
            slots = _OFFICE_MINUTES[bisect.bisect_left(_OFFICE_OFFSETS, lo - opens) :]
            if slots and self.is_working(day):
                return opens + timedelta(minutes=rng.choice(slots))
            day = self.after(day + timedelta(days=1), 0)

    def later(self, rng: random.Random, t: datetime, lo: int, hi: int) -> datetime:
        """A few minutes later (lo..hi); past closing time it is the next working morning."""
        moment = t + timedelta(minutes=rng.randint(lo, hi))
        if moment.time() < CLOSES and self.is_working(moment.date()):
            return moment
        return self.office_time(rng, self.after(moment.date() + timedelta(days=1), 0))

    def on(self, rng: random.Random, t: datetime, n: int) -> datetime:
        """Some time on the n-th working day after t (n = 0: later the same day, by closing)."""
        if n == 0:
            room = (datetime.combine(t.date(), CLOSES, BEIJING) - t) // timedelta(minutes=1)
            return t + timedelta(minutes=rng.randint(0, min(120, max(room, 0))))
        return self.office_time(rng, self.after(t.date(), n))


def national_calendar() -> WorkingCalendar:
    return load_jurisdiction("cn", DEFAULT_DIR)


def month_days(month: str) -> list[date]:
    first = date.fromisoformat(f"{month}-01")
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return [first + timedelta(days=i) for i in range((following - first).days)]
