"""Wire shapes (msgspec Structs): what clients send and receive. Never domain events themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta

from ledger.domain.clock import ClockReading
from ledger.domain.values import (
    Actor,
    Attendee,
    AuditFinding,
    BadReviewValidity,
    CaseState,
    Channel,
    CreditCheck,
    Decision,
    DissatisfactionCause,
    EscalationThreat,
    ExceptionKind,
    HotlineCategory,
    HotlineUrgency,
    NoticeChannel,
    Outcome,
    PauseReason,
    Priority,
    RatingChannel,
    RatingDimension,
    Rectification,
    Resolvability,
    ReviewResult,
    Satisfaction,
    SupervisionLevel,
    SuppliedVia,
    TicketClosure,
    TimeLimit,
    UnitRole,
    UnresolvedCause,
    UnresolvedClosure,
    UnresolvedTier,
)

Text = Annotated[str, Meta(min_length=1, max_length=2000)]
Name = Annotated[str, Meta(min_length=1, max_length=100)]
Item = Annotated[str, Meta(min_length=1, max_length=200)]
Items = Annotated[list[Item], Meta(min_length=1, max_length=100)]
When = Annotated[datetime, Meta(tz=True)]


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Unknown fields are refused: a misspelt field must not silently vanish."""


class MatterIn(Strict):
    code: Name
    name: Text


class ApplicantIn(Strict):
    """Raw identifiers, accepted only to be masked and tokenised before anything is stored."""

    name: Name
    id_number: Annotated[str, Meta(max_length=32)] | None = None
    phone: Annotated[str, Meta(max_length=32)] | None = None
    bank_card: Annotated[str, Meta(max_length=32)] | None = None


class RegisterCaseRequest(Strict):
    channel: Channel
    matter: MatterIn
    centre: Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_-]*$")]
    department: Name
    applicant: ApplicantIn
    window: Name | None = None
    priority: Priority = Priority.NORMAL
    statutory_limit: TimeLimit | None = None
    promised_limit: TimeLimit | None = None
    parent_case_id: UUID | None = None
    occurred_at: When | None = None


class EventRequest(Strict, tag_field="type"):
    """One event to append; `type` is the event's name (DESIGN §4)."""

    occurred_at: When | None = None


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
    missing_materials: list[Item] = msgspec.field(default_factory=list)


class ClockPaused(EventRequest, tag=True, kw_only=True):
    reason: PauseReason
    note: Text | None = None


class ClockResumed(EventRequest, tag=True, kw_only=True):
    note: Text | None = None


class ExtensionRequested(EventRequest, tag=True, kw_only=True):
    working_days: Annotated[int, Meta(ge=1, le=365)]
    reason: Text


class ExtensionDecided(EventRequest, tag=True, kw_only=True):
    extension_id: UUID
    decision: Decision
    opinion: Text | None = None


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
    credit_check: CreditCheck | None = None


class ExceptionLayerDecided(EventRequest, tag=True, kw_only=True):
    exception_id: UUID
    layer: Annotated[int, Meta(ge=1, le=20)]
    decision: Decision
    opinion: Text
    attendees: Annotated[list[Attendee], Meta(max_length=50)] = msgspec.field(default_factory=list)
    minutes_ref: Name | None = None  # 会议纪要 number, for a joint layer


class ExceptionWithdrawn(EventRequest, tag=True, kw_only=True):
    exception_id: UUID
    reason: Text


class CommitmentSigned(EventRequest, tag=True, kw_only=True):
    exception_id: UUID
    items: Items
    due_at: When


class CommitmentFulfilled(EventRequest, tag=True, kw_only=True):
    commitment_id: UUID
    note: Text | None = None


class CommitmentBreached(EventRequest, tag=True, kw_only=True):
    commitment_id: UUID


class ExceptionPostAudited(EventRequest, tag=True, kw_only=True):
    exception_id: UUID
    finding: AuditFinding
    note: Text


# --- 12345 work orders ---------------------------------------------------------------------

TicketNo = Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[0-9A-Za-z-]+$")]


class HotlineEscalationReceived(EventRequest, tag=True, kw_only=True):
    ticket_no: TicketNo  # the hotline system's 工单号
    category: HotlineCategory
    summary: Text  # 诉求
    urgency: HotlineUrgency = HotlineUrgency.NORMAL
    confidential: bool = False  # 保密: the registers show no summary


