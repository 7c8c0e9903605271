"""Reads of the "cases" view (`ledger.projections.cases`): case search and the duty board.

Why a module apart from `cases.py`: these answer from the projection, never from the aggregate,
so they wait for read-your-writes (`?min_position=` / `Ledger-Position`, api/reads.py) and report
the position they answer as of and the view's lag. Each read runs in one REPEATABLE READ, READ ONLY
transaction, so its rows, its `as_of_position` and its lag come from one snapshot, and joins the
registry so that only the live generation is ever seen.

Durations on the wire are ISO 8601 durations as msgspec writes a `timedelta` ("PT5400S",
"-P1DT3600S" when overdue), as the clock of `GET /cases/{id}` already is. Remaining time on a
working-day clock is working time by the centre's calendar (a working day is 24 hours of it;
weekends and holidays count nothing); other clocks count wall time.

`duty_board` and `search_cases` take `now` so that tests can fix the moment; the endpoints pass
the server clock.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from uuid import UUID

import anyio
import msgspec
import psycopg
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from psycopg.rows import DictRow

from ledger.api import approvals, registers
from ledger.api.approvals import ExceptionsWaiting
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
from ledger.api.registers import BoardReports, BoardTickets
from ledger.application.service import Ledger
from ledger.domain import clock
from ledger.domain.calendar import SHANGHAI, WorkingCalendar
from ledger.domain.clock import Colour
from ledger.domain.permissions import require_read, require_view_read
from ledger.domain.values import (
    Actor,
    CaseStatus,
    Channel,
    Clock,
    ClockStatus,
    EscalationThreat,
    LimitUnit,
    Matter,
    Outcome,
    Priority,
    TimeLimit,
)
from ledger.projections.waiter import PositionWaiter

VIEW = "cases"
VIEW_WAIT = READ_WAIT
"""Seconds a read waits for the view to reach the position it asks for (tests shorten it)."""
MAX_LIMIT = 500
RECENT_INTERVENTIONS = timedelta(days=7)
MAX_INTERVENTIONS = 200
OPEN = (CaseStatus.RECEIVED.value, CaseStatus.AWAITING_MATERIALS.value, CaseStatus.ACCEPTED.value)

Conn = psycopg.Connection[DictRow]


# --- wire shapes -------------------------------------------------------------------------------


class ClockSummary(msgspec.Struct, kw_only=True):
    limit: TimeLimit
    due_at: datetime
    status: ClockStatus
    provisional: bool


class CaseSummary(msgspec.Struct, kw_only=True):
    case_id: UUID
    case_no: str
    centre: str
    department: str
    window: str | None
    matter: Matter
    channel: Channel
    priority: Priority
    status: CaseStatus
    outcome: Outcome | None
    applicant_name: str
    registered_at: datetime
    accepted_at: datetime | None
    closed_at: datetime | None
    due_at: datetime | None
    clock: ClockSummary | None
    version: int
    last_event_at: datetime


class CaseSearchResponse(msgspec.Struct, kw_only=True):
    cases: list[CaseSummary]
    next_cursor: str | None
    """Pass as `cursor` for the next page; None on the last one."""
    as_of_position: int
    lag: Lag


class BoardClock(msgspec.Struct, kw_only=True):
    limit: TimeLimit
    due_at: datetime
    remaining: timedelta
    """To the deadline (negative past it); while paused, what was left when the pause began."""
    status: ClockStatus
    provisional: bool


class BoardCase(msgspec.Struct, kw_only=True):
    case_id: UUID
    case_no: str
    matter: Matter
    status: CaseStatus
    priority: Priority
    registered_at: datetime
    waiting_since: datetime
    """Registration, or the pending hand-off's time if one waits to be signed for."""
    waiting: timedelta
    handoff_pending: bool
    clock: BoardClock | None
    colour: Colour


class WindowCases(msgspec.Struct, kw_only=True):
    window: str | None
    cases: list[BoardCase]


class DepartmentCases(msgspec.Struct, kw_only=True):
    department: str
    counts: ColourCounts
    windows: list[WindowCases]


class PendingHandOff(msgspec.Struct, kw_only=True):
    handoff_id: UUID
    case_id: UUID
    case_no: str
    from_department: str
    from_window: str | None
    to_department: str
    to_window: str | None
    to_officer: str | None
    reason: str
    handed_off_at: datetime
    waiting: timedelta


class InterventionEntry(msgspec.Struct, kw_only=True):
    case_id: UUID
    case_no: str
    version: int
    department: str
    actor_id: str
    action: str
    escalation_threat: EscalationThreat
    threatened_channel: str | None
    occurred_at: datetime


