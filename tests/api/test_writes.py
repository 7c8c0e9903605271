"""Writes and reads through HTTP: receipts and their headers, idempotent retries, the past by
version and by recorded time, the history's envelope, and personal data kept out of responses."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import uuid4

import pytest

from tests.api.support import append, assert_problem, id_number, nothing_recorded, register
from tests.conftest import registration

CHINA = timezone(timedelta(hours=8))


@pytest.fixture
def clerk(token_for: Any) -> dict[str, str]:
    return token_for("clerk-007", "clerk", unit="人社")


@pytest.fixture
def auditor(token_for: Any) -> dict[str, str]:
    return token_for("auditor-1", "auditor")


def _events(client: Any, case_id: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get(f"/cases/{case_id}/events", headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["events"])


# --- receipts and their headers -------------------------------------------------------------------


def test_register_returns_location_etag_and_position(client, clerk) -> None:
    response = client.post("/cases", json=registration(), headers=clerk)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["version"] == 1
    assert re.fullmatch(r"HUOSHAN-\d{4}-\d{6}", body["case_no"]), body
    assert response.headers["location"] == f"/cases/{body['case_id']}"
    assert response.headers["etag"] == '"1"'
    assert response.headers["ledger-position"] == str(body["position"])
    assert "idempotent-replayed" not in response.headers

    read = client.get(response.headers["location"], headers=clerk)
    assert read.status_code == 200
    assert read.headers["etag"] == '"1"'
    assert read.json()["state"]["case_no"] == body["case_no"]


def test_append_returns_etag_and_position_and_minted_ids(client, clerk) -> None:
    case_id = register(client, clerk)
    response = client.post(
        f"/cases/{case_id}/events",
        json={"type": "HandedOff", "to_department": "税务", "reason": "社税联办: 缴费"},
        headers={**clerk, "If-Match": '"1"'},
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["case_id"] == case_id
    assert body["version"] == 2
    assert response.headers["etag"] == '"2"'
    assert response.headers["ledger-position"] == str(body["position"])
    assert "location" not in response.headers
    assert "idempotent-replayed" not in response.headers
    state = client.get(f"/cases/{case_id}", headers=clerk).json()["state"]
    assert [h["handoff_id"] for h in state["handoffs"]] == [body["handoff_id"]]


def test_the_etag_read_is_the_if_match_that_writes(client, clerk) -> None:
    case_id = register(client, clerk)
    for expected in (2, 3, 4):
        etag = client.get(f"/cases/{case_id}", headers=clerk).headers["etag"]
        written = append(client, case_id, clerk, {"type": "VisitRecorded"}, **{"If-Match": etag})
        assert written["version"] == expected
    weak = append(client, case_id, clerk, {"type": "VisitRecorded"}, **{"If-Match": 'W/"4"'})
    assert weak["version"] == 5
    anything = append(client, case_id, clerk, {"type": "VisitRecorded"}, **{"If-Match": "*"})
    assert anything["version"] == 6


def test_positions_grow_with_each_write(client, clerk) -> None:
    first = client.post("/cases", json=registration(), headers=clerk)
    case_id = first.json()["case_id"]
    positions = [first.json()["position"]]
    for _ in range(3):
        positions.append(append(client, case_id, clerk, {"type": "VisitRecorded"})["position"])
    assert positions == sorted(set(positions))


# --- Idempotency-Key ------------------------------------------------------------------------------


def test_same_key_and_body_replays_the_first_result(client, ledger, clerk, auditor) -> None:
    case_id = register(client, clerk)
    key = f"visit-{uuid4()}"
    headers = {**clerk, "Idempotency-Key": key}
    body = {"type": "VisitRecorded", "ticket": "A012", "note": "申请人到场补材料"}

    first = client.post(f"/cases/{case_id}/events", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    with nothing_recorded(client, ledger, auditor, case_id):
        again = client.post(f"/cases/{case_id}/events", json=body, headers=headers)

    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["etag"] == first.headers["etag"] == '"2"'
    assert again.headers["ledger-position"] == first.headers["ledger-position"]
    events = _events(client, case_id, clerk)
    assert [e["type"] for e in events] == ["Registered", "VisitRecorded"]
    assert events[1]["position"] == first.json()["position"]


def test_same_key_replays_even_once_the_case_moved_on(client, ledger, clerk, auditor) -> None:
    """A retry of a lost acknowledgement carries the stale If-Match; it still replays."""
    case_id = register(client, clerk)
    key = f"visit-{uuid4()}"
    headers = {**clerk, "Idempotency-Key": key, "If-Match": '"1"'}
    body = {"type": "VisitRecorded", "ticket": "A012"}
    first = client.post(f"/cases/{case_id}/events", json=body, headers=headers)
    assert first.status_code == 201, first.text
    append(client, case_id, clerk, {"type": "VisitRecorded", "ticket": "A013"})

    with nothing_recorded(client, ledger, auditor, case_id):
        again = client.post(f"/cases/{case_id}/events", json=body, headers=headers)

    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.json()["version"] == 2
    assert again.headers["idempotent-replayed"] == "true"
    assert client.get(f"/cases/{case_id}", headers=clerk).headers["etag"] == '"3"'


def test_same_key_and_body_registers_one_case(client, ledger, clerk, auditor) -> None:
    headers = {**clerk, "Idempotency-Key": f"register-{uuid4()}"}
    first = client.post("/cases", json=registration(), headers=headers)
    assert first.status_code == 201, first.text

    with nothing_recorded(client, ledger, auditor, first.json()["case_id"]):
        again = client.post("/cases", json=registration(), headers=headers)

    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["ledger-position"] == first.headers["ledger-position"]


def test_same_key_from_another_actor_is_independent(client, token_for) -> None:
    clerk = token_for("clerk-007", "clerk", unit="人社")
    colleague = token_for("clerk-008", "clerk", unit="人社")
    case_id = register(client, clerk)
    key = f"shared-{uuid4()}"
    body = {"type": "VisitRecorded", "ticket": "A012"}

    mine = client.post(
        f"/cases/{case_id}/events", json=body, headers={**clerk, "Idempotency-Key": key}
    )
    theirs = client.post(
        f"/cases/{case_id}/events", json=body, headers={**colleague, "Idempotency-Key": key}
    )

    assert mine.status_code == theirs.status_code == 201, (mine.text, theirs.text)
    assert "idempotent-replayed" not in mine.headers
    assert "idempotent-replayed" not in theirs.headers
    assert (mine.json()["version"], theirs.json()["version"]) == (2, 3)
    assert mine.json()["position"] < theirs.json()["position"]
    events = _events(client, case_id, clerk)
    assert [e["actor"]["id"] for e in events] == ["clerk-007", "clerk-007", "clerk-008"]

    # A different body under the colleague's key is still refused for the colleague only.
    reused = client.post(
        f"/cases/{case_id}/events",
        json={"type": "VisitRecorded", "ticket": "B001"},
        headers={**colleague, "Idempotency-Key": key},
    )
    assert_problem(reused, 409, field="Idempotency-Key")


def test_without_a_key_the_same_body_twice_is_two_events(client, clerk) -> None:
    case_id = register(client, clerk)
    body = {"type": "VisitRecorded", "ticket": "A012"}
    first = append(client, case_id, clerk, body)
    second = append(client, case_id, clerk, body)
    assert (first["version"], second["version"]) == (2, 3)
    assert len(_events(client, case_id, clerk)) == 3


# --- the past: by version, by recorded time -------------------------------------------------------


def _case_with_notice_then_materials(client: Any, clerk: dict[str, str]) -> str:
    case_id = register(client, clerk)
    append(client, case_id, clerk, {"type": "OneTimeNoticeIssued", "items": ["缴费凭证"]})
    append(client, case_id, clerk, {"type": "MaterialsSupplied", "items": ["缴费凭证"]})
    return case_id


def test_version_reads_the_past_state_with_its_etag(client, clerk) -> None:
    case_id = _case_with_notice_then_materials(client, clerk)
    expected = {
        1: ("received", [], []),
        2: ("awaiting_materials", ["缴费凭证"], []),
        3: ("received", ["缴费凭证"], ["缴费凭证"]),
    }
    for version, (status, notice, supplied) in expected.items():
        response = client.get(f"/cases/{case_id}", params={"version": version}, headers=clerk)
        assert response.status_code == 200, response.text
        assert response.headers["etag"] == f'"{version}"'
        body = response.json()
        assert body["version"] == version
        state = body["state"]
        assert (state["status"], state["notice_items"], state["supplied_items"]) == (
            status,
            notice,
            supplied,
        )
    current = client.get(f"/cases/{case_id}", headers=clerk)
    assert current.headers["etag"] == '"3"'
    assert (
        current.json()
        == client.get(f"/cases/{case_id}", params={"version": 3}, headers=clerk).json()
    )


def test_as_of_reads_the_state_as_recorded_then(client, clerk) -> None:
    case_id = _case_with_notice_then_materials(client, clerk)
    events = _events(client, case_id, clerk)
    recorded = [datetime.fromisoformat(e["recorded_at"]) for e in events]
    assert recorded == sorted(recorded)

    for version, at in enumerate(recorded, start=1):
        for as_of in (at, at.astimezone(CHINA)):  # the same instant, in another offset
            response = client.get(
                f"/cases/{case_id}", params={"as_of": as_of.isoformat()}, headers=clerk
            )
            assert response.status_code == 200, response.text
            assert response.headers["etag"] == f'"{version}"'
            assert response.json()["version"] == version

    # Between two recordings, the earlier one holds.
    if recorded[1] - recorded[0] > timedelta(microseconds=1):
        between = recorded[1] - timedelta(microseconds=1)
        response = client.get(
            f"/cases/{case_id}", params={"as_of": between.isoformat()}, headers=clerk
        )
        assert response.json()["version"] == 1
        assert response.json()["state"]["status"] == "received"
    # Business time (occurred_at) does not move as_of: it is recorded time.
    as_of_v2 = client.get(
        f"/cases/{case_id}", params={"as_of": recorded[1].isoformat()}, headers=clerk
    ).json()
    assert as_of_v2["state"]["status"] == "awaiting_materials"
    assert as_of_v2["last_recorded_at"] == events[1]["recorded_at"]


def test_as_of_ignores_back_dated_business_time(client, clerk) -> None:
    """An event recorded later but back-dated (occurred_at) is not in the state before then."""
    case_id = register(client, clerk, occurred_at="2025-03-03T09:00:00+08:00")
    registered_at = _events(client, case_id, clerk)[0]["recorded_at"]
    append(
        client,
        case_id,
        clerk,
        {"type": "VisitRecorded", "occurred_at": "2025-03-03T09:30:00+08:00"},
    )
    response = client.get(f"/cases/{case_id}", params={"as_of": registered_at}, headers=clerk)
    assert response.status_code == 200, response.text
    assert response.json()["version"] == 1
    assert response.json()["state"]["visits"] == 0


# --- the history's envelope -----------------------------------------------------------------------


def test_history_positions_actors_and_times(client, token_for) -> None:
    clerk = token_for("clerk-007", "clerk", unit="人社")
    tax_clerk = token_for("clerk-101", "clerk", unit="税务")
    case_id = register(client, clerk, occurred_at="2025-03-03T09:00:00+08:00")
    handoff_id = append(
        client,
        case_id,
        clerk,
        {
            "type": "HandedOff",
            "to_department": "税务",
            "reason": "社税联办",
            "occurred_at": "2025-03-03T09:20:00+08:00",
        },
    )["handoff_id"]
    append(
        client,
        case_id,
        tax_clerk,
        {
            "type": "HandOffSignedFor",
            "handoff_id": handoff_id,
            "occurred_at": "2025-03-03T01:25:00Z",
        },
    )
    append(client, case_id, tax_clerk, {"type": "VisitRecorded", "ticket": "T001"})

    events = _events(client, case_id, clerk)

    assert [e["version"] for e in events] == [1, 2, 3, 4]
    assert [e["type"] for e in events] == [
        "Registered",
        "HandedOff",
        "HandOffSignedFor",
        "VisitRecorded",
    ]
    positions = [e["position"] for e in events]
    assert positions == sorted(set(positions))
    assert [e["actor"] for e in events] == [
        {"id": "clerk-007", "roles": ["clerk"], "unit": "人社"},
        {"id": "clerk-007", "roles": ["clerk"], "unit": "人社"},
        {"id": "clerk-101", "roles": ["clerk"], "unit": "税务"},
        {"id": "clerk-101", "roles": ["clerk"], "unit": "税务"},
    ]
    occurred = [datetime.fromisoformat(e["occurred_at"]) for e in events]
    assert occurred[:3] == [
        datetime(2025, 3, 3, 9, 0, tzinfo=CHINA),
        datetime(2025, 3, 3, 9, 20, tzinfo=CHINA),
        datetime(2025, 3, 3, 9, 25, tzinfo=CHINA),
    ]
    recorded = [datetime.fromisoformat(e["recorded_at"]) for e in events]
    assert all(r.tzinfo is not None for r in recorded)
    assert recorded == sorted(recorded)
    # Recorded time is the server's, not the supplied business time.
    assert all(r > o for r, o in zip(recorded[:3], occurred[:3], strict=True))
    for e in events:
        assert not {"actor", "occurred_at", "timestamp", "originator_id"} & set(e["data"])
    assert events[1]["data"]["handoff_id"] == handoff_id
    assert events[1]["data"]["from_department"] == "人社"


@pytest.mark.parametrize(
    "actor",
    [
        {"id": "director-1", "roles": ["centre_director"], "unit": None},
        "director-1",
        None,
    ],
)
def test_actor_in_a_body_is_refused(client, ledger, clerk, auditor, actor) -> None:
    """The actor is the credential's, never the body's: sending one is an unknown field."""
    case_id = register(client, clerk)
    with nothing_recorded(client, ledger, auditor, case_id):
        event = client.post(
            f"/cases/{case_id}/events",
            json={"type": "VisitRecorded", "actor": actor},
            headers=clerk,
        )
        registered = client.post("/cases", json=registration(actor=actor), headers=clerk)
    for response in (event, registered):
        problem = assert_problem(response, 400, slug="malformed-request")
        assert "actor" in problem["detail"]
    assert [e["actor"]["id"] for e in _events(client, case_id, clerk)] == ["clerk-007"]


# --- personal data --------------------------------------------------------------------------------


def test_raw_identifiers_never_appear_in_a_response(client, clerk) -> None:
    raw_id = id_number("11010519491231002")
    raw_phone = "13912345678"
    raw_card = "6222020200112233445"
    full_name = "欧阳娜娜"
    applicant = {
        "name": full_name,
        "id_number": raw_id.lower(),
        "phone": "+86 139-1234-5678",
        "bank_card": "6222 0202 0011 2233 445",
    }
    created = client.post("/cases", json=registration(applicant=applicant), headers=clerk)
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    append(client, case_id, clerk, {"type": "VisitRecorded"})
    recorded_at = _events(client, case_id, clerk)[0]["recorded_at"]

    responses = [
        created,
        client.get(f"/cases/{case_id}", headers=clerk),
        client.get(f"/cases/{case_id}", params={"version": 1}, headers=clerk),
        client.get(f"/cases/{case_id}", params={"as_of": recorded_at}, headers=clerk),
        client.get(f"/cases/{case_id}/events", headers=clerk),
    ]
    secrets_ = [
        raw_id,
        raw_id[6:14],  # the birth date segment alone identifies too much
        raw_phone,
        "1234-5678",
        raw_card,
        "020200112233",
        full_name,
        "娜娜",
    ]
    for response in responses:
        assert response.status_code in (200, 201), response.text
        for secret in secrets_:
            assert secret not in response.text, (secret, response.request.url)

    applicant_state = responses[1].json()["state"]["applicant"]
    assert applicant_state["name"] == "欧***"
    assert applicant_state["id_number"]["masked"] == raw_id[:4] + "*" * 10 + raw_id[-4:]
    assert applicant_state["phone"]["masked"] == "139****5678"
    assert applicant_state["bank_card"]["masked"] == "6222 **** **** 3445"
    for kind in ("id_number", "phone", "bank_card"):
        assert set(applicant_state[kind]) == {"masked", "token"}
        assert re.fullmatch(r"[0-9a-f]{64}", applicant_state[kind]["token"])
    registered = responses[-1].json()["events"][0]["data"]["applicant"]
    assert registered == applicant_state


def test_same_person_same_token_across_cases(client, clerk) -> None:
    """Tokens find one person's cases: the same number, however written, gives the same token."""
    raw_id = id_number("34152519700101001")
    first = register(client, clerk, applicant={"name": "张某", "id_number": raw_id})
    second = register(client, clerk, applicant={"name": "张某", "id_number": f" {raw_id.lower()} "})
    other = register(
        client, clerk, applicant={"name": "王某", "id_number": id_number("34152519700101003")}
    )

    def token(case_id: str) -> str:
        state = client.get(f"/cases/{case_id}", headers=clerk).json()["state"]
        return str(state["applicant"]["id_number"]["token"])

    assert token(first) == token(second) != token(other)


@pytest.mark.parametrize(
    "applicant",
    [
        {"name": "李某", "id_number": "34152519700101002"},  # 17 digits
        {"name": "李某", "id_number": "341525197001010021"},  # wrong check digit
        {"name": "李某", "phone": "2380000000"},
    ],
)
def test_refusals_do_not_echo_raw_identifiers(client, ledger, clerk, auditor, applicant) -> None:
    with nothing_recorded(client, ledger, auditor):
        response = client.post("/cases", json=registration(applicant=applicant), headers=clerk)
    assert_problem(response, 400)
    for value in applicant.values():
        if value != "李某":
            assert value not in response.text
