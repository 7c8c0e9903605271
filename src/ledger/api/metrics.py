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

import anyio
import msgspec
from litestar import Controller, MediaType, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import Parameter, QueryParameter

from ledger.api import case_view, pushback_view
from ledger.api.contract import also_answering
from ledger.api.edge import bounded
from ledger.api.errors import BadRequest
from ledger.api.reads import (
    READ_WAIT,
    MinPosition,
    live,
    snapshot,
    utc_now,
    view_status,
    wait_for_view,
)
from ledger.api.schemas.view_reads import Lag
from ledger.application.service import Ledger
from ledger.domain.calendar import SHANGHAI
from ledger.domain.permissions import require_view_read
from ledger.domain.tenancy import Scope
from ledger.domain.values import Actor
from ledger.projections.indicators.grouping import GroupBy
from ledger.projections.indicators.hotline import DispatchRow, TicketRow
from ledger.projections.indicators.period import Period, QueryError, resolve_period
from ledger.projections.indicators.promises import promises_of
from ledger.projections.indicators.ratings import RatingRow
from ledger.projections.indicators.report import (
    DEFINITIONS_VERSION,
    Group,
    PushbackRows,
    Report,
    Total,
    flat,
    report,
)
from ledger.projections.indicators.timeliness import CaseRow
from ledger.projections.indicators.unresolved import ConsultationRow, UnresolvedRow
from ledger.projections.waiter import PositionWaiter

VIEW = case_view.VIEW
PUSHBACK_VIEW = pushback_view.VIEW
VIEW_WAIT = READ_WAIT
"""Seconds a read waits for the view to reach the position it asks for (tests shorten it)."""
CSV = "text/csv"

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Only rows that can count in P: registered, accepted, closed, due or first noticed inside it.
_ROWS = (
    'SELECT case_id, centre, department, "window", channel, matter_code, matter_name, status, '
    "outcome, registered_at, accepted_at, closed_at, due_at, working_seconds, visits, handoffs, "
    "extensions_approved, notice_violations, notice_at, notice_due_at "
    f"FROM view_cases v {live(VIEW)} "
    "WHERE true{centre} AND ("
    " (registered_at >= %(start)s AND registered_at < %(end)s)"
    " OR (accepted_at >= %(start)s AND accepted_at < %(end)s)"
    " OR (closed_at >= %(start)s AND closed_at < %(end)s)"
    " OR (due_at >= %(start)s AND due_at < %(end)s)"
    " OR (notice_at >= %(start)s AND notice_at < %(end)s))"
)


def _live(table: str) -> str:
    """`table` as v, joined on the pushback view's live generation."""
    return f"FROM {table} v {live(PUSHBACK_VIEW)}"


def _in(column: str) -> str:
    return f"({column} >= %(start)s AND {column} < %(end)s)"


