"""`GET /cases/{id}/personal-data`: raw identifiers for the roles that serve the applicant, each
read recorded with its purpose and reader; 410 once the subject is erased, while the case, its
history and its bundle stay as they were."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from structlog.testing import capture_logs

from ledger.application.erasure import erase_subject, subject_of_case
from ledger.log.keys import load_signer
from ledger.log.notary import Notary
from ledger.log.signed_note import Verifier
from ledger.log.verify import verify_bundle
from ledger.store.vault import reads
from tests.api.support import assert_problem, id_number
from tests.conftest import registration

PURPOSE = "回电核实补缴金额 / call back about the amount"


def new_id_number() -> str:
    return id_number(
        f"340104{random.randint(1950, 1999)}{random.randint(1, 12):02d}"
        f"{random.randint(1, 28):02d}{random.randint(0, 999):03d}"
    )


@pytest.fixture
def clerk(token_for: Any) -> dict[str, str]:
    return token_for("clerk-pi", "clerk", unit="人社")


@pytest.fixture(scope="module")
def notary(settings: Any, database: Any) -> Iterator[Notary]:
    sealer = Notary(
        database.notary_conninfo,
        load_signer(settings.notary_key_path, settings.origin),
        settings.origin,
    )
    yield sealer
    sealer.close()


def register(client: Any, headers: dict[str, str], **applicant: str) -> str:
    body = registration(applicant={"name": "李女士", **applicant})
    response = client.post("/cases", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["case_id"])


def read(client: Any, case_id: str, headers: dict[str, str], purpose: str | None = PURPOSE) -> Any:
    params = {} if purpose is None else {"purpose": purpose}
    return client.get(f"/cases/{case_id}/personal-data", params=params, headers=headers)


def test_a_clerk_reads_the_raw_values_and_the_read_is_recorded(client, clerk, ledger) -> None:
    raw_id = new_id_number()
    case_id = register(
        client, clerk, id_number=raw_id, phone="13800001111", bank_card="6222 0202 0011 2233"
    )

    with capture_logs() as logs:
        response = read(client, case_id, clerk)

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert (body["name"], body["id_number"], body["phone"], body["bank_card"]) == (
        "李女士",
        raw_id,
        "13800001111",
        "6222020200112233",
    )
    assert body["purpose"] == PURPOSE
    [row] = reads(ledger.store.datastore.get_connection, case_id=body["case_id"])
    assert (row.read_id, row.actor_id, row.roles, row.unit) == (
        body["read_id"],
        "clerk-pi",
        ["clerk"],
        "人社",
    )
    assert (row.purpose, row.outcome, row.subject) == (PURPOSE, "disclosed", body["subject"])
    assert row.kinds == ["bank_card", "id_number", "name", "phone"]
    assert row.request_id == response.headers["x-request-id"]
    [line] = [e for e in logs if e["event"] == "pi.read"]
    assert line["outcome"] == "disclosed" and line["actor"] == "clerk-pi"
    assert line["purpose"] == PURPOSE and raw_id not in repr(line)


def test_the_case_itself_still_holds_only_masked_values_and_tokens(client, clerk) -> None:
    raw_id = new_id_number()
    case_id = register(client, clerk, id_number=raw_id)

    applicant = client.get(f"/cases/{case_id}", headers=clerk).json()["state"]["applicant"]
    events = client.get(f"/cases/{case_id}/events", headers=clerk).text

    assert applicant["id_number"]["masked"] == raw_id[:4] + "*" * 10 + raw_id[-4:]
    assert raw_id not in events


def test_reads_by_two_actors_are_both_recorded(client, clerk, token_for, ledger) -> None:
    case_id = register(client, clerk, id_number=new_id_number())
    duty = token_for("duty-pi", "duty_officer", unit="值班")

    first = read(client, case_id, clerk, purpose="核对身份")
    second = read(client, case_id, duty, purpose="陪同办理 / accompanying the applicant")

    assert first.status_code == second.status_code == 200
    rows = reads(ledger.store.datastore.get_connection, case_id=first.json()["case_id"])
    assert [(r.actor_id, r.purpose, r.outcome) for r in rows] == [
        ("clerk-pi", "核对身份", "disclosed"),
        ("duty-pi", "陪同办理 / accompanying the applicant", "disclosed"),
    ]


@pytest.mark.parametrize("purpose", [None, "", "   "])
def test_a_read_without_a_purpose_is_400_naming_it(client, clerk, ledger, purpose) -> None:
    case_id = register(client, clerk, id_number=new_id_number())

    response = read(client, case_id, clerk, purpose=purpose)

    problem = assert_problem(response, 400)
    assert problem["field"] == "purpose", problem
    assert reads(ledger.store.datastore.get_connection, case_id=UUID(case_id)) == []


@pytest.mark.parametrize("role", ["dashboard", "auditor", "hotline_operator"])
def test_roles_that_do_not_serve_the_applicant_are_403_and_the_attempt_is_recorded(
    client, clerk, token_for, ledger, role
) -> None:
    case_id = register(client, clerk, id_number=new_id_number())

    response = read(client, case_id, token_for(f"{role}-pi", role))

    problem = assert_problem(response, 403, rule="auth.role_not_permitted")
    assert "raw personal data" in problem["detail"]
    [row] = reads(ledger.store.datastore.get_connection, case_id=UUID(case_id))
    assert (row.actor_id, row.outcome, row.kinds) == (f"{role}-pi", "refused", [])


def test_a_case_registered_without_identifiers_is_404_personal_data_none(
    client, clerk, ledger
) -> None:
    case_id = register(client, clerk)

    response = read(client, case_id, clerk)

    assert_problem(response, 404, slug="not-found", rule="personal_data.none")
    [row] = reads(ledger.store.datastore.get_connection, case_id=UUID(case_id))
    assert row.outcome == "none" and row.subject is None


def test_an_unknown_case_or_one_outside_the_tokens_centres_is_404(client, clerk, token_for) -> None:
    case_id = register(client, clerk, id_number=new_id_number())
    elsewhere = token_for("clerk-elsewhere", "clerk", unit="人社", centres=("no-such-centre",))

    assert_problem(read(client, "00000000-0000-4000-8000-000000000000", clerk), 404)
    assert_problem(read(client, case_id, elsewhere), 404)


def test_an_erased_subject_answers_410_and_the_case_and_its_bundle_still_verify(
    client, clerk, token_for, ledger, notary
) -> None:
    case_id = register(client, clerk, id_number=new_id_number(), phone="13800002222")
    client.post(f"/cases/{case_id}/events", json={"type": "VisitRecorded"}, headers=clerk)
    assert read(client, case_id, clerk).status_code == 200
    notary.catch_up()
    auditor = token_for("aud-pi", "auditor")
    before = client.get(f"/cases/{case_id}/bundle", headers=auditor).json()
    subject = subject_of_case(ledger, UUID(case_id))

    erasure = erase_subject(
        ledger, subject, erased_by="dpo-1", override="legal-order", reason="court order (test)"
    )

    gone = read(client, case_id, clerk)
    problem = assert_problem(gone, 410, slug="personal-data-erased", rule="personal_data.erased")
    assert problem["erased_at"].startswith(erasure.erased_at.date().isoformat())
    state = client.get(f"/cases/{case_id}", headers=clerk)
    history = client.get(f"/cases/{case_id}/events", headers=clerk)
    assert state.status_code == history.status_code == 200
    assert state.json()["state"]["applicant"]["id_number"]["token"] == subject
    notary.catch_up()
    after = client.get(f"/cases/{case_id}/bundle", headers=auditor)
    verifier = Verifier(client.get("/audit/public-key").text.strip())
    assert verify_bundle(after.content, verifier).ok
    assert [e["payload"] for e in after.json()["events"]] == [
        e["payload"] for e in before["events"]
    ]
    outcomes = [r.outcome for r in reads(ledger.store.datastore.get_connection, subject=subject)]
    assert outcomes == ["disclosed", "erased"]


def test_the_schema_declares_410_as_a_problem(client) -> None:
    operation = client.get("/schema/openapi.json").json()["paths"]["/cases/{case_id}/personal-data"]
    responses = operation["get"]["responses"]

    assert {"200", "400", "401", "403", "404", "410", "503"} <= set(responses)
    assert "application/problem+json" in responses["410"]["content"]
    purpose = next(p for p in operation["get"]["parameters"] if p["name"] == "purpose")
    assert purpose["required"] is True
