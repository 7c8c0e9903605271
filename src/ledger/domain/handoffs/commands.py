"""Moving a case between units (转办): the hand-off, and the receiving unit signing for it or
returning it (`HandOffCommands`).

Custody moves on signing, not on sending, and one hand-off at a time is pending, so a case always
has exactly one holder.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4  # runtime import: events are decoded against these types

from ledger.domain.errors import RuleViolation
from ledger.domain.events import CaseCommands, CaseEvent
from ledger.domain.handoffs.records import HandOff, HandOffStatus
from ledger.domain.state import CaseState
from ledger.domain.values import Actor


class HandOffCommands(CaseCommands):
    """Hand-offs between departments and windows, each signed for or returned by the receiver."""

    class HandedOff(CaseEvent):
        handoff_id: UUID
        from_department: str
        from_window: str | None
        to_department: str
        to_window: str | None
        to_officer: str | None
        reason: str

        def fold(self, state: CaseState) -> None:
            state.handoffs.append(
                HandOff(
                    handoff_id=self.handoff_id,
                    from_department=self.from_department,
                    from_window=self.from_window,
                    to_department=self.to_department,
                    to_window=self.to_window,
                    to_officer=self.to_officer,
                    reason=self.reason,
                    handed_off_by=self.actor.id,
                    handed_off_at=self.occurred_at,
                )
            )

    class HandOffSettled(CaseEvent):
        handoff_id: UUID

        def settle(self, state: CaseState, status: HandOffStatus) -> HandOff:
            handoff = state.handoff(self.handoff_id)
            assert handoff is not None, "commands check the hand-off exists"
            handoff.status = status
            handoff.settled_by = self.actor.id
            handoff.settled_at = self.occurred_at
            return handoff

    class HandOffSignedFor(HandOffSettled):
        def fold(self, state: CaseState) -> None:
            handoff = self.settle(state, HandOffStatus.SIGNED_FOR)
            state.department = handoff.to_department
            state.window = handoff.to_window

    class HandOffReturned(HandOffSettled):
        reason: str
        basis: str | None = None

        def fold(self, state: CaseState) -> None:
            self.settle(state, HandOffStatus.RETURNED).return_reason = self.reason

    def hand_off(
        self, *, actor: Actor, occurred_at: datetime, to_department: str, **fields: Any
    ) -> UUID:
        self._require_holder(actor)
        to_window = fields.get("to_window")
        if to_department == self.state.department and to_window == self.state.window:
            raise RuleViolation("handoff.same_unit", "the case is already held there")
        # A hand-off moves custody; one at a time, so the case always has exactly one holder.
        if pending := self.state.pending_handoffs:
            raise RuleViolation(
                "handoff.already_pending",
                f"the hand-off to {pending[0].to_department} awaits signing or return",
            )
        handoff_id = uuid4()
        self.trigger_event(
            self.HandedOff,
            actor=actor,
            occurred_at=occurred_at,
            handoff_id=handoff_id,
            from_department=self.state.department,
            from_window=self.state.window,
            to_department=to_department,
            **fields,
        )
        return handoff_id

    def sign_for_handoff(self, *, actor: Actor, occurred_at: datetime, handoff_id: UUID) -> None:
        self._pending_handoff_for(actor, handoff_id, "sign for")
        self.trigger_event(
            self.HandOffSignedFor, actor=actor, occurred_at=occurred_at, handoff_id=handoff_id
        )

    def return_handoff(
        self, *, actor: Actor, occurred_at: datetime, handoff_id: UUID, **fields: Any
    ) -> None:
        self._pending_handoff_for(actor, handoff_id, "return")
        self.trigger_event(
            self.HandOffReturned,
            actor=actor,
            occurred_at=occurred_at,
            handoff_id=handoff_id,
            **fields,
        )

    def _pending_handoff_for(self, actor: Actor, handoff_id: UUID, verb: str) -> HandOff:
        handoff = self.state.handoff(handoff_id)
        if handoff is None:
            raise RuleViolation("handoff.unknown", f"no hand-off {handoff_id} on this case")
        if handoff.status is HandOffStatus.SIGNED_FOR:
            raise RuleViolation("handoff.already_signed_for", "the hand-off was signed for")
        if handoff.status is HandOffStatus.RETURNED:
            raise RuleViolation("handoff.already_returned", "the hand-off was returned")
        if actor.unit != handoff.to_department:
            raise RuleViolation(
                "handoff.not_receiving_unit",
                f"only {handoff.to_department} may {verb} this hand-off, not {actor.unit}",
            )
        return handoff


COMMANDS: dict[str, tuple[str, str | None]] = {
    "HandedOff": ("hand_off", "handoff_id"),
    "HandOffSignedFor": ("sign_for_handoff", None),
    "HandOffReturned": ("return_handoff", None),
}
