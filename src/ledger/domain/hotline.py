"""12345 work orders (工单) on a case: intake, dispatch rounds, sign-for, 退单, handling, reply
review, 回访, 重办, 并单 and 督办 (domain brief §1).

Clocks are frozen by the events that start them, from the centre's policy: the sign-for limit by
urgency (1 working day; 15 / 30 wall-clock minutes), the reply limit by category (emergencies
the same day). The reply clock starts at the lead dispatch, not at the sign-for, so a unit that
does not sign stops no time; every round is kept, so the citizen's whole wait stays visible.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from ledger.domain import clock
from ledger.domain.errors import RuleViolation
from ledger.domain.events import CaseCommands, CaseEvent
from ledger.domain.policy import LimitRule, Timing
from ledger.domain.values import (
    Actor,
    CaseState,
    Clock,
    ClockUpdate,
    Decision,
    DissatisfactionCause,
    FollowUp,
    HotlineCategory,
    HotlineTicket,
    HotlineUrgency,
    LimitUnit,
    ReturnRequest,
    ReviewResult,
    Role,
    Satisfaction,
    SupervisionLevel,
    TicketClosure,
    TicketDispatch,
    TicketExtension,
    TicketReply,
    TicketStatus,
    TimeLimit,
    UnitRole,
)

DESIGNATION_ALLOWED_AFTER = 2
DESIGNATION_REQUIRED_AFTER = 3
"""指定承办: once two rounds ended in a 退单 the hotline may designate the unit, and after three
dispatches it must (the brief's "after 3 dispatches"; the issue's story designates the third);
a designated unit cannot return the order."""


class TicketEvent(CaseEvent):
    ticket_id: UUID

    def ticket(self, state: CaseState) -> HotlineTicket:
        found = state.ticket(self.ticket_id)
        assert found is not None, "commands check the ticket exists"
        return found


def _close(ticket: HotlineTicket, closure: TicketClosure, at: datetime) -> None:
    ticket.status = TicketStatus.CLOSED
    ticket.closure = closure
    ticket.closed_at = at
    ticket.first_closed_at = ticket.first_closed_at or at


class HotlineCommands(CaseCommands):
    if TYPE_CHECKING:
        id: UUID

    class HotlineEscalationReceived(CaseEvent):
        ticket_id: UUID
        ticket_no: str
        category: HotlineCategory
        urgency: HotlineUrgency
        confidential: bool
        summary: str

        def fold(self, state: CaseState) -> None:
            state.tickets.append(
                HotlineTicket(
                    ticket_id=self.ticket_id,
                    ticket_no=self.ticket_no,
                    category=self.category,
                    urgency=self.urgency,
                    confidential=self.confidential,
                    summary=self.summary,
                    received_by=self.actor.id,
                    received_at=self.occurred_at,
                )
            )

    class HotlineDispatched(TicketEvent):
        unit: str
        role: UnitRole
        designated: bool
        sign_for_due: datetime | None
        reply_clock: Clock | None  # a lead dispatch starts the unit's reply clock

        def fold(self, state: CaseState) -> None:
            ticket = self.ticket(state)
            ticket.dispatches.append(
                TicketDispatch(
                    unit=self.unit,
                    role=self.role,
                    designated=self.designated,
                    dispatched_by=self.actor.id,
                    dispatched_at=self.occurred_at,
                    sign_for_due=self.sign_for_due,
                )
            )
            if self.role is UnitRole.LEAD:
                ticket.status = TicketStatus.DISPATCHED
                ticket.reply_clock = clock.copied(self.reply_clock)

    class HotlineSignedFor(TicketEvent):
        unit: str

        def fold(self, state: CaseState) -> None:
            ticket = self.ticket(state)
            dispatch = ticket.dispatch_to(self.unit)
            assert dispatch is not None
            dispatch.signed_for_at = self.occurred_at
            dispatch.signed_for_by = self.actor.id
            if dispatch.role is UnitRole.LEAD:
                ticket.status = TicketStatus.IN_PROGRESS

    class HotlineReturnRequested(TicketEvent):
        reason: str
        legal_basis: str

        def fold(self, state: CaseState) -> None:
            ticket = self.ticket(state)
            ticket.returns.append(
                ReturnRequest(
                    round=ticket.rounds,
                    unit=self.actor.unit or "",
                    reason=self.reason,
                    legal_basis=self.legal_basis,
                    requested_by=self.actor.id,
                    requested_at=self.occurred_at,
                )
            )
            ticket.status = TicketStatus.RETURN_REQUESTED

    class HotlineReturnDecided(TicketEvent):
        """An approved 退单 ends the round (lead and assisting units): the order waits for 改派."""

        decision: Decision
        opinion: str

        def fold(self, state: CaseState) -> None:
            ticket = self.ticket(state)
            request = ticket.returns[-1]
            request.decision = self.decision
            request.decided_by = self.actor.id
            request.decided_at = self.occurred_at
            request.opinion = self.opinion
            lead = ticket.lead
            assert lead is not None
            if self.decision is Decision.APPROVE:
                for dispatch in ticket.dispatches:
                    dispatch.returned_at = dispatch.returned_at or self.occurred_at
                ticket.status = TicketStatus.PENDING_DISPATCH
                ticket.reply_clock = None
            else:
                ticket.status = (
                    TicketStatus.IN_PROGRESS if lead.signed_for_at else TicketStatus.DISPATCHED
                )

    class HotlineApplicantContacted(TicketEvent):
        method: str
        note: str | None = None

        def fold(self, state: CaseState) -> None:
            ticket = self.ticket(state)
            ticket.contacts += 1
            ticket.first_contact_at = ticket.first_contact_at or self.occurred_at

    class HotlineExtensionRequested(TicketEvent):
        working_days: int
        reason: str

        def fold(self, state: CaseState) -> None:
            self.ticket(state).extensions.append(
                TicketExtension(
                    working_days=self.working_days,
                    reason=self.reason,
                    requested_by=self.actor.id,
                    requested_at=self.occurred_at,
                )
            )

    class HotlineExtensionDecided(TicketEvent):
        decision: Decision
        opinion: str
        clock: ClockUpdate | None  # an approved extension lengthens the reply limit

        def fold(self, state: CaseState) -> None:
            ticket = self.ticket(state)
            extension = ticket.extensions[-1]
            extension.decision = self.decision
            extension.decided_by = self.actor.id
            extension.decided_at = self.occurred_at
            clock.move(ticket.reply_clock, self.clock)

    class HotlineReplied(TicketEvent):
        text: str
        unit_claims_resolved: bool

        def fold(self, state: CaseState) -> None:
            ticket = self.ticket(state)
            ticket.replies.append(
                TicketReply(
                    text=self.text,
                    unit_claims_resolved=self.unit_claims_resolved,
                    signed_by=self.actor.id,
                    replied_at=self.occurred_at,
                )
            )
            ticket.status = TicketStatus.REPLIED

    class HotlineReplyReviewed(TicketEvent):
        """审核报结: a pass closes the order; rework sends it back to the lead unit."""

        result: ReviewResult
        opinion: str

        def fold(self, state: CaseState) -> None:
            ticket = self.ticket(state)
            reply = ticket.replies[-1]
            reply.review = self.result
            reply.reviewed_by = self.actor.id
            reply.reviewed_at = self.occurred_at
            reply.review_opinion = self.opinion
            if self.result is ReviewResult.PASS:
                _close(ticket, TicketClosure.REPLIED, self.occurred_at)
            else:
                ticket.status = TicketStatus.IN_PROGRESS

    class HotlineClosed(TicketEvent):
        """Closed by the hotline without a unit's reply: answered at intake, or redirected."""

        closure: TicketClosure
        note: str

        def fold(self, state: CaseState) -> None:
            _close(self.ticket(state), self.closure, self.occurred_at)

    class HotlineFollowedUp(TicketEvent):
        reachable: bool
        resolved: bool | None
        satisfaction: Satisfaction | None
        cause: DissatisfactionCause | None
        note: str | None = None

        def fold(self, state: CaseState) -> None:
            self.ticket(state).follow_ups.append(
                FollowUp(
                    reachable=self.reachable,
                    resolved=self.resolved,
                    satisfaction=self.satisfaction,
                    cause=self.cause,
                    by=self.actor.id,
                    at=self.occurred_at,
                    note=self.note,
                )
            )

    class HotlineReopened(TicketEvent):
        """重办: the lead unit handles it again, on a new reply clock."""

        reason: str
        reply_clock: Clock | None

        def fold(self, state: CaseState) -> None:
            ticket = self.ticket(state)
            ticket.status = TicketStatus.IN_PROGRESS
            ticket.closure = None
            ticket.closed_at = None
            ticket.reopen_count += 1
            ticket.reply_clock = clock.copied(self.reply_clock)

    class HotlineMerged(TicketEvent):
        """并单: a duplicate is linked to its master order, never deleted."""

        master_case_id: UUID
        master_ticket_no: str

        def fold(self, state: CaseState) -> None:
            ticket = self.ticket(state)
            ticket.status = TicketStatus.MERGED
            ticket.merged_into_case = self.master_case_id
            ticket.merged_into_ticket = self.master_ticket_no
            ticket.merged_at = self.occurred_at

    class HotlineSupervised(TicketEvent):
        level: SupervisionLevel
        note: str

        def fold(self, state: CaseState) -> None:
            self.ticket(state).supervisions.append((self.level, self.occurred_at))

    # --- commands ----------------------------------------------------------------------------

    def receive_escalation(
        self, *, actor: Actor, occurred_at: datetime, ticket_no: str, **fields: Any
    ) -> UUID:
        if any(t.ticket_no == ticket_no for t in self.state.tickets):
            raise RuleViolation(
                "hotline.ticket_no_taken", f"ticket {ticket_no} is already on this case"
            )
        ticket_id = uuid4()
        self.trigger_event(
            self.HotlineEscalationReceived,
            actor=actor,
            occurred_at=occurred_at,
            ticket_id=ticket_id,
            ticket_no=ticket_no,
            **fields,
        )
        return ticket_id

    def dispatch_ticket(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        timing: Timing | None,
        ticket_id: UUID,
        unit: str,
        role: UnitRole,
        designated: bool,
    ) -> None:
        ticket = self._open_ticket(ticket_id)
        reply_clock = None
        if role is UnitRole.LEAD:
            if ticket.status is not TicketStatus.PENDING_DISPATCH:
                raise RuleViolation(
                    "hotline.already_dispatched", f"the order is {ticket.status}: 退单 it first"
                )
            if designated and ticket.rounds < DESIGNATION_ALLOWED_AFTER:
                raise RuleViolation(
                    "hotline.designation_too_early",
                    f"a unit is designated only after {DESIGNATION_ALLOWED_AFTER} rounds "
                    f"(this order has had {ticket.rounds})",
                )
            if not designated and ticket.rounds >= DESIGNATION_REQUIRED_AFTER:
                raise RuleViolation(
                    "hotline.designation_required",
                    f"after {ticket.rounds} rounds the hotline designates the unit (指定承办)",
                )
            if timing is not None:
                reply_clock = _reply_clock(timing, ticket, occurred_at)
        else:
            lead = ticket.lead
            if lead is None:
                raise RuleViolation("hotline.no_lead_unit", "dispatch a lead unit first")
            if designated:
                raise RuleViolation(
                    "hotline.designation_too_early", "only the lead unit is designated"
                )
            if ticket.dispatch_to(unit) is not None:
                raise RuleViolation(
                    "hotline.already_dispatched_to_unit", f"{unit} already has this order"
                )
        sign_for_due = None
        if timing is not None:
            rule = timing.policy.hotline.sign_for[ticket.urgency]
            sign_for_due = clock.due(timing.calendar, rule.limit, occurred_at, ()).due_at
        self.trigger_event(
            self.HotlineDispatched,
            actor=actor,
            occurred_at=occurred_at,
            ticket_id=ticket_id,
            unit=unit,
            role=role,
            designated=designated,
            sign_for_due=sign_for_due,
            reply_clock=reply_clock,
        )

    def sign_for_ticket(self, *, actor: Actor, occurred_at: datetime, ticket_id: UUID) -> None:
        ticket = self._open_ticket(ticket_id)
        dispatch = self._dispatch_of(ticket, actor)
        if dispatch.signed_for_at is not None:
            raise RuleViolation("hotline.already_signed_for", f"{dispatch.unit} signed for it")
        if ticket.status is TicketStatus.RETURN_REQUESTED:
            raise RuleViolation("hotline.return_pending", "a 退单 awaits the hotline's decision")
        self.trigger_event(
            self.HotlineSignedFor,
            actor=actor,
            occurred_at=occurred_at,
            ticket_id=ticket_id,
            unit=dispatch.unit,
        )

    def request_ticket_return(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        timing: Timing | None,
        ticket_id: UUID,
        **fields: Any,
    ) -> None:
        ticket = self._open_ticket(ticket_id)
        lead = self._lead_of(ticket, actor)
        if ticket.status is TicketStatus.RETURN_REQUESTED:
            raise RuleViolation("hotline.return_pending", "a 退单 awaits the hotline's decision")
        if ticket.status is not TicketStatus.DISPATCHED and ticket.status is not (
            TicketStatus.IN_PROGRESS
        ):
            raise RuleViolation("hotline.not_in_progress", f"the order is {ticket.status}")
        if lead.designated:
            raise RuleViolation(
                "hotline.designated_cannot_return", "a designated unit (指定承办) must handle it"
            )
        if timing is not None:
            rule = timing.policy.hotline.return_within
            window = clock.due(timing.calendar, rule.limit, lead.dispatched_at, ()).due_at
            if occurred_at > window:
                raise RuleViolation(
                    "hotline.return_window_passed",
                    f"退单 was possible until {window.isoformat()} ({rule.source.cite()}); "
                    "the unit must now handle it",
                )
        self.trigger_event(
            self.HotlineReturnRequested,
            actor=actor,
            occurred_at=occurred_at,
            ticket_id=ticket_id,
            **fields,
        )

    def decide_ticket_return(
        self, *, actor: Actor, occurred_at: datetime, ticket_id: UUID, **fields: Any
    ) -> None:
        ticket = self._open_ticket(ticket_id)
        if ticket.status is not TicketStatus.RETURN_REQUESTED:
            raise RuleViolation("hotline.no_return_pending", "no 退单 awaits a decision")
        self.trigger_event(
            self.HotlineReturnDecided,
            actor=actor,
            occurred_at=occurred_at,
            ticket_id=ticket_id,
            **fields,
        )

    def contact_applicant(
        self, *, actor: Actor, occurred_at: datetime, ticket_id: UUID, **fields: Any
    ) -> None:
        self._dispatch_of(self._open_ticket(ticket_id), actor)
        self.trigger_event(
            self.HotlineApplicantContacted,
            actor=actor,
            occurred_at=occurred_at,
            ticket_id=ticket_id,
            **fields,
        )

    def request_ticket_extension(
        self, *, actor: Actor, occurred_at: datetime, ticket_id: UUID, **fields: Any
    ) -> None:
        ticket = self._in_progress(ticket_id, actor)
        running = ticket.reply_clock
        if running is not None and occurred_at > running.due_at:
            raise RuleViolation(
                "hotline.extension_after_expiry",
                f"an extension is asked before the deadline ({running.due_at.isoformat()})",
            )
        if running is not None and running.limit.unit is not LimitUnit.WORKING_DAYS:
            raise RuleViolation(
                "hotline.extension_unit_mismatch",
                f"extensions are in working days; this clock runs in {running.limit.unit}",
            )
        if _pending_extension(ticket) is not None:
            raise RuleViolation("hotline.extension_pending", "an extension awaits a decision")
        self.trigger_event(
            self.HotlineExtensionRequested,
            actor=actor,
            occurred_at=occurred_at,
            ticket_id=ticket_id,
            **fields,
        )

    def decide_ticket_extension(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        timing: Timing | None,
        ticket_id: UUID,
        decision: Decision,
        **fields: Any,
    ) -> None:
        ticket = self._open_ticket(ticket_id)
        pending = _pending_extension(ticket)
        if pending is None:
            raise RuleViolation("hotline.no_extension_pending", "no extension awaits a decision")
        update = None
        running = ticket.reply_clock
        if decision is Decision.APPROVE and timing is not None and running is not None:
            longer = TimeLimit(
                value=running.limit.value + pending.working_days, unit=running.limit.unit
            )
            update = clock.moved(running, timing.calendar, (), longer)
        self.trigger_event(
            self.HotlineExtensionDecided,
            actor=actor,
            occurred_at=occurred_at,
            ticket_id=ticket_id,
            decision=decision,
            clock=update,
            **fields,
        )

    def reply_ticket(
        self, *, actor: Actor, occurred_at: datetime, ticket_id: UUID, **fields: Any
    ) -> None:
        """The reply goes back signed by the lead unit's head (部门主要负责人)."""
        self._in_progress(ticket_id, actor)
        if Role.DEPARTMENT_HEAD not in actor.roles:
            raise RuleViolation(
                "hotline.reply_not_signed_by_head", "the unit's head signs the reply"
            )
        self.trigger_event(
            self.HotlineReplied, actor=actor, occurred_at=occurred_at, ticket_id=ticket_id, **fields
        )

    def review_ticket_reply(
        self, *, actor: Actor, occurred_at: datetime, ticket_id: UUID, **fields: Any
    ) -> None:
        ticket = self._open_ticket(ticket_id)
        if ticket.status is not TicketStatus.REPLIED:
            raise RuleViolation("hotline.no_reply_to_review", f"the order is {ticket.status}")
        self.trigger_event(
            self.HotlineReplyReviewed,
            actor=actor,
            occurred_at=occurred_at,
            ticket_id=ticket_id,
            **fields,
        )

    def close_ticket(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        ticket_id: UUID,
        closure: TicketClosure,
        note: str,
    ) -> None:
        ticket = self._open_ticket(ticket_id)
        if closure is TicketClosure.REPLIED:
            raise RuleViolation(
                "hotline.closure_needs_review", "a replied order closes when its review passes"
            )
        if ticket.status is not TicketStatus.PENDING_DISPATCH:
            raise RuleViolation(
                "hotline.already_dispatched", "a unit has the order: it closes on its reply"
            )
        self.trigger_event(
            self.HotlineClosed,
            actor=actor,
            occurred_at=occurred_at,
            ticket_id=ticket_id,
            closure=closure,
            note=note,
        )

    def follow_up_ticket(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        ticket_id: UUID,
        reachable: bool,
        resolved: bool | None,
        satisfaction: Satisfaction | None,
        cause: DissatisfactionCause | None,
        **fields: Any,
    ) -> None:
        ticket = self._ticket(ticket_id)
        if ticket.status is not TicketStatus.CLOSED:
            raise RuleViolation("hotline.not_closed", "回访 follows the order's closure")
        if not reachable and (resolved, satisfaction, cause) != (None, None, None):
            raise RuleViolation(
                "follow_up.answers_without_contact", "an unreachable caller gave no answers"
            )
        if reachable and (resolved is None or satisfaction is None):
            raise RuleViolation(
                "follow_up.answers_missing", "a reached caller is asked: resolved? satisfied?"
            )
        dissatisfied = satisfaction is Satisfaction.DISSATISFIED
        if dissatisfied != (cause is not None):
            raise RuleViolation(
                "follow_up.cause_mismatch",
                "a dissatisfied answer states its cause, and only a dissatisfied one",
            )
        self.trigger_event(
            self.HotlineFollowedUp,
            actor=actor,
            occurred_at=occurred_at,
            ticket_id=ticket_id,
            reachable=reachable,
            resolved=resolved,
            satisfaction=satisfaction,
            cause=cause,
            **fields,
        )

    def reopen_ticket(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        timing: Timing | None,
        ticket_id: UUID,
        reason: str,
    ) -> None:
        """重办 only when the follow-up of the latest closure found the unit at fault (主观原因);
        a 回访 of an earlier closure, before a previous 重办, does not count again."""
        ticket = self._ticket(ticket_id)
        last = ticket.follow_ups[-1] if ticket.follow_ups else None
        if (
            ticket.status is not TicketStatus.CLOSED
            or ticket.closure is not TicketClosure.REPLIED
            or last is None
            or last.cause is not DissatisfactionCause.UNIT
            or (ticket.closed_at is not None and last.at < ticket.closed_at)
        ):
            raise RuleViolation(
                "hotline.reopen_without_unit_fault",
                "重办 follows a closed reply whose last 回访 found the unit at fault",
            )
        reply_clock = _reply_clock(timing, ticket, occurred_at) if timing is not None else None
        self.trigger_event(
            self.HotlineReopened,
            actor=actor,
            occurred_at=occurred_at,
            ticket_id=ticket_id,
            reason=reason,
            reply_clock=reply_clock,
        )

    def merge_ticket(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        ticket_id: UUID,
        master_case_id: UUID,
        master_ticket_no: str,
    ) -> None:
        ticket = self._open_ticket(ticket_id)
        if master_case_id == self.id and master_ticket_no == ticket.ticket_no:
            raise RuleViolation("hotline.merge_into_itself", "an order is not its own duplicate")
        self.trigger_event(
            self.HotlineMerged,
            actor=actor,
            occurred_at=occurred_at,
            ticket_id=ticket_id,
            master_case_id=master_case_id,
            master_ticket_no=master_ticket_no,
        )

    def supervise_ticket(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        ticket_id: UUID,
        level: SupervisionLevel,
        note: str,
    ) -> None:
        """催办 at any time a unit has the order; 督办单 and 通报 once it is overdue."""
        ticket = self._open_ticket(ticket_id)
        running = ticket.reply_clock
        if running is None:
            raise RuleViolation("hotline.nothing_to_supervise", "no unit handles the order yet")
        if level is not SupervisionLevel.URGE and occurred_at <= running.due_at:
            raise RuleViolation(
                "hotline.not_overdue",
                f"a {level} follows the deadline ({running.due_at.isoformat()}); 催办 before it",
            )
        self.trigger_event(
            self.HotlineSupervised,
            actor=actor,
            occurred_at=occurred_at,
            ticket_id=ticket_id,
            level=level,
            note=note,
        )

    # --- guards ------------------------------------------------------------------------------

    def _ticket(self, ticket_id: UUID) -> HotlineTicket:
        ticket = self.state.ticket(ticket_id)
        if ticket is None:
            raise RuleViolation(
                "hotline.unknown_ticket", f"no 12345 order {ticket_id} on this case"
            )
        return ticket

    def _open_ticket(self, ticket_id: UUID) -> HotlineTicket:
        ticket = self._ticket(ticket_id)
        if not ticket.status.is_open:
            raise RuleViolation("hotline.ticket_closed", f"the order is {ticket.status}")
        return ticket

    def _dispatch_of(self, ticket: HotlineTicket, actor: Actor) -> TicketDispatch:
        dispatch = ticket.dispatch_to(actor.unit)
        if dispatch is None:
            raise RuleViolation(
                "hotline.not_dispatched_to_unit", f"the order was not dispatched to {actor.unit}"
            )
        return dispatch

    def _lead_of(self, ticket: HotlineTicket, actor: Actor) -> TicketDispatch:
        lead = ticket.lead
        if lead is None or lead.unit != actor.unit:
            raise RuleViolation(
                "hotline.not_lead_unit",
                f"only the lead unit ({lead.unit if lead else 'none yet'}) may do this",
            )
        return lead

    def _in_progress(self, ticket_id: UUID, actor: Actor) -> HotlineTicket:
        ticket = self._open_ticket(ticket_id)
        self._lead_of(ticket, actor)
        if ticket.status is not TicketStatus.IN_PROGRESS:
            raise RuleViolation(
                "hotline.not_in_progress", f"the order is {ticket.status}, not signed for"
            )
        return ticket


