"""The 12345 indicators of issue 17 (domain brief §1.6) against a dataset whose every figure was
worked out by hand below, never by calling the code under test.

P = October 2026 in Asia/Shanghai; now = 10-31 12:00; END = 23:59:59.999999 (+08:00).

Dispatches (ticket, unit, role, dispatched, sign_for_due, signed, returned):
d1 o1 人社 lead   10-08 09:00  due 10-09 END  signed 10-08 10:00   in time
d2 o1 公安 assist 10-08 09:05  due 10-09 END  signed 10-12 09:00   late
d3 o2 人社 lead   10-12 09:00  due 10-13 END  returned 10-13 10:00  ended before due: -
d4 o2 公安 lead   10-13 11:00  due 10-14 END  signed 10-15 09:00   late
d5 o3 公安 lead   10-14 09:00  due 10-15 END  signed 10-14 11:00   in time
d6 o4 城管 lead   10-20 09:00  due 10-21 END  returned 10-20 15:00  ended before due: -
及时签收率, per order by its lead dispatches: o1 in time (d1; d2 assists), o2 late (d4), o3 in
time → 2/3 = 0.6667. By unit: 人社 o1 → 1/1; 公安 o2 late, o3 in time → 1/2.
The units' own view, per dispatch: d1, d5 in time; d2, d4 late → 2/4 = 0.5; 人社 d1 → 1/1;
公安 d2 d4 d5 → 1/3 = 0.3333. dispatches counted: 6.

Tickets (lead now, received, rounds, order due, unit's due, extensions, replied, closed, contact
due / first contact, 回访 due / first 回访 of the closure, answer):
t1 o1 人社 10-08 09:00 r1  order 10-12 END unit 10-12 END  replied 10-12 10:00 closed 10-12 15:00
   contact 10-09 END / 10-08 11:00; 回访 10-13 END / 10-13 09:00; 基本满意 (counts)
t2 o2 公安 10-12 09:00 r2 (1 退单)  order 10-15 END unit 10-16 END  replied 10-16 10:00 closed
   10-16 21:00; contact 10-13 END / 10-14 09:00 (late); 回访 10-17 END / 10-19 10:00 (late); 满意
t3 o3 公安 10-14 09:00 r1  order 10-19 END unit 10-19 END, 1 extension approved, replied 10-20
   09:00 closed 10-20 21:00; contact 10-15 END / never; 回访 10-21 END / none yet; no answer
t4 o4 none 10-20 09:00 r1 (1 退单), waiting for 改派: order 10-23 END, no unit clock; contact
   10-21 END / never
t5 none 10-22 09:00 r0 answered at intake, closed 10-22 09:10; 回访 10-23 END / 10-23 10:00; 满意
t6 none 10-23 09:00 r0 redirected 10-23 09:30 (no 回访 due)
t7 none 10-24 09:00 merged child
t8 人社 09-20 09:00 r1 order/unit 09-30 END, closed 09-29, 回访 in P 10-08 10:00: 基本满意 where
   the centre's policy does not count it

Total:
- received t1..t7 = 7, merged 1; 首呼解决率 = t5 ÷ (7 − 1) = 1/6 = 0.1667.
- 响应率: contact due in P and decided: t1 (in time), t2, t3, t4 (late) → 1/4 = 0.25.
- 应办结 on the order's clock: t1 t2 t3 t4 = 4 (t4 waits for 改派 and stays due); on time t1
  (t2 closed 10-16 > 10-15; t3 10-20 > 10-19; t4 open) → 1/4 = 0.25; 延期率 t3 → 1/4 = 0.25.
- The units' clock: due t1 t2 t3 = 3 (t4 has none); answered in time t1 (10-12 ≤ 10-12), t2
  (10-16 ≤ 10-16) → 2/3 = 0.6667.
- 回访 due in P: t1 t2 t3 t5 = 4; by the day after: t1, t5 → 2/4 = 0.5.
- 满意率: followed up in P t1 t2 t5 t8 = 4, all answered; content t1 (基本满意 counted), t2, t5
  (t8's 基本满意 not counted) → 3/4 = 0.75.
- Total wait of the orders closed in P after a dispatch: t1 4 d 6 h = 4.25 d, t2 4 d 12 h = 4.5 d,
  t3 6 d 12 h = 6.5 d (t5 never dispatched) → mean 15.25 / 3 = 5.0833 → 5.08, max 6.5, n 3.
公安 (t2, t3): the orders' clock due 2, on time 0 → 0/2; its own rounds due 2, answered in time
t2 → 1/2 = 0.5; total wait (4.5 + 6.5) / 2 = 5.5, max 6.5.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from ledger.domain.calendar import SHANGHAI
from ledger.projections.indicators.hotline import DispatchRow, TicketRow
from ledger.projections.indicators.hotline_tally import WaitDays, tally_hotline
from ledger.projections.indicators.period import Period
from ledger.projections.indicators.rates import Rate

OCTOBER = Period(first=date(2026, 10, 1), last=date(2026, 10, 31))
NOW = datetime(2026, 10, 31, 12, 0, tzinfo=SHANGHAI)
HR, POLICE, CG = "人社", "公安", "城管"
O1, O2, O3, O4 = uuid4(), uuid4(), uuid4(), uuid4()


def at(month_day: str, hhmm: str = "00:00") -> datetime:
    month, day = map(int, month_day.split("-"))
    if hhmm == "END":
        return datetime(2026, month, day, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    hour, minute = map(int, hhmm.split(":"))
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI)


def r(value: float | None, numerator: int, denominator: int) -> Rate:
    return Rate(value=value, numerator=numerator, denominator=denominator)


def dispatch(ticket: UUID, unit: str, role: str, when: str, due: str, **fields: Any) -> DispatchRow:
    return DispatchRow(
        **{
            "ticket_id": ticket,
            "unit": unit,
            "role": role,
            "dispatched_at": at(*when.split()),
            "sign_for_due": at(due, "END"),
            "signed_for_at": None,
            "returned_at": None,
            "merged": False,
            "ticket_closed_at": None,
            **fields,
        }
    )


DISPATCHES = [
    dispatch(O1, HR, "lead", "10-08 09:00", "10-09", signed_for_at=at("10-08", "10:00")),
    dispatch(O1, POLICE, "assist", "10-08 09:05", "10-09", signed_for_at=at("10-12", "09:00")),
    dispatch(O2, HR, "lead", "10-12 09:00", "10-13", returned_at=at("10-13", "10:00")),
    dispatch(O2, POLICE, "lead", "10-13 11:00", "10-14", signed_for_at=at("10-15", "09:00")),
    dispatch(O3, POLICE, "lead", "10-14 09:00", "10-15", signed_for_at=at("10-14", "11:00")),
    dispatch(uuid4(), CG, "lead", "10-20 09:00", "10-21", returned_at=at("10-20", "15:00")),
]


def ticket(ticket_id: UUID, lead: str | None, received: datetime, **fields: Any) -> TicketRow:
    return TicketRow(
        **{
            "ticket_id": ticket_id,
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
            **fields,
        }
    )


def closed(
    replied: datetime | None, closed_at: datetime, closure: str = "replied"
) -> dict[str, Any]:
    return {
        "status": "closed",
        "replies": 1 if replied else 0,
        "replied_at": replied,
        "unit_claims_resolved": True if replied else None,
        "closure": closure,
        "closed_at": closed_at,
        "first_closed_at": closed_at,
    }


def answered(when: datetime, satisfaction: str) -> dict[str, Any]:
    return {
        "follow_ups": 1,
        "followed_up_at": when,
        "closure_followed_up_at": when,
        "citizen_resolved": True,
        "satisfaction": satisfaction,
    }


TICKETS = [
    ticket(  # t1
        O1,
        HR,
        at("10-08", "09:00"),
        rounds=1,
        order_due=at("10-12", "END"),
        reply_due=at("10-12", "END"),
        **closed(at("10-12", "10:00"), at("10-12", "15:00")),
        contact_due=at("10-09", "END"),
        first_contact_at=at("10-08", "11:00"),
        follow_up_due=at("10-13", "END"),
        **answered(at("10-13", "09:00"), "basically_satisfied"),
    ),
    ticket(  # t2
        O2,
        POLICE,
        at("10-12", "09:00"),
        rounds=2,
        returns_requested=1,
        order_due=at("10-15", "END"),
        reply_due=at("10-16", "END"),
        **closed(at("10-16", "10:00"), at("10-16", "21:00")),
        contact_due=at("10-13", "END"),
        first_contact_at=at("10-14", "09:00"),
        follow_up_due=at("10-17", "END"),
        **answered(at("10-19", "10:00"), "satisfied"),
    ),
    ticket(  # t3
        O3,
        POLICE,
        at("10-14", "09:00"),
        rounds=1,
        order_due=at("10-19", "END"),
        reply_due=at("10-19", "END"),
        extensions_approved=1,
        **closed(at("10-20", "09:00"), at("10-20", "21:00")),
        contact_due=at("10-15", "END"),
        follow_up_due=at("10-21", "END"),
    ),
    ticket(  # t4: waiting for 改派 after a 退单
        uuid4(),
        None,
        at("10-20", "09:00"),
        status="pending_dispatch",
        rounds=1,
        returns_requested=1,
        order_due=at("10-23", "END"),
        contact_due=at("10-21", "END"),
    ),
    ticket(  # t5
        uuid4(),
        None,
        at("10-22", "09:00"),
        **closed(None, at("10-22", "09:10"), "answered_at_intake"),
        follow_up_due=at("10-23", "END"),
        **answered(at("10-23", "10:00"), "satisfied"),
    ),
    ticket(  # t6
        uuid4(), None, at("10-23", "09:00"), **closed(None, at("10-23", "09:30"), "redirected")
    ),
    ticket(  # t7
        uuid4(), None, at("10-24", "09:00"), status="merged", merged_into_case=uuid4()
    ),
    ticket(  # t8: September's, followed up in October where 基本满意 is not satisfied
        uuid4(),
        HR,
        at("09-20", "09:00"),
        rounds=1,
        order_due=at("09-30", "END"),
        reply_due=at("09-30", "END"),
        **closed(at("09-29", "10:00"), at("09-29", "15:00")),
        follow_up_due=at("09-30", "END"),
        **answered(at("10-08", "10:00"), "basically_satisfied"),
        basic_counts=False,
    ),
]


def tallied() -> dict[str | None, Any]:
    total, groups = tally_hotline(DISPATCHES, TICKETS, OCTOBER, NOW, grouped=True)
    return {unit: tally.indicators() for unit, tally in groups.items()} | {
        "total": total.indicators()
    }


def test_the_sign_for_rate_counts_orders_by_their_lead_dispatches() -> None:
    figures = tallied()
    total, hr, police = figures["total"], figures[HR], figures[POLICE]
    assert (total.dispatches, total.sign_for_rate) == (6, r(0.6667, 2, 3))
    assert (hr.sign_for_rate, police.sign_for_rate) == (r(1.0, 1, 1), r(0.5, 1, 2))
    # The units' own view counts every dispatch, assisting ones too.
    assert total.unit_sign_for_rate == r(0.5, 2, 4)
    assert (hr.unit_sign_for_rate, police.unit_sign_for_rate) == (r(1.0, 1, 1), r(0.3333, 1, 3))


def test_an_order_is_due_on_its_own_clock_even_while_it_waits_for_a_unit() -> None:
    total = tallied()["total"]
    assert (total.due, total.on_time, total.on_time_rate) == (4, 1, r(0.25, 1, 4))
    assert (total.extended, total.extension_rate) == (1, r(0.25, 1, 4))
    # The units answer for their own rounds: t2's second unit was on time, the order was not.
    assert (total.unit_due, total.unit_on_time, total.unit_on_time_rate) == (3, 2, r(0.6667, 2, 3))


def test_by_unit_the_orders_clock_and_the_units_clock_are_both_counted() -> None:
    police = tallied()[POLICE]
    assert (police.due, police.on_time_rate) == (2, r(0.0, 0, 2))
    assert police.unit_on_time_rate == r(0.5, 1, 2)


def test_the_response_and_first_call_rates() -> None:
    total = tallied()["total"]
    assert total.contact_rate == r(0.25, 1, 4)
    assert (total.received, total.merged, total.answered_at_intake) == (7, 1, 1)
    assert total.first_call_rate == r(0.1667, 1, 6)


def test_follow_ups_on_time_and_the_local_satisfaction_rule() -> None:
    total = tallied()["total"]
    assert (total.follow_up_due, total.follow_up_on_time_rate) == (4, r(0.5, 2, 4))
    assert (total.followed_up, total.unreachable) == (4, 0)
    assert total.satisfaction_rate == r(0.75, 3, 4)


def test_the_citizens_total_wait_over_orders_closed_in_the_period() -> None:
    figures = tallied()
    assert figures["total"].total_wait == WaitDays(mean=5.08, max=6.5, n=3)
    assert figures[POLICE].total_wait == WaitDays(mean=5.5, max=6.5, n=2)
    assert figures[None].total_wait == WaitDays(mean=None, max=None, n=0)
