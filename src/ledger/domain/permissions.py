"""Which roles may append which event: the one place this is decided (DESIGN §7)."""

from __future__ import annotations

from ledger.domain.errors import NotPermitted
from ledger.domain.values import Role

_FRONT_LINE = frozenset({Role.CLERK, Role.WINDOW_LEAD, Role.DEPARTMENT_HEAD})
_SUPERVISORS = frozenset({Role.WINDOW_LEAD, Role.DEPARTMENT_HEAD, Role.CENTRE_DIRECTOR})
ORGAN_HEAD = Role.DEPARTMENT_HEAD
"""The role that stands for 本行政机关负责人 (行政许可法 第四十二条): the licensing department's
head or its 首席代表, who decides on the spot in the centre (domain-brief §6), only for the
cases its unit holds. Not the 中心主任: the centre hosts the departments but is not the organ whose
licence it is. It alone approves an extension, and a pause for a non-statutory reason."""
_HOTLINE = frozenset({Role.HOTLINE_OPERATOR})
_UNRESOLVED = _FRONT_LINE | {Role.DUTY_OFFICER, Role.CENTRE_DIRECTOR}
_RATING_CHANNELS = _FRONT_LINE | {Role.DUTY_OFFICER, Role.HOTLINE_OPERATOR, Role.RATING_CHANNEL}

FRONT_LINE_ROLES = _FRONT_LINE
"""Staff of a unit's windows: who serves the applicant, so may neither check their own unit's
办不成事 report nor record a rating of its service (the rules that say so: `domain.unresolved`,
`domain.ratings`)."""

