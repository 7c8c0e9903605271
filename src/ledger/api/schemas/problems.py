"""The body of every error response: an RFC 9457 problem with the ledger's own members."""

from __future__ import annotations

from datetime import datetime

import msgspec


class FieldError(msgspec.Struct, kw_only=True):
    field: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True, kw_only=True):
    """RFC 9457 problem details, with the ledger's own members: rule, field, errors."""

    type: str
    title: str
    status: int
    detail: str | None = None
    rule: str | None = None
    field: str | None = None
    errors: list[FieldError] | None = None
    current_version: int | None = None
    position: int | None = None
    """503 not-caught-up: the position the view has reached."""
    min_position: int | None = None
    lag_events: int | None = None
    lag_seconds: float | None = None
    erased_at: datetime | None = None
    """410 personal_data.erased: when the data subject's raw values were destroyed."""
    request_id: str | None = None
