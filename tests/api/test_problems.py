"""Every refusal is one RFC 9457 problem (application/problem+json), and records nothing.

Each test reads the log's head position, and the case's ETag, state and history, before and after
the refused request: a refusal must leave all of them as they were.
"""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

import jwt
import pytest

from ledger.application.tokens import create_token
from ledger.domain.values import Role
from tests.api.support import (
    append,
    assert_problem,
    nothing_recorded,
    register,
)
from tests.conftest import registration

UNKNOWN_CASE = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def clerk(token_for: Any) -> dict[str, str]:
    return token_for("clerk-007", "clerk", unit="人社")


@pytest.fixture
def auditor(token_for: Any) -> dict[str, str]:
    return token_for("auditor-1", "auditor")


@pytest.fixture
def case_id(client: Any, clerk: dict[str, str]) -> str:
    return register(client, clerk)


@pytest.fixture
def unchanged(client: Any, ledger: Any, auditor: dict[str, str]) -> Any:
    """`with unchanged(case_id):` asserts the request inside recorded nothing anywhere."""

    def make(case_id: str | None = None) -> Any:
        return nothing_recorded(client, ledger, auditor, case_id)

    return make


# --- 400: malformed requests ----------------------------------------------------------------------


def test_malformed_json_is_400(client, clerk, case_id, unchanged) -> None:
    with unchanged(case_id):
        response = client.post(
            f"/cases/{case_id}/events",
            content=b'{"type": "VisitRecorded", ',
            headers={**clerk, "content-type": "application/json"},
        )
    assert_problem(response, 400)


def test_malformed_json_registering_is_400(client, clerk, unchanged) -> None:
    with unchanged():
        response = client.post(
            "/cases", content=b"{not json", headers={**clerk, "content-type": "application/json"}
        )
    assert_problem(response, 400)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"type": "NoSuchEvent"}, "type", id="unknown-event-type"),
        pytest.param(
            {"type": "HandedOff", "to_department": 7, "reason": "社税联办"},
            "to_department",
            id="wrong-field-type",
        ),
        pytest.param(
            {"type": "ExtensionRequested", "working_days": 0, "reason": "x"},
            "working_days",
            id="out-of-range",
        ),
        pytest.param({"type": "ClockPaused", "reason": "coffee"}, "reason", id="not-in-enum"),
        pytest.param(
            {"type": "VisitRecorded", "occurred_at": "2026-01-01T09:00:00"},
            "occurred_at",
            id="occurred-at-without-zone",
        ),
        pytest.param({"type": "OneTimeNoticeIssued", "items": []}, "items", id="empty-list"),
    ],
)
def test_invalid_event_body_is_400_naming_the_field(
    client, clerk, case_id, unchanged, body, field
) -> None:
    with unchanged(case_id):
        response = client.post(f"/cases/{case_id}/events", json=body, headers=clerk)
    problem = assert_problem(response, 400, slug="malformed-request", field=field)
    assert problem["errors"][0]["field"] == field


@pytest.mark.parametrize(
    ("body", "member"),
    [
        pytest.param(
            {"type": "VisitRecorded", "ticket": "A012", "tiket_note": "typo"},
            "tiket_note",
            id="unknown-field",
        ),
        pytest.param(
            {"type": "VisitRecorded", "actor": {"id": "director-1", "roles": ["admin"]}},
            "actor",
            id="actor-in-body",
        ),
        pytest.param({"type": "HandedOff", "reason": "社税联办"}, "to_department", id="missing"),
        pytest.param({"note": "no type at all"}, "type", id="missing-type"),
    ],
)
def test_top_level_member_error_is_400_naming_the_member(
    client, clerk, case_id, unchanged, body, member
) -> None:
    """forbid_unknown_fields: a member the schema does not know is refused, never dropped;
    a missing one is named too."""
    with unchanged(case_id):
        response = client.post(f"/cases/{case_id}/events", json=body, headers=clerk)
    problem = assert_problem(response, 400, slug="malformed-request")
    assert member in problem["detail"]
    # `field` names the member, or the document root ("body", errors.py's own fallback); never
    # Litestar's handler parameter name "data", which is nothing the client sent.
    assert problem["field"] in {member, "body"}, problem


