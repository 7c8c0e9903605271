"""The 12345 register, `GET /hotline/tickets`: work orders from the "pushback" view with their
sign-for, reply, order and 回访 deadlines and colours, rounds, returns, follow-up results and
total wait.

As every view read (api/reads.py): read-your-writes through `?min_position=` /
`Ledger-Position`, one REPEATABLE READ, READ ONLY snapshot with the view's `as_of_position` and
`lag`, only the live generation, durations as ISO 8601. Newest first, `limit` at a time,
keyset-paged: `next_cursor` goes back as `after`.

A reply stops the unit's clock (the hotline's review is the hotline's time); a 重办 starts a new
one. The order's clock runs from its first dispatch through every 退单 round until the closure
(the citizen's deadline). The limits of the sign-for and 回访 deadlines are the centre's policy's;
the reply and order limits are the ones their events froze. `ticket_item` also serves the duty
board's 12345 section.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from psycopg.rows import DictRow

from ledger.api import pushback_view
from ledger.api.deadlines import deadline, worst
from ledger.api.errors import BadRequest
from ledger.api.reads import (
    After,
    Limit,
    MinPosition,
    Text,
    decode_cursor,
    from_row,
    keyset_page,
    view_snapshot,
)
from ledger.api.schemas.registers import FollowUpResult, MergedInto, TicketItem, TicketsResponse
from ledger.application.service import Ledger
from ledger.domain.hotline.records import HotlineUrgency, Satisfaction, TicketStatus
from ledger.domain.permissions import require_view_read
from ledger.domain.policy import Timing
from ledger.domain.tenancy import Scope
from ledger.domain.values import Actor
from ledger.projections.views.pushback_tables import parse_limit
from ledger.projections.waiter import PositionWaiter

OPEN_TICKETS = tuple(s.value for s in TicketStatus if s.is_open)
TICKET_STATUSES = (*(s.value for s in TicketStatus), "open", "overdue", "follow_up_overdue")


class TicketQuery(msgspec.Struct, frozen=True, kw_only=True):
    centres: list[str] | None = None
    """The centre asked for, else the credential's (`Scope.narrow`); None: every centre."""
    status: str | None = None
    unit: str | None = None
    limit: int = 50
    after: str | None = None


@get("/hotline/tickets", summary="The 12345 register", tags=["views"])
async def hotline_tickets(
    request: Request[Any, Any, Any],
    ledger: NamedDependency[Ledger],
    waiter: NamedDependency[PositionWaiter],
    actor: NamedDependency[Actor],
    tenancy: NamedDependency[Scope],
    centre: Text = None,
    status: Text = None,
    unit: Text = None,
    limit: Limit = 50,
    after: After = None,
    min_position: MinPosition = None,
) -> TicketsResponse:
    """12345 orders (in `centre`; dispatched to `unit` in the current round, lead or assisting),
    by `status`: a ticket status, `open` (every open status), `overdue` (open, and past the
    order's deadline, the unit's reply deadline or, not signed for, its sign-for deadline) or
    `follow_up_overdue` (closed, its 回访 not made by the day after); with their clocks and
    colours, rounds, returns, follow-up results and total wait."""
    require_view_read(actor.roles, "read the 12345 register")
    if status is not None and status not in TICKET_STATUSES:
        raise BadRequest("status", "status must be one of " + ", ".join(TICKET_STATUSES))
    query = TicketQuery(
        centres=tenancy.narrow(centre), status=status, unit=unit, limit=limit, after=after
    )
    if after is not None:
        decode_cursor(after, "after")
    return await pushback_view.read(request, waiter, min_position, ticket_register, ledger, query)


_OVERDUE = (
    "v.status = ANY(%s) AND ("
    "  (v.reply_due < %s AND NOT (v.status = 'replied' AND v.replied_at <= v.reply_due))"
    "  OR v.order_due < %s"
    "  OR (v.lead_unit IS NOT NULL AND v.signed_for_at IS NULL AND v.sign_for_due < %s))"
)
_FOLLOW_UP_OVERDUE = (
    "v.status = 'closed' AND v.closure_followed_up_at IS NULL AND v.follow_up_due < %s"
)


