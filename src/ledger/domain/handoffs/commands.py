"""Moving a case between units (转办): the hand-off, and the receiving unit signing for it or
returning it (`HandOffCommands`).

Custody moves on signing, not on sending, and one hand-off at a time is pending, so a case always
has exactly one holder.

A unit of another jurisdiction keeps its cases in its own ledger, with its own log: the hand-off
is then an event in both logs, each naming the other's (`HandedOffAcross` out, `HandOffReceived`
in with the sender's event and its inclusion proof, `HandOffAcknowledged` back on the sender's
case with the receiving case's). The sending unit stays the case's holder in its own ledger (it
answers to the applicant, 首接负责); the receiving ledger's case is held by the receiving unit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4  # runtime import: events are decoded against these types

from ledger.domain.errors import RuleViolation
from ledger.domain.events import CaseCommands, CaseEvent
from ledger.domain.handoffs.records import HandOff, HandOffStatus, LogReference
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

    class HandedOffAcross(HandedOff):
        """A hand-off to a unit of another jurisdiction, whose ledger keeps its own log."""

        to_origin: str
        to_centre: str | None = None

        def fold(self, state: CaseState) -> None:
            super().fold(state)
            state.handoffs[-1].to_origin = self.to_origin

    class HandOffReceived(CaseEvent):
        """A case handed in from another jurisdiction's ledger, recorded by the receiving unit:
        the sender's hand-off (`HandedOffAcross`) with the proof that its log holds it."""

        handoff_id: UUID  # the sender's
        from_department: str
        from_window: str | None
        reason: str
        handed_off_by: str
        handed_off_at: datetime
        sender: LogReference

        def fold(self, state: CaseState) -> None:
            state.handoffs.append(
                HandOff(
                    handoff_id=self.handoff_id,
                    from_department=self.from_department,
                    from_window=self.from_window,
                    to_department=state.department,
                    to_window=state.window,
                    to_officer=None,
                    reason=self.reason,
                    handed_off_by=self.handed_off_by,
                    handed_off_at=self.handed_off_at,
                    status=HandOffStatus.SIGNED_FOR,
                    settled_by=self.actor.id,
                    settled_at=self.occurred_at,
                    from_origin=self.sender.origin,
                    counterpart=self.sender.case_reference(),
                )
            )

    class HandOffAcknowledged(HandOffSettled):
        """The other jurisdiction took the case: its case's `HandOffReceived`, with the proof that
        its log holds it, recorded on the sending case. The sender stays the holder here."""

        receiver: LogReference

        def fold(self, state: CaseState) -> None:
            handoff = self.settle(state, HandOffStatus.SIGNED_FOR)
            handoff.counterpart = self.receiver.case_reference()

    def _require_no_pending_handoff(self) -> None:
        """A hand-off moves custody; one at a time (within the jurisdiction or across), so the
        case always has exactly one holder."""
        if pending := self.state.pending_handoffs:
            raise RuleViolation(
                "handoff.already_pending",
                f"the hand-off to {pending[0].to_department} awaits signing or return",
            )

    def hand_off(
        self, *, actor: Actor, occurred_at: datetime, to_department: str, **fields: Any
    ) -> UUID:
        self._require_holder(actor)
        to_window = fields.get("to_window")
        if to_department == self.state.department and to_window == self.state.window:
            raise RuleViolation("handoff.same_unit", "the case is already held there")
        self._require_no_pending_handoff()
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

    def hand_off_across(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        to_origin: str,
        to_department: str,
        **fields: Any,
    ) -> UUID:
        self._require_holder(actor)
        self._require_no_pending_handoff()
        handoff_id = uuid4()
        self.trigger_event(
            self.HandedOffAcross,
            actor=actor,
            occurred_at=occurred_at,
            handoff_id=handoff_id,
            from_department=self.state.department,
            from_window=self.state.window,
            to_origin=to_origin,
            to_department=to_department,
            to_window=fields.pop("to_window", None),
            to_officer=fields.pop("to_officer", None),
            **fields,
        )
        return handoff_id

    def receive_handoff(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        handoff_id: UUID,
        sender: LogReference,
        handed_off_at: datetime,
        **fields: Any,
    ) -> None:
        self._require_holder(actor)
        if self.state.handoff(handoff_id) is not None:
            raise RuleViolation(
                "handoff.already_received", f"the hand-off {handoff_id} is already on this case"
            )
        _check_reference(sender, "sender")
        if handed_off_at > occurred_at:
            raise RuleViolation(
                "handoff.received_before_sent", "handed_off_at is later than its receipt"
            )
        self.trigger_event(
            self.HandOffReceived,
            actor=actor,
            occurred_at=occurred_at,
            handoff_id=handoff_id,
            sender=sender,
            handed_off_at=handed_off_at,
            **{"from_window": None, **fields},
        )

    def acknowledge_handoff(
        self, *, actor: Actor, occurred_at: datetime, handoff_id: UUID, receiver: LogReference
    ) -> None:
        handoff = self._pending(handoff_id)
        if handoff.to_origin is None:
            raise RuleViolation(
                "handoff.not_across",
                "a hand-off within this ledger is signed for by its receiving unit",
            )
        self._require_holder(actor)
        if receiver.origin != handoff.to_origin:
            raise RuleViolation(
                "handoff.reference_wrong_log",
                f"the hand-off went to {handoff.to_origin}, not {receiver.origin}",
            )
        _check_reference(receiver, "receiver")
        self.trigger_event(
            self.HandOffAcknowledged,
            actor=actor,
            occurred_at=occurred_at,
            handoff_id=handoff_id,
            receiver=receiver,
        )

    def sign_for_handoff(self, *, actor: Actor, occurred_at: datetime, handoff_id: UUID) -> None:
        if self._pending(handoff_id).to_origin is not None:
            raise RuleViolation(
                "handoff.across_signed_elsewhere",
                "a hand-off to another jurisdiction is signed for in its ledger: record the "
                "receiving case's reference with HandOffAcknowledged",
            )
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

    def _pending(self, handoff_id: UUID) -> HandOff:
        handoff = self.state.handoff(handoff_id)
        if handoff is None:
            raise RuleViolation("handoff.unknown", f"no hand-off {handoff_id} on this case")
        if handoff.status is HandOffStatus.SIGNED_FOR:
            raise RuleViolation("handoff.already_signed_for", "the hand-off was signed for")
        if handoff.status is HandOffStatus.RETURNED:
            raise RuleViolation("handoff.already_returned", "the hand-off was returned")
        return handoff

    def _pending_handoff_for(self, actor: Actor, handoff_id: UUID, verb: str) -> HandOff:
        handoff = self._pending(handoff_id)
        if handoff.to_origin is not None:
            # The receiving unit has no credential in this ledger: the holder records its answer.
            self._require_holder(actor)
        elif actor.unit != handoff.to_department:
            raise RuleViolation(
                "handoff.not_receiving_unit",
                f"only {handoff.to_department} may {verb} this hand-off, not {actor.unit}",
            )
        return handoff


