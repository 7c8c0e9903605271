"""`GET /metrics/timeliness`: the timeliness indicators over the cases view, with the 12345,
办不成事 and 好差评 indicators over the pushback views, as JSON or CSV.

The definitions live beside their code in `ledger.projections.indicators`; this module parses
the query, waits for both views when the client asks to read its own writes, reads the rows
touching the period (one query per table) in one consistent snapshot and renders the report.
Reading is for every role, dashboards included: the report is aggregate counts with no personal
data (DESIGN §7: dashboards read projections, not cases).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import Parameter, QueryParameter

from ledger.api.contract import also_answering
from ledger.api.edge import bounded
from ledger.api.errors import BadRequest
from ledger.api.indicator_reads import PUSHBACK_VIEW, VIEW, compute, fetch
from ledger.api.reads import (
    READ_WAIT,
    MinPosition,
    read_in_thread,
    utc_now,
    wait_for_view,
)
from ledger.application.service import Ledger
from ledger.domain.calendar import SHANGHAI
from ledger.domain.permissions import require_view_read
from ledger.domain.tenancy import Scope
from ledger.domain.values import Actor
from ledger.projections.indicators.grouping import GroupBy
from ledger.projections.indicators.period import Period, QueryError, resolve_period
from ledger.projections.indicators.report import (
    DEFINITIONS_VERSION,
    Group,
    Report,
    Total,
    flat,
)
from ledger.projections.waiter import PositionWaiter

VIEW_WAIT = READ_WAIT
"""Seconds a read waits for the view to reach the position it asks for (tests shorten it)."""
CSV = "text/csv"

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

DESCRIPTION = """\
Indicators per department (the unit holding the case; for a closed case, the one that closed it),
window, matter or channel over the period `from`..`to` (dates, both inclusive, Asia/Shanghai;
`to` defaults to today and `from` to the first of `to`'s month; at most 366 days), with a `total`
computed over the cases. 办结 means status completed with an outcome other than withdrawn.

- received / accepted: registered / accepted in the period; completed: 办结 in the period
- completion_rate (办结率, period cohort): cases accepted in the period and 办结 before it ended
  ÷ accepted
- due: deadline (with extensions and pauses) in the period and already passed, unless the case
  was withdrawn (撤回/退办) before it (then neither on time nor overdue; withdrawn after it, it is
  overdue); on_time: of those, 办结 by the deadline; overdue = due − on_time; on_time_rate
  (按时办结率) = on_time ÷ due
- extended: accepted in the period with an approved extension; extension_rate (延期率) = extended
  ÷ accepted
- one_visit_rate (一次办成率): completed with at most one visit ÷ completed; zero_visit_rate
  (零跑动率): completed with no visit ÷ completed
- handoffs_per_case / visits_per_case (跑动次数): sums over the cases received ÷ received
- working_days: median and nearest-rank p90 working days from clock start to completion over the
  completed cases
- notice_violations: one-time-notice violation flags on the cases received (a notice after its
  5-day limit is one)
- notices: first 补正 notices (一次性告知) given in the period; notice_in_time_rate: of those, given
  within 5 working days of receipt (行政许可法 第三十二条) ÷ notices; deemed_accepted: the notices
  given late, whose cases count as accepted on receipt (their clocks run from it)
- promise_compression (承诺时限压缩率) = 1 − Σ承诺 ÷ Σ法定 over the distinct matters of the cases
  counted whose policy lists both limits in one unit: numerator Σ(法定 − 承诺), denominator Σ法定
  (days); null when no such matter

Each group and the total also carry `hotline` (12345 orders: 及时签收率 sign_for_rate per order
by its lead dispatches, and unit_sign_for_rate per dispatch; 重复来电率 repeat_rate; 首呼解决率
first_call_rate; 退单率 return_rate and rounds_per_ticket; 响应率 contact_rate; 按时办结率
on_time_rate and 延期率 extension_rate on the order's clock, from its first dispatch through every
退单, and unit_on_time_rate on each unit's own round; 回访率 follow_up_rate and 按时回访率
follow_up_on_time_rate; 满意率 satisfaction_rate, 基本满意 counted by each centre's policy, with
unreachable apart; 解决率 citizen_resolved_rate and unit_resolved_rate; total_wait, mean and max
days from the call to closure of the orders closed), `unresolved` (办不成事 received, of which
negative_answers filed with a refusal (否定答复报告), by cause and closure, closed, on_time_rate,
and consultations answered, no report each) and `ratings` (好差评: good_rate with and without
defaults, active_rate 主动评价率, rectify_on_time_rate 差评按时整改率 and rectify_rate 差评整改率
over the 差评 due for rectification, real_name_follow_up_rate 实名差评回访率), from the pushback
views. Merged 12345 orders count only in received / merged / repeat_rate. 12345 orders group by
department only (a dispatch by its unit, an order by its lead unit, null when no unit holds it): a
section that does not apply to the grouping is null in the groups and counted in the total. By
window, a 办不成事 report counts under the window it concerns, so a month's `received` per window
is the monthly 通报's count; a consultation counts where it was answered. By channel (the case's:
window, online, hotline_12345, ...) only the cases' indicators group; the other sections are null.

