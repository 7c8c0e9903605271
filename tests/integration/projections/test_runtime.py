"""The projection runtime on a real PostgreSQL: batches are atomic with their tracking position,
resume where they stopped, never skip or double (16 writers, two projectors at once), rebuild
beside the live view and swap atomically; reads wait for their own writes, pushed by NOTIFY.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar
from uuid import UUID

import psycopg
import pytest
from litestar import Litestar, Request, get
from litestar.testing import TestClient

from ledger.api.errors import EXCEPTION_HANDLERS
from ledger.api.reads import MinPosition, wait_for_view
from ledger.application.service import Ledger
from ledger.domain.case import Case
from ledger.projections import status
from ledger.projections.base import ProjectedEvent
from ledger.projections.projector import Projector
from ledger.projections.rebuild import RebuildInProgress, rebuild
from ledger.projections.status import projection_status, read_status
from ledger.projections.waiter import NotCaughtUp, PositionWaiter
from ledger.projections.worker import ProjectionWorker
from ledger.store.database import Database
from tests.conftest import actor, register
from tests.projection_support import (  # fresh_ledger, owner_connection: fixtures
    PING_TOPIC,
    Counts,
    fill_log,
    fresh_ledger,  # noqa: F401
    log_counts,
    make_view,
    owner_connection,  # noqa: F401
    view_counts,
    wait_until,
)

CLERK = actor("clerk-p", "clerk", unit="人社")


@pytest.fixture
def database(database_factory: Callable[[], Database]) -> Database:
    """A fresh database per test with the `test_counts` view table."""
    db = database_factory()
    make_view(db)
    return db


def head(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT coalesce(max(notification_id), 0) FROM ledger_events").fetchone()
    assert row is not None
    return int(row[0])


def tracked(conn: psycopg.Connection[Any], name: str = "test_counts") -> dict[int, int]:
    return dict(
        conn.execute(
            "SELECT generation, position FROM ledger_projection_tracking WHERE name = %s",
            (name,),
        ).fetchall()
    )


def consistent_read(conn: psycopg.Connection[Any]) -> tuple[int, bool]:
    """One read as an API would make it (joined on the live generation), in one snapshot: the
    view must equal the log up to the position it reports."""
    with conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        row = conn.execute(
            "SELECT t.position FROM ledger_projections p JOIN ledger_projection_tracking t "
            "ON t.name = p.name AND t.generation = p.generation WHERE p.name = 'test_counts'"
        ).fetchone()
        position = int(row[0]) if row else 0
        return position, view_counts(conn) == log_counts(conn, position)


# --- batches ------------------------------------------------------------------------------------


class FailsOnce(Counts):
    """Writes its rows, then fails in the batch holding position `fail_at` (once) with `error`."""

    fail_at: ClassVar[int] = 0
    error: ClassVar[Exception] = RuntimeError("the view could not be written")

    def apply(
        self, cur: psycopg.Cursor[Any], generation: int, events: Sequence[ProjectedEvent]
    ) -> None:
        super().apply(cur, generation, events)
        if any(e.position == self.fail_at for e in events):
            type(self).fail_at = 0
            raise self.error


def failure_records(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
    return conn.execute("SELECT name, position FROM ledger_projection_failures").fetchall()


def test_a_batch_commits_its_view_rows_and_its_position_together_or_not_at_all(
    database: Database, owner: psycopg.Connection[Any]
) -> None:
    fill_log(database, 250)
    FailsOnce.fail_at, FailsOnce.error = 150, psycopg.errors.SerializationFailure("conflict")
    projector = Projector(database.app_conninfo, FailsOnce(), batch_size=100)

    first = projector.step()
    with pytest.raises(psycopg.errors.SerializationFailure):  # transient: raised, retried later
        projector.step()
    after_failure = tracked(owner)
    counts_after_failure = view_counts(owner)
    position = projector.catch_up()
    projector.close()

    assert (first.events, first.position, first.full) == (100, 100, True)
    assert after_failure == {1: 100}
    assert counts_after_failure == log_counts(owner, 100)  # the failed batch left no row behind
    assert position == head(owner) == 250
    assert view_counts(owner) == log_counts(owner)
    assert failure_records(owner) == []


def test_a_batch_that_fails_once_for_another_reason_is_redone_at_once_and_nothing_is_recorded(
    database: Database, owner: psycopg.Connection[Any]
) -> None:
    fill_log(database, 250)
    FailsOnce.fail_at, FailsOnce.error = 150, RuntimeError("the view could not be written")
    projector = Projector(database.app_conninfo, FailsOnce(), batch_size=100)

    batches = [projector.step() for _ in range(3)]
    projector.close()

    assert [(b.events, b.position) for b in batches] == [(100, 100), (100, 200), (50, 250)]
    assert view_counts(owner) == log_counts(owner)  # the failed attempt's rows were undone
    assert failure_records(owner) == [] and projector.stopped_before is None
    assert tracked(owner) == {1: 250}


def test_a_projector_resumes_exactly_where_it_stopped(
    database: Database, owner: psycopg.Connection[Any]
) -> None:
    fill_log(database, 1_234)
    first = Projector(database.app_conninfo, Counts(), batch_size=500)
    assert first.step().position == 500
    first.close()

    fill_log(database, 766)
    second = Projector(database.app_conninfo, Counts(), batch_size=500)
    batches = []
    while (batch := second.step()).full:
        batches.append(batch)
    batches.append(batch)
    second.close()

    assert [b.position for b in batches] == [1000, 1500, 2000, 2000]
    assert [b.events for b in batches] == [500, 500, 500, 0]
    assert view_counts(owner) == log_counts(owner)
    assert sum(view_counts(owner).values()) == 2_000


# --- concurrency --------------------------------------------------------------------------------


class CaseEvents(Counts):
    """Counts only the Case aggregate's events (the log also holds case-number events)."""

    name = "test_case_counts"
    table = "test_case_counts"
    topics = frozenset(
        f"ledger.domain.case:Case.{t}"
        for t in ("Registered", "VisitRecorded")  # what the writers below record
    )
    seen_types: ClassVar[set[type]] = set()

    def apply(
        self, cur: psycopg.Cursor[Any], generation: int, events: Sequence[ProjectedEvent]
    ) -> None:
        type(self).seen_types.update(type(e.event) for e in events)
        super().apply(cur, generation, events)


