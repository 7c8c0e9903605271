"""The register pages (/ui/registers/*, /ui/cases) without a browser: rows hand-checked against
orders, reports, ratings, exceptions and cases written over the API, in zh-CN; filters, paging by
the registers' cursors, tenancy (another centre: a 403 page, never its rows), the role checks, and
approvals shown only to the role that decides the next layer."""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from litestar.testing import TestClient

from ledger.api.ui.format import beijing
from ledger.api.ui.session import COOKIE
from ledger.application.service import Ledger
from tests.api.support import append, register
from tests.api.test_ratings_register import Raters, bad_review_floor
from tests.views_support import module_client_with_views, module_scoped_ledger

database, ledger = module_scoped_ledger()
client = module_client_with_views()

Headers = dict[str, str]


def ago(**delta: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(**delta)  # noqa: UP017 (house style)


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


class Staff:
    def __init__(self, token_for: Callable[..., Headers]) -> None:
        self.hotline = token_for("hl-ui", "hotline_operator", unit="12345")
        self.clerk = token_for("clerk-ui", "clerk", unit="人社")
        self.clerk_yb = token_for("clerk-ui-yb", "clerk", unit="医保")
        self.duty = token_for("duty-ui", "duty_officer", unit="值班")
        self.lead = token_for("lead-ui", "window_lead", unit="人社")
        self.head = token_for("head-ui", "department_head", unit="人社")
        self.reader = token_for("dash-ui", "dashboard")


@pytest.fixture(scope="module")
def staff(token_for: Callable[..., Headers]) -> Staff:
    return Staff(token_for)


def token(headers: Headers) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def page(
    client: TestClient[Any], ledger: Ledger, who: Headers, path: str, status: int = 200
) -> httpx.Response:
    """GET the page signed in as `who` (the session cookie), once the views have caught up."""
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
    if status != 303:
        assert response.headers["content-type"].startswith("text/html")
    return response


def rows(response: httpx.Response) -> int:
    return len(re.findall(r'<tr class="row-', response.text))


def next_link(response: httpx.Response) -> str | None:
    found = re.search(r'<a rel="next" href="([^"]+)">下一页</a>', response.text)
    return html.unescape(found.group(1)) if found else None


def event(client: TestClient[Any], case_id: str, who: Headers, event_type: str, at: datetime,
          **fields: Any) -> dict[str, Any]:  # fmt: skip
    return append(
        client, case_id, who, {"type": event_type, "occurred_at": at.isoformat(), **fields}
    )


def new_case(client: TestClient[Any], who: Headers, centre: str, at: datetime, **more: Any) -> str:
    return register(client, who, centre=centre, occurred_at=at.isoformat(), **more)


# --- 12345 工单 -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def orders(
    client: TestClient[Any], staff: Staff, new_centre: Callable[[str], str]
) -> dict[str, Any]:
    """One centre's orders: late (red, 办理中), fresh and unsigned at 医保 (green, 待签收), answered
    at intake (已办结); and an order of another centre."""
    s, centre, other = staff, new_centre("uihl"), new_centre("uihl-other")
    numbers = {k: unique(k.upper()) for k in ("late", "fresh", "done", "other")}

    def received(name: str, at: datetime, where: str = centre) -> tuple[str, str]:
        case_id = new_case(client, s.clerk, where, at - timedelta(minutes=1))
        ticket = event(
            client, case_id, s.hotline, "HotlineEscalationReceived", at,
            ticket_no=numbers[name], category="complaint", summary="窗口推诿",
        )  # fmt: skip
        return case_id, str(ticket["ticket_id"])

    late_case, late = received("late", ago(days=40))
    event(client, late_case, s.hotline, "HotlineDispatched", ago(days=40), ticket_id=late,
          unit="人社")  # fmt: skip
    event(client, late_case, s.clerk, "HotlineSignedFor", ago(days=40) + timedelta(hours=1),
          ticket_id=late)  # fmt: skip
    fresh_case, fresh = received("fresh", ago(minutes=10))
    event(client, fresh_case, s.hotline, "HotlineDispatched", ago(minutes=9), ticket_id=fresh,
          unit="医保")  # fmt: skip
    done_case, done = received("done", ago(hours=2))
    event(client, done_case, s.hotline, "HotlineClosed", ago(hours=1), ticket_id=done,
          closure="answered_at_intake", note="直接答复")  # fmt: skip
    received("other", ago(minutes=5), other)
    return {
        "centre": centre, "other": other, "numbers": numbers, "late_case": late_case,
        "late_received": ago(days=40), "fresh_case": fresh_case,
    }  # fmt: skip


