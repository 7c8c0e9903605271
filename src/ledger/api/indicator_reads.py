"""What the indicators report reads: the rows (or, for the API, the sums) touching the period
from the cases and pushback views, in one snapshot, and the report computed from them. Shared by
`GET /metrics/timeliness` (`metrics`) and the indicators page (`ui.indicators`)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

import msgspec

from ledger.api import case_view, pushback_view
from ledger.api.reads import live, live_generation, snapshot, view_status
from ledger.api.schemas.view_reads import Lag
from ledger.application.service import Ledger
from ledger.domain.policy import JurisdictionPolicy
from ledger.projections.indicators.grouping import GroupBy
from ledger.projections.indicators.hotline import DispatchRow, TicketRow
from ledger.projections.indicators.period import Period
from ledger.projections.indicators.promises import promises_of
from ledger.projections.indicators.ratings import RatingRow
from ledger.projections.indicators.report import (
    PushbackRows,
    Report,
    assemble,
    others_grouping,
    report,
)
from ledger.projections.indicators.summed import (
    Sources,
    daily_query,
    matters_of,
    summed_report,
    summed_rows,
)
from ledger.projections.indicators.summed_ratings import ratings_query, summed_ratings
from ledger.projections.indicators.timeliness import CaseRow
from ledger.projections.indicators.unresolved import ConsultationRow, UnresolvedRow

VIEW = case_view.VIEW
PUSHBACK_VIEW = pushback_view.VIEW
WORK_MEM = "32MB"
"""Per sort or hash of one report's queries (PostgreSQL's default is 4MB)."""


def _cases_view(table: str) -> str:
    return f"FROM {table} v {live(VIEW)} WHERE true{{centre}}"


# Only rows that can count in P: registered, accepted, closed, due or first noticed inside it.
_CASES = _cases_view("view_cases")
_ROWS = (
    'SELECT case_id, centre, department, "window", channel, matter_code, matter_name, status, '
    "outcome, registered_at, accepted_at, closed_at, due_at, working_seconds, visits, handoffs, "
    "extensions_approved, notice_violations, notice_at, notice_due_at "
    f"{_CASES} AND ("
    " (registered_at >= %(start)s AND registered_at < %(end)s)"
    " OR (accepted_at >= %(start)s AND accepted_at < %(end)s)"
    " OR (closed_at >= %(start)s AND closed_at < %(end)s)"
    " OR (due_at >= %(start)s AND due_at < %(end)s)"
    " OR (notice_at >= %(start)s AND notice_at < %(end)s))"
)


def _live(table: str) -> str:
    """`table` as v, joined on the pushback view's live generation."""
    return f"FROM {table} v {live(PUSHBACK_VIEW)}"


def _in(column: str) -> str:
    return f"({column} >= %(start)s AND {column} < %(end)s)"


