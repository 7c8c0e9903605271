"""What `GET /health` answers."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec


class StoppedView(msgspec.Struct, kw_only=True):
    """A projection stopped before an event it cannot apply: its view is frozen at `position`
    until an operator skips or retries the event (`ledger projections status | skip | retry`)."""

    rule: str = "projection.stopped"
    projection: str
    position: int
    """Where the view stopped: right before `event_position`."""
    event_position: int
    originator_id: UUID
    originator_version: int
    topic: str
    error_class: str
    error: str
    failed_at: datetime
    attempts: int
    detail: str


class Health(msgspec.Struct, kw_only=True):
    status: str
    """ok, or degraded while `degraded` names a stopped view (still HTTP 200: the API
    serves writes and every other read; a load balancer must not take it out for that)."""
    database: str
    position: int | None
    degraded: list[StoppedView] = msgspec.field(default_factory=list)
