"""Reads of the "pushback" view (`ledger.projections.pushback`): the 12345 register
(`GET /hotline/tickets`), the 办不成事 register (`GET /unresolved`) and the duty board's
`hotline_tickets` and `unresolved_reports` sections.

As the other views' reads (api/views.py, api/approvals.py): read-your-writes through
`?min_position=` / `Ledger-Position`, one REPEATABLE READ, READ ONLY snapshot per read with the
view's `as_of_position` and `lag` from that same snapshot, only the live generation, durations as
ISO 8601. Newest first, `limit` at a time, keyset-paged: `next_cursor` goes back as `after`.

Deadlines carry a colour as the duty board's cases do (`ledger.domain.clock.colour_of`, the
centre's `board.amber_share`): red once overdue, amber when at most that share of the limit is
left, green otherwise; once a deadline has been met or missed (signed for, replied, closed) it is
green or red for good; `none` when it stopped without ending (a merged order). A reply stops the
unit's clock (the hotline's review is the hotline's time); a 重办 starts a new one. The limit of a
sign-for deadline is the centre's policy's for the order's urgency; the reply and report limits
are the ones their events froze. No applicant data and no rater is in the view, so none is here;
a confidential order's summary is null.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Annotated, Any, cast
from uuid import UUID

import anyio
import msgspec
import psycopg
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from psycopg.rows import DictRow, tuple_row

from ledger.api.errors import BadRequest
from ledger.api.reads import (
    READ_WAIT,
    ColourCounts,
    Lag,
    MinPosition,
    decode_cursor,
    encode_cursor,
    utc_now,
    view_snapshot,
    wait_for_view,
)
from ledger.application.service import Ledger
from ledger.domain import clock
from ledger.domain.calendar import WorkingCalendar
from ledger.domain.clock import Colour
from ledger.domain.permissions import require_view_read
from ledger.domain.policy import Timing
from ledger.domain.values import (
    Actor,
    Clock,
    ClockStatus,
    HotlineCategory,
    HotlineUrgency,
    Matter,
    Resolvability,
    Satisfaction,
    SupervisionLevel,
    TicketClosure,
    TicketStatus,
    TimeLimit,
    UnresolvedCause,
    UnresolvedClosure,
    UnresolvedTier,
)
from ledger.projections.pushback import parse_limit
from ledger.projections.runtime import projection_status
from ledger.projections.waiter import PositionWaiter

VIEW = "pushback"
VIEW_WAIT = READ_WAIT
MAX_LIMIT = 500
BOARD_MAX = 200
"""Orders and reports the duty board lists (all are counted), as its other lists."""
OPEN_TICKETS = tuple(s.value for s in TicketStatus if s.is_open)
TICKET_STATUSES = (*(s.value for s in TicketStatus), "open", "overdue")

Conn = psycopg.Connection[DictRow]

_NO_NUL = r"^[^\x00]+$"
Text = Annotated[
    str | None, QueryParameter(required=False, min_length=1, max_length=200, pattern=_NO_NUL)
]
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, required=False)]
After = Annotated[
    str | None,
    QueryParameter(
        required=False,
        min_length=1,
        max_length=200,
        pattern=_NO_NUL,
        description="`next_cursor` of the previous page",
    ),
]


# --- wire shapes -------------------------------------------------------------------------------


class Deadline(msgspec.Struct, kw_only=True):
    due_at: datetime
    limit: TimeLimit | None
    remaining: timedelta | None
    """While it runs: to the deadline, negative past it (working time for working-day limits)."""
    ended_at: datetime | None
    """When it was met or missed (signed for, replied, closed); None while it runs."""
    status: ClockStatus | None
    """running / overdue (open), met / overdue (ended); None when it stopped without ending."""
    colour: Colour


class FollowUpResult(msgspec.Struct, kw_only=True):
    """回访: the citizen's word, kept apart from the unit's claim (`unit_claims_resolved`)."""

    follow_ups: int
    followed_up_at: datetime | None
    reachable: bool | None
    """The last follow-up's."""
    citizen_resolved: bool | None
    """The last reachable follow-up's answer."""
    satisfaction: Satisfaction | None


class MergedInto(msgspec.Struct, kw_only=True):
    case_id: UUID
    ticket_no: str


