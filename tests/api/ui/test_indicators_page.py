"""The 指标 page (`/ui/indicators`) without a browser: figures hand-computed from cases written over
the API, each rate with its numerator and denominator, the rules cited, the server-drawn charts,
the daily trend agreeing with the API day by day, grouping by channel, bad queries and tenancy.

November 2026, centre huoshan (no holiday: working days are Mon–Fri; a working-day clock counts
from the day after acceptance and falls due at the end of its last day; SI-ARREARS promises 5
working days, ID-CORRECTION 3). Every deadline is long past by the real clock (December 2026).

A 人社 window SI-ARREARS: registered 11-02 09:00, accepted 09:30, due 11-09 (03 04 05 06 09);
  completed 11-05 10:00: on time. Rated 5 (the 好差评 relay).
B 人社 window: registered 11-03 09:00, accepted 09:30, due 11-10 (04 05 06 09 10); completed
  11-12 10:00: late. Rated 2 (a 差评).
C 人社 window: registered 11-04 09:00, accepted 09:30, due 11-11 (05 06 09 10 11); completed
  11-06 10:00: on time. Not rated.
D 公安 online ID-CORRECTION: registered 11-09 09:00, accepted 10:00, due 11-12 (10 11 12);
  completed 11-12 15:00: on time. Not rated.

By department: 人社 completed 3, due 3, on time 2 → 按时办结率 66.7%（2/3）; 公安 1 → 100.0%（1/1）;
合计 due 4, on time 3 → 75.0%（3/4）. 好差评 人社: 好评率 1/2 → 50.0%（1/2）; 主动评价率
(办结 A B C, rated A B) 66.7%（2/3）. By channel: 窗口 (A B C) 66.7%（2/3）,
网上办理 (D) 100.0%（1/1）.
Daily trend (按时办结率 by the day a deadline falls): 11-09 A 1/1, 11-10 B 0/1, 11-11 C 1/1,
11-12 D 1/1; 办结 per day: 11-05 1 (A), 11-06 1 (C), 11-12 2 (B, D).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from ledger.api.ui.format import BEIJING
from ledger.api.ui.session import COOKIE
from ledger.application.service import Ledger
from tests.api.support import append, register
from tests.views_support import module_client_with_views, module_scoped_ledger

database, ledger = module_scoped_ledger()
client = module_client_with_views()

Headers = dict[str, str]
NOVEMBER = "from=2026-11-01&to=2026-11-30"


def n(day: int, hhmm: str) -> str:
    return f"2026-11-{day:02d}T{hhmm}:00+08:00"


class Staff:
    def __init__(self, token_for: Callable[..., Headers]) -> None:
        self.hr = token_for("clerk-ind", "clerk", unit="人社")
        self.police = token_for("clerk-ind-ga", "clerk", unit="公安")
        self.relay = token_for("haochaping-ind", "rating_channel")
        self.manager = token_for("director-ind", "centre_director", unit="中心")
        self.dashboard = token_for("screen-ind", "dashboard")
        self.elsewhere = token_for("director-dhs", "centre_director", centres=("donghuashi",))


@pytest.fixture(scope="module")
def staff(token_for: Callable[..., Headers]) -> Staff:
    return Staff(token_for)


def november_floor(client: TestClient[Any], staff: Staff) -> dict[str, str]:
    """Cases A..D of the module docstring; their ids."""

    def event(case_id: str, by: Headers, kind: str, when: str, **body: Any) -> Any:
        return append(client, case_id, by, {"type": kind, "occurred_at": when, **body})

    def case(by: Headers, day: int, accepted: str, done: tuple[int, str], **more: Any) -> str:
        case_id = register(client, by, occurred_at=n(day, "09:00"), **more)
        event(case_id, by, "Accepted", n(day, accepted))
        event(case_id, by, "Completed", n(*done), outcome="granted")
        return case_id

    ids = {
        "A": case(staff.hr, 2, "09:30", (5, "10:00")),
        "B": case(staff.hr, 3, "09:30", (12, "10:00")),
        "C": case(staff.hr, 4, "09:30", (6, "10:00")),
        "D": case(
            staff.police,
            9,
            "10:00",
            (12, "15:00"),
            channel="online",
            department="公安",
            window="1F-02",
            matter={"code": "ID-CORRECTION", "name": "居民身份信息更正"},
        ),
    }
    for name, level in (("A", 5), ("B", 2)):
        event(
            ids[name], staff.relay, "Rated", n(12, "16:00"), level=level, channel="counter_device"
        )
    return ids


@pytest.fixture(scope="module")
def floor(client: TestClient[Any], staff: Staff) -> dict[str, str]:
    return november_floor(client, staff)


def token(headers: Headers) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def page(
    client: TestClient[Any], ledger: Ledger, who: Headers, path: str, status: int = 200
) -> httpx.Response:
    """GET as `who` (the session cookie), once the views have projected every write."""
    client.cookies.set(COOKIE, token(who))
    try:
        response = client.get(
            path,
            headers={"Ledger-Position": str(ledger.recorder.max_notification_id())},
            follow_redirects=False,
        )
    finally:
        client.cookies.clear()
    assert response.status_code == status, response.text
    return response


class _Tables(HTMLParser):
    """The rows (cell texts) of each table, by the id of the section holding it."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._section = ""
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section":
            self._section = dict(attrs).get("id") or ""
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables.setdefault(self._section, []).append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(response: httpx.Response) -> dict[str, dict[str, dict[str, str]]]:
    """section id → row label → column header → cell text."""
    parser = _Tables()
    parser.feed(response.text)
    found = {}
    for section, (header, *rows) in parser.tables.items():
        heads = [re.sub(r"\d+$", "", h) for h in header]  # the footnote's number
        found[section] = {row[0]: dict(zip(heads[1:], row[1:], strict=True)) for row in rows}
    return found