def _check_reference(reference: LogReference, field: str) -> None:
    """What a reference to another log's event must satisfy before any crypto: its leaf inside
    its tree, and the checkpoint it carries being that log's, of that size. (The proof itself is
    checked at the edge and by auditors with the other log's key: `ledger.log.handoff_refs`.)"""
    if not 0 <= reference.leaf_index < reference.tree_size:
        raise RuleViolation(
            "handoff.reference_outside_tree",
            f"{field}: leaf {reference.leaf_index} is not in a tree of {reference.tree_size}",
        )
    origin, _, rest = reference.checkpoint.partition("\n")
    size = rest.partition("\n")[0]
    if (origin, size) != (reference.origin, str(reference.tree_size)):
        raise RuleViolation(
            "handoff.reference_checkpoint_mismatch",
            f"{field}: the checkpoint is not {reference.origin}'s at {reference.tree_size} leaves",
        )


COMMANDS: dict[str, tuple[str, str | None]] = {
    "HandedOff": ("hand_off", "handoff_id"),
    "HandedOffAcross": ("hand_off_across", "handoff_id"),
    "HandOffReceived": ("receive_handoff", None),
    "HandOffAcknowledged": ("acknowledge_handoff", None),
    "HandOffSignedFor": ("sign_for_handoff", None),
    "HandOffReturned": ("return_handoff", None),
}
