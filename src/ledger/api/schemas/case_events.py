"""The events a case records about its own handling, as `POST /cases/{id}/events` takes them.

Each is tagged by its `type` (the event's name); the 12345, 办不成事 and 好差评 events are in
`pushback_events`, the union of all of them in `append`.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from ledger.api.schemas.fields import Item, Items, Name, Strict, Text, When, check_range
from ledger.domain.clock import PauseReason
from ledger.domain.exceptions.records import (
    Attendee,
    AuditFinding,
    CreditCheck,
    CreditResult,
    ExceptionKind,
)
from ledger.domain.lifecycle import EscalationThreat, NoticeChannel, SuppliedVia
from ledger.domain.values import Decision, Outcome, Role


class EventRequest(Strict, tag_field="type"):
    """One event to append; `type` is the event's name (DESIGN §4)."""

    occurred_at: When | None = None  # bounded by the domain (occurred_at.too_early / .in_future)


class AttendeeIn(Strict):
    """One attendee of a joint layer, as the request names them (`Attendee` in the event)."""

    id: Name
    role: Role
    unit: Name | None = None

    def to_domain(self) -> Attendee:
        return Attendee(id=self.id, role=self.role, unit=self.unit)


class CreditCheckIn(Strict):
    """The credit record the clerk looked up (`CreditCheck` in the event)."""

    result: CreditResult
    source: Name
    checked_at: When

    def __post_init__(self) -> None:
        check_range(checked_at=self.checked_at)

    def to_domain(self) -> CreditCheck:
        return CreditCheck(result=self.result, source=self.source, checked_at=self.checked_at)


class VisitRecorded(EventRequest, tag=True, kw_only=True):
    ticket: Name | None = None
    note: Text | None = None


class OneTimeNoticeIssued(EventRequest, tag=True, kw_only=True):
    items: Items
    channel: NoticeChannel = NoticeChannel.WRITTEN
    signed_receipt: bool = False


class MaterialsSupplied(EventRequest, tag=True, kw_only=True):
    items: Items
    via: SuppliedVia = SuppliedVia.IN_PERSON


class Accepted(EventRequest, tag=True, kw_only=True):
    note: Text | None = None
    exception_id: UUID | None = None  # a granted 容缺受理 / 特事特办 covering missing items


class AcceptanceRefused(EventRequest, tag=True, kw_only=True):
    reason: Text
    legal_basis: Text
    missing_materials: Annotated[list[Item], Meta(max_length=100)] = msgspec.field(
        default_factory=list
    )


class ClockPaused(EventRequest, tag=True, kw_only=True):
    """A reason other than the statutory exclusions (补正; 行政许可法 第四十五条: 听证, 招标, 拍卖,
    检验, 检测, 检疫, 鉴定, 专家评审) stops the clock only if the department head records it, with
    `evidence` (422 clock.pause_needs_approval / clock.pause_needs_evidence)."""

    reason: PauseReason
    note: Text | None = None
    evidence: Text | None = None


class ClockResumed(EventRequest, tag=True, kw_only=True):
    note: Text | None = None


class ExtensionRequested(EventRequest, tag=True, kw_only=True):
    """Asked before the clock expires (422 extension.after_expiry), within the cap on the case's
    extensions (422 extension.over_cap); `reason` is what the applicant is told."""

    working_days: Annotated[int, Meta(ge=1, le=365)]
    reason: Text


class ExtensionDecided(EventRequest, tag=True, kw_only=True):
    """By the department head (本行政机关负责人, 第四十二条); an approval names how the applicant
    was told the reason (`notified_via`, else 422 extension.applicant_not_told) and keeps the
    case's approved extensions within the policy's cap (422 extension.over_cap)."""

    extension_id: UUID
    decision: Decision
    opinion: Text | None = None
    notified_via: NoticeChannel | None = None


class Completed(EventRequest, tag=True, kw_only=True):
    outcome: Outcome
    summary: Text | None = None
    exception_id: UUID | None = None  # a granted exception the completion relies on


class Reopened(EventRequest, tag=True, kw_only=True):
    reason: Text


class CorrectionRecorded(EventRequest, tag=True, kw_only=True):
    corrects_version: Annotated[int, Meta(ge=1)]
    reason: Text
    corrected: Annotated[dict[Name, Text], Meta(max_length=50)] = msgspec.field(
        default_factory=dict
    )


class HandedOff(EventRequest, tag=True, kw_only=True):
    to_department: Name
    reason: Text
    to_window: Name | None = None
    to_officer: Name | None = None


class HandOffSignedFor(EventRequest, tag=True, kw_only=True):
    handoff_id: UUID


class HandOffReturned(EventRequest, tag=True, kw_only=True):
    handoff_id: UUID
    reason: Text
    basis: Text | None = None


class DutyIntervention(EventRequest, tag=True, kw_only=True):
    action: Text
    escalation_threat: EscalationThreat = EscalationThreat.NONE
    threatened_channel: Name | None = None
    note: Text | None = None


class ExceptionRequested(EventRequest, tag=True, kw_only=True):
    kind: ExceptionKind
    rule_waived: Text
    basis: Text
    justification: Text
    waived_items: Annotated[list[Item], Meta(max_length=100)] = msgspec.field(default_factory=list)
    compensating_controls: Annotated[list[Text], Meta(max_length=20)] = msgspec.field(
        default_factory=list
    )
    credit_check: CreditCheckIn | None = None


class ExceptionLayerDecided(EventRequest, tag=True, kw_only=True):
    exception_id: UUID
    layer: Annotated[int, Meta(ge=1, le=20)]
    decision: Decision
    opinion: Text
    attendees: Annotated[list[AttendeeIn], Meta(max_length=50)] = msgspec.field(
        default_factory=list
    )
    minutes_ref: Name | None = None  # 会议纪要 number, for a joint layer
    acting_for: Name | None = None  # AB岗: the staff id of the absent holder stood in for


class ExceptionWithdrawn(EventRequest, tag=True, kw_only=True):
    exception_id: UUID
    reason: Text


class CommitmentSigned(EventRequest, tag=True, kw_only=True):
    exception_id: UUID
    items: Items
    due_at: When

    def __post_init__(self) -> None:
        check_range(due_at=self.due_at)


class CommitmentFulfilled(EventRequest, tag=True, kw_only=True):
    commitment_id: UUID
    note: Text | None = None


class CommitmentBreached(EventRequest, tag=True, kw_only=True):
    commitment_id: UUID


class ExceptionPostAudited(EventRequest, tag=True, kw_only=True):
    exception_id: UUID
    finding: AuditFinding
    note: Text
