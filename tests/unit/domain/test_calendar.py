"""The working-day calendar: national data against chinesecalendar; deadlines counted in it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from ledger.domain.calendar import (
    SHANGHAI,
    CalendarError,
    CalendarNotCoveredError,
    Deadline,
    WorkingCalendar,
    merge,
)
from ledger.rules.calendars import load_jurisdiction

CALENDARS = Path(__file__).resolve().parents[3] / "policies" / "calendars"
CN = load_jurisdiction("cn", CALENDARS)
HOURS = timedelta(hours=1)


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def end_of(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, 999999, tzinfo=SHANGHAI)


def days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]


# --- the data ---------------------------------------------------------------------------------


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_day_of_the_covered_years_agrees_with_chinesecalendar(year: int) -> None:
    disagreements = [
        day for day in days_of(year) if CN.is_working_day(day) != chinese_calendar.is_workday(day)
    ]
    assert disagreements == []


def test_the_national_calendar_covers_2025_and_2026_under_its_version() -> None:
    assert CN.version == "cn-2026.1"
    assert CN.jurisdiction == "cn"
    assert CN.covered_years == frozenset({2025, 2026})


def test_the_2026_make_up_working_days_are_the_six_the_notice_names() -> None:
    makeup_2026 = sorted(d for d in CN.makeup_days if d.year == 2026)
    assert makeup_2026 == [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]
    assert all(d.weekday() >= 5 and CN.is_working_day(d) for d in makeup_2026)


def test_asking_about_a_day_in_an_uncovered_year_fails_closed() -> None:
    assert not CN.covers(date(2027, 1, 4))
    with pytest.raises(CalendarNotCoveredError) as refused:
        CN.is_working_day(date(2027, 1, 4))
    assert refused.value.years == [2027] and refused.value.version == "cn-2026.1"


def test_a_datetime_is_asked_about_by_its_shanghai_date() -> None:
    # 2026-02-13 20:00 UTC is already Saturday 2026-02-14 (a make-up working day) in Shanghai.
    assert CN.is_working_day(datetime(2026, 2, 13, 20, 0, tzinfo=UTC))
    # 2026-02-14 20:00 UTC is Sunday 2026-02-15, the first day of the Spring Festival break.
    assert not CN.is_working_day(datetime(2026, 2, 14, 20, 0, tzinfo=UTC))


def test_a_calendar_refuses_a_day_both_holiday_and_make_up_day() -> None:
    with pytest.raises(CalendarError, match="2026-02-14"):
        WorkingCalendar(
            version="t-1",
            jurisdiction="t",
            covered_years=frozenset({2026}),
            holidays=frozenset({date(2026, 2, 14)}),
            makeup_days=frozenset({date(2026, 2, 14)}),
        )


def test_a_calendar_refuses_dates_outside_its_covered_years() -> None:
    with pytest.raises(CalendarError, match="2027-01-01 outside"):
        WorkingCalendar(
            version="t-1",
            jurisdiction="t",
            covered_years=frozenset({2026}),
            holidays=frozenset({date(2027, 1, 1)}),
        )


def test_a_calendar_refuses_a_make_up_day_that_is_already_a_weekday() -> None:
    with pytest.raises(CalendarError, match="weekend"):
        WorkingCalendar(
            version="t-1",
            jurisdiction="t",
            covered_years=frozenset({2026}),
            makeup_days=frozenset({date(2026, 3, 4)}),
        )


# --- counting starts the next day ---------------------------------------------------------------


def test_a_friday_afternoon_application_with_one_working_day_is_due_end_of_monday() -> None:
    # Fri 2026-03-06 16:00: the Friday is not counted; Sat 7, Sun 8 are weekend; Mon 9 is day 1.
    deadline = CN.add_working_days(at(2026, 3, 6, 16), 1)
    assert deadline == Deadline(
        due_at=end_of(2026, 3, 9), provisional=False, calendar_version="cn-2026.1"
    )


def test_a_friday_application_is_due_tuesday_when_monday_is_a_holiday() -> None:
    # Fri 2026-04-03 16:00: Sat 4, Sun 5, Mon 6 are the 清明 break; Tue 7 is day 1.
    assert CN.add_working_days(at(2026, 4, 3, 16), 1).due_at == end_of(2026, 4, 7)
    # Fri 2025-05-30 16:00: Sat 31 May to Mon 2 June are the 端午 break; Tue 3 June is day 1.
    assert CN.add_working_days(at(2025, 5, 30, 16), 1).due_at == end_of(2025, 6, 3)


def test_an_application_one_minute_before_midnight_still_starts_counting_the_next_day() -> None:
    # Mon 2026-03-02 23:59: Tue 3 is day 1.
    assert CN.add_working_days(at(2026, 3, 2, 23, 59), 1).due_at == end_of(2026, 3, 3)


def test_the_day_of_the_event_is_taken_in_shanghai_time() -> None:
    # 2026-03-05 20:00 UTC is Fri 2026-03-06 04:00 in Shanghai: day 1 is Mon 9, not Fri 6.
    event = datetime(2026, 3, 5, 20, 0, tzinfo=UTC)
    assert CN.add_working_days(event, 1).due_at == end_of(2026, 3, 9)


def test_the_deadline_is_the_last_microsecond_of_the_day_in_shanghai() -> None:
    due_at = CN.add_working_days(at(2026, 3, 2, 9), 1).due_at
    assert due_at.utcoffset() == timedelta(hours=8)
    assert due_at + timedelta(microseconds=1) == at(2026, 3, 4)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        CN.add_working_days(datetime(2026, 3, 2, 9), 1)


def test_a_limit_of_zero_working_days_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        CN.add_working_days(at(2026, 3, 2, 9), 0)


# --- the 2026 Spring Festival and National Day ----------------------------------------------------


def test_five_working_days_across_the_2026_spring_festival() -> None:
    # Thu 2026-02-12 10:00. Fri 13 (1), Sat 14 make-up (2), Sun 15 to Mon 23 春节 break,
    # Tue 24 (3), Wed 25 (4), Thu 26 (5).
    assert CN.add_working_days(at(2026, 2, 12, 10), 5).due_at == end_of(2026, 2, 26)


def test_the_saturday_after_the_spring_festival_is_counted() -> None:
    # Thu 2026-02-26 11:00. Fri 27 (1), Sat 28 make-up (2), Sun Mar 1 no, Mon Mar 2 (3).
    assert CN.add_working_days(at(2026, 2, 26, 11), 3).due_at == end_of(2026, 3, 2)


def test_an_application_on_the_eve_of_the_spring_festival_waits_out_the_break() -> None:
    # Sat 2026-02-14 (make-up day) 15:00, 1 day: Sun 15 to Mon 23 are holidays; Tue 24 is day 1.
    assert CN.add_working_days(at(2026, 2, 14, 15), 1).due_at == end_of(2026, 2, 24)


def test_thirteen_working_days_from_the_next_day_across_mid_autumn_and_national_day() -> None:
    # 投诉 "次日起13个工作日" from Fri 2026-09-18 09:00:
    # Sat 19 no; Sun 20 make-up (1); Mon 21 (2); Tue 22 (3); Wed 23 (4); Thu 24 (5);
    # Fri 25 to Sun 27 中秋 break; Mon 28 (6); Tue 29 (7); Wed 30 (8); Oct 1 to 7 国庆 break;
    # Thu Oct 8 (9); Fri 9 (10); Sat 10 make-up (11); Sun 11 no; Mon 12 (12); Tue 13 (13).
    deadline = CN.add_working_days(at(2026, 9, 18, 9), 13)
    assert deadline.due_at == end_of(2026, 10, 13)
    assert not deadline.provisional


def test_a_deadline_across_national_day_agrees_with_chinesecalendar() -> None:
    start = at(2026, 9, 29, 14)
    expected = chinese_calendar.find_workday(5, date(2026, 9, 29))  # the 5th workday after
    assert CN.add_working_days(start, 5).due_at == end_of(
        expected.year, expected.month, expected.day
    )


# --- provisional: years without a published schedule ---------------------------------------------


def test_a_deadline_that_reaches_into_2027_is_provisional() -> None:
    # Mon 2026-12-28 10:00. Tue 29 (1), Wed 30 (2), Thu 31 (3); 2027 is unpublished, so Mon-Fri is
    # assumed: Fri 2027-01-01 (4), Mon 4 (5). (Jan 1 will surely be 元旦: hence provisional.)
    deadline = CN.add_working_days(at(2026, 12, 28, 10), 5)
    assert deadline == Deadline(
        due_at=end_of(2027, 1, 4), provisional=True, calendar_version="cn-2026.1"
    )


def test_a_deadline_that_ends_on_the_last_covered_day_is_not_provisional() -> None:
    # Mon 2026-12-28. Tue 29 (1), Wed 30 (2), Thu 31 (3).
    deadline = CN.add_working_days(at(2026, 12, 28, 10), 3)
    assert deadline.due_at == end_of(2026, 12, 31)
    assert not deadline.provisional


def test_a_deadline_entirely_inside_covered_years_is_not_provisional() -> None:
    # Tue 2025-12-30. Wed 31 (1), Thu 2026-01-01 元旦 holiday, Fri 2 and Sat 3 holiday,
    # Sun 4 make-up (2), Mon 5 (3).
    deadline = CN.add_working_days(at(2025, 12, 30, 10), 3)
    assert deadline.due_at == end_of(2026, 1, 5)
    assert not deadline.provisional


def test_an_event_in_an_uncovered_year_is_not_counted_so_its_deadline_can_be_firm() -> None:
    # Tue 2024-12-31 (2024 not covered, but not counted): Wed 2025-01-01 元旦, Thu 2 (1).
    deadline = CN.add_working_days(at(2024, 12, 31, 10), 1)
    assert deadline.due_at == end_of(2025, 1, 2)
    assert not deadline.provisional


def test_a_pause_that_pushes_a_deadline_into_2027_makes_it_provisional() -> None:
    # Mon 2026-12-14, 5 days, paused Wed 16 00:00 to Wed 30 00:00: Tue 15 (1), paused,
    # Wed 30 (2), Thu 31 (3), then assumed Mon-Fri: Fri 2027-01-01 (4), Mon 4 (5).
    pause = (at(2026, 12, 16), at(2026, 12, 30))
    deadline = CN.add_working_days(at(2026, 12, 14, 10), 5, pauses=[pause])
    assert deadline.due_at == end_of(2027, 1, 4)
    assert deadline.provisional


# --- pauses (补正, hearings, tests: the clock stops) ----------------------------------------


def test_a_pause_of_two_whole_working_days_pushes_the_deadline_two_working_days() -> None:
    # Mon 2026-03-02 10:00, 5 days: Tue 3 (1), Wed 4 (2), Thu 5 (3), Fri 6 (4), Mon 9 (5).
    start = at(2026, 3, 2, 10)
    assert CN.add_working_days(start, 5).due_at == end_of(2026, 3, 9)
    # Paused all of Wed 4 and Thu 5: Tue 3 (1), Fri 6 (2), Mon 9 (3), Tue 10 (4), Wed 11 (5).
    paused = CN.add_working_days(start, 5, pauses=[(at(2026, 3, 4), at(2026, 3, 6))])
    assert paused.due_at == end_of(2026, 3, 11)


def test_only_the_working_days_inside_a_pause_push_the_deadline() -> None:
    # Paused Fri 2026-03-06 00:00 to Tue 10 00:00: Fri 6 and Mon 9 are working days (2 days),
    # the weekend is not. Tue 3 (1), Wed 4 (2), Thu 5 (3), Tue 10 (4), Wed 11 (5).
    pause = (at(2026, 3, 6), at(2026, 3, 10))
    assert CN.add_working_days(at(2026, 3, 2, 10), 5, pauses=[pause]).due_at == end_of(2026, 3, 11)


def test_a_pause_of_a_few_hours_pushes_the_deadline_one_whole_working_day() -> None:
    # 4 hours paused on Wed 2026-03-04: the fifth day's worth of working time is reached on Tue 10.
    pause = (at(2026, 3, 4, 10), at(2026, 3, 4, 14))
    assert CN.add_working_days(at(2026, 3, 2, 10), 5, pauses=[pause]).due_at == end_of(2026, 3, 10)


def test_partial_pauses_add_up_before_they_are_rounded_up_to_whole_days() -> None:
    start = at(2026, 3, 2, 10)
    # 4 h + 4 h = 8 h: one day later (Tue 10).
    short = [(at(2026, 3, 3, 9), at(2026, 3, 3, 13)), (at(2026, 3, 5, 9), at(2026, 3, 5, 13))]
    assert CN.add_working_days(start, 5, pauses=short).due_at == end_of(2026, 3, 10)
    # Wed 4 12:00 to Thu 5 18:00 = 30 h: two days later (Wed 11).
    long = [(at(2026, 3, 4, 12), at(2026, 3, 5, 18))]
    assert CN.add_working_days(start, 5, pauses=long).due_at == end_of(2026, 3, 11)


def test_overlapping_pauses_are_counted_once() -> None:
    # Wed 4 00:00-Thu 5 00:00 and Wed 4 12:00-Thu 5 00:00 overlap: one day paused, not 1.5.
    pauses = [(at(2026, 3, 4), at(2026, 3, 5)), (at(2026, 3, 4, 12), at(2026, 3, 5))]
    assert CN.add_working_days(at(2026, 3, 2, 10), 5, pauses=pauses).due_at == end_of(2026, 3, 10)


def test_a_pause_on_the_day_of_the_event_counts_only_from_the_next_day() -> None:
    # Paused Mon 2026-03-02 12:00 to Tue 3 12:00: only Tue 00:00-12:00 is on the clock (12 h),
    # which rounds up to one day: Tue 10 instead of Mon 9.
    pause = (at(2026, 3, 2, 12), at(2026, 3, 3, 12))
    assert CN.add_working_days(at(2026, 3, 2, 10), 5, pauses=[pause]).due_at == end_of(2026, 3, 10)


def test_a_pause_during_a_holiday_or_after_the_deadline_changes_nothing() -> None:
    # Spring Festival case above (due Thu 2026-02-26): a pause inside the break, and one after.
    start = at(2026, 2, 12, 10)
    pauses = [(at(2026, 2, 16), at(2026, 2, 20)), (at(2026, 2, 27), at(2026, 3, 3))]
    assert CN.add_working_days(start, 5, pauses=pauses).due_at == end_of(2026, 2, 26)


def test_a_pause_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        CN.add_working_days(at(2026, 3, 2), 5, pauses=[(at(2026, 3, 5), at(2026, 3, 4))])


@pytest.mark.parametrize(
    ("start", "n", "pauses"),
    [
        (at(2026, 2, 12, 10), 5, []),
        (at(2026, 9, 18, 9), 13, [(at(2026, 9, 22, 15), at(2026, 9, 29, 11))]),
        (at(2025, 9, 26, 17), 7, [(at(2025, 10, 9, 8), at(2025, 10, 9, 9))]),
    ],
)
def test_the_deadline_is_the_first_end_of_day_with_n_days_of_unpaused_working_time(
    start: datetime, n: int, pauses: list[tuple[datetime, datetime]]
) -> None:
    due_at = CN.add_working_days(start, n, pauses=pauses).due_at
    clock_from = CN.counting_starts_at(start)
    day_end = due_at + timedelta(microseconds=1)
    assert CN.working_time_between(clock_from, day_end, pauses) >= n * timedelta(days=1)
    assert CN.working_time_between(clock_from, day_end - timedelta(days=1), pauses) < n * timedelta(
        days=1
    )


# --- working time --------------------------------------------------------------------------------


def test_working_time_counts_partial_days_at_both_ends() -> None:
    # Fri 2026-03-06 16:00 to Mon 9 10:00: 8 h of Friday + 10 h of Monday; the weekend is 0.
    assert CN.working_time_between(at(2026, 3, 6, 16), at(2026, 3, 9, 10)) == 18 * HOURS


def test_working_time_across_the_spring_festival_counts_only_working_days() -> None:
    # Fri 2026-02-13 00:00 to Wed 25 00:00: Fri 13, Sat 14 (make-up), Tue 24 = 3 days.
    assert CN.working_time_between(at(2026, 2, 13), at(2026, 2, 25)) == timedelta(days=3)


def test_working_time_leaves_out_paused_time_on_working_days_only() -> None:
    # Mon 2026-03-02 00:00 to Sat 7 00:00 is 5 days; paused Thu 5 12:00 to Sun 8 12:00 takes out
    # Thursday afternoon (12 h) and Friday (24 h); the weekend part was not working time anyway.
    pause = (at(2026, 3, 5, 12), at(2026, 3, 8, 12))
    assert CN.working_time_between(at(2026, 3, 2), at(2026, 3, 7), [pause]) == timedelta(days=5) - (
        36 * HOURS
    )


def test_working_time_of_an_empty_interval_is_zero_and_a_backwards_one_is_refused() -> None:
    assert CN.working_time_between(at(2026, 3, 2, 9), at(2026, 3, 2, 9)) == timedelta(0)
    with pytest.raises(ValueError, match="before start"):
        CN.working_time_between(at(2026, 3, 2, 9), at(2026, 3, 2, 8))


def test_working_time_up_to_midnight_new_year_2027_stays_inside_2026() -> None:
    # Thu 2026-12-31 is a working day; [Dec 31 00:00, Jan 1 00:00) touches no 2027 day.
    assert CN.working_time_between(at(2026, 12, 31), at(2027, 1, 1)) == timedelta(days=1)


def test_working_time_into_an_uncovered_year_fails_closed() -> None:
    with pytest.raises(CalendarNotCoveredError) as refused:
        CN.working_time_between(at(2026, 12, 31), at(2027, 1, 1, 0, 1))
    assert refused.value.years == [2027]


# --- emergency limits in minutes -----------------------------------------------------------------


def test_a_fifteen_minute_limit_runs_in_wall_clock_time_through_a_holiday() -> None:
    # 2026-10-01 is a holiday; emergency limits do not care.
    deadline = CN.add_minutes(at(2026, 10, 1, 23, 50), 15)
    assert deadline == Deadline(
        due_at=at(2026, 10, 2, 0, 5), provisional=False, calendar_version="cn-2026.1"
    )


def test_a_minutes_limit_in_an_uncovered_year_is_never_provisional() -> None:
    deadline = CN.add_minutes(datetime(2027, 2, 6, 2, 0, tzinfo=UTC), 30)
    assert deadline.due_at == at(2027, 2, 6, 10, 30)
    assert not deadline.provisional


def test_a_minutes_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        CN.add_minutes(at(2026, 3, 2), 0)


# --- local overrides -----------------------------------------------------------------------------


def local_override(
    holidays: Iterable[date] = (),
    makeup_days: Iterable[date] = (),
    years: Iterable[int] = (2026,),
    extends: str | None = "cn",
) -> WorkingCalendar:
    return WorkingCalendar(
        version="xj-2026.1",
        jurisdiction="cn-xj",
        covered_years=frozenset(years),
        holidays=frozenset(holidays),
        makeup_days=frozenset(makeup_days),
        extends=extends,
    )


def test_merging_an_override_adds_its_holidays_and_combines_the_versions() -> None:
    merged = merge(CN, local_override(holidays={date(2026, 3, 20)}))
    assert merged.version == "cn-2026.1+xj-2026.1"
    assert merged.jurisdiction == "cn-xj"
    assert merged.covered_years == CN.covered_years
    assert CN.is_working_day(date(2026, 3, 20))
    assert not merged.is_working_day(date(2026, 3, 20))
    # Thu 2026-03-19, 1 day: Fri 20 is the local holiday, so Mon 23 is day 1.
    deadline = merged.add_working_days(at(2026, 3, 19, 10), 1)
    assert deadline.due_at == end_of(2026, 3, 23)
    assert deadline.calendar_version == "cn-2026.1+xj-2026.1"


def test_a_local_holiday_on_a_national_make_up_day_wins() -> None:
    merged = merge(CN, local_override(holidays={date(2026, 5, 9)}))
    assert CN.is_working_day(date(2026, 5, 9))
    assert not merged.is_working_day(date(2026, 5, 9))
    assert date(2026, 5, 9) not in merged.makeup_days


def test_a_local_make_up_day_turns_a_weekend_into_a_working_day() -> None:
    merged = merge(CN, local_override(makeup_days={date(2026, 3, 21)}))
    assert not CN.is_working_day(date(2026, 3, 21))
    assert merged.is_working_day(date(2026, 3, 21))


def test_an_override_may_not_cover_a_year_the_base_has_not_published() -> None:
    with pytest.raises(CalendarError, match="2027"):
        merge(CN, local_override(years={2026, 2027}))


def test_an_override_must_extend_the_base_it_is_merged_over() -> None:
    with pytest.raises(CalendarError, match="extends 'cn-gd'"):
        merge(CN, local_override(extends="cn-gd"))
    with pytest.raises(CalendarError, match="extends None"):
        merge(CN, local_override(extends=None))


def test_an_override_alone_answers_no_working_day_question() -> None:
    fragment = local_override(holidays={date(2026, 3, 20)})
    with pytest.raises(CalendarError, match="merge it over its base"):
        fragment.add_working_days(at(2026, 3, 19), 1)
    with pytest.raises(CalendarError, match="merge it over its base"):
        fragment.is_working_day(date(2026, 3, 20))


def test_the_example_xinjiang_override_merges_over_the_national_calendar() -> None:
    merged = load_jurisdiction("cn-xj-example", CALENDARS)
    assert merged.version == "cn-2026.1+xj-example-2026.1"
    assert not merged.is_working_day(date(2026, 3, 20))
    assert merged.holidays >= CN.holidays
