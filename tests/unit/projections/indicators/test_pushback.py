"""12345, 办不成事 and 好差评 indicators against a dataset whose every expected value was worked out
by hand (the comments), never by calling the code under test.

P = October 2026 in Asia/Shanghai; now = 10-20 12:00. All times +08:00; END = 23:59:59.999999.

Dispatches (unit, role, dispatched, sign_for_due, signed, returned, ticket merged / closed):
d1  人社 lead   10-08 09:00  due 10-09 END  signed 10-08 10:00                  in time
d2  人社 assist 10-08 09:05  due 10-09 END  signed 10-12 09:00                  late
d3  公安 lead   10-10 09:00  due 10-12 END  unsigned, returned 10-11 10:00      ended before due: -
d4  公安 lead   10-19 09:00  due 10-21 END  unsigned                            due after now: -
d5  公安 lead   10-13 09:00  due 10-14 END  unsigned                            late
d6  人社 lead   10-14 09:00  due 10-15 END  signed 10-15 08:00, ticket merged   merged: -
d7  人社 lead   09-29 09:00  due 09-30 END  signed 10-08 09:00                  before P: -
d8  公安 lead   10-15 09:00  no due (no policy)                                 -
d9  公安 assist 10-16 09:00  due 10-16 09:30 unsigned, ticket closed 10-16 09:20 ended: -
d10 公安 assist 10-16 09:00  due 10-17 END  unsigned, returned 10-18 10:00      late (due first)
人社: dispatches d1 d2 = 2 (d6 merged, d7 September); decided 2, in time 1 → 0.5.
公安: dispatches d3 d4 d5 d9 d10 = 5 (d8 has no due); decided d5 d10, in time 0 → 0.0.
Total: dispatches 7; 1 ÷ 4 = 0.25. That is the units' own view (unit_sign_for_rate); 及时签收率
counts orders by their lead dispatches (each dispatch here is its own order): 人社 d1 → 1/1,
公安 d5 → 0/1 (d3 ended, d4 not due yet), total 1/2.

Tickets (lead, received, rounds, 退单 requests, reply_due, replies / last claim, closure, closed,
first closed, 回访 count / last at / resolved / satisfaction, reopened, merged):
t1  人社 10-08  r1 ret0 due 10-15 END  1 claims yes  replied 10-14 16:00  first 10-14 16:00
    回访 1 at 10-15 10:00 resolved, satisfied
t2  人社 10-09  r2 ret1 due 10-16 END  1 yes  replied 10-17 10:00 (late)  first 10-17 10:00
    回访 1 at 10-18 10:00 not resolved, basically satisfied
t3  公安 10-05  r1 ret0 new clock due 10-19 END  1 yes  reopened (closure, closed null), first
    closed 10-09 15:00; 回访 1 at 10-10 10:00 not resolved, dissatisfied; reopen 1
t4  公安 10-12  r1 ret0 due 10-19 END  1 no   replied 10-19 09:00  first 10-19 09:00
    回访 2, last 10-20 09:00, never reached (no answers)
t5  人社 10-13  r1 ret1 due 10-17 END  merged child (dispatched, then 并单)
t6  null 10-14  r0 answered at intake 10-14 09:10, no 回访
t7  null 10-15  r0 redirected 10-15 09:00 (not eligible for 回访)
t8  人社 09-25  r1 ret0 due 10-09 END  1 yes  replied 10-09 10:00  first 10-09 10:00
    回访 1 at 10-09 15:00 resolved, satisfied
t9  人社 10-16  r1 ret0 due 10-23 END  (after now) in progress
t10 null 10-17  r0 merged child, never dispatched

人社 (t1 t2 t5 t8 t9): received t1 t2 t5 t9 = 4, merged t5 → 重复来电率 1/4 = 0.25;
  dispatched t1 t2 t9 = 3 (t5 merged), 退单 t2 → 1/3 = 0.3333, rounds 1+2+1 = 4 → 4/3 = 1.33;
  due t1 t2 t8 = 3 (t9 after now, t5 merged), on time t1 t8 → 2/3 = 0.6667;
  closed t1 t2 t8 = 3, reopened 0, followed up 3 → 3/3 = 1.0; unit claims 3/3 = 1.0;
  回访 in P t1 t2 t8 = 3, answered 3, unreachable 0; content 3/3 = 1.0; resolved t1 t8 2/3.
公安 (t3 t4): received 2, merged 0 → 0/2 = 0.0; dispatched 2, 退单 0 → 0.0, rounds 2/2 = 1.0;
  due t3 (new clock) t4 = 2, on time t4 (t3 reopened, not closed again) → 1/2 = 0.5;
  closed t3 (first closure in P, still eligible) t4 = 2, reopened 1, followed up 2 → 1.0;
  unit claims: t3 yes, t4 no → 1/2 = 0.5;
  回访 in P t3 t4 = 2, answered t3 = 1, unreachable t4 = 1; content 0/1; resolved 0/1.
null (t6 t7 t10): received 3, merged t10 → 1/3 = 0.3333; dispatched 0 → null rates;
  closed t6 (t7 redirected) = 1, followed up 0 → 0/1 = 0.0; replies none → null.
Total: received 9, merged 2 → 2/9 = 0.2222; dispatched 5, 退单 1 → 0.2, rounds 6/5 = 1.2;
  due 5, on time 3 → 0.6; closed 6, reopened 1, followed up 5 → 5/6 = 0.8333;
  unit claims 4/5 = 0.8; 回访 5, answered 4, unreachable 1; content 3/4 = 0.75; resolved 2/4 = 0.5.

办不成事 (department, matter, cause, reported, due, closure, closed):
u1 人社 SI-ARREARS     policy    10-08 09:00 due 10-15 END resolved 10-14        on time
u2 人社 SI-ARREARS     materials 10-09 09:00 due 10-16 END explained 10-19       late
u3 公安 ID-CORRECTION  policy    10-12 09:00 due 10-26 END open                   not counted
u4 公安 ID-CORRECTION  attitude  09-20 09:00 due 09-30 END resolved 10-10        closed in P: late
u5 公安 ID-CORRECTION  system    10-13 09:00 due 10-27 END excluded_own 10-14    closed: on time
u6 人社 SI-ARREARS     other     10-15 09:00 no due        resolved 10-15 09:30  no due: not counted
人社: received 3 (policy, materials, other; resolved 2, explained 1), closed 3, on time 1/2 = 0.5.
公安: received 2 (u3 u5: policy, system; open 1, excluded_own_cause 1), closed u4 u5 = 2,
  on time u5 of u4 u5 → 1/2 = 0.5.
Total: received 5, closed 5, on time 2/4 = 0.5.

Cases (办结 = completed, not withdrawn): c1 人社 granted 10-10; c2 人社 granted 10-12; c3 人社
withdrawn 10-13; c4 公安 denied 10-14; c5 公安 granted 09-28; c6 公安 granted 10-18.

Ratings (case, dept, level, default, rated, validity, appeal upheld, excluded, rectify due / done):
g1 c1 人社 5 active 10-10
g2 c2 人社 3 default 10-20 09:00
g3 c4 公安 1 active 10-14 12:00 valid; due 10-21 END, rectified 10-16: rectified in P, in time
g4 c5 公安 2 active 09-29 unverified; due 10-09 END, not rectified: due in P, late
g5 c6 公安 1 active 10-18 malicious, appeal upheld: excluded (counted apart, out of every rate)
g6 c3 人社 2 active 10-13 mistaken, appeal pending; due 10-16 END: not counted for 整改
g7 c7 人社 4 active 10-05 (c7 completed before P, not in the rows)
g8 c8 公安 2 active 10-02 mistaken, appeal overturned; due 10-12 END, rectified 10-12 18:00: in time
人社: ratings g1 g2 g6 g7 = 4, default 1, bad 1 (g6); 好评率 g1 g2 g7 = 3/4 = 0.75; without
  defaults 2/3 = 0.6667; 主动评价率: 办结 in P c1 c2 (not c3), actively rated c1 → 1/2 = 0.5;
  整改 none counted → null.
公安: ratings g3 g8 = 2 (g4 September, g5 excluded), excluded 1, bad 2; 好评率 0/2, without
  defaults 0/2; 主动评价率: 办结 in P c4 c6, actively rated c4 (g5 is excluded) → 1/2 = 0.5;
  整改: g3 in time, g4 late, g8 in time → 2/3 = 0.6667.
Total: ratings 6, default 1, excluded 1, bad 3; 好评率 3/6 = 0.5, without defaults 2/5 = 0.4;
  主动评价率 2/4 = 0.5; 整改按时率 2/3 = 0.6667.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from ledger.domain.calendar import SHANGHAI
from ledger.projections.indicators.grouping import GroupBy
from ledger.projections.indicators.hotline import DispatchRow, TicketRow
from ledger.projections.indicators.period import Period
from ledger.projections.indicators.rates import Rate
from ledger.projections.indicators.ratings import RatingRow
from ledger.projections.indicators.report import DEFINITIONS_VERSION, PushbackRows, report
from ledger.projections.indicators.timeliness import CaseRow
from ledger.projections.indicators.unresolved import UnresolvedRow

OCTOBER = Period(first=date(2026, 10, 1), last=date(2026, 10, 31))
NOW = datetime(2026, 10, 20, 12, 0, tzinfo=SHANGHAI)
HR, POLICE = "人社", "公安"
MERGED_INTO = UUID("00000000-0000-0000-0000-00000000beef")


def at(month_day: str, hhmm: str = "00:00") -> datetime:
    month, day = map(int, month_day.split("-"))
    if hhmm == "END":
        return datetime(2026, month, day, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    hour, minute = map(int, hhmm.split(":"))
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def r(value: float | None, numerator: int, denominator: int) -> Rate:
    return Rate(value=value, numerator=numerator, denominator=denominator)


def dispatch(unit: str, dispatched: datetime, due: datetime | None, **fields: Any) -> DispatchRow:
    return DispatchRow(
        **{
            "ticket_id": uuid4(),
            "unit": unit,
            "role": "lead",
            "dispatched_at": dispatched,
            "sign_for_due": due,
            "signed_for_at": None,
            "returned_at": None,
            "merged": False,
            "ticket_closed_at": None,
            **fields,
        }
    )


DISPATCHES = [
    dispatch(HR, at("10-08", "09:00"), at("10-09", "END"), signed_for_at=at("10-08", "10:00")),
    dispatch(
        HR,
        at("10-08", "09:05"),
        at("10-09", "END"),
        role="assist",
        signed_for_at=at("10-12", "09:00"),
    ),
    dispatch(POLICE, at("10-10", "09:00"), at("10-12", "END"), returned_at=at("10-11", "10:00")),
    dispatch(POLICE, at("10-19", "09:00"), at("10-21", "END")),
    dispatch(POLICE, at("10-13", "09:00"), at("10-14", "END")),
    dispatch(
        HR,
        at("10-14", "09:00"),
        at("10-15", "END"),
        signed_for_at=at("10-15", "08:00"),
        merged=True,
    ),
    dispatch(HR, at("09-29", "09:00"), at("09-30", "END"), signed_for_at=at("10-08", "09:00")),
    dispatch(POLICE, at("10-15", "09:00"), None),
    dispatch(
        POLICE,
        at("10-16", "09:00"),
        at("10-16", "09:30"),
        role="assist",
        ticket_closed_at=at("10-16", "09:20"),
    ),
    dispatch(
        POLICE,
        at("10-16", "09:00"),
        at("10-17", "END"),
        role="assist",
        returned_at=at("10-18", "10:00"),
    ),
]


def ticket(lead: str | None, received: datetime, **fields: Any) -> TicketRow:
    return TicketRow(
        **{
            "ticket_id": uuid4(),
            "lead_unit": lead,
            "status": "in_progress",
            "received_at": received,
            "rounds": 0,
            "returns_requested": 0,
            "reply_due": None,
            "replies": 0,
            "unit_claims_resolved": None,
            "closure": None,
            "closed_at": None,
            "first_closed_at": None,
            "follow_ups": 0,
            "followed_up_at": None,
            "citizen_resolved": None,
            "satisfaction": None,
            "reopen_count": 0,
            "merged_into_case": None,
            "order_due": fields.get("reply_due"),  # no 退单 here moves the order's clock
            **fields,
        }
    )


def replied(closed: datetime, claims: bool = True) -> dict[str, Any]:
    return {
        "status": "closed",
        "replies": 1,
        "unit_claims_resolved": claims,
        "closure": "replied",
        "closed_at": closed,
        "first_closed_at": closed,
    }


def followed(when: datetime, resolved: bool | None, satisfaction: str | None) -> dict[str, Any]:
    return {
        "follow_ups": 1,
        "followed_up_at": when,
        "citizen_resolved": resolved,
        "satisfaction": satisfaction,
    }


TICKETS = [
    ticket(  # t1
        HR,
        at("10-08", "09:00"),
        rounds=1,
        reply_due=at("10-15", "END"),
        **replied(at("10-14", "16:00")),
        **followed(at("10-15", "10:00"), True, "satisfied"),
    ),
    ticket(  # t2
        HR,
        at("10-09", "09:00"),
        rounds=2,
        returns_requested=1,
        reply_due=at("10-16", "END"),
        **replied(at("10-17", "10:00")),
        **followed(at("10-18", "10:00"), False, "basically_satisfied"),
    ),
    ticket(  # t3: reopened (重办), not closed again
        POLICE,
        at("10-05", "09:00"),
        rounds=1,
        reply_due=at("10-19", "END"),
        replies=1,
        unit_claims_resolved=True,
        first_closed_at=at("10-09", "15:00"),
        reopen_count=1,
        **followed(at("10-10", "10:00"), False, "dissatisfied"),
    ),
    ticket(  # t4: 回访 twice, never reached
        POLICE,
        at("10-12", "09:00"),
        rounds=1,
        reply_due=at("10-19", "END"),
        **replied(at("10-19", "09:00"), claims=False),
        **{**followed(at("10-20", "09:00"), None, None), "follow_ups": 2},
    ),
    ticket(  # t5: merged child, dispatched and returned before the merge
        HR,
        at("10-13", "09:00"),
        status="merged",
        rounds=1,
        returns_requested=1,
        reply_due=at("10-17", "END"),
        merged_into_case=MERGED_INTO,
    ),
    ticket(  # t6
        None,
        at("10-14", "09:00"),
        status="closed",
        closure="answered_at_intake",
        closed_at=at("10-14", "09:10"),
        first_closed_at=at("10-14", "09:10"),
    ),
    ticket(  # t7
        None,
        at("10-15", "08:30"),
        status="closed",
        closure="redirected",
        closed_at=at("10-15", "09:00"),
        first_closed_at=at("10-15", "09:00"),
    ),
    ticket(  # t8: September's, due and closed in October
        HR,
        at("09-25", "09:00"),
        rounds=1,
        reply_due=at("10-09", "END"),
        **replied(at("10-09", "10:00")),
        **followed(at("10-09", "15:00"), True, "satisfied"),
    ),
    ticket(HR, at("10-16", "09:00"), rounds=1, reply_due=at("10-23", "END")),  # t9
    ticket(None, at("10-17", "09:00"), status="merged", merged_into_case=MERGED_INTO),  # t10
]


def unresolved(dept: str, cause: str, reported: datetime, **fields: Any) -> UnresolvedRow:
    matter = (
        ("SI-ARREARS", "养老保险费补缴") if dept == HR else ("ID-CORRECTION", "居民身份信息更正")
    )
    return UnresolvedRow(
        **{
            "department": dept,
            "matter_code": matter[0],
            "matter_name": matter[1],
            "cause": cause,
            "reported_at": reported,
            "due_at": None,
            "closure": None,
            "closed_at": None,
            **fields,
        }
    )


UNRESOLVED = [
    unresolved(
        HR,
        "policy",
        at("10-08", "09:00"),
        due_at=at("10-15", "END"),
        closure="resolved",
        closed_at=at("10-14", "10:00"),
    ),
    unresolved(
        HR,
        "materials",
        at("10-09", "09:00"),
        due_at=at("10-16", "END"),
        closure="explained_cannot_do",
        closed_at=at("10-19", "10:00"),
    ),
    unresolved(POLICE, "policy", at("10-12", "09:00"), due_at=at("10-26", "END")),
    unresolved(
        POLICE,
        "attitude",
        at("09-20", "09:00"),
        due_at=at("09-30", "END"),
        closure="resolved",
        closed_at=at("10-10", "10:00"),
    ),
    unresolved(
        POLICE,
        "system",
        at("10-13", "09:00"),
        due_at=at("10-27", "END"),
        closure="excluded_own_cause",
        closed_at=at("10-14", "10:00"),
    ),
    unresolved(
        HR, "other", at("10-15", "09:00"), closure="resolved", closed_at=at("10-15", "09:30")
    ),
]

C = {n: UUID(int=n) for n in range(1, 9)}


def case(n: int, dept: str, outcome: str, closed: datetime) -> CaseRow:
    return CaseRow(
        case_id=C[n],
        department=dept,
        window="2F-07" if dept == HR else "1F-02",
        matter_code="SI-ARREARS" if dept == HR else "ID-CORRECTION",
        matter_name="养老保险费补缴" if dept == HR else "居民身份信息更正",
        status="completed",
        outcome=outcome,
        registered_at=at("09-20", "09:00"),
        accepted_at=at("09-20", "09:30"),
        closed_at=closed,
        due_at=None,
        working_seconds=None,
        visits=1,
        handoffs=0,
        extensions_approved=0,
        notice_violations=0,
    )


CASES = [
    case(1, HR, "granted", at("10-10", "10:00")),
    case(2, HR, "granted", at("10-12", "10:00")),
    case(3, HR, "withdrawn", at("10-13", "10:00")),
    case(4, POLICE, "denied", at("10-14", "10:00")),
    case(5, POLICE, "granted", at("09-28", "10:00")),
    case(6, POLICE, "granted", at("10-18", "10:00")),
]


def rating(n: int, dept: str, level: int, rated: datetime, **fields: Any) -> RatingRow:
    return RatingRow(
        **{
            "case_id": C[n],
            "department": dept,
            "window": "2F-07" if dept == HR else "1F-02",
            "matter_code": "SI-ARREARS" if dept == HR else "ID-CORRECTION",
            "level": level,
            "is_default": False,
            "rated_at": rated,
            "validity": None,
            "appeal_upheld": None,
            "excluded": False,
            "rectify_due": None,
            "rectified_at": None,
            **fields,
        }
    )


RATINGS = [
    rating(1, HR, 5, at("10-10", "11:00")),
    rating(2, HR, 3, at("10-20", "09:00"), is_default=True),
    rating(
        4,
        POLICE,
        1,
        at("10-14", "12:00"),
        validity="valid",
        rectify_due=at("10-21", "END"),
        rectified_at=at("10-16", "10:00"),
    ),
    rating(5, POLICE, 2, at("09-29", "10:00"), rectify_due=at("10-09", "END")),
    rating(
        6,
        POLICE,
        1,
        at("10-18", "12:00"),
        validity="malicious",
        appeal_upheld=True,
        excluded=True,
        rectify_due=at("10-27", "END"),
    ),
    rating(3, HR, 2, at("10-13", "12:00"), validity="mistaken", rectify_due=at("10-16", "END")),
    rating(7, HR, 4, at("10-05", "10:00")),
    rating(
        8,
        POLICE,
        2,
        at("10-02", "10:00"),
        validity="mistaken",
        appeal_upheld=False,
        rectify_due=at("10-12", "END"),
        rectified_at=at("10-12", "18:00"),
    ),
]

ROWS = PushbackRows(dispatches=DISPATCHES, tickets=TICKETS, unresolved=UNRESOLVED, ratings=RATINGS)


def by_department() -> dict[str | None, Any]:
    result = report(CASES, ROWS, OCTOBER, GroupBy.DEPARTMENT, NOW)
    return {g.key: g for g in result.groups} | {"total": result.total}


def test_groups_are_the_units_with_the_orders_no_unit_holds_last() -> None:
    result = report(CASES, ROWS, OCTOBER, GroupBy.DEPARTMENT, NOW)
    assert [g.key for g in result.groups] == [HR, POLICE, None]
    assert DEFINITIONS_VERSION == "3"


def test_the_sign_for_rate_by_department() -> None:
    groups = by_department()
    hr, police, total = groups[HR].hotline, groups[POLICE].hotline, groups["total"].hotline
    assert (hr.dispatches, hr.unit_sign_for_rate) == (2, r(0.5, 1, 2))
    assert (police.dispatches, police.unit_sign_for_rate) == (5, r(0.0, 0, 2))
    assert (total.dispatches, total.unit_sign_for_rate) == (7, r(0.25, 1, 4))
    assert (hr.sign_for_rate, police.sign_for_rate) == (r(1.0, 1, 1), r(0.0, 0, 1))
    assert total.sign_for_rate == r(0.5, 1, 2)
    assert groups[None].hotline.sign_for_rate == r(None, 0, 0)


def test_repeat_calls_returns_and_rounds_are_counted() -> None:
    groups = by_department()
    hr, police = groups[HR].hotline, groups[POLICE].hotline
    none, total = groups[None].hotline, groups["total"].hotline
    assert (hr.received, hr.merged, hr.repeat_rate) == (4, 1, r(0.25, 1, 4))
    assert (hr.dispatched, hr.return_rate, hr.rounds_per_ticket) == (
        3,
        r(0.3333, 1, 3),
        r(1.33, 4, 3),
    )
    assert (police.received, police.repeat_rate) == (2, r(0.0, 0, 2))
    assert (police.return_rate, police.rounds_per_ticket) == (r(0.0, 0, 2), r(1.0, 2, 2))
    assert (none.received, none.repeat_rate) == (3, r(0.3333, 1, 3))
    assert (none.dispatched, none.return_rate, none.rounds_per_ticket) == (
        0,
        r(None, 0, 0),
        r(None, 0, 0),
    )
    assert (total.received, total.merged, total.repeat_rate) == (9, 2, r(0.2222, 2, 9))
    assert (total.return_rate, total.rounds_per_ticket) == (r(0.2, 1, 5), r(1.2, 6, 5))


def test_on_time_closure_of_orders_due() -> None:
    groups = by_department()
    hr, police, total = groups[HR].hotline, groups[POLICE].hotline, groups["total"].hotline
    assert (hr.due, hr.on_time, hr.on_time_rate) == (3, 2, r(0.6667, 2, 3))
    assert (police.due, police.on_time, police.on_time_rate) == (2, 1, r(0.5, 1, 2))  # t3 reopened
    assert (total.due, total.on_time, total.on_time_rate) == (5, 3, r(0.6, 3, 5))


def test_follow_up_rate_and_unit_claims() -> None:
    groups = by_department()
    hr, police = groups[HR].hotline, groups[POLICE].hotline
    none, total = groups[None].hotline, groups["total"].hotline
    assert (hr.closed, hr.reopened, hr.follow_up_rate) == (3, 0, r(1.0, 3, 3))
    assert hr.unit_resolved_rate == r(1.0, 3, 3)
    assert (police.closed, police.reopened, police.follow_up_rate) == (2, 1, r(1.0, 2, 2))
    assert police.unit_resolved_rate == r(0.5, 1, 2)
    assert (none.closed, none.follow_up_rate, none.unit_resolved_rate) == (
        1,
        r(0.0, 0, 1),
        r(None, 0, 0),
    )
    assert (total.closed, total.reopened, total.follow_up_rate) == (6, 1, r(0.8333, 5, 6))
    assert total.unit_resolved_rate == r(0.8, 4, 5)


def test_satisfaction_and_citizen_resolution_leave_unreachable_apart() -> None:
    groups = by_department()
    hr, police, total = groups[HR].hotline, groups[POLICE].hotline, groups["total"].hotline
    assert (hr.followed_up, hr.unreachable) == (3, 0)
    assert (hr.satisfaction_rate, hr.citizen_resolved_rate) == (r(1.0, 3, 3), r(0.6667, 2, 3))
    assert (police.followed_up, police.unreachable) == (2, 1)
    assert (police.satisfaction_rate, police.citizen_resolved_rate) == (
        r(0.0, 0, 1),
        r(0.0, 0, 1),
    )
    assert (total.followed_up, total.unreachable) == (5, 1)
    assert (total.satisfaction_rate, total.citizen_resolved_rate) == (r(0.75, 3, 4), r(0.5, 2, 4))


def test_unresolved_reports_are_counted_by_cause_and_on_time() -> None:
    groups = by_department()
    hr, police, total = groups[HR].unresolved, groups[POLICE].unresolved, groups["total"].unresolved
    zero_causes = dict.fromkeys(
        ["policy", "system", "materials", "attitude", "acceptance", "consultation"], 0
    ) | {"approval_step": 0, "other": 0}
    zero_closures = dict.fromkeys(
        ["resolved", "explained_cannot_do", "excluded_own_cause", "out_of_scope", "redirected"], 0
    ) | {"consultation_only": 0, "open": 0}
    assert hr.received == 3
    assert hr.by_cause == zero_causes | {"policy": 1, "materials": 1, "other": 1}
    assert hr.by_closure == zero_closures | {"resolved": 2, "explained_cannot_do": 1}
    assert (hr.closed, hr.on_time_rate) == (3, r(0.5, 1, 2))
    assert police.received == 2
    assert police.by_cause == zero_causes | {"policy": 1, "system": 1}
    assert police.by_closure == zero_closures | {"open": 1, "excluded_own_cause": 1}
    assert (police.closed, police.on_time_rate) == (2, r(0.5, 1, 2))
    assert total.received == 5
    assert total.by_cause == zero_causes | {"policy": 2, "materials": 1, "other": 1, "system": 1}
    assert (total.closed, total.on_time_rate) == (5, r(0.5, 2, 4))
    assert list(total.by_cause) == list(zero_causes)  # a fixed column order for the CSV
    assert groups[None].unresolved.received == 0  # listed for its tickets: zeros, not null


def test_the_rating_indicators_by_department() -> None:
    groups = by_department()
    hr, police, total = groups[HR].ratings, groups[POLICE].ratings, groups["total"].ratings
    assert (hr.ratings, hr.default, hr.excluded, hr.bad) == (4, 1, 0, 1)
    assert (hr.good_rate, hr.good_rate_without_default) == (r(0.75, 3, 4), r(0.6667, 2, 3))
    assert (hr.active_rate, hr.rectify_on_time_rate) == (r(0.5, 1, 2), r(None, 0, 0))
    assert (police.ratings, police.default, police.excluded, police.bad) == (2, 0, 1, 2)
    assert (police.good_rate, police.good_rate_without_default) == (r(0.0, 0, 2), r(0.0, 0, 2))
    assert (police.active_rate, police.rectify_on_time_rate) == (r(0.5, 1, 2), r(0.6667, 2, 3))
    assert (total.ratings, total.default, total.excluded, total.bad) == (6, 1, 1, 3)
    assert (total.good_rate, total.good_rate_without_default) == (r(0.5, 3, 6), r(0.4, 2, 5))
    assert (total.active_rate, total.rectify_on_time_rate) == (r(0.5, 2, 4), r(0.6667, 2, 3))


def test_case_indicators_are_unchanged_beside_the_new_sections() -> None:
    groups = by_department()
    # 办结 in P: c1 c2 (人社; c3 withdrawn is not), c4 c6 (公安); c5 closed in September.
    assert (groups[HR].indicators.completed, groups[POLICE].indicators.completed) == (2, 2)
    assert groups[None].indicators.received == 0  # a group only the 12345 side lists
    assert groups["total"].indicators.completed == 4


def test_by_window_ratings_cases_and_unresolved_reports_are_grouped() -> None:
    result = report(CASES, ROWS, OCTOBER, GroupBy.WINDOW, NOW)
    # Every rating and case here sits at 2F-07 (人社) or 1F-02 (公安); the reports name no window
    # (null): their own group, listed last (tests/…/test_unresolved_by_window.py has windows).
    assert [g.key for g in result.groups] == ["1F-02", "2F-07", None]
    police, hr, no_window = result.groups
    assert police.hotline is None
    assert police.unresolved is not None and police.unresolved.received == 0
    assert no_window.unresolved is not None and no_window.unresolved.received == 5
    assert police.ratings is not None
    assert hr.ratings is not None
    assert police.ratings.rectify_on_time_rate == r(0.6667, 2, 3)
    assert hr.ratings.good_rate == r(0.75, 3, 4)
    assert result.total.hotline.on_time_rate == r(0.6, 3, 5)  # the total keeps them
    assert result.total.unresolved.received == 5


def test_by_matter_unresolved_and_ratings_are_grouped() -> None:
    result = report(CASES, ROWS, OCTOBER, GroupBy.MATTER, NOW)
    assert [(g.key, g.matter_name) for g in result.groups] == [
        ("ID-CORRECTION", "居民身份信息更正"),
        ("SI-ARREARS", "养老保险费补缴"),
    ]
    correction, arrears = result.groups
    assert correction.hotline is None
    assert correction.unresolved is not None
    assert arrears.unresolved is not None
    assert (correction.unresolved.received, arrears.unresolved.received) == (2, 3)
    assert arrears.ratings is not None
    assert arrears.ratings.active_rate == r(0.5, 1, 2)


def test_a_matter_known_only_from_unresolved_reports_takes_their_name() -> None:
    only = PushbackRows(unresolved=[UNRESOLVED[0]])
    result = report([], only, OCTOBER, GroupBy.MATTER, NOW)
    assert [(g.key, g.matter_name) for g in result.groups] == [("SI-ARREARS", "养老保险费补缴")]
    assert result.groups[0].indicators.received == 0


def test_nothing_gives_zeros_and_null_rates() -> None:
    result = report([], PushbackRows(), OCTOBER, GroupBy.DEPARTMENT, NOW)
    assert result.groups == []
    assert result.total.hotline.sign_for_rate == r(None, 0, 0)
    assert result.total.unresolved.on_time_rate == r(None, 0, 0)
    assert result.total.ratings.good_rate == r(None, 0, 0)
    assert result.total.ratings.active_rate == r(None, 0, 0)


def test_a_merged_child_counts_only_as_received_and_merged() -> None:
    child = TICKETS[4]  # t5: dispatched, returned, due 10-17, then merged
    result = report([], PushbackRows(tickets=[child]), OCTOBER, GroupBy.DEPARTMENT, NOW).total
    assert (result.hotline.received, result.hotline.merged) == (1, 1)
    assert (result.hotline.dispatched, result.hotline.due, result.hotline.closed) == (0, 0, 0)