def test_sixteen_writers_and_a_running_worker_neither_skip_nor_double(
    ledger: Ledger, database: Database, owner: psycopg.Connection[Any]
) -> None:
    make_view(database, "test_case_counts")
    waiter = PositionWaiter(database.app_conninfo).start()
    worker = ProjectionWorker(database.app_conninfo, [Counts, CaseEvents], batch_size=50).start()
    threads, cases_each, visits_each = 16, 3, 5

    def write(_: int) -> int:
        last = 0
        for _ in range(cases_each):
            case_id = register(ledger, CLERK).case_id
            for _ in range(visits_each):
                last = ledger.append(case_id, CLERK, "VisitRecorded").position
        return last

    try:
        with ThreadPoolExecutor(threads) as pool:
            lasts = list(pool.map(write, range(threads)))
        end = head(owner)
        for name in ("test_counts", "test_case_counts"):
            waiter.wait_blocking(name, end, timeout=30)
    finally:
        worker.stop()
        waiter.close()

    cases = log_counts(owner)
    case_rows = owner.execute(
        "SELECT originator_id, count(*) FROM ledger_events WHERE topic = ANY(%s) "
        "GROUP BY originator_id",
        (list(CaseEvents.topics or ()),),
    ).fetchall()
    assert max(lasts) <= end
    assert view_counts(owner) == cases
    assert view_counts(owner, "test_case_counts") == dict(case_rows)
    assert len(case_rows) == threads * cases_each
    assert set(dict(case_rows).values()) == {1 + visits_each}
    assert tracked(owner, "test_case_counts") == {1: end}  # passed the events it does not read
    assert CaseEvents.seen_types == {Case.Registered, Case.VisitRecorded}  # the aggregate's own


