"""The "exceptions" view on a real PostgreSQL: its rows are the aggregate's own exceptions, in
whatever batches the events arrive, and a rebuild from zero yields exactly the live rows."""

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
from ledger.projections.views.exceptions import ExceptionsProjection, commitment_rows, exception_row
from ledger.store.database import Database
from tests import views_support
from tests.conftest import actor
from tests.exception_views_support import (
    CLERK,
    ago,
    decide,
    granted_with_commitment,
    register_at,
    request,
)
from tests.views_support import module_scoped_ledger, synthetic_cases

database, ledger = module_scoped_ledger()

TABLES = {"view_exceptions": "exception_id", "view_commitments": "commitment_id"}


@pytest.fixture(scope="module")
def case_ids(ledger: Ledger, database: Database) -> list[UUID]:
    """Cases in every exception state, among synthetic ones, projected in small batches."""
    ids = synthetic_cases(ledger, 30)
    start = ago(days=3)
    pending = register_at(ledger, start)
    request(ledger, pending, start)  # waits on layer 1
    halfway = register_at(ledger, start)
    x = request(ledger, halfway, start)
    decide(ledger, halfway, x, 1, start + timedelta(hours=1))  # waits on layer 2
    refused = register_at(ledger, start)
    x = request(ledger, refused, start)
    decide(ledger, refused, x, 1, start + timedelta(hours=1), approve=False)
    withdrawn = register_at(ledger, start)
    x = request(ledger, withdrawn, start)
    ledger.append(
        withdrawn, CLERK, "ExceptionWithdrawn", occurred_at=start, exception_id=x, reason="补齐了"
    )
    used, x, commitment = granted_with_commitment(ledger, start, start + timedelta(days=1))
    ledger.append(used, CLERK, "Accepted", occurred_at=start + timedelta(hours=2), exception_id=x)
    ledger.append(
        used,
        CLERK,
        "CommitmentFulfilled",
        occurred_at=start + timedelta(hours=3),
        commitment_id=commitment,
    )
    ledger.append(
        used,
        actor("director", "centre_director", unit="中心"),
        "ExceptionPostAudited",
        occurred_at=start + timedelta(hours=4),
        exception_id=x,
        finding="compliant",
        note="抽查合规",
    )
    # a case handed off and signed for after its exception was requested: the department moves
    moved = register_at(ledger, start)
    x = request(ledger, moved, start)
    handoff = ledger.append(
        moved,
        CLERK,
        "HandedOff",
        occurred_at=start + timedelta(minutes=5),
        to_department="医保",
        to_window=None,
        to_officer=None,
        reason="转医保窗口",
    ).ids["handoff_id"]
    ledger.append(
        moved,
        actor("clerk-yb", "clerk", unit="医保"),
        "HandOffSignedFor",
        occurred_at=start + timedelta(minutes=6),
        handoff_id=handoff,
    )
    projector = Projector(database.app_conninfo, ExceptionsProjection(), batch_size=7)
    try:
        projector.catch_up()
    finally:
        projector.close()
    return [*ids, pending, halfway, refused, withdrawn, used, moved]


@pytest.fixture
def conn(database: Database) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database.app_conninfo, autocommit=True) as c:
        yield c


def live_rows(conn: psycopg.Connection[Any], table: str) -> list[tuple[Any, ...]]:
    return views_support.live_rows(conn, "exceptions", table, TABLES[table])


def test_the_exception_rows_are_the_aggregates_exceptions(
    ledger: Ledger, case_ids: list[UUID], conn: psycopg.Connection[Any]
) -> None:
    expected_x: list[tuple[Any, ...]] = []
    expected_c: list[tuple[Any, ...]] = []
    for case_id in case_ids:
        state = ledger.get_case(case_id, CLERK).state
        for record in state.exceptions:
            expected_x.append(exception_row(case_id, state, record))
            expected_c += commitment_rows(case_id, state, record)
    assert len(expected_x) == 6
    assert len(expected_c) == 1
    assert live_rows(conn, "view_exceptions") == sorted(expected_x, key=lambda r: r[0])
    assert live_rows(conn, "view_commitments") == expected_c
    by_status = {row[6]: row for row in live_rows(conn, "view_exceptions")}
    assert {"pending", "granted", "refused", "withdrawn"} == set(by_status)
    granted = by_status["granted"]
    assert granted[13:17] == (2, None, None, None)  # decided 2 of 2, waits on nobody
    assert granted[19] is not None and granted[21] is True  # used, audited
    assert live_rows(conn, "view_commitments")[0][6] == "fulfilled"


def test_pending_rows_name_the_next_layer_and_since_when(
    case_ids: list[UUID], conn: psycopg.Connection[Any]
) -> None:
    pending = conn.execute(
        "SELECT v.case_id, v.department, v.decided, v.next_layer, v.next_role, v.next_title, "
        "v.waiting_since, v.requested_at FROM view_exceptions v JOIN ledger_projections p "
        "ON p.name = 'exceptions' AND v.generation = p.generation WHERE v.status = 'pending'"
    ).fetchall()
    by_case = {row[0]: row for row in pending}
    first, halfway, moved = by_case[case_ids[-6]], by_case[case_ids[-5]], by_case[case_ids[-1]]
    assert first[2:6] == (0, 1, "window_lead", "窗口负责人")
    assert first[6] == first[7]
    assert halfway[2:5] == (1, 2, "department_head")
    assert halfway[6] == halfway[7] + timedelta(hours=1)
    assert moved[1] == "医保"


def test_a_rebuilt_exceptions_view_equals_the_live_one(
    database: Database, case_ids: list[UUID]
) -> None:
    with psycopg.connect(database.app_conninfo, autocommit=True) as c:
        before = {table: live_rows(c, table) for table in TABLES}
    rebuilt = rebuild(database.app_conninfo, ExceptionsProjection(), batch_size=11)
    assert rebuilt.generation != rebuilt.old_generation
    with psycopg.connect(database.app_conninfo, autocommit=True) as c:
        after = {table: live_rows(c, table) for table in TABLES}
        left = c.execute(
            "SELECT count(*) FROM view_exception_cases WHERE generation = %s",
            (rebuilt.old_generation,),
        ).fetchone()
    assert after == before
    assert left == (0,)
