"""The duty board in a real browser: events appended over the API show on an open board within
a second or so, without a reload (the page's own JavaScript swaps the sections in)."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from ledger.application.tokens import create_token
from ledger.config.settings import Settings
from ledger.domain.values import Role
from ledger.store.database import Database
from tests.browser.conftest import Served, screenshot
from tests.conftest import registration
from tests.e2e.serving import wait_healthy
from tests.e2e.test_readme import free_port

CENTRE = "huoshan"
LIVE = 10_000
"""Milliseconds a live change may take to show (the board's promise is about a second; this
leaves room for a loaded CI machine)."""


class Floor:
    """Writes over the API, as window systems and the 12345 platform do."""

    def __init__(self, served: Served) -> None:
        self.http = served.http()
        self.clerk = served.headers("clerk-board", "clerk", unit="人社", centres=(CENTRE,))
        self.tax = served.headers("clerk-board-tax", "clerk", unit="税务", centres=(CENTRE,))
        self.duty = served.headers("duty-board", "duty_officer", unit="值班", centres=(CENTRE,))
        self.hotline = served.headers("hl-board", "hotline_operator", unit="12345")

    def register(self, days_ago: float = 0, **overrides: Any) -> dict[str, Any]:
        at = datetime.now(UTC) - timedelta(days=days_ago)
        body = registration(centre=CENTRE, occurred_at=at.isoformat(), **overrides)
        response = self.http.post("/cases", json=body, headers=self.clerk)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def append(
        self, case_id: str, who: dict[str, str], event_type: str, days_ago: float = 0, **fields: Any
    ) -> dict[str, Any]:
        at = datetime.now(UTC) - timedelta(days=days_ago)
        body = {"type": event_type, "occurred_at": at.isoformat(), **fields}
        response = self.http.post(f"/cases/{case_id}/events", json=body, headers=who)
        assert response.status_code == 201, response.text
        return dict(response.json())


def open_board(sign_in: Callable[[str], Any], served: Served) -> Page:
    token = served.token("duty-board-page", "duty_officer", unit="值班", centres=(CENTRE,))
    page: Page = sign_in(token)
    page.goto(f"{served.url}/ui/board?centre={CENTRE}")
    expect(page.locator(".live")).to_have_attribute("data-state", "live", timeout=LIVE)
    page.evaluate("window.boardTestMarker = 'not reloaded'")
    return page


def not_reloaded(page: Page) -> None:
    assert page.evaluate("window.boardTestMarker") == "not reloaded"
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1


def test_a_case_registered_and_handed_off_shows_on_the_open_board_without_a_reload(
    served: Served, sign_in: Callable[[str], Any]
) -> None:
    floor = Floor(served)
    page = open_board(sign_in, served)
    window = f"B{secrets.token_hex(2)}"

    case = floor.register(window=window)

    row = page.locator("#board-sections tr", has_text=case["case_no"])
    expect(row.first).to_be_visible(timeout=LIVE)
    expect(row.first).to_contain_text("未计时")
    not_reloaded(page)

    handed = floor.append(
        case["case_id"], floor.clerk, "HandedOff", to_department="税务", to_window="1F-03",
        reason="社税联办: 绑卡缴费",
    )  # fmt: skip

    pending = page.locator("#handoffs-pending tr", has_text=case["case_no"])
    expect(pending).to_contain_text("税务", timeout=LIVE)
    expect(pending).to_contain_text("人社")
    not_reloaded(page)
    assert handed["handoff_id"]


def test_the_board_of_a_busy_floor(served: Served, sign_in: Callable[[str], Any]) -> None:
    """A floor with something in every section: the README's screenshot."""
    floor = Floor(served)
    page = open_board(sign_in, served)
    three_days = {"value": 3, "unit": "working_days"}
    late = floor.register(days_ago=20, promised_limit=three_days, matter={
        "code": "SI-ARREARS", "name": "养老保险费补缴"})  # fmt: skip
    floor.append(late["case_id"], floor.clerk, "Accepted", days_ago=20)
    on_time = floor.register(window="2F-08", promised_limit={"value": 10, "unit": "working_days"})
    floor.append(on_time["case_id"], floor.clerk, "Accepted")
    floor.register(window="2F-08", matter={"code": "SI-TRANSFER", "name": "养老保险关系转移"})
    held = floor.register(days_ago=0.1)
    floor.append(
        held["case_id"], floor.clerk, "HandedOff", days_ago=0.05, to_department="税务",
        to_window="1F-03", reason="社税联办: 绑卡缴费",
    )  # fmt: skip
    waived = floor.register(days_ago=0.2)
    floor.append(
        waived["case_id"], floor.clerk, "ExceptionRequested", days_ago=0.2,
        kind="missing_materials", rule_waived="材料齐全方可受理", basis="容缺受理事项清单",
        justification="申请人在外地，次要材料后补", waived_items=["银行卡复印件"],
        compensating_controls=[],
        credit_check={"result": "clear", "source": "信用中国", "checked_at": _now()},
    )  # fmt: skip
    floor.append(
        late["case_id"], floor.duty, "DutyIntervention", action="走流程: 与税务窗口商定代为绑卡",
        escalation_threat="defused", threatened_channel="12345",
    )  # fmt: skip
    called = floor.register(channel="hotline_12345", days_ago=0.3)
    ticket = floor.append(
        called["case_id"], floor.hotline, "HotlineEscalationReceived", days_ago=0.3,
        ticket_no=f"HS{secrets.token_hex(4)}", category="complaint", summary="窗口推诿，来回跑",
    )  # fmt: skip
    floor.append(
        called["case_id"], floor.hotline, "HotlineDispatched", days_ago=0.3,
        ticket_id=ticket["ticket_id"], unit="人社",
    )  # fmt: skip
    floor.append(
        on_time["case_id"], floor.clerk, "UnresolvedReported", cause="materials",
        resolvability="hard_to_do", tier="complex", description="两地材料要求不一致",
    )  # fmt: skip

    sections = page.locator("#board-sections")
    expect(sections).to_contain_text(late["case_no"], timeout=LIVE)
    expect(sections.locator("#exceptions-waiting")).to_contain_text(waived["case_no"], timeout=LIVE)
    expect(sections.locator("#hotline-tickets")).to_contain_text(called["case_no"], timeout=LIVE)
    expect(sections.locator("#unresolved-reports")).to_contain_text(on_time["case_no"])
    expect(sections.locator("#interventions")).to_contain_text("已化解")
    expect(page.locator("#board-sections tr", has_text=late["case_no"]).first).to_contain_text(
        "超时"
    )
    not_reloaded(page)
    screenshot(page, "board")


