"""What the 12345 register (`GET /hotline/tickets`) and the 办不成事 register (`GET /unresolved`)
answer: orders and reports with their deadlines and colours."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import msgspec

from ledger.api.schemas.view_reads import Lag
from ledger.domain.clock import ClockStatus, Colour
from ledger.domain.hotline.records import (
    HotlineCategory,
    HotlineUrgency,
    Satisfaction,
    SupervisionLevel,
    TicketClosure,
    TicketStatus,
)
from ledger.domain.unresolved.records import (
    Resolvability,
    UnresolvedCause,
    UnresolvedClosure,
    UnresolvedTier,
)
from ledger.domain.values import Matter, TimeLimit


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
    due: Deadline | None = None
    """The current closure's 回访, by phone the day after it (none for a redirected order, or
    while reopened); met or missed by the closure's first 回访, overdue while none is made."""


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
    """The current round's unit's reply clock (from its lead dispatch; extensions included)."""
    reply_source: str | None
    order: Deadline | None
    """The order's clock: from its first dispatch, kept through every 退单 round (so it runs
    while the order waits for 改派), extensions included, started again by a 重办; met or missed
    by the closure."""
    extensions_approved: int
    colour: Colour
    """The worst of an unsigned order's sign-for, the unit's reply clock and the order's."""
    contact_due: datetime | None
    """响应率: a unit contacts the applicant by then (from the first dispatch)."""
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
    """The citizen's whole wait: from receipt (the call) to the latest closure, or to now while
    open; every 退单 round and 重办 counted."""


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
    window: str | None = None
    """The window the report concerns (the case's when reported, unless it named one)."""
    unit: str | None = None
    """The unit it concerns: its staff may neither check (核查) nor close it."""
    negative_answer: bool = False
    """Filed with a refusal (否定答复报告)."""
    feedbacks: int = 0
    """反馈 given to the applicant."""
    fed_back_at: datetime | None = None
    verified_at: datetime | None = None
    """When a 核查 confirmed the last 反馈 (closure needs it); None otherwise."""


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
    by_window: dict[str, int] = msgspec.field(default_factory=dict)
    """By the window each concerns (`-` for none), most first (a month's count per window, for
    the 通报: `GET /metrics/timeliness?group_by=window`)."""
    negative_answers: int = 0
    """Filed with a refusal (否定答复报告)."""
    consultations: int = 0
    """Consultations answered in the same centres (and `window`, if given); the other filters do
    not apply: a consultation has no cause, tier or closure."""


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
