"""A view read's transaction: one REPEATABLE READ, READ ONLY transaction on a pooled connection,
begun together with the view's position and lag in one round trip (`read_only`).

On a busy machine each round trip costs a wait for PostgreSQL's backend to get a core, then for
the reading thread to get one and the GIL back. A view read made six (BEGIN, SET TRANSACTION, the
position, the lag, the page, COMMIT) and now makes three (docs/DECISIONS.md, "A view read in three
round trips").
"""

from __future__ import annotations

from contextlib import ExitStack
from functools import partial
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg.rows import DictRow, tuple_row

from ledger.api.schemas.view_reads import Lag
from ledger.projections.status import (
    VIEW_STATUS,
    Behind,
    view_position,
    view_status_of,
    view_status_params,
)

if TYPE_CHECKING:
    from ledger.application.service import Ledger

Conn = psycopg.Connection[DictRow]
ViewStatus = tuple[int, Lag]
_BEGIN = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"


def read_only(ledger: Ledger, view: str | None) -> tuple[ExitStack, Conn, ViewStatus | None]:
    """A pooled connection of `ledger`'s, in a REPEATABLE READ, READ ONLY transaction begun, and
    `view`'s status as of it; the stack ends both. One round trip: the BEGIN, with its options,
    and the view's position and lag go together in a pipeline."""
    stack = ExitStack()
    try:
        conn = stack.enter_context(ledger.store.datastore.get_connection())
        stack.push(partial(_end, conn))
        with conn.pipeline():
            conn.execute(_BEGIN)
            if view is not None:
                read = _tuples(conn).execute(VIEW_STATUS, view_status_params(view))
        status = None if view is None else _lag_of(*view_status_of(read.fetchone()))
    except BaseException as e:
        stack.__exit__(type(e), e, e.__traceback__)
        raise
    return stack, conn, status


def _end(conn: Conn, error: type[BaseException] | None, *_: object) -> None:
    """Commit the read's transaction, or roll it back after an error (a connection lost with it
    goes back to the pool, which discards it)."""
    if conn.broken or conn.closed:
        return
    if error is None:
        conn.commit()
    else:
        conn.rollback()


def _tuples(conn: Conn) -> psycopg.Cursor[tuple[Any, ...]]:
    """A tuple cursor of the same connection: it shares the transaction's snapshot."""
    return conn.cursor(row_factory=tuple_row)


def _lag_of(position: int, behind: Behind) -> ViewStatus:
    return position, Lag(events=behind.events, seconds=behind.seconds)


def view_status(conn: Conn, view: str) -> ViewStatus:
    """`view`'s position and lag, read on `conn` (so as of its snapshot)."""
    return _lag_of(*view_position(_tuples(conn), view))
