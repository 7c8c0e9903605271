"""What the case endpoints answer: a write's receipt, a case's state and its history."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from ledger.domain.clock import ClockReading
from ledger.domain.state import CaseState
from ledger.domain.values import Actor


class WriteResponse(msgspec.Struct, omit_defaults=True, kw_only=True):
    case_id: UUID
    version: int
    position: int
    leaf_index: int | None = None  # with ?sealed=true
    case_no: str | None = None
    handoff_id: UUID | None = None
    extension_id: UUID | None = None
    exception_id: UUID | None = None
    commitment_id: UUID | None = None
    ticket_id: UUID | None = None
    report_id: UUID | None = None
    root_cause_id: UUID | None = None
    action_id: UUID | None = None
    rating_id: UUID | None = None


class CaseResponse(msgspec.Struct, kw_only=True):
    case_id: UUID
    version: int
    registered_recorded_at: datetime
    last_recorded_at: datetime
    state: CaseState
    clock: ClockReading | None = None  # the promised limit, from acceptance (受理) on
    proved_by: ProvedBy | None = None  # with ?as_of=, once the notary has checkpointed it


class EventEntry(msgspec.Struct, kw_only=True):
    position: int
    version: int
    type: str
    occurred_at: datetime
    recorded_at: datetime
    actor: Actor
    data: dict[str, Any]
    leaf_index: int | None = None  # None until the notary seals the event
    leaf_hash: str | None = None


class CaseHistoryResponse(msgspec.Struct, kw_only=True):
    case_id: UUID
    events: list[EventEntry]


class ProvedBy(msgspec.Struct, kw_only=True):
    """The first signed checkpoint whose tree holds the state's last event."""

    leaf_index: int
    tree_size: int
    root_hash: str
    checkpoint: str