# Each query fetches only the rows that can count in P.
# Dispatches count by dispatched_at alone; each carries its ticket's merge and current closure.
_DISPATCHES = (
    "SELECT v.ticket_id, v.unit, v.role, v.dispatched_at, v.sign_for_due, v.signed_for_at, "
    "v.returned_at, coalesce(t.merged_into_case IS NOT NULL OR t.status = 'merged', false) "
    f"AS merged, t.closed_at AS ticket_closed_at {_live('view_hotline_dispatches')} "
    "LEFT JOIN view_hotline_tickets t ON t.generation = v.generation AND t.ticket_id = v.ticket_id "
    f"WHERE true{{centre}} AND {_in('v.dispatched_at')}"
)
_TICKET_MOMENTS = (
    "received_at",
    "reply_due",
    "order_due",
    "contact_due",
    "closed_at",
    "first_closed_at",
    "follow_up_due",
    "followed_up_at",
)
_TICKETS = (
    "SELECT ticket_id, centre, lead_unit, status, received_at, rounds, returns_requested, "
    "reply_due, replies, unit_claims_resolved, closure, closed_at, first_closed_at, follow_ups, "
    "followed_up_at, citizen_resolved, satisfaction, reopen_count, merged_into_case, order_due, "
    "extensions_approved, replied_at, contact_due, first_contact_at, follow_up_due, "
    f"closure_followed_up_at {_live('view_hotline_tickets')} WHERE true{{centre}} AND ("
    + " OR ".join(_in(c) for c in _TICKET_MOMENTS)
    + ")"
)
_UNRESOLVED = (
    "SELECT department, matter_code, matter_name, cause, reported_at, due_at, closure, closed_at, "
    'v."window", negative_answer '
    f"{_live('view_unresolved')} WHERE true{{centre}} AND ("
    + " OR ".join(_in(c) for c in ("reported_at", "due_at", "closed_at"))
    + ")"
)
_CONSULTATIONS = (
    'SELECT unit AS department, "window", matter_code, matter_name, recorded_at '
    f"{_live('view_consultations')} WHERE true{{centre}} AND {_in('recorded_at')}"
)
# And the ratings of the cases closed in P (主动评价率), whenever they were rated.
_RATINGS = (
    'SELECT v.case_id, v.department, v."window", v.matter_code, v.level, v.is_default, '
    "v.rated_at, v.validity, v.appeal_upheld, v.excluded, v.rectify_due, v.rectified_at, "
    f"v.real_name {_live('view_ratings')} WHERE true{{centre}} AND ("
    + " OR ".join(_in(c) for c in ("v.rated_at", "v.rectify_due", "v.rectified_at"))
    + " OR v.case_id IN (SELECT c.case_id FROM view_cases c JOIN ledger_projections cp "
    "ON cp.name = 'cases' AND c.generation = cp.generation "
    f"WHERE {_in('c.closed_at')}))"
)


# The ratings touching P summed (`summed_ratings.ratings_query`): their rows are never read then.
_RATED = f"{_live('view_ratings')} WHERE true{{centre}}"


# The cases summed (`summed.summed_rows`): the tallies migration 0025 keeps per day, the case rows
# only for what the tallies leave to the reader; and the live ratings for 主动评价率.
_QUEUED = (
    "ARRAY(SELECT q.facts FROM view_case_pending q WHERE q.sign = {sign} AND q.generation = "
    f"{live_generation(VIEW)})"
)
_SOURCES = Sources(
    cases=_CASES,
    tallies=_cases_view("view_case_tallies"),
    matters=_cases_view("view_case_matters"),
    completions=_cases_view("view_case_completions"),
    pending=(
        f"FROM ledger_case_contributions({_QUEUED.format(sign=1)}, {_QUEUED.format(sign=-1)}) v "
        "WHERE true{centre}"
    ),
    ratings=f"FROM view_ratings r {live(PUSHBACK_VIEW, 'r')} WHERE true",
)


class Fetched(msgspec.Struct, frozen=True, kw_only=True):
    position: int
    lag: Lag
    rows: list[CaseRow]
    """The cases touching P, when they are tallied here (the page's daily trend reads them)."""
    sums: list[dict[str, Any]] | None = None
    """Else `summed.summed_rows`: the cases summed by PostgreSQL, per group of `summed_by` and in
    total, as of `now`."""
    summed_by: GroupBy | None = None
    rating_sums: list[dict[str, Any]] | None = None
    """With `sums`, `summed_ratings.ratings_query`'s rows (`pushback.ratings` is then empty)."""
    daily: list[dict[str, Any]] | None = None
    """When asked for, `summed.daily_query`'s rows: the page's daily trend, as of `now`."""
    pushback_position: int
    pushback_lag: Lag
    pushback: PushbackRows