def test_the_hotline_page_shows_each_order_with_its_clocks_in_chinese(
    client: TestClient[Any], ledger: Ledger, staff: Staff, orders: dict[str, Any]
) -> None:
    n = orders["numbers"]
    body = page(client, ledger, staff.reader, f"/ui/registers/hotline?centre={orders['centre']}")
    text = body.text
    assert "<h1>12345工单" in text and rows(body) == 3
    assert all(n[k] in text for k in ("late", "fresh", "done")) and n["other"] not in text
    assert f'href="/ui/cases/{orders["late_case"]}">{n["late"]}</a>' in text
    late_row = text[text.index(n["late"]) :].split("</tr>")[0]
    assert "办理中" in late_row and '<span class="badge red">超时</span>' in late_row
    assert "人社" in late_row and "投诉" in late_row
    assert beijing(orders["late_received"])[:10] in late_row  # Beijing time, to the minute
    fresh_row = text[text.index(n["fresh"]) :].split("</tr>")[0]
    assert "待签收" in fresh_row and "医保" in fresh_row and "剩余" in fresh_row
    done_row = text[text.index(n["done"]) :].split("</tr>")[0]
    assert "已办结" in done_row and "直接答复" in done_row
    exports = f"/ui/exports/hotline.csv?centre={orders['centre']}"
    assert exports in text and exports.replace(".csv", ".xlsx") in text
    assert 'aria-current="page"' in text and "下一页" not in text


def test_the_hotline_page_filters_as_the_register_does(
    client: TestClient[Any], ledger: Ledger, staff: Staff, orders: dict[str, Any]
) -> None:
    n, centre = orders["numbers"], orders["centre"]

    def shown(query: str) -> set[str]:
        text = page(
            client, ledger, staff.reader, f"/ui/registers/hotline?centre={centre}&{query}"
        ).text
        return {k for k in ("late", "fresh", "done") if n[k] in text}

    assert shown("status=overdue") == {"late"}
    assert shown("status=open") == {"late", "fresh"}
    assert shown("status=closed") == {"done"}
    assert shown("unit=医保") == {"fresh"}
    assert shown("status=&unit=") == {"late", "fresh", "done"}  # a blank field is no filter
    filtered = page(
        client, ledger, staff.reader, f"/ui/registers/hotline?centre={centre}&status=overdue"
    )
    assert '<option value="overdue" selected>已超时</option>' in filtered.text
    assert f"/ui/exports/hotline.csv?centre={centre}&amp;status=overdue" in filtered.text
    empty = page(client, ledger, staff.reader, f"/ui/registers/hotline?centre={centre}&unit=公安")
    assert "没有符合条件的12345工单。" in empty.text and rows(empty) == 0


def test_the_hotline_page_pages_by_the_registers_cursor(
    client: TestClient[Any], ledger: Ledger, staff: Staff, orders: dict[str, Any]
) -> None:
    first = page(
        client, ledger, staff.reader, f"/ui/registers/hotline?centre={orders['centre']}&limit=2"
    )
    assert rows(first) == 2 and "回到第一页" not in first.text
    following = next_link(first)
    assert following is not None and "after=" in following and "limit=2" in following
    second = page(client, ledger, staff.reader, following)
    assert rows(second) == 1 and next_link(second) is None and "回到第一页" in second.text
    n = orders["numbers"]
    seen = [k for k in ("late", "fresh", "done") for p in (first, second) if n[k] in p.text]
    assert sorted(seen) == ["done", "fresh", "late"]  # each once, across the two pages


