"""Tenancy, tried as an attacker would: a token of one centre writes to, reads, searches, lists and
proves nothing of another centre's; jurisdiction and every-centre tokens see what they name.
Cases of another centre answer 404 (their existence is not disclosed); naming another centre in a
request answers 403 `auth.centre_not_in_scope`. Real PostgreSQL, projections running."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from litestar.testing import TestClient

from ledger.application.service import Ledger
from tests.api.support import append, assert_problem, nothing_recorded, register
from tests.views_support import module_client_with_views, module_scoped_ledger

database, ledger = module_scoped_ledger()

Headers = dict[str, str]
OUT_OF_SCOPE = "auth.centre_not_in_scope"


client = module_client_with_views()


class Floor:
    """Two centres, each with its own clerk, head, hotline operator and auditor, and a case, a
    12345 order, a 办不成事 report and an exception request in each."""

    def __init__(
        self, client: TestClient[Any], token_for: Callable[..., Headers], new_centre: Any
    ) -> None:
        self.a, self.b = new_centre("ten-a"), new_centre("ten-b")
        self.staff: dict[str, dict[str, Headers]] = {}
        for centre in (self.a, self.b):
            only = (centre,)
            self.staff[centre] = {
                "clerk": token_for("clerk-rs", "clerk", unit="人社", centres=only),
                "head": token_for("head-rs", "department_head", unit="人社", centres=only),
                "hotline": token_for("hl-1", "hotline_operator", unit="12345", centres=only),
                "duty": token_for("duty-1", "duty_officer", unit="值班", centres=only),
                "auditor": token_for("auditor-1", "auditor", centres=only),
                "dashboard": token_for("dash-1", "dashboard", centres=only),
            }
        self.everywhere = token_for("auditor-all", "auditor")
        self.case: dict[str, str] = {}
        self.exception: dict[str, str] = {}
        for centre in (self.a, self.b):
            s = self.staff[centre]
            case_id = register(client, s["clerk"], centre=centre)
            self.case[centre] = case_id
            append(client, case_id, s["hotline"], {
                "type": "HotlineEscalationReceived", "ticket_no": f"T-{centre}",
                "category": "complaint", "summary": "窗口推诿",
            })  # fmt: skip
            append(client, case_id, s["duty"], {
                "type": "UnresolvedReported", "cause": "attitude",
                "resolvability": "refused_to_do", "tier": "simple", "description": "不给办",
            })  # fmt: skip
            written = append(client, case_id, s["clerk"], {
                "type": "ExceptionRequested", "kind": "special_handling", "rule_waived": "到场核验",
                "basis": "特事特办", "justification": "行动不便",
            })  # fmt: skip
            self.exception[centre] = str(written["exception_id"])
        self.position = {
            "Ledger-Position": str(client.app.state.ledger.recorder.max_notification_id())
        }


@pytest.fixture(scope="module")
def floor(client: TestClient[Any], token_for: Callable[..., Headers], new_centre: Any) -> Floor:
    return Floor(client, token_for, new_centre)


def test_a_clerk_cannot_register_a_case_at_another_centre(
    client: TestClient[Any], ledger: Ledger, floor: Floor
) -> None:
    clerk_a = floor.staff[floor.a]["clerk"]
    with nothing_recorded(client, ledger, floor.everywhere):
        response = client.post("/cases", json=_registration(floor.b), headers=clerk_a)
    assert_problem(response, 403, rule=OUT_OF_SCOPE, field="centre")


def test_a_clerk_cannot_append_to_another_centres_case(
    client: TestClient[Any], ledger: Ledger, floor: Floor
) -> None:
    clerk_a = floor.staff[floor.a]["clerk"]
    case_b = floor.case[floor.b]
    with nothing_recorded(client, ledger, floor.everywhere, case_b):
        response = client.post(
            f"/cases/{case_b}/events",
            json={"type": "VisitRecorded"},
            headers=clerk_a,
        )
    assert_problem(response, 404)


@pytest.mark.parametrize(
    "path",
    [
        "/cases/{case}",
        "/cases/{case}?version=1",
        "/cases/{case}?as_of=2100-01-01T00:00:00Z",
        "/cases/{case}/events",
        "/cases/{case}/bundle",
    ],
)
@pytest.mark.parametrize("role", ["clerk", "auditor"])
def test_another_centres_case_does_not_exist_for_a_token(
    client: TestClient[Any], floor: Floor, path: str, role: str
) -> None:
    own, other = floor.case[floor.a], floor.case[floor.b]
    headers = floor.staff[floor.a][role]
    if "bundle" not in path:  # a bundle needs the notary; its scope is checked before
        assert client.get(path.format(case=own), headers=headers).status_code == 200
    problem = assert_problem(client.get(path.format(case=other), headers=headers), 404)
    assert floor.b not in str(problem)


def test_a_jurisdiction_wide_token_reads_every_centre(
    client: TestClient[Any], floor: Floor
) -> None:
    for centre in (floor.a, floor.b):
        response = client.get(f"/cases/{floor.case[centre]}", headers=floor.everywhere)
        assert response.status_code == 200, response.text


def test_search_never_crosses_centres(client: TestClient[Any], floor: Floor) -> None:
    clerk_a = {**floor.staff[floor.a]["clerk"], **floor.position}
    found = client.get("/cases", headers=clerk_a)
    assert found.status_code == 200, found.text
    centres = {row["centre"] for row in found.json()["cases"]}
    assert centres == {floor.a}
    by_number = client.get("/cases", params={"case_no": _case_no(client, floor, floor.b)},
                           headers=clerk_a)  # fmt: skip
    assert by_number.json()["cases"] == []
    assert_problem(
        client.get("/cases", params={"centre": floor.b}, headers=clerk_a),
        403,
        rule=OUT_OF_SCOPE,
        field="centre",
    )
    everywhere = client.get("/cases", headers={**floor.everywhere, **floor.position})
    assert {floor.a, floor.b} <= {row["centre"] for row in everywhere.json()["cases"]}


@pytest.mark.parametrize(
    "path",
    [
        "/boards/duty?centre={centre}",
        "/hotline/tickets?centre={centre}",
        "/unresolved?centre={centre}",
        "/approvals?role=window_lead&centre={centre}",
        "/metrics/timeliness?centre={centre}",
    ],
)
@pytest.mark.parametrize("role", ["dashboard", "duty"])
def test_views_of_another_centre_are_refused(
    client: TestClient[Any], floor: Floor, path: str, role: str
) -> None:
    headers = {**floor.staff[floor.a][role], **floor.position}
    assert client.get(path.format(centre=floor.a), headers=headers).status_code == 200
    assert_problem(
        client.get(path.format(centre=floor.b), headers=headers),
        403,
        rule=OUT_OF_SCOPE,
        field="centre",
    )


def test_registers_without_a_centre_list_only_the_tokens_centres(
    client: TestClient[Any], floor: Floor
) -> None:
    headers = {**floor.staff[floor.a]["dashboard"], **floor.position}
    tickets = client.get("/hotline/tickets", headers=headers).json()["tickets"]
    assert {t["centre"] for t in tickets} == {floor.a}
    reports = client.get("/unresolved", headers=headers).json()
    assert {r["centre"] for r in reports["reports"]} == {floor.a}
    assert reports["counts"]["total"] == 1
    pending = client.get("/approvals?role=window_lead", headers=headers).json()["approvals"]
    assert {p["case_id"] for p in pending} == {floor.case[floor.a]}


def test_indicators_without_a_centre_count_only_the_tokens_centres(
    client: TestClient[Any], floor: Floor
) -> None:
    def received(headers: Headers, **params: str) -> int:
        response = client.get("/metrics/timeliness", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return int(response.json()["total"]["received"])

    a_only = {**floor.staff[floor.a]["dashboard"], **floor.position}
    everywhere = {**floor.everywhere, **floor.position}
    assert received(a_only) == received(everywhere, centre=floor.a) == 1
    assert received(everywhere) >= 2


def test_another_centres_approval_proof_does_not_exist(
    client: TestClient[Any], floor: Floor
) -> None:
    headers = {**floor.staff[floor.a]["auditor"], **floor.position}
    exception_b, case_b = floor.exception[floor.b], floor.case[floor.b]
    for path in (
        f"/exceptions/{exception_b}/proof",
        f"/exceptions/{exception_b}/proof?case_id={case_b}",
    ):
        problem = assert_problem(client.get(path, headers=headers), 404)
        assert case_b not in str(problem)


def test_another_centres_leaves_and_every_entry_bundle_are_closed(
    client: TestClient[Any], ledger: Ledger, floor: Floor
) -> None:
    from ledger.log.keys import load_signer
    from ledger.log.notary import Notary

    settings = ledger.settings
    signer = load_signer(settings.notary_key_path, settings.origin)
    notary = Notary(ledger.database.notary_conninfo, signer, settings.origin)
    try:
        notary.catch_up()
    finally:
        notary.close()
    auditor_a = floor.staff[floor.a]["auditor"]
    own = ledger.audit.leaf_of(_uuid(floor.case[floor.a]), 1)
    other = ledger.audit.leaf_of(_uuid(floor.case[floor.b]), 1)
    assert own is not None and other is not None
    assert client.get(f"/audit/leaves/{own.leaf_index}", headers=auditor_a).status_code == 200
    assert_problem(client.get(f"/audit/leaves/{other.leaf_index}", headers=auditor_a), 404)
    entries = "/tile/entries/000.p/1"
    assert_problem(client.get(entries, headers=auditor_a), 403, rule=OUT_OF_SCOPE)
    assert client.get(entries, headers=floor.everywhere).status_code == 200


def _registration(centre: str) -> dict[str, Any]:
    from tests.conftest import registration

    return registration(centre=centre)


def _case_no(client: TestClient[Any], floor: Floor, centre: str) -> str:
    response = client.get(f"/cases/{floor.case[centre]}", headers=floor.everywhere)
    return str(response.json()["state"]["case_no"])


def _uuid(value: str) -> Any:
    from uuid import UUID

    return UUID(value)


def test_another_centres_personal_data_does_not_exist(
    client: TestClient[Any], floor: Floor
) -> None:
    clerk_a = floor.staff[floor.a]["clerk"]
    path = "/cases/{case}/personal-data?purpose=回电核实"
    own = client.get(path.format(case=floor.case[floor.a]), headers=clerk_a)
    assert own.status_code == 200, own.text
    problem = assert_problem(
        client.get(path.format(case=floor.case[floor.b]), headers=clerk_a), 404
    )
    assert "341525197001010020" not in str(problem)
