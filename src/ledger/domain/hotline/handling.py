"""A unit's handling of a 12345 order it signed for: contacting the applicant, extensions of the
reply clock, the reply signed by the unit's head, and the hotline's review of it (审核报结)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from ledger.domain import clock
from ledger.domain.clock import Clock, ClockUpdate
from ledger.domain.errors import RuleViolation
from ledger.domain.hotline import clocks
from ledger.domain.hotline.clocks import extended, pending_extension
from ledger.domain.hotline.records import (
    ReviewResult,
    TicketClosure,
    TicketExtension,
    TicketReply,
    TicketStatus,
)
from ledger.domain.hotline.ticket import TicketCommands, TicketEvent, close
from ledger.domain.policy import Timing
from ledger.domain.state import CaseState
from ledger.domain.values import Actor, Decision, LimitUnit, Role


class HandlingCommands(TicketCommands):
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
        """An approved extension lengthens the round's reply clock and the order's clock by the
        same working days (the applicant is told the order's new date); the order's only if it
        was asked before the order's deadline."""

        decision: Decision
        opinion: str
        clock: ClockUpdate | None  # an approved extension lengthens the reply limit
        order_clock: ClockUpdate | None = None

        def fold(self, state: CaseState) -> None:
            ticket = self.ticket(state)
            extension = ticket.extensions[-1]
            extension.decision = self.decision
            extension.decided_by = self.actor.id
            extension.decided_at = self.occurred_at
            order_update = self.order_clock
            if order_update is None and _same_clock(ticket.order_clock, ticket.reply_clock):
                order_update = self.clock  # stored before order clocks: the first round's
            clock.move(ticket.reply_clock, self.clock)
            clock.move(ticket.order_clock, order_update)

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
        follow_up_due: datetime | None = None  # a pass: the 回访, the day after

        def fold(self, state: CaseState) -> None:
            ticket = self.ticket(state)
            reply = ticket.replies[-1]
            reply.review = self.result
            reply.reviewed_by = self.actor.id
            reply.reviewed_at = self.occurred_at
            reply.review_opinion = self.opinion
            if self.result is ReviewResult.PASS:
                close(ticket, TicketClosure.REPLIED, self.occurred_at, self.follow_up_due)
            else:
                ticket.status = TicketStatus.IN_PROGRESS

    # --- commands ----------------------------------------------------------------------------

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
        if pending_extension(ticket) is not None:
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
        pending = pending_extension(ticket)
        if pending is None:
            raise RuleViolation("hotline.no_extension_pending", "no extension awaits a decision")
        update = order_update = None
        if decision is Decision.APPROVE and timing is not None:
            if ticket.reply_clock is not None:
                update = extended(timing, ticket.reply_clock, pending)
            order = ticket.order_clock
            # Asked after the order's own deadline (a later round's unit), it lengthens that
            # unit's clock only: the citizen's passed deadline is not moved after the fact.
            if order is not None and pending.requested_at <= order.due_at:
                order_update = extended(timing, order, pending)
        self.trigger_event(
            self.HotlineExtensionDecided,
            actor=actor,
            occurred_at=occurred_at,
            ticket_id=ticket_id,
            decision=decision,
            clock=update,
            order_clock=order_update,
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
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        timing: Timing | None,
        ticket_id: UUID,
        result: ReviewResult,
        **fields: Any,
    ) -> None:
        ticket = self._open_ticket(ticket_id)
        if ticket.status is not TicketStatus.REPLIED:
            raise RuleViolation("hotline.no_reply_to_review", f"the order is {ticket.status}")
        follow_up_due = None
        if result is ReviewResult.PASS and timing is not None:
            follow_up_due = clocks.follow_up_due(timing, occurred_at)
        self.trigger_event(
            self.HotlineReplyReviewed,
            actor=actor,
            occurred_at=occurred_at,
            ticket_id=ticket_id,
            result=result,
            follow_up_due=follow_up_due,
            **fields,
        )


def _same_clock(order: Clock | None, round_clock: Clock | None) -> bool:
    """Whether the order's clock is still the first round's, as it was when events were stored
    without an order clock update of their own."""
    return (
        order is not None
        and round_clock is not None
        and (order.started_at, order.due_at, order.limit)
        == (round_clock.started_at, round_clock.due_at, round_clock.limit)
    )