def ticket_register(ledger: Ledger, query: TicketQuery, now: datetime) -> TicketsResponse:
    where: list[str] = ["true"]
    params: list[Any] = []
    if query.centres is not None:
        where.append("v.centre = ANY(%s)")
        params.append(query.centres)
    if query.unit is not None:
        where.append("(v.lead_unit = %s OR %s = ANY(v.assist_units))")
        params += [query.unit, query.unit]
    if query.status == "open":
        where.append("v.status = ANY(%s)")
        params.append(list(OPEN_TICKETS))
    elif query.status == "overdue":
        where.append(_OVERDUE)
        params += [list(OPEN_TICKETS), now, now, now]
    elif query.status == "follow_up_overdue":
        where.append(_FOLLOW_UP_OVERDUE)
        params.append(now)
    elif query.status is not None:
        where.append("v.status = %s")
        params.append(query.status)
    timings = pushback_view.Timings(ledger)
    with view_snapshot(ledger, pushback_view.VIEW) as (conn, position, lag):
        page, next_cursor = keyset_page(
            conn,
            pushback_view.TICKETS,
            where,
            params,
            ("received_at", "ticket_id"),
            query.after,
            query.limit,
            cursor_field="after",
        )
    return TicketsResponse(
        as_of=now,
        tickets=[ticket_item(row, timings.of(row["centre"]), now) for row in page],
        next_cursor=next_cursor,
        as_of_position=position,
        lag=lag,
    )


def ticket_item(row: DictRow, timing: Timing, now: datetime) -> TicketItem:
    status = TicketStatus(row["status"])
    calendar, amber = timing.calendar, timing.policy.board.amber_share
    sign_for = None
    if row["lead_unit"] is not None and row["sign_for_due"] is not None:
        sign_for = deadline(
            row["sign_for_due"],
            timing.policy.hotline.sign_for[HotlineUrgency(row["urgency"])].limit,
            row["signed_for_at"],
            not status.is_open,
            calendar,
            amber,
            now,
        )
    reply = None
    if row["reply_due"] is not None:
        ended = row["replied_at"] if status in (TicketStatus.REPLIED, TicketStatus.CLOSED) else None
        reply = deadline(
            row["reply_due"],
            parse_limit(row["reply_limit"]),
            ended,
            status is TicketStatus.MERGED,
            calendar,
            amber,
            now,
        )
    order = None
    if row["order_due"] is not None:
        order = deadline(
            row["order_due"],
            parse_limit(row["order_limit"]),
            row["closed_at"] if status is TicketStatus.CLOSED else None,
            status is TicketStatus.MERGED,
            calendar,
            amber,
            now,
        )
    follow_up_due = None
    if row["follow_up_due"] is not None:
        follow_up_due = deadline(
            row["follow_up_due"],
            timing.policy.hotline.follow_up_within.limit,
            row["closure_followed_up_at"],
            False,
            calendar,
            amber,
            now,
        )
    counted = [reply, order]
    if sign_for is not None and sign_for.ended_at is None:
        counted.append(sign_for)
    return from_row(
        TicketItem,
        row,
        summary=None if row["confidential"] else row["summary"],
        assist_units=list(row["assist_units"]),
        sign_for=sign_for,
        reply=reply,
        order=order,
        colour=worst(d.colour for d in counted if d is not None),
        follow_up=FollowUpResult(
            follow_ups=row["follow_ups"],
            followed_up_at=row["followed_up_at"],
            reachable=row["reachable"],
            citizen_resolved=row["citizen_resolved"],
            satisfaction=Satisfaction(row["satisfaction"]) if row["satisfaction"] else None,
            due=follow_up_due,
        ),
        closure=row["closure"] or None,
        merged_into=MergedInto(case_id=row["merged_into_case"], ticket_no=row["merged_into_ticket"])
        if row["merged_into_case"] is not None
        else None,
        last_supervision=row["last_supervision"] or None,
        total_wait=(row["closed_at"] or now) - row["received_at"],
    )