class TicketItem(msgspec.Struct, kw_only=True):
    ticket_id: UUID
    case_id: UUID
    case_no: str
    centre: str
    ticket_no: str
    category: HotlineCategory
    urgency: HotlineUrgency
    confidential: bool
    summary: str | None
    """Null for a confidential order."""
    status: TicketStatus
    received_at: datetime
    lead_unit: str | None
    assist_units: list[str]
    rounds: int
    returns_requested: int
    returns_approved: int
    designated: bool
    dispatched_at: datetime | None
    sign_for: Deadline | None
    """The current lead unit's sign-for deadline."""
    reply: Deadline | None
    """The reply clock (from the lead dispatch; extensions included)."""
    reply_source: str | None
    extensions_approved: int
    colour: Colour
    """The worst of an unsigned order's sign-for and its reply clock."""
    first_contact_at: datetime | None
    replies: int
    reworks: int
    replied_at: datetime | None
    unit_claims_resolved: bool | None
    """The last reply's claim, never merged with the citizen's answer."""
    follow_up: FollowUpResult
    closure: TicketClosure | None
    closed_at: datetime | None
    first_closed_at: datetime | None
    reopen_count: int
    merged_into: MergedInto | None
    supervisions: int
    last_supervision: SupervisionLevel | None
    total_wait: timedelta
    """From receipt to closure, or to now while open (every round counted)."""


class TicketsResponse(msgspec.Struct, kw_only=True):
    as_of: datetime
    tickets: list[TicketItem]
    """Newest received first."""
    next_cursor: str | None
    """Pass as `after` for the next page; None on the last one."""
    as_of_position: int
    lag: Lag


class Team(msgspec.Struct, kw_only=True):
    lead: str
    size: int
    assigned_at: datetime


class ReportItem(msgspec.Struct, kw_only=True):
    report_id: UUID
    case_id: UUID
    case_no: str
    centre: str
    department: str
    matter: Matter
    cause: UnresolvedCause
    resolvability: Resolvability
    tier: UnresolvedTier
    description: str
    reported_at: datetime
    due_at: datetime | None
    due: Deadline | None
    due_source: str | None
    colour: Colour
    on_time: bool | None
    """Closed by its due date; None while open or without a due date."""
    team: Team | None
    closure: UnresolvedClosure | None
    explanation: str | None
    redirected_to: str | None
    closed_at: datetime | None
    root_causes: int
    actions_open: int
    actions_completed: int


class RecurringRootCause(msgspec.Struct, kw_only=True):
    key: str
    cause: UnresolvedCause
    """The most frequent cause recorded under the key."""
    count: int
    """Reports with a root cause under this key (2 or more)."""
    actions_opened: int
    actions_completed: int


class UnresolvedCounts(msgspec.Struct, kw_only=True):
    """Of every report the filters match (not only this page)."""

    total: int
    by_cause: dict[str, int]
    by_closure: dict[str, int]
    """Closure values, and `open` for reports not closed."""


class UnresolvedResponse(msgspec.Struct, kw_only=True):
    as_of: datetime
    reports: list[ReportItem]
    """Newest reported first."""
    next_cursor: str | None
    counts: UnresolvedCounts
    recurring_root_causes: list[RecurringRootCause]
    """Root-cause keys shared by two reports or more (in `centre`, if given), most first."""
    as_of_position: int
    lag: Lag


class BoardTickets(msgspec.Struct, kw_only=True):
    """The duty board's open 12345 orders, from the "pushback" view."""

    as_of_position: int
    lag: Lag
    count: int
    counts: ColourCounts
    tickets: list[TicketItem]
    """Oldest received first, at most 200."""


class BoardReports(msgspec.Struct, kw_only=True):
    """The duty board's open 办不成事 reports, from the "pushback" view."""

    as_of_position: int
    lag: Lag
    count: int
    counts: ColourCounts
    reports: list[ReportItem]
    """Oldest reported first, at most 200."""


class TicketQuery(msgspec.Struct, frozen=True, kw_only=True):
    centre: str | None = None
    status: str | None = None
    unit: str | None = None
    limit: int = 50
    after: str | None = None