class Sluggish(Counts):
    delay = 0.005


def test_two_projectors_on_one_projection_never_apply_a_batch_twice(
    database: Database, owner: psycopg.Connection[Any]
) -> None:
    stop = threading.Event()

    def keep_writing() -> None:
        while not stop.is_set():
            fill_log(database, 37, per_originator=5)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    a = Projector(database.app_conninfo, Sluggish(), batch_size=40, idle_timeout=0.05)
    b = Projector(database.app_conninfo, Sluggish(), batch_size=40, idle_timeout=0.05)
    applied = {"a": 0, "b": 0}

    def run(which: str, projector: Projector) -> None:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            applied[which] += projector.step().events

    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(run, ("a", "b"), (a, b)))
    finally:
        stop.set()
        writer.join()
    a.catch_up()
    a.close()
    b.close()

    assert applied["a"] > 0 and applied["b"] > 0  # both really took batches
    assert view_counts(owner) == log_counts(owner)
    assert sum(view_counts(owner).values()) == head(owner)


# --- rebuild ------------------------------------------------------------------------------------


class Twin(Counts):
    """The same view under another name: built incrementally, never rebuilt."""

    name = "test_twin"
    table = "test_twin"


class SlowRebuild(Counts):
    """What `rebuild` uses: the same projection, slow enough to be read in the middle."""

    delay = 0.02


def test_a_rebuild_equals_the_incremental_view_and_reads_see_a_complete_view_throughout(
    database: Database, owner: psycopg.Connection[Any]
) -> None:
    make_view(database, "test_twin")
    fill_log(database, 3_000)
    waiter = PositionWaiter(database.app_conninfo).start()
    worker = ProjectionWorker(database.app_conninfo, [Counts, Twin], batch_size=200).start()
    waiter.wait_blocking("test_counts", head(owner), timeout=30)
    stop = threading.Event()
    reads: list[tuple[int, bool]] = []

    def keep_writing() -> None:
        while not stop.wait(0.01):
            fill_log(database, 7, per_originator=3)

    def keep_reading() -> None:
        with psycopg.connect(database.app_conninfo, autocommit=True) as conn:
            while not stop.is_set():
                reads.append(consistent_read(conn))

    helpers = [threading.Thread(target=keep_writing), threading.Thread(target=keep_reading)]
    for thread in helpers:
        thread.start()
    try:
        time.sleep(0.2)
        done = rebuild(database.app_conninfo, SlowRebuild(), batch_size=200)
        swapped_seen_by_waiter = waiter.wait_blocking("test_counts", done.position, timeout=5)
        time.sleep(0.3)  # the live projector goes on, now on generation 2
    finally:
        stop.set()
        for thread in helpers:
            thread.join()
    end = head(owner)
    waiter.wait_blocking("test_counts", end, timeout=30)
    waiter.wait_blocking("test_twin", end, timeout=30)
    worker.stop()
    waiter.close()

    generations = owner.execute("SELECT DISTINCT generation FROM test_counts").fetchall()
    assert (done.old_generation, done.generation) == (1, 2)
    assert done.events >= 3_000
    assert swapped_seen_by_waiter >= done.position
    assert len(reads) > 10 and all(ok for _, ok in reads), [r for r in reads if not r[1]][:3]
    assert [p for p, _ in reads] == sorted(p for p, _ in reads)  # reads never went back
    assert generations == [(2,)]  # the old generation is cleared
    assert tracked(owner) == {2: end}  # the live projector continued on the new generation
    assert view_counts(owner) == view_counts(owner, "test_twin") == log_counts(owner)
    assert owner.execute(
        "SELECT rebuilding, swapped_at IS NOT NULL FROM ledger_projections WHERE name = %s",
        ("test_counts",),
    ).fetchone() == (None, True)


class Dawdles(Counts):
    delay = 0.5