APPEND_ROLES: dict[str, frozenset[Role]] = {
    "Registered": _FRONT_LINE | {Role.HOTLINE_OPERATOR, Role.DUTY_OFFICER},
    "VisitRecorded": _FRONT_LINE | {Role.DUTY_OFFICER},
    "OneTimeNoticeIssued": _FRONT_LINE,
    "MaterialsSupplied": _FRONT_LINE,
    "Accepted": _FRONT_LINE,
    "AcceptanceRefused": _FRONT_LINE,
    "ClockPaused": _FRONT_LINE,
    "ClockResumed": _FRONT_LINE,
    "ExtensionRequested": _FRONT_LINE,
    "ExtensionDecided": frozenset({ORGAN_HEAD}),
    "Completed": _FRONT_LINE,
    "Reopened": _SUPERVISORS,
    "CorrectionRecorded": _FRONT_LINE | _SUPERVISORS | {Role.DUTY_OFFICER},
    "HandedOff": _FRONT_LINE | {Role.DUTY_OFFICER, Role.HOTLINE_OPERATOR},
    "HandOffSignedFor": _FRONT_LINE,
    "HandOffReturned": _FRONT_LINE,
    # Another jurisdiction's ledger: the holder sends and records the receiving case's reference;
    # the receiving unit records the receipt in its own ledger.
    "HandedOffAcross": _FRONT_LINE | {Role.DUTY_OFFICER, Role.CENTRE_DIRECTOR},
    "HandOffReceived": _FRONT_LINE,
    "HandOffAcknowledged": _FRONT_LINE | {Role.DUTY_OFFICER, Role.CENTRE_DIRECTOR},
    "DutyIntervention": frozenset({Role.DUTY_OFFICER, Role.CENTRE_DIRECTOR}),
    "ExceptionRequested": _FRONT_LINE | {Role.DUTY_OFFICER, Role.CENTRE_DIRECTOR},
    "ExceptionRatificationRequested": _FRONT_LINE | {Role.DUTY_OFFICER, Role.CENTRE_DIRECTOR},
    # Which approver role each layer needs is the policy's; this only admits the approver roles.
    "ExceptionLayerDecided": _SUPERVISORS,
    "ExceptionWithdrawn": _FRONT_LINE | {Role.DUTY_OFFICER, Role.CENTRE_DIRECTOR},
    "CommitmentSigned": _FRONT_LINE,
    "CommitmentFulfilled": _FRONT_LINE,
    "CommitmentBreached": _FRONT_LINE | {Role.SYSTEM},
    "ExceptionPostAudited": frozenset({Role.DEPARTMENT_HEAD, Role.CENTRE_DIRECTOR}),
    # The data subject: the window that serves the applicant records who they are and what
    # they agreed to.
    "IdentityReconciled": _FRONT_LINE,
    "ConsentRecorded": _FRONT_LINE | {Role.DUTY_OFFICER},
    # 12345: the hotline receives, dispatches, decides 退单 and extensions, reviews, follows up;
    # the units sign for, contact, ask, and reply (signed by the unit's head).
    "HotlineEscalationReceived": _HOTLINE,
    "HotlineDispatched": _HOTLINE,
    "HotlineSignedFor": _FRONT_LINE,
    "HotlineReturnRequested": _FRONT_LINE,
    "HotlineReturnDecided": _HOTLINE,
    "HotlineApplicantContacted": _FRONT_LINE,
    "HotlineExtensionRequested": _FRONT_LINE,
    "HotlineExtensionDecided": _HOTLINE,
    "HotlineReplied": frozenset({Role.DEPARTMENT_HEAD}),
    "HotlineReplyReviewed": _HOTLINE,
    "HotlineClosed": _HOTLINE,
    "HotlineFollowedUp": _HOTLINE,
    "HotlineReopened": _HOTLINE,
    "HotlineMerged": _HOTLINE,
    "HotlineSupervised": _HOTLINE | {Role.CENTRE_DIRECTOR},
    # 办不成事: the window (and the duty officer, the director) reports, its 专班 works it.
    "UnresolvedReported": _UNRESOLVED,
    "SpecialTeamAssigned": _UNRESOLVED,
    "UnresolvedFeedbackGiven": _UNRESOLVED,
    "UnresolvedVerified": _SUPERVISORS | {Role.DUTY_OFFICER},  # 核查: above the window
    "UnresolvedClosed": _UNRESOLVED,
    "ConsultationRecorded": _UNRESOLVED,
    "RootCauseRecorded": _UNRESOLVED,
    "ImprovementActionOpened": _SUPERVISORS | {Role.DUTY_OFFICER},
    "ImprovementActionCompleted": _SUPERVISORS | {Role.DUTY_OFFICER},
    # 好差评: a rating arrives through the 好差评 system's relay (评价器, app, SMS, web) or a call
    # (the hotline's, the duty officer's), never from staff who served the case (the rule:
    # `domain.ratings`); only the ledger's timer records a default one.
    "Rated": _RATING_CHANNELS | {Role.SYSTEM},
    "BadReviewVerified": _SUPERVISORS | {Role.DUTY_OFFICER},
    "BadReviewAppealReviewed": frozenset({Role.CENTRE_DIRECTOR}),
    "BadReviewRectified": _FRONT_LINE,
    "ReRated": _RATING_CHANNELS,
}

READ_CASE_ROLES = frozenset(Role) - {Role.DASHBOARD}
"""Case state and history carry (masked) personal data: dashboards read projections only."""

READ_VIEW_ROLES = READ_CASE_ROLES | {Role.DASHBOARD}
"""Who may read projections (duty board, indicators): dashboards too; search stays with cases."""

CENTRE_WIDE_ROLES = frozenset({Role.DUTY_OFFICER, Role.CENTRE_DIRECTOR})
"""Roles that act on any case in the centre; every other role acts only where its unit holds it."""


def require_append(event_type: str, roles: tuple[Role, ...]) -> None:
    allowed = APPEND_ROLES[event_type]
    if not allowed.intersection(roles):
        raise NotPermitted(
            f"append {event_type}",
            tuple(roles),
            tuple(sorted(allowed)),
        )


def require_read(roles: tuple[Role, ...]) -> None:
    if not READ_CASE_ROLES.intersection(roles):
        raise NotPermitted("read cases", tuple(roles), tuple(sorted(READ_CASE_ROLES)))


def require_view_read(roles: tuple[Role, ...], what: str) -> None:
    if not READ_VIEW_ROLES.intersection(roles):
        raise NotPermitted(what, tuple(roles), tuple(sorted(READ_VIEW_ROLES)))