class ReportQuery(msgspec.Struct, frozen=True, kw_only=True):
    centre: str | None = None
    status: str | None = None
    cause: UnresolvedCause | None = None
    resolvability: Resolvability | None = None
    tier: UnresolvedTier | None = None
    closure: UnresolvedClosure | None = None
    limit: int = 50
    after: str | None = None


# --- endpoints ---------------------------------------------------------------------------------


@get("/hotline/tickets", summary="The 12345 register", tags=["views"])
async def hotline_tickets(
    request: Request[Any, Any, Any],
    ledger: NamedDependency[Ledger],
    waiter: NamedDependency[PositionWaiter],
    actor: NamedDependency[Actor],
    centre: Text = None,
    status: Text = None,
    unit: Text = None,
    limit: Limit = 50,
    after: After = None,
    min_position: MinPosition = None,
) -> TicketsResponse:
    """12345 orders (in `centre`; dispatched to `unit` in the current round, lead or assisting),
    by `status`: a ticket status, `open` (every open status) or `overdue` (open, and past its
    reply deadline or, not signed for, its sign-for deadline); with their clocks and colours,
    rounds, returns, follow-up results and total wait."""
    require_view_read(actor.roles, "read the 12345 register")
    if status is not None and status not in TICKET_STATUSES:
        raise BadRequest("status", "status must be one of " + ", ".join(TICKET_STATUSES))
    query = TicketQuery(centre=centre, status=status, unit=unit, limit=limit, after=after)
    if after is not None:
        decode_cursor(after, "after")
    await wait_for_view(request, waiter, VIEW, min_position, timeout=VIEW_WAIT)
    return await anyio.to_thread.run_sync(ticket_register, ledger, query, utc_now())


@get("/unresolved", summary="The 办不成事 register", tags=["views"])
async def unresolved_reports(
    request: Request[Any, Any, Any],
    ledger: NamedDependency[Ledger],
    waiter: NamedDependency[PositionWaiter],
    actor: NamedDependency[Actor],
    centre: Text = None,
    status: Text = None,
    cause: Annotated[UnresolvedCause | None, QueryParameter(required=False)] = None,
    resolvability: Annotated[Resolvability | None, QueryParameter(required=False)] = None,
    tier: Annotated[UnresolvedTier | None, QueryParameter(required=False)] = None,
    closure: Annotated[UnresolvedClosure | None, QueryParameter(required=False)] = None,
    limit: Limit = 50,
    after: After = None,
    min_position: MinPosition = None,
) -> UnresolvedResponse:
    """办不成事 reports by cause, resolvability, tier and closure (`status`: open or closed), with
    their due date, colour and whether closed on time; counts by cause and closure of all that
    match; and the root causes that recur (two reports or more) with their improvement actions."""
    require_view_read(actor.roles, "read the 办不成事 register")
    if status is not None and status not in ("open", "closed"):
        raise BadRequest("status", "status must be open or closed")
    if after is not None:
        decode_cursor(after, "after")
    query = ReportQuery(
        centre=centre,
        status=status,
        cause=cause,
        resolvability=resolvability,
        tier=tier,
        closure=closure,
        limit=limit,
        after=after,
    )
    await wait_for_view(request, waiter, VIEW, min_position, timeout=VIEW_WAIT)
    return await anyio.to_thread.run_sync(report_register, ledger, query, utc_now())


REGISTER_HANDLERS = [hotline_tickets, unresolved_reports]


# --- the 12345 register ------------------------------------------------------------------------

_LIVE = "JOIN ledger_projections p ON p.name = 'pushback' AND v.generation = p.generation"
_OVERDUE = (
    "v.status = ANY(%s) AND ("
    "  (v.reply_due < %s AND NOT (v.status = 'replied' AND v.replied_at <= v.reply_due))"
    "  OR (v.lead_unit IS NOT NULL AND v.signed_for_at IS NULL AND v.sign_for_due < %s))"
)


