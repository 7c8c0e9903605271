"""What `GET /boards/duty` answers: one centre's floor, section by section."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import msgspec

from ledger.api.schemas.approvals import ExceptionsWaiting
from ledger.api.schemas.registers import ReportItem, TicketItem
from ledger.api.schemas.view_reads import ColourCounts, Lag
from ledger.domain.clock import ClockStatus, Colour
from ledger.domain.lifecycle import EscalationThreat
from ledger.domain.values import CaseStatus, Matter, Priority, TimeLimit


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


class ReturnedHandOff(msgspec.Struct, kw_only=True):
    """A hand-off the receiving unit returned (退回): the case stayed with `from_department`."""

    handoff_id: UUID
    case_id: UUID
    case_no: str
    from_department: str
    from_window: str | None
    to_department: str
    """The unit that returned it."""
    to_window: str | None
    reason: str
    """Why it was handed off."""
    return_reason: str
    handed_off_at: datetime
    returned_at: datetime
    returned_by: str
    rounds: int
    """The case's returns so far, this one included: 2 and more is a case bouncing between units
    (来回跑)."""


class BoardReturns(msgspec.Struct, kw_only=True):
    """The duty board's hand-offs returned in the last 7 days, from the "cases" view."""

    count: int
    handoffs: list[ReturnedHandOff]
    """Newest returned first, at most 200."""


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
    handoffs_returned: BoardReturns
    """Returned (退回) in the last 7 days, newest first (at most 200; all counted), each with the
    case's rounds of returns so far."""
    interventions: list[InterventionEntry]
    """The last 7 days', newest first (at most 200)."""
    exceptions_waiting: ExceptionsWaiting
    """Exception requests waiting on each approver role, from the "exceptions" view."""
    hotline_tickets: BoardTickets
    """Open 12345 orders with their sign-for and reply deadlines and colours, oldest first (at
    most 200; all counted by colour), from the "pushback" view."""
    unresolved_reports: BoardReports
    """Open 办不成事 reports with their due date and colour, oldest first (at most 200)."""


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