def test_another_centre_is_a_403_page_and_its_rows_never_show(
    client: TestClient[Any],
    ledger: Ledger,
    token_for: Callable[..., Headers],
    orders: dict[str, Any],
) -> None:
    mine = token_for("dash-ui-one", "dashboard", centres=(orders["centre"],))
    for path in ("/ui/registers/hotline", "/ui/registers/unresolved", "/ui/registers/ratings",
                 "/ui/registers/approvals"):  # fmt: skip
        refused = page(client, ledger, mine, f"{path}?centre={orders['other']}", status=403)
        assert "状态码 403" in refused.text
        own = page(client, ledger, mine, path)  # no centre: the token's
        assert orders["numbers"]["other"] not in own.text
        assert f"· {orders['centre']}" in own.text
    unknown = page(client, ledger, mine, "/ui/registers/hotline?centre=nowhere", status=404)
    assert "没有名为 “nowhere” 的服务中心" in unknown.text
    everywhere = page(client, ledger, token_for("dash-ui-all", "dashboard"),
                      f"/ui/registers/hotline?centre={orders['centre']}")  # fmt: skip
    assert orders["numbers"]["other"] not in everywhere.text


def test_bad_filters_are_a_400_page_in_chinese(
    client: TestClient[Any], ledger: Ledger, staff: Staff, orders: dict[str, Any]
) -> None:
    centre = orders["centre"]
    for path, words in [
        (f"/ui/registers/hotline?centre={centre}&status=lost", "“状态”没有 “lost” 这一项"),
        (f"/ui/registers/hotline?centre={centre}&after=not-a-cursor", "翻页链接无效"),
        (f"/ui/registers/unresolved?centre={centre}&cause=weather", "“原因”没有 “weather” 这一项"),
        (f"/ui/registers/ratings?centre={centre}&real_name=maybe", "“实名”没有 “maybe” 这一项"),
        (f"/ui/cases?centre={centre}&from=2026-13-01", "“登记日期自”应为日期"),
        (f"/ui/cases?centre={centre}&from=2026-02-10&to=2026-02-01", "起始日晚于截止日"),
    ]:
        assert words in page(client, ledger, staff.duty, path, status=400).text, path


def test_the_pages_need_a_sign_in(client: TestClient[Any]) -> None:
    response = client.get("/ui/registers/hotline?status=open", follow_redirects=False)
    assert response.status_code == 303
    assert (
        response.headers["location"] == "/ui/login?next=%2Fui%2Fregisters%2Fhotline%3Fstatus%3Dopen"
    )


# --- 办不成事 -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reports(
    client: TestClient[Any], staff: Staff, new_centre: Callable[[str], str]
) -> dict[str, Any]:
    """Open and late (材料要件, 2F-07); open and fresh (政策, 2F-11); closed and resolved."""
    s, centre = staff, new_centre("uibb")

    def reported(at: datetime, **fields: Any) -> tuple[str, str]:
        case_id = new_case(client, s.clerk, centre, at - timedelta(minutes=1))
        body = {"cause": "materials", "resolvability": "hard_to_do", "tier": "complex",
                "description": "材料要求不一致", **fields}  # fmt: skip
        return case_id, str(
            event(client, case_id, s.clerk, "UnresolvedReported", at, **body)["report_id"]
        )

    late_case, _ = reported(ago(days=20))
    fresh_case, _ = reported(ago(hours=1), cause="policy", resolvability="cannot_do",
                             tier="special", window="2F-11")  # fmt: skip
    done_case, done = reported(ago(days=3))
    at = ago(days=3) + timedelta(hours=1)
    event(client, done_case, s.clerk, "UnresolvedFeedbackGiven", at - timedelta(minutes=2),
          report_id=done, outcome="resolved", method="phone", content="电话告知")  # fmt: skip
    event(client, done_case, s.duty, "UnresolvedVerified", at - timedelta(minutes=1),
          report_id=done, confirmed=True, note="回访核实")  # fmt: skip
    event(client, done_case, s.duty, "UnresolvedClosed", at, report_id=done, closure="resolved")
    return {"centre": centre, "late": late_case, "fresh": fresh_case, "done": done_case}