def _pending_extension(ticket: HotlineTicket) -> TicketExtension | None:
    """The extension awaiting a decision on the round's reply clock, if any.

    One asked before the clock (re)started, in a round that ended with an approved 退单 or before
    a 重办, lapsed with that clock: it neither blocks a new request nor lengthens the new clock.
    """
    last = ticket.extensions[-1] if ticket.extensions else None
    if last is None or last.decision is not None:
        return None
    lead = ticket.lead
    started = ticket.reply_clock.started_at if ticket.reply_clock else None
    started = started or (lead.dispatched_at if lead else None)
    if started is None or last.requested_at < started:
        return None
    return last


def _reply_rule(timing: Timing, ticket: HotlineTicket) -> LimitRule:
    hotline = timing.policy.hotline
    if ticket.urgency is not HotlineUrgency.NORMAL:
        return hotline.reply_emergency
    return hotline.reply[ticket.category]


def _reply_clock(timing: Timing, ticket: HotlineTicket, at: datetime) -> Clock:
    rule = _reply_rule(timing, ticket)
    policy = timing.policy
    return clock.start(timing.calendar, rule.limit, policy.cite(rule), policy.version, at)


COMMANDS: dict[str, tuple[str, str | None]] = {
    "HotlineEscalationReceived": ("receive_escalation", "ticket_id"),
    "HotlineDispatched": ("dispatch_ticket", None),
    "HotlineSignedFor": ("sign_for_ticket", None),
    "HotlineReturnRequested": ("request_ticket_return", None),
    "HotlineReturnDecided": ("decide_ticket_return", None),
    "HotlineApplicantContacted": ("contact_applicant", None),
    "HotlineExtensionRequested": ("request_ticket_extension", None),
    "HotlineExtensionDecided": ("decide_ticket_extension", None),
    "HotlineReplied": ("reply_ticket", None),
    "HotlineReplyReviewed": ("review_ticket_reply", None),
    "HotlineClosed": ("close_ticket", None),
    "HotlineFollowedUp": ("follow_up_ticket", None),
    "HotlineReopened": ("reopen_ticket", None),
    "HotlineMerged": ("merge_ticket", None),
    "HotlineSupervised": ("supervise_ticket", None),
}
TIMED = frozenset(
    {"HotlineDispatched", "HotlineReturnRequested", "HotlineExtensionDecided", "HotlineReopened"}
)
