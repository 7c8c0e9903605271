"""Segregation of duties on exceptions over HTTP (requester ≠ approver ≠ executor), AB岗 acting-for,
and ratification after the fact on a closed case: each refusal is a 422 problem naming its rule
and records nothing; what is admitted shows on the case."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.support import append, assert_problem, nothing_recorded, register

SPECIAL_HANDLING = {
    "type": "ExceptionRequested",
    "kind": "special_handling",
    "rule_waived": "本人到场",
    "basis": "特事特办制度",
    "justification": "申请人患病不能出门, 家属代办",
}
RATIFICATION = {
    "type": "ExceptionRatificationRequested",
    "kind": "special_handling",
    "rule_waived": "绑卡缴费须本人到窗口当面核对身份证号和银行卡号",
    "basis": "值班人员与窗口商定破例, 事前未经审批",
    "justification": "返程车票已买好",
    "executed_by": "clerk-007",
    "executed_at": "2026-02-10T15:05:00+08:00",
    "execution": "电话报号, 数据推送后代为绑卡",
}


@pytest.fixture
def staff(token_for: Any) -> dict[str, dict[str, str]]:
    return {
        "clerk": token_for("clerk-007", "clerk", unit="人社"),
        "other_clerk": token_for("clerk-012", "clerk", unit="人社"),
        # a window lead who also serves at the counter
        "serving_lead": token_for("lead-2", "window_lead", "clerk", unit="人社"),
        "lead": token_for("lead-1", "window_lead", unit="人社"),
        "deputy": token_for("deputy-1", "window_lead", "clerk", unit="人社"),  # B岗
        "head": token_for("head-1", "department_head", unit="人社"),
        "director": token_for("director-1", "centre_director", unit="中心"),
        "duty": token_for("duty-1", "duty_officer", unit="中心"),
        "reader": token_for("auditor-1", "auditor"),
    }


@pytest.fixture
def unchanged(client: Any, ledger: Any, staff: dict[str, dict[str, str]]) -> Any:
    def make(case_id: str) -> Any:
        return nothing_recorded(client, ledger, staff["reader"], case_id)

    return make


def layer(exception_id: str, n: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "ExceptionLayerDecided",
        "exception_id": exception_id,
        "layer": n,
        "decision": "approve",
        "opinion": "同意",
        **extra,
    }


def requested(client: Any, staff: dict[str, dict[str, str]]) -> tuple[str, str]:
    case_id = register(client, staff["clerk"], occurred_at="2026-02-10T10:50:00+08:00")
    receipt = append(client, case_id, staff["clerk"], SPECIAL_HANDLING)
    return case_id, str(receipt["exception_id"])


def refused(client: Any, unchanged: Any, case_id: str, headers: Any, body: Any) -> Any:
    with unchanged(case_id):
        return client.post(f"/cases/{case_id}/events", json=body, headers=headers)


def state(client: Any, staff: Any, case_id: str) -> dict[str, Any]:
    return dict(client.get(f"/cases/{case_id}", headers=staff["reader"]).json()["state"])


# --- executor ≠ approver --------------------------------------------------------------------------


def test_an_approver_executing_the_exception_is_422(client, staff, unchanged) -> None:
    case_id, exception_id = requested(client, staff)
    for n, who in enumerate(("serving_lead", "head", "director"), start=1):
        append(client, case_id, staff[who], layer(exception_id, n))

    response = refused(
        client,
        unchanged,
        case_id,
        staff["serving_lead"],
        {"type": "Accepted", "exception_id": exception_id},
    )

    problem = assert_problem(
        response, 422, slug="rule-violated", rule="exception.executor_is_approver"
    )
    assert "lead-2" in problem["detail"]
    append(
        client, case_id, staff["other_clerk"], {"type": "Accepted", "exception_id": exception_id}
    )


# --- AB岗 -----------------------------------------------------------------------------------------


def test_a_deputys_decision_shows_whom_they_stood_in_for(client, staff) -> None:
    case_id, exception_id = requested(client, staff)

    append(client, case_id, staff["deputy"], layer(exception_id, 1, acting_for="lead-1"))

    [record] = state(client, staff, case_id)["exceptions"]
    [decision] = record["decisions"]
    assert (decision["approver"], decision["acting_for"]) == ("deputy-1", "lead-1")


@pytest.mark.parametrize(
    ("acting_for", "rule"),
    [("deputy-1", "approval.acting_for_self"), ("clerk-007", "approval.requester_cannot_approve")],
    ids=["self", "the-requester"],
)
def test_a_deputy_standing_in_for_themselves_or_the_requester_is_422(
    client, staff, unchanged, acting_for: str, rule: str
) -> None:
    case_id, exception_id = requested(client, staff)

    response = refused(
        client, unchanged, case_id, staff["deputy"], layer(exception_id, 1, acting_for=acting_for)
    )

    assert_problem(response, 422, slug="rule-violated", rule=rule)


def test_the_holder_a_deputy_stood_in_for_executing_it_is_422(client, staff, unchanged) -> None:
    case_id, exception_id = requested(client, staff)
    append(client, case_id, staff["deputy"], layer(exception_id, 1, acting_for="lead-2"))
    append(client, case_id, staff["head"], layer(exception_id, 2))
    append(client, case_id, staff["director"], layer(exception_id, 3))

    response = refused(
        client,
        unchanged,
        case_id,
        staff["serving_lead"],  # lead-2, away when the deputy decided for them
        {"type": "Accepted", "exception_id": exception_id},
    )

    assert_problem(response, 422, slug="rule-violated", rule="exception.executor_is_approver")


# --- ratification after the fact ------------------------------------------------------------------


def closed_case(client: Any, staff: Any) -> str:
    case_id = register(client, staff["clerk"], occurred_at="2026-02-10T10:50:00+08:00")
    append(
        client,
        case_id,
        staff["clerk"],
        {"type": "Accepted", "occurred_at": "2026-02-10T15:05:00+08:00"},
    )
    append(
        client,
        case_id,
        staff["clerk"],
        {"type": "Completed", "outcome": "granted", "occurred_at": "2026-02-11T09:30:00+08:00"},
    )
    return case_id


def test_a_closed_case_is_ratified_after_the_fact_layer_by_layer(client, staff) -> None:
    case_id = closed_case(client, staff)

    receipt = append(client, case_id, staff["duty"], RATIFICATION)
    exception_id = str(receipt["exception_id"])
    for n, who in enumerate(("lead", "head", "director"), start=1):
        append(client, case_id, staff[who], layer(exception_id, n, opinion="情况属实, 同意追认"))

    after = state(client, staff, case_id)
    assert after["status"] == "completed"
    [record] = after["exceptions"]
    assert (record["status"], record["after_the_fact"], record["executed_by"]) == (
        "ratified",
        True,
        "clerk-007",
    )
    events = client.get(f"/cases/{case_id}/events", headers=staff["reader"]).json()["events"]
    assert [e["type"] for e in events][-2:] == ["ExceptionLayerDecided", "ExceptionRatified"]


def test_its_executor_deciding_a_ratification_layer_is_422(client, staff, unchanged) -> None:
    case_id = closed_case(client, staff)
    body = {**RATIFICATION, "executed_by": "lead-1"}
    exception_id = str(append(client, case_id, staff["duty"], body)["exception_id"])

    response = refused(client, unchanged, case_id, staff["lead"], layer(exception_id, 1))

    assert_problem(response, 422, slug="rule-violated", rule="approval.executor_cannot_approve")


def test_a_ratification_of_what_was_not_yet_done_is_422(client, staff, unchanged) -> None:
    case_id = closed_case(client, staff)
    body = {
        **RATIFICATION,
        "executed_at": "2026-02-11T10:00:00+08:00",
        "occurred_at": "2026-02-11T09:40:00+08:00",
    }

    response = refused(client, unchanged, case_id, staff["duty"], body)

    assert_problem(response, 422, slug="rule-violated", rule="ratification.not_after_the_fact")


def test_an_ordinary_request_left_pending_is_not_decided_once_the_case_closed(
    client, staff, unchanged
) -> None:
    case_id, exception_id = requested(client, staff)
    append(client, case_id, staff["clerk"], {"type": "Completed", "outcome": "withdrawn"})

    response = refused(client, unchanged, case_id, staff["lead"], layer(exception_id, 1))

    problem = assert_problem(response, 422, slug="rule-violated", rule="case.closed")
    assert "ratification" in problem["detail"]
