"""Exports of every table the pages show, `GET /ui/exports/{name}.csv` and `.xlsx`: the indicators
(`table=` one of the 指标 page's tables, or `trend`), cases (the search list), 12345 orders,
办不成事 reports and the exception requests waiting on a role; Chinese headers, Beijing times.

Each export reads through the same function as its JSON endpoint (`search_cases`,
`ticket_register`, `report_register`, `pending_approvals`, `metrics.compute`) with that
endpoint's filters, role check and tenancy, paging through it to at most `EXPORT_CAP` rows (the
response then says `Ledger-Export-Truncated: true`). How the files are written: `sheets`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, NamedTuple

import anyio
import msgspec
from litestar import Request, Response, get
from litestar.params import FromPath

from ledger.api import approvals, case_view, pushback_view
from ledger.api.hotline_register import TICKET_STATUSES, TicketQuery, ticket_register
from ledger.api.reads import MAX_LIMIT, read_in_thread, utc_now, wait_for_view
from ledger.api.schemas.fields import PLAIN
from ledger.api.search import CaseQuery, search_cases
from ledger.api.ui import indicator_tables, indicators, labels
from ledger.api.ui.format import BEIJING
from ledger.api.ui.pages import PAGES, PageError, centre_of, page_credential
from ledger.api.ui.sheets import CSV_TYPE, XLSX_TYPE, Percent, Sheet, disposition, to_csv, to_xlsx
from ledger.api.unresolved_register import ReportQuery, report_register
from ledger.application.service import Ledger
from ledger.application.tokens import Credential
from ledger.domain.permissions import require_read, require_view_read
from ledger.domain.unresolved.records import (
    Resolvability,
    UnresolvedCause,
    UnresolvedClosure,
    UnresolvedTier,
)
from ledger.domain.values import CaseStatus, Role
from ledger.projections.indicators.rates import Rate

EXPORT_CAP = 50_000
"""The most rows one export holds; narrow the filters (a shorter period) for more."""
_PLAIN = re.compile(PLAIN)


class Export(NamedTuple):
    """What is sent: the sheets, and the file's name in ASCII and in Chinese (no extension)."""

    sheets: list[Sheet]
    name: str
    zh_name: str


class Asked(NamedTuple):
    """A register export's request: the centre shown, the query's filters, who asks."""

    centre: str
    params: dict[str, str]
    roles: tuple[Role, ...]


# --- the sources --------------------------------------------------------------------------------


def _text(params: dict[str, str], name: str) -> str | None:
    """A text filter as the API takes it (1–200 characters, no control characters)."""
    raw = params.get(name)
    if not raw:
        return None
    if len(raw) > 200 or not _PLAIN.match(raw):
        raise PageError(400, f"筛选条件 {name} 无效", "最长 200 个字符，不含控制字符。")
    return raw


def _choice(params: dict[str, str], name: str, kind: Callable[[str], Any]) -> Any:
    raw = _text(params, name)
    try:
        return None if raw is None else kind(raw)
    except ValueError:
        raise PageError(400, f"筛选条件 {name} 无效", f"“{raw}” 不是可选的值。") from None


def _day(params: dict[str, str], name: str) -> date | None:
    return indicators.parse_day({"from": "开始日期", "to": "结束日期"}[name], params.get(name))


def _sheet(title: str, columns: labels.Columns, items: Iterable[Any], more: bool) -> Sheet:
    rows = [[get(item) for _, get in columns] for item in items]
    return Sheet(title, [h for h, _ in columns], rows[:EXPORT_CAP], more or len(rows) > EXPORT_CAP)


def _paged(read: Callable[[str | None], tuple[list[Any], str | None]]) -> tuple[list[Any], bool]:
    """Every item of a keyset-paged read, up to the cap; whether there were more."""
    items: list[Any] = []
    cursor: str | None = None
    while True:
        page, cursor = read(cursor)
        items += page
        if cursor is None or len(items) >= EXPORT_CAP:
            return items[:EXPORT_CAP], cursor is not None or len(items) > EXPORT_CAP


def cases(ledger: Ledger, asked: Asked, now: datetime) -> Sheet:
    p = asked.params
    first, last = _day(p, "from"), _day(p, "to")
    if first and last and first > last:
        raise PageError(400, "查询期间无效", "开始日期晚于结束日期。")
    query = CaseQuery(
        status=_choice(p, "status", CaseStatus),
        centres=[asked.centre],
        department=_text(p, "department"),
        window=_text(p, "window"),
        matter=_text(p, "matter"),
        applicant_token=_text(p, "applicant_token"),
        case_no=_text(p, "case_no"),
        registered_from=first,
        registered_to=last,
        limit=MAX_LIMIT,
    )

    def read(cursor: str | None) -> tuple[list[Any], str | None]:
        page = search_cases(ledger, msgspec.structs.replace(query, cursor=cursor), now)
        return page.cases, page.next_cursor

    items, more = _paged(read)
    return _sheet("案件", labels.CASE_COLUMNS, items, more)


