"""The "cases" view on a real PostgreSQL: each row is the aggregate's own fold of its case, in
whatever batches the events arrive, and a rebuild from zero yields exactly the live rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import msgspec
import psycopg
import pytest

from ledger.application.service import Ledger
from ledger.domain.clock import ExtensionStatus
from ledger.domain.handoffs.records import HandOffStatus
from ledger.domain.state import CaseState
from ledger.domain.values import CaseStatus
from ledger.projections.projector import Projector
from ledger.projections.rebuild import rebuild
from ledger.projections.views.case_states import decode_state
from ledger.projections.views.cases import CasesProjection
from ledger.projections.worker import ProjectionWorker
from ledger.store.database import Database
from tests import views_support
from tests.projection_support import wait_until
from tests.tally_support import assert_tallies_match_rows
from tests.views_support import module_scoped_ledger, synthetic_cases

database, ledger = module_scoped_ledger()

TABLES = {
    "view_cases": "case_id",
    "view_handoffs": "handoff_id",
    "view_interventions": "case_id, version",
}


@pytest.fixture(scope="module")
def case_ids(ledger: Ledger, database: Database) -> list[UUID]:
    """120 synthetic cases, projected in small batches (so cases span batches)."""
    ids = synthetic_cases(ledger, 120)
    projector = Projector(database.app_conninfo, CasesProjection(ledger.policies), batch_size=37)
    try:
        projector.catch_up()
    finally:
        projector.close()
    return ids


@pytest.fixture
def conn(database: Database) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database.app_conninfo, autocommit=True) as c:
        yield c


def live_rows(conn: psycopg.Connection[Any], table: str) -> list[tuple[Any, ...]]:
    return views_support.live_rows(conn, "cases", table, TABLES[table])


def test_every_row_is_the_aggregates_fold_of_its_case(
    ledger: Ledger, case_ids: list[UUID], conn: psycopg.Connection[Any]
) -> None:
    reader = ledger_reader()
    rows = {
        r[0]: r
        for r in conn.execute(
            "SELECT v.case_id, v.state, v.version, v.status, v.department, v.handoffs_pending, "
            "v.extensions_approved, v.notice_violations, v.interventions, v.due_at, "
            "v.paused_seconds, v.working_seconds, v.closed_at, v.applicant_token "
            "FROM view_cases v JOIN ledger_projections p "
            "ON p.name = 'cases' AND v.generation = p.generation"
        ).fetchall()
    }
    assert set(rows) == set(case_ids)
    worked = 0
    for case_id in case_ids:
        case = ledger.get_case(case_id, reader)
        state: CaseState = case.state
        (_, stored, version, status, department, pending, approved, notices, interventions,
         due_at, paused, working, closed_at, token) = rows[case_id]  # fmt: skip
        assert decode_state(stored) == state
        assert version == case.version
        assert (status, department) == (state.status.value, state.department)
        assert pending == sum(h.status is HandOffStatus.PENDING for h in state.handoffs)
        assert approved == sum(e.status is ExtensionStatus.APPROVED for e in state.extensions)
        assert notices == sum(f.startswith("one_time_notice.") for f in state.flags)
        assert interventions == state.interventions
        assert token == (state.applicant.id_number.token if state.applicant.id_number else None)
        assert closed_at == state.closed_at
        if state.clock is None:
            assert due_at is None
            continue
        assert due_at == state.clock.due_at
        assert paused == state.clock.paused.total_seconds()
        if state.status is CaseStatus.COMPLETED:
            expected = ledger.policies.timing(state.centre).calendar.working_time_between(
                state.clock.started_at,
                max(state.closed_at or due_at, state.clock.started_at),
                state.pauses,
            )
            assert working == expected.total_seconds()
            worked += 1
        else:
            assert working is None
    assert worked > 50  # most synthetic cases complete


def test_hand_offs_and_interventions_match_the_cases_states(
    ledger: Ledger, case_ids: list[UUID], conn: psycopg.Connection[Any]
) -> None:
    reader = ledger_reader()
    handoffs = {r[0]: r for r in live_rows(conn, "view_handoffs")}
    interventions = live_rows(conn, "view_interventions")
    expected_handoffs, expected_interventions = {}, 0
    for case_id in case_ids:
        state = ledger.get_case(case_id, reader).state
        expected_interventions += state.interventions
        for h in state.handoffs:
            expected_handoffs[h.handoff_id] = (h.status.value, h.settled_at, h.to_department)
    assert {k: (v[10], v[11], v[5]) for k, v in handoffs.items()} == expected_handoffs
    assert {s for s, *_ in expected_handoffs.values()} >= {"signed_for", "returned", "pending"}
    assert len(interventions) == expected_interventions > 0
    for case_id, version, *_ in interventions:
        history = ledger.history(case_id, reader)
        assert type(history[version - 1][1]).__name__ == "DutyIntervention"


def test_the_tallies_are_the_rows_summed_from_zero(
    case_ids: list[UUID], conn: psycopg.Connection[Any]
) -> None:
    """Projected in batches of 37, each case inserted and then updated across batches by the
    projector's upserts: the triggers kept the per-day tallies (migration 0025) exact."""
    assert_tallies_match_rows(conn)


