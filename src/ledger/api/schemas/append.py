"""The body of `POST /cases/{id}/events`: the union of every event request, tagged by `type`."""

from __future__ import annotations

from typing import Any

import msgspec

from ledger.api.schemas.case_events import (
    AcceptanceRefused,
    Accepted,
    ClockPaused,
    ClockResumed,
    CommitmentBreached,
    CommitmentFulfilled,
    CommitmentSigned,
    Completed,
    CorrectionRecorded,
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
from ledger.api.schemas.pushback_events import (
    BadReviewAppealReviewed,
    BadReviewRectified,
    BadReviewVerified,
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
    UnresolvedReported,
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
