"""What `GET /cases` (case search, from the "cases" view) answers."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from ledger.api.schemas.view_reads import Lag
from ledger.domain.clock import ClockStatus
from ledger.domain.values import CaseStatus, Channel, Matter, Outcome, Priority, TimeLimit


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
