"""办不成事 counts per window (the monthly 通报), consultations and 否定答复 reports, and the
好差评 差评整改率 and 实名差评回访率, against rows whose every expected value was worked out by hand
(the comments), never by calling the code under test.

P = October 2026 in Asia/Shanghai; now = 10-20 12:00. END = 23:59:59.999999.

办不成事 reports (window concerned, unit, reported, closure, closed, filed with a refusal):
w1 2F-07 人社 10-08 resolved 10-09
w2 2F-07 人社 10-12 open                     否定答复
w3 2F-07 人社 10-15 consultation_only 10-15
w4 1F-02 公安 10-13 explained 10-14          否定答复
w5 1F-02 公安 09-28 resolved 10-09           (reported before P: closed in P only)
w6 (none) 人社 10-16 open
w7 2F-07 人社 11-02 open                     (after P: nowhere)
Consultations (window where answered, unit, recorded): c1 总受理台 办不成事窗口 10-09; c2 2F-07 人社
10-10; c3 2F-07 人社 10-12; c4 2F-07 人社 09-30 (before P: not counted).

By window: 2F-07 received w1 w2 w3 = 3 (by closure: resolved 1, consultation_only 1, open 1),
  否定答复 1, closed w1 w3 = 2, consultations c2 c3 = 2; 1F-02 received w4 = 1, 否定答复 1, closed
  w4 w5 = 2; 总受理台 received 0, consultations c1 = 1; none: w6 = 1. The 通报 names 2F-07 (3).
Total: received 5, 否定答复 2, closed w1 w3 w4 w5 = 4, consultations 3.

差评 (level, real name, rated, verified as, appeal upheld, rectify due, rectified):
r1 1 real 10-05 valid             due 10-12 END rectified 10-10   counted, on time
r2 2 real 10-06 (not verified)    due 10-13 END not rectified     counted (due, passed), not done
r3 2 anon 10-07 valid             due 10-14 END rectified 10-16   counted, late but done
r4 1 real 10-08 malicious upheld  (excluded: out of every rate)
r5 2 real 10-15 valid             due 10-22 END not rectified     due after now: not counted
r6 5 real 10-09                   (no 差评)
r7 2 real 09-25 valid             due 10-09 END rectified 10-08   counted (due in P), on time
r8 1 real 10-10 mistaken, appeal pending: no rectification due
差评整改按时率 = r1 r7 ÷ r1 r2 r3 r7 = 2/4 = 0.5; 差评整改率 = r1 r3 r7 ÷ 4 = 0.75.
实名差评回访率: real-name 差评 rated in P, not excluded: r1 r2 r5 r8 = 4 (r3 anonymous, r4 excluded,
r7 rated in September); called back (verified): r1 r5 r8 = 3 → 0.75.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import uuid4

from ledger.domain.calendar import SHANGHAI
from ledger.projections.indicators.grouping import GroupBy
from ledger.projections.indicators.period import Period
from ledger.projections.indicators.rates import Rate
from ledger.projections.indicators.ratings import RatingRow
from ledger.projections.indicators.report import PushbackRows, report
from ledger.projections.indicators.unresolved import ConsultationRow, UnresolvedRow

OCTOBER = Period(first=date(2026, 10, 1), last=date(2026, 10, 31))
NOW = datetime(2026, 10, 20, 12, 0, tzinfo=SHANGHAI)


def at(month: int, day: int, end: bool = False) -> datetime:
    if end:
        return datetime(2026, month, day, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    return datetime(2026, month, day, 10, 0, tzinfo=SHANGHAI)


def r(value: float | None, numerator: int, denominator: int) -> Rate:
    return Rate(value=value, numerator=numerator, denominator=denominator)


def reported(window: str | None, unit: str, on: datetime, **fields: Any) -> UnresolvedRow:
    return UnresolvedRow(
        **{
            "department": unit,
            "window": window,
            "matter_code": "SI-ARREARS",
            "matter_name": "养老保险费补缴",
            "cause": "materials",
            "reported_at": on,
            "due_at": None,
            "closure": None,
            "closed_at": None,
            **fields,
        }
    )


def consulted(window: str, unit: str, on: datetime) -> ConsultationRow:
    return ConsultationRow(
        department=unit,
        window=window,
        matter_code="RETIRE-EMP",
        matter_name="职工退休手续办理",
        recorded_at=on,
    )


REPORTS = [
    reported("2F-07", "人社", at(10, 8), closure="resolved", closed_at=at(10, 9)),
    reported("2F-07", "人社", at(10, 12), negative_answer=True),
    reported("2F-07", "人社", at(10, 15), closure="consultation_only", closed_at=at(10, 15)),
    reported(
        "1F-02",
        "公安",
        at(10, 13),
        closure="explained_cannot_do",
        closed_at=at(10, 14),
        negative_answer=True,
    ),
    reported("1F-02", "公安", at(9, 28), closure="resolved", closed_at=at(10, 9)),
    reported(None, "人社", at(10, 16)),
    reported("2F-07", "人社", at(11, 2)),
]
CONSULTATIONS = [
    consulted("总受理台", "办不成事窗口", at(10, 9)),
    consulted("2F-07", "人社", at(10, 10)),
    consulted("2F-07", "人社", at(10, 12)),
    consulted("2F-07", "人社", at(9, 30)),
]


def test_reports_are_counted_by_the_window_they_concern_for_the_monthly_notice() -> None:
    rows = PushbackRows(unresolved=REPORTS, consultations=CONSULTATIONS)

    result = report([], rows, OCTOBER, GroupBy.WINDOW, NOW)

    groups = {g.key: g.unresolved for g in result.groups}
    assert list(groups) == ["1F-02", "2F-07", "总受理台", None]
    counts = {
        key: (u.received, u.negative_answers, u.closed, u.consultations)
        for key, u in groups.items()
        if u
    }
    assert counts == {
        "2F-07": (3, 1, 2, 2),
        "1F-02": (1, 1, 2, 0),
        "总受理台": (0, 0, 0, 1),
        None: (1, 0, 0, 0),
    }
    hall = groups["2F-07"]
    assert hall is not None
    assert {k: v for k, v in hall.by_closure.items() if v} == {
        "resolved": 1,
        "consultation_only": 1,
        "open": 1,
    }
    # The window the 通报 names: the most reports received in the month.
    most = max((u.received, k) for k, u in groups.items() if u and k)
    assert most == (3, "2F-07")
    total = result.total.unresolved
    assert (total.received, total.negative_answers, total.closed, total.consultations) == (
        5,
        2,
        4,
        3,
    )


def test_consultations_count_by_department_and_matter_too() -> None:
    rows = PushbackRows(unresolved=REPORTS, consultations=CONSULTATIONS)

    by_department = report([], rows, OCTOBER, GroupBy.DEPARTMENT, NOW)
    by_matter = report([], rows, OCTOBER, GroupBy.MATTER, NOW)

    departments = {g.key: g.unresolved for g in by_department.groups}
    assert {k: (u.received, u.consultations) for k, u in departments.items() if u} == {
        "人社": (4, 2),  # w1 w2 w3 w6; c2 c3
        "公安": (1, 0),  # w4 (w5 reported in September)
        "办不成事窗口": (0, 1),  # c1
    }
    matters = {(g.key, g.matter_name): g.unresolved for g in by_matter.groups}
    assert {k: (u.received, u.consultations) for k, u in matters.items() if u} == {
        ("RETIRE-EMP", "职工退休手续办理"): (0, 3),
        ("SI-ARREARS", "养老保险费补缴"): (5, 0),
    }


def rating(level: int, rated: datetime, **fields: Any) -> RatingRow:
    return RatingRow(
        **{
            "case_id": uuid4(),
            "department": "人社",
            "window": "2F-07",
            "matter_code": "SI-ARREARS",
            "level": level,
            "is_default": False,
            "rated_at": rated,
            "validity": None,
            "appeal_upheld": None,
            "excluded": False,
            "rectify_due": None,
            "rectified_at": None,
            "real_name": True,
            **fields,
        }
    )


RATINGS = [
    rating(1, at(10, 5), validity="valid", rectify_due=at(10, 12, True), rectified_at=at(10, 10)),
    rating(2, at(10, 6), rectify_due=at(10, 13, True)),
    rating(
        2,
        at(10, 7),
        real_name=False,
        validity="valid",
        rectify_due=at(10, 14, True),
        rectified_at=at(10, 16),
    ),
    rating(
        1,
        at(10, 8),
        validity="malicious",
        appeal_upheld=True,
        excluded=True,
        rectify_due=at(10, 15, True),
    ),
    rating(2, at(10, 15), validity="valid", rectify_due=at(10, 22, True)),
    rating(5, at(10, 9)),
    rating(2, at(9, 25), validity="valid", rectify_due=at(10, 9, True), rectified_at=at(10, 8)),
    rating(1, at(10, 10), validity="mistaken", rectify_due=at(10, 17, True)),
]


def test_rectification_rate_and_its_on_time_share_have_one_denominator() -> None:
    result = report([], PushbackRows(ratings=RATINGS), OCTOBER, GroupBy.DEPARTMENT, NOW)

    for ratings in (result.total.ratings, result.groups[0].ratings):
        assert ratings is not None
        assert ratings.rectify_on_time_rate == r(0.5, 2, 4)
        assert ratings.rectify_rate == r(0.75, 3, 4)


def test_real_name_bad_reviews_followed_up() -> None:
    result = report([], PushbackRows(ratings=RATINGS), OCTOBER, GroupBy.DEPARTMENT, NOW)

    assert result.total.ratings.real_name_follow_up_rate == r(0.75, 3, 4)


def test_no_bad_review_gives_null_rates() -> None:
    only_good = [rating(5, at(10, 9)), rating(4, at(10, 9), real_name=False)]

    result = report([], PushbackRows(ratings=only_good), OCTOBER, GroupBy.DEPARTMENT, NOW)

    assert result.total.ratings.rectify_rate == r(None, 0, 0)
    assert result.total.ratings.real_name_follow_up_rate == r(None, 0, 0)