def ticket_register(ledger: Ledger, query: TicketQuery, now: datetime) -> TicketsResponse:
    where: list[str] = ["true"]
    params: list[Any] = []
    if query.centre is not None:
        where.append("v.centre = %s")
        params.append(query.centre)
    if query.unit is not None:
        where.append("(v.lead_unit = %s OR %s = ANY(v.assist_units))")
        params += [query.unit, query.unit]
    if query.status == "open":
        where.append("v.status = ANY(%s)")
        params.append(list(OPEN_TICKETS))
    elif query.status == "overdue":
        where.append(_OVERDUE)
        params += [list(OPEN_TICKETS), now, now]
    elif query.status is not None:
        where.append("v.status = %s")
        params.append(query.status)
    if query.after:
        where.append("(v.received_at, v.ticket_id) < (%s, %s)")
        params.extend(decode_cursor(query.after, "after"))
    sql = (
        f"SELECT v.* FROM view_hotline_tickets v {_LIVE} WHERE {' AND '.join(where)} "
        "ORDER BY v.received_at DESC, v.ticket_id DESC LIMIT %s"
    )
    timings: dict[str, Timing] = {}
    with view_snapshot(ledger, VIEW) as (conn, position, lag):
        rows = conn.execute(sql, [*params, query.limit + 1]).fetchall()
    page = rows[: query.limit]
    return TicketsResponse(
        as_of=now,
        tickets=[ticket_item(row, _timing(ledger, timings, row["centre"]), now) for row in page],
        next_cursor=encode_cursor(page[-1]["received_at"], page[-1]["ticket_id"])
        if len(rows) > query.limit
        else None,
        as_of_position=position,
        lag=lag,
    )


def ticket_item(row: DictRow, timing: Timing, now: datetime) -> TicketItem:
    status = TicketStatus(row["status"])
    calendar, amber = timing.calendar, timing.policy.board.amber_share
    urgency = HotlineUrgency(row["urgency"])
    sign_for = None
    if row["lead_unit"] is not None and row["sign_for_due"] is not None:
        sign_for = deadline(
            row["sign_for_due"],
            timing.policy.hotline.sign_for[urgency].limit,
            row["signed_for_at"],
            not status.is_open,
            calendar,
            amber,
            now,
        )
    reply = None
    if row["reply_due"] is not None:
        ended = row["replied_at"] if status in (TicketStatus.REPLIED, TicketStatus.CLOSED) else None
        reply = deadline(
            row["reply_due"],
            parse_limit(row["reply_limit"]),
            ended,
            status is TicketStatus.MERGED,
            calendar,
            amber,
            now,
        )
    counted = [reply] if sign_for is None or sign_for.ended_at is not None else [sign_for, reply]
    return TicketItem(
        ticket_id=row["ticket_id"],
        case_id=row["case_id"],
        case_no=row["case_no"],
        centre=row["centre"],
        ticket_no=row["ticket_no"],
        category=HotlineCategory(row["category"]),
        urgency=urgency,
        confidential=row["confidential"],
        summary=None if row["confidential"] else row["summary"],
        status=status,
        received_at=row["received_at"],
        lead_unit=row["lead_unit"],
        assist_units=list(row["assist_units"]),
        rounds=row["rounds"],
        returns_requested=row["returns_requested"],
        returns_approved=row["returns_approved"],
        designated=row["designated"],
        dispatched_at=row["dispatched_at"],
        sign_for=sign_for,
        reply=reply,
        reply_source=row["reply_source"],
        extensions_approved=row["extensions_approved"],
        colour=worst(d.colour for d in counted if d is not None),
        first_contact_at=row["first_contact_at"],
        replies=row["replies"],
        reworks=row["reworks"],
        replied_at=row["replied_at"],
        unit_claims_resolved=row["unit_claims_resolved"],
        follow_up=FollowUpResult(
            follow_ups=row["follow_ups"],
            followed_up_at=row["followed_up_at"],
            reachable=row["reachable"],
            citizen_resolved=row["citizen_resolved"],
            satisfaction=Satisfaction(row["satisfaction"]) if row["satisfaction"] else None,
        ),
        closure=TicketClosure(row["closure"]) if row["closure"] else None,
        closed_at=row["closed_at"],
        first_closed_at=row["first_closed_at"],
        reopen_count=row["reopen_count"],
        merged_into=MergedInto(case_id=row["merged_into_case"], ticket_no=row["merged_into_ticket"])
        if row["merged_into_case"] is not None
        else None,
        supervisions=row["supervisions"],
        last_supervision=SupervisionLevel(row["last_supervision"])
        if row["last_supervision"]
        else None,
        total_wait=(row["closed_at"] or now) - row["received_at"],
    )


