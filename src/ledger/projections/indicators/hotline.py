"""12345 work-order indicators (domain brief §1.6, §2): pure arithmetic over the "pushback"
view's `view_hotline_tickets` and `view_hotline_dispatches` rows (migrations/0006).

Conventions as for timeliness (`period`, `rates`); only deadlines already passed (≤ now) make
anything due. **Merged children.** A ticket merged into another (并单: `merged_into_case` set,
status `merged`) is left out of every hotline denominator and numerator, its dispatches included;
it counts only in `received`, `merged` and 重复来电率.

**Groups.** Only by department: a dispatch is the unit's own (its 签收 is the unit's); a ticket
belongs to its current round's lead unit (for a closed ticket, the unit whose reply closed it); a
ticket no unit holds (answered at intake, redirected, awaiting dispatch) has key null. By window
or matter the hotline section is null.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import msgspec

from ledger.domain.hotline.records import Satisfaction, TicketClosure, TicketStatus
from ledger.projections.indicators.period import Period
from ledger.projections.indicators.rates import Rate, rate

_REDIRECTED = TicketClosure.REDIRECTED.value
_CONTENT = frozenset({Satisfaction.SATISFIED.value, Satisfaction.BASICALLY_SATISFIED.value})


class DispatchRow(msgspec.Struct, frozen=True, kw_only=True):
    """One `view_hotline_dispatches` row, with its ticket's merge and current closure."""

    ticket_id: UUID
    unit: str
    role: str
    dispatched_at: datetime
    sign_for_due: datetime | None
    signed_for_at: datetime | None
    returned_at: datetime | None
    merged: bool
    """The ticket was merged into another (并单)."""
    ticket_closed_at: datetime | None
    """The ticket's current closure (null while open or reopened)."""


class TicketRow(msgspec.Struct, frozen=True, kw_only=True):
    """The columns of one `view_hotline_tickets` row that the indicators read."""

    ticket_id: UUID
    lead_unit: str | None
    status: str
    received_at: datetime
    rounds: int
    returns_requested: int
    reply_due: datetime | None
    replies: int
    unit_claims_resolved: bool | None
    closure: str | None
    closed_at: datetime | None
    first_closed_at: datetime | None
    follow_ups: int
    followed_up_at: datetime | None
    citizen_resolved: bool | None
    satisfaction: str | None
    reopen_count: int
    merged_into_case: UUID | None

    @property
    def merged(self) -> bool:
        return self.merged_into_case is not None or self.status == TicketStatus.MERGED.value


class HotlineIndicators(msgspec.Struct, frozen=True, kw_only=True):
    dispatches: int
    sign_for_rate: Rate
    received: int
    merged: int
    repeat_rate: Rate
    dispatched: int
    return_rate: Rate
    rounds_per_ticket: Rate
    due: int
    on_time: int
    on_time_rate: Rate
    closed: int
    reopened: int
    follow_up_rate: Rate
    followed_up: int
    unreachable: int
    satisfaction_rate: Rate
    citizen_resolved_rate: Rate
    unit_resolved_rate: Rate


def sign_for_outcome(d: DispatchRow, p: Period, now: datetime) -> bool | None:
    """及时签收: True signed in time, False late, None not counted.

    Counted: dispatches (lead or assisting, every round) with dispatched_at in P and a known
    sign_for_due, whose ticket was not merged, once the sign-for is decided:
    - signed (signed_for_at set): in time when signed_for_at ≤ sign_for_due, else late;
    - unsigned with sign_for_due ≤ now: late, unless the dispatch ended unsigned by its due
      (returned_at ≤ sign_for_due: an approved 退单 ended the round; or the ticket's current
      closure ≤ sign_for_due: nothing was left to sign for), which is not counted;
    - unsigned before its due: not decided yet, not counted."""
    if d.merged or d.sign_for_due is None or not p.contains(d.dispatched_at):
        return None
    due = d.sign_for_due
    if d.signed_for_at is not None:
        return d.signed_for_at <= due
    ended = [at for at in (d.returned_at, d.ticket_closed_at) if at is not None]
    if ended and min(ended) <= due:
        return None
    return False if due <= now else None


def ticket_due(t: TicketRow, p: Period, now: datetime) -> bool:
    """应办结: not merged, reply_due (extensions included; a reopened ticket's new clock) in P
    and ≤ now."""
    due = t.reply_due
    return not t.merged and due is not None and p.contains(due) and due <= now


def ticket_on_time(t: TicketRow, p: Period, now: datetime) -> bool:
    """按时办结: due, closed now (any closure) and closed_at ≤ reply_due. A reopened ticket not
    closed again is not; one closed again counts by its latest closure against its new clock."""
    return (
        ticket_due(t, p, now)
        and t.closed_at is not None
        and t.reply_due is not None
        and t.closed_at <= t.reply_due
    )


def ticket_closed(t: TicketRow, p: Period) -> bool:
    """closed (eligible for 回访): not merged, first_closed_at in P (a later 重办 does not move
    it), closure not `redirected` (sent to 110 / a legal channel: no 回访). A reopened ticket
    (closure null now) was closed as `replied`, so it stays eligible."""
    return not t.merged and p.contains(t.first_closed_at) and t.closure != _REDIRECTED


