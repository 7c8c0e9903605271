"""The 12345, 办不成事 and 好差评 events, as `POST /cases/{id}/events` takes them.

The events that push back on a case from outside the counter: a 12345 work order (`ticket_id`),
a 办不成事 report (`report_id`) and a rating (`rating_id`), each naming what it acts on.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from ledger.api.schemas.case_events import EventRequest
from ledger.api.schemas.fields import Name, Text
from ledger.domain.hotline.records import (
    DissatisfactionCause,
    HotlineCategory,
    HotlineUrgency,
    ReviewResult,
    Satisfaction,
    SupervisionLevel,
    TicketClosure,
    UnitRole,
)
from ledger.domain.ratings.records import (
    BadReviewValidity,
    RatingChannel,
    RatingDimension,
    Rectification,
)
from ledger.domain.unresolved.records import (
    FeedbackMethod,
    Resolvability,
    UnresolvedCause,
    UnresolvedClosure,
    UnresolvedTier,
)
from ledger.domain.values import Decision

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
    complex: bool = False  # 复杂工单 (lead only): 退单 within 2 working days, not 1


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
    unit: Name | None = None  # the unit and window it concerns; default: the case's
    window: Name | None = None


class ReportRequest(EventRequest, kw_only=True):
    report_id: UUID


class SpecialTeamAssigned(ReportRequest, tag=True, kw_only=True):
    lead: Name
    members: Annotated[list[Name], Meta(min_length=1, max_length=30)]


class UnresolvedFeedbackGiven(ReportRequest, tag=True, kw_only=True):
    """反馈: the outcome the applicant was told (what the closure will be), how, their answer."""

    outcome: UnresolvedClosure
    method: FeedbackMethod
    content: Text
    response: Text | None = None


class UnresolvedVerified(ReportRequest, tag=True, kw_only=True):
    """核查 of the last 反馈, by someone other than the reporter and the unit concerned."""

    confirmed: bool
    note: Text


class ConsultationRecorded(EventRequest, tag=True, kw_only=True):
    """A question the window answered (咨询): counted per window and matter, no report."""

    question: Text
    answer: Text
    referred_to: Name | None = None
    unit: Name | None = None  # where it was answered; default: the recording staff's unit
    window: Name | None = None  # default: the case's window


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