def test_each_rate_shows_as_a_percentage_with_its_numerator_and_denominator(
    client: TestClient[Any], ledger: Ledger, staff: Staff, floor: dict[str, str]
) -> None:
    response = page(client, ledger, staff.manager, f"/ui/indicators?centre=huoshan&{NOVEMBER}")
    assert response.headers["content-type"].startswith("text/html")
    shown = tables(response)
    timeliness = shown["timeliness"]
    assert list(timeliness) == ["人社", "公安", "合计"]
    assert timeliness["人社"]["按时办结率"] == "66.7%（2/3）"
    assert (timeliness["人社"]["办结"], timeliness["人社"]["应办结"]) == ("3", "3")
    assert timeliness["人社"]["超期"] == "1"
    assert timeliness["公安"]["按时办结率"] == "100.0%（1/1）"
    assert timeliness["合计"]["按时办结率"] == "75.0%（3/4）"
    assert timeliness["合计"]["办结率"] == "100.0%（4/4）"
    assert shown["quality"]["合计"]["一次办成率"] == "100.0%（4/4）"  # nobody came twice
    assert shown["ratings"]["人社"]["好评率"] == "50.0%（1/2）"
    assert shown["ratings"]["人社"]["主动评价率"] == "66.7%（2/3）"
    assert shown["ratings"]["合计"]["主动评价率"] == "50.0%（2/4）"
    assert shown["hotline"]["合计"]["及时签收率"] == "—（0/0）"  # no 12345 order: nothing counted
    assert "期间 2026-11-01 至 2026-11-30" in response.text


def test_the_12345_indicators_are_all_there_with_their_rules(
    client: TestClient[Any], ledger: Ledger, staff: Staff, floor: dict[str, str]
) -> None:
    response = page(client, ledger, staff.dashboard, f"/ui/indicators?centre=huoshan&{NOVEMBER}")
    shown = tables(response)
    heads = {**shown["hotline"]["合计"], **shown["hotline_follow_up"]["合计"]}
    for name in ("及时签收率", "先行联系率", "按时办结率", "回访率", "满意率"):
        assert name in heads
    assert {"解决率（群众评价）", "解决率（承办单位）"} <= set(heads)
    assert "实名差评回访率" in shown["ratings"]["合计"]
    assert "《行政许可法》第三十二条" in response.text  # a rule cited in the footnotes
    assert re.search(r'<th scope="col" class="num" title="[^"]+">及时签收率', response.text)


def test_the_charts_are_inline_svg_named_for_screen_readers(
    client: TestClient[Any], ledger: Ledger, staff: Staff, floor: dict[str, str]
) -> None:
    text = page(client, ledger, staff.manager, f"/ui/indicators?centre=huoshan&{NOVEMBER}").text
    svgs = re.findall(r"<svg [^>]*>.*?</svg>", text, re.S)
    labels = [re.search(r'aria-label="([^"]+)"', s).group(1) for s in svgs]  # type: ignore[union-attr]
    assert labels == ["每日收件与办结", "每日按时办结率（按办结期限所在日）", "各部门按时办结率"]
    assert all('role="img"' in s and "<title" in s for s in svgs)
    assert "人社：66.7%（2/3）" in svgs[2]  # each bar carries its figure
    assert "<script" not in text  # drawn on the server


