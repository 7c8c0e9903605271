"""A shared snapshot (`ledger.api.shared_snapshot`) reads one snapshot on two connections: a
write committed after the read began is seen by neither (so a report's sections, read in
parallel, still agree with each other and with the position it reports); without a free second
connection the same queries run on the first; a query that fails beside, or a read that fails
while one runs there, ends the read and gives both connections back in a usable state."""

from __future__ import annotations

import psycopg
import pytest
from eventsourcing.persistence import DataError

from ledger.api.shared_snapshot import shared_snapshot
from ledger.application.service import Ledger
from tests.conftest import actor, all_connections_but_one_lent, register

CLERK = actor("shared-clerk", "clerk", unit="人社")
EVENTS = "SELECT count(*) AS n FROM ledger_events"


def count(rows: list[dict[str, int]]) -> int:
    return rows[0]["n"]


def test_both_connections_read_the_snapshot_the_read_began_with(ledger: Ledger) -> None:
    register(ledger, CLERK)
    with shared_snapshot(ledger) as (conn, beside):
        before = count(conn.execute(EVENTS).fetchall())
        register(ledger, CLERK)  # committed after the read began
        assert beside.parallel
        assert count(beside.start(EVENTS, {})()) == before
        assert count(conn.execute(EVENTS).fetchall()) == before
    with shared_snapshot(ledger) as (conn, beside):
        assert count(beside.start(EVENTS, {})()) > before  # the write, now seen


def test_the_second_connection_imports_the_snapshot_even_when_the_first_has_not_read_yet(
    ledger: Ledger,
) -> None:
    with shared_snapshot(ledger) as (conn, beside):
        register(ledger, CLERK)
        beside_rows = beside.start(EVENTS, {})()
        assert count(conn.execute(EVENTS).fetchall()) == count(beside_rows)


def test_setup_runs_on_both_connections(ledger: Ledger) -> None:
    setting = "SELECT current_setting('work_mem') AS n"
    with shared_snapshot(ledger, "SET LOCAL work_mem = '7MB'") as (conn, beside):
        assert beside.parallel
        assert beside.start(setting, {})() == conn.execute(setting).fetchall() == [{"n": "7MB"}]


def test_without_a_free_connection_the_query_runs_on_the_first(ledger: Ledger) -> None:
    with all_connections_but_one_lent(ledger), shared_snapshot(ledger) as (conn, beside):
        before = count(conn.execute(EVENTS).fetchall())
        assert not beside.parallel
        assert count(beside.start(EVENTS, {})()) == before


def test_a_query_that_fails_beside_fails_the_read_and_both_connections_come_back(
    ledger: Ledger,
) -> None:
    # Through the first connection's pool, as eventsourcing names psycopg's errors.
    with pytest.raises(DataError, match="division by zero"):
        with shared_snapshot(ledger) as (_, beside):
            assert beside.parallel
            beside.start("SELECT 1 / 0 AS n", {})()
    with shared_snapshot(ledger) as (conn, beside):  # the pool's connections are usable again
        assert beside.parallel
        assert beside.start("SELECT 1 AS n", {})() == conn.execute("SELECT 1 AS n").fetchall()
    assert ledger.store.datastore.pool.get_stats().get("connections_errors", 0) == 0


def test_a_read_that_fails_cancels_what_runs_beside(ledger: Ledger) -> None:
    class Failed(Exception):
        pass

    with pytest.raises(Failed):
        with shared_snapshot(ledger) as (_, beside):
            sleeping = beside.start("SELECT pg_sleep(60) AS n", {})
            raise Failed
    with pytest.raises(psycopg.errors.QueryCanceled):
        sleeping()
    with shared_snapshot(ledger) as (conn, beside):
        assert beside.start("SELECT 2 AS n", {})() == conn.execute("SELECT 2 AS n").fetchall()
