"""Exception approvals over HTTP: the forbidden shortcuts are 422 problems naming their rule (and
record nothing), roles that may not decide a layer are 403, and a full chain grants."""

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
    "waived_items": [],
    "compensating_controls": ["家属同意", "照片留档"],
}

MEETING = [
    {"id": "head-1", "role": "department_head", "unit": "民政"},
    {"id": "head-2", "role": "department_head", "unit": "社区建设办"},
]


@pytest.fixture
def clerk(token_for: Any) -> dict[str, str]:
    return token_for("clerk-007", "clerk", unit="人社")


@pytest.fixture
def lead(token_for: Any) -> dict[str, str]:
    return token_for("lead-1", "window_lead", unit="人社")


@pytest.fixture
def head(token_for: Any) -> dict[str, str]:
    return token_for("head-1", "department_head", unit="人社")


@pytest.fixture
def director(token_for: Any) -> dict[str, str]:
    return token_for("director-1", "centre_director", unit="中心")


@pytest.fixture
def auditor(token_for: Any) -> dict[str, str]:
    return token_for("auditor-1", "auditor")


@pytest.fixture
def unchanged(client: Any, ledger: Any, auditor: dict[str, str]) -> Any:
    def make(case_id: str) -> Any:
        return nothing_recorded(client, ledger, auditor, case_id)

    return make


def requested(client: Any, headers: dict[str, str], **registration: Any) -> tuple[str, str]:
    """A case with a pending 特事特办 request: (case_id, exception_id)."""
    case_id = register(client, headers, **registration)
    receipt = append(client, case_id, headers, SPECIAL_HANDLING)
    return case_id, str(receipt["exception_id"])


def layer(exception_id: str, n: int, decision: str = "approve", **extra: Any) -> dict[str, Any]:
    return {
        "type": "ExceptionLayerDecided",
        "exception_id": exception_id,
        "layer": n,
        "decision": decision,
        "opinion": "同意" if decision == "approve" else "不同意",
        **extra,
    }


def refused(
    client: Any, unchanged: Any, case_id: str, headers: dict[str, str], body: dict[str, Any]
) -> Any:
    with unchanged(case_id):
        return client.post(f"/cases/{case_id}/events", json=body, headers=headers)


def test_a_full_chain_grants_the_exception(client, clerk, lead, head, director, auditor) -> None:
    case_id, exception_id = requested(client, clerk)
    append(client, case_id, lead, layer(exception_id, 1))
    append(client, case_id, head, layer(exception_id, 2))

    receipt = append(client, case_id, director, layer(exception_id, 3))

    events = client.get(f"/cases/{case_id}/events", headers=auditor).json()["events"]
    assert [e["type"] for e in events][-2:] == ["ExceptionLayerDecided", "ExceptionGranted"]
    assert receipt["version"] == events[-1]["version"]
    [record] = client.get(f"/cases/{case_id}", headers=auditor).json()["state"]["exceptions"]
    assert (record["status"], record["post_audit"]) == ("granted", "mandatory")
    assert [(d["layer"], d["approver"], d["role"]) for d in record["decisions"]] == [
        (1, "lead-1", "window_lead"),
        (2, "head-1", "department_head"),
        (3, "director-1", "centre_director"),
    ]


def test_a_layer_out_of_order_is_422(client, clerk, head, unchanged) -> None:
    case_id, exception_id = requested(client, clerk)

    response = refused(client, unchanged, case_id, head, layer(exception_id, 2))

    assert_problem(response, 422, slug="rule-violated", rule="approval.layer_out_of_order")


def test_a_token_without_the_layers_role_is_422(client, clerk, head, unchanged) -> None:
    case_id, exception_id = requested(client, clerk)

    response = refused(client, unchanged, case_id, head, layer(exception_id, 1))

    problem = assert_problem(response, 422, slug="rule-violated", rule="approval.wrong_role")
    assert "window_lead" in problem["detail"]


def test_the_requester_approving_is_422(client, token_for, unchanged) -> None:
    requester = token_for("lead-7", "clerk", "window_lead", unit="人社")
    case_id, exception_id = requested(client, requester)

    response = refused(client, unchanged, case_id, requester, layer(exception_id, 1))

    assert_problem(response, 422, slug="rule-violated", rule="approval.requester_cannot_approve")


def test_one_person_deciding_two_layers_is_422(client, clerk, token_for, unchanged) -> None:
    both = token_for("lead-head-1", "window_lead", "department_head", unit="人社")
    case_id, exception_id = requested(client, clerk)
    append(client, case_id, both, layer(exception_id, 1))

    response = refused(client, unchanged, case_id, both, layer(exception_id, 2))

    assert_problem(response, 422, slug="rule-violated", rule="approval.approver_already_decided")


@pytest.mark.parametrize("closed_by", ["rejection", "grant"])
def test_deciding_a_closed_request_is_422(
    client, clerk, lead, head, director, token_for, unchanged, closed_by
) -> None:
    case_id, exception_id = requested(client, clerk)
    if closed_by == "rejection":
        append(client, case_id, lead, layer(exception_id, 1, "reject"))
        late, n = head, 2
    else:
        for n, approver in enumerate((lead, head, director), start=1):
            append(client, case_id, approver, layer(exception_id, n))
        late, n = token_for("director-2", "centre_director", unit="中心"), 3

    response = refused(client, unchanged, case_id, late, layer(exception_id, n))

    assert_problem(response, 422, slug="rule-violated", rule="approval.request_closed")


def test_a_joint_layer_without_its_attendees_is_422(client, token_for, unchanged) -> None:
    clerk = token_for("qy-clerk-1", "clerk", unit="民政")
    case_id, exception_id = requested(client, clerk, centre="qingyuan", department="民政")
    append(client, case_id, token_for("qy-lead-1", "window_lead"), layer(exception_id, 1))
    head = token_for("head-1", "department_head", unit="民政")

    for joint in (
        {},
        {"attendees": MEETING[:1], "minutes_ref": "纪要 12号"},
        {"attendees": MEETING},
    ):
        response = refused(client, unchanged, case_id, head, layer(exception_id, 2, **joint))
        assert_problem(response, 422, slug="rule-violated", rule="approval.joint_attendees_missing")

    append(
        client, case_id, head, layer(exception_id, 2, attendees=MEETING, minutes_ref="纪要 12号")
    )


@pytest.mark.parametrize("status", ["pending", "refused"])
@pytest.mark.parametrize("use", ["Accepted", "Completed"])
def test_relying_on_an_exception_not_granted_is_422(
    client, clerk, lead, unchanged, status, use
) -> None:
    case_id, exception_id = requested(client, clerk)
    if status == "refused":
        append(client, case_id, lead, layer(exception_id, 1, "reject"))
    body: dict[str, Any] = {"type": use, "exception_id": exception_id}
    if use == "Completed":
        append(client, case_id, clerk, {"type": "Accepted"})
        body["outcome"] = "granted"

    response = refused(client, unchanged, case_id, clerk, body)

    assert_problem(response, 422, slug="rule-violated", rule="exception.not_granted")


@pytest.mark.parametrize(
    ("actor_id", "role"),
    [("clerk-007", "clerk"), ("duty-1", "duty_officer"), ("auditor-1", "auditor")],
)
def test_roles_that_may_not_decide_a_layer_are_403(
    client, clerk, token_for, unchanged, actor_id, role
) -> None:
    case_id, exception_id = requested(client, clerk)

    response = refused(
        client, unchanged, case_id, token_for(actor_id, role, unit="人社"), layer(exception_id, 1)
    )

    assert_problem(response, 403, slug="forbidden", rule="auth.role_not_permitted")
