"""Stopping and lengthening a case's clock: pauses and resumptions (补正, 听证, 专家评审 …), and
extensions requested and decided (延期) (`PauseAndExtensionCommands`).

A resumption and an approved extension each carry the moved clock (`ClockUpdate`), computed once
with the calendar in force, so replay never recounts a deadline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4  # runtime import: events are decoded against these types

from ledger.domain import clock
from ledger.domain.clock import ClockUpdate, Extension, ExtensionStatus, PauseReason
from ledger.domain.errors import RuleViolation
from ledger.domain.events import CaseCommands, CaseEvent
from ledger.domain.policy import Timing
from ledger.domain.state import CaseState
from ledger.domain.values import Actor, CaseStatus, Decision, LimitUnit, TimeLimit


class PauseAndExtensionCommands(CaseCommands):
    """What stops a case's clock for a while, and what gives it more working days."""

    class ClockPaused(CaseEvent):
        reason: PauseReason
        note: str | None = None

        def fold(self, state: CaseState) -> None:
            state.paused_since = self.occurred_at
            state.pause_reason = self.reason

    class ClockResumed(CaseEvent):
        note: str | None = None
        clock: ClockUpdate | None = None  # the deadline moved by the pause's working time

        def fold(self, state: CaseState) -> None:
            state.end_pause(self.occurred_at)
            clock.move(state.clock, self.clock)

    class ExtensionRequested(CaseEvent):
        extension_id: UUID
        working_days: int
        reason: str

        def fold(self, state: CaseState) -> None:
            state.extensions.append(
                Extension(
                    extension_id=self.extension_id,
                    working_days=self.working_days,
                    reason=self.reason,
                    requested_by=self.actor.id,
                    requested_at=self.occurred_at,
                )
            )

    class ExtensionDecided(CaseEvent):
        extension_id: UUID
        decision: Decision
        opinion: str | None = None
        clock: ClockUpdate | None = None  # an approved extension lengthens the limit

        def fold(self, state: CaseState) -> None:
            extension = state.extension(self.extension_id)
            assert extension is not None, "commands check the extension exists"
            extension.status = (
                ExtensionStatus.APPROVED
                if self.decision is Decision.APPROVE
                else ExtensionStatus.REJECTED
            )
            extension.decided_by = self.actor.id
            extension.decided_at = self.occurred_at
            extension.opinion = self.opinion
            clock.move(state.clock, self.clock)

    def pause_clock(self, *, actor: Actor, occurred_at: datetime, **fields: Any) -> None:
        self._require_holder(actor)
        if self.state.paused_since is not None:
            raise RuleViolation("clock.already_paused", "the clock is already paused")
        self.trigger_event(self.ClockPaused, actor=actor, occurred_at=occurred_at, **fields)

    def resume_clock(
        self, *, actor: Actor, occurred_at: datetime, timing: Timing | None, **fields: Any
    ) -> None:
        self._require_holder(actor)
        paused_since = self.state.paused_since
        if paused_since is None:
            raise RuleViolation("clock.not_paused", "the clock is not paused")
        if occurred_at < paused_since:
            raise RuleViolation("clock.resumed_before_pause", "resumption precedes the pause")
        update = None
        if timing is not None and self.state.clock is not None:
            pauses = [*self.state.pauses, (paused_since, occurred_at)]
            update = clock.moved(self.state.clock, timing.calendar, pauses)
        self.trigger_event(
            self.ClockResumed, actor=actor, occurred_at=occurred_at, clock=update, **fields
        )

    def request_extension(self, *, actor: Actor, occurred_at: datetime, **fields: Any) -> UUID:
        self._require_holder(actor)
        if self.state.status is not CaseStatus.ACCEPTED:
            raise RuleViolation("extension.case_not_accepted", "only an accepted case can extend")
        if any(e.status is ExtensionStatus.PENDING for e in self.state.extensions):
            raise RuleViolation("extension.already_pending", "an extension awaits a decision")
        extension_id = uuid4()
        self.trigger_event(
            self.ExtensionRequested,
            actor=actor,
            occurred_at=occurred_at,
            extension_id=extension_id,
            **fields,
        )
        return extension_id

    def decide_extension(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        extension_id: UUID,
        timing: Timing | None,
        decision: Decision,
        **fields: Any,
    ) -> None:
        self._require_holder(actor)
        extension = self.state.extension(extension_id)
        if extension is None:
            raise RuleViolation("extension.unknown", f"no extension {extension_id} on this case")
        if extension.status is not ExtensionStatus.PENDING:
            raise RuleViolation("extension.already_decided", "that extension was decided")
        if extension.requested_by == actor.id:
            raise RuleViolation("extension.self_decision", "the requester cannot decide it")
        update = None
        running = self.state.clock
        if decision is Decision.APPROVE and timing is not None and running is not None:
            if running.limit.unit is not LimitUnit.WORKING_DAYS:
                raise RuleViolation(
                    "extension.unit_mismatch",
                    f"extensions are in working days; this clock runs in {running.limit.unit}",
                )
            longer = TimeLimit(
                value=running.limit.value + extension.working_days, unit=running.limit.unit
            )
            update = clock.moved(running, timing.calendar, self.state.pauses, longer)
        self.trigger_event(
            self.ExtensionDecided,
            actor=actor,
            occurred_at=occurred_at,
            extension_id=extension_id,
            decision=decision,
            clock=update,
            **fields,
        )


COMMANDS: dict[str, tuple[str, str | None]] = {
    "ClockPaused": ("pause_clock", None),
    "ClockResumed": ("resume_clock", None),
    "ExtensionRequested": ("request_extension", "extension_id"),
    "ExtensionDecided": ("decide_extension", None),
}
TIMED = frozenset({"ClockResumed", "ExtensionDecided"})