def hotline(ledger: Ledger, asked: Asked, now: datetime) -> Sheet:
    p = asked.params
    status = _text(p, "status")
    if status is not None and status not in TICKET_STATUSES:
        raise PageError(400, "筛选条件 status 无效", f"“{status}” 不是可选的工单状态。")
    query = TicketQuery(
        centres=[asked.centre], status=status, unit=_text(p, "unit"), limit=MAX_LIMIT
    )

    def read(cursor: str | None) -> tuple[list[Any], str | None]:
        page = ticket_register(ledger, msgspec.structs.replace(query, after=cursor), now)
        return page.tickets, page.next_cursor

    items, more = _paged(read)
    return _sheet("12345工单", labels.HOTLINE_COLUMNS, items, more)


def unresolved(ledger: Ledger, asked: Asked, now: datetime) -> Sheet:
    p = asked.params
    status = _text(p, "status")
    if status is not None and status not in ("open", "closed"):
        raise PageError(400, "筛选条件 status 无效", "只能是 open（未办结）或 closed（已办结）。")
    query = ReportQuery(
        centres=[asked.centre],
        status=status,
        cause=_choice(p, "cause", UnresolvedCause),
        resolvability=_choice(p, "resolvability", Resolvability),
        tier=_choice(p, "tier", UnresolvedTier),
        closure=_choice(p, "closure", UnresolvedClosure),
        window=_text(p, "window"),
        limit=MAX_LIMIT,
    )

    def read(cursor: str | None) -> tuple[list[Any], str | None]:
        page = report_register(ledger, msgspec.structs.replace(query, after=cursor), now)
        return page.reports, page.next_cursor

    items, more = _paged(read)
    return _sheet("办不成事", labels.UNRESOLVED_COLUMNS, items, more)


def exceptions(ledger: Ledger, asked: Asked, now: datetime) -> Sheet:
    """The requests waiting on `role` (default: on each of the signed-in person's roles)."""
    role = _choice(asked.params, "role", Role)
    items: list[Any] = []
    for each in [role] if role else asked.roles:
        found = approvals.pending_approvals(
            ledger, each, asked.centre, [asked.centre], EXPORT_CAP + 1, now
        )
        items += found.approvals
    return _sheet("待审批例外事项", labels.APPROVAL_COLUMNS, items, len(items) > EXPORT_CAP)


class Register(NamedTuple):
    """A register's export: who may read it (the API's check), its view, its rows, its names."""

    check: Callable[[tuple[Role, ...]], None]
    view: str
    sheet: Callable[[Ledger, Asked, datetime], Sheet]
    zh_name: str


REGISTERS = {
    "cases": Register(require_read, case_view.VIEW, cases, "案件"),
    "hotline": Register(
        lambda roles: require_view_read(roles, "read the 12345 register"),
        pushback_view.VIEW,
        hotline,
        "12345工单",
    ),
    "unresolved": Register(
        lambda roles: require_view_read(roles, "read the 办不成事 register"),
        pushback_view.VIEW,
        unresolved,
        "办不成事",
    ),
    "exceptions": Register(
        lambda roles: require_view_read(roles, "read pending approvals"),
        approvals.VIEW,
        exceptions,
        "待审批例外事项",
    ),
}


async def register_export(
    request: Request[Any, Any, Any], credential: Credential, name: str, params: dict[str, str]
) -> Export:
    register = REGISTERS[name]
    register.check(credential.actor.roles)
    ledger: Ledger = request.app.state.ledger
    centre = centre_of(credential, params.get("centre"), ledger.policies.centres)
    await wait_for_view(request, request.app.state.waiter, register.view, None)
    asked = Asked(centre, params, credential.actor.roles)
    sheet = await read_in_thread(register.sheet, ledger, asked, utc_now())
    today = datetime.now(BEIJING).date()
    return Export([sheet], f"{name}_{centre}_{today}", f"{register.zh_name}_{centre}_{today}")


# --- the indicators -----------------------------------------------------------------------------


