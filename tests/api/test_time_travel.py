"""`GET /cases/{id}?occurred_at=`: the case as it stood at a business time (issue 15: "what did the
file look like at 11:00 on 10 Feb" answered 404, since `as_of` is recorded time)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.support import append, assert_problem, register

DAY = "2026-02-10"


def at(clock: str) -> str:
    return f"{DAY}T{clock}:00+08:00"


@pytest.fixture
def clerk(token_for: Any) -> dict[str, str]:
    return dict(token_for("tt-clerk", "clerk", unit="人社"))


def li_case(client: Any, clerk: dict[str, str], token_for: Any) -> str:
    """李女士's morning, recorded now with the morning's business times (seed 000)."""
    sw = token_for("tt-sw-clerk", "clerk", unit="税务")
    case_id = register(client, clerk, occurred_at=at("10:50"))
    append(client, case_id, clerk, {"type": "VisitRecorded", "occurred_at": at("10:50")})
    handoff = append(
        client,
        case_id,
        clerk,
        {
            "type": "HandedOff",
            "to_department": "税务",
            "reason": "社税联办",
            "occurred_at": at("10:55"),
        },
    )["handoff_id"]
    append(
        client,
        case_id,
        sw,
        {"type": "HandOffSignedFor", "handoff_id": handoff, "occurred_at": at("10:56")},
    )
    append(client, case_id, sw, {"type": "Accepted", "occurred_at": at("15:05")})
    return case_id


def read(client: Any, case_id: str, headers: dict[str, str], **params: str) -> Any:
    return client.get(f"/cases/{case_id}", params=params, headers=headers)


def test_business_time_reads_the_case_as_it_stood_at_that_moment(
    client: Any, clerk: dict[str, str], token_for: Any
) -> None:
    case_id = li_case(client, clerk, token_for)

    eleven = read(client, case_id, clerk, occurred_at=at("11:00"))
    between = read(client, case_id, clerk, occurred_at="2026-02-10T02:55:30Z")  # 10:55:30 in UTC
    exactly = read(client, case_id, clerk, occurred_at=at("10:50"))
    now = read(client, case_id, clerk)

    assert eleven.status_code == 200, eleven.text
    assert eleven.headers["etag"] == '"4"'
    body = eleven.json()
    assert (body["version"], body["state"]["department"], body["state"]["status"]) == (
        4,
        "税务",
        "received",
    )
    assert body["clock"] is None  # accepted only at 15:05
    assert "proved_by" in body  # as with as_of: the checkpoint, once the notary sealed it
    assert between.json()["version"] == 3
    assert between.json()["state"]["handoffs"][0]["status"] == "pending"
    assert exactly.json()["version"] == 2  # an event at that very moment has occurred by then
    assert now.json()["version"] == 5 and now.json()["clock"] is not None
    # Recorded time (as_of) knows nothing of the morning: everything was recorded just now.
    recorded = read(client, case_id, clerk, as_of=at("11:00"))
    assert_problem(recorded, 404, slug="not-found")


def test_business_time_before_registration_is_a_404_that_says_so(
    client: Any, clerk: dict[str, str], token_for: Any
) -> None:
    case_id = li_case(client, clerk, token_for)

    response = read(client, case_id, clerk, occurred_at=at("10:49"))

    problem = assert_problem(response, 404, slug="not-found")
    assert "had not been registered by 2026-02-10T10:49:00+08:00" in problem["detail"]
    assert "registered at 2026-02-10T10:50:00+08:00" in problem["detail"]


def test_a_late_entry_is_not_folded_in_before_what_happened_after_it(
    client: Any, clerk: dict[str, str]
) -> None:
    """Versions fold in order: the state at T is the longest run of versions that had all
    occurred by T, so nothing that happened after T is ever in it."""
    case_id = register(client, clerk, occurred_at=at("09:00"))
    append(client, case_id, clerk, {"type": "VisitRecorded", "occurred_at": at("09:30")})
    append(client, case_id, clerk, {"type": "VisitRecorded", "occurred_at": at("09:10")})

    assert read(client, case_id, clerk, occurred_at=at("09:20")).json()["version"] == 1
    assert read(client, case_id, clerk, occurred_at=at("09:40")).json()["version"] == 3


def test_another_centre_s_case_is_404_at_any_business_time(
    client: Any, clerk: dict[str, str], token_for: Any
) -> None:
    case_id = li_case(client, clerk, token_for)
    elsewhere = token_for("tt-jy", "auditor", centres=("jieyang",))

    response = read(client, case_id, elsewhere, occurred_at=at("10:49"))

    problem = assert_problem(response, 404, slug="not-found")
    assert problem["detail"] == f"no case {case_id}"  # not when it was registered


@pytest.mark.parametrize(
    "params",
    [
        {"occurred_at": at("11:00"), "version": "2"},
        {"occurred_at": at("11:00"), "as_of": at("11:00")},
        {"occurred_at": "2026-02-10T11:00:00"},
        {"occurred_at": "2101-01-01T00:00:00+08:00"},
        {"occurred_at": "eleven"},
    ],
    ids=["with-version", "with-as_of", "without-zone", "out-of-range", "not-a-time"],
)
def test_a_bad_business_time_is_400_naming_it(
    client: Any, clerk: dict[str, str], params: dict[str, str]
) -> None:
    case_id = register(client, clerk, occurred_at=at("09:00"))

    assert_problem(read(client, case_id, clerk, **params), 400, field="occurred_at")


def test_the_contract_documents_occurred_at_beside_as_of(client: Any) -> None:
    operation = client.get("/schema/openapi.json").json()["paths"]["/cases/{case_id}"]["get"]

    names = {p["name"] for p in operation["parameters"]}
    assert {"version", "as_of", "occurred_at"} <= names
    assert "business time" in operation["description"]
    assert "recorded time" in operation["description"]
