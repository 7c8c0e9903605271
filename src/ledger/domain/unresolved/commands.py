"""The 办不成事 commands and events of a case: a report on three axes (cause, resolvability,
tier), its clock by tier, the 专班, the closure, and the root causes and process fixes that should
leave the window with nothing to do (seed 004; domain brief §3).

A report may be made on a case that was refused or completed: a refusal is exactly what gets
reported, and a report often closes after the matter it helped with did.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from ledger.domain import clock, policy_clocks
from ledger.domain.clock import Clock
from ledger.domain.errors import RuleViolation
from ledger.domain.events import CaseCommands, CaseEvent
from ledger.domain.policy import Timing
from ledger.domain.state import CaseState
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


class ReportEvent(CaseEvent):
    report_id: UUID

    def report(self, state: CaseState) -> UnresolvedReport:
        found = state.report(self.report_id)
        assert found is not None, "commands check the report exists"
        return found


class UnresolvedCommands(CaseCommands):
    class UnresolvedReported(CaseEvent):
        report_id: UUID
        cause: UnresolvedCause
        resolvability: Resolvability
        tier: UnresolvedTier
        description: str
        clock: Clock | None  # due by the tier's limit in the centre's policy

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
        tier: UnresolvedTier,
        **fields: Any,
    ) -> UUID:
        if any(r.closed_at is None for r in self.state.unresolved):
            raise RuleViolation(
                "unresolved.already_open", "a 办不成事 report on this case is still open"
            )
        started = None
        if timing is not None:
            rule = timing.policy.unresolved_tiers[tier]
            started = policy_clocks.started(timing, rule, occurred_at)
        report_id = uuid4()
        self.trigger_event(
            self.UnresolvedReported,
            actor=actor,
            occurred_at=occurred_at,
            report_id=report_id,
            tier=tier,
            clock=started,
            **fields,
        )
        return report_id

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
        self._open_report(report_id)
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

    # --- guards ------------------------------------------------------------------------------

    def _report(self, report_id: UUID) -> UnresolvedReport:
        report = self.state.report(report_id)
        if report is None:
            raise RuleViolation(
                "unresolved.unknown_report", f"no 办不成事 report {report_id} on this case"
            )
        return report

    def _open_report(self, report_id: UUID) -> UnresolvedReport:
        report = self._report(report_id)
        if report.closed_at is not None:
            raise RuleViolation("unresolved.already_closed", f"the report was {report.closure}")
        return report


COMMANDS: dict[str, tuple[str, str | None]] = {
    "UnresolvedReported": ("report_unresolved", "report_id"),
    "SpecialTeamAssigned": ("assign_special_team", None),
    "UnresolvedClosed": ("close_unresolved", None),
    "RootCauseRecorded": ("record_root_cause", "root_cause_id"),
    "ImprovementActionOpened": ("open_improvement", "action_id"),
    "ImprovementActionCompleted": ("complete_improvement", None),
}
TIMED = frozenset({"UnresolvedReported"})
