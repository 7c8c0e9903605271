"""The 指标 page, `GET /ui/indicators`: the indicators report of `GET /metrics/timeliness` for one
centre and period, grouped by department, window, matter or channel, as tables (each rate with
its numerator and denominator, each column's rule in a footnote) and server-drawn charts.

The figures come from the API's own functions (`indicator_reads.fetch`,
`indicator_reads.compute`), summed by PostgreSQL; the daily trend (periods up to
`TREND_MAX_DAYS`) groups the same per-case predicates by the day each case counts on
(`summed.daily_query`), so a day's figure is what the API answers for `from=to=that day`.
The tables are `indicator_tables.FAMILIES`; `exports.py` serves them as CSV and Excel too.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, get
from litestar.params import FromQuery, QueryParameter
from litestar.response import Template

from ledger.api import indicator_reads, metrics
from ledger.api.reads import read_in_thread, utc_now, wait_for_view
from ledger.api.schemas.fields import FIRST_DAY, LAST_DAY, out_of_range
from ledger.api.ui import charts
from ledger.api.ui.format import BEIJING
from ledger.api.ui.indicator_tables import (
    BY_NAME,
    FAMILIES,
    Family,
    rate_text,
    table_rows,
    value,
)
from ledger.api.ui.labels import zh
from ledger.api.ui.pages import PAGES, PageError, centre_of, page_context, page_credential
from ledger.application.service import Ledger
from ledger.application.tokens import Credential
from ledger.domain.permissions import require_view_read
from ledger.projections.indicators.grouping import GroupBy
from ledger.projections.indicators.period import Period, QueryError, resolve_period
from ledger.projections.indicators.rates import Rate, rate
from ledger.projections.indicators.report import DEFINITIONS_VERSION, Report

TREND_MAX_DAYS = 62
"""The daily trend is drawn for periods up to this many days (about two months of bars)."""

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class DayFigures(msgspec.Struct, kw_only=True):
    """One day's figures of the trend, each as `timeliness` counts it over that day alone."""

    received: int = 0
    accepted: int = 0
    completed: int = 0
    due: int = 0
    on_time: int = 0

    @property
    def on_time_rate(self) -> Rate:
        return rate(self.on_time, self.due)


class Computed(msgspec.Struct, frozen=True, kw_only=True):
    """One centre's report over one period, with the daily trend and what it was read as of."""

    centre: str
    period: Period
    grouping: GroupBy
    report: Report
    trend: list[tuple[date, DayFigures]] | None
    """None when the period is longer than `TREND_MAX_DAYS`."""
    position: int
    lag_events: int
    computed_at: datetime
    connections: int
    """`Fetched.connections`: what `/metrics` counts."""


def parse_query(
    first: str | None, last: str | None, group_by: str | None
) -> tuple[Period, GroupBy]:
    """The period and grouping asked for, with the API's defaults (this month so far, by
    department); a bad value is a 400 page naming it."""
    try:
        grouping = GroupBy(group_by or GroupBy.DEPARTMENT)
    except ValueError:
        raise PageError(400, "分组方式无效", "可按部门、窗口、事项或渠道分组。") from None
    try:
        today = datetime.now(BEIJING).date()
        period = resolve_period(parse_day("开始日期", first), parse_day("结束日期", last), today)
    except QueryError as e:
        detail = "开始日期晚于结束日期。" if "after" in e.detail else "期间最长 366 天。"
        raise PageError(400, "查询期间无效", detail) from None
    return period, grouping


def parse_day(name: str, given: str | None) -> date | None:
    """A date filter (YYYY-MM-DD, inside the API's `DATE_RANGE`); a bad one is a 400 page."""
    if not given:
        return None
    try:
        day = date.fromisoformat(given) if _DATE.match(given) else None
    except ValueError:
        day = None
    if day is None or out_of_range(day):
        raise PageError(400, f"{name}无效", f"“{given}” 不是 {FIRST_DAY}–{LAST_DAY} 间的日期。")
    return day


async def indicators_for(
    request: Request[Any, Any, Any],
    credential: Credential,
    centre: str | None,
    first: str | None,
    last: str | None,
    group_by: str | None,
) -> Computed:
    """What the page and its exports show: the role and tenancy checks of `/metrics/timeliness`,
    then the report (a `Ledger-Position` header waits for the views, as on the API)."""
    require_view_read(credential.actor.roles, "read metrics")
    ledger: Ledger = request.app.state.ledger
    shown = centre_of(credential, centre, ledger.policies.centres)
    period, grouping = parse_query(first, last, group_by)
    waiter = request.app.state.waiter
    await wait_for_view(request, waiter, indicator_reads.VIEW, None, timeout=metrics.VIEW_WAIT)
    await wait_for_view(
        request, waiter, indicator_reads.PUSHBACK_VIEW, None, timeout=metrics.VIEW_WAIT
    )
    computed = await read_in_thread(compute, ledger, shown, period, grouping, utc_now())
    request.app.state.telemetry.count_report(computed.connections)
    return computed