@pytest.mark.parametrize(
    ("overrides", "field", "slug"),
    [
        pytest.param(
            {"applicant": {"name": "李某", "id_number": "341525197001010021"}},
            "applicant.id_number",
            "invalid-field",
            id="id-number-check-digit",
        ),
        pytest.param(
            {"applicant": {"name": "李某", "id_number": "341525197002300020"}},
            "applicant.id_number",
            "invalid-field",
            id="id-number-birth-date",
        ),
        pytest.param(
            {"applicant": {"name": "李某", "phone": "12345"}},
            "applicant.phone",
            "invalid-field",
            id="phone",
        ),
        pytest.param(
            {"applicant": {"name": "李某", "bank_card": "62220202"}},
            "applicant.bank_card",
            "invalid-field",
            id="bank-card",
        ),
        pytest.param(
            {"matter": {"code": 5, "name": "养老保险费补缴"}},
            "matter.code",
            "malformed-request",
            id="nested-wrong-type",
        ),
        pytest.param({"channel": "carrier_pigeon"}, "channel", "malformed-request", id="enum"),
        pytest.param({"centre": "Huo Shan"}, "centre", "malformed-request", id="centre-pattern"),
    ],
)
def test_invalid_registration_is_400_and_registers_nothing(
    client, clerk, unchanged, overrides, field, slug
) -> None:
    with unchanged():
        response = client.post("/cases", json=registration(**overrides), headers=clerk)
    assert_problem(response, 400, slug=slug, field=field)


def test_unknown_field_in_applicant_is_400(client, clerk, unchanged) -> None:
    body = registration(applicant={"name": "李某", "id_card": "341525197001010020"})
    with unchanged():
        response = client.post("/cases", json=body, headers=clerk)
    problem = assert_problem(response, 400, slug="malformed-request", field="applicant.id_card")
    assert "id_card" in problem["detail"]


@pytest.mark.parametrize("if_match", ["abc", '"v1"', '"-1"', "1.0", '"1234567890123456789"'])
def test_bad_if_match_is_400(client, clerk, case_id, unchanged, if_match) -> None:
    with unchanged(case_id):
        response = client.post(
            f"/cases/{case_id}/events",
            json={"type": "VisitRecorded"},
            headers={**clerk, "If-Match": if_match},
        )
    assert_problem(response, 400, slug="bad-request", field="If-Match")


@pytest.mark.parametrize("key", ["k" * 300, "has space", ""], ids=["300-chars", "space", "empty"])
def test_bad_idempotency_key_is_400(client, clerk, case_id, unchanged, key) -> None:
    with unchanged(case_id):
        response = client.post(
            f"/cases/{case_id}/events",
            json={"type": "VisitRecorded"},
            headers={**clerk, "Idempotency-Key": key},
        )
    assert_problem(response, 400, slug="bad-request", field="Idempotency-Key")


def test_bad_idempotency_key_registering_is_400(client, clerk, unchanged) -> None:
    with unchanged():
        response = client.post(
            "/cases", json=registration(), headers={**clerk, "Idempotency-Key": "k" * 300}
        )
    assert_problem(response, 400, slug="bad-request", field="Idempotency-Key")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param(
            {"version": "1", "as_of": "2026-01-01T00:00:00+08:00"}, "as_of", id="version-and-as_of"
        ),
        pytest.param({"as_of": "2026-01-01T00:00:00"}, "as_of", id="as_of-without-zone"),
        pytest.param({"as_of": "yesterday"}, "as_of", id="as_of-not-a-time"),
        pytest.param({"version": "0"}, "version", id="version-zero"),
        pytest.param({"version": "two"}, "version", id="version-not-a-number"),
    ],
)
def test_bad_read_query_is_400(client, clerk, case_id, unchanged, params, field) -> None:
    with unchanged(case_id):
        response = client.get(f"/cases/{case_id}", params=params, headers=clerk)
    assert_problem(response, 400, field=field)


