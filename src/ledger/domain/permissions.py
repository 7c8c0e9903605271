"""Which roles may append which event: the one place this is decided (DESIGN §7)."""

from __future__ import annotations

from ledger.domain.errors import NotPermitted
from ledger.domain.values import Role

_FRONT_LINE = frozenset({Role.CLERK, Role.WINDOW_LEAD, Role.DEPARTMENT_HEAD})
_SUPERVISORS = frozenset({Role.WINDOW_LEAD, Role.DEPARTMENT_HEAD, Role.CENTRE_DIRECTOR})

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
    "ExtensionDecided": frozenset({Role.DEPARTMENT_HEAD, Role.CENTRE_DIRECTOR}),
    "Completed": _FRONT_LINE,
    "Reopened": _SUPERVISORS,
    "CorrectionRecorded": _FRONT_LINE | _SUPERVISORS | {Role.DUTY_OFFICER},
    "HandedOff": _FRONT_LINE | {Role.DUTY_OFFICER, Role.HOTLINE_OPERATOR},
    "HandOffSignedFor": _FRONT_LINE,
    "HandOffReturned": _FRONT_LINE,
    "DutyIntervention": frozenset({Role.DUTY_OFFICER, Role.CENTRE_DIRECTOR}),
    "ExceptionRequested": _FRONT_LINE | {Role.DUTY_OFFICER, Role.CENTRE_DIRECTOR},
    # Which approver role each layer needs is the policy's; this only admits the approver roles.
    "ExceptionLayerDecided": _SUPERVISORS,
    "ExceptionWithdrawn": _FRONT_LINE | {Role.DUTY_OFFICER, Role.CENTRE_DIRECTOR},
    "CommitmentSigned": _FRONT_LINE,
    "CommitmentFulfilled": _FRONT_LINE,
    "CommitmentBreached": _FRONT_LINE | {Role.SYSTEM},
    "ExceptionPostAudited": frozenset({Role.DEPARTMENT_HEAD, Role.CENTRE_DIRECTOR}),
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
