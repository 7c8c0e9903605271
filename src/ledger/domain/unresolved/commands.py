"""The 办不成事 commands and events of a case: a report on three axes (cause, resolvability,
tier), its clock (`deadlines`), the 专班, the closure after 反馈 and 核查 (`process`), the
否定答复 report every refusal is recorded in, and the root causes and process fixes that should
leave the window with nothing to do (seed 004; domain brief §3).

A report may be made on a case that was refused or completed: a refusal is exactly what gets
reported, and a report often closes after the matter it helped with did.

**否定答复报告机制** (domain brief §3 Controls, S14: staff may not say "no" without reporting
it). A refusal (`AcceptanceRefused`, 不予受理; `Completed` as `denied`, 不予许可) is recorded in a
办不成事 report: the case's open report if it has one, else one filed with the refusal, in the
same command (`file_negative_answer`), so no refusal can exist without its report. Beijing's own
definition makes a refused acceptance or approval a 办不成事 (seed 001); the report's clock and
its 核查 by someone outside the refusing unit are the control, and one from the applicant's own
fault is closed `excluded_own_cause` after that check, not hidden before it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast
from uuid import UUID, uuid4

from ledger.domain import clock
from ledger.domain.clock import Clock
from ledger.domain.errors import RuleViolation
from ledger.domain.events import CaseCommands, CaseEvent
from ledger.domain.policy import Timing
from ledger.domain.state import CaseState
from ledger.domain.unresolved import process
from ledger.domain.unresolved.deadlines import report_clock
from ledger.domain.unresolved.process import ReportEvent, UnresolvedProcessCommands
from ledger.domain.unresolved.records import (
    ImprovementAction,
    Resolvability,
    RootCause,
    SpecialTeam,
    UnresolvedCause,
    UnresolvedClosure,
    UnresolvedReport,
    UnresolvedTier,
)
from ledger.domain.values import Actor


class UnresolvedCommands(UnresolvedProcessCommands):
    class UnresolvedReported(CaseEvent):
        report_id: UUID
        cause: UnresolvedCause
        resolvability: Resolvability
        tier: UnresolvedTier
        description: str
        clock: Clock | None  # due by the shorter of the tier's and resolvability's limits
        unit: str | None = None  # the unit and window it concerns; None before they were kept
        window: str | None = None
        negative_answer: bool = False  # filed with a refusal (否定答复报告)

        def fold(self, state: CaseState) -> None:
            state.unresolved.append(
                UnresolvedReport(
                    report_id=self.report_id,
                    cause=self.cause,
                    resolvability=self.resolvability,
                    tier=self.tier,
                    description=self.description,
                    reported_by=self.actor.id,
                    reported_at=self.occurred_at,
                    clock=clock.copied(self.clock),
                    unit=self.unit,
                    window=self.window,
                    negative_answer=self.negative_answer,
                )
            )

    class SpecialTeamAssigned(ReportEvent):
        lead: str
        members: list[str]

        def fold(self, state: CaseState) -> None:
            self.report(state).team = SpecialTeam(
                lead=self.lead,
                members=list(self.members),
                assigned_by=self.actor.id,
                assigned_at=self.occurred_at,
            )

    class UnresolvedClosed(ReportEvent):
        closure: UnresolvedClosure
        explanation: str | None
        redirected_to: str | None

        def fold(self, state: CaseState) -> None:
            report = self.report(state)
            report.closure = self.closure
            report.explanation = self.explanation
            report.redirected_to = self.redirected_to
            report.closed_by = self.actor.id
            report.closed_at = self.occurred_at

    class RootCauseRecorded(ReportEvent):
        root_cause_id: UUID
        cause: UnresolvedCause
        key: str
        description: str

        def fold(self, state: CaseState) -> None:
            self.report(state).root_causes.append(
                RootCause(
                    root_cause_id=self.root_cause_id,
                    cause=self.cause,
                    key=self.key,
                    description=self.description,
                    recorded_by=self.actor.id,
                    recorded_at=self.occurred_at,
                )
            )

    class ImprovementActionOpened(ReportEvent):
        action_id: UUID
        root_cause_id: UUID | None
        action: str
        owner_unit: str

        def fold(self, state: CaseState) -> None:
            self.report(state).actions.append(
                ImprovementAction(
                    action_id=self.action_id,
                    root_cause_id=self.root_cause_id,
                    action=self.action,
                    owner_unit=self.owner_unit,
                    opened_by=self.actor.id,
                    opened_at=self.occurred_at,
                )
            )

    class ImprovementActionCompleted(ReportEvent):
        action_id: UUID
        result: str

        def fold(self, state: CaseState) -> None:
            action = next(a for a in self.report(state).actions if a.action_id == self.action_id)
            action.completed_at = self.occurred_at
            action.result = self.result

    # --- commands ----------------------------------------------------------------------------

    def report_unresolved(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        timing: Timing | None,
        resolvability: Resolvability,
        tier: UnresolvedTier,
        unit: str | None = None,
        window: str | None = None,
        negative_answer: bool = False,
        **fields: Any,
    ) -> UUID:
        """The unit and window concerned default to the case's now."""
        if any(r.closed_at is None for r in self.state.unresolved):
            raise RuleViolation(
                "unresolved.already_open", "a 办不成事 report on this case is still open"
            )
        started = None
        if timing is not None:
            started = report_clock(timing, resolvability, tier, occurred_at)
        report_id = uuid4()
        self.trigger_event(
            self.UnresolvedReported,
            actor=actor,
            occurred_at=occurred_at,
            report_id=report_id,
            resolvability=resolvability,
            tier=tier,
            clock=started,
            unit=unit or self.state.department,
            window=window if window is not None else self.state.window,
            negative_answer=negative_answer,
            **fields,
        )
        return report_id

    def file_negative_answer(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        timing: Timing | None,
        cause: UnresolvedCause,
        description: str,
    ) -> UUID:
        """The report a refusal is recorded in (否定答复报告): the open one, else one filed now,
        classified as the refusing staff claim it (办不了), referred (complex) for its 核查."""
        if open_report := next((r for r in self.state.unresolved if r.closed_at is None), None):
            return open_report.report_id
        return self.report_unresolved(
            actor=actor,
            occurred_at=occurred_at,
            timing=timing,
            cause=cause,
            resolvability=Resolvability.CANNOT_DO,
            tier=UnresolvedTier.COMPLEX,
            description=description,
            negative_answer=True,
        )

    def assign_special_team(
        self, *, actor: Actor, occurred_at: datetime, report_id: UUID, **fields: Any
    ) -> None:
        self._open_report(report_id)
        self.trigger_event(
            self.SpecialTeamAssigned,
            actor=actor,
            occurred_at=occurred_at,
            report_id=report_id,
            **fields,
        )

    def close_unresolved(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        report_id: UUID,
        closure: UnresolvedClosure,
        explanation: str | None,
        redirected_to: str | None,
    ) -> None:
        report = self._open_report(report_id)
        if closure.needs_explanation and not explanation:
            raise RuleViolation(
                "unresolved.explanation_missing",
                f"a report closed as {closure} says why (the applicant is told so)",
            )
        if (closure is UnresolvedClosure.REDIRECTED) != (redirected_to is not None):
            raise RuleViolation(
                "unresolved.redirect_mismatch",
                "a redirected report names where to, and only a redirected one",
            )
        self._require_closable(report, actor, closure)
        self.trigger_event(
            self.UnresolvedClosed,
            actor=actor,
            occurred_at=occurred_at,
            report_id=report_id,
            closure=closure,
            explanation=explanation,
            redirected_to=redirected_to,
        )

    def record_root_cause(
        self, *, actor: Actor, occurred_at: datetime, report_id: UUID, **fields: Any
    ) -> UUID:
        self._report(report_id)
        root_cause_id = uuid4()
        self.trigger_event(
            self.RootCauseRecorded,
            actor=actor,
            occurred_at=occurred_at,
            report_id=report_id,
            root_cause_id=root_cause_id,
            **fields,
        )
        return root_cause_id

    def open_improvement(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        report_id: UUID,
        root_cause_id: UUID | None,
        **fields: Any,
    ) -> UUID:
        report = self._report(report_id)
        if root_cause_id is not None and all(
            c.root_cause_id != root_cause_id for c in report.root_causes
        ):
            raise RuleViolation(
                "unresolved.unknown_root_cause", f"no root cause {root_cause_id} on this report"
            )
        action_id = uuid4()
        self.trigger_event(
            self.ImprovementActionOpened,
            actor=actor,
            occurred_at=occurred_at,
            report_id=report_id,
            action_id=action_id,
            root_cause_id=root_cause_id,
            **fields,
        )
        return action_id

    def complete_improvement(
        self, *, actor: Actor, occurred_at: datetime, action_id: UUID, result: str
    ) -> None:
        for report in self.state.unresolved:
            for action in report.actions:
                if action.action_id == action_id:
                    if action.completed_at is not None:
                        raise RuleViolation(
                            "improvement.already_completed", "the action was completed"
                        )
                    self.trigger_event(
                        self.ImprovementActionCompleted,
                        actor=actor,
                        occurred_at=occurred_at,
                        report_id=report.report_id,
                        action_id=action_id,
                        result=result,
                    )
                    return
        raise RuleViolation("improvement.unknown", f"no improvement action {action_id}")


