"""Reads of the "exceptions" view (`ledger.projections.views.exceptions`): what waits on each
approver.

`GET /approvals?role=` lists the exception requests whose next layer needs that role, oldest
waiting first; the duty board's `exceptions_waiting` section (`waiting_by_role`) counts them per
role for one centre with the oldest few. A request waits from its request, or from the previous
layer's decision; one on a closed case waits on nobody (no layer can be decided there) and is
left out, unless it is a ratification: asked after the fact, it is decided on the closed case.

As every view read (api/reads.py): read-your-writes through `?min_position=` /
`Ledger-Position`, one REPEATABLE READ, READ ONLY snapshot per read with the view's position and
lag from that same snapshot, only the live generation, ISO 8601 durations.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from psycopg.rows import DictRow

from ledger.api.errors import BadRequest
from ledger.api.read_transaction import view_status
from ledger.api.reads import (
    READ_WAIT,
    Conn,
    Limit,
    MinPosition,
    Text,
    from_row,
    live,
    read_in_thread,
    utc_now,
    view_snapshot,
    wait_for_view,
)
from ledger.api.schemas.approvals import (
    ApprovalsResponse,
    ExceptionsWaiting,
    PendingApproval,
    RoleWaiting,
)
from ledger.application.service import Ledger
from ledger.domain.permissions import require_view_read
from ledger.domain.tenancy import Scope
from ledger.domain.values import Actor, Role
from ledger.projections.waiter import PositionWaiter

VIEW = "exceptions"
VIEW_WAIT = READ_WAIT
BOARD_OLDEST = 5
"""Requests the duty board shows per approver role (all are counted)."""


@get("/approvals", summary="Exception requests waiting on an approver role", tags=["views"])
async def approvals(
    request: Request[Any, Any, Any],
    ledger: NamedDependency[Ledger],
    waiter: NamedDependency[PositionWaiter],
    actor: NamedDependency[Actor],
    tenancy: NamedDependency[Scope],
    role: Text = None,
    centre: Text = None,
    limit: Limit = 100,
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
    centres = tenancy.narrow(centre)
    await wait_for_view(request, waiter, VIEW, min_position, timeout=VIEW_WAIT)
    return await read_in_thread(
        pending_approvals, ledger, wanted, centre, centres, limit, utc_now()
    )


_LIVE = live(VIEW)
_PENDING = (
    f"SELECT v.* FROM view_exceptions v {_LIVE} "
    "WHERE v.next_role = %s AND (NOT v.case_closed OR v.after_the_fact) "
    "AND (%s::text[] IS NULL OR v.centre = ANY(%s)) "
    "ORDER BY v.waiting_since, v.exception_id LIMIT %s"
)
_BY_ROLE = (
    "SELECT * FROM ("
    "  SELECT v.*, count(*) OVER w AS waiting_count, row_number() OVER ("
    "    w ORDER BY v.waiting_since, v.exception_id) AS rank "
    f"  FROM view_exceptions v {_LIVE} "
    "  WHERE v.centre = %s AND v.next_role IS NOT NULL AND (NOT v.case_closed OR v.after_the_fact) "
    "  WINDOW w AS (PARTITION BY v.next_role)"
    ") ranked WHERE rank <= %s ORDER BY next_role, rank"
)


def pending_approvals(
    ledger: Ledger,
    role: Role,
    centre: str | None,
    centres: list[str] | None,
    limit: int,
    now: datetime,
) -> ApprovalsResponse:
    """`centre`: the one asked for; `centres`: those the credential may see (None: all)."""
    with view_snapshot(ledger, VIEW) as (conn, position, lag):
        rows = conn.execute(_PENDING, (role.value, centres, centres, limit)).fetchall()
    return ApprovalsResponse(
        role=role,
        centre=centre,
        approvals=[_pending(row, now) for row in rows],
        as_of_position=position,
        lag=lag,
    )


def waiting_by_role(conn: Conn, centre: str, now: datetime) -> ExceptionsWaiting:
    """The duty board's section, read on `conn` (in the board's snapshot)."""
    position, lag = view_status(conn, VIEW)
    roles: dict[str, RoleWaiting] = {}
    for row in conn.execute(_BY_ROLE, (centre, BOARD_OLDEST)).fetchall():
        entry = roles.setdefault(
            row["next_role"],
            RoleWaiting(role=Role(row["next_role"]), count=row["waiting_count"], oldest=[]),
        )
        entry.oldest.append(_pending(row, now))
    return ExceptionsWaiting(as_of_position=position, lag=lag, roles=list(roles.values()))


def _pending(row: DictRow, now: datetime) -> PendingApproval:
    return from_row(
        PendingApproval,
        row,
        layer=row["next_layer"],
        role=row["next_role"],
        title=row["next_title"],
        waiting=now - row["waiting_since"],
    )
