"""Which roles may append which event, and who may read cases (DESIGN §7)."""

from __future__ import annotations

import pytest
from eventsourcing.domain import Aggregate

from ledger.domain.case import Case
from ledger.domain.errors import NotPermitted
from ledger.domain.events import CaseEvent
from ledger.domain.permissions import (
    APPEND_ROLES,
    READ_CASE_ROLES,
    require_append,
    require_read,
)
from ledger.domain.values import Role

EVENT_TYPES = sorted(APPEND_ROLES)
NON_WRITING_ROLES = (Role.AUDITOR, Role.DASHBOARD, Role.ADMIN)

ALLOWED = sorted((t, r) for t, roles in APPEND_ROLES.items() for r in roles)
REFUSED = sorted((t, r) for t in APPEND_ROLES for r in Role if r not in APPEND_ROLES[t])


@pytest.mark.parametrize("role", NON_WRITING_ROLES)
@pytest.mark.parametrize("event_type", EVENT_TYPES)
def test_auditors_dashboards_and_admins_append_nothing(event_type: str, role: Role) -> None:
    with pytest.raises(NotPermitted) as refused:
        require_append(event_type, (role,))

    assert refused.value.action == f"append {event_type}"
    assert refused.value.roles == (role,)
    assert set(refused.value.allowed) == APPEND_ROLES[event_type]


def test_the_non_writing_roles_together_still_append_nothing() -> None:
    for event_type in EVENT_TYPES:
        with pytest.raises(NotPermitted):
            require_append(event_type, NON_WRITING_ROLES)


@pytest.mark.parametrize(("event_type", "role"), ALLOWED)
def test_a_listed_role_may_append_its_event(event_type: str, role: Role) -> None:
    require_append(event_type, (role,))


@pytest.mark.parametrize(("event_type", "role"), REFUSED)
def test_a_role_not_listed_may_not_append_the_event(event_type: str, role: Role) -> None:
    with pytest.raises(NotPermitted):
        require_append(event_type, (role,))


def test_one_listed_role_among_several_is_enough() -> None:
    require_append("Accepted", (Role.AUDITOR, Role.CLERK))
    require_append("ExtensionDecided", (Role.CLERK, Role.DEPARTMENT_HEAD))


def test_no_roles_may_append_nothing() -> None:
    for event_type in EVENT_TYPES:
        with pytest.raises(NotPermitted):
            require_append(event_type, ())


@pytest.mark.parametrize(
    ("event_type", "role"),
    [
        ("ExtensionDecided", Role.CLERK),  # a clerk cannot approve time for themselves
        ("ExtensionDecided", Role.WINDOW_LEAD),
        ("Reopened", Role.CLERK),  # reopening is a supervisor's call
        ("DutyIntervention", Role.CLERK),
        ("Accepted", Role.HOTLINE_OPERATOR),  # 12345 dispatches; it does not accept
        ("Accepted", Role.DUTY_OFFICER),
    ],
)
def test_decisions_reserved_to_supervisors_are_refused_to_front_line_roles(
    event_type: str, role: Role
) -> None:
    with pytest.raises(NotPermitted):
        require_append(event_type, (role,))


@pytest.mark.parametrize(
    ("event_type", "role"),
    [
        # 12345: the hotline routes, decides 退单 and 延期, reviews, follows up; units do not.
        ("HotlineDispatched", Role.DEPARTMENT_HEAD),
        ("HotlineReturnDecided", Role.DEPARTMENT_HEAD),
        ("HotlineExtensionDecided", Role.DEPARTMENT_HEAD),
        ("HotlineReplyReviewed", Role.DEPARTMENT_HEAD),
        ("HotlineReopened", Role.CENTRE_DIRECTOR),
        # ... and the hotline neither signs for, returns nor answers an order for a unit.
        ("HotlineSignedFor", Role.HOTLINE_OPERATOR),
        ("HotlineReturnRequested", Role.HOTLINE_OPERATOR),
        ("HotlineReplied", Role.HOTLINE_OPERATOR),
        ("HotlineReplied", Role.CLERK),  # the reply is signed by the unit's head
        ("HotlineReplied", Role.WINDOW_LEAD),
        # 好差评: an appeal is reviewed above the unit that verified the 差评.
        ("BadReviewAppealReviewed", Role.DEPARTMENT_HEAD),
        ("BadReviewAppealReviewed", Role.WINDOW_LEAD),
        ("BadReviewRectified", Role.SYSTEM),
        ("ReRated", Role.SYSTEM),  # the timer records a default, never a re-rating
    ],
)
def test_pushback_steps_are_reserved_to_the_roles_that_take_them(
    event_type: str, role: Role
) -> None:
    with pytest.raises(NotPermitted):
        require_append(event_type, (role,))


@pytest.mark.parametrize(
    ("event_type", "roles"),
    [
        ("HotlineReplied", {Role.DEPARTMENT_HEAD}),
        ("BadReviewAppealReviewed", {Role.CENTRE_DIRECTOR}),
        (
            "Rated",
            {
                Role.CLERK,
                Role.WINDOW_LEAD,
                Role.DEPARTMENT_HEAD,
                Role.DUTY_OFFICER,
                Role.HOTLINE_OPERATOR,
                Role.SYSTEM,
                Role.RATING_CHANNEL,  # the 好差评 system's relay (who may rate: domain.ratings)
            },
        ),
        (
            "UnresolvedVerified",  # 核查: above the window
            {Role.WINDOW_LEAD, Role.DEPARTMENT_HEAD, Role.CENTRE_DIRECTOR, Role.DUTY_OFFICER},
        ),
    ],
)
def test_exactly_these_roles_take_these_pushback_steps(event_type: str, roles: set[Role]) -> None:
    assert APPEND_ROLES[event_type] == roles


def test_the_allowed_roles_are_listed_in_a_stable_order() -> None:
    with pytest.raises(NotPermitted) as refused:
        require_append("DutyIntervention", (Role.CLERK,))

    assert refused.value.allowed == ("centre_director", "duty_officer")


def test_every_event_type_with_permissions_is_an_event_of_the_case() -> None:
    assert issubclass(Case.Registered, Aggregate.Created)
    for event_type in EVENT_TYPES:
        if event_type != "Registered":
            assert issubclass(getattr(Case, event_type), CaseEvent)


def test_no_event_type_is_open_to_the_non_writing_roles() -> None:
    for roles in APPEND_ROLES.values():
        assert roles.isdisjoint(NON_WRITING_ROLES)


# --- reading ----------------------------------------------------------------------------------


def test_a_dashboard_may_not_read_cases() -> None:
    with pytest.raises(NotPermitted) as refused:
        require_read((Role.DASHBOARD,))

    assert refused.value.action == "read cases"
    assert Role.DASHBOARD not in refused.value.allowed


def test_a_credential_without_roles_may_not_read_cases() -> None:
    with pytest.raises(NotPermitted):
        require_read(())


@pytest.mark.parametrize("role", sorted(set(Role) - {Role.DASHBOARD}))
def test_every_other_role_may_read_cases(role: Role) -> None:
    require_read((role,))


def test_a_dashboard_that_also_holds_a_reading_role_may_read() -> None:
    require_read((Role.DASHBOARD, Role.AUDITOR))
    assert frozenset(Role) - READ_CASE_ROLES == {Role.DASHBOARD}
