"""The data subject over HTTP: an identity reconciliation (two ID numbers, one person: seed 000's
王女士's father) recorded masked, its other raw number sealed in the personal-data vault under
the applicant's key and read back only for a purpose; a consent (seed 004: 赵先生 for his wife's
photograph). Refusals are problems naming their rule or field and record nothing."""

from __future__ import annotations

import random
from typing import Any
from uuid import UUID

import pytest

from ledger.application.erasure import erase_subject, subject_of_case
from tests.api.support import append, assert_problem, id_number, nothing_recorded
from tests.conftest import registration

PURPOSE = "核对两地社保记录 / check the two social-security records"
CERTIFICATE = {"kind": "certificate", "issued_by": "户籍地乡镇派出所", "via": "wechat"}
STATEMENT = {"kind": "signed_statement", "issued_by": "当事人", "via": "in_person"}


def new_id_number(region: str) -> str:
    return id_number(
        f"{region}{random.randint(1950, 1970)}{random.randint(1, 12):02d}"
        f"{random.randint(1, 28):02d}{random.randint(0, 999):03d}"
    )


@pytest.fixture
def clerk(token_for: Any) -> dict[str, str]:
    return token_for("rs-clerk-07", "clerk", unit="人社")


@pytest.fixture
def reader(token_for: Any) -> dict[str, str]:
    return token_for("auditor-1", "auditor")


def registered(client: Any, clerk: dict[str, str], raw_id: str) -> str:
    body = registration(applicant={"name": "王某", "id_number": raw_id})
    response = client.post("/cases", json=body, headers=clerk)
    assert response.status_code == 201, response.text
    return str(response.json()["case_id"])


def reconciliation(kept: str, retired: str, *evidence: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "IdentityReconciled",
        "kept_id_number": kept,
        "retired_id_number": retired,
        "evidence": list(evidence) or [CERTIFICATE, STATEMENT],
        "note": "两地社保记录的身份证号码系同一人",
    }


def test_a_reconciliation_holds_masked_numbers_and_the_vault_the_other_one(
    client, clerk, reader
) -> None:
    hefei, huoshan = new_id_number("340102"), new_id_number("341525")
    case_id = registered(client, clerk, hefei)

    append(client, case_id, clerk, reconciliation(hefei, huoshan))

    [reconciled] = client.get(f"/cases/{case_id}", headers=reader).json()["state"]["identities"]
    assert reconciled["kept"]["masked"] == hefei[:4] + "*" * 10 + hefei[-4:]
    assert reconciled["retired"]["masked"] == huoshan[:4] + "*" * 10 + huoshan[-4:]
    assert [e["kind"] for e in reconciled["evidence"]] == ["certificate", "signed_statement"]
    history = client.get(f"/cases/{case_id}/events", headers=reader)
    assert huoshan not in history.text and hefei not in history.text
    raw = client.get(
        f"/cases/{case_id}/personal-data", params={"purpose": PURPOSE}, headers=clerk
    ).json()
    assert (raw["id_number"], raw["other_id_number"]) == (hefei, huoshan)


def test_erasing_the_applicant_shreds_the_other_number_too(client, clerk, ledger) -> None:
    hefei, huoshan = new_id_number("340102"), new_id_number("341525")
    case_id = registered(client, clerk, hefei)
    append(client, case_id, clerk, reconciliation(hefei, huoshan))
    subject = subject_of_case(ledger, UUID(case_id))

    erased = erase_subject(
        ledger, subject, erased_by="dpo-1", override="legal-order", reason="test"
    )

    # name and id_number from the registration, other_id_number from the reconciliation
    assert erased.values_destroyed == 3

    gone = client.get(f"/cases/{case_id}/personal-data", params={"purpose": PURPOSE}, headers=clerk)
    assert_problem(gone, 410, rule="personal_data.erased")


def test_a_reconciliation_without_the_applicants_signed_statement_is_422(
    client, clerk, reader, ledger
) -> None:
    hefei = new_id_number("340102")
    case_id = registered(client, clerk, hefei)

    with nothing_recorded(client, ledger, reader, case_id):
        response = client.post(
            f"/cases/{case_id}/events",
            json=reconciliation(hefei, new_id_number("341525"), CERTIFICATE),
            headers=clerk,
        )

    assert_problem(response, 422, slug="rule-violated", rule="identity.statement_missing")


def test_a_reconciliation_of_someone_elses_numbers_is_422(client, clerk, reader, ledger) -> None:
    case_id = registered(client, clerk, new_id_number("340102"))
    body = reconciliation(new_id_number("340104"), new_id_number("341525"))

    with nothing_recorded(client, ledger, reader, case_id):
        response = client.post(f"/cases/{case_id}/events", json=body, headers=clerk)

    assert_problem(response, 422, slug="rule-violated", rule="identity.not_the_applicant")


def test_a_number_that_is_not_an_id_number_is_400_naming_the_field(
    client, clerk, reader, ledger
) -> None:
    hefei = new_id_number("340102")
    case_id = registered(client, clerk, hefei)
    wrong = hefei[:-1] + ("0" if hefei[-1] != "0" else "1")  # the check digit broken

    with nothing_recorded(client, ledger, reader, case_id):
        response = client.post(
            f"/cases/{case_id}/events", json=reconciliation(wrong, hefei), headers=clerk
        )

    assert_problem(response, 400, slug="invalid-field", field="kept_id_number")


def test_a_consent_is_recorded_with_the_givers_masked_name(client, clerk, reader) -> None:
    case_id = registered(client, clerk, new_id_number("130702"))

    append(
        client,
        case_id,
        clerk,
        {
            "type": "ConsentRecorded",
            "given_by": "赵某",
            "relation": "spouse",
            "purpose": "为其妻拍摄照片, 用于养老保险待遇领取资格认证",
            "evidence": [{"kind": "verbal", "issued_by": "家属(赵先生)", "via": "in_person"}],
        },
    )

    [consent] = client.get(f"/cases/{case_id}", headers=reader).json()["state"]["consents"]
    assert (consent["given_by"], consent["relation"], consent["recorded_by"]) == (
        "赵*",
        "spouse",
        "rs-clerk-07",
    )


def test_a_consent_without_evidence_is_400(client, clerk, reader, ledger) -> None:
    case_id = registered(client, clerk, new_id_number("130702"))
    body = {
        "type": "ConsentRecorded",
        "given_by": "赵某",
        "relation": "spouse",
        "purpose": "拍照认证",
        "evidence": [],
    }

    with nothing_recorded(client, ledger, reader, case_id):
        response = client.post(f"/cases/{case_id}/events", json=body, headers=clerk)

    assert_problem(response, 400)