# Each query fetches only the rows that can count in P.
# Dispatches count by dispatched_at alone; each carries its ticket's merge and current closure.
_DISPATCHES = (
    "SELECT v.ticket_id, v.unit, v.role, v.dispatched_at, v.sign_for_due, v.signed_for_at, "
    "v.returned_at, coalesce(t.merged_into_case IS NOT NULL OR t.status = 'merged', false) "
    f"AS merged, t.closed_at AS ticket_closed_at {_live('view_hotline_dispatches')} "
    "LEFT JOIN view_hotline_tickets t ON t.generation = v.generation AND t.ticket_id = v.ticket_id "
    f"WHERE true{{centre}} AND {_in('v.dispatched_at')}"
)
_TICKET_MOMENTS = (
    "received_at",
    "reply_due",
    "order_due",
    "contact_due",
    "closed_at",
    "first_closed_at",
    "follow_up_due",
    "followed_up_at",
)
_TICKETS = (
    "SELECT ticket_id, centre, lead_unit, status, received_at, rounds, returns_requested, "
    "reply_due, replies, unit_claims_resolved, closure, closed_at, first_closed_at, follow_ups, "
    "followed_up_at, citizen_resolved, satisfaction, reopen_count, merged_into_case, order_due, "
    "extensions_approved, replied_at, contact_due, first_contact_at, follow_up_due, "
    f"closure_followed_up_at {_live('view_hotline_tickets')} WHERE true{{centre}} AND ("
    + " OR ".join(_in(c) for c in _TICKET_MOMENTS)
    + ")"
)
_UNRESOLVED = (
    "SELECT department, matter_code, matter_name, cause, reported_at, due_at, closure, closed_at, "
    'v."window", negative_answer '
    f"{_live('view_unresolved')} WHERE true{{centre}} AND ("
    + " OR ".join(_in(c) for c in ("reported_at", "due_at", "closed_at"))
    + ")"
)
_CONSULTATIONS = (
    'SELECT unit AS department, "window", matter_code, matter_name, recorded_at '
    f"{_live('view_consultations')} WHERE true{{centre}} AND {_in('recorded_at')}"
)
# And the ratings of the cases closed in P (主动评价率), whenever they were rated.
_RATINGS = (
    'SELECT v.case_id, v.department, v."window", v.matter_code, v.level, v.is_default, '
    "v.rated_at, v.validity, v.appeal_upheld, v.excluded, v.rectify_due, v.rectified_at, "
    f"v.real_name {_live('view_ratings')} WHERE true{{centre}} AND ("
    + " OR ".join(_in(c) for c in ("v.rated_at", "v.rectify_due", "v.rectified_at"))
    + " OR v.case_id IN (SELECT c.case_id FROM view_cases c JOIN ledger_projections cp "
    "ON cp.name = 'cases' AND c.generation = cp.generation "
    f"WHERE {_in('c.closed_at')}))"
)

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


class Fetched(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    lag: Lag
    rows: list[CaseRow]
    pushback_position: int
    pushback_lag: Lag
    pushback: PushbackRows


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
        fetched = await anyio.to_thread.run_sync(fetch, ledger, period, centres)
        now = utc_now()
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


def fetch(ledger: Ledger, period: Period, centres: list[str] | None) -> Fetched:
    """The rows touching P from the live generations, with the views' positions and lags, all in
    one REPEATABLE READ snapshot, so `as_of_position` is exactly what was read; in `centres`
    (None: every centre)."""
    with snapshot(ledger) as conn:
        # Times come back with timezone.utc, the tzinfo of Period's bounds: a cheap comparison.
        conn.execute("SET LOCAL TIME ZONE 'UTC'")
        position, lag = view_status(conn, VIEW)
        pushback_position, pushback_lag = view_status(conn, PUSHBACK_VIEW)
        where = {"centre": " AND v.centre = ANY(%(centres)s)" if centres is not None else ""}
        params = {"centres": centres, "start": period.start, "end": period.end}

        def fetch(query: str) -> list[dict[str, Any]]:
            return list(conn.execute(query.format(**where), params).fetchall())

        rows = [CaseRow(**r) for r in fetch(_ROWS)]
        pushback = PushbackRows(
            dispatches=[DispatchRow(**r) for r in fetch(_DISPATCHES)],
            tickets=[_ticket_row(ledger, r) for r in fetch(_TICKETS)],
            unresolved=[UnresolvedRow(**r) for r in fetch(_UNRESOLVED)],
            ratings=[RatingRow(**r) for r in fetch(_RATINGS)],
            consultations=[ConsultationRow(**r) for r in fetch(_CONSULTATIONS)],
        )
    return Fetched(
        position=position,
        lag=lag,
        rows=rows,
        pushback_position=pushback_position,
        pushback_lag=pushback_lag,
        pushback=pushback,
    )


def compute(
    ledger: Ledger, fetched: Fetched, period: Period, grouping: GroupBy, now: datetime
) -> Report:
    """The report over `fetched`, each matter's limits from its centre's policy (the pages too)."""
    promises = promises_of(fetched.rows, lambda c: ledger.policies.timing(c).policy)
    return report(fetched.rows, fetched.pushback, period, grouping, now, promises)


def _ticket_row(ledger: Ledger, row: dict[str, Any]) -> TicketRow:
    """A ticket's row with its centre's 满意率 rule (whether 基本满意 counts as satisfied)."""
    centre = row.pop("centre")
    rule = ledger.policies.timing(centre).policy.hotline.satisfaction
    return TicketRow(**row, basic_counts=rule.includes_basic)


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
