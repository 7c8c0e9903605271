"""The 指标 page in a real browser: a month of cases written over the API, the page with its tables
and charts, and 导出 CSV downloaded and read back: the BOM first, then Chinese headers."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import Served, screenshot
from tests.conftest import registration

CENTRE = "huoshan"
UNITS = (
    ("人社", "2F-07", {"code": "SI-ARREARS", "name": "养老保险费补缴"}),
    ("公安", "1F-02", {"code": "ID-CORRECTION", "name": "居民身份信息更正"}),
    ("税务", "2F-09", {"code": "SI-ARREARS", "name": "养老保险费补缴"}),
)
DAYS = (2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 23, 24, 25)
"""Working days of November 2026 (no holiday that month)."""


def at(day: int, hhmm: str) -> str:
    return f"2026-11-{day:02d}T{hhmm}:00+08:00"


def november(served: Served) -> int:
    """Eighteen cases over November at three departments: most completed within a few days,
    some late, two still open; half rated (a few 差评). The last write's position."""
    http = served.http()
    relay = served.headers("haochaping-ind-b", "rating_channel")
    position = 0

    def post(path: str, who: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        nonlocal position
        response = http.post(path, json=body, headers=who)
        assert response.status_code == 201, response.text
        position = max(position, int(response.json().get("position", 0)))
        return dict(response.json())

    for i, day in enumerate(DAYS):
        unit, window, matter = UNITS[i % 3]
        clerk = served.headers(f"clerk-ind-{i % 3}", "clerk", unit=unit, centres=(CENTRE,))
        body = registration(
            centre=CENTRE,
            department=unit,
            window=window,
            matter=matter,
            occurred_at=at(day, "09:00"),
        )
        case_id = post("/cases", clerk, body)["case_id"]
        events = f"/cases/{case_id}/events"
        post(events, clerk, {"type": "Accepted", "occurred_at": at(day, "09:30")})
        finish = day + (1, 2, 3, 8, 1, 4)[i % 6]
        if i % 7 == 6 or finish > 30:
            continue  # still open
        done = {"type": "Completed", "occurred_at": at(finish, "15:00"), "outcome": "granted"}
        post(events, clerk, done)
        if i % 2 == 0:
            level = 2 if i % 5 == 0 else 5
            rating = {"type": "Rated", "occurred_at": at(finish, "15:05"), "level": level}
            post(events, relay, {**rating, "channel": "counter_device"})
    return position


def test_the_indicators_page_exports_a_csv_with_a_bom_and_chinese_headers(
    served: Served, sign_in: Callable[[str], Any]
) -> None:
    position = november(served)
    token = served.token("director-ind-b", "centre_director", unit="中心", centres=(CENTRE,))
    page: Page = sign_in(token)
    page.set_extra_http_headers({"Ledger-Position": str(position)})  # once the views have it
    page.goto(f"{served.url}/ui/indicators?centre={CENTRE}&from=2026-11-01&to=2026-11-30")
    expect(page.get_by_role("heading", name="办件时效")).to_be_visible()
    expect(page.get_by_role("img", name="各部门按时办结率")).to_be_visible()
    expect(page.get_by_role("img", name="每日收件与办结")).to_be_visible()

    timeliness = page.locator("section#timeliness")
    with page.expect_download() as downloading:
        timeliness.get_by_role("link", name="导出 CSV").click()
    download = downloading.value
    assert download.suggested_filename == "指标-办件时效_huoshan_2026-11-01_2026-11-30_按部门.csv"
    content = Path(download.path()).read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel opens it as UTF-8
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert rows[0][:4] == ["部门", "收件", "受理", "办结"]
    assert "按时办结率（分母）" in rows[0]
    assert {"人社", "公安", "税务", "合计"} <= {row[0] for row in rows[1:]}

    screenshot(page, "indicators")