def test_the_unresolved_page_shows_reports_counts_and_windows(
    client: TestClient[Any], ledger: Ledger, staff: Staff, reports: dict[str, Any]
) -> None:
    body = page(
        client, ledger, staff.reader, f"/ui/registers/unresolved?centre={reports['centre']}"
    )
    text = body.text
    assert "<h1>办不成事" in text and rows(body) == 3
    late_row = text[text.index(f"/ui/cases/{reports['late']}") :].split("</tr>")[0]
    assert "材料要件" in late_row and "很难办" in late_row and "复杂" in late_row
    assert '<span class="badge red">超时</span> 未办结' in late_row and "<td>否</td>" in late_row
    fresh_row = text[text.index(f"/ui/cases/{reports['fresh']}") :].split("</tr>")[0]
    assert "政策" in fresh_row and "办不了" in fresh_row and "2F-11" in fresh_row
    done_row = text[text.index(f"/ui/cases/{reports['done']}") :].split("</tr>")[0]
    assert "已办结：办成" in done_row and "反馈 1 次" in done_row
    assert '<div class="stat"><b>3</b>报告</div>' in text
    assert '<div class="stat"><b>2</b>未办结</div>' in text
    by_window = text[text.index("<h2>按窗口</h2>") :].split("</table>")[0]
    assert '<td>2F-07</td><td class="num">2</td>' in by_window
    assert '<td>2F-11</td><td class="num">1</td>' in by_window
    assert f"/ui/exports/unresolved.csv?centre={reports['centre']}" in text

    def shown(query: str) -> set[str]:
        path = f"/ui/registers/unresolved?centre={reports['centre']}&{query}"
        found = page(client, ledger, staff.reader, path).text
        return {k for k in ("late", "fresh", "done") if f"/ui/cases/{reports[k]}" in found}

    assert shown("cause=policy") == {"fresh"}
    assert shown("status=open") == {"late", "fresh"}
    assert shown("status=closed&closure=resolved") == {"done"}
    assert shown("window=2F-07&tier=") == {"late", "done"}
    paged = page(client, ledger, staff.reader,
                 f"/ui/registers/unresolved?centre={reports['centre']}&limit=2")  # fmt: skip
    assert rows(paged) == 2 and (following := next_link(paged)) is not None
    assert rows(page(client, ledger, staff.reader, following)) == 1
    assert (
        "没有符合条件的办不成事报告。"
        in page(
            client,
            ledger,
            staff.reader,
            f"/ui/registers/unresolved?centre={reports['centre']}&tier=hard",
        ).text
    )


# --- 差评整改 -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ratings(
    client: TestClient[Any], token_for: Callable[..., Headers], new_centre: Callable[[str], str]
) -> dict[str, str]:
    centre = new_centre("uirt")
    return {**bad_review_floor(client, Raters(token_for), centre), "centre": centre}


