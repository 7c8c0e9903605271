"""A case's clock over HTTP: started by acceptance with the centre's policy, moved by a pause, and
the case-clock rules answered as 422 naming the rule (行政许可法 第三十二、四十二、四十五条)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.support import append, assert_problem, register


@pytest.fixture
def clerk(token_for: Any) -> dict[str, str]:
    return token_for("clerk-007", "clerk", unit="人社")


@pytest.fixture
def head(token_for: Any) -> dict[str, str]:
    return token_for("head-001", "department_head", unit="人社")


def test_a_case_shows_no_clock_until_it_is_accepted(client, clerk) -> None:
    case_id = register(client, clerk, occurred_at="2026-02-10T10:50:00+08:00")

    assert client.get(f"/cases/{case_id}", headers=clerk).json()["clock"] is None


def test_acceptance_across_the_spring_festival_and_a_pause(client, clerk) -> None:
    case_id = register(client, clerk, occurred_at="2026-02-10T10:50:00+08:00")
    append(client, case_id, clerk, {"type": "Accepted", "occurred_at": "2026-02-10T11:00:00+08:00"})
    started = client.get(f"/cases/{case_id}?version=2", headers=clerk).json()["clock"]

    # Huoshan promises 5 working days: 2-11, 2-12, 2-13, Saturday 2-14 (调休), then 2-24.
    assert started == {
        "limit": {"value": 5, "unit": "working_days"},
        "source": started["source"],
        "started_at": "2026-02-10T11:00:00+08:00",
        "due_at": "2026-02-24T23:59:59.999999+08:00",
        "paused": "P0D",
        "calendar_version": "cn-2026.1",
        "policy_version": "cn-tl-2026.2+huoshan-2026.1",
        "provisional": False,
        "status": "overdue",  # read when version 2 was recorded: now, long after the deadline
    }
    assert "霍山县政务服务事项办事指南" in started["source"]

    append(
        client,
        case_id,
        clerk,
        {
            "type": "ClockPaused",
            "reason": "applicant_supplement",
            "occurred_at": "2026-02-11T00:00:00+08:00",
        },
    )
    paused = client.get(f"/cases/{case_id}?version=3", headers=clerk).json()["clock"]
    assert paused["status"] == "paused"

    append(
        client, case_id, clerk, {"type": "ClockResumed", "occurred_at": "2026-02-12T00:00:00+08:00"}
    )
    resumed = client.get(f"/cases/{case_id}", headers=clerk).json()["clock"]
    assert resumed["paused"] == "PT25200S"  # a working day's office hours: 7 h, 09:00-17:30
    assert resumed["due_at"] == "2026-02-25T23:59:59.999999+08:00"
    assert resumed["status"] == "overdue"  # read now, in November 2026, still open


# --- the rules, as 422 naming them ------------------------------------------------------------

MARCH_2 = "2026-03-02T09:00:00+08:00"
LICENCE = {"matter": {"code": "GENERIC-LICENCE", "name": "行政许可（未单列事项）"}}


def accepted_licence(client: Any, clerk: dict[str, str]) -> str:
    """20 working days from Mon 3-2 09:00: due at the end of Mon 3-30 (2026 calendar)."""
    case_id = register(client, clerk, occurred_at=MARCH_2, **LICENCE)
    append(client, case_id, clerk, {"type": "Accepted", "occurred_at": MARCH_2})
    return case_id


def post(client: Any, case_id: str, who: dict[str, str], body: dict[str, Any]) -> Any:
    return client.post(f"/cases/{case_id}/events", json=body, headers=who)


def test_a_correction_pause_moves_the_deadline_by_its_office_minutes(client, clerk) -> None:
    case_id = accepted_licence(client, clerk)
    pause = {"type": "ClockPaused", "reason": "applicant_supplement"}
    append(client, case_id, clerk, {**pause, "occurred_at": "2026-03-03T10:30:00+08:00"})
    resume = {"type": "ClockResumed", "occurred_at": "2026-03-05T15:00:00+08:00"}
    append(client, case_id, clerk, resume)

    resumed = client.get(f"/cases/{case_id}", headers=clerk).json()["clock"]

    # Tue 10:30-12:00 13:30-17:30 (330 min), Wed (420), Thu 09:00-12:00 13:30-15:00 (270):
    # 1020 minutes = 17 h; the end of 3-30 + 1020 office minutes = Thu 4-2 12:00.
    assert resumed["paused"] == "PT61200S"  # 17 h
    assert resumed["due_at"] == "2026-04-02T12:00:00+08:00"


def test_a_clerks_pause_for_a_non_statutory_reason_is_422(client, clerk, head) -> None:
    case_id = accepted_licence(client, clerk)
    body = {"type": "ClockPaused", "reason": "awaiting_data_push", "occurred_at": MARCH_2}

    assert_problem(post(client, case_id, clerk, body), 422, rule="clock.pause_needs_approval")
    assert_problem(post(client, case_id, head, body), 422, rule="clock.pause_needs_evidence")
    append(client, case_id, head, {**body, "evidence": "税务系统推送故障单 0302-17"})


def test_an_extension_asked_after_expiry_or_past_the_cap_is_422(client, clerk) -> None:
    case_id = accepted_licence(client, clerk)
    late = {"type": "ExtensionRequested", "working_days": 5, "reason": "需专家论证"}

    response = post(client, case_id, clerk, {**late, "occurred_at": "2026-03-31T00:01:00+08:00"})
    assert_problem(response, 422, rule="extension.after_expiry")
    response = post(client, case_id, clerk, {**late, "working_days": 11, "occurred_at": MARCH_2})
    assert_problem(response, 422, rule="extension.over_cap")


def test_only_the_department_head_decides_an_extension(client, clerk, head, token_for) -> None:
    case_id = accepted_licence(client, clerk)
    asked = append(
        client,
        case_id,
        clerk,
        {"type": "ExtensionRequested", "working_days": 6, "reason": "核查", "occurred_at": MARCH_2},
    )
    decision = {"type": "ExtensionDecided", "extension_id": asked["extension_id"]}
    approve = {**decision, "decision": "approve", "occurred_at": MARCH_2}
    director = token_for("director-1", "centre_director", unit="中心")

    assert_problem(post(client, case_id, clerk, approve), 403)
    assert_problem(post(client, case_id, director, approve), 403)
    assert_problem(post(client, case_id, head, approve), 422, rule="extension.applicant_not_told")
    append(client, case_id, head, {**approve, "notified_via": "written"})

    extended = client.get(f"/cases/{case_id}", headers=clerk).json()
    # 26 working days from 3-3: 3-30 is the 20th, then 3-31..4-3 and (清明 4-4..4-6) 4-7, 4-8.
    assert extended["clock"]["due_at"] == "2026-04-08T23:59:59.999999+08:00"
    assert extended["state"]["extensions"][0]["notified_via"] == "written"


def test_a_notice_after_five_working_days_counts_the_clock_from_receipt(client, clerk) -> None:
    case_id = register(client, clerk, occurred_at=MARCH_2, **LICENCE)
    items = ["营业执照复印件"]
    notice = {"type": "OneTimeNoticeIssued", "items": items}
    append(client, case_id, clerk, {**notice, "occurred_at": "2026-03-10T09:00:00+08:00"})
    supplied = {"type": "MaterialsSupplied", "items": items}
    append(client, case_id, clerk, {**supplied, "occurred_at": "2026-03-12T10:00:00+08:00"})
    append(client, case_id, clerk, {"type": "Accepted", "occurred_at": "2026-03-12T10:30:00+08:00"})

    case = client.get(f"/cases/{case_id}", headers=clerk).json()

    # Due by the end of Mon 3-9 (3-3..3-6, 3-9); told Tue 3-10: accepted on receipt, 3-2 09:00.
    assert case["state"]["notice_due_at"] == "2026-03-09T23:59:59.999999+08:00"
    assert "one_time_notice.late" in case["state"]["flags"]
    assert case["clock"]["started_at"] == MARCH_2
    assert case["clock"]["due_at"] == "2026-03-30T23:59:59.999999+08:00"