def test_the_swap_waits_for_the_live_batch_in_flight_and_the_next_batch_sees_the_new_generation(
    database: Database, owner: psycopg.Connection[Any]
) -> None:
    fill_log(database, 100)
    live = Projector(database.app_conninfo, Dawdles())
    live.catch_up()
    builder = Projector(database.app_conninfo, Counts())
    old, new = builder.prepare_rebuild()
    builder.build_step(new)
    fill_log(database, 50)  # new originators: the live batch inserts rows into generation 1
    with ThreadPoolExecutor(1) as pool:
        in_flight = pool.submit(live.step)
        time.sleep(0.2)  # it has written its rows and sleeps before committing
        t0 = time.perf_counter()
        swapped = builder.swap(old, new)
        swap_waited = time.perf_counter() - t0
        builder.discard(old)
        late = in_flight.result()
    after = live.step()
    live.close()
    builder.close()

    assert (late.generation, late.position, late.events) == (1, 150, 50)
    assert swap_waited > 0.1  # the swap waited for that batch to commit
    assert (swapped.generation, swapped.position, swapped.events) == (2, 150, 50)
    assert (after.generation, after.position, after.events) == (2, 150, 0)
    assert owner.execute("SELECT DISTINCT generation FROM test_counts").fetchall() == [(2,)]
    assert tracked(owner) == {2: 150}
    assert view_counts(owner) == log_counts(owner)


def test_a_second_rebuild_of_the_same_projection_is_refused_while_one_runs(
    database: Database,
) -> None:
    fill_log(database, 10)
    with psycopg.connect(database.app_conninfo, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s, hashtext('test_counts'))", (0x6C656467,))
        with pytest.raises(RebuildInProgress):
            rebuild(database.app_conninfo, Counts())
        with psycopg.connect(database.app_conninfo, autocommit=True) as conn:
            Projector(database.app_conninfo, Counts()).catch_up()
            (status,) = read_status(conn)
    assert status.rebuild_running is True  # its lock is held (here by the test)
    assert status.rebuilding is None


def test_an_abandoned_rebuild_shows_in_the_status_and_the_next_one_starts_clean(
    database: Database, owner: psycopg.Connection[Any]
) -> None:
    fill_log(database, 500)
    projector = Projector(database.app_conninfo, Counts(), batch_size=100)
    projector.catch_up()
    old, new = projector.prepare_rebuild()
    projector.build_step(new)  # ... and the rebuild's process dies here
    with psycopg.connect(database.app_conninfo, autocommit=True) as conn:
        abandoned = projection_status(conn, "test_counts")

    done = rebuild(database.app_conninfo, Counts(), batch_size=100)
    projector.close()

    assert (old, new) == (1, 2)
    assert (abandoned.rebuilding, abandoned.rebuild_position) == (2, 100)
    assert abandoned.rebuild_running is False
    assert done.generation == 2 and done.events == 500  # generation 2 started again from zero
    assert view_counts(owner) == log_counts(owner)
    assert tracked(owner) == {2: 500}


# --- status and waiting -------------------------------------------------------------------------


def test_status_reports_position_head_and_lag_for_a_projection_that_filters_topics(
    database: Database, owner: psycopg.Connection[Any]
) -> None:
    class NoPings(Counts):
        topics = frozenset({"ledger.domain.case:Case.Registered"})

    fill_log(database, 40)
    with psycopg.connect(database.app_conninfo, autocommit=True) as conn:
        before = projection_status(conn, "test_counts")
        time.sleep(0.05)
        Projector(database.app_conninfo, NoPings()).catch_up()
        fill_log(database, 5)
        after = projection_status(conn, "test_counts")
        unknown = projection_status(conn, "nobody")

    assert (before.generation, before.position, before.head, before.lag_events) == (None, 0, 40, 40)
    assert before.lag_seconds is not None and before.lag_seconds > 0
    assert (after.generation, after.position, after.head, after.lag_events) == (1, 40, 45, 5)
    assert view_counts(owner) == {}  # read nothing, yet passed all 40
    assert (unknown.generation, unknown.position, unknown.lag_events) == (None, 0, 45)


