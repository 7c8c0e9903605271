"""The 办不成事 register, `GET /unresolved`: reports from the "pushback" view by cause,
resolvability, tier, closure and the window they concern, with their due date, colour, whether
closed on time, and their 反馈 and 核查; counts by cause, closure and window of all that match,
with the 否定答复 reports among them and the consultations answered; and the root causes that
recur with their improvement actions.

Read as the 12345 register is (api/hotline_register.py): read-your-writes, one snapshot, the live
generation, newest first and keyset-paged. A report's due date and limit are the ones its events
froze. `report_item` also serves the duty board's 办不成事 section.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from psycopg.rows import DictRow

from ledger.api import pushback_view
from ledger.api.deadlines import deadline
from ledger.api.errors import BadRequest
from ledger.api.reads import (
    After,
    Limit,
    MinPosition,
    Text,
    decode_cursor,
    from_row,
    keyset_page,
    live,
    view_snapshot,
)
from ledger.api.schemas.registers import (
    RecurringRootCause,
    ReportItem,
    Team,
    UnresolvedCounts,
    UnresolvedResponse,
)
from ledger.application.service import Ledger
from ledger.domain.clock import Colour
from ledger.domain.permissions import require_view_read
from ledger.domain.policy import Timing
from ledger.domain.tenancy import Scope
from ledger.domain.unresolved.records import (
    Resolvability,
    UnresolvedCause,
    UnresolvedClosure,
    UnresolvedTier,
)
from ledger.domain.values import Actor, Matter
from ledger.projections.views.pushback_tables import parse_limit
from ledger.projections.waiter import PositionWaiter


class ReportQuery(msgspec.Struct, frozen=True, kw_only=True):
    centres: list[str] | None = None
    """The centre asked for, else the credential's (`Scope.narrow`); None: every centre."""
    status: str | None = None
    cause: UnresolvedCause | None = None
    resolvability: Resolvability | None = None
    tier: UnresolvedTier | None = None
    closure: UnresolvedClosure | None = None
    window: str | None = None
    limit: int = 50
    after: str | None = None


@get("/unresolved", summary="The 办不成事 register", tags=["views"])
async def unresolved_reports(
    request: Request[Any, Any, Any],
    ledger: NamedDependency[Ledger],
    waiter: NamedDependency[PositionWaiter],
    actor: NamedDependency[Actor],
    tenancy: NamedDependency[Scope],
    centre: Text = None,
    status: Text = None,
    cause: Annotated[UnresolvedCause | None, QueryParameter(required=False)] = None,
    resolvability: Annotated[Resolvability | None, QueryParameter(required=False)] = None,
    tier: Annotated[UnresolvedTier | None, QueryParameter(required=False)] = None,
    closure: Annotated[UnresolvedClosure | None, QueryParameter(required=False)] = None,
    window: Text = None,
    limit: Limit = 50,
    after: After = None,
    min_position: MinPosition = None,
) -> UnresolvedResponse:
    """办不成事 reports by cause, resolvability, tier, closure (`status`: open or closed) and the
    window they concern, with their due date, colour, whether closed on time, and 反馈 / 核查;
    counts by cause, closure and window of all that match, the 否定答复 reports among them and the
    consultations answered; and the root causes that recur (two reports or more) with their
    improvement actions."""
    require_view_read(actor.roles, "read the 办不成事 register")
    if status is not None and status not in ("open", "closed"):
        raise BadRequest("status", "status must be open or closed")
    if after is not None:
        decode_cursor(after, "after")
    query = ReportQuery(
        centres=tenancy.narrow(centre),
        status=status,
        cause=cause,
        resolvability=resolvability,
        tier=tier,
        closure=closure,
        window=window,
        limit=limit,
        after=after,
    )
    return await pushback_view.read(request, waiter, min_position, report_register, ledger, query)