def ticket_followed_up(t: TicketRow, p: Period) -> bool:
    """followed up in P: not merged, its last 回访 (followed_up_at) in P; one answer per ticket,
    its latest reachable one (satisfaction, citizen_resolved)."""
    return not t.merged and p.contains(t.followed_up_at)


@dataclass
class HotlineTally:
    dispatches: int = 0
    signed_in_time: int = 0
    sign_for_decided: int = 0
    received: int = 0
    merged: int = 0
    dispatched: int = 0
    returned: int = 0
    rounds: int = 0
    due: int = 0
    on_time: int = 0
    closed: int = 0
    reopened: int = 0
    closed_followed_up: int = 0
    closed_replied: int = 0
    unit_resolved: int = 0
    followed_up: int = 0
    answered: int = 0
    content: int = 0
    citizen_resolved: int = 0

    def add_dispatch(self, d: DispatchRow, p: Period, now: datetime) -> bool:
        counted = not d.merged and d.sign_for_due is not None and p.contains(d.dispatched_at)
        self.dispatches += counted
        outcome = sign_for_outcome(d, p, now)
        if outcome is not None:
            self.sign_for_decided += 1
            self.signed_in_time += outcome
        return counted

    def add_ticket(self, t: TicketRow, p: Period, now: datetime) -> bool:
        touched = False
        if p.contains(t.received_at):
            touched = True
            self.received += 1
            self.merged += t.merged
            if not t.merged and t.rounds >= 1:
                self.dispatched += 1
                self.returned += t.returns_requested >= 1
                self.rounds += t.rounds
        if ticket_due(t, p, now):
            touched = True
            self.due += 1
            self.on_time += ticket_on_time(t, p, now)
        if ticket_closed(t, p):
            touched = True
            self.closed += 1
            self.reopened += t.reopen_count >= 1
            self.closed_followed_up += t.follow_ups >= 1
            if t.replies >= 1:
                self.closed_replied += 1
                self.unit_resolved += t.unit_claims_resolved is True
        if ticket_followed_up(t, p):
            touched = True
            self.followed_up += 1
            if t.satisfaction is not None:
                self.answered += 1
                self.content += t.satisfaction in _CONTENT
                self.citizen_resolved += t.citizen_resolved is True
        return touched

    def indicators(self) -> HotlineIndicators:
        return HotlineIndicators(
            dispatches=self.dispatches,
            # 及时签收率: signed in time ÷ sign-for decided (see sign_for_outcome).
            sign_for_rate=rate(self.signed_in_time, self.sign_for_decided),
            # received: tickets received in P, merged children included; merged: of those, the
            # ones merged into another (as of now). 重复来电率 = merged ÷ received.
            received=self.received,
            merged=self.merged,
            repeat_rate=rate(self.merged, self.received),
            # dispatched: received in P, not merged, with ≥ 1 lead dispatch (rounds ≥ 1).
            # 退单率 = those with ≥ 1 退单 request (approved or not) ÷ dispatched; rounds per
            # ticket = sum(rounds) ÷ dispatched, to 2 decimals.
            dispatched=self.dispatched,
            return_rate=rate(self.returned, self.dispatched),
            rounds_per_ticket=rate(self.rounds, self.dispatched, places=2),
            # 按时办结率 = on_time ÷ due (ticket_due, ticket_on_time).
            due=self.due,
            on_time=self.on_time,
            on_time_rate=rate(self.on_time, self.due),
            # closed: ticket_closed; reopened: of those, reopened (重办) at least once.
            # 回访率 = closed with ≥ 1 recorded 回访 (reachable or not) ÷ closed.
            closed=self.closed,
            reopened=self.reopened,
            follow_up_rate=rate(self.closed_followed_up, self.closed),
            # followed_up: ticket_followed_up; unreachable: of those, never reached (no answer);
            # 满意率 = (satisfied + basically_satisfied) ÷ answered (followed_up − unreachable);
            # 解决率 (citizen) = citizen_resolved true ÷ answered.
            followed_up=self.followed_up,
            unreachable=self.followed_up - self.answered,
            satisfaction_rate=rate(self.content, self.answered),
            citizen_resolved_rate=rate(self.citizen_resolved, self.answered),
            # 解决率 (unit-claimed) = closed tickets with ≥ 1 reply whose last reply claims it
            # resolved ÷ closed tickets with ≥ 1 reply.
            unit_resolved_rate=rate(self.unit_resolved, self.closed_replied),
        )


def tally_hotline(
    dispatches: list[DispatchRow],
    tickets: list[TicketRow],
    p: Period,
    now: datetime,
    *,
    grouped: bool,
) -> tuple[HotlineTally, dict[str | None, HotlineTally]]:
    """The total and, when `grouped` (by department), each unit's tally."""
    total, groups = HotlineTally(), dict[str | None, HotlineTally]()
    for d in dispatches:
        if total.add_dispatch(d, p, now) and grouped:
            groups.setdefault(d.unit, HotlineTally()).add_dispatch(d, p, now)
    for t in tickets:
        if total.add_ticket(t, p, now) and grouped:
            groups.setdefault(t.lead_unit, HotlineTally()).add_ticket(t, p, now)
    return total, groups
