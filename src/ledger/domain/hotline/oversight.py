"""What the hotline does over a unit's work on a 12345 order: 回访 after closure, 重办 when the
unit was at fault, 并单 of a duplicate, and 督办 (催办, 督办单, 通报) of an overdue order."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID  # runtime import: events are decoded against these types

from ledger.domain import clock
from ledger.domain.clock import Clock
from ledger.domain.errors import RuleViolation
from ledger.domain.hotline import clocks
from ledger.domain.hotline.records import (
    DissatisfactionCause,
    FollowUp,
    Satisfaction,
    SupervisionLevel,
    TicketClosure,
    TicketStatus,
)
from ledger.domain.hotline.ticket import TicketCommands, TicketEvent
from ledger.domain.policy import Timing
from ledger.domain.state import CaseState
from ledger.domain.values import Actor


class OversightCommands(TicketCommands):
    if TYPE_CHECKING:
        id: UUID

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
        """重办: the lead unit handles it again, on a new reply clock, which is also the order's
        new clock (the citizen's total wait still runs from the first call)."""

        reason: str
        reply_clock: Clock | None

        def fold(self, state: CaseState) -> None:
            ticket = self.ticket(state)
            ticket.status = TicketStatus.IN_PROGRESS
            ticket.closure = None
            ticket.closed_at = None
            ticket.reopen_count += 1
            ticket.reply_clock = clock.copied(self.reply_clock)
            ticket.order_clock = clock.copied(self.reply_clock)
            ticket.follow_up_due = None

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
        reply_clock = None
        if timing is not None:
            reply_clock = clocks.reply_clock(timing, ticket, occurred_at)
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
        timing: Timing | None,
        ticket_id: UUID,
        level: SupervisionLevel,
        note: str,
    ) -> None:
        """催办 at any time a unit has the order (not once its reply is in: the review is the
        hotline's time); 催办通知书 once it is overdue; 通报批评 only once
        the policy's `criticise_after` has run from the round's first 催办通知书 (domain brief
        §1.5: "通报批评 if still overdue 5 working days later")."""
        ticket = self._open_ticket(ticket_id)
        running = ticket.reply_clock
        if running is None:
            raise RuleViolation("hotline.nothing_to_supervise", "no unit handles the order yet")
        if ticket.status is TicketStatus.REPLIED:
            raise RuleViolation(
                "hotline.reply_under_review",
                "the unit replied: its clock stopped there, and the order awaits the hotline's "
                "own review (审核报结), not the unit",
            )
        if level is not SupervisionLevel.URGE and occurred_at <= running.due_at:
            raise RuleViolation(
                "hotline.not_overdue",
                f"a {level} follows the deadline ({running.due_at.isoformat()}); 催办 before it",
            )
        if level is SupervisionLevel.CIRCULATED:
            _check_criticism(ticket.supervisions, running, timing, occurred_at)
        self.trigger_event(
            self.HotlineSupervised,
            actor=actor,
            occurred_at=occurred_at,
            ticket_id=ticket_id,
            level=level,
            note=note,
        )


def _check_criticism(
    supervisions: list[tuple[SupervisionLevel, datetime]],
    running: Clock,
    timing: Timing | None,
    at: datetime,
) -> None:
    """通报批评 follows a 催办通知书 of the unit's current clock by the policy's limit."""
    notices = [t for level, t in supervisions if level is SupervisionLevel.NOTICE]
    notices = [t for t in notices if t >= running.started_at]
    if not notices:
        raise RuleViolation(
            "hotline.criticism_without_notice",
            "通报批评 follows a 催办通知书 issued on the unit's current deadline",
        )
    if timing is None:
        raise RuleViolation(
            "hotline.criticism_too_early", "no policy to count the wait after the 催办通知书"
        )
    allowed_after, rule = clocks.criticism_from(timing, notices[0])
    if at <= allowed_after:
        raise RuleViolation(
            "hotline.criticism_too_early",
            f"通报批评 only after {allowed_after.isoformat()}, {rule.value} {rule.unit} after the "
            f"催办通知书 ({rule.source.cite()})",
        )
