"""Segregation of duties on an exception (domain-brief §4: requester ≠ approver ≠ executor), and
AB岗 (同岗替代, §6): a deputy decides a layer for the absent holder, and every rule counts both.

Given 霍山's 特事特办 chain (窗口负责人 → 部门负责人 → 中心主任, cn.toml), when a layer is
decided or the granted exception is relied on, then the named rule refuses whoever would hold two
of the three duties, or the decision is recorded with whom the deputy stood in for.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec
import pytest

from ledger.domain.case import Case
from ledger.domain.errors import RuleViolation
from ledger.domain.exceptions.proof import describe_exception
from ledger.domain.exceptions.proof_checks import check_exception
from ledger.domain.exceptions.records import ExceptionKind, ExceptionStatus
from ledger.domain.personal_data import protect_applicant
from ledger.domain.values import (
    Actor,
    Channel,
    Decision,
    Matter,
    Outcome,
    Priority,
    Role,
)
from ledger.rules.time_limits import Policies

HUOSHAN = Policies().timing("huoshan")
T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
"""A Monday, 09:30 in Beijing."""

CLERK = Actor(id="clerk-7", roles=(Role.CLERK,), unit="人社")
OTHER_CLERK = Actor(id="clerk-12", roles=(Role.CLERK,), unit="人社")
LEAD = Actor(id="lead-1", roles=(Role.WINDOW_LEAD,), unit="人社")
# A window lead who also serves at the counter: the role lets them accept and complete.
SERVING_LEAD = Actor(id="lead-2", roles=(Role.WINDOW_LEAD, Role.CLERK), unit="人社")
DEPUTY = Actor(id="deputy-1", roles=(Role.WINDOW_LEAD, Role.CLERK), unit="人社")  # B岗
HEAD = Actor(id="head-1", roles=(Role.DEPARTMENT_HEAD,), unit="人社")
DIRECTOR = Actor(id="director-1", roles=(Role.CENTRE_DIRECTOR,), unit="中心")


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def new_case() -> Case:
    case = Case.register(
        actor=CLERK,
        occurred_at=T0,
        case_no="HUOSHAN-2026-000001",
        channel=Channel.WINDOW,
        matter=Matter(code="SI-ARREARS", name="养老保险费补缴"),
        centre="huoshan",
        department="人社",
        window="2F-07",
        applicant=protect_applicant(b"k" * 32, name="李某", id_number="341525197001010020"),
        priority=Priority.NORMAL,
        statutory_limit=None,
        promised_limit=None,
        parent_case_id=None,
    )
    return case  # its events uncollected: the proof tests read them from registration on


def request(case: Case, by: Actor = CLERK) -> UUID:
    return case.append(
        "ExceptionRequested",
        by,
        at(1),
        HUOSHAN,
        kind=ExceptionKind.SPECIAL_HANDLING,
        rule_waived="本人到场",
        basis="特事特办制度",
        justification="申请人卧床",
        waived_items=[],
        compensating_controls=["家属同意"],
        credit_check=None,
    )["exception_id"]


def decide(case: Case, exception_id: UUID, layer: int, by: Actor, **fields: Any) -> None:
    case.append(
        "ExceptionLayerDecided",
        by,
        at(1 + layer),
        HUOSHAN,
        exception_id=exception_id,
        layer=layer,
        decision=fields.pop("decision", Decision.APPROVE),
        opinion="同意",
        attendees=[],
        **fields,
    )


def refused(case: Case, event_type: str, actor: Actor, **fields: Any) -> str:
    """The rule that refused the append; nothing changed."""
    version, state = case.version, msgspec.json.encode(case.state)
    with pytest.raises(RuleViolation) as refusal:
        case.append(event_type, actor, at(9), HUOSHAN, **fields)
    assert (case.version, msgspec.json.encode(case.state)) == (version, state)
    return refusal.value.rule


def layer_refused(case: Case, exception_id: UUID, layer: int, by: Actor, **fields: Any) -> str:
    return refused(
        case,
        "ExceptionLayerDecided",
        by,
        exception_id=exception_id,
        layer=layer,
        decision=Decision.APPROVE,
        opinion="同意",
        attendees=[],
        **fields,
    )


# --- executor ≠ approver --------------------------------------------------------------------------


def test_an_approver_who_would_execute_the_exception_is_refused() -> None:
    case = new_case()
    exception_id = request(case)
    for layer, approver in enumerate((SERVING_LEAD, HEAD, DIRECTOR), start=1):
        decide(case, exception_id, layer, approver)
    case.append("Accepted", OTHER_CLERK, at(5), HUOSHAN, note=None)

    rule = refused(
        case, "Completed", SERVING_LEAD, outcome=Outcome.GRANTED, exception_id=exception_id
    )

    assert rule == "exception.executor_is_approver"


def test_the_approvers_may_not_accept_on_it_either_but_someone_else_may() -> None:
    case = new_case()
    exception_id = request(case)
    for layer, approver in enumerate((SERVING_LEAD, HEAD, DIRECTOR), start=1):
        decide(case, exception_id, layer, approver)

    assert (
        refused(case, "Accepted", SERVING_LEAD, note=None, exception_id=exception_id)
        == "exception.executor_is_approver"
    )
    case.append("Accepted", OTHER_CLERK, at(5), HUOSHAN, note=None, exception_id=exception_id)
    [record] = case.state.exceptions
    assert (record.used_by, record.executors) == ("clerk-12", {"clerk-12"})


def test_the_requester_may_execute_the_exception_granted_to_them() -> None:
    """Only executor ≠ approver is a rule: the clerk who asked also serves the applicant."""
    case = new_case()
    exception_id = request(case, by=CLERK)
    for layer, approver in enumerate((LEAD, HEAD, DIRECTOR), start=1):
        decide(case, exception_id, layer, approver)

    case.append("Accepted", CLERK, at(5), HUOSHAN, note=None, exception_id=exception_id)

    assert case.state.exceptions[0].used_by == "clerk-7"


# --- AB岗: acting for the absent holder ---------------------------------------------------------


def test_a_deputy_decides_a_layer_for_the_absent_holder_and_the_record_says_so() -> None:
    case = new_case()
    exception_id = request(case)

    decide(case, exception_id, 1, DEPUTY, acting_for="lead-1")

    [decision] = case.state.exceptions[0].decisions
    assert (decision.approver, decision.acting_for) == ("deputy-1", "lead-1")
    assert decision.deciders == {"deputy-1", "lead-1"}


def test_a_deputy_needs_the_layers_role_like_anyone_else() -> None:
    case = new_case()
    exception_id = request(case)

    assert layer_refused(case, exception_id, 1, OTHER_CLERK, acting_for="lead-1") == (
        "approval.wrong_role"
    )


def test_a_deputy_cannot_stand_in_for_themselves() -> None:
    case = new_case()
    exception_id = request(case)

    assert layer_refused(case, exception_id, 1, DEPUTY, acting_for="deputy-1") == (
        "approval.acting_for_self"
    )


def test_a_deputy_cannot_stand_in_for_the_requester() -> None:
    """The requester may not approve through a deputy either."""
    case = new_case()
    exception_id = request(case, by=SERVING_LEAD)

    assert layer_refused(case, exception_id, 1, DEPUTY, acting_for="lead-2") == (
        "approval.requester_cannot_approve"
    )


@pytest.mark.parametrize(
    ("layer_1", "layer_2", "rule"),
    [
        # the holder stood in for at layer 1 then decides layer 2 in person
        ({"by": DEPUTY, "acting_for": "head-1"}, {"by": HEAD}, "approval.approver_already_decided"),
        # one deputy for two holders: two layers by one person
        (
            {"by": DEPUTY, "acting_for": "lead-1"},
            {"by": Actor(id="deputy-1", roles=(Role.DEPARTMENT_HEAD,), unit="人社")},
            "approval.approver_already_decided",
        ),
        # two deputies for the same absent holder at two layers
        (
            {"by": DEPUTY, "acting_for": "absent-9"},
            {"by": HEAD, "acting_for": "absent-9"},
            "approval.approver_already_decided",
        ),
    ],
    ids=["holder-then-in-person", "one-deputy-two-layers", "one-holder-two-layers"],
)
def test_no_one_counts_at_two_layers_as_approver_or_stood_in_for(
    layer_1: dict[str, Any], layer_2: dict[str, Any], rule: str
) -> None:
    case = new_case()
    exception_id = request(case)
    first = dict(layer_1)
    decide(case, exception_id, 1, first.pop("by"), **first)

    second = dict(layer_2)
    assert layer_refused(case, exception_id, 2, second.pop("by"), **second) == rule


def test_the_holder_a_deputy_stood_in_for_may_not_execute_the_exception() -> None:
    case = new_case()
    exception_id = request(case)
    decide(case, exception_id, 1, DEPUTY, acting_for="lead-2")  # lead-2 was away
    decide(case, exception_id, 2, HEAD)
    decide(case, exception_id, 3, DIRECTOR)
    assert case.state.exceptions[0].status is ExceptionStatus.GRANTED

    assert (
        refused(case, "Accepted", SERVING_LEAD, note=None, exception_id=exception_id)
        == "exception.executor_is_approver"
    )
    assert (
        refused(case, "Accepted", DEPUTY, note=None, exception_id=exception_id)
        == "exception.executor_is_approver"
    )


def test_the_proof_shows_the_deputy_and_passes_its_segregation_checks() -> None:
    case = new_case()
    exception_id = request(case)
    decide(case, exception_id, 1, DEPUTY, acting_for="lead-1")
    decide(case, exception_id, 2, HEAD)
    decide(case, exception_id, 3, DIRECTOR)
    case.append("Accepted", OTHER_CLERK, at(5), HUOSHAN, note=None, exception_id=exception_id)
    events = list(case.collect_events())

    checks = {c.name: c for c in check_exception(events, exception_id, at(6))}
    described = describe_exception(events, exception_id)

    assert all(c.passed for c in checks.values()), [c for c in checks.values() if not c.passed]
    assert described.decisions[0].acting_for == "lead-1"
    assert checks["acting_for"].reason == "layer 1: deputy-1 acting for lead-1 (AB岗)"
    assert checks["executor_not_approver"].reason == (
        "executed by clerk-12, who decided no layer and was stood in for at none"
    )


def test_a_crafted_history_where_an_approver_executed_fails_the_proof() -> None:
    """The command refuses it; the proof catches it in events that bypassed the command."""
    case = new_case()
    exception_id = request(case)
    for layer, approver in enumerate((LEAD, HEAD, DIRECTOR), start=1):
        decide(case, exception_id, layer, approver)
    case.append("Accepted", OTHER_CLERK, at(5), HUOSHAN, note=None, exception_id=exception_id)
    events = list(case.collect_events())
    accepted = events[-1]
    forged = {**vars(accepted), "actor": LEAD}
    crafted = [*events[:-1], _copy(accepted, forged)]

    checks = {c.name: c for c in check_exception(crafted, exception_id, at(6))}

    assert checks["executor_not_approver"].passed is False
    assert checks["executor_not_approver"].reason == "executed by an approver: lead-1"


def test_a_crafted_deputy_standing_in_for_the_requester_fails_the_proof() -> None:
    case = new_case()
    exception_id = request(case)
    decide(case, exception_id, 1, DEPUTY, acting_for="lead-1")
    events = list(case.collect_events())
    decided = events[-1]
    crafted = [*events[:-1], _copy(decided, {**vars(decided), "acting_for": "clerk-7"})]

    checks = {c.name: c for c in check_exception(crafted, exception_id, at(6))}

    assert checks["acting_for"].passed is False


def _copy(event: Any, state: dict[str, Any]) -> Any:
    copied = object.__new__(type(event))
    object.__setattr__(copied, "__dict__", state)
    return copied
