"""`GET /metrics/timeliness`: the timeliness indicators over the cases view, as JSON or CSV.

The definitions live beside their code in `ledger.projections.timeliness`; this module parses the
query, waits for the view when the client asks to read its own writes, reads the rows touching
the period in one consistent snapshot and renders the report. Reading is for every role,
dashboards included: the report is aggregate counts with no personal data (DESIGN §7: dashboards
read projections, not cases).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Annotated, Any, cast

import anyio
import msgspec
from litestar import Controller, MediaType, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import Parameter, QueryParameter
from psycopg.rows import tuple_row

from ledger.api.errors import BadRequest
from ledger.api.reads import READ_WAIT, MinPosition, wait_for_view
from ledger.application import Ledger
from ledger.domain.calendar import SHANGHAI
from ledger.domain.permissions import require_view_read
from ledger.domain.values import Actor
from ledger.projections.runtime import projection_status
from ledger.projections.timeliness import (
    DEFINITIONS_VERSION,
    CaseRow,
    Group,
    GroupBy,
    Indicators,
    Period,
    QueryError,
    Report,
    resolve_period,
    timeliness,
)
from ledger.projections.waiter import PositionWaiter

VIEW = "cases"
VIEW_WAIT = READ_WAIT
"""Seconds a read waits for the view to reach the position it asks for (tests shorten it)."""
CSV = "text/csv"

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Only rows that can count in P: registered, accepted, closed or due inside it.
_ROWS = (
    'SELECT department, "window", matter_code, matter_name, status, outcome, registered_at, '
    "accepted_at, closed_at, due_at, working_seconds, visits, handoffs, extensions_approved, "
    "notice_violations FROM view_cases v "
    "JOIN ledger_projections p ON p.name = 'cases' AND v.generation = p.generation "
    "WHERE true{centre} AND ("
    " (registered_at >= %(start)s AND registered_at < %(end)s)"
    " OR (accepted_at >= %(start)s AND accepted_at < %(end)s)"
    " OR (closed_at >= %(start)s AND closed_at < %(end)s)"
    " OR (due_at >= %(start)s AND due_at < %(end)s))"
)

DESCRIPTION = """\
Indicators per department (the unit holding the case; for a closed case, the one that closed it),
window or matter over the period `from`..`to` (dates, both inclusive, Asia/Shanghai; `to` defaults
to today and `from` to the first of `to`'s month; at most 366 days), with a `total` computed over
the cases. 办结 means status completed with an outcome other than withdrawn.

- received / accepted: registered / accepted in the period; completed: 办结 in the period
- completion_rate (办结率, period cohort): cases accepted in the period and 办结 before it ended
  ÷ accepted
- due: deadline (with extensions and pauses) in the period and already passed; on_time: of those,
  办结 by the deadline; overdue = due − on_time; on_time_rate (按时办结率) = on_time ÷ due
- extended: accepted in the period with an approved extension; extension_rate (延期率) = extended
  ÷ accepted
- one_visit_rate (一次办成率): completed with at most one visit ÷ completed
- handoffs_per_case / visits_per_case (跑动次数): sums over the cases received ÷ received
- working_days: median and nearest-rank p90 working days from clock start to completion over the
  completed cases
- notice_violations: one-time-notice violation flags on the cases received

Rates carry value, numerator and denominator (value null when the denominator is 0). Send
`Accept: text/csv` for CSV. `definitions_version` changes whenever a definition does. Full
definitions: src/ledger/projections/timeliness.py."""


class _Fetched(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    lag_events: int
    lag_seconds: float | None
    rows: list[CaseRow]


class MetricsController(Controller):
    path = "/metrics"
    tags = ["metrics"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    @get(
        "/timeliness",
        summary="Timeliness indicators (办结率, 按时办结率, 延期率, 一次办成率, working time)",
        description=DESCRIPTION,
    )
    async def timeliness(
        self,
        request: Request[Any, Any, Any],
        ledger: NamedDependency[Ledger],
        waiter: NamedDependency[PositionWaiter],
        actor: NamedDependency[Actor],
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
            Parameter(required=False, description="department (default), window or matter"),
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
        await wait_for_view(request, waiter, VIEW, min_position, timeout=VIEW_WAIT)
        fetched = await anyio.to_thread.run_sync(_fetch, ledger, period, centre)
        now = datetime.now(timezone.utc)  # noqa: UP017 (house style)
        report = timeliness(fetched.rows, period, grouping, now)
        if request.accept.best_match([MediaType.JSON, CSV]) == CSV:
            return _csv_response(report, period, grouping, centre)
        return Response(
            {
                "from": period.first.isoformat(),
                "to": period.last.isoformat(),
                "group_by": str(grouping),
                "centre": centre,
                "as_of_position": fetched.position,
                "lag": {"events": fetched.lag_events, "seconds": fetched.lag_seconds},
                "definitions_version": DEFINITIONS_VERSION,
                "computed_at": now.isoformat(),
                "groups": [_group_json(group, grouping) for group in report.groups],
                "total": msgspec.to_builtins(report.total),
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
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(field, f"{field} must be a date, YYYY-MM-DD") from None


def _fetch(ledger: Ledger, period: Period, centre: str | None) -> _Fetched:
    """The rows touching P from the live generation, with the view's position and lag, all in
    one REPEATABLE READ snapshot, so `as_of_position` is exactly what was read."""
    with ledger.store.datastore.get_connection() as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # Times come back with timezone.utc, the tzinfo of Period's bounds: a cheap comparison.
        conn.execute("SET LOCAL TIME ZONE 'UTC'")
        # projection_status reads tuples: a cursor of the same connection shares the snapshot.
        status = projection_status(cast("Any", conn.cursor(row_factory=tuple_row)), VIEW)
        query = _ROWS.format(centre=" AND v.centre = %(centre)s" if centre is not None else "")
        params = {"centre": centre, "start": period.start, "end": period.end}
        rows = [CaseRow(**r) for r in conn.execute(query, params).fetchall()]
    return _Fetched(
        position=status.position,
        lag_events=status.lag_events,
        lag_seconds=status.lag_seconds,
        rows=rows,
    )


def _group_json(group: Group, grouping: GroupBy) -> dict[str, Any]:
    head: dict[str, Any] = {"key": group.key}
    if grouping is GroupBy.MATTER:
        head["matter_name"] = group.matter_name
    return {**head, **msgspec.to_builtins(group.indicators)}


# --- CSV ----------------------------------------------------------------------------------------


def _flat(indicators: Indicators) -> Iterator[tuple[str, Any]]:
    """Indicators as flat (column, value) pairs: a rate `x` gives x, x_numerator, x_denominator;
    working_days gives working_days_median, working_days_p90, working_days_n."""
    for name, value in msgspec.to_builtins(indicators).items():
        if isinstance(value, dict):
            for part, inner in value.items():
                yield (name if part == "value" else f"{name}_{part}"), inner
        else:
            yield name, value


def _csv_response(
    report: Report, period: Period, grouping: GroupBy, centre: str | None
) -> Response[str]:
    """One row per group, then the total (`row` = group | total); empty cell for null."""
    columns = ["row", "key", "matter_name", *(name for name, _ in _flat(report.total))]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for group in report.groups:
        cells = [value for _, value in _flat(group.indicators)]
        writer.writerow(["group", group.key, group.matter_name, *cells])
    writer.writerow(["total", None, None, *(value for _, value in _flat(report.total))])
    name = f"timeliness_{period.first}_{period.last}_{grouping}"
    if centre is not None:
        name += f"_{centre}"  # safe: the parameter's pattern
    return Response(
        out.getvalue(),
        media_type=CSV,  # Litestar adds "; charset=utf-8"
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"', "Vary": "Accept"},
    )