def test_the_lag_is_counted_up_to_a_limit_and_past_it_is_head_minus_position(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every view read reports its lag: counting every event after a far-behind position (or a
    count planned as a scan of the whole table, as the bench saw) made each read cost a scan."""
    fill_log(database, 12)
    monkeypatch.setattr(status, "LAG_COUNTED", 5)
    with psycopg.connect(database.app_conninfo, autocommit=True) as conn:
        assert status.lag_behind(conn, 9).events == 3  # counted
        assert status.lag_behind(conn, 7).events == 5  # counted, at the limit
        far = status.lag_behind(conn, 0)
        assert (far.head, far.events) == (12, 12)  # past the limit: head - position


def test_a_live_batch_commits_without_waiting_for_the_disk_and_the_appends_still_wait(
    ledger: Ledger, database: Database
) -> None:
    """Three projections committed a batch, and waited for an fsync, for every append at one
    client: the views' commits do not wait now (bench: 1 client 157 -> 211 req/s); the events
    themselves stay durable on commit."""
    settings: list[str] = []

    class Watching(Counts):
        def apply(
            self, cur: psycopg.Cursor[Any], generation: int, events: Sequence[ProjectedEvent]
        ) -> None:
            settings.append(str(cur.execute("SHOW synchronous_commit").fetchone()[0]))  # type: ignore[index]
            super().apply(cur, generation, events)

    register(ledger, CLERK)
    Projector(database.app_conninfo, Watching()).catch_up()
    assert settings == ["off"]
    with psycopg.connect(database.app_conninfo) as conn:  # what the appends commit with
        assert conn.execute("SHOW synchronous_commit").fetchone() == ("on",)


def test_the_waiter_takes_the_databases_positions_when_it_reconnects(
    database: Database, owner: psycopg.Connection[Any]
) -> None:
    """A live batch commits without waiting for the disk (`batch.ASYNC_COMMIT`), so after a crash
    of the server a view can be behind a NOTIFY heard before it. Reconnecting, the waiter takes
    the database's positions, lower ones too: no read is let through on a position the view
    lost."""
    fill_log(database, 3)
    Projector(database.app_conninfo, Counts()).catch_up()
    waiter = PositionWaiter(database.app_conninfo, retry_delay=0.1).start()
    try:
        assert waiter.position("test_counts") == 3
        owner.execute("SELECT pg_notify('ledger_projected', 'test_counts:1:100')")  # then lost
        assert wait_until(lambda: waiter.position("test_counts") == 100, 5)
        assert asyncio.run(waiter.wait("test_counts", 50, timeout=1)) == 100
        owner.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
            "current_database() AND application_name = 'ledger position waiter'"
        )
        assert wait_until(lambda: waiter.position("test_counts") == 3, 10)
        with pytest.raises(NotCaughtUp):
            asyncio.run(waiter.wait("test_counts", 50, timeout=0.3))
        assert asyncio.run(waiter.wait("test_counts", 3, timeout=1)) == 3
    finally:
        waiter.close()


def test_the_waiter_wakes_promptly_on_the_projectors_notify_and_times_out_otherwise(
    ledger: Ledger, database: Database, owner: psycopg.Connection[Any]
) -> None:
    waiter = PositionWaiter(database.app_conninfo).start()
    worker = ProjectionWorker(database.app_conninfo, [Counts], idle_timeout=30).start()
    try:
        case_id = register(ledger, CLERK).case_id
        waits = []
        for _ in range(20):
            position = ledger.append(case_id, CLERK, "VisitRecorded").position
            t0 = time.perf_counter()
            reached = asyncio.run(waiter.wait("test_counts", position, timeout=5))
            waits.append(time.perf_counter() - t0)
            assert reached >= position
        # A position in a gap (a rolled-back insert consumed it) resolves once it is passed.
        with owner.transaction(force_rollback=True):
            gap = owner.execute(
                "INSERT INTO ledger_events (originator_id, originator_version, topic, state) "
                "VALUES (gen_random_uuid(), 1, 'x', '\\x7b7d') RETURNING notification_id"
            ).fetchone()
        assert gap is not None
        ledger.append(case_id, CLERK, "VisitRecorded")
        assert waiter.wait_blocking("test_counts", gap[0], timeout=5) > gap[0]
    finally:
        worker.stop()

    position = ledger.append(case_id, CLERK, "VisitRecorded").position  # no projector now
    t0 = time.perf_counter()
    with pytest.raises(NotCaughtUp) as caught:
        asyncio.run(waiter.wait("test_counts", position, timeout=0.3))
    timed_out_after = time.perf_counter() - t0
    waiter.close()

    assert sorted(waits)[len(waits) // 2] < 0.2 and max(waits) < 2, waits
    assert 0.3 <= timed_out_after < 2
    assert caught.value.position == position - 1
    assert caught.value.lag_events == 1
    assert caught.value.lag_seconds is not None and caught.value.lag_seconds < 60


def test_a_view_read_waits_for_ledger_position_and_answers_503_with_retry_after(
    ledger: Ledger, database: Database
) -> None:
    @get("/view")
    async def view(
        request: Request[Any, Any, Any], min_position: MinPosition = None
    ) -> dict[str, int]:
        position = await wait_for_view(
            request, request.app.state.waiter, "test_counts", min_position, timeout=0.5
        )
        return {"as_of_position": position}

    app = Litestar([view], exception_handlers=EXCEPTION_HANDLERS)
    app.state.waiter = PositionWaiter(database.app_conninfo).start()
    case_id = register(ledger, CLERK).case_id
    position = ledger.append(case_id, CLERK, "VisitRecorded").position
    with TestClient(app) as client:
        early = client.get("/view", headers={"Ledger-Position": str(position)})
        no_wait = client.get("/view")
        bad = client.get("/view", headers={"Ledger-Position": "soon"})
        worker = ProjectionWorker(database.app_conninfo, [Counts]).start()
        try:
            by_header = client.get("/view", headers={"Ledger-Position": str(position)})
            by_query = client.get(f"/view?min_position={position}")
        finally:
            worker.stop()
            app.state.waiter.close()

    assert early.status_code == 503, early.text
    assert early.headers["retry-after"] == "1"
    assert early.headers["content-type"].startswith("application/problem+json")
    problem = early.json()
    assert problem["type"].endswith("/not-caught-up")
    assert (problem["position"], problem["min_position"]) == (0, position)
    assert problem["lag_events"] == position  # nothing projected yet: every event is lag
    assert no_wait.status_code == 200 and no_wait.json() == {"as_of_position": 0}
    assert bad.status_code == 400 and bad.json()["field"] == "Ledger-Position"
    assert by_header.status_code == 200 and by_header.json()["as_of_position"] >= position
    assert by_query.status_code == 200 and by_query.json()["as_of_position"] >= position


def test_a_waiter_started_late_knows_the_positions_already_projected(
    database: Database,
) -> None:
    fill_log(database, 30)
    Projector(database.app_conninfo, Counts()).catch_up()
    waiter = PositionWaiter(database.app_conninfo).start()
    try:
        assert waiter.position("test_counts") == 30
        assert waiter.wait_blocking("test_counts", 30, timeout=0.01) == 30
        assert waiter.position("nobody") == 0
    finally:
        waiter.close()


def test_ping_events_decode_through_the_ledgers_mapper(database: Database) -> None:
    fill_log(database, 3)
    seen: list[Any] = []

    class Spy(Counts):
        def apply(
            self, cur: psycopg.Cursor[Any], generation: int, events: Sequence[ProjectedEvent]
        ) -> None:
            seen.extend(events)

    Projector(database.app_conninfo, Spy()).catch_up()
    assert [(e.position, e.event.n, type(e.event).__name__) for e in seen] == [
        (1, 0, "Ping"),
        (2, 1, "Ping"),
        (3, 2, "Ping"),
    ]
    assert all(isinstance(e.event.originator_id, UUID) for e in seen)
    assert PING_TOPIC == "tests.projection_support:Ping"