def indicator_sheet(computed: indicators.Computed, family: indicator_tables.Family) -> Sheet:
    """A table of the 指标 page: a rate (or per-case ratio) as three columns, value, 分子, 分母."""
    headers = [labels.zh("group_by", computed.grouping)]
    for c in family.columns:
        split = c.kind in ("rate", "ratio")
        headers += [c.header, f"{c.header}（分子）", f"{c.header}（分母）"] if split else [c.header]
    rows = []
    for label, of in indicator_tables.table_rows(computed.report, computed.grouping, family):
        row: list[Any] = [label]
        for c in family.columns:
            v = indicator_tables.value(of, c, family.section)
            if isinstance(v, Rate):
                row += [
                    Percent(v.value) if c.kind == "rate" else v.value,
                    v.numerator,
                    v.denominator,
                ]
            else:
                row += [None] * 3 if c.kind in ("rate", "ratio") else [v]
        rows.append(row)
    return Sheet(family.title, headers, rows)


def trend_sheet(computed: indicators.Computed) -> Sheet:
    headers = ["日期", "收件", "受理", "办结", "应办结", "按时办结率"]
    headers += ["按时办结率（分子）", "按时办结率（分母）"]
    rows: list[list[Any]] = []
    for day, i in computed.trend or []:
        on_time = i.on_time_rate
        rows.append([day, i.received, i.accepted, i.completed, i.due, Percent(on_time.value)])
        rows[-1] += [on_time.numerator, on_time.denominator]
    return Sheet("每日趋势", headers, rows)


async def indicators_export(
    request: Request[Any, Any, Any], credential: Credential, params: dict[str, str], whole: bool
) -> Export:
    """One table (`table=`, default 办件时效); an Excel file without `table=` holds them all."""
    table = params.get("table") or (None if whole else "timeliness")
    if table is not None and table != "trend" and table not in indicator_tables.BY_NAME:
        names = "、".join([*indicator_tables.BY_NAME, "trend"])
        raise PageError(404, f"指标页没有名为 “{table}” 的表", f"可导出的表：{names}。")
    computed = await indicators.indicators_for(
        request,
        credential,
        params.get("centre"),
        params.get("from"),
        params.get("to"),
        params.get("group_by"),
    )
    if table == "trend" and computed.trend is None:
        days = indicators.TREND_MAX_DAYS
        raise PageError(400, "期间过长，没有每日趋势", f"每日趋势只在 {days} 天以内的期间计算。")
    families = [f for f in indicator_tables.FAMILIES if table in (None, f.name)]
    sheets = [indicator_sheet(computed, f) for f in families]
    if table == "trend" or (table is None and computed.trend is not None):
        sheets.append(trend_sheet(computed))
    title = "全部" if table is None else "每日趋势" if table == "trend" else sheets[0].title
    group = labels.zh("group_by", computed.grouping)
    span = f"{computed.centre}_{computed.period.first}_{computed.period.last}"
    return Export(
        sheets,
        f"indicators-{table or 'all'}_{span}_{computed.grouping}",
        f"指标-{title}_{span}_按{group}",
    )


@get("/ui/exports/{file:str}", include_in_schema=False)
async def export(request: Request[Any, Any, Any], file: FromPath[str]) -> Response[bytes]:
    """`{name}.csv` or `{name}.xlsx`; the filters are the matching page's query."""
    credential = await page_credential(request)
    name, _, kind = file.rpartition(".")
    if kind not in ("csv", "xlsx") or (name not in REGISTERS and name != "indicators"):
        known = "、".join(f"{n}.csv / {n}.xlsx" for n in [*REGISTERS, "indicators"])
        raise PageError(404, "没有这个导出", f"可导出：{known}。")
    params = {k: v for k, v in request.query_params.items() if isinstance(v, str)}
    if name == "indicators":
        made = await indicators_export(request, credential, params, whole=kind == "xlsx")
    else:
        made = await register_export(request, credential, name, params)
    if kind == "csv":  # up to EXPORT_CAP rows: written off the event loop
        body = await anyio.to_thread.run_sync(to_csv, made.sheets[0])
    else:
        body = await anyio.to_thread.run_sync(to_xlsx, made.sheets)
    headers = {
        "Content-Disposition": disposition(f"{made.name}.{kind}", f"{made.zh_name}.{kind}"),
        "Cache-Control": "no-store",
    }
    if any(s.truncated for s in made.sheets):
        headers["Ledger-Export-Truncated"] = "true"
    return Response(body, media_type=CSV_TYPE if kind == "csv" else XLSX_TYPE, headers=headers)


PAGES.append(export)