def fetch(
    ledger: Ledger,
    period: Period,
    centres: list[str] | None,
    summed: tuple[GroupBy, datetime] | None = None,
    *,
    daily: bool = False,
) -> Fetched:
    """The rows touching P from the live generations, with the views' positions and lags, all in
    one REPEATABLE READ snapshot, so `as_of_position` is exactly what was read; in `centres`
    (None: every centre). With `summed` (a grouping and `now`), the cases come summed by
    PostgreSQL (`summed.summed_rows`) instead of row by row, and with `daily` too, each day's
    figures (`summed.daily_query`)."""
    with snapshot(ledger) as conn:
        # Times come back with timezone.utc, the tzinfo of Period's bounds: a cheap comparison.
        conn.execute("SET LOCAL TIME ZONE 'UTC'")
        # The completions' working times sort in memory, not through temp files (a month of
        # 100,000 cases: 57,000 values, which spilled at the default 4MB).
        conn.execute(f"SET LOCAL work_mem = '{WORK_MEM}'")
        position, lag = view_status(conn, VIEW)
        pushback_position, pushback_lag = view_status(conn, PUSHBACK_VIEW)
        where = {"centre": " AND v.centre = ANY(%(centres)s)" if centres is not None else ""}
        params: dict[str, object] = {"centres": centres, "start": period.start, "end": period.end}
        params |= {"first": period.first, "last": period.last}

        def fetch(query: str, **more: Any) -> list[dict[str, Any]]:
            return list(conn.execute(query.format(**where), {**params, **more}).fetchall())

        rows, sums, rating_sums, ratings, days = [], None, None, [], None
        if summed is None:
            rows = [CaseRow(**r) for r in fetch(_ROWS)]
            ratings = [RatingRow(**r) for r in fetch(_RATINGS)]
        else:
            group_by, now = summed
            sums = summed_rows(partial(fetch, now=now), group_by, _SOURCES)
            query = ratings_query(others_grouping(group_by), _RATED)
            rating_sums = fetch(query, now=now)
            days = fetch(daily_query(_SOURCES), now=now) if daily else None
        pushback = PushbackRows(
            dispatches=[DispatchRow(**r) for r in fetch(_DISPATCHES)],
            tickets=_ticket_rows(ledger, fetch(_TICKETS)),
            unresolved=[UnresolvedRow(**r) for r in fetch(_UNRESOLVED)],
            ratings=ratings,
            consultations=[ConsultationRow(**r) for r in fetch(_CONSULTATIONS)],
        )
    return Fetched(
        position=position,
        lag=lag,
        rows=rows,
        sums=sums,
        summed_by=summed[0] if summed is not None else None,
        rating_sums=rating_sums,
        daily=days,
        pushback_position=pushback_position,
        pushback_lag=pushback_lag,
        pushback=pushback,
    )


def compute(
    ledger: Ledger, fetched: Fetched, period: Period, grouping: GroupBy, now: datetime
) -> Report:
    """The report over `fetched`, each matter's limits from its centre's policy (the pages too);
    summed cases must have been summed by `grouping` as of `now`."""

    def policy(centre: str) -> JurisdictionPolicy:
        return ledger.policies.timing(centre).policy

    if fetched.sums is None:
        promises = promises_of(fetched.rows, policy)
        return report(fetched.rows, fetched.pushback, period, grouping, now, promises)
    assert fetched.summed_by is grouping and fetched.rating_sums is not None, fetched.summed_by
    summed = summed_report(fetched.sums, grouping, promises_of(matters_of(fetched.sums), policy))
    ratings = summed_ratings(fetched.rating_sums, summed, grouping)
    return assemble(summed.report, ratings, fetched.pushback, period, grouping, now)


def _ticket_rows(ledger: Ledger, rows: list[dict[str, Any]]) -> list[TicketRow]:
    """The tickets' rows, each with its centre's 满意率 rule (whether 基本满意 counts as
    satisfied), looked up once per centre."""
    basic: dict[str, bool] = {}
    for row in rows:
        centre = row.pop("centre")
        if centre not in basic:
            policy = ledger.policies.timing(centre).policy
            basic[centre] = policy.hotline.satisfaction.includes_basic
        row["basic_counts"] = basic[centre]
    return [TicketRow(**row) for row in rows]
