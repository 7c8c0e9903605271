"""What a hand-off's events build: `HandOff`, one transfer of custody between units."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import msgspec


class HandOffStatus(StrEnum):
    PENDING = "pending"
    SIGNED_FOR = "signed_for"
    RETURNED = "returned"


class HandOff(msgspec.Struct, kw_only=True):
    handoff_id: UUID
    from_department: str
    from_window: str | None
    to_department: str
    to_window: str | None
    to_officer: str | None
    reason: str
    handed_off_by: str
    handed_off_at: datetime
    status: HandOffStatus = HandOffStatus.PENDING
    settled_by: str | None = None
    settled_at: datetime | None = None
    return_reason: str | None = None
