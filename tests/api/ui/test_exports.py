"""`/ui/exports/{name}.csv|.xlsx` without a browser: every export parsed back (the csv module with
utf-8-sig, openpyxl), its Chinese headers and rows, the BOM and CRLF, formulas defused, the file
name, paging up to the cap, and the same role checks and tenancy as the JSON endpoints.

The indicators are those of `test_indicators_page` (cases A..D, November 2026, huoshan); a 12345
order, a 办不成事 report and an exception request come on 2026-12-01, out of November's figures.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import unquote

import httpx
import openpyxl
import pytest
from litestar.testing import TestClient

from ledger.api.ui import exports
from ledger.application.service import Ledger
from tests.api.support import append, register
from tests.api.ui.test_indicators_page import NOVEMBER, Staff, november_floor, page
from tests.views_support import module_client_with_views, module_scoped_ledger

database, ledger = module_scoped_ledger()
client = module_client_with_views()

Headers = dict[str, str]
FORMULA = '=HYPERLINK("http://example.invalid","点击")'
DECEMBER = "2026-12-01T{}:00+08:00"


class More(Staff):
    def __init__(self, token_for: Callable[..., Headers]) -> None:
        super().__init__(token_for)
        self.hotline = token_for("hl-exp", "hotline_operator", unit="12345")
        self.lead = token_for("lead-exp", "window_lead", unit="人社")
        self.head = token_for("head-exp", "department_head", unit="人社")


@pytest.fixture(scope="module")
def staff(token_for: Callable[..., Headers]) -> More:
    return More(token_for)


@pytest.fixture(scope="module")
def floor(client: TestClient[Any], staff: More) -> dict[str, str]:
    ids = november_floor(client, staff)
    order = register(
        client,
        staff.hotline,
        channel="hotline_12345",
        department="12345热线",
        window=None,
        occurred_at=DECEMBER.format("09:00"),
    )
    received = {"ticket_no": "HS20261201-0001", "category": "help", "summary": FORMULA}
    append(
        client,
        order,
        staff.hotline,
        {"type": "HotlineEscalationReceived", "occurred_at": DECEMBER.format("09:00"), **received},
    )
    stuck = register(client, staff.hr, occurred_at=DECEMBER.format("10:00"))
    report = {
        "type": "UnresolvedReported",
        "occurred_at": DECEMBER.format("10:10"),
        "cause": "materials",
        "resolvability": "hard_to_do",
        "tier": "complex",
        "description": "-两个部门材料清单不一致",
    }
    append(client, stuck, staff.hr, report)
    waived = register(client, staff.hr, occurred_at=DECEMBER.format("11:00"))
    request = {
        "type": "ExceptionRequested",
        "occurred_at": DECEMBER.format("11:05"),
        "kind": "missing_materials",
        "rule_waived": "材料齐全方可受理",
        "basis": "容缺受理事项清单",
        "justification": "申请人在外地，次要材料后补",
        "waived_items": ["银行卡复印件"],
        "compensating_controls": [],
        "credit_check": {
            "result": "clear",
            "source": "信用中国",
            "checked_at": DECEMBER.format("11:04"),
        },
    }
    append(client, waived, staff.hr, request)
    return {**ids, "order": order, "stuck": stuck, "waived": waived}


def download(
    client: TestClient[Any], ledger: Ledger, who: Headers, path: str, status: int = 200
) -> httpx.Response:
    return page(client, ledger, who, path, status)


def read_csv(response: httpx.Response) -> list[list[str]]:
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    text = response.content.decode("utf-8-sig")
    assert text.count("\r\n") == text.count("\n")  # CRLF, and no bare LF
    return list(csv.reader(io.StringIO(text, newline="")))


def by_first(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    header, *body = rows
    return {row[0]: dict(zip(header, row, strict=True)) for row in body}


def workbook(response: httpx.Response) -> Any:
    assert response.headers["content-type"] == exports.XLSX_TYPE
    return openpyxl.load_workbook(io.BytesIO(response.content))


def filename(response: httpx.Response) -> str:
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    return unquote(disposition.split("filename*=UTF-8''")[1])


def test_an_indicator_table_as_csv_with_chinese_headers_and_separate_parts(
    client: TestClient[Any], ledger: Ledger, staff: More, floor: dict[str, str]
) -> None:
    path = f"/ui/exports/indicators.csv?centre=huoshan&{NOVEMBER}&group_by=department"
    response = download(client, ledger, staff.manager, path + "&table=timeliness")
    rows = read_csv(response)
    assert rows[0][:4] == ["部门", "收件", "受理", "办结"]
    assert {"按时办结率", "按时办结率（分子）", "按时办结率（分母）"} <= set(rows[0])
    table = by_first(rows)
    assert list(table) == ["人社", "公安", "合计"]
    hr, total = table["人社"], table["合计"]
    assert (hr["按时办结率"], hr["按时办结率（分子）"], hr["按时办结率（分母）"]) == (
        "66.7%",
        "2",
        "3",
    )
    assert (total["按时办结率"], total["按时办结率（分子）"], total["按时办结率（分母）"]) == (
        "75.0%",
        "3",
        "4",
    )
    assert filename(response) == "指标-办件时效_huoshan_2026-11-01_2026-11-30_按部门.csv"
    assert (
        'filename="indicators-timeliness_huoshan_2026-11-01_2026-11-30_department.csv"'
        in (response.headers["content-disposition"])
    )

    ratings = by_first(read_csv(download(client, ledger, staff.manager, path + "&table=ratings")))
    assert (ratings["人社"]["好评率"], ratings["人社"]["好评率（分母）"]) == ("50.0%", "2")
    hotline = by_first(read_csv(download(client, ledger, staff.manager, path + "&table=hotline")))
    assert hotline["合计"]["及时签收率"] == ""  # nothing counted: an empty cell, 0/0 beside it
    assert hotline["合计"]["及时签收率（分母）"] == "0"
    trend = by_first(read_csv(download(client, ledger, staff.manager, path + "&table=trend")))
    assert trend["2026-11-10"]["按时办结率"] == "0.0%"
    assert trend["2026-11-12"]["办结"] == "2"


def test_the_indicators_workbook_has_a_sheet_per_table(
    client: TestClient[Any], ledger: Ledger, staff: More, floor: dict[str, str]
) -> None:
    path = f"/ui/exports/indicators.xlsx?centre=huoshan&{NOVEMBER}"
    response = download(client, ledger, staff.dashboard, path)
    book = workbook(response)
    assert book.sheetnames == [
        "办件时效",
        "办件质量",
        "12345工单办理",
        "12345工单回访",
        "好差评",
        "办不成事",
        "每日趋势",
    ]
    sheet = book["办件时效"]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].value == "部门" and sheet["A1"].font.b
    header = [c.value for c in sheet[1]]
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    on_time = rows["人社"][header.index("按时办结率")]
    assert (on_time.value, on_time.number_format) == (0.6667, "0.0%")
    assert rows["人社"][header.index("按时办结率（分子）")].value == 2
    trend = {r[0].value: [c.value for c in r] for r in book["每日趋势"].iter_rows(min_row=2)}
    assert trend[datetime(2026, 11, 10)][5:] == [0.0, 0, 1]
    assert filename(response) == "指标-全部_huoshan_2026-11-01_2026-11-30_按部门.xlsx"


def test_the_cases_in_both_formats_with_beijing_times_and_chinese_words(
    client: TestClient[Any], ledger: Ledger, staff: More, floor: dict[str, str]
) -> None:
    query = f"centre=huoshan&status=completed&{NOVEMBER}"
    response = download(client, ledger, staff.manager, f"/ui/exports/cases.csv?{query}")
    rows = read_csv(response)
    assert rows[0][:6] == ["案件编号", "服务中心", "部门", "窗口", "事项编码", "事项名称"]
    assert "收件时间（北京时间）" in rows[0]
    found = {r["案件ID"]: r for r in by_first(rows).values()}
    assert set(found) == {floor[k] for k in "ABCD"}
    a, d = found[floor["A"]], found[floor["D"]]
    assert (a["状态"], a["结果"], a["渠道"]) == ("已办结", "准予", "窗口")
    assert a["收件时间（北京时间）"] == "2026-11-02 09:00:00"
    assert (d["部门"], d["渠道"], d["事项名称"]) == ("公安", "网上办理", "居民身份信息更正")
    assert a["申请人（脱敏）"] != "李某"  # masked as the API shows it
    assert filename(response).startswith("案件_huoshan_")

    book = workbook(download(client, ledger, staff.manager, f"/ui/exports/cases.xlsx?{query}"))
    sheet = book["案件"]
    assert [c.value for c in sheet[1]] == rows[0]
    registered = rows[0].index("收件时间（北京时间）")
    times = {r[registered].value for r in sheet.iter_rows(min_row=2)}
    assert datetime(2026, 11, 2, 9, 0) in times


def test_the_12345_orders_with_a_formula_defused(
    client: TestClient[Any], ledger: Ledger, staff: More, floor: dict[str, str]
) -> None:
    rows = read_csv(
        download(client, ledger, staff.manager, "/ui/exports/hotline.csv?centre=huoshan")
    )
    order = by_first(rows)["HS20261201-0001"]
    assert order["诉求摘要"] == "'" + FORMULA  # a leading ': no spreadsheet runs it
    assert (order["状态"], order["诉求类型"]) == ("待派单", "求助")
    assert order["接收时间（北京时间）"] == "2026-12-01 09:00:00"

    path = "/ui/exports/hotline.xlsx?centre=huoshan&status=pending_dispatch"
    sheet = workbook(download(client, ledger, staff.manager, path))["12345工单"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("诉求摘要") + 1)
    assert (cell.value, cell.data_type) == (FORMULA, "s")  # text, not a formula


def test_the_unresolved_reports_and_the_approvals_waiting_on_my_role(
    client: TestClient[Any], ledger: Ledger, staff: More, floor: dict[str, str]
) -> None:
    rows = read_csv(
        download(client, ledger, staff.manager, "/ui/exports/unresolved.csv?centre=huoshan")
    )
    assert len(rows) == 2
    report = dict(zip(rows[0], rows[1], strict=True))
    assert (report["原因"], report["类型"], report["层级"]) == ("材料要件", "很难办", "复杂")
    assert report["情况描述"] == "'-两个部门材料清单不一致"
    assert report["否定答复"] == "否"

    mine = read_csv(
        download(client, ledger, staff.lead, "/ui/exports/exceptions.csv?centre=huoshan")
    )
    assert len(mine) == 2
    waiting = dict(zip(mine[0], mine[1], strict=True))
    assert (waiting["例外类型"], waiting["待审层级"], waiting["审批角色"]) == (
        "容缺受理",
        "1/2",
        "窗口负责人",
    )
    assert waiting["案件ID"] == floor["waived"]
    # The head decides layer 2: nothing waits on that role yet (a header, no rows).
    assert len(read_csv(download(client, ledger, staff.head, "/ui/exports/exceptions.csv"))) == 1
    asked = "/ui/exports/exceptions.xlsx?centre=huoshan&role=window_lead"
    assert workbook(download(client, ledger, staff.manager, asked))["待审批例外事项"].max_row == 2


def test_every_page_of_a_register_up_to_the_cap(
    client: TestClient[Any],
    ledger: Ledger,
    staff: More,
    floor: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(exports, "MAX_LIMIT", 2)  # pages of two: four cases need two pages
    path = f"/ui/exports/cases.csv?centre=huoshan&status=completed&{NOVEMBER}"
    whole = download(client, ledger, staff.manager, path)
    assert len(read_csv(whole)) == 5
    assert "ledger-export-truncated" not in whole.headers
    monkeypatch.setattr(exports, "EXPORT_CAP", 3)
    capped = download(client, ledger, staff.manager, path)
    assert len(read_csv(capped)) == 4
    assert capped.headers["ledger-export-truncated"] == "true"


@pytest.mark.parametrize("name", ["cases", "hotline", "unresolved", "exceptions", "indicators"])
def test_another_centre_is_refused(
    client: TestClient[Any], ledger: Ledger, staff: More, floor: dict[str, str], name: str
) -> None:
    response = download(
        client, ledger, staff.elsewhere, f"/ui/exports/{name}.csv?centre=huoshan", status=403
    )
    assert response.headers["content-type"].startswith("text/html")  # an error page, no file
    assert "content-disposition" not in response.headers


def test_the_roles_the_api_checks(
    client: TestClient[Any], ledger: Ledger, staff: More, floor: dict[str, str]
) -> None:
    # Cases carry (masked) applicants: not for dashboards, as GET /cases; the registers are.
    download(client, ledger, staff.dashboard, "/ui/exports/cases.csv?centre=huoshan", status=403)
    download(client, ledger, staff.dashboard, "/ui/exports/hotline.csv?centre=huoshan")


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/ui/exports/nothing.csv", 404),
        ("/ui/exports/cases.pdf", 404),
        ("/ui/exports/indicators.csv?table=secret", 404),
        ("/ui/exports/indicators.csv?table=trend&from=2026-01-01&to=2026-11-30", 400),
        ("/ui/exports/cases.csv?status=lost", 400),
        ("/ui/exports/hotline.csv?status=lost", 400),
        ("/ui/exports/cases.csv?from=2026-11-30&to=2026-11-01", 400),
    ],
)
def test_what_cannot_be_exported_is_an_error_page(
    client: TestClient[Any], ledger: Ledger, staff: More, path: str, status: int
) -> None:
    response = download(client, ledger, staff.manager, path, status=status)
    assert response.headers["content-type"].startswith("text/html")


def test_without_a_session_an_export_sends_to_the_login(client: TestClient[Any]) -> None:
    response = client.get("/ui/exports/cases.csv", follow_redirects=False)
    assert response.status_code == 303
