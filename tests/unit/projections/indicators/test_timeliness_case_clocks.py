"""零跑动率, 承诺时限压缩率, the 5-day notice, and withdrawn cases in 按时办结率: hand-computed.

Period P = November 2026 (Asia/Shanghai), now = 11-30 12:00. END = 23:59:59.999999.

    centre  dept   matter           reg'd  notice (limit)     acc'd closed         due_at    vis
m1  huoshan 人社   SI-ARREARS       11-02  11-05 10 (11-09 E) 11-10 11-12 15:00 g 11-17 END 0
m2  huoshan 人社   SI-ARREARS       11-02  11-10 09 (11-09 E) -     awaiting       -         2
m3  huoshan 人社   GENERIC-LICENCE  11-03  -                  11-03 11-04 10:00 w 11-20 END 1
m4  huoshan 人社   GENERIC-LICENCE  11-02  -                  11-02 11-16 10:00 w 11-09 END 1
m5  jieyang 不动产 BDC-TRANSFER     11-09  -                  11-09 11-11 16:00 g 11-12 END 1
m6  jieyang 不动产 BDC-TRANSFER     11-10  -                  11-10 11-10 15:00 g 11-13 END 0
m7  huoshan 税务   TAX-REG          10-27  10-29 10 (11-03 E) 11-02 11-03 10:00 g 11-06 END 0
(E = END; m4 is at window 2F-08, the others of 人社 at 2F-07)

Limits (承诺/法定) given: GENERIC-LICENCE at huoshan 20/20, BDC-TRANSFER at jieyang 3/66 (seed 002:
二手房交易 法定66个工作日 → 3个工作日); the other matters list no statutory limit.

Total:
- completed (办结 in P): m1 m5 m6 m7 = 4 (m3, m4 withdrawn); zero visits m1 m6 m7 → 3/4 = 0.75
- notices (first notice in P): m1 m2 = 2 (m7's was in October); in time m1 → 1/2; deemed m2 = 1
- due: m1 (11-17), m4 (withdrawn 11-16, after 11-09: overdue), m5, m6, m7 = 5; not m3 (withdrawn
  11-04, before 11-20); on time m1 m5 m6 m7 = 4; overdue m4 = 1 → 4/5 = 0.8
- compression over the matters counted: GENERIC-LICENCE (20 − 20) + BDC-TRANSFER (66 − 3) = 63
  ÷ (20 + 66) = 86 → 0.732558… = 0.7326 (SI-ARREARS, TAX-REG: no statutory limit)
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ledger.domain.calendar import SHANGHAI
from ledger.projections.indicators.grouping import GroupBy
from ledger.projections.indicators.period import Period
from ledger.projections.indicators.promises import Promise, promises_of
from ledger.projections.indicators.rates import Rate
from ledger.projections.indicators.timeliness import CaseRow, timeliness
from ledger.rules.time_limits import Policies

NOVEMBER = Period(first=date(2026, 11, 1), last=date(2026, 11, 30))
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=SHANGHAI)
PROMISES = {
    ("huoshan", "GENERIC-LICENCE"): Promise(promised=20, statutory=20),
    ("jieyang", "BDC-TRANSFER"): Promise(promised=3, statutory=66),
}


def at(month_day: str, hhmm: str = "00:00") -> datetime:
    month, day = map(int, month_day.split("-"))
    if hhmm == "END":
        return datetime(2026, month, day, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    hour, minute = map(int, hhmm.split(":"))
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def row(**fields: Any) -> CaseRow:
    base: dict[str, Any] = {
        "centre": "huoshan",
        "department": "人社",
        "window": "2F-07",
        "matter_code": "SI-ARREARS",
        "matter_name": "养老保险费补缴",
        "status": "completed",
        "outcome": "granted",
        "accepted_at": None,
        "closed_at": None,
        "due_at": None,
        "working_seconds": None,
        "visits": 0,
        "handoffs": 0,
        "extensions_approved": 0,
        "notice_violations": 0,
    }
    return CaseRow(**{**base, **fields})


LICENCE = {"matter_code": "GENERIC-LICENCE", "matter_name": "行政许可（未单列事项）"}
HOUSING = {
    "centre": "jieyang",
    "department": "不动产",
    "window": "B-01",
    "matter_code": "BDC-TRANSFER",
    "matter_name": "二手房转移登记",
}
ROWS = [
    row(  # m1
        registered_at=at("11-02", "09:00"),
        notice_at=at("11-05", "10:00"),
        notice_due_at=at("11-09", "END"),
        accepted_at=at("11-10", "09:00"),
        closed_at=at("11-12", "15:00"),
        due_at=at("11-17", "END"),
    ),
    row(  # m2
        registered_at=at("11-02", "09:00"),
        notice_at=at("11-10", "09:00"),
        notice_due_at=at("11-09", "END"),
        status="awaiting_materials",
        outcome=None,
        visits=2,
        notice_violations=1,
    ),
    row(  # m3
        **LICENCE,
        registered_at=at("11-03", "09:00"),
        accepted_at=at("11-03", "09:30"),
        outcome="withdrawn",
        closed_at=at("11-04", "10:00"),
        due_at=at("11-20", "END"),
        visits=1,
    ),
    row(  # m4
        **LICENCE,
        window="2F-08",
        registered_at=at("11-02", "09:00"),
        accepted_at=at("11-02", "10:00"),
        outcome="withdrawn",
        closed_at=at("11-16", "10:00"),
        due_at=at("11-09", "END"),
        visits=1,
    ),
    row(  # m5
        **HOUSING,
        registered_at=at("11-09", "09:00"),
        accepted_at=at("11-09", "09:10"),
        closed_at=at("11-11", "16:00"),
        due_at=at("11-12", "END"),
        visits=1,
    ),
    row(  # m6
        **HOUSING,
        registered_at=at("11-10", "09:00"),
        accepted_at=at("11-10", "09:10"),
        closed_at=at("11-10", "15:00"),
        due_at=at("11-13", "END"),
    ),
    row(  # m7
        department="税务",
        window="2F-09",
        matter_code="TAX-REG",
        matter_name="税务登记",
        registered_at=at("10-27", "09:00"),
        notice_at=at("10-29", "10:00"),
        notice_due_at=at("11-03", "END"),
        accepted_at=at("11-02", "09:00"),
        closed_at=at("11-03", "10:00"),
        due_at=at("11-06", "END"),
    ),
]


def r(value: float | None, numerator: int, denominator: int) -> Rate:
    return Rate(value=value, numerator=numerator, denominator=denominator)


def test_the_totals() -> None:
    total = timeliness(ROWS, NOVEMBER, GroupBy.DEPARTMENT, NOW, PROMISES).total

    assert total.completed == 4
    assert total.zero_visit_rate == r(0.75, 3, 4)
    assert (total.notices, total.deemed_accepted) == (2, 1)
    assert total.notice_in_time_rate == r(0.5, 1, 2)
    assert (total.due, total.on_time, total.overdue) == (5, 4, 1)
    assert total.on_time_rate == r(0.8, 4, 5)
    assert total.promise_compression == r(0.7326, 63, 86)


def test_by_department() -> None:
    """人社 m1-m4, 不动产 m5 m6, 税务 m7 (listed by key: 不动产 sorts before 人社 and 税务)."""
    groups = {
        g.key: g.indicators
        for g in timeliness(ROWS, NOVEMBER, GroupBy.DEPARTMENT, NOW, PROMISES).groups
    }

    renshe = groups["人社"]
    assert renshe.zero_visit_rate == r(1.0, 1, 1)  # m1
    assert (renshe.notices, renshe.deemed_accepted) == (2, 1)
    assert renshe.notice_in_time_rate == r(0.5, 1, 2)
    assert (renshe.due, renshe.on_time, renshe.overdue) == (2, 1, 1)  # m1; m4 overdue
    assert renshe.promise_compression == r(0.0, 0, 20)  # GENERIC-LICENCE 20/20

    housing = groups["不动产"]
    assert housing.zero_visit_rate == r(0.5, 1, 2)  # m6
    assert housing.notice_in_time_rate == r(None, 0, 0)
    assert housing.promise_compression == r(0.9545, 63, 66)  # 1 − 3/66 = 0.954545…

    tax = groups["税务"]
    assert tax.zero_visit_rate == r(1.0, 1, 1)
    assert tax.notices == 0  # m7's notice was in October
    assert tax.promise_compression == r(None, 0, 0)  # TAX-REG lists no statutory limit


def test_a_case_withdrawn_in_time_leaves_the_on_time_rate_and_one_withdrawn_late_stays() -> None:
    by_matter = {
        g.key: g.indicators
        for g in timeliness(ROWS, NOVEMBER, GroupBy.MATTER, NOW, PROMISES).groups
    }
    licence = by_matter["GENERIC-LICENCE"]  # m3 (withdrawn in time), m4 (withdrawn late)

    assert (licence.due, licence.on_time, licence.overdue) == (1, 0, 1)
    assert licence.on_time_rate == r(0.0, 0, 1)


def test_without_promises_the_compression_is_null() -> None:
    total = timeliness(ROWS, NOVEMBER, GroupBy.DEPARTMENT, NOW).total

    assert total.promise_compression == r(None, 0, 0)


def test_the_limits_come_from_each_centres_policy() -> None:
    policies = Policies()
    found = promises_of(ROWS, lambda centre: policies.timing(centre).policy)

    # cn.toml: GENERIC-LICENCE 20/20 (第四十二条); gd-jieyang.toml: BDC-TRANSFER 3/66 (seed 002);
    # Huoshan's SI-ARREARS and the unlisted TAX-REG have no statutory limit.
    assert found == PROMISES
