"""12345 work-order indicators (domain brief §1.6, §2): the rows they read and what each row counts
as, pure arithmetic over the "pushback" view's `view_hotline_tickets` and `view_hotline_dispatches`
rows (migrations/0006, 0016). The tally and the served figures: `hotline_tally`.

Conventions as for timeliness (`period`, `rates`); only deadlines already passed (≤ now) make
anything due. **Merged children.** A ticket merged into another (并单: `merged_into_case` set,
status `merged`) is left out of every hotline denominator and numerator, its dispatches included;
it counts only in `received`, `merged` and 重复来电率.

**Two clocks.** The order's (`order_due`: from its first dispatch, kept through every 退单 and
改派, extensions included, started again by a 重办) is what the citizen was promised: 按时办结率
and 延期率 count by it, so an order waiting for 改派 stays due (应办结). The unit's
(`reply_due`: its own round, from its lead dispatch) is what a unit is assessed on
(`unit_on_time_rate`): a unit given the order in a later round answers for its own round only,
and its reply stops its clock (the hotline's review is the hotline's time).

**Groups.** Only by department: a dispatch is the unit's own (its 签收 is the unit's); a ticket
belongs to its current round's lead unit (for a closed ticket, the unit whose reply closed it); a
ticket no unit holds (answered at intake, redirected, awaiting dispatch) has key null. By window
or matter the hotline section is null.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import msgspec

from ledger.domain.hotline.records import Satisfaction, TicketClosure, TicketStatus
from ledger.projections.indicators.period import Period

_REDIRECTED = TicketClosure.REDIRECTED.value
_REPLIED = TicketClosure.REPLIED.value
_AT_INTAKE = TicketClosure.ANSWERED_AT_INTAKE.value
_SATISFIED = Satisfaction.SATISFIED.value
_BASIC = Satisfaction.BASICALLY_SATISFIED.value
_MERGED = TicketStatus.MERGED.value
_LEAD = "lead"
MICROSECOND = timedelta(microseconds=1)


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
    """The columns of one `view_hotline_tickets` row that the indicators read, and the rule of
    its centre's policy that 满意率 applies (`basic_counts`)."""

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
    order_due: datetime | None = None
    extensions_approved: int = 0
    replied_at: datetime | None = None
    contact_due: datetime | None = None
    first_contact_at: datetime | None = None
    follow_up_due: datetime | None = None
    closure_followed_up_at: datetime | None = None
    basic_counts: bool = True
    """Whether 基本满意 counts as satisfied where the order was taken (policy
    `hotline.satisfaction.includes_basic`)."""

    @property
    def merged(self) -> bool:
        return self.merged_into_case is not None or self.status == _MERGED


# --- what a dispatch counts as ------------------------------------------------------------------


def sign_for_outcome(d: DispatchRow, p: Period, now: datetime) -> bool | None:
    """签收 of one dispatch: True signed in time, False late, None not counted.

    Counted: dispatches with dispatched_at in P and a known sign_for_due, whose ticket was not
    merged, once the sign-for is decided:
    - signed (signed_for_at set): in time when signed_for_at ≤ sign_for_due, else late;
    - unsigned with sign_for_due ≤ now: late, unless the dispatch ended unsigned by its due
      (returned_at ≤ sign_for_due: an approved 退单 ended the round; or the ticket's current
      closure ≤ sign_for_due: nothing was left to sign for), which is not counted;
    - unsigned before its due: not decided yet, not counted.

    及时签收率 (`sign_for_rate`) counts orders: an order counts once if any of its lead
    dispatches in P is counted, in time when every counted one was (Lianyungang's "7件工单中1件
    超时签收", domain brief §1.6, S5, counts 工单, and the lead unit signs for the order). The
    units' own view (`unit_sign_for_rate`) counts every counted dispatch, assisting ones too."""
    if d.merged or d.sign_for_due is None or not p.contains(d.dispatched_at):
        return None
    due = d.sign_for_due
    if d.signed_for_at is not None:
        return d.signed_for_at <= due
    ended = [at for at in (d.returned_at, d.ticket_closed_at) if at is not None]
    if ended and min(ended) <= due:
        return None
    return False if due <= now else None


def is_lead(d: DispatchRow) -> bool:
    return d.role == _LEAD


# --- what a ticket counts as --------------------------------------------------------------------


def ticket_received(t: TicketRow, p: Period) -> bool:
    """received: received_at in P (merged children included)."""
    return p.contains(t.received_at)


