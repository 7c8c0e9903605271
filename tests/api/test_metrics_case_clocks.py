"""`GET /metrics/timeliness`: 零跑动率, 承诺时限压缩率 and the 5-day notice, written over HTTP in
November 2026, projected by the "cases" projection and read back. Worked out by hand:

H1 huoshan 人社 GENERIC-LICENCE: received Mon 11-02 09:00; notice limit the end of Mon 11-09
   (11-03..11-06, 11-09); notice Wed 11-04 10:00: in time.
H2 huoshan 人社 GENERIC-LICENCE: received Mon 11-02 09:30; notice Tue 11-10 09:00: late (deemed
   accepted on receipt; a one-time-notice violation); materials supplied and accepted 11-11 10:00:
   the clock counts 20 working days from receipt: 11-03..11-30 → due the end of Mon 11-30.
J1 jieyang 不动产 BDC-TRANSFER: received 11-09 09:00, accepted 09:10, completed granted 11-10
   15:00, no visit recorded: 零跑动.

huoshan: notices 2, in time 1 → 0.5, deemed 1; compression over GENERIC-LICENCE (20/20): 0 ÷ 20.
jieyang: completed 1, zero visits 1 → 1.0; compression BDC-TRANSFER (3/66): 63 ÷ 66 = 0.9545.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from litestar.testing import TestClient

from ledger.api.app import create_app
from ledger.application.service import Ledger
from ledger.config.settings import Settings
from ledger.projections.views.cases import CasesProjection
from ledger.projections.views.pushback import PushbackProjection
from tests.api.support import append, register
from tests.views_support import module_scoped_ledger

database, ledger = module_scoped_ledger()

NOVEMBER = "/metrics/timeliness?from=2026-11-01&to=2026-11-30"
LICENCE = {"matter": {"code": "GENERIC-LICENCE", "name": "行政许可（未单列事项）"}}


@pytest.fixture(scope="module")
def client(settings: Settings, ledger: Ledger) -> Iterator[TestClient[Any]]:
    app = create_app(
        settings, ledger, run_projections=True, projections=[CasesProjection, PushbackProjection]
    )
    with TestClient(app) as test_client:
        yield test_client


def t(day: str, hhmm: str) -> str:
    return f"2026-{day}T{hhmm}:00+08:00"


def rate(value: float | None, numerator: int, denominator: int) -> dict[str, Any]:
    return {"value": value, "numerator": numerator, "denominator": denominator}


@pytest.fixture(scope="module")
def november(client: TestClient[Any], token_for: Callable[..., dict[str, str]]) -> int:
    """H1, H2 and J1 of the module docstring; the Ledger-Position of the last write."""
    hr = token_for("clerk-hr", "clerk", unit="人社")
    bdc = token_for("clerk-bdc", "clerk", unit="不动产")

    def event(case_id: str, by: dict[str, str], kind: str, when: str, **body: Any) -> Any:
        return append(client, case_id, by, {"type": kind, "occurred_at": when, **body})

    h1 = register(client, hr, occurred_at=t("11-02", "09:00"), **LICENCE)
    event(h1, hr, "OneTimeNoticeIssued", t("11-04", "10:00"), items=["场地证明"])

    h2 = register(client, hr, occurred_at=t("11-02", "09:30"), **LICENCE)
    event(h2, hr, "OneTimeNoticeIssued", t("11-10", "09:00"), items=["场地证明"])
    event(h2, hr, "MaterialsSupplied", t("11-11", "09:30"), items=["场地证明"])
    event(h2, hr, "Accepted", t("11-11", "10:00"))

    j1 = register(
        client,
        bdc,
        centre="jieyang",
        department="不动产",
        window="B-01",
        matter={"code": "BDC-TRANSFER", "name": "二手房转移登记"},
        occurred_at=t("11-09", "09:00"),
    )
    event(j1, bdc, "Accepted", t("11-09", "09:10"))
    done = event(j1, bdc, "Completed", t("11-10", "15:00"), outcome="granted")
    return int(done["position"])


def test_the_five_day_notice_in_huoshan(
    client: TestClient[Any], token_for: Callable[..., dict[str, str]], november: int
) -> None:
    reader = {**token_for("screen-1", "dashboard"), "Ledger-Position": str(november)}

    total = client.get(NOVEMBER + "&centre=huoshan", headers=reader).json()["total"]

    assert (total["notices"], total["deemed_accepted"]) == (2, 1)
    assert total["notice_in_time_rate"] == rate(0.5, 1, 2)
    assert (total["notice_violations"], total["cases_with_notice_violations"]) == (1, 1)
    assert total["promise_compression"] == rate(0.0, 0, 20)


def test_zero_visits_and_the_promise_compression_in_jieyang(
    client: TestClient[Any], token_for: Callable[..., dict[str, str]], november: int
) -> None:
    reader = {**token_for("screen-1", "dashboard"), "Ledger-Position": str(november)}

    body = client.get(NOVEMBER + "&centre=jieyang&group_by=matter", headers=reader).json()

    [housing] = body["groups"]
    assert housing["key"] == "BDC-TRANSFER"
    assert housing["zero_visit_rate"] == rate(1.0, 1, 1)
    assert housing["promise_compression"] == rate(0.9545, 63, 66)
    assert body["total"]["promise_compression"] == rate(0.9545, 63, 66)


def test_a_late_notice_starts_the_clock_at_receipt_in_the_view(
    client: TestClient[Any], token_for: Callable[..., dict[str, str]], november: int
) -> None:
    reader = {**token_for("clerk-hr", "clerk", unit="人社"), "Ledger-Position": str(november)}

    cases = client.get("/cases?centre=huoshan", headers=reader).json()["cases"]

    [h2] = [c for c in cases if c["clock"] is not None]
    due = datetime.fromisoformat(h2["clock"]["due_at"])
    assert due == datetime.fromisoformat("2026-11-30T23:59:59.999999+08:00")


def test_the_openapi_describes_the_new_indicators(client: TestClient[Any]) -> None:
    operation = client.get("/schema/openapi.json").json()["paths"]["/metrics/timeliness"]["get"]

    for name in (
        "zero_visit_rate",
        "notice_in_time_rate",
        "deemed_accepted",
        "promise_compression",
    ):
        assert name in operation["description"], name
    assert "withdrawn" in operation["description"]