class DutyBoard(msgspec.Struct, kw_only=True):
    """One centre's floor. Later views add their own sections here (exceptions waiting on each
    approver role, open 12345 tickets, 办不成事 reports), each a list beside these."""

    centre: str
    as_of: datetime
    as_of_position: int
    lag: Lag
    open_cases: list[DepartmentCases]
    """By department (name order), then window (no window last); worst colour first."""
    handoffs_pending: list[PendingHandOff]
    """Not signed for (nor returned), longest waiting first."""
    interventions: list[InterventionEntry]
    """The last 7 days', newest first (at most 200)."""
    exceptions_waiting: ExceptionsWaiting
    """Exception requests waiting on each approver role, from the "exceptions" view."""
    hotline_tickets: BoardTickets
    """Open 12345 orders with their sign-for and reply deadlines and colours, oldest first (at
    most 200; all counted by colour), from the "pushback" view."""
    unresolved_reports: BoardReports
    """Open 办不成事 reports with their due date and colour, oldest first (at most 200)."""


class CaseQuery(msgspec.Struct, frozen=True, kw_only=True):
    status: CaseStatus | None = None
    centre: str | None = None
    department: str | None = None
    window: str | None = None
    matter: str | None = None
    applicant_token: str | None = None
    case_no: str | None = None
    registered_from: date | None = None
    registered_to: date | None = None
    limit: int = 50
    cursor: str | None = None


# --- endpoints ---------------------------------------------------------------------------------

_NO_NUL = r"^[^\x00]+$"  # PostgreSQL text cannot hold NUL: such a value is a 400, not a 500
Text = Annotated[
    str | None, QueryParameter(required=False, min_length=1, max_length=200, pattern=_NO_NUL)
]


# A method of `CaseController` (`search = views.search`, hence `self`): Litestar 2.25 answers 500
# on `POST /cases` when a handler outside that controller also serves `/cases`.
@get(summary="Search cases", tags=["views"])
async def search(
    self: Any,
    request: Request[Any, Any, Any],
    ledger: NamedDependency[Ledger],
    waiter: NamedDependency[PositionWaiter],
    actor: NamedDependency[Actor],
    status: Annotated[CaseStatus | None, QueryParameter(required=False)] = None,
    centre: Text = None,
    department: Text = None,
    window: Text = None,
    matter: Text = None,
    applicant_token: Text = None,
    case_no: Text = None,
    registered_from: Annotated[
        date | None,
        QueryParameter(name="from", required=False, description="registered on or after (Beijing)"),
    ] = None,
    registered_to: Annotated[
        date | None,
        QueryParameter(name="to", required=False, description="registered on or before (Beijing)"),
    ] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, required=False)] = 50,
    cursor: Text = None,
    min_position: MinPosition = None,
) -> CaseSearchResponse:
    """Cases by number, status, centre, department, window, matter (code), applicant token and
    registration date, newest first, `limit` at a time (`next_cursor` for the next page)."""
    require_read(actor.roles)  # rows show the masked applicant: not dashboards
    if registered_from and registered_to and registered_from > registered_to:
        raise BadRequest("from", "from is after to")
    query = CaseQuery(
        status=status,
        centre=centre,
        department=department,
        window=window,
        matter=matter,
        applicant_token=applicant_token,
        case_no=case_no,
        registered_from=registered_from,
        registered_to=registered_to,
        limit=limit,
        cursor=cursor,
    )
    await wait_for_view(request, waiter, VIEW, min_position, timeout=VIEW_WAIT)
    return await anyio.to_thread.run_sync(search_cases, ledger, query, utc_now())


@get("/boards/duty", summary="The duty board of one centre", tags=["views"])
async def board(
    request: Request[Any, Any, Any],
    ledger: NamedDependency[Ledger],
    waiter: NamedDependency[PositionWaiter],
    actor: NamedDependency[Actor],
    centre: Text = None,
    min_position: MinPosition = None,
) -> DutyBoard:
    """Open cases by department and window with waiting and remaining time and a colour (red:
    overdue; amber: at most the policy's `board.amber_share` of the limit left; green; none: not
    accepted), hand-offs not signed for, the last week's duty interventions, exception requests
    waiting per approver role, and open 12345 orders and 办不成事 reports with their deadlines."""
    require_view_read(actor.roles, "read the duty board")  # no personal data: dashboards too
    if not centre:
        raise BadRequest("centre", "centre is required, e.g. ?centre=huoshan")
    await wait_for_view(request, waiter, VIEW, min_position, timeout=VIEW_WAIT)
    await wait_for_view(request, waiter, approvals.VIEW, min_position, timeout=VIEW_WAIT)
    await wait_for_view(request, waiter, registers.VIEW, min_position, timeout=VIEW_WAIT)
    return await anyio.to_thread.run_sync(duty_board, ledger, centre, utc_now())


