"""The duty board, `GET /boards/duty`: one centre's floor as it stands, from three views read in
one snapshot.

Open cases by department and window with waiting and remaining time and a colour (from the
"cases" view), hand-offs not signed for, the last week's hand-offs returned (退回) with each case's
rounds of returns so far, the last week's duty interventions, exception requests waiting per
approver role (`approvals.waiting_by_role`, the "exceptions" view), and open 12345 orders and
办不成事 reports with their deadlines (the "pushback" view). Durations are ISO 8601 on
the wire ("PT5400S", "-P1DT3600S" when overdue). `duty_board` takes `now` so that tests can fix
the moment; the endpoint passes the server clock.

Why a return's reason and rounds come from the case's stored state (`view_cases.state`, folded by
the same projection in the same snapshot): `view_handoffs` keeps neither, and the state's
hand-offs are the case's own record of them, in order.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from psycopg.rows import DictRow

from ledger.api import approvals, case_view, pushback_view
from ledger.api.deadlines import URGENCY
from ledger.api.errors import BadRequest
from ledger.api.hotline_register import OPEN_TICKETS, ticket_item
from ledger.api.read_transaction import view_status
from ledger.api.reads import (
    Conn,
    MinPosition,
    Text,
    from_row,
    live,
    read_in_thread,
    utc_now,
    view_snapshot,
    wait_for_view,
)
from ledger.api.schemas.board import (
    BoardCase,
    BoardClock,
    BoardReports,
    BoardReturns,
    BoardTickets,
    DepartmentCases,
    DutyBoard,
    InterventionEntry,
    PendingHandOff,
    ReturnedHandOff,
    WindowCases,
)
from ledger.api.schemas.view_reads import ColourCounts
from ledger.api.unresolved_register import report_item
from ledger.application.service import Ledger
from ledger.domain import clock
from ledger.domain.clock import Colour
from ledger.domain.handoffs.records import HandOffStatus
from ledger.domain.permissions import require_view_read
from ledger.domain.policy import Timing
from ledger.domain.tenancy import Scope
from ledger.domain.values import Actor, CaseStatus, Matter
from ledger.projections.views.case_states import decode_state
from ledger.projections.waiter import PositionWaiter

RECENT_INTERVENTIONS = timedelta(days=7)
"""How far back the board lists duty interventions and returned hand-offs."""
MAX_INTERVENTIONS = 200
BOARD_MAX = 200
"""Returns, orders and reports the board lists (all are counted), as its other lists."""
OPEN = (CaseStatus.RECEIVED.value, CaseStatus.AWAITING_MATERIALS.value, CaseStatus.ACCEPTED.value)


@get("/boards/duty", summary="The duty board of one centre", tags=["views"])
async def board(
    request: Request[Any, Any, Any],
    ledger: NamedDependency[Ledger],
    waiter: NamedDependency[PositionWaiter],
    actor: NamedDependency[Actor],
    tenancy: NamedDependency[Scope],
    centre: Text = None,
    min_position: MinPosition = None,
) -> DutyBoard:
    """Open cases by department and window with waiting and remaining time and a colour (red:
    overdue; amber: at most the policy's `board.amber_share` of the limit left; green; none: not
    accepted), hand-offs not signed for, the last week's hand-offs returned (`handoffs_returned`,
    with the case's rounds of returns so far), the last week's duty interventions, exception
    requests waiting per approver role, and open 12345 orders and 办不成事 reports with their
    deadlines."""
    require_view_read(actor.roles, "read the duty board")  # no personal data: dashboards too
    if not centre:
        raise BadRequest("centre", "centre is required, e.g. ?centre=huoshan")
    tenancy.require(centre)
    for view in (case_view.VIEW, approvals.VIEW, pushback_view.VIEW):
        await wait_for_view(request, waiter, view, min_position, timeout=case_view.VIEW_WAIT)
    return await read_in_thread(duty_board, ledger, centre, utc_now())


_OPEN_CASES = (
    "SELECT v.*, h.handed_off_at AS pending_since FROM view_cases v " + case_view.LIVE + " "
    "LEFT JOIN view_handoffs h ON h.generation = v.generation AND h.case_id = v.case_id "
    "  AND h.status = 'pending' "
    "WHERE v.centre = %s AND v.status = ANY(%s)"
)
_PENDING_HANDOFFS = (
    f"SELECT h.*, c.case_no FROM view_handoffs h {live(case_view.VIEW, 'h')} "
    "JOIN view_cases c ON c.generation = h.generation AND c.case_id = h.case_id "
    "WHERE h.centre = %s AND h.status = 'pending' ORDER BY h.handed_off_at, h.handoff_id"
)
_RETURNED_HANDOFFS = (
    "SELECT h.*, c.case_no, c.state, count(*) OVER () AS total "
    f"FROM view_handoffs h {live(case_view.VIEW, 'h')} "
    "JOIN view_cases c ON c.generation = h.generation AND c.case_id = h.case_id "
    "WHERE h.centre = %s AND h.status = 'returned' AND h.settled_at >= %s "
    "ORDER BY h.settled_at DESC, h.handoff_id LIMIT %s"
)
_INTERVENTIONS = (
    f"SELECT i.*, c.case_no FROM view_interventions i {live(case_view.VIEW, 'i')} "
    "JOIN view_cases c ON c.generation = i.generation AND c.case_id = i.case_id "
    "WHERE i.centre = %s AND i.occurred_at >= %s "
    "ORDER BY i.occurred_at DESC, i.case_id, i.version LIMIT %s"
)
_OPEN_TICKETS = (
    f"{pushback_view.TICKETS} WHERE v.centre = %s AND v.status = ANY(%s) "
    "ORDER BY v.received_at, v.ticket_id"
)
_OPEN_REPORTS = (
    f"{pushback_view.REPORTS} WHERE v.centre = %s AND v.closed_at IS NULL "
    "ORDER BY v.reported_at, v.report_id"
)


def duty_board(ledger: Ledger, centre: str, now: datetime) -> DutyBoard:
    timing = ledger.policies.timing(centre)
    with view_snapshot(ledger, case_view.VIEW) as (conn, position, lag):
        open_rows = conn.execute(_OPEN_CASES, (centre, list(OPEN))).fetchall()
        handoffs = conn.execute(_PENDING_HANDOFFS, (centre,)).fetchall()
        returned = conn.execute(
            _RETURNED_HANDOFFS, (centre, now - RECENT_INTERVENTIONS, BOARD_MAX)
        ).fetchall()
        recent = conn.execute(
            _INTERVENTIONS, (centre, now - RECENT_INTERVENTIONS, MAX_INTERVENTIONS)
        ).fetchall()
        waiting = approvals.waiting_by_role(conn, centre, now)
        tickets, reports = _pushback_sections(conn, centre, timing, now)
    cases = [(row, _board_case(row, timing, now)) for row in open_rows]
    return DutyBoard(
        centre=centre,
        as_of=now,
        as_of_position=position,
        lag=lag,
        open_cases=_by_department(cases),
        handoffs_pending=[
            from_row(PendingHandOff, h, waiting=now - h["handed_off_at"]) for h in handoffs
        ],
        handoffs_returned=_returns(returned),
        interventions=[from_row(InterventionEntry, i) for i in recent],
        exceptions_waiting=waiting,
        hotline_tickets=tickets,
        unresolved_reports=reports,
    )


def _pushback_sections(
    conn: Conn, centre: str, timing: Timing, now: datetime
) -> tuple[BoardTickets, BoardReports]:
    """The 12345 and 办不成事 sections, read on `conn` (in the board's snapshot): every open one
    is counted by colour, the oldest 200 are listed."""
    position, lag = view_status(conn, pushback_view.VIEW)
    open_tickets = conn.execute(_OPEN_TICKETS, (centre, list(OPEN_TICKETS))).fetchall()
    tickets = [ticket_item(row, timing, now) for row in open_tickets]
    open_reports = conn.execute(_OPEN_REPORTS, (centre,)).fetchall()
    reports = [report_item(row, timing, now) for row in open_reports]
    return (
        BoardTickets(
            as_of_position=position,
            lag=lag,
            count=len(tickets),
            counts=ColourCounts.of(t.colour for t in tickets),
            tickets=tickets[:BOARD_MAX],
        ),
        BoardReports(
            as_of_position=position,
            lag=lag,
            count=len(reports),
            counts=ColourCounts.of(r.colour for r in reports),
            reports=reports[:BOARD_MAX],
        ),
    )


def _returns(rows: list[DictRow]) -> BoardReturns:
    """The listed returns, each with its return's reason, who returned it and the case's rounds
    so far, from the case's state (one hand-off pending at a time: returns come in the order of
    the hand-offs)."""
    listed = []
    for row in rows:
        returned = [
            h for h in decode_state(row["state"]).handoffs if h.status is HandOffStatus.RETURNED
        ]
        rounds, handoff = next(
            (n, h) for n, h in enumerate(returned, 1) if h.handoff_id == row["handoff_id"]
        )
        listed.append(
            from_row(
                ReturnedHandOff,
                row,
                return_reason=handoff.return_reason or "",
                returned_at=row["settled_at"],
                returned_by=handoff.settled_by or "",
                rounds=rounds,
            )
        )
    return BoardReturns(count=rows[0]["total"] if rows else 0, handoffs=listed)


def _board_case(row: DictRow, timing: Timing, now: datetime) -> BoardCase:
    since = row["pending_since"] or row["registered_at"]
    running = case_view.clock_of(row)
    board_clock, colour = None, Colour.NONE
    if running is not None:
        calendar = timing.calendar
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
        amber = timing.policy.board.amber_share
        colour = clock.colour_of(reading.status, left, running.limit, amber)
    return from_row(
        BoardCase,
        row,
        matter=Matter(code=row["matter_code"], name=row["matter_name"]),
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
                    WindowCases(window=window, cases=sorted(windows[window], key=urgency))
                    for window in sorted(windows, key=lambda w: (w is None, w or ""))
                ],
            )
        )
    return grouped


def urgency(case: BoardCase) -> tuple[Any, ...]:
    left = case.clock.remaining if case.clock else timedelta(0)
    return (URGENCY[case.colour], left, case.waiting_since, case.case_no)
