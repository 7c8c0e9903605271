"""The 12345 deadlines, as the centre's policy sets them and the events freeze them.

The sign-for limit runs by urgency (1 working day; 15 / 30 wall-clock minutes), the reply limit by
category (emergencies the same day). The reply clock starts at the lead dispatch, not at the
sign-for, so a unit that does not sign stops no time; an extension moves the clock of the round it
was asked in, and the order's own clock (`HotlineTicket.order_clock`) by as many working days
when it was asked before the order's deadline.
The order's other deadlines: the first contact (响应率) from its first dispatch, 退单 within the
window of the dispatch (longer for a complex order), 回访 the day after closure, and 通报批评 no
sooner than `criticise_after` from the round's first 催办通知书.
"""

from __future__ import annotations

from datetime import datetime

from ledger.domain import clock, policy_clocks
from ledger.domain.clock import Clock, ClockUpdate
from ledger.domain.hotline.records import (
    HotlineTicket,
    HotlineUrgency,
    TicketDispatch,
    TicketExtension,
)
from ledger.domain.policy import LimitRule, Timing
from ledger.domain.values import TimeLimit


def sign_for_due(timing: Timing, ticket: HotlineTicket, dispatched_at: datetime) -> datetime:
    """When a unit dispatched the order `dispatched_at` must have signed for it."""
    rule = timing.policy.hotline.sign_for[ticket.urgency]
    return policy_clocks.due_at(timing, rule.limit, dispatched_at)


def return_window(timing: Timing, lead: TicketDispatch) -> tuple[datetime, LimitRule]:
    """Until when the lead unit of `lead` may 退单, and the rule that says so: a dispatch the
    hotline marked complex has the longer window."""
    hotline = timing.policy.hotline
    rule = hotline.return_within_complex if lead.complex else hotline.return_within
    return policy_clocks.due_at(timing, rule.limit, lead.dispatched_at), rule


def contact_due(timing: Timing, first_dispatched_at: datetime) -> datetime:
    """When a unit must have first contacted the applicant (响应率 / 先行联系率)."""
    return policy_clocks.due_at(
        timing, timing.policy.hotline.contact_within.limit, first_dispatched_at
    )


def follow_up_due(timing: Timing, closed_at: datetime) -> datetime:
    """When the 回访 of a closure is due: by phone, the day after it."""
    return policy_clocks.due_at(timing, timing.policy.hotline.follow_up_within.limit, closed_at)


def criticism_from(timing: Timing, noticed_at: datetime) -> tuple[datetime, LimitRule]:
    """After when an order still overdue may be circulated (通报批评), counted from the round's
    first 催办通知书, and the rule that says so."""
    rule = timing.policy.hotline.criticise_after
    return policy_clocks.due_at(timing, rule.limit, noticed_at), rule


def reply_clock(timing: Timing, ticket: HotlineTicket, at: datetime) -> Clock:
    """The lead unit's reply clock, started `at` (a lead dispatch or a 重办)."""
    hotline = timing.policy.hotline
    if ticket.urgency is not HotlineUrgency.NORMAL:
        rule = hotline.reply_emergency
    else:
        rule = hotline.reply[ticket.category]
    return policy_clocks.started(timing, rule, at)


def pending_extension(ticket: HotlineTicket) -> TicketExtension | None:
    """The extension awaiting a decision on the round's reply clock, if any.

    One asked before the clock (re)started, in a round that ended with an approved 退单 or before
    a 重办, lapsed with that clock: it neither blocks a new request nor lengthens the new clock.
    So did one the unit's reply came after: the reply stopped the clock it asked to lengthen, so
    approving it then would move a deadline already met or missed.
    """
    last = ticket.extensions[-1] if ticket.extensions else None
    if last is None or last.decision is not None:
        return None
    lead = ticket.lead
    started = ticket.reply_clock.started_at if ticket.reply_clock else None
    started = started or (lead.dispatched_at if lead else None)
    if started is None or last.requested_at < started:
        return None
    if any(r.replied_at >= last.requested_at for r in ticket.replies):
        return None
    return last


def extended(timing: Timing, running: Clock, extension: TicketExtension) -> ClockUpdate:
    """A clock (the round's or the order's) lengthened by an approved extension's working days."""
    longer = TimeLimit(value=running.limit.value + extension.working_days, unit=running.limit.unit)
    return clock.moved(running, timing.calendar, (), longer)
