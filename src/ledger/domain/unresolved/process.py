"""The steps of a 办不成事 report after it is worked, and the window's consultations.

The process is 受理 → 分类 → 转办 → 办结 → 反馈 → 核查 → 备案 (domain brief §3, S14). 受理 and 分类
are the report (`UnresolvedReported`, its three axes), 转办 its 专班 and hand-offs; here are
反馈 (`UnresolvedFeedbackGiven`: the outcome the applicant was told, how, and what they said)
and 核查 (`UnresolvedVerified`: someone independent checks that outcome), which the closure
(`UnresolvedClosed`, 办结 and 备案 in the register) needs: closed only after a 反馈 whose 核查
confirmed it, as fed back, and by someone other than the reporter and the staff of the unit the
report concerns. Who is independent is decided once, here (`not_independent`).

A consultation (`ConsultationRecorded`) is a question the window answered: no clock, no report,
only a count per window and matter, so the demand shows (seed 001).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4  # runtime import: events are decoded against these types

from ledger.domain.errors import RuleViolation
from ledger.domain.events import CaseCommands, CaseEvent
from ledger.domain.permissions import FRONT_LINE_ROLES
from ledger.domain.state import CaseState
from ledger.domain.unresolved.records import (
    Consultation,
    Feedback,
    FeedbackMethod,
    UnresolvedClosure,
    UnresolvedReport,
    Verification,
)
from ledger.domain.values import Actor


class ReportEvent(CaseEvent):
    report_id: UUID

    def report(self, state: CaseState) -> UnresolvedReport:
        found = state.report(self.report_id)
        assert found is not None, "commands check the report exists"
        return found


def not_independent(actor: Actor, report: UnresolvedReport, state: CaseState) -> str | None:
    """Why `actor` may not check or close `report`, or None: they reported it, or they are staff
    of the unit it concerns (the case's holder when reported, for a report that predates `unit`)
    or of a unit whose refusal (否定答复) it records."""
    if actor.id == report.reported_by:
        return f"{actor.id} reported it"
    units = [report.unit or state.department, *report.refusing_units]
    if actor.unit in units and FRONT_LINE_ROLES.intersection(actor.roles):
        return f"{actor.id} is staff of {actor.unit}, which it concerns or whose refusal it records"
    return None


def record_refusal(state: CaseState, report_id: UUID | None) -> None:
    """Fold a refusal (否定答复) into the report it names: its holder refused."""
    report = state.report(report_id) if report_id is not None else None
    if report is not None and state.department not in report.refusing_units:
        report.refusing_units.append(state.department)


class UnresolvedProcessCommands(CaseCommands):
    class UnresolvedFeedbackGiven(ReportEvent):
        """反馈: the outcome the applicant was told (a closure type), how, and their answer."""

        outcome: UnresolvedClosure
        method: FeedbackMethod
        content: str
        response: str | None = None

        def fold(self, state: CaseState) -> None:
            self.report(state).feedbacks.append(
                Feedback(
                    outcome=self.outcome,
                    method=self.method,
                    content=self.content,
                    response=self.response,
                    given_by=self.actor.id,
                    given_at=self.occurred_at,
                )
            )

    class UnresolvedVerified(ReportEvent):
        """核查 of the last 反馈; not confirmed, the report goes back to its handlers."""

        confirmed: bool
        note: str

        def fold(self, state: CaseState) -> None:
            report = self.report(state)
            report.verifications.append(
                Verification(
                    confirmed=self.confirmed,
                    note=self.note,
                    feedback_no=len(report.feedbacks),
                    verified_by=self.actor.id,
                    verified_at=self.occurred_at,
                )
            )

    class ConsultationRecorded(CaseEvent):
        consultation_id: UUID
        question: str
        answer: str  # the way the person was shown (办事途径)
        referred_to: str | None
        unit: str
        window: str | None  # where it was answered

        def fold(self, state: CaseState) -> None:
            state.consultations.append(
                Consultation(
                    consultation_id=self.consultation_id,
                    question=self.question,
                    answer=self.answer,
                    referred_to=self.referred_to,
                    unit=self.unit,
                    window=self.window,
                    recorded_by=self.actor.id,
                    recorded_at=self.occurred_at,
                )
            )

    # --- commands ----------------------------------------------------------------------------

    def give_unresolved_feedback(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        report_id: UUID,
        outcome: UnresolvedClosure,
        method: FeedbackMethod,
        content: str,
        response: str | None = None,
    ) -> None:
        self._open_report(report_id)
        self.trigger_event(
            self.UnresolvedFeedbackGiven,
            actor=actor,
            occurred_at=occurred_at,
            report_id=report_id,
            outcome=outcome,
            method=method,
            content=content,
            response=response,
        )

    def verify_unresolved(
        self, *, actor: Actor, occurred_at: datetime, report_id: UUID, confirmed: bool, note: str
    ) -> None:
        report = self._open_report(report_id)
        checked = report.verifications[-1].feedback_no if report.verifications else 0
        if len(report.feedbacks) == checked:
            raise RuleViolation(
                "unresolved.nothing_to_verify", "核查 checks a 反馈 given since the last 核查"
            )
        if why := not_independent(actor, report, self.state):
            raise RuleViolation(
                "unresolved.verification_not_independent",
                f"核查 is by someone other than the reporter and the unit concerned: {why}",
            )
        self.trigger_event(
            self.UnresolvedVerified,
            actor=actor,
            occurred_at=occurred_at,
            report_id=report_id,
            confirmed=confirmed,
            note=note,
        )

    def record_consultation(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        question: str,
        answer: str,
        referred_to: str | None = None,
        unit: str | None = None,
        window: str | None = None,
    ) -> None:
        """Where it was answered: the unit and window named, else the recording staff's unit and
        the case's window."""
        self.trigger_event(
            self.ConsultationRecorded,
            actor=actor,
            occurred_at=occurred_at,
            consultation_id=uuid4(),
            question=question,
            answer=answer,
            referred_to=referred_to,
            unit=unit or actor.unit or self.state.department,
            window=window if window is not None else self.state.window,
        )

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

    def _require_closable(
        self, report: UnresolvedReport, actor: Actor, closure: UnresolvedClosure
    ) -> None:
        """办结/备案 follows a 反馈 confirmed by 核查, as fed back, by someone independent."""
        if why := not_independent(actor, report, self.state):
            raise RuleViolation(
                "unresolved.closure_not_independent",
                f"a report is closed by someone other than the reporter and the unit concerned: "
                f"{why}",
            )
        if not report.feedbacks:
            raise RuleViolation(
                "unresolved.feedback_missing", "the applicant is told the outcome (反馈) first"
            )
        if not report.verified:
            raise RuleViolation(
                "unresolved.not_verified", "the last 反馈 is confirmed by a 核查 before closure"
            )
        if closure is not report.feedbacks[-1].outcome:
            raise RuleViolation(
                "unresolved.closure_not_as_fed_back",
                f"the applicant was told {report.feedbacks[-1].outcome}, not {closure}",
            )


COMMANDS: dict[str, tuple[str, str | None]] = {
    "UnresolvedFeedbackGiven": ("give_unresolved_feedback", None),
    "UnresolvedVerified": ("verify_unresolved", None),
    "ConsultationRecorded": ("record_consultation", None),
}
