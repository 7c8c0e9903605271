"""A view read's snapshot (`ledger.api.reads.view_snapshot`): the view's position and lag come
with its BEGIN, in the snapshot the rest of the read sees; the transaction is read only; a read
that fails gives its connection back usable for a write; and the whole read, a page included,
costs three round trips to PostgreSQL (the BEGIN with the status, the page, the COMMIT), each
counted by libpq's own trace of the protocol."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from eventsourcing.persistence import PersistenceError

from ledger.api.reads import view_snapshot
from ledger.application.service import Ledger
from ledger.projections.status import view_position
from tests.conftest import actor, all_connections_but_one_lent, register

CLERK = actor("snapshot-clerk", "clerk", unit="人社")
EVENTS = "SELECT count(*) AS n FROM ledger_events"


@contextmanager
def round_trips(ledger: Ledger) -> Iterator[list[int]]:
    """The one connection the pool has left to lend, traced by libpq while the block runs: the
    list holds, after it, how many times the server said it was ready for a query again
    (ReadyForQuery ends each round trip, a pipeline's one Sync included)."""
    counted: list[int] = []
    with all_connections_but_one_lent(ledger), tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "trace"
        with trace.open("w") as out:
            with ledger.store.datastore.pool.connection() as conn:
                conn.pgconn.trace(out.fileno())
            try:
                yield counted
            finally:
                with ledger.store.datastore.pool.connection() as conn:
                    conn.pgconn.untrace()
        lines = trace.read_text().splitlines()
        counted.append(sum(1 for line in lines if "\tB\t" in line and "ReadyForQuery" in line))


def test_the_status_is_read_in_the_snapshot_the_read_sees(ledger: Ledger) -> None:
    register(ledger, CLERK)
    with view_snapshot(ledger, "cases") as (conn, position, lag):
        before = conn.execute(EVENTS).fetchone()
        register(ledger, CLERK)  # committed after the read began
        again = view_position(conn.cursor(row_factory=psycopg.rows.tuple_row), "cases")
        assert conn.execute(EVENTS).fetchone() == before
    assert (again[0], again[1].events) == (position, lag.events)


def test_the_read_is_read_only(ledger: Ledger) -> None:
    with pytest.raises(PersistenceError) as raised:
        with view_snapshot(ledger, "cases") as (conn, _, _):
            conn.execute("DELETE FROM view_cases")
    assert isinstance(raised.value.__cause__, psycopg.errors.ReadOnlySqlTransaction)


@pytest.mark.parametrize("failure", ["python", "sql"])
def test_a_read_that_fails_gives_its_connection_back_usable_for_a_write(
    ledger: Ledger, failure: str
) -> None:
    with all_connections_but_one_lent(ledger):
        with pytest.raises((ZeroDivisionError, psycopg.Error, PersistenceError)):
            with view_snapshot(ledger, "cases") as (conn, _, _):
                if failure == "python":
                    raise ZeroDivisionError
                conn.execute("SELECT 1 / 0")
        receipt = register(ledger, CLERK)  # on that same connection: not read only, not aborted
    assert receipt.position > 0


def test_a_view_read_costs_three_round_trips(ledger: Ledger) -> None:
    register(ledger, CLERK)
    with round_trips(ledger) as counted:
        with view_snapshot(ledger, "cases") as (conn, _, _):
            conn.execute("SELECT * FROM view_cases LIMIT 1").fetchall()
    assert counted == [3]