# --- 401: no valid credential ---------------------------------------------------------------------


def _bad_credentials(settings: Any, token_for: Any) -> dict[str, dict[str, str]]:
    other_secret = secrets.token_bytes(32)
    forged = create_token(other_secret, "clerk-007", [Role.CLERK], "人社", 3600, centres=["*"])
    return {
        "no-token": {},
        "empty-bearer": {"Authorization": "Bearer "},
        "basic-scheme": {"Authorization": "Basic Y2xlcms6cGFzcw=="},
        "malformed-token": {"Authorization": "Bearer not.a.jwt"},
        "other-secret": {"Authorization": f"Bearer {forged}"},
        "expired": token_for("clerk-007", "clerk", unit="人社", ttl=-10),
        "unknown-role": {
            "Authorization": "Bearer "
            + _token_with_claims(settings.token_secret, roles=["emperor"])
        },
    }


def _token_with_claims(secret: bytes, **claims: Any) -> str:
    now = int(time.time())
    base = {"iss": "case-ledger", "sub": "x", "iat": now, "exp": now + 60, **claims}
    return jwt.encode(base, secret, algorithm="HS256")


CREDENTIAL_IDS = [
    "no-token",
    "empty-bearer",
    "basic-scheme",
    "malformed-token",
    "other-secret",
    "expired",
    "unknown-role",
]


@pytest.mark.parametrize("credential", CREDENTIAL_IDS)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("GET", "/cases/{id}", None, id="get-case"),
        pytest.param("GET", "/cases/{id}/events", None, id="get-events"),
        pytest.param("POST", "/cases/{id}/events", {"type": "VisitRecorded"}, id="append"),
        pytest.param("POST", "/cases", "registration", id="register"),
    ],
)
def test_without_a_valid_token_is_401(
    client, settings, token_for, case_id, unchanged, credential, method, path, body
) -> None:
    headers = _bad_credentials(settings, token_for)[credential]
    json_body = registration() if body == "registration" else body
    with unchanged(case_id):
        response = client.request(method, path.format(id=case_id), json=json_body, headers=headers)
    assert_problem(response, 401, slug="unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")


# --- 403: the credential's roles may not ----------------------------------------------------------


@pytest.mark.parametrize("path", ["/cases/{id}", "/cases/{id}/events"])
def test_dashboard_reading_a_case_is_403(client, token_for, case_id, unchanged, path) -> None:
    dashboard = token_for("board-1", "dashboard")
    with unchanged(case_id):
        response = client.get(path.format(id=case_id), headers=dashboard)
    assert_problem(response, 403, slug="forbidden", rule="auth.role_not_permitted")


@pytest.mark.parametrize(
    ("actor", "body"),
    [
        pytest.param(("auditor-1", "auditor", None), {"type": "VisitRecorded"}, id="auditor"),
        pytest.param(("board-1", "dashboard", None), {"type": "VisitRecorded"}, id="dashboard"),
        pytest.param(("admin-1", "admin", None), {"type": "Accepted"}, id="admin"),
        pytest.param(
            ("clerk-007", "clerk", "人社"),
            {"type": "DutyIntervention", "action": "安抚群众"},
            id="clerk-duty-intervention",
        ),
        pytest.param(
            ("clerk-007", "clerk", "人社"),
            {"type": "ExtensionDecided", "extension_id": str(uuid4()), "decision": "approve"},
            id="clerk-extension-decided",
        ),
        pytest.param(
            ("hotline-1", "hotline_operator", None),
            {"type": "Accepted"},
            id="hotline-accepting",
        ),
    ],
)
def test_role_not_permitted_to_append_is_403(
    client, token_for, case_id, unchanged, actor, body
) -> None:
    actor_id, role, unit = actor
    with unchanged(case_id):
        response = client.post(
            f"/cases/{case_id}/events", json=body, headers=token_for(actor_id, role, unit=unit)
        )
    assert_problem(response, 403, slug="forbidden", rule="auth.role_not_permitted")


