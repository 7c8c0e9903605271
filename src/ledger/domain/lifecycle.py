"""A case's own path through the centre (`LifecycleCommands`): visits, the one-time notice
(一次性告知) and the materials supplied against it, acceptance (受理) or refusal, completion (办结),
reopening, corrections of the record, and the duty officer's interventions; with the values only
they use.

Acceptance starts the promised clock; acceptance and completion may rely on a granted exception
(容缺受理, 特事特办), which they mark as used.

The 5-day rule (行政许可法 第三十二条): the first one-time notice records when it was due, five
working days after receipt (the policy's `case_clock.notice_within`); one given later is flagged
(`one_time_notice.late`) and the application counts as accepted on receipt, so the clock that
acceptance starts counts from receipt; so does an acceptance that itself comes after that limit
with no notice at all. Checked in the commands; stored events replay as they were.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID  # runtime import: events are decoded against these types

from ledger.domain import clock, policy_clocks
from ledger.domain.clock import Clock
from ledger.domain.errors import RuleViolation
from ledger.domain.events import CaseCommands, CaseEvent
from ledger.domain.exceptions.approvals import mark_used, waived_items
from ledger.domain.policy import Timing
from ledger.domain.state import CaseState
from ledger.domain.unresolved.commands import negative_answer
from ledger.domain.unresolved.process import record_refusal
from ledger.domain.values import Actor, CaseStatus, Outcome


class NoticeChannel(StrEnum):
    WRITTEN = "written"  # 《一次性告知单》 handed over
    IN_PERSON = "in_person"
    PHONE = "phone"
    ONLINE = "online"
    SMS = "sms"


class SuppliedVia(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    PHONE = "phone"
    WECHAT = "wechat"
    MAIL = "mail"
    DATA_SHARING = "data_sharing"  # pushed between systems (政务数据共享)


class EscalationThreat(StrEnum):
    """Whether the applicant threatened to escalate (e.g. call 12345) and what came of it."""

    NONE = "none"
    DEFUSED = "defused"
    NOT_DEFUSED = "not_defused"


class LifecycleCommands(CaseCommands):
    """From the first visit to completion or refusal, and back by reopening."""

    class VisitRecorded(CaseEvent):
        ticket: str | None = None
        note: str | None = None

        def fold(self, state: CaseState) -> None:
            state.visits += 1

    class OneTimeNoticeIssued(CaseEvent):
        items: list[str]
        channel: NoticeChannel
        signed_receipt: bool
        flags: list[str]
        due_at: datetime | None = None  # the first notice's limit: 5 working days from receipt

        def fold(self, state: CaseState) -> None:
            if self.due_at is not None and state.notice_due_at is None:
                state.first_notice_at, state.notice_due_at = self.occurred_at, self.due_at
            state.notice_items += [i for i in self.items if i not in state.notice_items]
            state.flags += self.flags
            if state.outstanding_items:
                state.status = CaseStatus.AWAITING_MATERIALS

    class MaterialsSupplied(CaseEvent):
        items: list[str]
        via: SuppliedVia

        def fold(self, state: CaseState) -> None:
            state.supplied_items += [i for i in self.items if i not in state.supplied_items]
            if state.status is CaseStatus.AWAITING_MATERIALS and not state.outstanding_items:
                state.status = CaseStatus.RECEIVED

    class Accepted(CaseEvent):
        note: str | None = None
        clock: Clock | None = None  # the promised limit starts here (受理)
        exception_id: UUID | None = None  # a granted exception it relies on (e.g. 容缺受理)

        def fold(self, state: CaseState) -> None:
            state.status = CaseStatus.ACCEPTED
            state.accepted_at = self.occurred_at
            mark_used(state, self.exception_id, self.occurred_at, self.actor.id)
            if self.clock is not None:
                state.clock = clock.copied(self.clock)

    class AcceptanceRefused(CaseEvent):
        reason: str
        legal_basis: str
        missing_materials: list[str]
        flags: list[str]
        report_id: UUID | None = None  # the 办不成事 report it is recorded in (否定答复)

        def fold(self, state: CaseState) -> None:
            state.status = CaseStatus.REFUSED
            state.closed_at = self.occurred_at
            state.refusal_reason = self.reason
            state.flags += self.flags
            state.end_pause(self.occurred_at)
            record_refusal(state, self.report_id)

    class Completed(CaseEvent):
        outcome: Outcome
        summary: str | None = None
        exception_id: UUID | None = None  # a granted exception it relies on (e.g. 特事特办)
        report_id: UUID | None = None  # denied: the 办不成事 report it is recorded in (否定答复)

        def fold(self, state: CaseState) -> None:
            mark_used(state, self.exception_id, self.occurred_at, self.actor.id)
            state.status = CaseStatus.COMPLETED
            state.closed_at = self.occurred_at
            state.outcome = self.outcome
            state.end_pause(self.occurred_at)
            record_refusal(state, self.report_id)

    class Reopened(CaseEvent):
        reason: str

        def fold(self, state: CaseState) -> None:
            state.status = CaseStatus.ACCEPTED if state.accepted_at else CaseStatus.RECEIVED
            state.closed_at = None
            state.outcome = None
            state.refusal_reason = None
            state.reopen_count += 1

    class CorrectionRecorded(CaseEvent):
        corrects_version: int
        reason: str
        corrected: dict[str, str]

        def fold(self, state: CaseState) -> None:
            state.corrected_versions.append(self.corrects_version)

    class DutyIntervention(CaseEvent):
        action: str
        escalation_threat: EscalationThreat
        threatened_channel: str | None = None
        note: str | None = None

        def fold(self, state: CaseState) -> None:
            state.interventions += 1

    def record_visit(self, *, actor: Actor, occurred_at: datetime, **fields: Any) -> None:
        self.trigger_event(self.VisitRecorded, actor=actor, occurred_at=occurred_at, **fields)

    def issue_one_time_notice(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        items: list[str],
        timing: Timing | None,
        **fields: Any,
    ) -> None:
        self._require_holder(actor)
        self._require_not_accepted("notice.case_already_accepted")
        listed = set(self.state.notice_items)
        flags = []
        if listed and set(items) - listed:
            # 一次性告知: a second notice adding items is the very failure the rule forbids.
            flags.append("one_time_notice.reissued_with_new_items")
        due_at = None
        if timing is not None and not listed:
            rule = timing.policy.case_clock.notice_within
            due_at = policy_clocks.due_at(timing, rule.limit, self.state.registered_at)
            if occurred_at > due_at:
                flags.append("one_time_notice.late")  # deemed accepted on receipt (第三十二条)
        self.trigger_event(
            self.OneTimeNoticeIssued,
            actor=actor,
            occurred_at=occurred_at,
            items=items,
            flags=flags,
            due_at=due_at,
            **fields,
        )

    def supply_materials(self, *, actor: Actor, occurred_at: datetime, **fields: Any) -> None:
        self._require_holder(actor)
        self.trigger_event(self.MaterialsSupplied, actor=actor, occurred_at=occurred_at, **fields)

    def accept(
        self, *, actor: Actor, occurred_at: datetime, timing: Timing | None, **fields: Any
    ) -> None:
        self._require_holder(actor)
        self._require_not_accepted("acceptance.already_accepted")
        covered = waived_items(self.state, fields.get("exception_id"), actor)
        if outstanding := [i for i in self.state.outstanding_items if i not in covered]:
            raise RuleViolation(
                "acceptance.materials_outstanding",
                f"{len(outstanding)} item(s) of the one-time notice are not supplied: "
                + "、".join(outstanding),
            )
        started = None
        if timing is not None:
            # A limit promised at registration is the centre's own promise; else the policy's.
            limit, source = timing.policy.promised_for(self.state.matter.code)
            if self.state.promised_limit is not None:
                limit, source = self.state.promised_limit, "promised at registration (version 1)"
            counted_from = occurred_at
            if late := self._deemed_accepted_on_receipt(timing, occurred_at):
                counted_from = self.state.registered_at
                source += (
                    f"; counted from receipt: {late} "
                    "(《中华人民共和国行政许可法》第三十二条: "
                    "逾期不告知的，自收到申请材料之日起即为受理)"
                )
            started = clock.start(
                timing.calendar,
                limit,
                source,
                timing.policy.version,
                counted_from,
                timing.policy.case_clock.working_hours,
            )
            if late and self.state.pauses:
                # Counted from receipt, it already owes the pauses since (a 补正 after the late
                # notice): as every later resumption would count them, so does its start.
                clock.move(started, clock.moved(started, timing.calendar, self.state.pauses))
        self.trigger_event(
            self.Accepted, actor=actor, occurred_at=occurred_at, clock=started, **fields
        )

    def refuse_acceptance(
        self, *, actor: Actor, occurred_at: datetime, missing_materials: list[str],
        timing: Timing | None = None, **fields: Any,
    ) -> UUID:  # fmt: skip
        self._require_holder(actor)
        self._require_not_accepted("acceptance.already_accepted")
        unlisted = [m for m in missing_materials if m not in self.state.notice_items]
        flags = ["one_time_notice.unlisted_material"] if unlisted else []
        report_id = negative_answer(self, actor, occurred_at, timing, refused=fields)  # 否定答复
        self.trigger_event(
            self.AcceptanceRefused,
            actor=actor,
            occurred_at=occurred_at,
            missing_materials=missing_materials,
            flags=flags,
            report_id=report_id,
            **fields,
        )
        return report_id

    def complete(
        self, *, actor: Actor, occurred_at: datetime, outcome: Outcome,
        timing: Timing | None = None, **fields: Any,
    ) -> UUID | None:  # fmt: skip
        self._require_holder(actor)
        # Only a granted exception may be cited, and not by one of its approvers.
        waived_items(self.state, fields.get("exception_id"), actor)
        if outcome is not Outcome.WITHDRAWN and self.state.status is not CaseStatus.ACCEPTED:
            raise RuleViolation("completion.not_accepted", "a case is accepted before completion")
        if pending := self.state.pending_handoffs:
            raise RuleViolation(
                "completion.handoff_pending",
                f"hand-off to {pending[0].to_department} is not yet signed for",
            )
        report_id = None
        if outcome is Outcome.DENIED:  # 不予许可: a 否定答复 too
            report_id = negative_answer(self, actor, occurred_at, timing, denied=fields)
        self.trigger_event(
            self.Completed, actor=actor, occurred_at=occurred_at, outcome=outcome,
            report_id=report_id, **fields,
        )  # fmt: skip
        return report_id

    def reopen(self, *, actor: Actor, occurred_at: datetime, **fields: Any) -> None:
        self._require_holder(actor)
        if not self.state.status.is_closed:
            raise RuleViolation("reopen.not_closed", "only a completed or refused case reopens")
        self.trigger_event(self.Reopened, actor=actor, occurred_at=occurred_at, **fields)

    def record_correction(
        self, *, actor: Actor, occurred_at: datetime, corrects_version: int, **fields: Any
    ) -> None:
        if not 1 <= corrects_version <= self.version:
            raise RuleViolation(
                "correction.unknown_version",
                f"version {corrects_version} is not in 1..{self.version}",
            )
        self.trigger_event(
            self.CorrectionRecorded,
            actor=actor,
            occurred_at=occurred_at,
            corrects_version=corrects_version,
            **fields,
        )

    def record_intervention(self, *, actor: Actor, occurred_at: datetime, **fields: Any) -> None:
        self.trigger_event(self.DutyIntervention, actor=actor, occurred_at=occurred_at, **fields)

    def _deemed_accepted_on_receipt(self, timing: Timing, accepted_at: datetime) -> str | None:
        """Why the application counts as accepted on receipt, if it does: the first notice came
        after its limit, or none came and acceptance itself came after it (第三十二条: a centre
        that neither accepts nor says what to correct within five days has accepted)."""
        first, due = self.state.first_notice_at, self.state.notice_due_at
        if first is not None:
            late = due is not None and first > due
            return "the one-time notice came after its limit" if late else None
        rule = timing.policy.case_clock.notice_within
        if accepted_at > policy_clocks.due_at(timing, rule.limit, self.state.registered_at):
            return "no one-time notice, and acceptance came after the notice's limit"
        return None

    def _require_not_accepted(self, rule: str) -> None:
        if self.state.status is CaseStatus.ACCEPTED:
            raise RuleViolation(rule, "the case was already accepted")


COMMANDS: dict[str, tuple[str, str | None]] = {
    "VisitRecorded": ("record_visit", None),
    "OneTimeNoticeIssued": ("issue_one_time_notice", None),
    "MaterialsSupplied": ("supply_materials", None),
    "Accepted": ("accept", None),
    "AcceptanceRefused": ("refuse_acceptance", "report_id"),
    "Completed": ("complete", "report_id"),
    "Reopened": ("reopen", None),
    "CorrectionRecorded": ("record_correction", None),
    "DutyIntervention": ("record_intervention", None),
}
TIMED = frozenset(
    {"Accepted", "OneTimeNoticeIssued", "AcceptanceRefused", "Completed"}
)  # refusals: the report's clock; the notice: its 5 days
