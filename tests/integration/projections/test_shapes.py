"""After an upgrade that changes a view's shape, the view rebuilds itself at the next start.

An operator restarting `ledger serve` on a new release must not get rows the old code wrote
half-filled (a new column NULL), nor have to remember `ledger projections rebuild`: the registry
records the shape each live view was built in, and a worker's start rebuilds, beside the live view,
every view whose recorded shape is not its projection's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from ledger.application.service import Ledger
from ledger.projections.projector import Projector
from ledger.projections.rebuild import REBUILD_LOCK
from ledger.projections.shapes import reshape, stale
from ledger.projections.views.cases import CasesProjection
from ledger.projections.worker import ProjectionWorker
from ledger.store.database import Database
from tests import views_support
from tests.projection_support import (  # fresh_ledger, owner_connection: fixtures
    Counts,
    fresh_ledger,  # noqa: F401
    owner_connection,  # noqa: F401
    wait_until,
)


@pytest.fixture
def database(database_factory: Callable[[], Database]) -> Database:
    return database_factory()


def registry(conn: psycopg.Connection[Any], name: str = "cases") -> tuple[int, str | None]:
    row = conn.execute(
        "SELECT generation, shape FROM ledger_projections WHERE name = %s", (name,)
    ).fetchone()
    assert row is not None
    return int(row[0]), row[1]


def rows(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
    return views_support.live_rows(conn, "cases", "view_cases", "case_id")


def projected(database: Database, ledger: Ledger, count: int = 12) -> CasesProjection:
    views_support.synthetic_cases(ledger, count)
    projection = CasesProjection(ledger.policies)
    projector = Projector(database.app_conninfo, projection)
    try:
        projector.catch_up()
    finally:
        projector.close()
    return projection


def as_an_older_release_left_it(owner: psycopg.Connection[Any]) -> None:
    """The live view as the previous release built it: no shape recorded, and a column its code
    did not fill (here every row's department, so a missed rebuild cannot go unnoticed)."""
    owner.execute("UPDATE ledger_projections SET shape = NULL WHERE name = 'cases'")
    owner.execute("UPDATE view_cases SET department = 'written by the old release'")


def test_a_new_view_is_created_in_its_current_shape_and_never_rebuilt(
    database: Database, ledger: Ledger, owner: psycopg.Connection[Any]
) -> None:
    projection = projected(database, ledger)
    assert registry(owner) == (1, CasesProjection.shape)
    assert stale(database.app_conninfo, [projection]) == []
    assert reshape(database.app_conninfo, [projection]) == []
    assert registry(owner) == (1, CasesProjection.shape)


def test_a_worker_start_rebuilds_a_view_built_in_another_shape(
    database: Database, ledger: Ledger, owner: psycopg.Connection[Any]
) -> None:
    projection = projected(database, ledger)
    expected = rows(owner)
    as_an_older_release_left_it(owner)
    assert stale(database.app_conninfo, [projection]) == [projection]

    worker = ProjectionWorker(database.app_conninfo, [projection]).start()
    try:
        wait_until(lambda: registry(owner) == (2, CasesProjection.shape))
    finally:
        worker.stop()
    assert rows(owner) == expected  # every column filled by this release's code
    assert stale(database.app_conninfo, [projection]) == []


def test_a_view_another_process_is_rebuilding_is_left_to_it(
    database: Database, ledger: Ledger, owner: psycopg.Connection[Any]
) -> None:
    projection = projected(database, ledger)
    as_an_older_release_left_it(owner)
    with psycopg.connect(database.app_conninfo, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s, hashtext('cases'))", (REBUILD_LOCK,))
        assert reshape(database.app_conninfo, [projection]) == []
        assert registry(owner) == (1, None)
    assert reshape(database.app_conninfo, [projection]) == ["cases"]  # the lock is free again
    assert registry(owner) == (2, CasesProjection.shape)


def test_a_projection_that_names_no_shape_is_never_rebuilt_by_itself(
    database: Database, owner: psycopg.Connection[Any]
) -> None:
    counts = Counts()
    owner.execute(
        "INSERT INTO ledger_projections (name, generation) VALUES (%s, 1)",
        (counts.name,),
    )
    assert stale(database.app_conninfo, [counts]) == []
