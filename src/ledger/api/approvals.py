"""Reads of the "exceptions" view (`ledger.projections.exceptions`): what waits on each approver.

`GET /approvals?role=` lists the exception requests whose next layer needs that role, oldest
waiting first; the duty board's `exceptions_waiting` section (`waiting_by_role`) counts them per
role for one centre with the oldest few. A request waits from its request, or from the previous
layer's decision; one on a closed case waits on nobody (no layer can be decided there) and is
left out.

As the cases view's reads (api/views.py): read-your-writes through `?min_position=` /
`Ledger-Position`, one REPEATABLE READ, READ ONLY snapshot per read with the view's position and
lag from that same snapshot, only the live generation, ISO 8601 durations.
"""

from __future__ import annotations

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
    Lag,
    MinPosition,
    utc_now,
    view_snapshot,
    wait_for_view,
)
from ledger.application.service import Ledger
from ledger.domain.permissions import require_view_read
from ledger.domain.values import Actor, ExceptionKind, Role
from ledger.projections.runtime import projection_status
from ledger.projections.waiter import PositionWaiter

VIEW = "exceptions"
VIEW_WAIT = READ_WAIT
MAX_LIMIT = 500
BOARD_OLDEST = 5
"""Requests the duty board shows per approver role (all are counted)."""

Conn = psycopg.Connection[DictRow]


class PendingApproval(msgspec.Struct, kw_only=True):
    exception_id: UUID
    case_id: UUID
    case_no: str
    centre: str
    department: str
    kind: ExceptionKind
    rule_waived: str
    layer: int
    """The layer waiting, 1-based, of `layers`."""
    layers: int
    role: Role
    title: str
    """The layer's title in the policy, e.g. 部门负责人（首席代表）."""
    requested_by: str
    requested_at: datetime
    waiting_since: datetime
    """The request, or the previous layer's decision."""
    waiting: timedelta


class ApprovalsResponse(msgspec.Struct, kw_only=True):
    role: Role
    centre: str | None
    approvals: list[PendingApproval]
    """Oldest waiting first, at most `limit`."""
    as_of_position: int
    lag: Lag


class RoleWaiting(msgspec.Struct, kw_only=True):
    role: Role
    count: int
    oldest: list[PendingApproval]
    """The longest waiting, oldest first (at most 5)."""


class ExceptionsWaiting(msgspec.Struct, kw_only=True):
    """The duty board's section: exception requests waiting, per approver role (role order)."""

    as_of_position: int
    """The "exceptions" view's position (the board's own `as_of_position` is the cases view's)."""
    lag: Lag
    roles: list[RoleWaiting]


_NO_NUL = r"^[^\x00]+$"
Text = Annotated[
    str | None, QueryParameter(required=False, min_length=1, max_length=200, pattern=_NO_NUL)
]


@get("/approvals", summary="Exception requests waiting on an approver role", tags=["views"])
async def approvals(
    request: Request[Any, Any, Any],
    ledger: NamedDependency[Ledger],
    waiter: NamedDependency[PositionWaiter],
    actor: NamedDependency[Actor],
    role: Text = None,
    centre: Text = None,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, required=False)] = 100,
    min_position: MinPosition = None,
) -> ApprovalsResponse:
    """Pending exception requests whose next layer needs `role` (in `centre`, if given), oldest
    waiting first, with the layer (n of m), its title and the waiting time."""
    require_view_read(actor.roles, "read pending approvals")
    try:
        wanted = Role(role or "")
    except ValueError:
        raise BadRequest(
            "role", "role must be an approver role, e.g. ?role=window_lead: " + ", ".join(Role)
        ) from None
    await wait_for_view(request, waiter, VIEW, min_position, timeout=VIEW_WAIT)
    return await anyio.to_thread.run_sync(
        pending_approvals, ledger, wanted, centre, limit, utc_now()
    )


APPROVAL_HANDLERS = [approvals]


_LIVE = "JOIN ledger_projections p ON p.name = 'exceptions' AND v.generation = p.generation"
_PENDING = (
    f"SELECT v.* FROM view_exceptions v {_LIVE} "
    "WHERE v.next_role = %s AND NOT v.case_closed AND (%s::text IS NULL OR v.centre = %s) "
    "ORDER BY v.waiting_since, v.exception_id LIMIT %s"
)
_BY_ROLE = (
    "SELECT * FROM ("
    "  SELECT v.*, count(*) OVER w AS waiting_count, row_number() OVER ("
    "    w ORDER BY v.waiting_since, v.exception_id) AS rank "
    f"  FROM view_exceptions v {_LIVE} "
    "  WHERE v.centre = %s AND v.next_role IS NOT NULL AND NOT v.case_closed "
    "  WINDOW w AS (PARTITION BY v.next_role)"
    ") ranked WHERE rank <= %s ORDER BY next_role, rank"
)


def pending_approvals(
    ledger: Ledger, role: Role, centre: str | None, limit: int, now: datetime
) -> ApprovalsResponse:
    with view_snapshot(ledger, VIEW) as (conn, position, lag):
        rows = conn.execute(_PENDING, (role.value, centre, centre, limit)).fetchall()
    return ApprovalsResponse(
        role=role,
        centre=centre,
        approvals=[_pending(row, now) for row in rows],
        as_of_position=position,
        lag=lag,
    )


def waiting_by_role(conn: Conn, centre: str, now: datetime) -> ExceptionsWaiting:
    """The duty board's section, read on `conn` (in the board's snapshot)."""
    status = projection_status(cast("Any", conn.cursor(row_factory=tuple_row)), VIEW)
    roles: dict[str, RoleWaiting] = {}
    for row in conn.execute(_BY_ROLE, (centre, BOARD_OLDEST)).fetchall():
        entry = roles.setdefault(
            row["next_role"],
            RoleWaiting(role=Role(row["next_role"]), count=row["waiting_count"], oldest=[]),
        )
        entry.oldest.append(_pending(row, now))
    return ExceptionsWaiting(
        as_of_position=status.position,
        lag=Lag(events=status.lag_events, seconds=status.lag_seconds),
        roles=list(roles.values()),
    )


def _pending(row: DictRow, now: datetime) -> PendingApproval:
    return PendingApproval(
        exception_id=row["exception_id"],
        case_id=row["case_id"],
        case_no=row["case_no"],
        centre=row["centre"],
        department=row["department"],
        kind=ExceptionKind(row["kind"]),
        rule_waived=row["rule_waived"],
        layer=row["next_layer"],
        layers=row["layers"],
        role=Role(row["next_role"]),
        title=row["next_title"],
        requested_by=row["requested_by"],
        requested_at=row["requested_at"],
        waiting_since=row["waiting_since"],
        waiting=now - row["waiting_since"],
    )