def test_the_ratings_page_shows_each_bad_review_where_it_stands(
    client: TestClient[Any], ledger: Ledger, staff: Staff, ratings: dict[str, str]
) -> None:
    body = page(client, ledger, staff.reader, f"/ui/registers/ratings?centre={ratings['centre']}")
    text = body.text
    assert rows(body) == 6 and f"/ui/cases/{ratings['case:good']}" not in text  # a 好评

    def row(name: str) -> str:
        return text[text.index(f"/ui/cases/{ratings['case:' + name]}") :].split("</tr>")[0]

    assert (
        "待核实" in row("fresh") and "1星 非常不满意" in row("fresh") and "未回访" in row("fresh")
    )
    assert "评价器" in row("fresh") and '<span class="badge green">正常</span>' in row("fresh")
    assert '<span class="badge red">超时</span>' in row("old") and "<td>否</td>" in row("old")
    assert "待整改" in row("valid") and "已回访：属实" in row("valid")
    assert "已整改" in row("rectified") and "立行立改" in row("rectified")
    assert '<span class="badge green">按时</span>' in row("rectified") and "4星 满意" in row(
        "rectified"
    )
    assert "申诉复核中" in row("appealed") and "已回访：恶意差评" in row("appealed")
    assert "申诉成立（不计入）" in row("excluded") and "已停止" in row("excluded")
    assert '<div class="stat"><b>6</b>差评</div>' in text
    assert '<div class="stat"><b>1</b>整改超期</div>' in text

    def shown(query: str) -> set[str]:
        found = page(client, ledger, staff.reader,
                     f"/ui/registers/ratings?centre={ratings['centre']}&{query}").text  # fmt: skip
        names = ("fresh", "old", "valid", "rectified", "appealed", "excluded")
        return {k for k in names if f"/ui/cases/{ratings['case:' + k]}" in found}

    assert shown("status=overdue") == {"old"}
    assert shown("status=open") == {"fresh", "old", "valid"}
    assert shown("real_name=false") == {"old", "excluded"}
    assert shown("status=open&real_name=true&department=人社") == {"fresh", "valid"}
    paged = page(client, ledger, staff.reader,
                 f"/ui/registers/ratings?centre={ratings['centre']}&limit=4")  # fmt: skip
    assert rows(paged) == 4 and (following := next_link(paged)) is not None
    assert rows(page(client, ledger, staff.reader, following)) == 2


# --- 待我审批 -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exceptions(
    client: TestClient[Any], staff: Staff, new_centre: Callable[[str], str]
) -> dict[str, str]:
    """A 特事特办 request waiting on its first layer (窗口负责人), one past it waiting on the
    department head, and one at another centre."""
    centre, other = new_centre("uisp"), new_centre("uisp-other")

    def requested(where: str) -> tuple[str, str]:
        case_id = new_case(client, staff.clerk, where, ago(hours=3))
        written = event(client, case_id, staff.clerk, "ExceptionRequested", ago(hours=2),
                        kind="special_handling", rule_waived="本人到场核验", basis="特事特办",
                        justification="行动不便")  # fmt: skip
        return case_id, str(written["exception_id"])

    first_case, _ = requested(centre)
    second_case, second = requested(centre)
    event(
        client, second_case, staff.lead, "ExceptionLayerDecided", ago(hours=1),
        exception_id=second, layer=1, decision="approve", opinion="同意", attendees=[],
    )  # fmt: skip
    other_case, _ = requested(other)
    return {"centre": centre, "first": first_case, "second": second_case, "other": other_case}


def test_approvals_are_shown_to_the_role_that_decides_the_next_layer(
    client: TestClient[Any], ledger: Ledger, staff: Staff, exceptions: dict[str, str]
) -> None:
    path = f"/ui/registers/approvals?centre={exceptions['centre']}"
    lead = page(client, ledger, staff.lead, path).text
    assert "<h2>窗口负责人：1 件待审批</h2>" in lead
    assert f"/ui/cases/{exceptions['first']}" in lead
    assert f"/ui/cases/{exceptions['second']}" not in lead
    assert "第 1/3 层：窗口负责人" in lead and "特事特办" in lead and "本人到场核验" in lead
    assert f"/ui/exports/exceptions.csv?centre={exceptions['centre']}&amp;role=window_lead" in lead
    head = page(client, ledger, staff.head, path).text
    assert "<h2>部门负责人：1 件待审批</h2>" in head
    assert f"/ui/cases/{exceptions['second']}" in head and "第 2/3 层" in head
    assert f"/ui/cases/{exceptions['first']}" not in head
    clerk = page(client, ledger, staff.clerk, path).text
    assert "您的角色（窗口人员）不审批例外事项" in clerk and "/ui/cases/" not in clerk
    for who in (staff.lead, staff.head):
        assert f"/ui/cases/{exceptions['other']}" not in page(client, ledger, who, path).text