def ticket_answered_at_intake(t: TicketRow, p: Period) -> bool:
    """首呼解决率's numerator: received in P, not merged, closed as answered at intake (直接答复
    by the agent); its denominator is the received orders not merged."""
    return ticket_received(t, p) and not t.merged and t.closure == _AT_INTAKE


def contact_outcome(t: TicketRow, p: Period, now: datetime) -> bool | None:
    """响应率 / 先行联系率: True when a unit first contacted the applicant by contact_due (the
    policy's `contact_within` from the order's first dispatch), False when it did not and the
    deadline has passed, None when not counted: merged, contact_due not in P (or unknown), or
    not yet contacted before its deadline."""
    due = t.contact_due
    if t.merged or due is None or not p.contains(due):
        return None
    if t.first_contact_at is not None and t.first_contact_at <= due:
        return True
    return False if due <= now else None


def ticket_due(t: TicketRow, p: Period, now: datetime) -> bool:
    """应办结: not merged, order_due (the order's clock: from its first dispatch, through every
    退单 round, extensions included; a 重办's new clock) in P and ≤ now. An order waiting for
    改派 stays due."""
    due = t.order_due
    return not t.merged and due is not None and p.contains(due) and due <= now


def ticket_on_time(t: TicketRow, p: Period, now: datetime) -> bool:
    """按时办结: due, closed now (any closure) and closed_at ≤ order_due. A reopened ticket not
    closed again is not; one closed again counts by its latest closure against its new clock."""
    return (
        ticket_due(t, p, now)
        and t.closed_at is not None
        and t.order_due is not None
        and t.closed_at <= t.order_due
    )


def ticket_extended(t: TicketRow, p: Period, now: datetime) -> bool:
    """延期率's numerator: due, with at least one approved extension; its denominator is due."""
    return ticket_due(t, p, now) and t.extensions_approved >= 1


def unit_due(t: TicketRow, p: Period, now: datetime) -> bool:
    """The lead unit's round is due: not merged, reply_due (its own clock) in P and ≤ now."""
    due = t.reply_due
    return not t.merged and due is not None and p.contains(due) and due <= now


def unit_on_time(t: TicketRow, p: Period, now: datetime) -> bool:
    """The unit answered in time: its round due, the order closed by its reply (closure
    `replied`) and that reply (replied_at, the last) ≤ reply_due."""
    return (
        unit_due(t, p, now)
        and t.closure == _REPLIED
        and t.replied_at is not None
        and t.reply_due is not None
        and t.replied_at <= t.reply_due
    )


def ticket_closed(t: TicketRow, p: Period) -> bool:
    """closed (eligible for 回访): not merged, first_closed_at in P (a later 重办 does not move
    it), closure not `redirected` (sent to 110 / a legal channel: no 回访). A reopened ticket
    (closure null now) was closed as `replied`, so it stays eligible."""
    return not t.merged and p.contains(t.first_closed_at) and t.closure != _REDIRECTED


def follow_up_outcome(t: TicketRow, p: Period, now: datetime) -> bool | None:
    """按时回访: True when the current closure's first 回访 (reachable or not: the call was made)
    came by follow_up_due (the day after closure, policy `follow_up_within`), False when none
    did and the deadline has passed, None when not counted: merged, follow_up_due not in P (or
    none: redirected, reopened and not closed again), or not yet due."""
    due = t.follow_up_due
    if t.merged or due is None or not p.contains(due):
        return None
    if t.closure_followed_up_at is not None and t.closure_followed_up_at <= due:
        return True
    return False if due <= now else None


def ticket_followed_up(t: TicketRow, p: Period) -> bool:
    """followed up in P: not merged, its last 回访 (followed_up_at) in P; one answer per ticket,
    its latest reachable one (satisfaction, citizen_resolved)."""
    return not t.merged and p.contains(t.followed_up_at)


def is_content(t: TicketRow) -> bool:
    """满意率's numerator: the answer is 满意, or 基本满意 where the centre's policy counts it
    (`basic_counts`; the national default does, as this ledger's choice: policies/time-limits/
    cn.toml, [hotline] satisfaction)."""
    return t.satisfaction == _SATISFIED or (t.satisfaction == _BASIC and t.basic_counts)


def waited_microseconds(t: TicketRow, p: Period) -> int | None:
    """Total wait of an order closed in P: not merged, dispatched at least once (rounds ≥ 1),
    its current closure (closed_at) in P; from the call (received_at) to that closure, every
    退单 round and 重办 counted, in wall-clock microseconds (exact, as the times are stored).
    None when not counted."""
    if t.merged or t.rounds < 1 or t.closed_at is None or not p.contains(t.closed_at):
        return None
    return (t.closed_at - t.received_at) // MICROSECOND
