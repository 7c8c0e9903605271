"""A projector that reads some topics passes other topics' writes in bulk (`linger_after`): after
a batch that applied nothing it gathers NOTIFYs before the next, so a stream of unrelated writes
costs a few transactions rather than one each. A read waiting on that view after an unrelated
write still resolves, an event of its own topics that arrives meanwhile is still applied, and one
that comes after a quiet spell longer than the wait is read at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

import psycopg
import pytest

from ledger.application.service import Ledger
from ledger.log.notary import EVENTS_CHANNEL
from ledger.projections.batch import PROJECTED_CHANNEL
from ledger.projections.projector import Projector
from ledger.projections.waiter import PositionWaiter
from ledger.store.database import Database
from tests.conftest import actor, register
from tests.projection_support import (
    PING_TOPIC,
    Counts,
    fill_log,
    fresh_ledger,  # noqa: F401 (the `ledger` fixture)
    make_view,
    view_counts,
)

CLERK = actor("clerk-t", "clerk", unit="人社")
WRITES = 60


class PingCounts(Counts):
    """`Counts` of Pings only: the ledger's own events are other topics to it."""

    name = "test_ping_counts"
    table = "test_ping_counts"
    topics: ClassVar[frozenset[str] | None] = frozenset({PING_TOPIC})


@pytest.fixture
def database(database_factory: Callable[[], Database]) -> Database:
    db = database_factory()
    make_view(db, PingCounts.table)
    return db


@dataclass
class Live:
    """A live projector of `PingCounts`, a waiter, and a case to append to."""

    database: Database
    waiter: PositionWaiter
    case_id: UUID

    def caught_up(self, position: int | None = None) -> int:
        """Wait until the view has passed `position` (the log's head if None)."""
        target = head(self.database) if position is None else position
        return self.waiter.wait_blocking(PingCounts.name, target, timeout=10)


@contextmanager
def live(ledger: Ledger, database: Database, passing: float) -> Iterator[Live]:
    """`PingCounts` projected live in a thread, passing other topics with `passing`, and caught
    up with a newly registered case."""
    stop = threading.Event()
    projector = Projector(
        database.app_conninfo, PingCounts(), idle_timeout=30, passing_linger=passing
    )
    thread = threading.Thread(target=projector.run, args=(stop,))
    thread.start()
    waiter = PositionWaiter(database.app_conninfo).start()
    try:
        state = Live(database, waiter, register(ledger, CLERK).case_id)
        state.caught_up()
        yield state
    finally:
        waiter.close()
        stop.set()
        thread.join(10)


def head(database: Database) -> int:
    with psycopg.connect(database.owner_conninfo) as conn:
        row = conn.execute("SELECT coalesce(max(notification_id), 0) FROM ledger_events").fetchone()
    assert row is not None
    return int(row[0])


def notify_insert(database: Database) -> None:
    """What an append NOTIFYs (`fill_log`'s COPY does not)."""
    with psycopg.connect(database.owner_conninfo, autocommit=True) as conn:
        conn.execute(f"NOTIFY {EVENTS_CHANNEL}")


def batches(listener: psycopg.Connection[Any]) -> int:
    """The live batches `PingCounts` committed since the last call: each NOTIFYs its position."""
    prefix = f"{PingCounts.name}:"
    return sum(1 for n in listener.notifies(timeout=0.5) if n.payload.startswith(prefix))


def test_unrelated_writes_are_passed_in_a_few_batches_and_a_wait_on_the_view_resolves(
    ledger: Ledger, database: Database
) -> None:
    with (
        psycopg.connect(database.owner_conninfo, autocommit=True) as listener,
        live(ledger, database, passing=0.5) as view,
    ):
        listener.execute(f"LISTEN {PROJECTED_CHANNEL}")
        batches(listener)
        positions = [
            ledger.append(view.case_id, CLERK, "VisitRecorded").position for _ in range(WRITES)
        ]
        reached = view.caught_up(positions[-1])
        passed = batches(listener)

    assert reached >= positions[-1]
    # One batch a write (WRITES of them) without the wait; at most one per half second with it,
    # plus the first, which comes at once.
    assert 1 <= passed <= 12, passed


def test_an_event_of_its_topics_that_comes_while_it_gathers_is_applied(
    ledger: Ledger, database: Database
) -> None:
    with live(ledger, database, passing=0.3) as view:
        ledger.append(view.case_id, CLERK, "VisitRecorded")  # passed: the projector now gathers
        fill_log(database, 3)  # Pings, while it gathers
        notify_insert(database)
        view.caught_up()
        with psycopg.connect(database.owner_conninfo) as conn:
            counted = view_counts(conn, PingCounts.table)

    assert sum(counted.values()) == 3


def test_an_event_after_a_quiet_spell_is_read_at_once_not_after_the_wait(
    ledger: Ledger, database: Database
) -> None:
    with live(ledger, database, passing=1.5) as view:
        ledger.append(view.case_id, CLERK, "VisitRecorded")
        view.caught_up()  # passed
        time.sleep(2.0)  # quiet for longer than the projector's wait
        started = time.monotonic()
        fill_log(database, 1)
        notify_insert(database)
        view.caught_up()
        waited = time.monotonic() - started

    # At once, not after the 1.5 s a batch that passed only other topics would make the next wait.
    assert waited < 1.0, waited