# --- 案件查询 -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cases(
    client: TestClient[Any], staff: Staff, new_centre: Callable[[str], str]
) -> dict[str, Any]:
    """Three cases registered on 2026-02-10..12 (Beijing), the last accepted."""
    centre = new_centre("uicase")
    beijing_time = timezone(timedelta(hours=8))
    days = [datetime(2026, 2, d, 10, 0, tzinfo=beijing_time) for d in (10, 11, 12)]
    ids = [new_case(client, staff.clerk, centre, at) for at in days]
    event(client, ids[2], staff.clerk, "Accepted", days[2] + timedelta(minutes=5))
    numbers = [
        client.get(f"/cases/{i}", headers=staff.clerk).json()["state"]["case_no"] for i in ids
    ]
    return {"centre": centre, "ids": ids, "numbers": numbers}


def test_case_search_lists_masked_cases_and_filters_and_pages(
    client: TestClient[Any], ledger: Ledger, staff: Staff, cases: dict[str, Any]
) -> None:
    centre, ids, numbers = cases["centre"], cases["ids"], cases["numbers"]
    body = page(client, ledger, staff.clerk, f"/ui/cases?centre={centre}")
    text = body.text
    assert "<h1>案件查询" in text and all(f'href="/ui/cases/{i}">{n}</a>' in text
                                         for i, n in zip(ids, numbers, strict=True))  # fmt: skip
    assert text.index(numbers[2]) < text.index(numbers[1]) < text.index(numbers[0])  # newest first
    accepted = text[text.index(numbers[2]) :].split("</tr>")[0]
    assert "已受理" in accepted and "养老保险费补缴" in accepted
    assert '<span class="badge red">超时</span>' in accepted  # its 20 working days are long past
    assert "2026-02-12 10:00" in accepted  # Beijing time
    assert "李某" not in text and "341525197001010020" not in text  # masked applicant only
    assert f"/ui/exports/cases.csv?centre={centre}" in text

    def shown(query: str) -> list[int]:
        found = page(client, ledger, staff.clerk, f"/ui/cases?centre={centre}&{query}").text
        return [k for k in range(3) if f"/ui/cases/{ids[k]}" in found]

    assert shown(f"case_no={numbers[1]}") == [1]
    assert shown("status=received") == [0, 1]
    assert shown("from=2026-02-11&to=2026-02-11") == [1]
    assert shown("from=2026-02-11&to=") == [1, 2]
    assert shown("department=医保") == []
    first = page(client, ledger, staff.clerk, f"/ui/cases?centre={centre}&limit=2")
    following = next_link(first)
    assert following is not None and "cursor=" in following
    second = page(client, ledger, staff.clerk, following).text
    assert f"/ui/cases/{ids[0]}" in second and f"/ui/cases/{ids[2]}" not in second
    empty = page(client, ledger, staff.clerk, f"/ui/cases?centre={centre}&from=2026-03-01")
    assert "没有符合条件的案件。" in empty.text


def test_case_search_is_not_for_dashboards(
    client: TestClient[Any], ledger: Ledger, staff: Staff, cases: dict[str, Any]
) -> None:
    refused = page(client, ledger, staff.reader, f"/ui/cases?centre={cases['centre']}", status=403)
    assert cases["numbers"][0] not in refused.text