@pytest.mark.parametrize("role", ["auditor", "dashboard", "admin"])
def test_role_not_permitted_to_register_is_403(client, token_for, unchanged, role) -> None:
    with unchanged():
        response = client.post("/cases", json=registration(), headers=token_for("x-1", role))
    assert_problem(response, 403, slug="forbidden", rule="auth.role_not_permitted")


# --- 404: nothing there ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("GET", f"/cases/{UNKNOWN_CASE}", None, id="get-case"),
        pytest.param("GET", f"/cases/{UNKNOWN_CASE}/events", None, id="get-events"),
        pytest.param(
            "POST", f"/cases/{UNKNOWN_CASE}/events", {"type": "VisitRecorded"}, id="append"
        ),
    ],
)
def test_unknown_case_is_404(client, clerk, unchanged, method, path, body) -> None:
    with unchanged():
        response = client.request(method, path, json=body, headers=clerk)
    assert_problem(response, 404, slug="not-found")


def test_append_to_unknown_case_with_if_match_is_404(client, clerk, unchanged) -> None:
    with unchanged():
        response = client.post(
            f"/cases/{UNKNOWN_CASE}/events",
            json={"type": "VisitRecorded"},
            headers={**clerk, "If-Match": '"1"'},
        )
    assert_problem(response, 404, slug="not-found")


@pytest.mark.parametrize("version", [2, 10**6])
def test_version_beyond_current_is_404(client, clerk, case_id, unchanged, version) -> None:
    with unchanged(case_id):
        response = client.get(f"/cases/{case_id}", params={"version": version}, headers=clerk)
    assert_problem(response, 404, slug="not-found")


def test_as_of_before_the_case_existed_is_404(client, clerk, case_id, unchanged) -> None:
    recorded = datetime.fromisoformat(
        client.get(f"/cases/{case_id}", headers=clerk).json()["registered_recorded_at"]
    )
    before = (recorded - timedelta(milliseconds=1)).isoformat()
    with unchanged(case_id):
        response = client.get(f"/cases/{case_id}", params={"as_of": before}, headers=clerk)
    assert_problem(response, 404, slug="not-found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/no-such-path"),
        ("GET", "/cases/not-a-uuid"),
        ("POST", "/cases/not-a-uuid/events"),
    ],
)
def test_unknown_path_is_404_problem(client, clerk, unchanged, method, path) -> None:
    with unchanged():
        response = client.request(method, path, json={"type": "VisitRecorded"}, headers=clerk)
    assert_problem(response, 404)


def test_unsupported_method_is_405_problem(client, clerk, case_id, unchanged) -> None:
    with unchanged(case_id):
        response = client.delete(f"/cases/{case_id}", headers=clerk)
    assert_problem(response, 405)


# --- 409: Idempotency-Key reused ------------------------------------------------------------------


def test_idempotency_key_reused_with_another_body_is_409(client, clerk, case_id, unchanged) -> None:
    key = f"visit-{uuid4()}"
    append(
        client,
        case_id,
        clerk,
        {"type": "VisitRecorded", "ticket": "A012"},
        **{"Idempotency-Key": key},
    )
    with unchanged(case_id):
        response = client.post(
            f"/cases/{case_id}/events",
            json={"type": "VisitRecorded", "ticket": "A013"},
            headers={**clerk, "Idempotency-Key": key},
        )
    assert_problem(response, 409, slug="idempotency-key-reused", field="Idempotency-Key")


def test_idempotency_key_reused_on_another_case_is_409(client, clerk, case_id, unchanged) -> None:
    key = f"visit-{uuid4()}"
    body = {"type": "VisitRecorded", "ticket": "A012"}
    append(client, case_id, clerk, body, **{"Idempotency-Key": key})
    other = register(client, clerk)
    with unchanged(other):
        response = client.post(
            f"/cases/{other}/events", json=body, headers={**clerk, "Idempotency-Key": key}
        )
    assert_problem(response, 409, slug="idempotency-key-reused", field="Idempotency-Key")