_RECURRING = (
    "SELECT c.key, mode() WITHIN GROUP (ORDER BY c.cause) AS cause, "
    "  count(DISTINCT c.report_id) AS reports, "
    "  count(DISTINCT i.action_id) AS opened, "
    "  count(DISTINCT i.action_id) FILTER (WHERE i.completed_at IS NOT NULL) AS completed "
    f"FROM view_root_causes c {live(pushback_view.VIEW, 'c')} "
    "LEFT JOIN view_improvements i ON i.generation = c.generation "
    "  AND i.root_cause_id = c.root_cause_id "
    "WHERE (%s::text[] IS NULL OR c.centre = ANY(%s)) "
    "GROUP BY c.key HAVING count(DISTINCT c.report_id) >= 2 "
    "ORDER BY reports DESC, c.key"
)
_COUNTS = (
    "SELECT v.cause, coalesce(v.closure, 'open') AS closure, coalesce(v.\"window\", '-') AS w, "
    "count(*) AS n, count(*) FILTER (WHERE v.negative_answer) AS negative "
    f"FROM view_unresolved v {live(pushback_view.VIEW)} WHERE {{matching}} GROUP BY 1, 2, 3"
)
_CONSULTATIONS = (
    f"SELECT count(*) AS n FROM view_consultations v {live(pushback_view.VIEW)} "
    "WHERE (%s::text[] IS NULL OR v.centre = ANY(%s)) "
    'AND (%s::text IS NULL OR v."window" = %s)'
)


def report_register(ledger: Ledger, query: ReportQuery, now: datetime) -> UnresolvedResponse:
    where: list[str] = ["true"]
    params: list[Any] = []
    if query.centres is not None:
        where.append("v.centre = ANY(%s)")
        params.append(query.centres)
    for name in ("cause", "resolvability", "tier", "closure"):
        if (value := getattr(query, name)) is not None:
            where.append(f"v.{name} = %s")
            params.append(value)
    if query.window is not None:
        where.append('v."window" = %s')
        params.append(query.window)
    if query.status == "open":
        where.append("v.closed_at IS NULL")
    elif query.status == "closed":
        where.append("v.closed_at IS NOT NULL")
    timings = pushback_view.Timings(ledger)
    with view_snapshot(ledger, pushback_view.VIEW) as (conn, position, lag):
        page, next_cursor = keyset_page(
            conn,
            pushback_view.REPORTS,
            where,
            params,
            ("reported_at", "report_id"),
            query.after,
            query.limit,
            cursor_field="after",
        )
        grouped = conn.execute(_COUNTS.format(matching=" AND ".join(where)), params).fetchall()
        recurring = conn.execute(_RECURRING, (query.centres, query.centres)).fetchall()
        scope = (query.centres, query.centres, query.window, query.window)
        consulted = conn.execute(_CONSULTATIONS, scope).fetchone()
    by_cause: dict[str, int] = {}
    by_closure: dict[str, int] = {}
    by_window: dict[str, int] = {}
    for g in grouped:
        by_cause[g["cause"]] = by_cause.get(g["cause"], 0) + g["n"]
        by_closure[g["closure"]] = by_closure.get(g["closure"], 0) + g["n"]
        by_window[g["w"]] = by_window.get(g["w"], 0) + g["n"]
    return UnresolvedResponse(
        as_of=now,
        reports=[report_item(row, timings.of(row["centre"]), now) for row in page],
        next_cursor=next_cursor,
        counts=UnresolvedCounts(
            total=sum(by_cause.values()),
            by_cause=dict(sorted(by_cause.items())),
            by_closure=dict(sorted(by_closure.items())),
            by_window=dict(sorted(by_window.items(), key=lambda kv: (-kv[1], kv[0]))),
            negative_answers=sum(g["negative"] for g in grouped),
            consultations=consulted["n"] if consulted else 0,
        ),
        recurring_root_causes=[
            RecurringRootCause(
                key=r["key"],
                cause=UnresolvedCause(r["cause"]),
                count=r["reports"],
                actions_opened=r["opened"],
                actions_completed=r["completed"],
            )
            for r in recurring
        ],
        as_of_position=position,
        lag=lag,
    )


def report_item(row: DictRow, timing: Timing, now: datetime) -> ReportItem:
    due = None
    if row["due_at"] is not None:
        due = deadline(
            row["due_at"],
            parse_limit(row["due_limit"]),
            row["closed_at"],
            False,
            timing.calendar,
            timing.policy.board.amber_share,
            now,
        )
    closed = row["closed_at"]
    return from_row(
        ReportItem,
        row,
        matter=Matter(code=row["matter_code"], name=row["matter_name"]),
        due=due,
        colour=due.colour if due else Colour.NONE,
        on_time=closed <= row["due_at"] if closed and row["due_at"] else None,
        team=Team(lead=row["team_lead"], size=row["team_size"], assigned_at=row["team_assigned_at"])
        if row["team_lead"] is not None
        else None,
        closure=row["closure"] or None,
    )
