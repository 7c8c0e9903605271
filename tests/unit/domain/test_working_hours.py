"""Office hours: pauses of a case clock counted to the minute on the centre's working time.

Every expected value is worked out by hand on the 2026 national calendar with the national
policy's hours (09:00-12:00 and 13:30-17:30: 3 h + 4 h = 7 h = 420 minutes a working day).
March 2026 has no holiday; 清明 is Saturday 4-4 to Monday 4-6.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import msgspec
import pytest

from ledger.domain.working_hours import Session, WorkingHours, add_office_days, office_time
from ledger.rules.time_limits import Policies

CST = timezone(timedelta(hours=8))
CN = Policies().timing("huoshan")
HOURS = CN.policy.case_clock.working_hours


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)  # type: ignore[misc]


def end_of(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, 999999, tzinfo=CST)


def test_the_national_hours_are_seven_hours_a_day_with_a_lunch_break() -> None:
    assert HOURS.sessions == (
        Session(start=time(9), end=time(12)),
        Session(start=time(13, 30), end=time(17, 30)),
    )
    assert HOURS.per_day == timedelta(minutes=420)


def test_a_pause_from_tuesday_1030_to_thursday_1500_is_1020_office_minutes() -> None:
    # Tue 3-3: 10:30-12:00 (90) + 13:30-17:30 (240) = 330; Wed 3-4: 420;
    # Thu 3-5: 09:00-12:00 (180) + 13:30-15:00 (90) = 270. 330 + 420 + 270 = 1020 minutes.
    paused, provisional = office_time(
        CN.calendar, [(cst(2026, 3, 3, 10, 30), cst(2026, 3, 5, 15, 0))], HOURS
    )

    assert paused == timedelta(minutes=1020)
    assert provisional is False


def test_lunch_nights_and_weekends_are_not_office_time() -> None:
    lunch = (cst(2026, 3, 3, 12, 0), cst(2026, 3, 3, 13, 30))
    weekend = (cst(2026, 3, 6, 17, 30), cst(2026, 3, 9, 9, 0))  # Friday close to Monday open

    assert office_time(CN.calendar, [lunch, weekend], HOURS) == (timedelta(0), False)


def test_twenty_working_days_from_a_monday_fall_due_at_the_end_of_the_twentieth() -> None:
    # Counting starts Tue 3-3: 3-3..3-6 (4), 3-9..13 (9), 3-16..20 (14), 3-23..27 (19), 3-30 (20).
    deadline = add_office_days(CN.calendar, cst(2026, 3, 2, 9, 0), 20, (), HOURS)

    assert deadline.due_at == end_of(2026, 3, 30)
    assert deadline.provisional is False


def test_the_1020_paused_minutes_move_the_deadline_to_thursday_noon() -> None:
    # 20 days = 8400 office minutes. Before the pause: Tue 3-3 09:00-10:30 = 90; after it,
    # Thu 3-5 15:00-17:30 = 150; 8400 - 240 = 8160 = 19 × 420 + 180 left from Fri 3-6: 19 whole
    # days are 3-6, 3-9..13, 3-16..20, 3-23..27, 3-30, 3-31, 4-1; then 180 minutes of Thu 4-2,
    # 09:00-12:00. (Equally: the end of 3-30 plus 1020 minutes = 3-31 420 + 4-1 420 + 180.)
    pause = (cst(2026, 3, 3, 10, 30), cst(2026, 3, 5, 15, 0))

    deadline = add_office_days(CN.calendar, cst(2026, 3, 2, 9, 0), 20, [pause], HOURS)

    assert deadline.due_at == cst(2026, 4, 2, 12, 0)


def test_a_part_day_pause_is_not_rounded_to_a_whole_day() -> None:
    # 5 days from Mon 3-2: due the end of Mon 3-9. A pause Tue 3-3 09:00-13:00 takes out
    # 09:00-12:00 = 180 minutes (12:00-13:00 is lunch): due Tue 3-10 09:00 + 180 min = 12:00,
    # not the end of 3-10 as whole-day rounding would give.
    pause = (cst(2026, 3, 3, 9, 0), cst(2026, 3, 3, 13, 0))

    deadline = add_office_days(CN.calendar, cst(2026, 3, 2, 9, 0), 5, [pause], HOURS)

    assert deadline.due_at == cst(2026, 3, 10, 12, 0)


def test_a_pause_of_whole_days_still_falls_due_at_the_end_of_a_day() -> None:
    # 5 days from Mon 3-2 (end of 3-9); Tue 3-3 and Wed 3-4 paused whole: 840 minutes, two
    # days: the budget runs out at 17:30 on Wed 3-11, the day's last office minute.
    pause = (cst(2026, 3, 3, 0, 0), cst(2026, 3, 5, 0, 0))

    deadline = add_office_days(CN.calendar, cst(2026, 3, 2, 9, 0), 5, [pause], HOURS)

    assert deadline.due_at == end_of(2026, 3, 11)


def test_paused_time_before_counting_starts_changes_nothing() -> None:
    same_day = (cst(2026, 3, 2, 9, 30), cst(2026, 3, 2, 17, 0))  # the event's own day

    deadline = add_office_days(CN.calendar, cst(2026, 3, 2, 9, 0), 5, [same_day], HOURS)

    assert deadline.due_at == end_of(2026, 3, 9)


def test_a_count_into_an_unpublished_year_is_provisional() -> None:
    deadline = add_office_days(CN.calendar, cst(2026, 12, 28, 9, 0), 10, (), HOURS)

    assert deadline.provisional is True and deadline.due_at.year == 2027


@pytest.mark.parametrize(
    "sessions",
    [
        [],
        [{"start": "09:00:00", "end": "09:00:00"}],
        [{"start": "13:30:00", "end": "17:30:00"}, {"start": "09:00:00", "end": "12:00:00"}],
        [{"start": "09:00:00", "end": "12:00:00"}, {"start": "11:00:00", "end": "17:30:00"}],
    ],
    ids=["none", "empty-session", "out-of-order", "overlapping"],
)
def test_hours_that_cannot_be_right_are_refused(sessions: list[dict[str, str]]) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"sessions": sessions}, WorkingHours)
