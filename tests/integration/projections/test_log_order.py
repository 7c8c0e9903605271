"""A reader tailing the notification log never skips an event, however writers interleave.

The hazard (event-store-anchors §0): a sequence number is allocated at INSERT but becomes visible
at COMMIT, so a later number can commit first and a reader that bookmarks "last seen" passes the
earlier one for ever. The insert lock (ledger_append_events() takes it, and a trigger for any other
insert; eventsourcing's EXCLUSIVE table lock until migration 0028) makes insert order equal commit
order. The control test shows the same reader does skip when writers bypass the lock, so the first
test can fail.
"""

from __future__ import annotations

import threading
import time
from uuid import uuid4

import psycopg
import pytest

from ledger.application.service import Ledger
from tests.conftest import actor
from tests.conftest import register as register_case

CLERK = actor("clerk-r", "clerk", unit="人社")
INSERT_RAW = (
    "INSERT INTO ledger_events (originator_id, originator_version, topic, state) "
    "VALUES (%s, 1, 'tests:Raw', '\\x7b7d') RETURNING notification_id"
)
APPEND_RAW = (
    "SELECT notification_id FROM ledger_append_events("
    "ARRAY[ROW(%s, 1, 'tests:Raw', '\\x7b7d')::stored_event_uuid])"
)


class TailingReader(threading.Thread):
    """Polls for notifications after the last one it saw, as every projection does."""

    def __init__(self, ledger: Ledger) -> None:
        super().__init__(daemon=True)
        self.ledger = ledger
        self.seen: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        last = 0
        while not self.stop.is_set():
            for n in self.ledger.recorder.select_notifications(last + 1, 100):
                self.seen.append(n.id)
                last = n.id
            time.sleep(0.002)


def slow_locked_writer(conninfo: str, started: threading.Event, hold: float) -> None:
    """Appends exactly as the ledger does (the function takes the insert lock), then dawdles
    before COMMIT."""
    with psycopg.connect(conninfo) as conn, conn.transaction():
        conn.execute(APPEND_RAW, (uuid4(),))
        started.set()
        time.sleep(hold)


def register(ledger: Ledger) -> None:
    register_case(ledger, CLERK, centre="order", name="王某")


@pytest.fixture
def isolated_ledger(settings, database_factory):
    database = database_factory()
    ledger = Ledger(settings, database)
    yield ledger, database
    ledger.close()


def test_concurrent_writers_never_make_a_reader_skip_an_event(isolated_ledger) -> None:
    ledger, database = isolated_ledger
    reader = TailingReader(ledger)
    reader.start()
    for _ in range(5):
        started = threading.Event()
        slow = threading.Thread(
            target=slow_locked_writer, args=(database.app_conninfo, started, 0.3)
        )
        slow.start()
        started.wait()
        fast = threading.Thread(target=register, args=(ledger,))  # must queue behind the lock
        fast.start()
        slow.join()
        fast.join()
    time.sleep(0.2)
    reader.stop.set()
    reader.join()

    stored = [n.id for n in ledger.recorder.select_notifications(1, 1000)]
    # each round: a raw row + the series' NumberIssued, Registered and the number index
    # (and once, the series' Started)
    assert len(stored) == 5 * 4 + 1
    assert reader.seen == stored


INSERT_LOCK = "ledger_events_insert_lock"
"""The trigger that takes the insert lock for inserts outside the append function
(migrations/0028_insert_lock_advisory.sql)."""


def test_control_writers_that_bypass_the_lock_do_make_a_reader_skip(isolated_ledger) -> None:
    ledger, database = isolated_ledger
    reader = TailingReader(ledger)
    reader.start()
    with (
        psycopg.connect(database.owner_conninfo) as slow,
        psycopg.connect(database.owner_conninfo, autocommit=True) as fast,
    ):
        # The owner's inserts take the lock too (a statement trigger): only with it disabled
        # can writers bypass it.
        fast.execute(f"ALTER TABLE ledger_events DISABLE TRIGGER {INSERT_LOCK}")
        try:
            with slow.transaction():
                slow.execute(INSERT_RAW, (uuid4(),))  # takes the lower id, commits last
                fast.execute(INSERT_RAW, (uuid4(),))  # takes the higher id, commits first
                time.sleep(0.3)  # the reader sees the higher id and moves past the lower
        finally:
            fast.execute(f"ALTER TABLE ledger_events ENABLE TRIGGER {INSERT_LOCK}")
    time.sleep(0.2)
    reader.stop.set()
    reader.join()

    stored = [n.id for n in ledger.recorder.select_notifications(1, 10)]
    assert len(stored) == 2
    assert reader.seen == stored[1:]  # the earlier id was skipped for ever