def test_idempotency_key_reused_registering_another_case_is_409(client, clerk, unchanged) -> None:
    key = f"register-{uuid4()}"
    first = client.post("/cases", json=registration(), headers={**clerk, "Idempotency-Key": key})
    assert first.status_code == 201, first.text
    with unchanged(first.json()["case_id"]):
        response = client.post(
            "/cases",
            json=registration(window="2F-08"),
            headers={**clerk, "Idempotency-Key": key},
        )
    assert_problem(response, 409, slug="idempotency-key-reused", field="Idempotency-Key")


# --- 412: stale If-Match --------------------------------------------------------------------------


@pytest.mark.parametrize("stale", ['"1"', 'W/"1"', "1"])
def test_stale_if_match_is_412_with_current_version(
    client, clerk, case_id, unchanged, stale
) -> None:
    append(client, case_id, clerk, {"type": "VisitRecorded"})
    with unchanged(case_id):
        response = client.post(
            f"/cases/{case_id}/events",
            json={"type": "VisitRecorded"},
            headers={**clerk, "If-Match": stale},
        )
    problem = assert_problem(response, 412, slug="precondition-failed")
    assert problem["current_version"] == 2


def test_if_match_ahead_of_the_case_is_412(client, clerk, case_id, unchanged) -> None:
    with unchanged(case_id):
        response = client.post(
            f"/cases/{case_id}/events",
            json={"type": "VisitRecorded"},
            headers={**clerk, "If-Match": '"5"'},
        )
    problem = assert_problem(response, 412, slug="precondition-failed")
    assert problem["current_version"] == 1


# --- 413: body over the limit ---------------------------------------------------------------------


def test_event_body_over_the_limit_is_413(client, clerk, settings, case_id, unchanged) -> None:
    assert settings.max_body_bytes == 64 * 1024
    body = {"type": "VisitRecorded", "note": "x" * (settings.max_body_bytes + 1)}
    with unchanged(case_id):
        response = client.post(f"/cases/{case_id}/events", json=body, headers=clerk)
    assert_problem(response, 413)


def test_registration_over_the_limit_is_413(client, clerk, settings, unchanged) -> None:
    body = registration(matter={"code": "SI", "name": "养" * settings.max_body_bytes})
    with unchanged():
        response = client.post("/cases", json=body, headers=clerk)
    assert_problem(response, 413)


# --- 422: domain rules, named ---------------------------------------------------------------------


def test_case_not_held_by_unit_is_422(client, token_for, case_id, unchanged) -> None:
    tax_clerk = token_for("clerk-101", "clerk", unit="税务")
    with unchanged(case_id):
        response = client.post(
            f"/cases/{case_id}/events", json={"type": "Accepted"}, headers=tax_clerk
        )
    assert_problem(response, 422, slug="rule-violated", rule="case.not_held_by_unit")


def test_handoff_signed_for_by_another_unit_is_422(
    client, clerk, token_for, case_id, unchanged
) -> None:
    handoff_id = append(
        client,
        case_id,
        clerk,
        {"type": "HandedOff", "to_department": "税务", "reason": "社税联办: 缴费"},
    )["handoff_id"]
    civil_clerk = token_for("clerk-202", "clerk", unit="民政")
    for who in (clerk, civil_clerk):
        with unchanged(case_id):
            response = client.post(
                f"/cases/{case_id}/events",
                json={"type": "HandOffSignedFor", "handoff_id": handoff_id},
                headers=who,
            )
        assert_problem(response, 422, slug="rule-violated", rule="handoff.not_receiving_unit")


