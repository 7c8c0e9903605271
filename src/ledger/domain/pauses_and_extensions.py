"""Stopping and lengthening a case's clock: pauses and resumptions (补正, 听证, 专家评审 …), and
extensions requested and decided (延期) (`PauseAndExtensionCommands`).

A resumption and an approved extension each carry the moved clock (`ClockUpdate`), computed once
with the calendar in force, so replay never recounts a deadline.

The law's rules, checked in the commands only (events stored before them replay as they were):
- only the statutory exclusions (`clock.STATUTORY_PAUSES`: 补正, 第四十五条) stop the clock on the
  front line's word; any other reason needs the licensing department's head (`ORGAN_HEAD`), who
  records the pause with its evidence (this ledger's choice: the only lawful lengthening of the
  limit, 第四十二条, is that head's to approve);
- an extension is asked before the clock expires, its approved total stays within the policy's
  cap (第四十二条: 延长十日), and an approval records how the applicant was told the reason; who
  decides is `permissions` (`ORGAN_HEAD`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4  # runtime import: events are decoded against these types

from ledger.domain import clock
from ledger.domain.clock import (
    STATUTORY_PAUSES,
    ClockUpdate,
    Extension,
    ExtensionStatus,
    PauseReason,
)
from ledger.domain.errors import RuleViolation
from ledger.domain.events import CaseCommands, CaseEvent
from ledger.domain.lifecycle import NoticeChannel
from ledger.domain.permissions import ORGAN_HEAD
from ledger.domain.policy import Timing
from ledger.domain.state import CaseState
from ledger.domain.values import Actor, CaseStatus, Decision, LimitUnit, TimeLimit


class PauseAndExtensionCommands(CaseCommands):
    """What stops a case's clock for a while, and what gives it more working days."""

    class ClockPaused(CaseEvent):
        reason: PauseReason
        note: str | None = None
        evidence: str | None = None  # what a non-statutory pause rests on (its approver's record)

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
        notified_via: NoticeChannel | None = None  # how the applicant was told the reason

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
            extension.notified_via = self.notified_via
            clock.move(state.clock, self.clock)

    def pause_clock(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        reason: PauseReason,
        evidence: str | None = None,
        **fields: Any,
    ) -> None:
        self._require_holder(actor)
        if self.state.paused_since is not None:
            raise RuleViolation("clock.already_paused", "the clock is already paused")
        if reason not in STATUTORY_PAUSES:
            if ORGAN_HEAD not in actor.roles:
                raise RuleViolation(
                    "clock.pause_needs_approval",
                    f"reason {reason} is not a statutory exclusion (补正; 行政许可法 第四十五条): "
                    f"only the department head ({ORGAN_HEAD}) may stop the clock for it",
                )
            if not (evidence or "").strip():
                raise RuleViolation(
                    "clock.pause_needs_evidence",
                    f"evidence: a pause for {reason} records what it rests on",
                )
        self.trigger_event(
            self.ClockPaused,
            actor=actor,
            occurred_at=occurred_at,
            reason=reason,
            evidence=evidence,
            **fields,
        )

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

    def request_extension(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        timing: Timing | None,
        working_days: int,
        **fields: Any,
    ) -> UUID:
        self._require_holder(actor)
        if self.state.status is not CaseStatus.ACCEPTED:
            raise RuleViolation("extension.case_not_accepted", "only an accepted case can extend")
        if any(e.status is ExtensionStatus.PENDING for e in self.state.extensions):
            raise RuleViolation("extension.already_pending", "an extension awaits a decision")
        running = self.state.clock
        # A pause that began in time has yet to move the deadline: the clock has not expired.
        if running is not None and (self.state.paused_since or occurred_at) > running.due_at:
            raise RuleViolation(
                "extension.after_expiry",
                f"occurred_at: the clock expired at {running.due_at.isoformat()}; "
                "an extension is asked before it (行政许可法 第四十二条)",
            )
        self._require_within_cap(timing, working_days)
        extension_id = uuid4()
        self.trigger_event(
            self.ExtensionRequested,
            actor=actor,
            occurred_at=occurred_at,
            extension_id=extension_id,
            working_days=working_days,
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
        if decision is Decision.APPROVE:
            if fields.get("notified_via") is None:
                raise RuleViolation(
                    "extension.applicant_not_told",
                    "notified_via: an approval records how the applicant is told the reason "
                    "(行政许可法 第四十二条: 应当将延长期限的理由告知申请人)",
                )
            self._require_within_cap(timing, extension.working_days)
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

    def _require_within_cap(self, timing: Timing | None, working_days: int) -> None:
        """The approved extensions and this one stay within the policy's cap (第四十二条)."""
        if timing is None:
            return
        cap = timing.policy.case_clock.extension_cap
        approved = sum(
            e.working_days for e in self.state.extensions if e.status is ExtensionStatus.APPROVED
        )
        if approved + working_days > cap.value:
            raise RuleViolation(
                "extension.over_cap",
                f"working_days: {approved} approved + {working_days} asked > {cap.value} "
                f"{cap.unit} ({timing.policy.cite(cap)})",
            )


COMMANDS: dict[str, tuple[str, str | None]] = {
    "ClockPaused": ("pause_clock", None),
    "ClockResumed": ("resume_clock", None),
    "ExtensionRequested": ("request_extension", "extension_id"),
    "ExtensionDecided": ("decide_extension", None),
}
TIMED = frozenset({"ClockResumed", "ExtensionRequested", "ExtensionDecided"})
