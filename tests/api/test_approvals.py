"""GET /approvals and the duty board's `exceptions_waiting`, from the "exceptions" view on a real
PostgreSQL: oldest waiting first per approver role, gone once decided; 400 for an unknown role."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from ledger.application.service import Ledger
from tests.api.support import assert_problem
from tests.exception_views_support import ago, decide, register_at, request
from tests.views_support import module_client_with_views, module_scoped_ledger

database, ledger = module_scoped_ledger()


client = module_client_with_views()


@pytest.fixture(scope="module")
def reader(token_for: Callable[..., dict[str, str]]) -> dict[str, str]:
    return token_for("dash-1", "dashboard")


def test_pending_by_role_oldest_first_and_gone_once_decided(
    ledger: Ledger, client: TestClient[Any], reader: dict[str, str]
) -> None:
    older, newer = ago(hours=5), ago(hours=2)
    case_old = register_at(ledger, older)
    x_old = request(ledger, case_old, older)
    case_new = register_at(ledger, newer)
    x_new = request(ledger, case_new, newer)
    position = ledger.recorder.max_notification_id()

    response = client.get(
        f"/approvals?role=window_lead&centre=huoshan&min_position={position}", headers=reader
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["role"] == "window_lead"
    assert body["as_of_position"] >= position
    assert set(body["lag"]) == {"events", "seconds"}
    listed = [a["exception_id"] for a in body["approvals"]]
    assert listed == [str(x_old), str(x_new)]
    first = body["approvals"][0]
    assert first["case_id"] == str(case_old)
    assert first["case_no"].startswith("HUOSHAN-")
    assert (first["kind"], first["layer"], first["layers"]) == ("missing_materials", 1, 2)
    assert (first["role"], first["title"]) == ("window_lead", "窗口负责人")
    assert first["rule_waived"] == "材料齐全方可受理"
    assert first["requested_by"] == "clerk-hs"
    assert first["waiting"].startswith("PT") and first["waiting"].endswith("S")
    assert 5 * 3600 <= float(first["waiting"][2:-1]) < 6 * 3600

    decided_at = ago(hours=1)
    decide(ledger, case_old, x_old, 1, decided_at)
    position = ledger.recorder.max_notification_id()
    leads = client.get(
        "/approvals?role=window_lead&centre=huoshan",
        headers={**reader, "Ledger-Position": str(position)},
    ).json()
    assert [a["exception_id"] for a in leads["approvals"]] == [str(x_new)]
    heads = client.get(
        f"/approvals?role=department_head&min_position={position}", headers=reader
    ).json()
    mine = [a for a in heads["approvals"] if a["exception_id"] == str(x_old)]
    assert len(mine) == 1
    assert (mine[0]["layer"], mine[0]["title"]) == (2, "部门负责人（首席代表）")
    assert datetime.fromisoformat(mine[0]["waiting_since"]) == decided_at

    board = client.get(
        f"/boards/duty?centre=huoshan&min_position={position}", headers=reader
    ).json()
    section = board["exceptions_waiting"]
    assert section["as_of_position"] >= position
    roles = {r["role"]: r for r in section["roles"]}
    assert roles["window_lead"]["count"] == 1
    assert [a["exception_id"] for a in roles["window_lead"]["oldest"]] == [str(x_new)]
    assert roles["department_head"]["count"] == 1
    assert roles["department_head"]["oldest"][0]["exception_id"] == str(x_old)

    decide(ledger, case_new, x_new, 1, ago(minutes=30), approve=False)  # refused: waits no more
    position = ledger.recorder.max_notification_id()
    leads = client.get(f"/approvals?role=window_lead&min_position={position}", headers=reader)
    assert [a["exception_id"] for a in leads.json()["approvals"]] == []
    other = client.get(f"/boards/duty?centre=nowhere&min_position={position}", headers=reader)
    assert other.json()["exceptions_waiting"]["roles"] == []


@pytest.mark.parametrize("query", ["", "?role=", "?role=boss", "?role=WINDOW_LEAD"])
def test_a_bad_role_is_a_400_naming_role(
    client: TestClient[Any], reader: dict[str, str], query: str
) -> None:
    response = client.get(f"/approvals{query}", headers=reader)
    if query == "?role=":  # an empty value fails the parameter's own validation
        assert response.status_code == 400
        return
    assert_problem(response, 400, field="role")


def test_approvals_need_a_credential(client: TestClient[Any]) -> None:
    assert client.get("/approvals?role=window_lead").status_code == 401


def test_exceptions_waiting_section_waits_for_the_exceptions_view(
    ledger: Ledger, client: TestClient[Any], reader: dict[str, str]
) -> None:
    case_id = register_at(ledger, ago(hours=1))
    request(ledger, case_id, ago(minutes=50))
    position = ledger.recorder.max_notification_id()
    board = client.get(f"/boards/duty?centre=huoshan&min_position={position}", headers=reader)
    assert board.status_code == 200
    roles = {r["role"]: r for r in board.json()["exceptions_waiting"]["roles"]}
    assert str(case_id) in {a["case_id"] for a in roles["window_lead"]["oldest"]}
