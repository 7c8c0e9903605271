"""GET /approvals and the duty board for ratifications: an exception asked after the fact waits on
its approvers although its case is closed (an ordinary request left pending there waits on
nobody), with who executed it and how many layers a deputy decided under AB岗."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from litestar.testing import TestClient

from ledger.application.service import Ledger
from ledger.domain.exceptions.records import ExceptionKind
from ledger.domain.values import Decision, Outcome
from tests.conftest import actor
from tests.exception_views_support import CLERK, ago, register_at
from tests.views_support import module_client_with_views, module_scoped_ledger

database, ledger = module_scoped_ledger()
client = module_client_with_views()

DUTY = actor("duty-hs", "duty_officer", unit="中心")
LEAD = actor("lead-hs", "window_lead", unit="人社")
DEPUTY = actor("deputy-hs", "window_lead", unit="人社")


@pytest.fixture(scope="module")
def reader(token_for: Callable[..., dict[str, str]]) -> dict[str, str]:
    return token_for("dash-1", "dashboard")


def closed_case(ledger: Ledger, at: datetime) -> UUID:
    case_id = register_at(ledger, at)
    ledger.append(case_id, CLERK, "Accepted", occurred_at=at + timedelta(minutes=5))
    ledger.append(
        case_id,
        CLERK,
        "Completed",
        occurred_at=at + timedelta(minutes=10),
        outcome=Outcome.GRANTED,
    )
    return case_id


def ratification(ledger: Ledger, case_id: UUID, at: datetime) -> UUID:
    receipt = ledger.append(
        case_id,
        DUTY,
        "ExceptionRatificationRequested",
        occurred_at=at,
        kind=ExceptionKind.SPECIAL_HANDLING,
        rule_waived="绑卡缴费须本人到窗口当面核对号码",
        basis="破例, 事前未经审批",
        justification="返程车票已买好",
        waived_items=[],
        compensating_controls=[],
        credit_check=None,
        executed_by="clerk-hs",
        executed_at=at - timedelta(minutes=20),
        execution="电话报号后代为绑卡",
    )
    return receipt.ids["exception_id"]


def test_a_ratification_on_a_closed_case_waits_on_its_layer_with_its_executor(
    ledger: Ledger, client: TestClient[Any], reader: dict[str, str]
) -> None:
    opened = ago(hours=3)
    case_id = closed_case(ledger, opened)
    exception_id = ratification(ledger, case_id, opened + timedelta(minutes=30))
    position = ledger.recorder.max_notification_id()

    leads = client.get(
        "/approvals?role=window_lead&centre=huoshan",
        headers={**reader, "Ledger-Position": str(position)},
    ).json()

    [waiting] = [a for a in leads["approvals"] if a["exception_id"] == str(exception_id)]
    assert (waiting["after_the_fact"], waiting["executed_by"], waiting["acting_up"]) == (
        True,
        "clerk-hs",
        0,
    )
    assert (waiting["layer"], waiting["layers"], waiting["title"]) == (1, 3, "窗口负责人")
    board = client.get(
        f"/boards/duty?centre=huoshan&min_position={position}", headers=reader
    ).json()
    roles = {r["role"]: r for r in board["exceptions_waiting"]["roles"]}
    assert str(exception_id) in {a["exception_id"] for a in roles["window_lead"]["oldest"]}

    ledger.append(
        case_id,
        DEPUTY,
        "ExceptionLayerDecided",
        occurred_at=opened + timedelta(minutes=40),
        exception_id=exception_id,
        layer=1,
        decision=Decision.APPROVE,
        opinion="情况属实, 同意追认",
        attendees=[],
        acting_for="lead-hs",
    )
    position = ledger.recorder.max_notification_id()
    heads = client.get(
        f"/approvals?role=department_head&min_position={position}", headers=reader
    ).json()
    [next_layer] = [a for a in heads["approvals"] if a["exception_id"] == str(exception_id)]
    assert (next_layer["layer"], next_layer["acting_up"]) == (2, 1)


def test_an_ordinary_request_left_pending_on_a_closed_case_waits_on_nobody(
    ledger: Ledger, client: TestClient[Any], reader: dict[str, str]
) -> None:
    opened = ago(hours=2)
    case_id = register_at(ledger, opened)
    receipt = ledger.append(
        case_id,
        CLERK,
        "ExceptionRequested",
        occurred_at=opened + timedelta(minutes=1),
        kind=ExceptionKind.SPECIAL_HANDLING,
        rule_waived="本人到场",
        basis="特事特办",
        justification="卧床",
        waived_items=[],
        compensating_controls=[],
        credit_check=None,
    )
    ledger.append(
        case_id,
        CLERK,
        "Completed",
        occurred_at=opened + timedelta(minutes=2),
        outcome=Outcome.WITHDRAWN,
    )
    position = ledger.recorder.max_notification_id()

    leads = client.get(f"/approvals?role=window_lead&min_position={position}", headers=reader)

    listed = {a["exception_id"] for a in leads.json()["approvals"]}
    assert str(receipt.ids["exception_id"]) not in listed
