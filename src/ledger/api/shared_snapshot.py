"""One snapshot read on two connections, so that a read's slowest query runs beside the others.

Why: a month's timeliness report is nine queries on one backend, one after another, and one core
runs them while the other waits. The slowest of them (the completions' exact median and p90, a
sort of every 办结 case completed in P) cannot be kept per day as the counts are. PostgreSQL's
synchronized snapshots (`pg_export_snapshot` and `SET TRANSACTION SNAPSHOT`, what `pg_dump --jobs`
uses; on a standby too since PostgreSQL 10) let a second pooled connection of the same server
read exactly what the first reads, so the report stays one consistent snapshot, with one position,
while its queries run in parallel.

The second connection is only borrowed when one is free at once: when the pool is busy (many
reads at a time, when parallelism buys nothing), the queries meant for it run on the first, one
after another, with the same answer.

    with shared_snapshot(ledger, "SET LOCAL TIME ZONE 'UTC'") as (conn, beside):
        completions = beside.start(query, params)  # runs now, on the second connection
        ...  # the other queries, on conn
        rows = completions()  # waits for it (or, without a second connection, runs it here)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from psycopg import sql
from psycopg_pool import PoolTimeout

from ledger.api.reads import Conn, sourced_snapshot

if TYPE_CHECKING:
    from ledger.application.service import Ledger

BORROW_WAIT = 0.002
"""Seconds to wait for a free second connection before running everything on the first."""
CANCEL_EVERY = 0.05
"""Seconds between cancels of what still runs beside a read that failed."""
Rows = list[dict[str, Any]]

_THREADS = ThreadPoolExecutor(thread_name_prefix="ledger-beside")
"""Runs the second connections' queries (as many at a time as connections are lent)."""


class Beside:
    """Queries started on the second connection of a shared snapshot, if it has one."""

    def __init__(self, first: Conn, second: Conn | None) -> None:
        self._first, self._second = first, second
        self._started: list[Future[Rows]] = []

    @property
    def parallel(self) -> bool:
        """Whether a second connection was lent (else `start` runs its query when asked)."""
        return self._second is not None

    def start(self, query: str, params: Mapping[str, Any]) -> Callable[[], Rows]:
        """Run `query` on the second connection from now; the returned call gives its rows
        (waiting for them). Without a second connection, the call runs it on the first."""
        if (second := self._second) is None:
            first = self._first
            return lambda: list(first.execute(query, params).fetchall())
        # Started twice, the queries take turns: a psycopg connection runs one at a time.
        future = _THREADS.submit(lambda: list(second.execute(query, params).fetchall()))
        self._started.append(future)
        return future.result

    def settle(self, failed: bool) -> None:
        """Wait for what was started (the connection goes back to its pool after it); when the
        read failed, cancel it first rather than wait for it."""
        if failed and (second := self._second) is not None:
            # Again until it ends: a cancel that arrives before the query starts cancels nothing.
            while not all(f.done() for f in self._started):
                second.cancel_safe()
                wait(self._started, timeout=CANCEL_EVERY)
        wait(self._started)


@contextmanager
def shared_snapshot(
    ledger: Ledger, *setup: str, beside: bool = True
) -> Iterator[tuple[Conn, Beside]]:
    """`snapshot` (one REPEATABLE READ, READ ONLY transaction, routed as the request is), and a
    `Beside` over a second connection of the same server in the same snapshot when one is free
    (and `beside` asks for one). `setup` (e.g. `SET LOCAL` statements) runs on each connection
    first."""
    with sourced_snapshot(ledger) as (conn, source), ExitStack() as stack:
        for statement in setup:
            conn.execute(statement)
        second = _joined(stack, source, conn) if beside else None
        if second is not None:
            for statement in setup:
                second.execute(statement)
        started = Beside(conn, second)
        try:
            yield conn, started
        except BaseException:
            started.settle(failed=True)
            raise
        started.settle(failed=False)


def _joined(stack: ExitStack, source: Ledger, conn: Conn) -> Conn | None:
    """A free connection of `source`'s pool in a transaction importing `conn`'s snapshot, or
    None when none is free at once."""
    try:
        second: Conn = stack.enter_context(
            source.store.datastore.pool.connection(timeout=BORROW_WAIT)
        )
    except PoolTimeout:
        return None
    exported = conn.execute("SELECT pg_export_snapshot() AS id").fetchone()
    assert exported is not None
    stack.enter_context(second.transaction())
    second.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    second.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(exported["id"]))
    return second
