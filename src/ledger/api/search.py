"""Case search, `GET /cases`: cases by number, status, place, matter, applicant and registration
date, from the "cases" view, newest first and keyset-paged.

Why apart from `cases.py`: it answers from the projection, never from the aggregate, so it waits
for read-your-writes (`?min_position=` / `Ledger-Position`, api/reads.py) and reports the position
it answers as of and the view's lag, all from one REPEATABLE READ, READ ONLY snapshot of the live
generation. `search_cases` takes `now` so that tests can fix the moment.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from psycopg.rows import DictRow

from ledger.api import case_view
from ledger.api.edge import bounded
from ledger.api.errors import BadRequest
from ledger.api.reads import (
    Limit,
    MinPosition,
    Text,
    from_row,
    keyset_page,
    read_in_thread,
    utc_now,
    view_snapshot,
    wait_for_view,
)
from ledger.api.schemas.search import CaseSearchResponse, CaseSummary, ClockSummary
from ledger.application.service import Ledger
from ledger.domain import clock
from ledger.domain.calendar import SHANGHAI
from ledger.domain.permissions import require_read
from ledger.domain.tenancy import Scope
from ledger.domain.values import Actor, CaseStatus, Matter
from ledger.projections.waiter import PositionWaiter


class CaseQuery(msgspec.Struct, frozen=True, kw_only=True):
    status: CaseStatus | None = None
    centres: list[str] | None = None
    """The centre asked for, else the credential's (`Scope.narrow`); None: every centre."""
    department: str | None = None
    window: str | None = None
    matter: str | None = None
    applicant_token: str | None = None
    case_no: str | None = None
    registered_from: date | None = None
    registered_to: date | None = None
    limit: int = 50
    cursor: str | None = None


# A method of `CaseController` (`search = case_search.search`, hence `self`): Litestar 2.25
# answers 500 on `POST /cases` when a handler outside that controller also serves `/cases`.
@get(summary="Search cases", tags=["views"])
async def search(
    self: Any,
    request: Request[Any, Any, Any],
    ledger: NamedDependency[Ledger],
    waiter: NamedDependency[PositionWaiter],
    actor: NamedDependency[Actor],
    tenancy: NamedDependency[Scope],
    status: Annotated[CaseStatus | None, QueryParameter(required=False)] = None,
    centre: Text = None,
    department: Text = None,
    window: Text = None,
    matter: Text = None,
    applicant_token: Text = None,
    case_no: Text = None,
    registered_from: Annotated[
        date | None,
        QueryParameter(name="from", required=False, description="registered on or after (Beijing)"),
    ] = None,
    registered_to: Annotated[
        date | None,
        QueryParameter(name="to", required=False, description="registered on or before (Beijing)"),
    ] = None,
    limit: Limit = 50,
    cursor: Text = None,
    min_position: MinPosition = None,
) -> CaseSearchResponse:
    """Cases by number, status, centre, department, window, matter (code), applicant token and
    registration date, newest first, `limit` at a time (`next_cursor` for the next page)."""
    require_read(actor.roles)  # rows show the masked applicant: not dashboards
    bounded("from", registered_from)
    bounded("to", registered_to)
    if registered_from and registered_to and registered_from > registered_to:
        raise BadRequest("from", "from is after to")
    query = CaseQuery(
        status=status,
        centres=tenancy.narrow(centre),
        department=department,
        window=window,
        matter=matter,
        applicant_token=applicant_token,
        case_no=case_no,
        registered_from=registered_from,
        registered_to=registered_to,
        limit=limit,
        cursor=cursor,
    )
    await wait_for_view(request, waiter, case_view.VIEW, min_position, timeout=case_view.VIEW_WAIT)
    return await read_in_thread(search_cases, ledger, query, utc_now())


_FILTERS = (
    ("status", "v.status = %s"),
    ("centres", "v.centre = ANY(%s)"),
    ("department", "v.department = %s"),
    ("window", 'v."window" = %s'),
    ("matter", "v.matter_code = %s"),
    ("applicant_token", "v.applicant_token = %s"),
    ("case_no", "v.case_no = %s"),
)
_SELECT = f"SELECT v.* FROM view_cases v {case_view.LIVE}"


def search_cases(ledger: Ledger, query: CaseQuery, now: datetime) -> CaseSearchResponse:
    where, params = ["true"], []
    for name, condition in _FILTERS:
        if (value := getattr(query, name)) is not None:
            where.append(condition)
            params.append(value)
    if query.registered_from:
        where.append("v.registered_at >= %s")
        params.append(_midnight(query.registered_from))
    if query.registered_to:
        where.append("v.registered_at < %s")
        params.append(_midnight(query.registered_to + timedelta(days=1)))
    with view_snapshot(ledger, case_view.VIEW) as (conn, position, lag):
        page, next_cursor = keyset_page(
            conn,
            _SELECT,
            where,
            params,
            ("registered_at", "case_id"),
            query.cursor,
            query.limit,
            cursor_field="cursor",
        )
    return CaseSearchResponse(
        cases=[_summary(row, now) for row in page],
        next_cursor=next_cursor,
        as_of_position=position,
        lag=lag,
    )


def _summary(row: DictRow, now: datetime) -> CaseSummary:
    running = case_view.clock_of(row)
    return from_row(
        CaseSummary,
        row,
        matter=Matter(code=row["matter_code"], name=row["matter_name"]),
        outcome=row["outcome"] or None,
        clock=None
        if running is None
        else ClockSummary(
            limit=running.limit,
            due_at=running.due_at,
            status=clock.status(
                running, now=now, paused_since=row["paused_since"], closed_at=row["closed_at"]
            ),
            provisional=running.provisional,
        ),
    )


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), SHANGHAI)