def test_accepting_with_materials_outstanding_is_422(client, clerk, case_id, unchanged) -> None:
    append(
        client,
        case_id,
        clerk,
        {"type": "OneTimeNoticeIssued", "items": ["缴费凭证", "身份证复印件"]},
    )
    append(client, case_id, clerk, {"type": "MaterialsSupplied", "items": ["缴费凭证"]})
    with unchanged(case_id):
        response = client.post(f"/cases/{case_id}/events", json={"type": "Accepted"}, headers=clerk)
    problem = assert_problem(
        response, 422, slug="rule-violated", rule="acceptance.materials_outstanding"
    )
    assert "身份证复印件" in problem["detail"]


def test_event_on_a_closed_case_is_422(client, clerk, case_id, unchanged) -> None:
    append(client, case_id, clerk, {"type": "Completed", "outcome": "withdrawn"})
    with unchanged(case_id):
        response = client.post(
            f"/cases/{case_id}/events", json={"type": "VisitRecorded"}, headers=clerk
        )
    assert_problem(response, 422, slug="rule-violated", rule="case.closed")


def test_occurred_at_before_registration_is_422(client, clerk, unchanged) -> None:
    case_id = register(client, clerk, occurred_at="2025-03-03T09:00:00+08:00")
    with unchanged(case_id):
        response = client.post(
            f"/cases/{case_id}/events",
            json={"type": "VisitRecorded", "occurred_at": "2025-03-03T08:59:59+08:00"},
            headers=clerk,
        )
    assert_problem(response, 422, slug="rule-violated", rule="occurred_at.before_registration")


def test_occurred_at_far_in_the_future_is_422(client, clerk, case_id, unchanged) -> None:
    with unchanged(case_id):
        response = client.post(
            f"/cases/{case_id}/events",
            json={"type": "VisitRecorded", "occurred_at": "2999-01-01T00:00:00+00:00"},
            headers=clerk,
        )
    assert_problem(response, 422, slug="rule-violated", rule="occurred_at.in_future")


def test_registration_far_in_the_future_is_422(client, clerk, unchanged) -> None:
    with unchanged():
        response = client.post(
            "/cases", json=registration(occurred_at="2999-01-01T00:00:00+00:00"), headers=clerk
        )
    assert_problem(response, 422, slug="rule-violated", rule="occurred_at.in_future")


def test_registration_at_the_dawn_of_time_is_422_not_an_overflow(client, clerk, unchanged) -> None:
    # Found by the schema fuzz test: year 1 in +00:01 is year 0 in +08:00, past datetime's range.
    with unchanged():
        response = client.post(
            "/cases", json=registration(occurred_at="0001-01-01T00:00:00+00:01"), headers=clerk
        )
    assert_problem(response, 422, slug="rule-violated", rule="occurred_at.too_early")


def test_handing_off_to_where_it_is_is_422(client, clerk, case_id, unchanged) -> None:
    body = {"type": "HandedOff", "to_department": "人社", "to_window": "2F-07", "reason": "x"}
    with unchanged(case_id):
        response = client.post(f"/cases/{case_id}/events", json=body, headers=clerk)
    assert_problem(response, 422, slug="rule-violated", rule="handoff.same_unit")


def test_deciding_ones_own_extension_is_422(client, token_for, unchanged) -> None:
    head = token_for("head-1", "department_head", unit="人社")
    case_id = register(client, head)
    append(client, case_id, head, {"type": "Accepted"})
    extension_id = append(
        client, case_id, head, {"type": "ExtensionRequested", "working_days": 5, "reason": "听证"}
    )["extension_id"]
    with unchanged(case_id):
        response = client.post(
            f"/cases/{case_id}/events",
            json={"type": "ExtensionDecided", "extension_id": extension_id, "decision": "approve"},
            headers=head,
        )
    assert_problem(response, 422, slug="rule-violated", rule="extension.self_decision")


def test_reopening_an_open_case_is_422(client, token_for, case_id, unchanged) -> None:
    lead = token_for("lead-1", "window_lead", unit="人社")
    with unchanged(case_id):
        response = client.post(
            f"/cases/{case_id}/events", json={"type": "Reopened", "reason": "x"}, headers=lead
        )
    assert_problem(response, 422, slug="rule-violated", rule="reopen.not_closed")
