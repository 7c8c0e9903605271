"""承诺书 under a granted 容缺受理 or 告知承诺: signing one, and its settling, fulfilled or breached
(`CommitmentCommands`).

A commitment is due no later than the policy's supply limit and the case's own deadline; a breach
is recorded by the worker's timer once the due date passed and carries the consequence the policy
froze into the request (退办 ends the case as withdrawn).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4  # runtime import: events are decoded against these types

from ledger.domain import clock
from ledger.domain.errors import RuleViolation
from ledger.domain.events import CaseCommands
from ledger.domain.exceptions.approvals import ExceptionCommands, granted_exception
from ledger.domain.exceptions.records import (
    BreachConsequence,
    Commitment,
    CommitmentStatus,
    ExceptionKind,
    ExceptionRecord,
)
from ledger.domain.policy import Timing
from ledger.domain.state import CaseState
from ledger.domain.values import Actor, CaseStatus, Outcome


class CommitmentCommands(CaseCommands):
    """The applicant's written promises (承诺书) to supply or prove something by a date."""

    class CommitmentSigned(ExceptionCommands.ExceptionEvent):
        commitment_id: UUID
        items: list[str]
        due_at: datetime

        def fold(self, state: CaseState) -> None:
            self.record(state).commitments.append(
                Commitment(
                    commitment_id=self.commitment_id,
                    items=list(self.items),
                    due_at=self.due_at,
                    signed_by=self.actor.id,
                    signed_at=self.occurred_at,
                )
            )

    class CommitmentSettled(ExceptionCommands.ExceptionEvent):
        commitment_id: UUID

        def settle(self, state: CaseState, status: CommitmentStatus) -> Commitment:
            commitment = next(
                c for c in self.record(state).commitments if c.commitment_id == self.commitment_id
            )
            commitment.status = status
            commitment.settled_at = self.occurred_at
            return commitment

    class CommitmentFulfilled(CommitmentSettled):
        note: str | None = None

        def fold(self, state: CaseState) -> None:
            self.settle(state, CommitmentStatus.FULFILLED)

    class CommitmentBreached(CommitmentSettled):
        """Recorded once the due date has passed (the worker's timer); the consequence is the
        one the policy froze into the request: 退办 ends the case as withdrawn."""

        consequence: BreachConsequence

        def fold(self, state: CaseState) -> None:
            self.settle(state, CommitmentStatus.BREACHED).consequence = self.consequence
            if self.consequence is BreachConsequence.WITHDRAW_CASE and not state.status.is_closed:
                state.status = CaseStatus.COMPLETED
                state.outcome = Outcome.WITHDRAWN
                state.closed_at = self.occurred_at
                state.end_pause(self.occurred_at)

    def sign_commitment(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        timing: Timing | None,
        exception_id: UUID,
        due_at: datetime,
        **fields: Any,
    ) -> UUID:
        """承诺书: due no later than the policy's supply limit and the case's own deadline."""
        self._require_holder(actor)
        record = granted_exception(self.state, exception_id)
        if record.kind not in (ExceptionKind.MISSING_MATERIALS, ExceptionKind.COMMITMENT):
            raise RuleViolation(
                "commitment.kind_without_commitment", f"a {record.kind} takes no 承诺书"
            )
        limits = [self.state.clock.due_at] if self.state.clock else []
        if record.supply_within is not None and timing is not None:
            limits.append(clock.due(timing.calendar, record.supply_within, occurred_at, ()).due_at)
        if due_at <= occurred_at or any(due_at > limit for limit in limits):
            raise RuleViolation(
                "commitment.due_beyond_limit",
                "the due date must be after signing and no later than "
                + (min(limits).isoformat() if limits else "signing"),
            )
        commitment_id = uuid4()
        self.trigger_event(
            self.CommitmentSigned,
            actor=actor,
            occurred_at=occurred_at,
            exception_id=exception_id,
            commitment_id=commitment_id,
            due_at=due_at,
            **fields,
        )
        return commitment_id

    def fulfil_commitment(
        self, *, actor: Actor, occurred_at: datetime, commitment_id: UUID, **fields: Any
    ) -> None:
        self._require_holder(actor)
        record, _ = self._open_commitment(commitment_id)
        self.trigger_event(
            self.CommitmentFulfilled,
            actor=actor,
            occurred_at=occurred_at,
            exception_id=record.exception_id,
            commitment_id=commitment_id,
            **fields,
        )

    def breach_commitment(
        self, *, actor: Actor, occurred_at: datetime, commitment_id: UUID
    ) -> None:
        record, commitment = self._open_commitment(commitment_id)
        if occurred_at <= commitment.due_at:
            raise RuleViolation(
                "commitment.not_yet_due", f"the commitment is due {commitment.due_at.isoformat()}"
            )
        self.trigger_event(
            self.CommitmentBreached,
            actor=actor,
            occurred_at=occurred_at,
            exception_id=record.exception_id,
            commitment_id=commitment_id,
            consequence=record.breach_consequence,
        )

    def _open_commitment(self, commitment_id: UUID) -> tuple[ExceptionRecord, Commitment]:
        for record in self.state.exceptions:
            for commitment in record.commitments:
                if commitment.commitment_id == commitment_id:
                    if commitment.status is not CommitmentStatus.OPEN:
                        raise RuleViolation(
                            "commitment.already_settled", f"the commitment is {commitment.status}"
                        )
                    return record, commitment
        raise RuleViolation("commitment.unknown", f"no commitment {commitment_id} on this case")


COMMANDS: dict[str, tuple[str, str | None]] = {
    "CommitmentSigned": ("sign_commitment", "commitment_id"),
    "CommitmentFulfilled": ("fulfil_commitment", None),
    "CommitmentBreached": ("breach_commitment", None),
}
TIMED = frozenset({"CommitmentSigned"})
