"""The insert lock (migration 0028): appends are serialised, so insert order is commit order and
no reader following the notification ids skips one, and the lock does not conflict with what
VACUUM, ANALYZE, autovacuum and CREATE INDEX CONCURRENTLY hold on the events table.

With `LOCK TABLE ledger_events IN EXCLUSIVE MODE`, as eventsourcing takes it, every append waited
behind an ANALYZE of the table for as long as it ran. PostgreSQL cancels an autovacuum that
blocks another backend only after `deadlock_timeout` (1 s), and never cancels one run to
prevent wraparound. The events are written with a raw bare visit (`{}` as its state), which no
view can apply, so this module has a database of its own."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4

import psycopg
import pytest

from ledger.store.database import Database
from tests.conftest import append_stored
from tests.views_support import module_scoped_ledger

VISIT = "ledger.domain.case:Case.VisitRecorded"
WAIT = 10.0
"""Seconds a test waits for an append that should not be blocked (it fails, not hangs)."""

database, ledger = module_scoped_ledger()


@pytest.fixture
def owner(database: Database) -> Iterator[psycopg.Connection[Any]]:
    """The owner, in a transaction the test ends."""
    with psycopg.connect(database.owner_conninfo) as conn:
        yield conn
        conn.rollback()


def append_one(database: Database) -> int:
    """One new case's first event, through the append function, as the application role."""
    with psycopg.connect(database.app_conninfo, autocommit=True) as conn:
        [position] = append_stored(conn, (uuid4(), 1, VISIT, b"{}"))
    return int(position)


def in_thread(work: Callable[[], int]) -> tuple[threading.Thread, list[int]]:
    done: list[int] = []
    thread = threading.Thread(target=lambda: done.append(work()), daemon=True)
    thread.start()
    return thread, done


@pytest.mark.parametrize(
    "maintenance",
    ["ANALYZE ledger_events", "LOCK TABLE ledger_events IN SHARE UPDATE EXCLUSIVE MODE"],
    ids=["analyze", "vacuums-lock"],
)
def test_an_append_goes_on_while_the_events_table_is_analysed_or_vacuumed(
    database: Database, owner: psycopg.Connection[Any], maintenance: str
) -> None:
    append_one(database)
    owner.execute(maintenance)  # held until the owner's transaction ends
    thread, done = in_thread(lambda: append_one(database))
    thread.join(WAIT)
    during = done[:]
    owner.rollback()
    thread.join(WAIT)

    assert during, "the append waited for the maintenance to end"


def insert_as_owner(database: Database) -> int:
    """One event inserted straight into the table, as the owner may (a bulk load, say)."""
    with psycopg.connect(database.owner_conninfo, autocommit=True) as conn:
        row = conn.execute(
            "INSERT INTO ledger_events (originator_id, originator_version, topic, state) "
            "VALUES (%s, 1, %s, '{}') RETURNING notification_id",
            (uuid4(), VISIT),
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_appends_are_still_serialised_and_an_owners_insert_waits_too(database: Database) -> None:
    with psycopg.connect(database.app_conninfo) as first:
        row = append_stored(first, (uuid4(), 1, VISIT, b"{}"))
        second, second_done = in_thread(lambda: append_one(database))
        direct, direct_done = in_thread(lambda: insert_as_owner(database))
        time.sleep(1.0)
        waiting = (second_done[:], direct_done[:])
        first.commit()
    second.join(WAIT)
    direct.join(WAIT)

    assert row is not None and waiting == ([], [])  # both waited for the first's commit
    assert second_done and direct_done
    assert min(second_done[0], direct_done[0]) > row[0]  # drawn after it, so seen after it