class TicketRequest(EventRequest, kw_only=True):
    ticket_id: UUID


class HotlineDispatched(TicketRequest, tag=True, kw_only=True):
    unit: Name
    role: UnitRole = UnitRole.LEAD
    designated: bool = False  # 指定承办, after the third round


class HotlineSignedFor(TicketRequest, tag=True, kw_only=True):
    pass


class HotlineReturnRequested(TicketRequest, tag=True, kw_only=True):
    reason: Text
    legal_basis: Text


class HotlineReturnDecided(TicketRequest, tag=True, kw_only=True):
    decision: Decision
    opinion: Text


class HotlineApplicantContacted(TicketRequest, tag=True, kw_only=True):
    method: Name
    note: Text | None = None


class HotlineExtensionRequested(TicketRequest, tag=True, kw_only=True):
    working_days: Annotated[int, Meta(ge=1, le=60)]
    reason: Text


class HotlineExtensionDecided(TicketRequest, tag=True, kw_only=True):
    decision: Decision
    opinion: Text


class HotlineReplied(TicketRequest, tag=True, kw_only=True):
    text: Text
    unit_claims_resolved: bool


class HotlineReplyReviewed(TicketRequest, tag=True, kw_only=True):
    result: ReviewResult
    opinion: Text


class HotlineClosed(TicketRequest, tag=True, kw_only=True):
    closure: TicketClosure
    note: Text


class HotlineFollowedUp(TicketRequest, tag=True, kw_only=True):
    reachable: bool
    resolved: bool | None = None
    satisfaction: Satisfaction | None = None
    cause: DissatisfactionCause | None = None
    note: Text | None = None


class HotlineReopened(TicketRequest, tag=True, kw_only=True):
    reason: Text


class HotlineMerged(TicketRequest, tag=True, kw_only=True):
    master_case_id: UUID
    master_ticket_no: TicketNo


class HotlineSupervised(TicketRequest, tag=True, kw_only=True):
    level: SupervisionLevel
    note: Text


# --- 办不成事 -------------------------------------------------------------------------------


class UnresolvedReported(EventRequest, tag=True, kw_only=True):
    cause: UnresolvedCause
    resolvability: Resolvability
    tier: UnresolvedTier
    description: Text


class ReportRequest(EventRequest, kw_only=True):
    report_id: UUID


class SpecialTeamAssigned(ReportRequest, tag=True, kw_only=True):
    lead: Name
    members: Annotated[list[Name], Meta(min_length=1, max_length=30)]


class UnresolvedClosed(ReportRequest, tag=True, kw_only=True):
    closure: UnresolvedClosure
    explanation: Text | None = None
    redirected_to: Name | None = None


class RootCauseRecorded(ReportRequest, tag=True, kw_only=True):
    cause: UnresolvedCause
    key: Name  # a short stable name, so recurrences are counted together
    description: Text


class ImprovementActionOpened(ReportRequest, tag=True, kw_only=True):
    action: Text
    owner_unit: Name
    root_cause_id: UUID | None = None


class ImprovementActionCompleted(EventRequest, tag=True, kw_only=True):
    action_id: UUID
    result: Text


# --- 好差评 ---------------------------------------------------------------------------------

Level = Annotated[int, Meta(ge=1, le=5)]


class Rated(EventRequest, tag=True, kw_only=True):
    """A rating as the channel delivered it; never who rated (a default is the ledger's own)."""

    level: Level
    channel: RatingChannel
    dimensions: dict[RatingDimension, Level] = msgspec.field(default_factory=dict)
    comment: Text | None = None
    real_name: bool = True


class RatingRequest(EventRequest, kw_only=True):
    rating_id: UUID


class BadReviewVerified(RatingRequest, tag=True, kw_only=True):
    validity: BadReviewValidity
    note: Text


class BadReviewAppealReviewed(RatingRequest, tag=True, kw_only=True):
    upheld: bool
    opinion: Text


class BadReviewRectified(RatingRequest, tag=True, kw_only=True):
    rectification: Rectification
    action: Text
    feedback: Text


class ReRated(RatingRequest, tag=True, kw_only=True):
    level: Level
    comment: Text | None = None


