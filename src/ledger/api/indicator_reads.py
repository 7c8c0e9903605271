"""What the indicators report reads: the rows (or, for the API, the sums) touching the period
from the cases and pushback views, in one snapshot, and the report computed from them. Shared by
`GET /metrics/timeliness` (`metrics`) and the indicators page (`ui.indicators`)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

import msgspec

from ledger.api import case_view, pushback_view
from ledger.api.read_transaction import view_status
from ledger.api.reads import live, live_generation
from ledger.api.schemas.view_reads import Lag
from ledger.api.shared_snapshot import shared_snapshot
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
    Sections,
    assemble,
    others_grouping,
    report,
)
from ledger.projections.indicators.summed import (
    Sources,
    completions_query,
    daily_query,
    matters_of,
    summed_report,
    summed_rows,
)
from ledger.projections.indicators.summed_hotline import (
    dispatches_query,
    summed_hotline,
    tickets_query,
)
from ledger.projections.indicators.summed_ratings import ratings_query, summed_ratings
from ledger.projections.indicators.summed_unresolved import (
    consultations_query,
    names_query,
    reports_query,
    summed_unresolved,
)
from ledger.projections.indicators.timeliness import CaseRow
from ledger.projections.indicators.unresolved import ConsultationRow, UnresolvedRow
from ledger.rules.time_limits import NATIONAL

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


# The ratings touching P summed (`summed_ratings.ratings_query`): from their per-day tallies, and
# only the 差评 due for rectification read as rows.
_RATED = f"{_live('view_ratings')} WHERE true{{centre}}"
_RATING_TALLIES = f"{_live('view_rating_tallies')} WHERE true{{centre}}"


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


# The pushback sections summed (`summed_hotline`, `summed_unresolved`): no row of theirs is read.
_DISPATCHED = (
    f"{_live('view_hotline_dispatches')} LEFT JOIN view_hotline_tickets t "
    "ON t.generation = v.generation AND t.ticket_id = v.ticket_id WHERE true{centre}"
)
_TICKETED = f"{_live('view_hotline_tickets')} WHERE true{{centre}}"
_REPORTED = f"{_live('view_unresolved')} WHERE true{{centre}}"
_CONSULTED = f"{_live('view_consultations')} WHERE true{{centre}}"


class PushbackSums(msgspec.Struct, frozen=True, kw_only=True):
    """The summed 12345 and 办不成事 sections' rows (their queries' results)."""

    hotline: list[dict[str, Any]]
    reports: list[dict[str, Any]]
    consultations: list[dict[str, Any]]
    names: list[dict[str, Any]]


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
    """The pushback rows touching P, when they are tallied here (else empty)."""
    pushback_sums: PushbackSums | None = None
    """With `sums`, the 12345 and 办不成事 sections summed by PostgreSQL."""
    connections: int = 1
    """The connections the snapshot was read on: 2 when the completions ran beside the rest
    (`shared_snapshot`), 1 when no second one was free at once (or none was asked for)."""


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
    # Times come back with timezone.utc, the tzinfo of Period's bounds: a cheap comparison. The
    # completions' working times sort in memory, not through temp files (a month of 100,000
    # cases: 57,000 values, which spilled at the default 4MB).
    setup = ("SET LOCAL TIME ZONE 'UTC'", f"SET LOCAL work_mem = '{WORK_MEM}'")
    with shared_snapshot(ledger, *setup, beside=summed is not None) as (conn, beside):
        position, lag = view_status(conn, VIEW)
        pushback_position, pushback_lag = view_status(conn, PUSHBACK_VIEW)
        where = {"centre": " AND v.centre = ANY(%(centres)s)" if centres is not None else ""}
        params: dict[str, object] = {"centres": centres, "start": period.start, "end": period.end}
        params |= {"first": period.first, "last": period.last}

        def fetch(query: str, **more: Any) -> list[dict[str, Any]]:
            return list(conn.execute(query.format(**where), {**params, **more}).fetchall())

        rows, sums, rating_sums, days, pushback_sums = [], None, None, None, None
        pushback = PushbackRows()
        if summed is None:
            rows = [CaseRow(**r) for r in fetch(_ROWS)]
            pushback = PushbackRows(
                dispatches=[DispatchRow(**r) for r in fetch(_DISPATCHES)],
                tickets=_ticket_rows(ledger, fetch(_TICKETS)),
                unresolved=[UnresolvedRow(**r) for r in fetch(_UNRESOLVED)],
                ratings=[RatingRow(**r) for r in fetch(_RATINGS)],
                consultations=[ConsultationRow(**r) for r in fetch(_CONSULTATIONS)],
            )
        else:
            group_by, now = summed
            at = partial(fetch, now=now)
            # The slowest query (the completions' order statistics) runs beside the others, and
            # its rows are taken last.
            completed = beside.start(
                completions_query(group_by, _SOURCES).format(**where), {**params, "now": now}
            )
            others_by = others_grouping(group_by)
            rating_sums = at(ratings_query(others_by, _RATED, _RATING_TALLIES))
            days = at(daily_query(_SOURCES)) if daily else None
            hotline = at(dispatches_query(_DISPATCHED))
            hotline += at(tickets_query(_TICKETED), **_basic_rule(ledger))
            by_matter = group_by is GroupBy.MATTER
            pushback_sums = PushbackSums(
                hotline=hotline,
                reports=at(reports_query(_REPORTED, others_by)),
                consultations=at(consultations_query(_CONSULTED, others_by)),
                names=at(names_query(_REPORTED, _CONSULTED)) if by_matter else [],
            )
            sums = summed_rows(at, group_by, _SOURCES, completed)
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
        pushback_sums=pushback_sums,
        connections=2 if beside.parallel else 1,
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
    pushback = fetched.pushback_sums
    assert fetched.summed_by is grouping and fetched.rating_sums is not None, fetched.summed_by
    assert pushback is not None
    summed = summed_report(fetched.sums, grouping, promises_of(matters_of(fetched.sums), policy))
    sections = Sections(
        hotline=summed_hotline(pushback.hotline, grouped=grouping is GroupBy.DEPARTMENT),
        unresolved=summed_unresolved(pushback.reports, pushback.consultations, pushback.names),
        ratings=summed_ratings(fetched.rating_sums, summed, grouping),
    )
    return assemble(summed.report, sections, period, grouping, now)


def _basic_rule(ledger: Ledger) -> dict[str, object]:
    """`summed_hotline.tickets_query`'s parameters for whether 基本满意 counts as satisfied: the
    national policy's rule, and the centres whose own policy flips it."""

    def basic(timing: Any) -> bool:
        return bool(timing.policy.hotline.satisfaction.includes_basic)

    default = basic(ledger.policies.jurisdiction(NATIONAL))
    flipped = [c for c in ledger.policies.centres if basic(ledger.policies.timing(c)) != default]
    return {"basic_default": default, "basic_flipped": flipped}


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