def test_the_daily_trend_is_what_the_api_answers_for_each_day(
    client: TestClient[Any], ledger: Ledger, staff: Staff, floor: dict[str, str]
) -> None:
    response = page(client, ledger, staff.manager, f"/ui/indicators?centre=huoshan&{NOVEMBER}")
    trend = tables(response)["trend"]
    expected = {
        "2026-11-09": "100.0%（1/1）",
        "2026-11-10": "0.0%（0/1）",
        "2026-11-11": "100.0%（1/1）",
    }
    for day, shown in expected.items():
        assert trend[day]["按时办结率"] == shown
        api = client.get(
            f"/metrics/timeliness?centre=huoshan&from={day}&to={day}", headers=staff.manager
        ).json()["total"]["on_time_rate"]
        assert shown.endswith(f"（{api['numerator']}/{api['denominator']}）")
    assert [trend[d]["办结"] for d in ("2026-11-05", "2026-11-06", "2026-11-12")] == ["1", "1", "2"]
    assert len(trend) == 30


def test_grouping_by_channel_on_the_page_and_the_api(
    client: TestClient[Any], ledger: Ledger, staff: Staff, floor: dict[str, str]
) -> None:
    path = f"/ui/indicators?centre=huoshan&{NOVEMBER}&group_by=channel"
    response = page(client, ledger, staff.manager, path)
    shown = tables(response)
    assert shown["timeliness"]["窗口"]["按时办结率"] == "66.7%（2/3）"
    assert shown["timeliness"]["网上办理"]["按时办结率"] == "100.0%（1/1）"
    assert list(shown["ratings"]) == ["合计"]  # ratings carry no channel: the total only
    assert "此类指标不按渠道分组" in response.text
    body = client.get(
        f"/metrics/timeliness?centre=huoshan&{NOVEMBER}&group_by=channel", headers=staff.manager
    ).json()
    groups = {g["key"]: g for g in body["groups"]}
    assert set(groups) == {"window", "online"}
    assert groups["window"]["on_time_rate"] == {"value": 0.6667, "numerator": 2, "denominator": 3}
    assert groups["window"]["ratings"] is None and groups["window"]["hotline"] is None
    assert body["total"]["ratings"]["good_rate"]["denominator"] == 2


def test_by_default_this_month_so_far_by_department(
    client: TestClient[Any], ledger: Ledger, staff: Staff
) -> None:
    text = page(client, ledger, staff.manager, "/ui/indicators?centre=huoshan").text
    today = datetime.now(BEIJING).date()
    assert f'name="from" value="{today.replace(day=1)}"' in text
    assert f'name="to" value="{today}"' in text
    assert '<option value="department" selected>按部门</option>' in text


def test_a_long_period_has_no_daily_trend(
    client: TestClient[Any], ledger: Ledger, staff: Staff
) -> None:
    path = "/ui/indicators?centre=huoshan&from=2026-01-01&to=2026-11-30"
    text = page(client, ledger, staff.manager, path).text
    assert "期间超过 62 天，不绘制每日趋势" in text


@pytest.mark.parametrize(
    ("query", "title"),
    [
        ("from=2026-13-01", "开始日期无效"),
        ("to=yesterday", "结束日期无效"),
        ("from=2026-11-30&to=2026-11-01", "查询期间无效"),
        ("from=2025-01-01&to=2026-11-30", "查询期间无效"),
        ("group_by=centre", "分组方式无效"),
    ],
)
def test_a_bad_query_is_a_400_page_in_chinese(
    client: TestClient[Any], ledger: Ledger, staff: Staff, query: str, title: str
) -> None:
    response = page(client, ledger, staff.manager, f"/ui/indicators?{query}", status=400)
    assert title in response.text
    assert response.headers["content-type"].startswith("text/html")


def test_another_centre_is_refused_and_a_mistyped_one_named(
    client: TestClient[Any], ledger: Ledger, staff: Staff, floor: dict[str, str]
) -> None:
    refused = page(client, ledger, staff.elsewhere, "/ui/indicators?centre=huoshan", status=403)
    assert "人社" not in refused.text
    unknown = page(client, ledger, staff.manager, "/ui/indicators?centre=huoshn", status=404)
    assert "huoshn" in unknown.text
    # Its own centre by default: donghuashi's page, none of huoshan's figures.
    own = page(client, ledger, staff.elsewhere, f"/ui/indicators?{NOVEMBER}")
    assert "指标 · donghuashi" in own.text
    assert list(tables(own)["timeliness"]) == ["合计"]


def test_without_a_session_the_page_sends_to_the_login(client: TestClient[Any]) -> None:
    response = client.get("/ui/indicators?centre=huoshan", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/ui/login?next=%2Fui%2Findicators")