def test_a_rebuild_yields_exactly_the_incrementally_built_rows(
    database: Database, case_ids: list[UUID], conn: psycopg.Connection[Any]
) -> None:
    before = {table: live_rows(conn, table) for table in TABLES}
    done = rebuild(database.app_conninfo, CasesProjection(), batch_size=1000)
    assert done.old_generation < done.generation
    after = {table: live_rows(conn, table) for table in TABLES}
    assert after == before
    assert all(after.values())
    assert_tallies_match_rows(conn)  # and drained: the new generation's rows are in the tallies
    tallies = ("view_case_tallies", "view_case_matters", "view_case_completions")
    for table in (*TABLES, *tallies):  # the old generation is gone
        row = conn.execute(f"SELECT count(DISTINCT generation) FROM {table}").fetchone()
        assert row == (1,)
    queued = conn.execute(
        "SELECT count(*) FROM view_case_pending WHERE generation = %s", (done.old_generation,)
    ).fetchone()
    assert queued == (0,)


def test_working_time_is_left_unknown_when_the_calendar_does_not_cover_the_years() -> None:
    projection = CasesProjection()
    state = msgspec.convert(
        {
            "case_no": "X-1",
            "channel": "window",
            "matter": {"code": "M", "name": "m"},
            "centre": "huoshan",
            "department": "人社",
            "window": None,
            "applicant": {"name": "李*"},
            "priority": "normal",
            "statutory_limit": None,
            "promised_limit": None,
            "parent_case_id": None,
            "registered_at": "2027-03-01T09:00:00+08:00",
            "status": "completed",
            "closed_at": "2027-03-10T09:00:00+08:00",
            "clock": {
                "limit": {"value": 5, "unit": "working_days"},
                "source": "s",
                "policy_version": "p",
                "calendar_version": "c",
                "started_at": "2027-03-01T10:00:00+08:00",
                "due_at": "2027-03-08T23:59:59+08:00",
                "provisional": True,
            },
        },
        CaseState,
    )
    assert projection._working_seconds(state) is None


def ledger_reader() -> Any:
    from tests.conftest import actor

    return actor("auditor-v", "auditor")


def test_the_worker_drains_the_tallies_queue_while_cases_change(
    ledger: Ledger, database: Database, case_ids: list[UUID], conn: psycopg.Connection[Any]
) -> None:
    """`ledger serve` and `ledger worker` run the drainer beside the cases projector: changes
    queued by the view's batches reach the tallies within a few seconds, exactly."""
    worker = ProjectionWorker(database.app_conninfo, [CasesProjection(ledger.policies)]).start()
    try:
        synthetic_cases(ledger, 30)
        head = conn.execute("SELECT max(notification_id) FROM ledger_events").fetchone()
        wait_until(
            lambda: conn.execute(
                "SELECT position >= %s AND NOT EXISTS (SELECT 1 FROM view_case_pending) "
                "FROM ledger_projection_tracking t JOIN ledger_projections p "
                "ON p.name = t.name AND p.generation = t.generation WHERE t.name = 'cases'",
                head,
            ).fetchone()[0],
            timeout=30,
        )
    finally:
        worker.stop()
    assert_tallies_match_rows(conn)