VIEW_HANDLERS = [board]
"""Registered on the app; `search` is registered through `CaseController`."""


# --- case search -------------------------------------------------------------------------------

_LIVE = "JOIN ledger_projections p ON p.name = 'cases' AND v.generation = p.generation"
_FILTERS = (
    ("status", "v.status = %s"),
    ("centre", "v.centre = %s"),
    ("department", "v.department = %s"),
    ("window", 'v."window" = %s'),
    ("matter", "v.matter_code = %s"),
    ("applicant_token", "v.applicant_token = %s"),
    ("case_no", "v.case_no = %s"),
)


def search_cases(ledger: Ledger, query: CaseQuery, now: datetime) -> CaseSearchResponse:
    where, params = ["true"], []
    for name, condition in _FILTERS:
        if (value := getattr(query, name)) is not None:
            where.append(condition)
            params.append(value)
    if query.registered_from:
        where.append("v.registered_at >= %s")
        params.append(_midnight(query.registered_from))
    if query.registered_to:
        where.append("v.registered_at < %s")
        params.append(_midnight(query.registered_to + timedelta(days=1)))
    if query.cursor:
        where.append("(v.registered_at, v.case_id) < (%s, %s)")
        params.extend(decode_cursor(query.cursor, "cursor"))
    sql = (
        f"SELECT v.* FROM view_cases v {_LIVE} WHERE {' AND '.join(where)} "
        "ORDER BY v.registered_at DESC, v.case_id DESC LIMIT %s"
    )
    with view_snapshot(ledger, VIEW) as (conn, position, lag):
        rows = conn.execute(sql, [*params, query.limit + 1]).fetchall()
    page = rows[: query.limit]
    more = len(rows) > query.limit
    return CaseSearchResponse(
        cases=[_summary(row, now) for row in page],
        next_cursor=encode_cursor(page[-1]["registered_at"], page[-1]["case_id"]) if more else None,
        as_of_position=position,
        lag=lag,
    )


def _summary(row: DictRow, now: datetime) -> CaseSummary:
    running = _clock(row)
    return CaseSummary(
        case_id=row["case_id"],
        case_no=row["case_no"],
        centre=row["centre"],
        department=row["department"],
        window=row["window"],
        matter=Matter(code=row["matter_code"], name=row["matter_name"]),
        channel=Channel(row["channel"]),
        priority=Priority(row["priority"]),
        status=CaseStatus(row["status"]),
        outcome=Outcome(row["outcome"]) if row["outcome"] else None,
        applicant_name=row["applicant_name"],
        registered_at=row["registered_at"],
        accepted_at=row["accepted_at"],
        closed_at=row["closed_at"],
        due_at=row["due_at"],
        clock=None
        if running is None
        else ClockSummary(
            limit=running.limit,
            due_at=running.due_at,
            status=clock.status(
                running, now=now, paused_since=row["paused_since"], closed_at=row["closed_at"]
            ),
            provisional=running.provisional,
        ),
        version=row["version"],
        last_event_at=row["last_event_at"],
    )


# --- duty board --------------------------------------------------------------------------------

_OPEN_CASES = (
    "SELECT v.*, h.handed_off_at AS pending_since FROM view_cases v " + _LIVE + " "
    "LEFT JOIN view_handoffs h ON h.generation = v.generation AND h.case_id = v.case_id "
    "  AND h.status = 'pending' "
    "WHERE v.centre = %s AND v.status = ANY(%s)"
)
_PENDING_HANDOFFS = (
    "SELECT h.*, c.case_no FROM view_handoffs h "
    "JOIN ledger_projections p ON p.name = 'cases' AND h.generation = p.generation "
    "JOIN view_cases c ON c.generation = h.generation AND c.case_id = h.case_id "
    "WHERE h.centre = %s AND h.status = 'pending' ORDER BY h.handed_off_at, h.handoff_id"
)
_INTERVENTIONS = (
    "SELECT i.*, c.case_no FROM view_interventions i "
    "JOIN ledger_projections p ON p.name = 'cases' AND i.generation = p.generation "
    "JOIN view_cases c ON c.generation = i.generation AND c.case_id = i.case_id "
    "WHERE i.centre = %s AND i.occurred_at >= %s "
    "ORDER BY i.occurred_at DESC, i.case_id, i.version LIMIT %s"
)
_RANK = {Colour.RED: 0, Colour.AMBER: 1, Colour.GREEN: 2, Colour.NONE: 3}


