"""The seed stories' pushback in the indicators (GET /metrics/timeliness) and on the duty board,
hand-computed from the reports as `ledger.demo.stories` tells them.

Every story is posted as the demo loader posts it (`tests.api.test_seed_pushback`'s loader), with
all of `ledger serve`'s views running.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from ledger.api.app import create_app
from ledger.application.service import Ledger
from ledger.config.settings import Settings
from ledger.projections import PROJECTIONS
from ledger.projections.worker import ProjectionWorker
from ledger.store.database import Database
from tests.api.test_seed_pushback import Seeded, caught_up, seeded
from tests.views_support import module_scoped_ledger

database, ledger = module_scoped_ledger()
__all__ = ["seeded"]  # the loader's fixture, run against this module's client


@pytest.fixture(scope="module")
def client(settings: Settings, ledger: Ledger, database: Database) -> Iterator[TestClient[Any]]:
    worker = ProjectionWorker(database.app_conninfo, list(PROJECTIONS), idle_timeout=0.5).start()
    try:
        with TestClient(create_app(settings, ledger)) as test_client:
            yield test_client
    finally:
        worker.stop()


def total(
    client: TestClient[Any], settings: Settings, centre: str, first: str, last: str
) -> dict[str, Any]:
    response = client.get(
        "/metrics/timeliness",
        params={"centre": centre, "from": first, "to": last},
        headers=caught_up(client, settings),
    )
    assert response.status_code == 200, response.text
    return dict(response.json()["total"])


def rate(numerator: int, denominator: int, value: float | None) -> dict[str, Any]:
    return {"value": value, "numerator": numerator, "denominator": denominator}


def test_donghuashi_reports_consultation_and_ratings_in_the_indicators(
    client: TestClient[Any], settings: Settings, seeded: Seeded
) -> None:
    assert seeded["001-xie"] and seeded["001-elder"]
    figures = total(client, settings, "donghuashi", "2026-01-01", "2026-02-28")

    unresolved = figures["unresolved"]
    # 谢先生 (01-26, consultation) and the 七旬 applicant (02-05, policy).
    assert unresolved["received"] == 2
    assert {k: v for k, v in unresolved["by_cause"].items() if v} == {
        "consultation": 1,
        "policy": 1,
    }
    assert {k: v for k, v in unresolved["by_closure"].items() if v} == {
        "resolved": 1,
        "explained_cannot_do": 1,
    }
    # 谢先生: complex (5 working days) and 很难办 (7): the shorter, 5 from Tue 01-27: due Mon
    # 02-02, closed 01-27. The elder: simple, the same day (办不了's 3 working days are longer),
    # closed 02-05 15:30. Both due in P, both on time.
    assert unresolved["on_time_rate"] == rate(2, 2, 1.0)
    # 万丽琴's answer to 谢先生's question (where and how to retire): one consultation. The
    # elder's refusal was recorded in the report already open: no report filed with it.
    assert (unresolved["consultations"], unresolved["negative_answers"]) == (1, 0)

    ratings = figures["ratings"]
    # No rating: 谢先生's "热情周到, 温暖如家" was said to the 专班 (its 反馈), through no rating
    # channel. 主动评价率: the one 办结 case (the elder's was refused), not rated → 0/1.
    assert (ratings["ratings"], ratings["default"], ratings["bad"]) == (0, 0, 0)
    assert ratings["good_rate"] == rate(0, 0, None)
    assert ratings["active_rate"] == rate(0, 1, 0.0)


def test_the_example_12345_order_in_the_indicators(
    client: TestClient[Any], settings: Settings, seeded: Seeded
) -> None:
    assert seeded["000-hotline"] and seeded["000-hotline-dup"]
    hotline = total(client, settings, "huoshan", "2026-03-01", "2026-03-31")["hotline"]

    # The order and its duplicate were received; the duplicate was merged into it.
    assert (hotline["received"], hotline["merged"]) == (2, 1)
    assert hotline["repeat_rate"] == rate(1, 2, 0.5)
    # The master: three rounds (数据局 and 医保 returned, 人社 designated), one ticket dispatched.
    assert hotline["dispatched"] == 1
    assert hotline["return_rate"] == rate(1, 1, 1.0)
    assert hotline["rounds_per_ticket"] == rate(3, 1, 3.0)
    # 回访: dissatisfied (the unit's fault) → 重办 → satisfied: the latest answer counts.
    assert hotline["reopened"] == 1
    assert hotline["satisfaction_rate"] == rate(1, 1, 1.0)
    assert hotline["citizen_resolved_rate"] == rate(1, 1, 1.0)
    assert hotline["unit_resolved_rate"] == rate(1, 1, 1.0)


def test_open_seed_items_leave_the_duty_board_empty_of_pushback(
    client: TestClient[Any], settings: Settings, seeded: Seeded
) -> None:
    """Every seed order and report is closed, so the boards list none open; the centres' own
    board sections are there and counted."""
    for centre in ("huoshan", "donghuashi", "qingyuan", "zhangjiakou"):
        response = client.get(
            "/boards/duty", params={"centre": centre}, headers=caught_up(client, settings)
        )
        assert response.status_code == 200, response.text
        board = response.json()
        assert board["hotline_tickets"]["count"] == 0, centre
        assert board["unresolved_reports"]["count"] == 0, centre