def test_with_the_stream_refused_the_board_falls_back_to_reading_every_ten_seconds(
    served: Served, sign_in: Callable[[str], Any]
) -> None:
    token = served.token("duty-board-poll", "duty_officer", unit="值班", centres=(CENTRE,))
    page: Page = sign_in(token)
    page.route("**/ui/board/stream?*", lambda route: route.fulfill(status=503, body="busy"))
    page.goto(f"{served.url}/ui/board?centre={CENTRE}")
    live = page.locator(".live")
    expect(live).to_have_attribute("data-state", "offline", timeout=LIVE)
    expect(live).to_contain_text("每10秒刷新")
    page.evaluate("window.boardTestMarker = 'not reloaded'")

    case = Floor(served).register(window=f"P{secrets.token_hex(2)}")

    row = page.locator("#board-sections tr", has_text=case["case_no"])
    expect(row.first).to_be_visible(timeout=10_000 + LIVE)  # the next read, within 10 s
    not_reloaded(page)


def test_a_case_number_on_the_board_opens_its_case_page(
    served: Served, sign_in: Callable[[str], Any]
) -> None:
    floor = Floor(served)
    case = floor.register()
    page = open_board(sign_in, served)
    link = page.get_by_role("link", name=case["case_no"]).first
    assert link.get_attribute("href") == f"/ui/cases/{case['case_id']}"


def _now() -> str:
    return datetime.now(UTC).isoformat()


def test_an_open_board_stream_does_not_hold_up_stopping_the_server(
    database_factory: Callable[[], Database], tmp_path: Path
) -> None:
    """uvicorn lets open responses finish before it stops; the stream must end as it begins to
    (the shutdown timeout here is a minute: had the stream held on, uvicorn would cut it at it)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": database_factory().owner_conninfo,
        "LEDGER_DATA_DIR": str(tmp_path),
        "LEDGER_SHUTDOWN_TIMEOUT": "60",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "ledger"), "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_healthy(url, server, log)
        secret = Settings.from_env(env).token_secret
        token = create_token(secret, "duty-stop", [Role.DUTY_OFFICER], None, 600, centres=["*"])
        cookie = {"Cookie": f"ledger_session={token}"}
        with httpx.stream(
            "GET", f"{url}/ui/board/stream?centre={CENTRE}", headers=cookie
        ) as stream:
            assert stream.status_code == 200
            lines = stream.iter_lines()  # held: dropping the iterator would close the stream
            assert next(lines) == ": 值班看板"  # open, and waiting for appends
            server.send_signal(signal.SIGTERM)
            assert server.wait(timeout=120) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
    assert "timeout graceful shutdown exceeded" not in log.read_text(), log.read_text()[-2000:]