def negative_answer(
    case: CaseCommands,
    actor: Actor,
    occurred_at: datetime,
    timing: Timing | None,
    *,
    refused: dict[str, Any] | None = None,
    denied: dict[str, Any] | None = None,
) -> UUID:
    """For a refusal in another group of commands (`lifecycle`; `case` is the whole `Case`): the
    办不成事 report it is recorded in. `refused`: an `AcceptanceRefused`'s fields (不予受理);
    `denied`: a `Completed` as denied (不予许可)."""
    if refused is not None:
        cause = UnresolvedCause.ACCEPTANCE
        said = f"否定答复（不予受理）: {refused.get('reason')}; 依据: {refused.get('legal_basis')}"
    else:
        cause = UnresolvedCause.APPROVAL_STEP
        said = f"否定答复（不予许可）: {(denied or {}).get('summary') or '经审查不予许可'}"
    return cast("UnresolvedCommands", case).file_negative_answer(
        actor=actor, occurred_at=occurred_at, timing=timing, cause=cause, description=said
    )


COMMANDS: dict[str, tuple[str, str | None]] = {
    "UnresolvedReported": ("report_unresolved", "report_id"),
    "SpecialTeamAssigned": ("assign_special_team", None),
    "UnresolvedClosed": ("close_unresolved", None),
    "RootCauseRecorded": ("record_root_cause", "root_cause_id"),
    "ImprovementActionOpened": ("open_improvement", "action_id"),
    "ImprovementActionCompleted": ("complete_improvement", None),
    **process.COMMANDS,
}
TIMED = frozenset({"UnresolvedReported"})
