"""Timeliness indicators against a dataset whose every expected value was worked out by hand.

The expected numbers below come from the comments (counting the rows by eye against the
definitions in `ledger.projections.indicators.timeliness`), never from calling the code under test.

Period P = October 2026 in Asia/Shanghai: [10-01 00:00+08, 11-01 00:00+08). now = 10-20 12:00.
All times below are +08:00. END = 23:59:59.999999 (deadlines fall at the end of a day).

Columns: registered, accepted, closed (outcome), due_at, working days, visits, hand-offs,
approved extensions, notice violation flags. g = granted, d = denied, w = withdrawn.

   dept window matter     | reg'd    acc'd  closed           due_at    | days  vis hand ext ntc
r1  人社 2F-07 SI-ARREARS | 10-08 09 10-08  10-09 15:00 g    10-12 END | 1.5   1   0    0   0
r2  人社 2F-07 SI-ARREARS | 10-09 09 10-09  10-19 16:00 g    10-15 END | 4.0   2   1    0   1
r3  人社 2F-07 SI-ARREARS | 09-28 10 09-29  10-09 10:00 g    10-09 END | 2.25  0   2    1   1
r4  人社 2F-08 SI-PENSION | 10-12 09 10-12  open (accepted)  10-23 END | -     1   0    1   0
r5  人社 null  SI-ARREARS | 10-13 09 -      10-13 10:00 refused  -     | -     1   0    0   2
r6  人社 2F-07 SI-ARREARS | 10-14 09 10-14  10-15 09:00 w    10-16 END | 0.375 1   1    0   0
r7  税务 2F-09 TAX-REG    | 10-15 09 10-15  10-16 11:00 d    10-22 END | 0.25  1   0    0   0
r8  税务 2F-09 TAX-REG    | 10-20 09 -      open (awaiting)  -         | -     3   0    0   1
r9  税务 2F-09 TAX-REG*   | 10-08 09 10-08  open (accepted)  10-16 END | -     2   1    0   0
r10 税务 null  TAX-REG    | 09-20 09 09-21  10-10 09:00 g    09-30 END | 8.0   1   0    0   0
r11 人社 2F-10 SI-ARREARS | 09-01 09 09-01  09-05 09:00 g    09-08 END | 1.0   1   0    0   0
r12 税务 2F-09 TAX-REG    | 10-19 09 10-19  10-19 15:00 g    - (none)  | -     1   0    0   0

(* r9's matter_name is an older spelling, 税务登记(旧); the latest registered TAX-REG row counted,
r8 on 10-20, says 税务登记. r11 touches nothing in October: its group 2F-10 never appears.)

Per row, in October with now = 10-20 12:00:
- received (registered in P): r1 r2 r4 r5 r6 r7 r8 r9 r12                           = 9
- accepted in P: r1 r2 r4 r6 r7 r9 r12                                              = 7
- completed (办结 closed in P): r1 r2 r3 r7(denied counts) r10 r12; not r6 (withdrawn),
  not r5 (refused)                                                                    = 6
- cohort (accepted in P and 办结 before P ends): r1 r2 r7 r12                          = 4
- due (due_at in P, ≤ now): r1 r2 r3 r9; not r4 (10-23), r7 (10-22) (after now), not
  r10 (09-30, before P), r12 (no clock), r6 (withdrawn before its deadline)          = 4
- on_time: r1 (10-09 ≤ 10-12), r3 (10-09 10:00 ≤ 10-09 END); not r2 (late), r9 (open) = 2
- extended (accepted in P, ≥ 1 approved): r4; not r3 (accepted in September)          = 1
- one visit (completed with visits ≤ 1): r1 r3 r7 r10 r12; not r2                     = 5
- zero visits (零跑动, completed with visits = 0): r3                                  = 1
- hand-offs over received: r2 1 + r6 1 + r9 1 = 3 (r3's 2 are September's)
- visits over received: 1+2+1+1+1+1+3+2+1 = 13
- notice violations over received: r2 1 + r5 2 + r8 1 = 4 in 3 cases (r3's is not received in P)
- working days of completed with a value: r1 1.5, r2 4.0, r3 2.25, r7 0.25, r10 8.0 (r12 none)
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from ledger.domain.calendar import SHANGHAI
from ledger.projections.indicators.grouping import GroupBy
from ledger.projections.indicators.period import Period, QueryError, resolve_period
from ledger.projections.indicators.rates import Rate, rate
from ledger.projections.indicators.report import DEFINITIONS_VERSION
from ledger.projections.indicators.timeliness import (
    CaseRow,
    Indicators,
    WorkingDays,
    timeliness,
    working_days,
)

OCTOBER = Period(first=date(2026, 10, 1), last=date(2026, 10, 31))
NOW = datetime(2026, 10, 20, 12, 0, tzinfo=SHANGHAI)
DAY = 86_400


def at(month_day: str, hhmm: str = "00:00") -> datetime:
    """2026-<month_day> <hhmm>:00 +08:00; "END" is the last microsecond of the day."""
    month, day = map(int, month_day.split("-"))
    if hhmm == "END":
        return datetime(2026, month, day, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    hour, minute = map(int, hhmm.split(":"))
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def row(**fields: Any) -> dict[str, Any]:
    """A plain dict as `view_cases` would give it; defaults are a fresh 人社 case at 2F-07."""
    return {
        "department": "人社",
        "window": "2F-07",
        "matter_code": "SI-ARREARS",
        "matter_name": "养老保险费补缴",
        "status": "received",
        "outcome": None,
        "accepted_at": None,
        "closed_at": None,
        "due_at": None,
        "working_seconds": None,
        "visits": 0,
        "handoffs": 0,
        "extensions_approved": 0,
        "notice_violations": 0,
        **fields,
    }


TAX = {"department": "税务", "window": "2F-09", "matter_code": "TAX-REG", "matter_name": "税务登记"}

ROWS = [
    row(  # r1: on time, one visit
        registered_at=at("10-08", "09:00"),
        accepted_at=at("10-08", "10:00"),
        status="completed",
        outcome="granted",
        closed_at=at("10-09", "15:00"),
        due_at=at("10-12", "END"),
        working_seconds=1.5 * DAY,
        visits=1,
    ),
    row(  # r2: completed late, two visits
        registered_at=at("10-09", "09:00"),
        accepted_at=at("10-09", "11:00"),
        status="completed",
        outcome="granted",
        closed_at=at("10-19", "16:00"),
        due_at=at("10-15", "END"),
        working_seconds=4.0 * DAY,
        visits=2,
        handoffs=1,
        notice_violations=1,
    ),
    row(  # r3: registered and accepted in September, completed on its last due day
        registered_at=at("09-28", "10:00"),
        accepted_at=at("09-29", "09:00"),
        status="completed",
        outcome="granted",
        closed_at=at("10-09", "10:00"),
        due_at=at("10-09", "END"),
        working_seconds=2.25 * DAY,
        visits=0,
        handoffs=2,
        extensions_approved=1,
        notice_violations=1,
    ),
    row(  # r4: extended, open, deadline after now
        window="2F-08",
        matter_code="SI-PENSION",
        matter_name="养老金领取",
        registered_at=at("10-12", "09:00"),
        accepted_at=at("10-12", "09:30"),
        status="accepted",
        due_at=at("10-23", "END"),
        visits=1,
        extensions_approved=1,
    ),
    row(  # r5: refused at acceptance, no window, two notice flags
        window=None,
        registered_at=at("10-13", "09:00"),
        status="refused",
        closed_at=at("10-13", "10:00"),
        visits=1,
        notice_violations=2,
    ),
    row(  # r6: withdrawn before its deadline: not due (neither on time nor overdue)
        registered_at=at("10-14", "09:00"),
        accepted_at=at("10-14", "10:00"),
        status="completed",
        outcome="withdrawn",
        closed_at=at("10-15", "09:00"),
        due_at=at("10-16", "END"),
        working_seconds=0.375 * DAY,
        visits=1,
        handoffs=1,
    ),
    row(  # r7: denied (still 办结), deadline after now: completed but not due
        **TAX,
        registered_at=at("10-15", "09:00"),
        accepted_at=at("10-15", "09:05"),
        status="completed",
        outcome="denied",
        closed_at=at("10-16", "11:00"),
        due_at=at("10-22", "END"),
        working_seconds=0.25 * DAY,
        visits=1,
    ),
    row(  # r8: awaiting materials, three visits
        **TAX,
        registered_at=at("10-20", "09:00"),
        status="awaiting_materials",
        visits=3,
        notice_violations=1,
    ),
    row(  # r9: open past its deadline
        **{**TAX, "matter_name": "税务登记(旧)"},
        registered_at=at("10-08", "09:00"),
        accepted_at=at("10-08", "09:30"),
        status="accepted",
        due_at=at("10-16", "END"),
        visits=2,
        handoffs=1,
    ),
    row(  # r10: September case completed late on Saturday 10-10 (a make-up working day)
        **{**TAX, "window": None},
        registered_at=at("09-20", "09:00"),
        accepted_at=at("09-21", "09:00"),
        status="completed",
        outcome="granted",
        closed_at=at("10-10", "09:00"),
        due_at=at("09-30", "END"),
        working_seconds=8.0 * DAY,
        visits=1,
    ),
    row(  # r11: all in September: counts nothing in October
        window="2F-10",
        registered_at=at("09-01", "09:00"),
        accepted_at=at("09-01", "09:30"),
        status="completed",
        outcome="granted",
        closed_at=at("09-05", "09:00"),
        due_at=at("09-08", "END"),
        working_seconds=1.0 * DAY,
        visits=1,
    ),
    row(  # r12: accepted without a clock: completed, no working time, never due
        **TAX,
        registered_at=at("10-19", "09:00"),
        accepted_at=at("10-19", "09:10"),
        status="completed",
        outcome="granted",
        closed_at=at("10-19", "15:00"),
        visits=1,
    ),
]


def cases() -> list[CaseRow]:
    return [CaseRow(**r) for r in ROWS]


def r(value: float | None, numerator: int, denominator: int) -> Rate:
    return Rate(value=value, numerator=numerator, denominator=denominator)


def indicators(**fields: Any) -> Indicators:
    """No row above has a first notice with its limit or a matter with both limits known (no
    `promises` are given): those figures are empty unless a test says otherwise."""
    empty = {
        "notices": 0,
        "notice_in_time_rate": r(None, 0, 0),
        "deemed_accepted": 0,
        "promise_compression": r(None, 0, 0),
    }
    return Indicators(**{**empty, **fields})


# Totals: see the module docstring.
TOTAL = indicators(
    received=9,
    accepted=7,
    completed=6,
    due=4,
    on_time=2,
    overdue=2,  # 4 − 2: r2 late, r9 open (r6 was withdrawn in time: not due)
    extended=1,
    completion_rate=r(0.5714, 4, 7),  # 4/7 = 0.571428…
    on_time_rate=r(0.5, 2, 4),
    extension_rate=r(0.1429, 1, 7),  # 1/7 = 0.142857…
    one_visit_rate=r(0.8333, 5, 6),  # 5/6 = 0.83333…
    handoffs_per_case=r(0.33, 3, 9),  # 0.333…
    visits_per_case=r(1.44, 13, 9),  # 1.444…
    # sorted 0.25 1.5 2.25 4.0 8.0: median the 3rd = 2.25; p90 rank ceil(4.5) = 5 → 8.0
    working_days=WorkingDays(median=2.25, p90=8.0, n=5),
    notice_violations=4,
    cases_with_notice_violations=3,
    zero_visit_rate=r(0.1667, 1, 6),  # r3; 1/6 = 0.1666…
)

# 人社: r1 r2 r3 r4 r5 r6 (r11 counts nothing).
RENSHE = indicators(
    received=5,  # r1 r2 r4 r5 r6
    accepted=4,  # r1 r2 r4 r6
    completed=3,  # r1 r2 r3
    due=3,  # r1 r2 r3
    on_time=2,  # r1 r3
    overdue=1,
    extended=1,  # r4
    completion_rate=r(0.5, 2, 4),  # r1 r2
    on_time_rate=r(0.6667, 2, 3),
    extension_rate=r(0.25, 1, 4),
    one_visit_rate=r(0.6667, 2, 3),  # r1 r3
    handoffs_per_case=r(0.4, 2, 5),  # r2 1 + r6 1
    visits_per_case=r(1.2, 6, 5),  # 1+2+1+1+1
    # 1.5 2.25 4.0: median 2.25; p90 rank ceil(2.7) = 3 → 4.0
    working_days=WorkingDays(median=2.25, p90=4.0, n=3),
    notice_violations=3,  # r2 1 + r5 2
    cases_with_notice_violations=2,
    zero_visit_rate=r(0.3333, 1, 3),  # r3
)

# 税务: r7 r8 r9 r10 r12.
SHUIWU = indicators(
    received=4,  # r7 r8 r9 r12
    accepted=3,  # r7 r9 r12
    completed=3,  # r7 r10 r12
    due=1,  # r9
    on_time=0,
    overdue=1,
    extended=0,
    completion_rate=r(0.6667, 2, 3),  # r7 r12
    on_time_rate=r(0.0, 0, 1),
    extension_rate=r(0.0, 0, 3),
    one_visit_rate=r(1.0, 3, 3),
    handoffs_per_case=r(0.25, 1, 4),  # r9
    visits_per_case=r(1.75, 7, 4),  # 1+3+2+1
    # 0.25 8.0: even n, median (0.25 + 8.0)/2 = 4.125 → 4.13 half up; p90 rank ceil(1.8) = 2
    working_days=WorkingDays(median=4.13, p90=8.0, n=2),
    notice_violations=1,  # r8
    cases_with_notice_violations=1,
    zero_visit_rate=r(0.0, 0, 3),
)


def test_indicators_group_by_department() -> None:
    report = timeliness(cases(), OCTOBER, GroupBy.DEPARTMENT, NOW)
    assert [(g.key, g.matter_name) for g in report.groups] == [("人社", None), ("税务", None)]
    assert report.groups[0].indicators == RENSHE
    assert report.groups[1].indicators == SHUIWU
    assert report.total == TOTAL


def test_indicators_group_by_window() -> None:
    report = timeliness(cases(), OCTOBER, GroupBy.WINDOW, NOW)
    # 2F-10 (r11) counts nothing; the cases with no window are one group, listed last.
    assert [g.key for g in report.groups] == ["2F-07", "2F-08", "2F-09", None]
    by_key = {g.key: g.indicators for g in report.groups}
    # 2F-07: r1 r2 r3 r6.
    assert by_key["2F-07"] == indicators(
        received=3,  # r1 r2 r6
        accepted=3,  # r1 r2 r6
        completed=3,  # r1 r2 r3
        due=3,  # r1 r2 r3
        on_time=2,  # r1 r3
        overdue=1,
        extended=0,
        completion_rate=r(0.6667, 2, 3),  # r1 r2
        on_time_rate=r(0.6667, 2, 3),
        extension_rate=r(0.0, 0, 3),
        one_visit_rate=r(0.6667, 2, 3),  # r1 r3
        handoffs_per_case=r(0.67, 2, 3),  # r2 1 + r6 1; 0.666… → 0.67
        visits_per_case=r(1.33, 4, 3),  # 1+2+1
        working_days=WorkingDays(median=2.25, p90=4.0, n=3),
        notice_violations=1,  # r2
        cases_with_notice_violations=1,
        zero_visit_rate=r(0.3333, 1, 3),  # r3
    )
    # 2F-08: r4 alone: nothing completed or due, so those rates are null.
    assert by_key["2F-08"] == indicators(
        received=1,
        accepted=1,
        completed=0,
        due=0,
        on_time=0,
        overdue=0,
        extended=1,
        completion_rate=r(0.0, 0, 1),
        on_time_rate=r(None, 0, 0),
        extension_rate=r(1.0, 1, 1),
        one_visit_rate=r(None, 0, 0),
        handoffs_per_case=r(0.0, 0, 1),
        visits_per_case=r(1.0, 1, 1),
        working_days=WorkingDays(median=None, p90=None, n=0),
        notice_violations=0,
        cases_with_notice_violations=0,
        zero_visit_rate=r(None, 0, 0),
    )
    # 2F-09: r7 r8 r9 r12.
    assert by_key["2F-09"] == indicators(
        received=4,
        accepted=3,  # r7 r9 r12
        completed=2,  # r7 r12
        due=1,  # r9
        on_time=0,
        overdue=1,
        extended=0,
        completion_rate=r(0.6667, 2, 3),
        on_time_rate=r(0.0, 0, 1),
        extension_rate=r(0.0, 0, 3),
        one_visit_rate=r(1.0, 2, 2),
        handoffs_per_case=r(0.25, 1, 4),
        visits_per_case=r(1.75, 7, 4),
        working_days=WorkingDays(median=0.25, p90=0.25, n=1),  # r7
        notice_violations=1,
        cases_with_notice_violations=1,
        zero_visit_rate=r(0.0, 0, 2),
    )
    # No window: r5 (refused) and r10 (September's, completed in October): nothing accepted.
    assert by_key[None] == indicators(
        received=1,  # r5
        accepted=0,
        completed=1,  # r10
        due=0,
        on_time=0,
        overdue=0,
        extended=0,
        completion_rate=r(None, 0, 0),
        on_time_rate=r(None, 0, 0),
        extension_rate=r(None, 0, 0),
        one_visit_rate=r(1.0, 1, 1),
        handoffs_per_case=r(0.0, 0, 1),
        visits_per_case=r(1.0, 1, 1),
        working_days=WorkingDays(median=8.0, p90=8.0, n=1),
        notice_violations=2,
        cases_with_notice_violations=1,
        zero_visit_rate=r(0.0, 0, 1),
    )
    assert report.total == TOTAL  # the total does not depend on the grouping


def test_indicators_group_by_matter() -> None:
    report = timeliness(cases(), OCTOBER, GroupBy.MATTER, NOW)
    assert [(g.key, g.matter_name) for g in report.groups] == [
        ("SI-ARREARS", "养老保险费补缴"),
        ("SI-PENSION", "养老金领取"),
        ("TAX-REG", "税务登记"),  # r8's (latest registered), not r9's older spelling
    ]
    # SI-ARREARS: 人社 without r4.
    assert report.groups[0].indicators == indicators(
        received=4,  # r1 r2 r5 r6
        accepted=3,  # r1 r2 r6
        completed=3,  # r1 r2 r3
        due=3,
        on_time=2,
        overdue=1,
        extended=0,
        completion_rate=r(0.6667, 2, 3),
        on_time_rate=r(0.6667, 2, 3),
        extension_rate=r(0.0, 0, 3),
        one_visit_rate=r(0.6667, 2, 3),
        handoffs_per_case=r(0.5, 2, 4),
        visits_per_case=r(1.25, 5, 4),  # 1+2+1+1
        working_days=WorkingDays(median=2.25, p90=4.0, n=3),
        notice_violations=3,
        cases_with_notice_violations=2,
        zero_visit_rate=r(0.3333, 1, 3),
    )
    assert report.groups[1].indicators.extension_rate == r(1.0, 1, 1)  # r4
    assert report.groups[2].indicators == SHUIWU  # every 税务 case is TAX-REG
    assert report.total == TOTAL


def test_period_cohort_counts_only_completions_before_the_period_ends() -> None:
    """P = 10-01..10-15 ([10-01 00:00, 10-16 00:00)), same rows, same now (10-20 12:00).

    accepted in P: r1 r2 r4 r6 r7 (10-15 09:05) r9 = 6; of those 办结 before 10-16 00:00: r1
    only (r2 closed 10-19, r7 10-16 11:00, r6 withdrawn, r4 r9 open) → 1/6 = 0.1667.
    completed in P: r1 (10-09) r3 (10-09) r10 (10-10) = 3.
    due in P: r1 (10-12) r2 (10-15 END) r3 (10-09); r6 and r9 fall due 10-16 → 3; on time r1 r3.
    """
    first_half = Period(first=date(2026, 10, 1), last=date(2026, 10, 15))
    total = timeliness(cases(), first_half, GroupBy.DEPARTMENT, NOW).total
    assert total.accepted == 6
    assert total.completion_rate == r(0.1667, 1, 6)
    assert total.completed == 3
    assert (total.due, total.on_time, total.overdue) == (3, 2, 1)
    assert total.on_time_rate == r(0.6667, 2, 3)


def test_deadlines_after_now_are_not_due() -> None:
    """At now = 10-23 12:00 r7's deadline (10-22 END) has passed and it closed 10-16: on time.
    r4 (10-23 END) is still not due. due = 4 + r7 = 5, on time = 2 + r7 = 3."""
    later = datetime(2026, 10, 23, 12, 0, tzinfo=SHANGHAI)
    total = timeliness(cases(), OCTOBER, GroupBy.DEPARTMENT, later).total
    assert total.on_time_rate == r(0.6, 3, 5)
    # One microsecond after r4's deadline it is due, open, and so overdue.
    after_r4 = datetime(2026, 10, 24, tzinfo=SHANGHAI)
    total = timeliness(cases(), OCTOBER, GroupBy.DEPARTMENT, after_r4).total
    assert (total.due, total.on_time, total.overdue) == (6, 3, 3)


def test_no_cases_gives_zero_counts_and_null_rates() -> None:
    report = timeliness([], OCTOBER, GroupBy.WINDOW, NOW)
    assert report.groups == []
    assert report.total.received == 0
    assert report.total.completion_rate == r(None, 0, 0)
    assert report.total.visits_per_case == r(None, 0, 0)
    assert report.total.working_days == WorkingDays(median=None, p90=None, n=0)


def test_period_edges_are_shanghai_midnights() -> None:
    utc = datetime.fromisoformat
    assert OCTOBER.contains(utc("2026-09-30T16:00:00+00:00"))  # 10-01 00:00 +08: in
    assert not OCTOBER.contains(utc("2026-09-30T15:59:59+00:00"))  # 09-30 23:59:59 +08
    assert OCTOBER.contains(utc("2026-10-31T15:59:59+00:00"))  # 10-31 23:59:59 +08
    assert not OCTOBER.contains(utc("2026-10-31T16:00:00+00:00"))  # 11-01 00:00 +08: out
    assert not OCTOBER.contains(None)


def test_a_period_defaults_and_is_limited() -> None:
    today = date(2026, 10, 20)
    assert resolve_period(None, None, today) == Period(
        first=date(2026, 10, 1), last=date(2026, 10, 20)
    )
    assert resolve_period(None, date(2026, 2, 14), today) == Period(
        first=date(2026, 2, 1), last=date(2026, 2, 14)
    )
    assert resolve_period(date(2026, 10, 5), None, today).last == today
    # 2026-01-01..2027-01-01 is 366 days: allowed; one more is not.
    assert resolve_period(date(2026, 1, 1), date(2027, 1, 1), today).first == date(2026, 1, 1)
    with pytest.raises(QueryError) as too_long:
        resolve_period(date(2026, 1, 1), date(2027, 1, 2), today)
    assert too_long.value.field == "from"
    with pytest.raises(QueryError) as backwards:
        resolve_period(date(2026, 10, 2), date(2026, 10, 1), today)
    assert backwards.value.field == "from"


def test_rates_round_half_up() -> None:
    assert rate(1, 8, places=2) == r(0.13, 1, 8)  # 0.125: half up, not to even
    assert rate(2, 3) == r(0.6667, 2, 3)
    assert rate(1, 3) == r(0.3333, 1, 3)
    assert rate(0, 0) == r(None, 0, 0)
    assert rate(5, 5) == r(1.0, 5, 5)


def test_the_median_and_p90_use_the_nearest_rank() -> None:
    days = [7, 1, 2, 9, 3, 5, 4, 10, 6, 8]  # 1..10 working days, shuffled; given in seconds
    # n = 10: median (5 + 6)/2 = 5.5; p90 rank ceil(9.0) = 9 → 9 (not 9.1 as interpolated).
    assert working_days([d * DAY for d in days]) == WorkingDays(median=5.5, p90=9.0, n=10)
    # n = 11 (1..11): median the 6th = 6; p90 rank ceil(9.9) = 10 → 10.
    eleven = [d * DAY for d in [*days, 11]]
    assert working_days(eleven) == WorkingDays(median=6.0, p90=10.0, n=11)
    # n = 4, 8 h = 1/3 day: sorted 1/3 2/3 1 5/3; median (2/3 + 1)/2 = 5/6 = 0.833… → 0.83;
    # p90 rank ceil(3.6) = 4 → 5/3 = 1.666… → 1.67.
    thirds = [40 * 3600, 8 * 3600, 24 * 3600, 16 * 3600]
    assert working_days(thirds) == WorkingDays(median=0.83, p90=1.67, n=4)
    # n = 2, 6 h and 8 days: median (0.25 + 8)/2 = 4.125 → 4.13 (half up, not to even).
    assert working_days([8 * DAY, 6 * 3600]).median == 4.13


def test_definitions_version_is_a_string() -> None:
    assert isinstance(DEFINITIONS_VERSION, str)
    assert DEFINITIONS_VERSION