AppendEventRequest = (
    VisitRecorded
    | OneTimeNoticeIssued
    | MaterialsSupplied
    | Accepted
    | AcceptanceRefused
    | ClockPaused
    | ClockResumed
    | ExtensionRequested
    | ExtensionDecided
    | Completed
    | Reopened
    | CorrectionRecorded
    | HandedOff
    | HandOffSignedFor
    | HandOffReturned
    | DutyIntervention
    | ExceptionRequested
    | ExceptionLayerDecided
    | ExceptionWithdrawn
    | CommitmentSigned
    | CommitmentFulfilled
    | CommitmentBreached
    | ExceptionPostAudited
    | HotlineEscalationReceived
    | HotlineDispatched
    | HotlineSignedFor
    | HotlineReturnRequested
    | HotlineReturnDecided
    | HotlineApplicantContacted
    | HotlineExtensionRequested
    | HotlineExtensionDecided
    | HotlineReplied
    | HotlineReplyReviewed
    | HotlineClosed
    | HotlineFollowedUp
    | HotlineReopened
    | HotlineMerged
    | HotlineSupervised
    | UnresolvedReported
    | SpecialTeamAssigned
    | UnresolvedClosed
    | RootCauseRecorded
    | ImprovementActionOpened
    | ImprovementActionCompleted
    | Rated
    | BadReviewVerified
    | BadReviewAppealReviewed
    | BadReviewRectified
    | ReRated
)


def command_fields(request: EventRequest) -> dict[str, Any]:
    """The request's fields as the aggregate's command takes them."""
    fields = msgspec.structs.asdict(request)
    fields.pop("occurred_at")
    return fields


class WriteResponse(msgspec.Struct, omit_defaults=True, kw_only=True):
    case_id: UUID
    version: int
    position: int
    leaf_index: int | None = None  # with ?sealed=true
    case_no: str | None = None
    handoff_id: UUID | None = None
    extension_id: UUID | None = None
    exception_id: UUID | None = None
    commitment_id: UUID | None = None
    ticket_id: UUID | None = None
    report_id: UUID | None = None
    root_cause_id: UUID | None = None
    action_id: UUID | None = None
    rating_id: UUID | None = None


class CaseResponse(msgspec.Struct, kw_only=True):
    case_id: UUID
    version: int
    registered_recorded_at: datetime
    last_recorded_at: datetime
    state: CaseState
    clock: ClockReading | None = None  # the promised limit, from acceptance (受理) on
    proved_by: ProvedBy | None = None  # with ?as_of=, once the notary has checkpointed it


class EventEntry(msgspec.Struct, kw_only=True):
    position: int
    version: int
    type: str
    occurred_at: datetime
    recorded_at: datetime
    actor: Actor
    data: dict[str, Any]
    leaf_index: int | None = None  # None until the notary seals the event
    leaf_hash: str | None = None


class CaseHistoryResponse(msgspec.Struct, kw_only=True):
    case_id: UUID
    events: list[EventEntry]


class CheckpointResponse(msgspec.Struct, kw_only=True):
    tree_size: int
    root_hash: str
    note: str
    created_at: datetime


class InclusionProofResponse(msgspec.Struct, kw_only=True):
    leaf_index: int
    tree_size: int
    leaf_hash: str
    audit_path: list[str]
    checkpoint: str


class ConsistencyProofResponse(
    msgspec.Struct, kw_only=True, rename={"from_size": "from", "to_size": "to"}
):
    from_size: int
    to_size: int
    proof: list[str]


class ProvedBy(msgspec.Struct, kw_only=True):
    """The first signed checkpoint whose tree holds the state's last event."""

    leaf_index: int
    tree_size: int
    root_hash: str
    checkpoint: str


class Health(msgspec.Struct, kw_only=True):
    status: str
    database: str
    position: int | None


class FieldError(msgspec.Struct, kw_only=True):
    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True, kw_only=True):
    """RFC 9457 problem details, with the ledger's own members: rule, field, errors."""

    type: str
    title: str
    status: int
    detail: str | None = None
    rule: str | None = None
    field: str | None = None
    errors: list[FieldError] | None = None
    current_version: int | None = None
    position: int | None = None
    """503 not-caught-up: the position the view has reached."""
    min_position: int | None = None
    lag_events: int | None = None
    lag_seconds: float | None = None
    request_id: str | None = None
