"""An event a projection cannot apply, on a real PostgreSQL, through a test projection with a
bug (`Fussy`): the runtime finds that exact event in a large batch, applies everything before
it, stops right before it with a record and does not loop; retry after a fix applies it, a
retry without one records another attempt; a rebuild stops with a record too, and skips what an
operator skipped; a transient error (the projector's connection killed) is never recorded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from ledger.projections.failures import NothingStopped, retry, skip
from ledger.projections.projector import Projector
from ledger.projections.rebuild import RebuildStopped, rebuild
from ledger.projections.status import projection_status, stopped_projections
from ledger.projections.worker import ProjectionWorker
from ledger.store.database import Database
from tests.projection_support import (
    PING_TOPIC,
    Counts,
    Fussy,
    SlowCounts,
    failures,
    fill_log,
    log_counts,
    make_view,
    stopped_before,
    view_counts,
    wait_until,
)


@pytest.fixture
def database(database_factory: Callable[[], Database]) -> Database:
    db = database_factory()
    make_view(db)
    return db


@pytest.fixture
def owner(database: Database) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database.owner_conninfo, autocommit=True) as conn:
        yield conn


@pytest.fixture(autouse=True)
def no_bug() -> Iterator[None]:
    Fussy.refused = set()
    yield
    Fussy.refused = set()


def tracked(conn: psycopg.Connection[Any], name: str = "test_counts") -> dict[int, int]:
    return dict(
        conn.execute(
            "SELECT generation, position FROM ledger_projection_tracking WHERE name = %s",
            (name,),
        ).fetchall()
    )


def test_the_failing_event_is_found_in_a_large_batch_everything_before_it_applied_and_it_stops(
    database: Database, owner: psycopg.Connection[Any]
) -> None:
    fill_log(database, 1_000)  # Ping n is at position n + 1
    Fussy.refused = {637, 900}
    projector = Projector(database.app_conninfo, Fussy(), batch_size=1_000)

    batch = projector.step()
    again = [projector.step() for _ in range(3)]  # stopped: no read, no second record
    projector.close()

    assert (batch.events, batch.position, batch.full) == (637, 637, False)
    assert batch.stopped_before == 638 and projector.stopped_before == 638
    assert batch.failure is not None and batch.failure.position == 638
    assert view_counts(owner) == log_counts(owner, 637)  # all before it, nothing after it
    assert tracked(owner) == {1: 637}
    assert [(b.events, b.position, b.stopped_before) for b in again] == [(0, 637, 638)] * 3
    [record] = failures(owner)
    event = owner.execute(
        "SELECT originator_id, originator_version FROM ledger_events WHERE notification_id = 638"
    ).fetchone()
    assert record["name"] == "test_counts" and record["position"] == 638
    assert (record["originator_id"], record["originator_version"]) == event
    assert record["topic"] == PING_TOPIC
    assert record["error_class"] == "builtins.ValueError"
    assert record["error"].startswith("raised at tests.projection_support:")  # no message
    assert record["error"].endswith(" in apply") and "637" not in record["error"]
    assert (record["attempts"], record["state"], record["generation"]) == (1, "failed", 1)


def test_a_retry_without_a_fix_records_another_attempt_and_a_retry_after_one_goes_on(
    database: Database, owner: psycopg.Connection[Any]
) -> None:
    fill_log(database, 100)
    Fussy.refused = {49}
    projector = Projector(database.app_conninfo, Fussy(), batch_size=30)
    projector.catch_up()
    with psycopg.connect(database.app_conninfo, autocommit=True) as conn:
        [first_retry] = retry(conn, "test_counts", by="ops-1", reason="flaky?")
        projector.catch_up()
        after_failed_retry = failures(owner)[0]
        Fussy.refused = set()  # the fix is deployed
        retry(conn, "test_counts", by="ops-1", reason="fixed in 1.2.3")
        position = projector.catch_up()
        with pytest.raises(NothingStopped):
            retry(conn, "test_counts", by="ops-1")
    projector.close()

    assert first_retry.position == 50 and first_retry.state == "retried"
    assert after_failed_retry["attempts"] == 2 and after_failed_retry["state"] == "failed"
    assert after_failed_retry["resolved_by"] == "ops-1"  # the retry it failed after
    assert position == 100 and projector.stopped_before is None
    assert view_counts(owner) == log_counts(owner)  # event 50 applied too, once
    [record] = failures(owner)
    assert (record["state"], record["reason"], record["attempts"]) == (
        "retried",
        "fixed in 1.2.3",
        2,
    )


def test_a_rebuild_stops_with_a_record_on_a_new_poison_event_and_skips_what_was_skipped(
    database: Database, owner: psycopg.Connection[Any]
) -> None:
    fill_log(database, 300)
    Projector(database.app_conninfo, Counts(), batch_size=100).catch_up()  # the old code
    Fussy.refused = {150}  # the new code has a bug

    with pytest.raises(RebuildStopped) as stopped:
        rebuild(database.app_conninfo, Fussy(), batch_size=100)
    with psycopg.connect(database.app_conninfo, autocommit=True) as conn:
        during = projection_status(conn, "test_counts")
        live_stops = stopped_projections(conn)
        skip(conn, "test_counts", by="ops-2", reason="a test ping", position=151)
    done = rebuild(database.app_conninfo, Fussy(), batch_size=100)
    with psycopg.connect(database.app_conninfo, autocommit=True) as conn:
        after = projection_status(conn, "test_counts")

    assert stopped.value.generation == 2 and stopped.value.stopped_before == 151
    assert "event 151" in str(stopped.value) and "ValueError" in str(stopped.value)
    assert during.generation == 1 and during.stopped is None  # the live view goes on
    assert during.rebuilding == 2 and during.rebuild_position == 150
    assert during.rebuild_stopped is not None and during.rebuild_stopped.position == 151
    assert live_stops == []  # /health: no live view is stopped
    assert done.generation == 2 and done.skipped == (151,) and done.position == 300
    assert after.stopped is None and [s.position for s in after.skipped] == [151]
    counts = log_counts(owner)
    row = owner.execute("SELECT originator_id FROM ledger_events WHERE notification_id = 151")
    counts[row.fetchone()[0]] -= 1  # type: ignore[index]
    assert view_counts(owner) == counts  # knowingly missing exactly the skipped event


def test_a_killed_connection_is_retried_not_recorded_and_the_projection_recovers(
    database: Database, owner: psycopg.Connection[Any]
) -> None:
    make_view(database, "test_slow_counts")
    fill_log(database, 2_000)
    worker = ProjectionWorker(database.app_conninfo, [SlowCounts], batch_size=200).start()
    try:
        in_flight = wait_until(
            lambda: owner.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND application_name = 'ledger projection test_slow_counts' "
                "AND state = 'idle in transaction'"
            ).fetchone()
        )
        killed = owner.execute("SELECT pg_terminate_backend(%s)", in_flight).fetchone()
        wait_until(lambda: tracked(owner, "test_slow_counts").get(1) == 2_000, timeout=60)
    finally:
        worker.stop()

    assert killed == (True,)
    assert failures(owner) == []
    assert stopped_before(owner, "test_slow_counts") is None
    assert view_counts(owner, "test_slow_counts") == log_counts(owner)


def test_a_running_worker_stops_one_projection_keeps_the_others_and_resumes_on_skip(
    database: Database, owner: psycopg.Connection[Any]
) -> None:
    make_view(database, "test_twin")

    class Twin(Counts):
        name = "test_twin"
        table = "test_twin"

    fill_log(database, 50)
    fill_log(database, 1, first=-1)  # position 51: the poison
    fill_log(database, 49, first=51)
    Fussy.refused = {-1}
    worker = ProjectionWorker(
        database.app_conninfo, [Fussy, Twin], batch_size=1_000, idle_timeout=0.2
    ).start()
    try:
        wait_until(lambda: stopped_before(owner, "test_counts") == 51)
        wait_until(lambda: tracked(owner, "test_twin").get(1) == 100)
        time.sleep(1.0)  # several idle rounds while stopped
        attempts = failures(owner)[0]["attempts"]
        with psycopg.connect(database.app_conninfo, autocommit=True) as conn:
            t0 = time.monotonic()
            skip(conn, "test_counts", by="ops-3", reason="test poison")
        wait_until(lambda: tracked(owner).get(1) == 100, timeout=10)
        resumed_after = time.monotonic() - t0
    finally:
        worker.stop()

    assert attempts == 1  # stopped, not looping
    assert view_counts(owner, "test_twin") == log_counts(owner)
    assert sum(view_counts(owner).values()) == 99  # all but the skipped event
    assert resumed_after < 5  # woken by the skip's NOTIFY (and the idle check), not stuck
    [record] = failures(owner)
    assert (record["state"], record["resolved_by"], record["reason"]) == (
        "skipped",
        "ops-3",
        "test poison",
    )


def test_a_batch_that_fails_only_as_a_whole_is_applied_in_parts_and_nothing_is_recorded(
    database: Database, owner: psycopg.Connection[Any]
) -> None:
    class TooBig(Counts):
        """Refuses any batch of more than 10 events (a limit, not an event, at fault)."""

        def apply(self, cur: Any, generation: int, events: Any) -> None:
            if len(events) > 10:
                raise ValueError("batch too large")
            super().apply(cur, generation, events)

    fill_log(database, 40)
    projector = Projector(database.app_conninfo, TooBig(), batch_size=40)
    batch = projector.step()
    projector.close()

    assert (batch.events, batch.position, batch.stopped_before) == (40, 40, None)
    assert failures(owner) == []
    assert view_counts(owner) == log_counts(owner)


def test_two_projectors_on_a_stopped_projection_record_it_once(
    database: Database, owner: psycopg.Connection[Any]
) -> None:
    fill_log(database, 200)
    Fussy.refused = {120}
    a = Projector(database.app_conninfo, Fussy(), batch_size=50)
    b = Projector(database.app_conninfo, Fussy(), batch_size=50)
    barrier = threading.Barrier(2)

    def run(projector: Projector) -> int | None:
        barrier.wait()
        projector.catch_up()
        projector.catch_up()
        return projector.stopped_before

    results: list[int | None] = []
    threads = [threading.Thread(target=lambda p=p: results.append(run(p))) for p in (a, b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    a.close()
    b.close()

    assert results == [121, 121]
    [record] = failures(owner)
    assert record["attempts"] == 1
    assert view_counts(owner) == log_counts(owner, 120)