# --- the 办不成事 register ---------------------------------------------------------------------

_RECURRING = (
    "SELECT c.key, mode() WITHIN GROUP (ORDER BY c.cause) AS cause, "
    "  count(DISTINCT c.report_id) AS reports, "
    "  count(DISTINCT i.action_id) AS opened, "
    "  count(DISTINCT i.action_id) FILTER (WHERE i.completed_at IS NOT NULL) AS completed "
    "FROM view_root_causes c "
    "JOIN ledger_projections p ON p.name = 'pushback' AND c.generation = p.generation "
    "LEFT JOIN view_improvements i ON i.generation = c.generation "
    "  AND i.root_cause_id = c.root_cause_id "
    "WHERE (%s::text IS NULL OR c.centre = %s) "
    "GROUP BY c.key HAVING count(DISTINCT c.report_id) >= 2 "
    "ORDER BY reports DESC, c.key"
)


def report_register(ledger: Ledger, query: ReportQuery, now: datetime) -> UnresolvedResponse:
    where: list[str] = ["true"]
    params: list[Any] = []
    for name in ("centre", "cause", "resolvability", "tier", "closure"):
        if (value := getattr(query, name)) is not None:
            where.append(f"v.{name} = %s")
            params.append(value)
    if query.status == "open":
        where.append("v.closed_at IS NULL")
    elif query.status == "closed":
        where.append("v.closed_at IS NOT NULL")
    matching = " AND ".join(where)
    paged: list[str] = list(where)
    page_params: list[Any] = list(params)
    if query.after:
        paged.append("(v.reported_at, v.report_id) < (%s, %s)")
        page_params.extend(decode_cursor(query.after, "after"))
    sql = (
        f"SELECT v.* FROM view_unresolved v {_LIVE} WHERE {' AND '.join(paged)} "
        "ORDER BY v.reported_at DESC, v.report_id DESC LIMIT %s"
    )
    counts_sql = (
        "SELECT v.cause, coalesce(v.closure, 'open') AS closure, count(*) AS n "
        f"FROM view_unresolved v {_LIVE} WHERE {matching} GROUP BY 1, 2"
    )
    timings: dict[str, Timing] = {}
    with view_snapshot(ledger, VIEW) as (conn, position, lag):
        rows = conn.execute(sql, [*page_params, query.limit + 1]).fetchall()
        grouped = conn.execute(counts_sql, params).fetchall()
        recurring = conn.execute(_RECURRING, (query.centre, query.centre)).fetchall()
    page = rows[: query.limit]
    by_cause: dict[str, int] = {}
    by_closure: dict[str, int] = {}
    for g in grouped:
        by_cause[g["cause"]] = by_cause.get(g["cause"], 0) + g["n"]
        by_closure[g["closure"]] = by_closure.get(g["closure"], 0) + g["n"]
    return UnresolvedResponse(
        as_of=now,
        reports=[report_item(row, _timing(ledger, timings, row["centre"]), now) for row in page],
        next_cursor=encode_cursor(page[-1]["reported_at"], page[-1]["report_id"])
        if len(rows) > query.limit
        else None,
        counts=UnresolvedCounts(
            total=sum(by_cause.values()),
            by_cause=dict(sorted(by_cause.items())),
            by_closure=dict(sorted(by_closure.items())),
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
    return ReportItem(
        report_id=row["report_id"],
        case_id=row["case_id"],
        case_no=row["case_no"],
        centre=row["centre"],
        department=row["department"],
        matter=Matter(code=row["matter_code"], name=row["matter_name"]),
        cause=UnresolvedCause(row["cause"]),
        resolvability=Resolvability(row["resolvability"]),
        tier=UnresolvedTier(row["tier"]),
        description=row["description"],
        reported_at=row["reported_at"],
        due_at=row["due_at"],
        due=due,
        due_source=row["due_source"],
        colour=due.colour if due else Colour.NONE,
        on_time=closed <= row["due_at"] if closed and row["due_at"] else None,
        team=Team(lead=row["team_lead"], size=row["team_size"], assigned_at=row["team_assigned_at"])
        if row["team_lead"] is not None
        else None,
        closure=UnresolvedClosure(row["closure"]) if row["closure"] else None,
        explanation=row["explanation"],
        redirected_to=row["redirected_to"],
        closed_at=closed,
        root_causes=row["root_causes"],
        actions_open=row["actions_open"],
        actions_completed=row["actions_completed"],
    )


# --- the duty board's sections -----------------------------------------------------------------

_BOARD_TICKETS = (
    "SELECT v.* FROM view_hotline_tickets v "
    + _LIVE
    + " WHERE v.centre = %s AND v.status = ANY(%s) ORDER BY v.received_at, v.ticket_id"
)
_BOARD_REPORTS = (
    "SELECT v.* FROM view_unresolved v "
    + _LIVE
    + " WHERE v.centre = %s AND v.closed_at IS NULL ORDER BY v.reported_at, v.report_id"
)


def board_sections(
    conn: Conn, centre: str, timing: Timing, now: datetime
) -> tuple[BoardTickets, BoardReports]:
    """The duty board's 12345 and 办不成事 sections, read on `conn` (in the board's snapshot):
    every open one is counted by colour, the oldest 200 are listed."""
    status = projection_status(cast("Any", conn.cursor(row_factory=tuple_row)), VIEW)
    lag = Lag(events=status.lag_events, seconds=status.lag_seconds)
    tickets = [
        ticket_item(row, timing, now)
        for row in conn.execute(_BOARD_TICKETS, (centre, list(OPEN_TICKETS))).fetchall()
    ]
    reports = [
        report_item(row, timing, now) for row in conn.execute(_BOARD_REPORTS, (centre,)).fetchall()
    ]
    return (
        BoardTickets(
            as_of_position=status.position,
            lag=lag,
            count=len(tickets),
            counts=ColourCounts.of(t.colour for t in tickets),
            tickets=tickets[:BOARD_MAX],
        ),
        BoardReports(
            as_of_position=status.position,
            lag=lag,
            count=len(reports),
            counts=ColourCounts.of(r.colour for r in reports),
            reports=reports[:BOARD_MAX],
        ),
    )


# --- shared ------------------------------------------------------------------------------------

_RANK = {Colour.RED: 0, Colour.AMBER: 1, Colour.GREEN: 2, Colour.NONE: 3}


def worst(colours: Iterator[Colour] | Any) -> Colour:
    return min(colours, key=_RANK.__getitem__, default=Colour.NONE)


def deadline(
    due: datetime,
    limit: TimeLimit | None,
    ended_at: datetime | None,
    stopped: bool,
    calendar: WorkingCalendar,
    amber_share: float,
    now: datetime,
) -> Deadline:
    """A deadline as it stands at `now`: met or missed once `ended_at`; stopped without ending
    (colour none); or running, with the time left and its colour."""
    if ended_at is not None:
        met = ended_at <= due
        return Deadline(
            due_at=due,
            limit=limit,
            remaining=None,
            ended_at=ended_at,
            status=ClockStatus.MET if met else ClockStatus.OVERDUE,
            colour=Colour.GREEN if met else Colour.RED,
        )
    if stopped:
        return Deadline(
            due_at=due, limit=limit, remaining=None, ended_at=None, status=None, colour=Colour.NONE
        )
    status = ClockStatus.OVERDUE if now > due else ClockStatus.RUNNING
    if limit is None:
        left = due - now
        colour = Colour.RED if status is ClockStatus.OVERDUE else Colour.GREEN
    else:
        left, _ = clock.remaining(_bare_clock(due, limit), calendar, now)
        colour = clock.colour_of(status, left, limit, amber_share)
    return Deadline(
        due_at=due, limit=limit, remaining=left, ended_at=None, status=status, colour=colour
    )


def _bare_clock(due: datetime, limit: TimeLimit) -> Clock:
    """Enough of a clock for `clock.remaining`: its deadline and the unit of its limit."""
    return Clock(
        limit=limit,
        source="",
        policy_version="",
        calendar_version="",
        started_at=due,
        due_at=due,
        provisional=False,
    )


def _timing(ledger: Ledger, cache: dict[str, Timing], centre: str) -> Timing:
    if centre not in cache:
        cache[centre] = ledger.policies.timing(centre)
    return cache[centre]