Rates carry value, numerator and denominator (value null when the denominator is 0). Send
`Accept: text/csv` for CSV. `definitions_version` changes whenever a definition does. Full
definitions: src/ledger/projections/indicators/."""


class MetricsController(Controller):
    path = "/metrics"
    tags = ["metrics"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get(
        "/timeliness",
        summary="Timeliness indicators (办结率, 按时办结率, 延期率, 一次办成率, 零跑动率, "
        "承诺时限压缩率, 5-day notice, working time)",
        description=DESCRIPTION,
        operation_class=also_answering(CSV),
    )
    async def timeliness(
        self,
        request: Request[Any, Any, Any],
        ledger: NamedDependency[Ledger],
        waiter: NamedDependency[PositionWaiter],
        actor: NamedDependency[Actor],
        tenancy: NamedDependency[Scope],
        first: Annotated[
            str | None,
            QueryParameter(name="from", required=False, description="YYYY-MM-DD, inclusive"),
        ] = None,
        last: Annotated[
            str | None,
            QueryParameter(name="to", required=False, description="YYYY-MM-DD, inclusive"),
        ] = None,
        group_by: Annotated[
            str | None,
            Parameter(
                required=False, description="department (default), window, matter or channel"
            ),
        ] = None,
        centre: Annotated[
            str | None,
            Parameter(required=False, max_length=40, pattern=r"^[a-z][a-z0-9_-]*$"),
        ] = None,
        min_position: MinPosition = None,
    ) -> Response[Any]:
        require_view_read(actor.roles, "read metrics")  # counts only, no personal data
        grouping = _group_by(group_by)
        try:
            today = datetime.now(SHANGHAI).date()
            period = resolve_period(_date("from", first), _date("to", last), today)
        except QueryError as e:
            raise BadRequest(e.field, e.detail) from None
        centres = tenancy.narrow(centre)
        await wait_for_view(request, waiter, VIEW, min_position, timeout=VIEW_WAIT)
        await wait_for_view(request, waiter, PUSHBACK_VIEW, min_position, timeout=VIEW_WAIT)
        now = utc_now()
        fetched = await read_in_thread(fetch, ledger, period, centres, (grouping, now))
        request.app.state.telemetry.count_report(fetched.connections)
        computed = compute(ledger, fetched, period, grouping, now)
        if request.accept.best_match([MediaType.JSON, CSV]) == CSV:
            return _csv_response(computed, period, grouping, centre)
        return Response(
            {
                "from": period.first.isoformat(),
                "to": period.last.isoformat(),
                "group_by": str(grouping),
                "centre": centre,
                "as_of_position": fetched.position,
                "lag": {"events": fetched.lag.events, "seconds": fetched.lag.seconds},
                # as_of_position and lag are the cases view's; the pushback view's are here.
                "pushback": {
                    "as_of_position": fetched.pushback_position,
                    "lag": msgspec.to_builtins(fetched.pushback_lag),
                },
                "definitions_version": DEFINITIONS_VERSION,
                "computed_at": now.isoformat(),
                "groups": [_group_json(group, grouping) for group in computed.groups],
                "total": _total_json(computed.total),
            },
            headers={"Vary": "Accept"},
        )


def _group_by(value: str | None) -> GroupBy:
    try:
        return GroupBy(GroupBy.DEPARTMENT if value is None else value)
    except ValueError:
        choices = ", ".join(g.value for g in GroupBy)
        raise BadRequest("group_by", f"group_by must be one of {choices}") from None


def _date(field: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        if not _DATE.match(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        raise BadRequest(field, f"{field} must be a date, YYYY-MM-DD") from None
    return bounded(field, day)


def _sections(of: Group | Total) -> dict[str, Any]:
    """The case indicators at the top level, then the hotline, unresolved and ratings sections."""
    return {
        **msgspec.to_builtins(of.indicators),
        "hotline": msgspec.to_builtins(of.hotline),
        "unresolved": msgspec.to_builtins(of.unresolved),
        "ratings": msgspec.to_builtins(of.ratings),
    }


def _group_json(group: Group, grouping: GroupBy) -> dict[str, Any]:
    head: dict[str, Any] = {"key": group.key}
    if grouping is GroupBy.MATTER:
        head["matter_name"] = group.matter_name
    return {**head, **_sections(group)}


def _total_json(total: Total) -> dict[str, Any]:
    return _sections(total)


# --- CSV ----------------------------------------------------------------------------------------


def _flat(columns: list[str], of: Group | Total) -> list[Any]:
    """The row's cells for `columns`: a rate `x` gives x, x_numerator, x_denominator;
    working_days gives working_days_median, working_days_p90, working_days_n; the sections'
    columns are prefixed (hotline_sign_for_rate, unresolved_by_cause_policy, ratings_good_rate);
    a null section leaves its cells empty."""
    cells = dict(flat(_sections(of)))
    return [cells.get(column) for column in columns]


def _csv_response(
    report: Report, period: Period, grouping: GroupBy, centre: str | None
) -> Response[str]:
    """One row per group, then the total (`row` = group | total); empty cell for null."""
    columns = [name for name, _ in flat(_sections(report.total))]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "key", "matter_name", *columns])
    for group in report.groups:
        writer.writerow(["group", group.key, group.matter_name, *_flat(columns, group)])
    writer.writerow(["total", None, None, *_flat(columns, report.total)])
    name = f"timeliness_{period.first}_{period.last}_{grouping}"
    if centre is not None:
        name += f"_{centre}"  # safe: the parameter's pattern
    return Response(
        out.getvalue(),
        media_type=CSV,  # Litestar adds "; charset=utf-8"
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"', "Vary": "Accept"},
    )
