"""The "pushback" view on a real PostgreSQL: its rows are the aggregate's own 12345 orders,
办不成事 reports and ratings, in whatever batches the events arrive; a rebuild from zero yields
exactly the live rows; nothing in it names a rater or shows a confidential order's summary."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest

from ledger.application.service import Ledger
from ledger.projections.projector import Projector
from ledger.projections.rebuild import rebuild
from ledger.projections.views.pushback import PushbackProjection
from ledger.projections.views.pushback_tables import (
    dispatch_rows,
    rating_row,
    ticket_row,
    unresolved_row,
)
from ledger.store.database import Database
from tests import views_support
from tests.exception_views_support import ago, register_at
from tests.pushback_support import (
    CLERK,
    CLERK_YB,
    SECRET,
    appealed_rating,
    bad_rating,
    closed_at_intake,
    full_ticket_story,
    good_rating,
    merged,
    report,
    ticket,
    worked_report,
)
from tests.tally_support import assert_rating_tallies_match_rows
from tests.views_support import module_scoped_ledger, synthetic_cases

database, ledger = module_scoped_ledger()

TABLES = {
    "view_hotline_tickets": "ticket_id",
    "view_hotline_dispatches": "ticket_id, seq",
    "view_unresolved": "report_id",
    "view_root_causes": "root_cause_id",
    "view_improvements": "action_id",
    "view_ratings": "rating_id",
}


@pytest.fixture(scope="module")
def case_ids(ledger: Ledger, database: Database) -> list[UUID]:
    """Cases with every kind of pushback, among synthetic ones, projected in small batches."""
    ids = synthetic_cases(ledger, 20)
    start = ago(days=2)
    story = register_at(ledger, start)
    full_ticket_story(ledger, story, start)
    quiet = register_at(ledger, start)
    closed_at_intake(ledger, quiet, start)
    ticket(ledger, quiet, start + timedelta(minutes=30))  # a second order, pending dispatch
    dup = register_at(ledger, start)
    merged(ledger, dup, start, master=story)
    worked = register_at(ledger, start)
    worked_report(ledger, worked, start)
    bad_rating(ledger, worked, start + timedelta(hours=1))
    again = register_at(ledger, start)
    worked_report(ledger, again, start, close=False)
    appealed_rating(ledger, again, start + timedelta(hours=1))
    open_report = register_at(ledger, start)
    report(ledger, open_report, start)
    good_rating(ledger, open_report, start)
    # handed off and signed for after its order arrived: the ratings' department moves
    moved = register_at(ledger, start)
    ticket(ledger, moved, start)
    handoff = ledger.append(
        moved, CLERK, "HandedOff", occurred_at=start + timedelta(minutes=5),
        to_department="医保", to_window="1F-02", to_officer=None, reason="转医保窗口",
    ).ids["handoff_id"]  # fmt: skip
    ledger.append(
        moved, CLERK_YB, "HandOffSignedFor", occurred_at=start + timedelta(minutes=6),
        handoff_id=handoff,
    )  # fmt: skip
    good_rating(ledger, moved, start + timedelta(minutes=7))
    projector = Projector(database.app_conninfo, PushbackProjection(), batch_size=7)
    try:
        projector.catch_up()
    finally:
        projector.close()
    return [*ids, story, quiet, dup, worked, again, open_report, moved]


@pytest.fixture
def conn(database: Database) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database.app_conninfo, autocommit=True) as c:
        yield c


def live_rows(conn: psycopg.Connection[Any], table: str) -> list[tuple[Any, ...]]:
    return views_support.live_rows(conn, "pushback", table, TABLES[table])


def _key(row: tuple[Any, ...]) -> tuple[str, ...]:
    return (str(row[0]),)


def test_the_pushback_rows_are_the_aggregates_pushback(
    ledger: Ledger, case_ids: list[UUID], conn: psycopg.Connection[Any]
) -> None:
    tickets: list[tuple[Any, ...]] = []
    dispatches: list[tuple[Any, ...]] = []
    reports: list[tuple[Any, ...]] = []
    ratings: list[tuple[Any, ...]] = []
    causes, actions = 0, 0
    for case_id in case_ids:
        state = ledger.get_case(case_id, CLERK).state
        for t in state.tickets:
            tickets.append(ticket_row(case_id, state, t))
            dispatches += dispatch_rows(case_id, state, t)
        for r in state.unresolved:
            reports.append(unresolved_row(case_id, state, r))
            causes += len(r.root_causes)
            actions += len(r.actions)
        ratings += [rating_row(case_id, state, r) for r in state.ratings]
    # the synthetic cases may bring their own pushback; these are the hand-written ones at least
    assert len(tickets) >= 5 and len(reports) >= 3 and len(ratings) >= 4
    assert live_rows(conn, "view_hotline_tickets") == sorted(tickets, key=_key)
    assert live_rows(conn, "view_hotline_dispatches") == sorted(
        dispatches, key=lambda r: (str(r[0]), r[1])
    )
    assert live_rows(conn, "view_unresolved") == sorted(reports, key=_key)
    assert live_rows(conn, "view_ratings") == sorted(ratings, key=_key)
    assert len(live_rows(conn, "view_root_causes")) == causes >= 2
    assert len(live_rows(conn, "view_improvements")) == actions >= 4


def test_the_story_of_an_order_is_in_its_row(
    case_ids: list[UUID], conn: psycopg.Connection[Any]
) -> None:
    story = case_ids[-7]
    row = conn.execute(
        "SELECT v.* FROM view_hotline_tickets v JOIN ledger_projections p "
        "ON p.name = 'pushback' AND v.generation = p.generation WHERE v.case_id = %s",
        (story,),
    ).fetchone()
    assert row is not None
    names = [c.name for c in conn.execute("SELECT * FROM view_hotline_tickets LIMIT 0").description]
    t = dict(zip(names, row, strict=True))
    assert t["status"] == "in_progress" and t["reopen_count"] == 1
    assert (t["lead_unit"], t["assist_units"], t["rounds"]) == ("人社", ["医保"], 2)
    assert (t["returns_requested"], t["returns_approved"], t["extensions_approved"]) == (1, 1, 1)
    assert (t["replies"], t["reworks"], t["unit_claims_resolved"]) == (2, 1, True)
    assert t["closure"] is None and t["closed_at"] is None and t["first_closed_at"] is not None
    assert (t["follow_ups"], t["reachable"], t["citizen_resolved"]) == (2, True, False)
    assert t["satisfaction"] == "dissatisfied"
    assert (t["supervisions"], t["last_supervision"]) == (1, "urge")
    assert t["reply_limit"] == "13 working_days" and t["reply_source"].startswith("policy ")
    assert t["sign_for_due"] is not None and t["signed_for_at"] is not None
    dispatches = conn.execute(
        "SELECT seq, unit, role, returned_at IS NOT NULL FROM view_hotline_dispatches v "
        "JOIN ledger_projections p ON p.name = 'pushback' AND v.generation = p.generation "
        "WHERE v.ticket_id = %s ORDER BY seq",
        (t["ticket_id"],),
    ).fetchall()
    assert dispatches == [
        (1, "医保", "lead", True),
        (2, "人社", "lead", False),
        (3, "医保", "assist", False),
    ]


def test_confidential_summaries_and_raters_are_nowhere(
    database: Database, case_ids: list[UUID], conn: psycopg.Connection[Any]
) -> None:
    confidential = conn.execute(
        "SELECT summary FROM view_hotline_tickets WHERE confidential"
    ).fetchall()
    assert confidential and all(summary is None for (summary,) in confidential)
    # nor in the stored fold (the only other place the text could be)
    states = conn.execute("SELECT state FROM view_pushback_cases").fetchall()
    assert states and not any(SECRET.encode() in bytes(s) for (s,) in states)
    columns = {
        c
        for (c,) in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'view_ratings'"
        ).fetchall()
    }
    assert not columns & {"rated_by", "actor_id", "applicant", "applicant_name", "comment"}


def test_the_holder_moves_with_a_hand_off(
    case_ids: list[UUID], conn: psycopg.Connection[Any]
) -> None:
    moved = case_ids[-1]
    assert conn.execute(
        'SELECT department, "window" FROM view_ratings WHERE case_id = %s', (moved,)
    ).fetchall() == [("医保", "1F-02")]


def test_the_rating_tallies_are_the_ratings_summed_from_zero(
    case_ids: list[UUID], conn: psycopg.Connection[Any]
) -> None:
    """Projected in batches of 7, each batch rewriting every rating of the cases it touches, and
    ratings verified, appealed and excluded after they were made: the triggers kept the per-day
    tallies (migration 0026) exact."""
    assert_rating_tallies_match_rows(conn)
    tallied = conn.execute(
        "SELECT sum(excluded)::int, sum(real_name_followed_up)::int FROM view_rating_tallies "
        "WHERE grouped_by = 'department'"
    ).fetchone()
    rows = conn.execute(
        "SELECT count(*) FILTER (WHERE excluded)::int, count(*) FILTER (WHERE real_name AND "
        "level <= 2 AND validity IS NOT NULL AND NOT excluded)::int FROM view_ratings"
    ).fetchone()
    assert tallied == rows  # an appeal upheld and a verification, both after the rating
    assert rows is not None and min(rows) >= 1


def test_a_rebuilt_pushback_view_equals_the_live_one(
    database: Database, case_ids: list[UUID]
) -> None:
    with psycopg.connect(database.app_conninfo, autocommit=True) as c:
        before = {table: live_rows(c, table) for table in TABLES}
    rebuilt = rebuild(database.app_conninfo, PushbackProjection(), batch_size=11)
    assert rebuilt.generation != rebuilt.old_generation
    with psycopg.connect(database.app_conninfo, autocommit=True) as c:
        after = {table: live_rows(c, table) for table in TABLES}
        left = c.execute(
            "SELECT count(*) FROM view_pushback_cases WHERE generation = %s",
            (rebuilt.old_generation,),
        ).fetchone()
    assert after == before
    assert all(before.values())
    assert left == (0,)
    with psycopg.connect(database.app_conninfo, autocommit=True) as c:
        assert_rating_tallies_match_rows(c)  # the new generation's, and the old one's are gone
        row = c.execute("SELECT array_agg(DISTINCT generation) FROM view_rating_tallies")
        assert row.fetchone() == ([rebuilt.generation],)