def compute(
    ledger: Ledger, centre: str, period: Period, grouping: GroupBy, now: datetime
) -> Computed:
    """The report summed by PostgreSQL, as the API serves it, and the daily trend beside it."""
    with_trend = (period.last - period.first).days + 1 <= TREND_MAX_DAYS
    fetched = indicator_reads.fetch(ledger, period, [centre], (grouping, now), daily=with_trend)
    return Computed(
        centre=centre,
        period=period,
        grouping=grouping,
        report=indicator_reads.compute(ledger, fetched, period, grouping, now),
        trend=daily(fetched.daily, period) if fetched.daily is not None else None,
        position=fetched.position,
        lag_events=fetched.lag.events,
        computed_at=now,
        connections=fetched.connections,
    )


def daily(rows: list[dict[str, Any]], period: Period) -> list[tuple[date, DayFigures]]:
    """Each day of P with its received, accepted, completed, due and on time (按时办结率), from
    `summed.daily_query`'s rows; a day nothing counted on shows zeros."""
    days = (period.last - period.first).days + 1
    figures = {period.first + timedelta(n): DayFigures() for n in range(days)}
    for row in rows:
        day = figures[row["day"]]
        setattr(day, row["figure"], row["n"])
        if row["figure"] == "due":
            day.on_time = row["on_time"]
    return list(figures.items())


def _bars(computed: Computed, family: Family, path: str, title: str) -> Any:
    """A bar per group with something counted (the table lists the rest); none: no chart."""
    column = next(c for c in family.columns if ".".join(c.path) == path)
    items = [
        charts.Bar(label, r.value, rate_text(r))
        for label, of in table_rows(computed.report, computed.grouping, family)[:-1]
        if (r := value(of, column, family.section)) is not None and r.denominator
    ]
    return charts.bars(title, items) if items else None


@get("/ui/indicators", include_in_schema=False)
async def indicators_page(
    request: Request[Any, Any, Any],
    centre: FromQuery[str | None] = None,
    first: Annotated[str | None, QueryParameter(name="from", required=False)] = None,
    last: Annotated[str | None, QueryParameter(name="to", required=False)] = None,
    group_by: FromQuery[str | None] = None,
) -> Template:
    credential = await page_credential(request)
    computed = await indicators_for(request, credential, centre, first, last, group_by)
    group_name = zh("group_by", computed.grouping)
    query = {
        "centre": computed.centre,
        "from": computed.period.first.isoformat(),
        "to": computed.period.last.isoformat(),
        "group_by": str(computed.grouping),
    }
    trend = computed.trend
    ledger: Ledger = request.app.state.ledger
    context = page_context(
        request,
        credential,
        centre=computed.centre,
        centres=[c for c in ledger.policies.centres if credential.scope.admits(c)],
        computed=computed,
        query=query,
        export_query=urlencode(query),
        group_name=group_name,
        groupings=[(g.value, zh("group_by", g)) for g in GroupBy],
        families=[(f, table_rows(computed.report, computed.grouping, f)) for f in FAMILIES],
        value=value,
        rate_text=rate_text,
        definitions_version=DEFINITIONS_VERSION,
        trend_max_days=TREND_MAX_DAYS,
        charts={
            "by_group": _bars(
                computed, BY_NAME["timeliness"], "on_time_rate", f"各{group_name}按时办结率"
            ),
            "hotline": _bars(
                computed, BY_NAME["hotline"], "on_time_rate", "各部门12345工单按时办结率"
            ),
            "counts": charts.columns(
                "每日收件与办结",
                [d for d, _ in trend],
                [
                    charts.Series("收件", [float(i.received) for _, i in trend]),
                    charts.Series("办结", [float(i.completed) for _, i in trend]),
                ],
            )
            if trend
            else None,
            "on_time": charts.line(
                "每日按时办结率（按办结期限所在日）",
                [d for d, _ in trend],
                [i.on_time_rate.value for _, i in trend],
            )
            if trend
            else None,
        },
    )
    return Template("indicators.html", context=context)


PAGES.append(indicators_page)
