"""The 好差评 差评 register, `GET /ratings`: the bad ratings (level 1 or 2) from the "pushback"
view's `view_ratings`, where each stands (核实, 申诉复核, 整改), their rectification deadline and
colour, whether the rater was called back (核实: the 回访 of a real-name 差评) and the re-rating.

Read as the 12345 register is (api/hotline_register.py): read-your-writes, one snapshot, the live
generation, newest first and keyset-paged. The rectification deadline is the one the 差评 froze
when it arrived; its limit (for the colour) is the centre's policy's. No row names who rated: the
events never record it. The case number and matter name come from the "cases" view (a case not
projected there yet shows none).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from psycopg.rows import DictRow

from ledger.api import case_view, pushback_view
from ledger.api.deadlines import deadline
from ledger.api.errors import BadRequest
from ledger.api.reads import (
    After,
    Limit,
    MinPosition,
    Text,
    decode_cursor,
    from_row,
    keyset_page,
    live,
    view_snapshot,
)
from ledger.api.schemas.ratings import (
    BadReviewCounts,
    BadReviewItem,
    BadReviewsResponse,
    BadReviewStage,
)
from ledger.application.service import Ledger
from ledger.domain.clock import Colour
from ledger.domain.permissions import require_view_read
from ledger.domain.policy import Timing
from ledger.domain.ratings.records import BAD_REVIEW_LEVEL
from ledger.domain.tenancy import Scope
from ledger.domain.values import Actor
from ledger.projections.waiter import PositionWaiter

OPEN_STAGES = (BadReviewStage.TO_VERIFY.value, BadReviewStage.TO_RECTIFY.value)
"""Still to be rectified: the 差评 the indicators count as needing it, not yet rectified."""
STATUSES = (*(s.value for s in BadReviewStage), "open", "overdue")

STAGE = (
    "(CASE WHEN v.excluded THEN 'excluded' "
    "WHEN v.rectified_at IS NOT NULL THEN 'rectified' "
    "WHEN v.validity IS NULL THEN 'to_verify' "
    "WHEN v.validity <> 'valid' AND v.appeal_upheld IS NULL THEN 'appealed' "
    "ELSE 'to_rectify' END)"
)
"""A row's `BadReviewStage`, the one place it is decided (its select column and its filter)."""

_SELECT = (
    f"SELECT v.*, {STAGE} AS stage, c.case_no, c.matter_name "
    f"FROM view_ratings v {live(pushback_view.VIEW)} "
    "LEFT JOIN view_cases c ON c.case_id = v.case_id AND c.generation = ("
    f"  SELECT generation FROM ledger_projections WHERE name = '{case_view.VIEW}')"
)
_COUNTS = (
    f"SELECT {STAGE} AS stage, count(*) AS n, "
    f"count(*) FILTER (WHERE {STAGE} = ANY(%s) AND v.rectify_due < %s) AS overdue "
    f"FROM view_ratings v {live(pushback_view.VIEW)} WHERE {{matching}} GROUP BY 1"
)


class BadReviewQuery(msgspec.Struct, frozen=True, kw_only=True):
    centres: list[str] | None = None
    """The centre asked for, else the credential's (`Scope.narrow`); None: every centre."""
    status: str | None = None
    department: str | None = None
    real_name: bool | None = None
    limit: int = 50
    after: str | None = None


@get("/ratings", summary="The 好差评 差评 register", tags=["views"])
async def bad_reviews(
    request: Request[Any, Any, Any],
    ledger: NamedDependency[Ledger],
    waiter: NamedDependency[PositionWaiter],
    actor: NamedDependency[Actor],
    tenancy: NamedDependency[Scope],
    centre: Text = None,
    status: Text = None,
    department: Text = None,
    real_name: Annotated[bool | None, QueryParameter(required=False)] = None,
    limit: Limit = 50,
    after: After = None,
    min_position: MinPosition = None,
) -> BadReviewsResponse:
    """差评 (level 1 or 2) in `centre`, of `department` (the unit holding the case when rated), by
    `status`: a stage (to_verify, appealed, to_rectify, rectified, excluded), `open` (to verify
    or to rectify) or `overdue` (open and past the rectification deadline), and `real_name`; with
    the deadline's colour, the 核实 finding and the re-rating; counts by stage of every 差评 the
    other filters match."""
    require_view_read(actor.roles, "read the 差评 register")
    if status is not None and status not in STATUSES:
        raise BadRequest("status", "status must be one of " + ", ".join(STATUSES))
    if after is not None:
        decode_cursor(after, "after")
    query = BadReviewQuery(
        centres=tenancy.narrow(centre),
        status=status,
        department=department,
        real_name=real_name,
        limit=limit,
        after=after,
    )
    return await pushback_view.read(
        request, waiter, min_position, bad_review_register, ledger, query
    )


def bad_review_register(ledger: Ledger, query: BadReviewQuery, now: datetime) -> BadReviewsResponse:
    where: list[str] = ["v.level <= %s"]
    params: list[Any] = [BAD_REVIEW_LEVEL]
    if query.centres is not None:
        where.append("v.centre = ANY(%s)")
        params.append(query.centres)
    if query.department is not None:
        where.append("v.department = %s")
        params.append(query.department)
    if query.real_name is not None:
        where.append("v.real_name = %s")
        params.append(query.real_name)
    counted, counted_params = list(where), list(params)
    if query.status == "open":
        where.append(f"{STAGE} = ANY(%s)")
        params.append(list(OPEN_STAGES))
    elif query.status == "overdue":
        where.append(f"{STAGE} = ANY(%s) AND v.rectify_due < %s")
        params += [list(OPEN_STAGES), now]
    elif query.status is not None:
        where.append(f"{STAGE} = %s")
        params.append(query.status)
    timings = pushback_view.Timings(ledger)
    with view_snapshot(ledger, pushback_view.VIEW) as (conn, position, lag):
        page, next_cursor = keyset_page(
            conn,
            _SELECT,
            where,
            params,
            ("rated_at", "rating_id"),
            query.after,
            query.limit,
            cursor_field="after",
        )
        grouped = conn.execute(
            _COUNTS.format(matching=" AND ".join(counted)),
            [list(OPEN_STAGES), now, *counted_params],
        ).fetchall()
    by_stage = {g["stage"]: g["n"] for g in grouped}
    return BadReviewsResponse(
        as_of=now,
        ratings=[bad_review_item(row, timings.of(row["centre"]), now) for row in page],
        next_cursor=next_cursor,
        counts=BadReviewCounts(
            total=sum(by_stage.values()),
            by_stage={s.value: by_stage.get(s.value, 0) for s in BadReviewStage},
            overdue=sum(g["overdue"] for g in grouped),
        ),
        as_of_position=position,
        lag=lag,
    )


def bad_review_item(row: DictRow, timing: Timing, now: datetime) -> BadReviewItem:
    stage = BadReviewStage(row["stage"])
    rectify = None
    if row["rectify_due"] is not None:
        excluded = stage is BadReviewStage.EXCLUDED
        rectify = deadline(
            row["rectify_due"],
            timing.policy.rating.rectification.limit,
            None if excluded else row["rectified_at"],
            excluded or stage is BadReviewStage.APPEALED,
            timing.calendar,
            timing.policy.board.amber_share,
            now,
        )
    return from_row(
        BadReviewItem,
        row,
        stage=stage,
        rectify=rectify,
        colour=rectify.colour if rectify else Colour.NONE,
    )
