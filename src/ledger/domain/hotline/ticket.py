"""What every group of 12345 commands shares: the event base that finds its order in the state,
and the guards that find an order, check it is open, and check the actor's unit has it."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID  # runtime import: events are decoded against these types

from ledger.domain.errors import RuleViolation
from ledger.domain.events import CaseCommands, CaseEvent
from ledger.domain.hotline.records import (
    HotlineTicket,
    TicketClosure,
    TicketDispatch,
    TicketStatus,
)
from ledger.domain.state import CaseState
from ledger.domain.values import Actor


class TicketEvent(CaseEvent):
    ticket_id: UUID

    def ticket(self, state: CaseState) -> HotlineTicket:
        found = state.ticket(self.ticket_id)
        assert found is not None, "commands check the ticket exists"
        return found


def close(
    ticket: HotlineTicket, closure: TicketClosure, at: datetime, follow_up_due: datetime | None
) -> None:
    """Fold a closure (a passed review, or the hotline's own) and its 回访 deadline into the
    order."""
    ticket.status = TicketStatus.CLOSED
    ticket.closure = closure
    ticket.closed_at = at
    ticket.first_closed_at = ticket.first_closed_at or at
    ticket.follow_up_due = follow_up_due


class TicketCommands(CaseCommands):
    """The guards of every 12345 command: each raises a `RuleViolation` the caller can show."""

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
