"""A 12345 order's way to a unit: intake, dispatch rounds (派单, 指定承办), sign-for, 退单 and its
decision, and the hotline's own closure of an order no unit needs to handle (domain brief §1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4  # runtime import: events are decoded against these types

from ledger.domain import clock
from ledger.domain.clock import Clock
from ledger.domain.errors import RuleViolation
from ledger.domain.events import CaseEvent
from ledger.domain.hotline import clocks
from ledger.domain.hotline.records import (
    HotlineCategory,
    HotlineTicket,
    HotlineUrgency,
    ReturnRequest,
    TicketClosure,
    TicketDispatch,
    TicketStatus,
    UnitRole,
)
from ledger.domain.hotline.ticket import TicketCommands, TicketEvent, close
from ledger.domain.policy import Timing
from ledger.domain.state import CaseState
from ledger.domain.values import Actor, Decision

DESIGNATION_ALLOWED_AFTER = 2
DESIGNATION_REQUIRED_AFTER = 3
"""指定承办: once two rounds ended in a 退单 the hotline may designate the unit, and after three
dispatches it must (the brief's "after 3 dispatches"; the issue's story designates the third);
a designated unit cannot return the order."""


class DispatchCommands(TicketCommands):
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
        """A lead dispatch starts the unit's reply clock; the first one is also the start of the
        order's own clock (the same limit, kept through every 退单) and of its contact deadline."""

        unit: str
        role: UnitRole
        designated: bool
        sign_for_due: datetime | None
        reply_clock: Clock | None  # a lead dispatch starts the unit's reply clock
        complex: bool = False  # the dispatcher's call: 退单 within the longer window
        contact_due: datetime | None = None  # the first lead dispatch's: 响应率

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
                    complex=self.complex,
                )
            )
            if self.role is UnitRole.LEAD:
                ticket.status = TicketStatus.DISPATCHED
                ticket.reply_clock = clock.copied(self.reply_clock)
                if ticket.rounds == 1:  # derived, so events stored before it replay to it too
                    ticket.order_clock = clock.copied(self.reply_clock)
                    ticket.contact_due = self.contact_due

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

    class HotlineClosed(TicketEvent):
        """Closed by the hotline without a unit's reply: answered at intake, or redirected."""

        closure: TicketClosure
        note: str
        follow_up_due: datetime | None = None  # none for a redirected order

        def fold(self, state: CaseState) -> None:
            close(self.ticket(state), self.closure, self.occurred_at, self.follow_up_due)

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
        complex: bool = False,
    ) -> None:
        ticket = self._open_ticket(ticket_id)
        reply_clock = contact_due = None
        if role is UnitRole.LEAD:
            _check_lead_dispatch(ticket, designated)
            if timing is not None:
                reply_clock = clocks.reply_clock(timing, ticket, occurred_at)
                if ticket.rounds == 0:
                    contact_due = clocks.contact_due(timing, occurred_at)
        else:
            _check_assisting_dispatch(ticket, unit, designated, complex)
        sign_for_due = None
        if timing is not None:
            sign_for_due = clocks.sign_for_due(timing, ticket, occurred_at)
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
            complex=complex,
            contact_due=contact_due,
        )

    def sign_for_ticket(self, *, actor: Actor, occurred_at: datetime, ticket_id: UUID) -> None:
        ticket = self._open_ticket(ticket_id)
        dispatch = self._dispatch_of(ticket, actor)
        if dispatch.signed_for_at is not None:
            raise RuleViolation("hotline.already_signed_for", f"{dispatch.unit} signed for it")
        _check_no_return_pending(ticket)
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
        _check_no_return_pending(ticket)
        if ticket.status is not TicketStatus.DISPATCHED and ticket.status is not (
            TicketStatus.IN_PROGRESS
        ):
            raise RuleViolation("hotline.not_in_progress", f"the order is {ticket.status}")
        if lead.designated:
            raise RuleViolation(
                "hotline.designated_cannot_return", "a designated unit (指定承办) must handle it"
            )
        if timing is not None:
            window, rule = clocks.return_window(timing, lead)
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

    def close_ticket(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        timing: Timing | None,
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
        follow_up_due = None
        if timing is not None and closure is not TicketClosure.REDIRECTED:
            follow_up_due = clocks.follow_up_due(timing, occurred_at)
        self.trigger_event(
            self.HotlineClosed,
            actor=actor,
            occurred_at=occurred_at,
            ticket_id=ticket_id,
            closure=closure,
            note=note,
            follow_up_due=follow_up_due,
        )


def _check_lead_dispatch(ticket: HotlineTicket, designated: bool) -> None:
    """A lead dispatch opens a round: only when no unit has the order, designated when due."""
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


def _check_assisting_dispatch(
    ticket: HotlineTicket, unit: str, designated: bool, complex: bool
) -> None:
    """An assisting unit (协办) joins the round of a lead unit, once, and is never designated;
    only the lead may 退单, so only a lead dispatch is marked complex."""
    if ticket.lead is None:
        raise RuleViolation("hotline.no_lead_unit", "dispatch a lead unit first")
    if designated:
        raise RuleViolation("hotline.designation_too_early", "only the lead unit is designated")
    if complex:
        raise RuleViolation(
            "hotline.complex_needs_lead", "only the lead unit may 退单: mark its dispatch complex"
        )
    if ticket.dispatch_to(unit) is not None:
        raise RuleViolation("hotline.already_dispatched_to_unit", f"{unit} already has this order")


def _check_no_return_pending(ticket: HotlineTicket) -> None:
    if ticket.status is TicketStatus.RETURN_REQUESTED:
        raise RuleViolation("hotline.return_pending", "a 退单 awaits the hotline's decision")
