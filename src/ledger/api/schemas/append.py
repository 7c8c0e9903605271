"""The body of `POST /cases/{id}/events`: the union of every event request, tagged by `type`."""

from __future__ import annotations

from typing import Any

import msgspec

from ledger.api.schemas.case_events import (
    AcceptanceRefused,
    Accepted,
    AttendeeIn,
    ClockPaused,
    ClockResumed,
    CommitmentBreached,
    CommitmentFulfilled,
    CommitmentSigned,
    Completed,
    CorrectionRecorded,
    CreditCheckIn,
    DutyIntervention,
    EventRequest,
    ExceptionLayerDecided,
    ExceptionPostAudited,
    ExceptionRequested,
    ExceptionWithdrawn,
    ExtensionDecided,
    ExtensionRequested,
    HandedOff,
    HandOffReturned,
    HandOffSignedFor,
    MaterialsSupplied,
    OneTimeNoticeIssued,
    Reopened,
    VisitRecorded,
)
from ledger.api.schemas.data_subject_events import (
    ConsentRecorded,
    EvidenceIn,
    IdentityReconciled,
)
from ledger.api.schemas.exception_events import ExceptionRatificationRequested
from ledger.api.schemas.handoff_events import (
    HandedOffAcross,
    HandOffAcknowledged,
    HandOffReceived,
    LogReferenceIn,
)
from ledger.api.schemas.pushback_events import (
    BadReviewAppealReviewed,
    BadReviewRectified,
    BadReviewVerified,
    ConsultationRecorded,
    HotlineApplicantContacted,
    HotlineClosed,
    HotlineDispatched,
    HotlineEscalationReceived,
    HotlineExtensionDecided,
    HotlineExtensionRequested,
    HotlineFollowedUp,
    HotlineMerged,
    HotlineReopened,
    HotlineReplied,
    HotlineReplyReviewed,
    HotlineReturnDecided,
    HotlineReturnRequested,
    HotlineSignedFor,
    HotlineSupervised,
    ImprovementActionCompleted,
    ImprovementActionOpened,
    Rated,
    ReRated,
    RootCauseRecorded,
    SpecialTeamAssigned,
    UnresolvedClosed,
    UnresolvedFeedbackGiven,
    UnresolvedReported,
    UnresolvedVerified,
)

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
    | HandedOffAcross
    | HandOffReceived
    | HandOffAcknowledged
    | DutyIntervention
    | ExceptionRequested
    | ExceptionLayerDecided
    | ExceptionWithdrawn
    | CommitmentSigned
    | CommitmentFulfilled
    | CommitmentBreached
    | ExceptionPostAudited
    | ExceptionRatificationRequested
    | IdentityReconciled
    | ConsentRecorded
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
    | UnresolvedFeedbackGiven
    | UnresolvedVerified
    | UnresolvedClosed
    | ConsultationRecorded
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
    """The request's fields as the aggregate's command takes them: the wire's own shapes of
    domain values (`AttendeeIn`, `CreditCheckIn`, `EvidenceIn`) as those values. (Raw ID numbers
    pass through: `Ledger.append` masks and tokenises them before the aggregate sees them.)"""
    return {
        name: _to_domain(value)
        for name, value in msgspec.structs.asdict(request).items()
        if name != "occurred_at"
    }


def _to_domain(value: Any) -> Any:
    if isinstance(value, list):
        return [_to_domain(item) for item in value]
    if isinstance(value, AttendeeIn | CreditCheckIn | EvidenceIn | LogReferenceIn):
        return value.to_domain()
    return value
