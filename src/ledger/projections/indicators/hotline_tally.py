"""The 12345 indicators served (`HotlineIndicators`), tallied per department and in total from
what each row counts as (`hotline`). Every formula is stated where the figure is built, in
`HotlineTally.indicators`, with its source (domain brief §1.6)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from uuid import UUID

import msgspec

from ledger.projections.indicators.hotline import (
    DispatchRow,
    TicketRow,
    contact_outcome,
    follow_up_outcome,
    is_content,
    is_lead,
    sign_for_outcome,
    ticket_answered_at_intake,
    ticket_closed,
    ticket_due,
    ticket_extended,
    ticket_followed_up,
    ticket_on_time,
    ticket_received,
    unit_due,
    unit_on_time,
    waited_microseconds,
)
from ledger.projections.indicators.period import Period
from ledger.projections.indicators.rates import Rate, rate, round_half_up

DAY_MICROSECONDS = 86_400 * 10**6


class WaitDays(msgspec.Struct, frozen=True, kw_only=True):
    """The citizen's total wait over `n` orders, in days of wall-clock time (24 h: the citizen
    waits through weekends too), rounded half up to 2 decimals; null when n is 0."""

    mean: float | None
    max: float | None
    n: int


class HotlineIndicators(msgspec.Struct, frozen=True, kw_only=True):
    dispatches: int
    sign_for_rate: Rate
    unit_sign_for_rate: Rate
    received: int
    merged: int
    repeat_rate: Rate
    answered_at_intake: int
    first_call_rate: Rate
    dispatched: int
    return_rate: Rate
    rounds_per_ticket: Rate
    contact_rate: Rate
    due: int
    on_time: int
    on_time_rate: Rate
    extended: int
    extension_rate: Rate
    unit_due: int
    unit_on_time: int
    unit_on_time_rate: Rate
    closed: int
    reopened: int
    follow_up_rate: Rate
    follow_up_due: int
    follow_up_on_time_rate: Rate
    followed_up: int
    unreachable: int
    satisfaction_rate: Rate
    citizen_resolved_rate: Rate
    unit_resolved_rate: Rate
    total_wait: WaitDays


@dataclass
class HotlineTally:
    dispatches: int = 0
    orders_signed_in_time: int = 0
    orders_sign_for_decided: int = 0
    signed_in_time: int = 0
    sign_for_decided: int = 0
    received: int = 0
    merged: int = 0
    answered_at_intake: int = 0
    dispatched: int = 0
    returned: int = 0
    rounds: int = 0
    contacted_in_time: int = 0
    contact_decided: int = 0
    due: int = 0
    on_time: int = 0
    extended: int = 0
    unit_due: int = 0
    unit_on_time: int = 0
    closed: int = 0
    reopened: int = 0
    closed_followed_up: int = 0
    closed_replied: int = 0
    unit_resolved: int = 0
    follow_up_due: int = 0
    followed_up_in_time: int = 0
    followed_up: int = 0
    answered: int = 0
    content: int = 0
    citizen_resolved: int = 0
    waits: int = 0
    wait_total: int = 0
    """Microseconds, summed exactly."""
    wait_max: int | None = None

    def add_dispatch(self, d: DispatchRow, p: Period, now: datetime) -> bool:
        counted = not d.merged and d.sign_for_due is not None and p.contains(d.dispatched_at)
        self.dispatches += counted
        outcome = sign_for_outcome(d, p, now)
        if outcome is not None:
            self.sign_for_decided += 1
            self.signed_in_time += outcome
        return counted

    def add_order_sign_for(self, in_time: bool) -> None:
        self.orders_sign_for_decided += 1
        self.orders_signed_in_time += in_time

    def add_ticket(self, t: TicketRow, p: Period, now: datetime) -> bool:
        touched = False
        if ticket_received(t, p):
            touched = True
            self.received += 1
            self.merged += t.merged
            self.answered_at_intake += ticket_answered_at_intake(t, p)
            if not t.merged and t.rounds >= 1:
                self.dispatched += 1
                self.returned += t.returns_requested >= 1
                self.rounds += t.rounds
        if (contacted := contact_outcome(t, p, now)) is not None:
            touched = True
            self.contact_decided += 1
            self.contacted_in_time += contacted
        if ticket_due(t, p, now):
            touched = True
            self.due += 1
            self.on_time += ticket_on_time(t, p, now)
            self.extended += ticket_extended(t, p, now)
        if unit_due(t, p, now):
            touched = True
            self.unit_due += 1
            self.unit_on_time += unit_on_time(t, p, now)
        if ticket_closed(t, p):
            touched = True
            self.closed += 1
            self.reopened += t.reopen_count >= 1
            self.closed_followed_up += t.follow_ups >= 1
            if t.replies >= 1:
                self.closed_replied += 1
                self.unit_resolved += t.unit_claims_resolved is True
        if (followed := follow_up_outcome(t, p, now)) is not None:
            touched = True
            self.follow_up_due += 1
            self.followed_up_in_time += followed
        if ticket_followed_up(t, p):
            touched = True
            self.followed_up += 1
            if t.satisfaction is not None:
                self.answered += 1
                self.content += is_content(t)
                self.citizen_resolved += t.citizen_resolved is True
        if (waited := waited_microseconds(t, p)) is not None:
            touched = True
            self.waits += 1
            self.wait_total += waited
            self.wait_max = waited if self.wait_max is None else max(self.wait_max, waited)
        return touched

    def indicators(self) -> HotlineIndicators:
        return HotlineIndicators(
            # dispatches: counted dispatches (lead or assisting, every round) in P.
            dispatches=self.dispatches,
            # 及时签收率 = orders whose every counted lead dispatch was signed in time ÷ orders
            # with a counted lead dispatch (sign_for_outcome; per 工单, S5).
            sign_for_rate=rate(self.orders_signed_in_time, self.orders_sign_for_decided),
            # The units' own: dispatches signed in time ÷ counted dispatches, assisting included.
            unit_sign_for_rate=rate(self.signed_in_time, self.sign_for_decided),
            # received: tickets received in P, merged children included; merged: of those, the
            # ones merged into another (as of now). 重复来电率 = merged ÷ received.
            received=self.received,
            merged=self.merged,
            repeat_rate=rate(self.merged, self.received),
            # 首呼解决率 / 直接答复率 = answered at intake ÷ received not merged (S7, Hangzhou).
            answered_at_intake=self.answered_at_intake,
            first_call_rate=rate(self.answered_at_intake, self.received - self.merged),
            # dispatched: received in P, not merged, with ≥ 1 lead dispatch (rounds ≥ 1).
            # 退单率 = those with ≥ 1 退单 request (approved or not) ÷ dispatched; rounds per
            # ticket = sum(rounds) ÷ dispatched, to 2 decimals.
            dispatched=self.dispatched,
            return_rate=rate(self.returned, self.dispatched),
            rounds_per_ticket=rate(self.rounds, self.dispatched, places=2),
            # 响应率 / 先行联系率 = contacted by contact_due ÷ orders whose contact deadline fell
            # in P and is decided (contact_outcome; Beijing, Shanghai, S8; the limit is policy).
            contact_rate=rate(self.contacted_in_time, self.contact_decided),
            # 按时办结率 = on_time ÷ due, on the order's clock (ticket_due, ticket_on_time).
            due=self.due,
            on_time=self.on_time,
            on_time_rate=rate(self.on_time, self.due),
            # 延期率 (12345) = due orders with an approved extension ÷ due.
            extended=self.extended,
            extension_rate=rate(self.extended, self.due),
            # The units' 按时办结率 = rounds answered in time ÷ rounds due, on the unit's clock.
            unit_due=self.unit_due,
            unit_on_time=self.unit_on_time,
            unit_on_time_rate=rate(self.unit_on_time, self.unit_due),
            # closed: ticket_closed; reopened: of those, reopened (重办) at least once.
            # 回访率 = closed with ≥ 1 recorded 回访 (reachable or not) ÷ closed.
            closed=self.closed,
            reopened=self.reopened,
            follow_up_rate=rate(self.closed_followed_up, self.closed),
            # 按时回访率 = closures followed up by the day after ÷ closures whose 回访 fell due
            # in P (follow_up_outcome; S4).
            follow_up_due=self.follow_up_due,
            follow_up_on_time_rate=rate(self.followed_up_in_time, self.follow_up_due),
            # followed_up: ticket_followed_up; unreachable: of those, never reached (no answer);
            # 满意率 = (满意 + 基本满意 where the centre's policy counts it) ÷ answered
            # (followed_up − unreachable); 解决率 (citizen) = citizen_resolved true ÷ answered.
            followed_up=self.followed_up,
            unreachable=self.followed_up - self.answered,
            satisfaction_rate=rate(self.content, self.answered),
            citizen_resolved_rate=rate(self.citizen_resolved, self.answered),
            # 解决率 (unit-claimed) = closed tickets with ≥ 1 reply whose last reply claims it
            # resolved ÷ closed tickets with ≥ 1 reply.
            unit_resolved_rate=rate(self.unit_resolved, self.closed_replied),
            # total wait: mean and max over the orders closed in P (waited_microseconds).
            total_wait=wait_days(self.wait_total, self.wait_max, self.waits),
        )


def wait_days(total: int, longest: int | None, n: int) -> WaitDays:
    """Mean and max of `n` waits summing to `total` microseconds, the longest `longest`, in days
    (86 400 s), rounded half up to 2 decimals."""
    if not n or longest is None:
        return WaitDays(mean=None, max=None, n=0)
    return WaitDays(
        mean=round_half_up(Fraction(total, n * DAY_MICROSECONDS), 2),
        max=round_half_up(Fraction(longest, DAY_MICROSECONDS), 2),
        n=n,
    )


def _orders_signed_for(
    dispatches: Iterable[DispatchRow], p: Period, now: datetime
) -> dict[tuple[str | None, UUID], bool]:
    """Each order's 签收 outcome over its counted lead dispatches: under (None, ticket) for the
    total, and under (unit, ticket) for each lead unit's group."""
    outcomes: dict[tuple[str | None, UUID], bool] = {}
    for d in dispatches:
        if is_lead(d) and (outcome := sign_for_outcome(d, p, now)) is not None:
            for key in ((None, d.ticket_id), (d.unit, d.ticket_id)):
                outcomes[key] = outcomes.get(key, True) and outcome
    return outcomes


def tally_hotline(
    dispatches: list[DispatchRow],
    tickets: list[TicketRow],
    p: Period,
    now: datetime,
    *,
    grouped: bool,
) -> tuple[HotlineTally, dict[str | None, HotlineTally]]:
    """The total and, when `grouped` (by department), each unit's tally."""
    total, groups = HotlineTally(), defaultdict[str | None, HotlineTally](HotlineTally)
    for d in dispatches:
        if total.add_dispatch(d, p, now) and grouped:
            groups[d.unit].add_dispatch(d, p, now)
    for (unit, _), in_time in _orders_signed_for(dispatches, p, now).items():
        if unit is None:
            total.add_order_sign_for(in_time)
        elif grouped:
            groups[unit].add_order_sign_for(in_time)
    for t in tickets:
        if total.add_ticket(t, p, now) and grouped:
            groups[t.lead_unit].add_ticket(t, p, now)
    return total, dict(groups)