def duty_board(ledger: Ledger, centre: str, now: datetime) -> DutyBoard:
    timing = ledger.policies.timing(centre)
    with view_snapshot(ledger, VIEW) as (conn, position, lag):
        open_rows = conn.execute(_OPEN_CASES, (centre, list(OPEN))).fetchall()
        handoffs = conn.execute(_PENDING_HANDOFFS, (centre,)).fetchall()
        recent = conn.execute(
            _INTERVENTIONS, (centre, now - RECENT_INTERVENTIONS, MAX_INTERVENTIONS)
        ).fetchall()
        waiting = approvals.waiting_by_role(conn, centre, now)
        tickets, reports = registers.board_sections(conn, centre, timing, now)
    cases = [
        (row, _board_case(row, timing.calendar, timing.policy.board.amber_share, now))
        for row in open_rows
    ]
    return DutyBoard(
        centre=centre,
        as_of=now,
        as_of_position=position,
        lag=lag,
        open_cases=_by_department(cases),
        handoffs_pending=[
            PendingHandOff(
                handoff_id=h["handoff_id"],
                case_id=h["case_id"],
                case_no=h["case_no"],
                from_department=h["from_department"],
                from_window=h["from_window"],
                to_department=h["to_department"],
                to_window=h["to_window"],
                to_officer=h["to_officer"],
                reason=h["reason"],
                handed_off_at=h["handed_off_at"],
                waiting=now - h["handed_off_at"],
            )
            for h in handoffs
        ],
        interventions=[
            InterventionEntry(
                case_id=i["case_id"],
                case_no=i["case_no"],
                version=i["version"],
                department=i["department"],
                actor_id=i["actor_id"],
                action=i["action"],
                escalation_threat=EscalationThreat(i["escalation_threat"]),
                threatened_channel=i["threatened_channel"],
                occurred_at=i["occurred_at"],
            )
            for i in recent
        ],
        exceptions_waiting=waiting,
        hotline_tickets=tickets,
        unresolved_reports=reports,
    )


def _board_case(
    row: DictRow, calendar: WorkingCalendar, amber_share: float, now: datetime
) -> BoardCase:
    since = row["pending_since"] or row["registered_at"]
    running = _clock(row)
    board_clock, colour = None, Colour.NONE
    if running is not None:
        reading = clock.reading(
            running, calendar, now=now, paused_since=row["paused_since"], closed_at=None
        )
        left, uncertain = clock.remaining(running, calendar, row["paused_since"] or now)
        board_clock = BoardClock(
            limit=running.limit,
            due_at=running.due_at,
            remaining=left,
            status=reading.status,
            provisional=reading.provisional or uncertain,
        )
        colour = clock.colour_of(reading.status, left, running.limit, amber_share)
    return BoardCase(
        case_id=row["case_id"],
        case_no=row["case_no"],
        matter=Matter(code=row["matter_code"], name=row["matter_name"]),
        status=CaseStatus(row["status"]),
        priority=Priority(row["priority"]),
        registered_at=row["registered_at"],
        waiting_since=since,
        waiting=now - since,
        handoff_pending=row["pending_since"] is not None,
        clock=board_clock,
        colour=colour,
    )


def _by_department(cases: list[tuple[DictRow, BoardCase]]) -> list[DepartmentCases]:
    departments: dict[str, dict[str | None, list[BoardCase]]] = {}
    for row, case in cases:
        departments.setdefault(row["department"], {}).setdefault(row["window"], []).append(case)
    grouped = []
    for department in sorted(departments):
        windows = departments[department]
        counts = ColourCounts.of(c.colour for w in windows.values() for c in w)
        grouped.append(
            DepartmentCases(
                department=department,
                counts=counts,
                windows=[
                    WindowCases(window=window, cases=sorted(windows[window], key=_urgency))
                    for window in sorted(windows, key=lambda w: (w is None, w or ""))
                ],
            )
        )
    return grouped


def _urgency(case: BoardCase) -> tuple[Any, ...]:
    left = case.clock.remaining if case.clock else timedelta(0)
    return (_RANK[case.colour], left, case.waiting_since, case.case_no)


# --- shared ------------------------------------------------------------------------------------


def _clock(row: DictRow) -> Clock | None:
    """The case's clock, rebuilt from its columns (as its events froze it)."""
    if row["due_at"] is None:
        return None
    return Clock(
        limit=TimeLimit(value=row["limit_value"], unit=LimitUnit(row["limit_unit"])),
        source=row["clock_source"] or "",
        policy_version=row["policy_version"],
        calendar_version=row["calendar_version"],
        started_at=row["clock_started_at"],
        due_at=row["due_at"],
        provisional=row["clock_provisional"],
        paused=timedelta(seconds=row["paused_seconds"]),
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), SHANGHAI)
