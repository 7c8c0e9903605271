"""A case's clock over HTTP: started by acceptance with the centre's policy, moved by a pause."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.support import append, register


@pytest.fixture
def clerk(token_for: Any) -> dict[str, str]:
    return token_for("clerk-007", "clerk", unit="人社")


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
        "policy_version": "cn-tl-2026.1+huoshan-2026.1",
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
            "reason": "awaiting_data_push",
            "occurred_at": "2026-02-11T00:00:00+08:00",
        },
    )
    paused = client.get(f"/cases/{case_id}?version=3", headers=clerk).json()["clock"]
    assert paused["status"] == "paused"

    append(
        client, case_id, clerk, {"type": "ClockResumed", "occurred_at": "2026-02-12T00:00:00+08:00"}
    )
    resumed = client.get(f"/cases/{case_id}", headers=clerk).json()["clock"]
    assert resumed["paused"] == "P1D"
    assert resumed["due_at"] == "2026-02-25T23:59:59.999999+08:00"
    assert resumed["status"] == "overdue"  # read now, in November 2026, still open
