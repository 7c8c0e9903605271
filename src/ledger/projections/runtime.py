"""The projection runtime: feeds each projection the notification log in batches, exactly once.

Why batches: a commit per event caps a projection at ≈2.7k events/s
(`shared/reference/performance-baselines.md` §3f). Here one transaction holds a whole batch: the
view rows `Projection.apply` writes, the new tracking position and a `NOTIFY ledger_projected`.
A crash before the commit redoes the batch; after it, nothing.

Why "after the tracked position" never skips: the events' insert lock makes commit order equal
notification order, so once an id is visible every smaller id that will ever commit is visible
too (tests/integration/test_log_order.py). A projection that reads only some topics still moves
its position to the head it saw, so waiting for any position resolves and nothing is re-scanned.

Why two projectors never apply a batch twice: every batch locks the registry row FOR KEY SHARE and
the tracking row FOR UPDATE, then reads the position under that lock; a second projector (say,
`serve` and `worker` both running it) waits and continues where the first committed.

Rebuild (`rebuild`): the next generation is built from position 0 beside the live one, which goes
on serving reads and following the log. The swap locks the registry row FOR UPDATE (so no live
batch is in flight), brings the new generation to the head inside that transaction and points the
registry at it; the live projector's next batch sees the new generation and continues from its
position. The old generation is then cleared.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import msgspec
import psycopg
import structlog
from eventsourcing.persistence import StoredEvent

from ledger.log.notary import EVENTS_CHANNEL
from ledger.projections.base import ProjectedEvent, Projection
from ledger.store.events import MsgspecMapper

log = structlog.get_logger("ledger.projections")

PROJECTED_CHANNEL = "ledger_projected"
"""Payload `<name>:<generation>:<position>`, sent by the live generation's batches and the swap."""
DEFAULT_BATCH = 5_000
EXTRA_PROJECTIONS_ENV = "LEDGER_EXTRA_PROJECTIONS"
"""Comma-separated `module:Class` projections to run besides `ledger.projections.PROJECTIONS`."""
REBUILD_LOCK = 0x6C656467
"""Advisory lock class ('ledg'); the key is hashtext(name): one rebuild per projection at once."""

Conn = psycopg.Connection[tuple[Any, ...]]
Cursor = psycopg.Cursor[tuple[Any, ...]]

_SELECT = (
    "SELECT notification_id, originator_id, originator_version, topic, state FROM ledger_events "
    "WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
)
# The head and the matching events in one statement, hence one snapshot: every event up to the
# head that matches is in the result unless the batch is full.
_SELECT_TOPICS = (
    "SELECT h.head, e.notification_id, e.originator_id, e.originator_version, e.topic, e.state "
    "FROM (SELECT max(notification_id) AS head FROM ledger_events) h LEFT JOIN LATERAL ("
    "  SELECT notification_id, originator_id, originator_version, topic, state FROM ledger_events"
    "  WHERE notification_id > %s AND topic = ANY(%s) ORDER BY notification_id LIMIT %s"
    ") e ON true ORDER BY e.notification_id"
)
_LIVE = "SELECT generation FROM ledger_projections WHERE name = %s FOR KEY SHARE"
# Both locks at once. If a swap commits while this waits, the re-checked join (new generation,
# old tracking row) fails and no row comes back: the caller then locks step by step.
_LOCK_LIVE = (
    "SELECT p.generation, t.position FROM ledger_projections p JOIN ledger_projection_tracking t "
    "ON t.name = p.name AND t.generation = p.generation WHERE p.name = %s "
    "FOR KEY SHARE OF p FOR UPDATE OF t"
)
_TRACKING = (
    "SELECT position FROM ledger_projection_tracking WHERE name = %s AND generation = %s FOR UPDATE"
)


@dataclass(frozen=True)
class Batch:
    generation: int
    events: int
    """Events handed to `apply` (those of the projection's topics)."""
    position: int
    """The tracking position after the batch."""
    full: bool
    """The read hit the batch size: more may be waiting."""


class RebuildInProgress(Exception):
    """Another process is rebuilding this projection."""


class Projector:
    """Follows the log for one projection: one transaction per batch, woken by NOTIFY."""

    def __init__(
        self,
        conninfo: str,
        projection: Projection,
        *,
        batch_size: int = DEFAULT_BATCH,
        idle_timeout: float = 1.0,
        retry_delay: float = 2.0,
    ) -> None:
        self.conninfo = conninfo
        self.projection = projection
        self.name = projection.name
        self.topics = sorted(projection.topics) if projection.topics is not None else None
        self.batch_size = batch_size
        self.idle_timeout = idle_timeout
        """Seconds between batches when no NOTIFY arrives (a fallback; inserts wake it)."""
        self.retry_delay = retry_delay
        self._mapper = MsgspecMapper()
        self._conn: Conn | None = None
        self._position = 0
        """Where this projector's last batch left the live generation: the guess `step` reads
        after before its locks confirm it."""

    # --- the live generation -------------------------------------------------------------------

    def step(self) -> Batch:
        """Project the next batch (possibly empty) into the live generation.

        Three round trips in the common case, since in a busy process each is also a wait for
        the GIL: BEGIN, the locks and the read after where this projector left off, pipelined;
        `apply`; the tracking row, NOTIFY and COMMIT, pipelined. If the locks show another
        position (another projector moved it) or no row (the first run; a swap meanwhile), it
        locks step by step and reads again."""
        conn = self._connection()
        try:
            with conn.pipeline():
                conn.execute("BEGIN")
                locked = conn.execute(_LOCK_LIVE, (self.name,))
                guessed = self._read(conn, self._position)
            row = locked.fetchone()
            if row is not None and row[1] == self._position:
                generation, position = row
                rows, full, reached = self._rows(guessed, position)
            else:
                generation = self._live_generation(conn)
                position = _lock_tracking(conn, self.name, generation)
                rows, full, reached = self._rows(self._read(conn, position), position)
            self._apply(conn, generation, rows)
            with conn.pipeline():
                if reached != position:
                    self._track(conn, generation, reached, notify=True)
                conn.execute("COMMIT")
        except BaseException:
            conn.rollback()
            raise
        self._position = reached
        return Batch(generation, len(rows), reached, full)

    def catch_up(self) -> int:
        """Project everything stored so far; returns the position reached."""
        while (batch := self.step()).full:
            pass
        return batch.position

    def run(self, stop: threading.Event) -> None:
        """Project as events arrive until `stop` is set; survives database restarts and failing
        batches (logged, retried: a batch that cannot be applied is never skipped)."""
        log.info("projection.started", projection=self.name, batch_size=self.batch_size)
        while not stop.is_set():
            try:
                with self._connect() as listener:
                    listener.execute(f"LISTEN {EVENTS_CHANNEL}")
                    while not stop.is_set():
                        batch = self.step()
                        if batch.events:
                            log.debug(
                                "projection.batch",
                                projection=self.name,
                                events=batch.events,
                                position=batch.position,
                            )
                        if batch.full:
                            continue
                        # No linger: a write is read back as soon as it is projected. Inserts
                        # that arrive while a batch runs are drained and read by the next one.
                        for _ in listener.notifies(timeout=self.idle_timeout, stop_after=1):
                            pass
                        for _ in listener.notifies(timeout=0):
                            pass
            except psycopg.OperationalError as e:
                log.warning("projection.database_unavailable", projection=self.name, error=str(e))
                self.close()
                stop.wait(1.0)
            except Exception:
                log.exception("projection.failed", projection=self.name)
                self.close()
                stop.wait(self.retry_delay)
        self.close()
        log.info("projection.stopped", projection=self.name)

    # --- rebuilding ----------------------------------------------------------------------------

    def prepare_rebuild(self) -> tuple[int, int]:
        """Start the next generation at position 0, discarding any earlier unfinished build or
        uncleared old generation; returns (live, new)."""
        conn = self._connection()
        with conn.transaction():
            live = self._live_generation(conn)
            new = live + 1
            stale = conn.execute(
                "SELECT generation FROM ledger_projection_tracking "
                "WHERE name = %s AND generation <> %s",
                (self.name, live),
            ).fetchall()
            with conn.cursor() as cur:
                for generation in sorted({new, *(g for (g,) in stale)}):
                    self.projection.clear(cur, generation)
            conn.execute(
                "DELETE FROM ledger_projection_tracking WHERE name = %s AND generation <> %s",
                (self.name, live),
            )
            conn.execute(
                "INSERT INTO ledger_projection_tracking (name, generation) VALUES (%s, %s)",
                (self.name, new),
            )
            conn.execute(
                "UPDATE ledger_projections SET rebuilding = %s, rebuild_started_at = now() "
                "WHERE name = %s",
                (new, self.name),
            )
        return live, new

    def build_step(self, generation: int) -> Batch:
        """Project the next batch into a generation that is not live (no NOTIFY: no reader
        waits on it)."""
        conn = self._connection()
        with conn.transaction():
            position = _lock_tracking(conn, self.name, generation)
            return self._advance(conn, generation, position, notify=False)

    def swap(self, old: int, new: int) -> Batch:
        """Bring `new` to the head and make it live, in one transaction that holds the registry
        row: live batches wait for it, and the next one sees `new`."""
        conn = self._connection()
        with conn.transaction():
            row = conn.execute(
                "SELECT generation FROM ledger_projections WHERE name = %s FOR UPDATE",
                (self.name,),
            ).fetchone()
            if row is None or row[0] != old:
                raise RuntimeError(f"{self.name}: the live generation changed during the rebuild")
            position = _lock_tracking(conn, self.name, new)
            tail = 0
            while True:
                batch = self._advance(conn, new, position, notify=False)
                tail, position = tail + batch.events, batch.position
                if not batch.full:
                    break
            conn.execute(
                "UPDATE ledger_projections SET generation = %s, rebuilding = NULL, "
                "rebuild_started_at = NULL, swapped_at = now() WHERE name = %s",
                (new, self.name),
            )
            _notify(conn, self.name, new, position)
        return Batch(new, tail, position, full=False)

    def discard(self, generation: int) -> None:
        """Delete a generation's view rows and its tracking row."""
        conn = self._connection()
        with conn.transaction():
            with conn.cursor() as cur:
                self.projection.clear(cur, generation)
            conn.execute(
                "DELETE FROM ledger_projection_tracking WHERE name = %s AND generation = %s",
                (self.name, generation),
            )

    # --- plumbing ------------------------------------------------------------------------------

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> Conn:
        if self._conn is None or self._conn.closed:
            self._conn = self._connect()
        return self._conn

    def _connect(self) -> Conn:
        """Named, so pg_stat_activity shows which projection a session (or a lock) belongs to."""
        return psycopg.connect(
            self.conninfo, autocommit=True, application_name=f"ledger projection {self.name}"
        )

    def _live_generation(self, conn: Conn) -> int:
        row = conn.execute(_LIVE, (self.name,)).fetchone()
        if row is None:  # the first run of this projection anywhere
            conn.execute(
                "INSERT INTO ledger_projections (name, generation) VALUES (%s, 1) "
                "ON CONFLICT DO NOTHING",
                (self.name,),
            )
            row = conn.execute(_LIVE, (self.name,)).fetchone()
            assert row is not None
        return int(row[0])

    def _advance(self, conn: Conn, generation: int, position: int, *, notify: bool) -> Batch:
        """Read, decode and apply the events after `position`, and move the tracking row (whose
        lock the caller holds)."""
        rows, full, reached = self._rows(self._read(conn, position), position)
        self._apply(conn, generation, rows)
        if reached != position:
            self._track(conn, generation, reached, notify=notify)
        return Batch(generation, len(rows), reached, full)

    def _read(self, conn: Conn, position: int) -> Cursor:
        if self.topics is None:
            return conn.execute(_SELECT, (position, self.batch_size), binary=True)
        return conn.execute(_SELECT_TOPICS, (position, self.topics, self.batch_size), binary=True)

    def _rows(self, read: Cursor, position: int) -> tuple[list[tuple[Any, ...]], bool, int]:
        """The events read, whether the batch is full, and the position the batch reaches."""
        if self.topics is None:
            rows = read.fetchall()
            full = len(rows) == self.batch_size
            return rows, full, rows[-1][0] if rows else position
        found = read.fetchall()
        head = found[0][0]
        rows = [r[1:] for r in found if r[1] is not None]
        full = len(rows) == self.batch_size
        # Not full: every matching event up to the head is here, so pass the head too.
        return rows, full, rows[-1][0] if full else max(position, head or 0)

    def _apply(self, conn: Conn, generation: int, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            decode = self._mapper.to_domain_event
            events = [
                ProjectedEvent(
                    position=n,
                    event=decode(
                        StoredEvent(
                            originator_id=originator_id,
                            originator_version=version,
                            topic=topic,
                            state=state,
                        )
                    ),
                )
                for n, originator_id, version, topic, state in rows
            ]
            with conn.cursor() as cur:
                self.projection.apply(cur, generation, events)

    def _track(self, conn: Conn, generation: int, position: int, *, notify: bool) -> None:
        conn.execute(
            "UPDATE ledger_projection_tracking SET position = %s, updated_at = now() "
            "WHERE name = %s AND generation = %s",
            (position, self.name, generation),
        )
        if notify:
            _notify(conn, self.name, generation, position)


def _lock_tracking(conn: Conn, name: str, generation: int) -> int:
    """Lock a generation's tracking row (creating it at 0 if missing) and read its position."""
    row = conn.execute(_TRACKING, (name, generation)).fetchone()
    if row is None:
        conn.execute(
            "INSERT INTO ledger_projection_tracking (name, generation) VALUES (%s, %s) "
            "ON CONFLICT DO NOTHING",
            (name, generation),
        )
        row = conn.execute(_TRACKING, (name, generation)).fetchone()
        assert row is not None
    return int(row[0])


def _notify(conn: Conn, name: str, generation: int, position: int) -> None:
    conn.execute("SELECT pg_notify(%s, %s)", (PROJECTED_CHANNEL, f"{name}:{generation}:{position}"))


# --- rebuild -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rebuilt:
    name: str
    old_generation: int
    generation: int
    position: int
    events: int
    seconds: float


def rebuild(
    conninfo: str,
    projection: Projection,
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[Batch], None] | None = None,
) -> Rebuilt:
    """Build the next generation of `projection` from zero beside the live one, swap it in when
    it has caught up, then clear the old generation. Reads see the old view until the swap and
    the new one after it; the live projector (if any) keeps running throughout."""
    started = time.monotonic()
    builder = Projector(conninfo, projection, batch_size=batch_size)
    with psycopg.connect(conninfo, autocommit=True) as holder:  # holds the lock; closing frees it
        row = holder.execute(
            "SELECT pg_try_advisory_lock(%s, hashtext(%s))", (REBUILD_LOCK, projection.name)
        ).fetchone()
        if row is None or not row[0]:
            raise RebuildInProgress(f"a rebuild of {projection.name} is already running")
        try:
            old, new = builder.prepare_rebuild()
            log.info("projection.rebuild_started", projection=projection.name, generation=new)
            events = 0
            while True:
                batch = builder.build_step(new)
                events += batch.events
                if progress is not None:
                    progress(batch)
                if not batch.full:
                    break
            swapped = builder.swap(old, new)
            events += swapped.events
            builder.discard(old)
        finally:
            builder.close()
    log.info(
        "projection.rebuilt", projection=projection.name, generation=new, position=swapped.position
    )
    return Rebuilt(
        name=projection.name,
        old_generation=old,
        generation=new,
        position=swapped.position,
        events=events,
        seconds=time.monotonic() - started,
    )


# --- status ------------------------------------------------------------------------------------


class ProjectionStatus(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    generation: int | None
    """The live generation; None while no projector has run this projection."""
    position: int
    """The last notification id the live generation has passed."""
    head: int
    """The log's last notification id."""
    lag_events: int
    """Events stored after `position`."""
    lag_seconds: float | None
    """How long ago the oldest unprojected event was recorded (0 when caught up)."""
    rebuilding: int | None = None
    """The generation a rebuild is building (or left unfinished), if any."""
    rebuild_position: int | None = None
    rebuild_running: bool = False
    """A process holds the projection's rebuild lock (False with `rebuilding`: abandoned)."""


class _Recorded(msgspec.Struct):
    timestamp: datetime


_STATUS = (
    "SELECT p.name, p.generation, coalesce(t.position, 0), p.rebuilding, r.position, "
    "EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted "
    "  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "  AND l.classid = %s::oid AND l.objid = hashtext(p.name)::oid AND l.objsubid = 2) "
    "FROM ledger_projections p "
    "LEFT JOIN ledger_projection_tracking t ON t.name = p.name AND t.generation = p.generation "
    "LEFT JOIN ledger_projection_tracking r ON r.name = p.name AND r.generation = p.rebuilding "
    "ORDER BY p.name"
)
_LAG = (
    "SELECT (SELECT coalesce(max(notification_id), 0) FROM ledger_events), "
    "(SELECT count(*) FROM ledger_events WHERE notification_id > %(p)s), "
    "(SELECT state FROM ledger_events WHERE notification_id > %(p)s "
    " ORDER BY notification_id LIMIT 1)"
)


def read_status(conn: Conn | Cursor, names: Iterable[str] = ()) -> list[ProjectionStatus]:
    """Every registered projection's status, and those of `names` not registered yet. Takes a
    connection, or a (tuple-row) cursor, so a view can read it in its own snapshot."""
    found = {row[0]: row for row in conn.execute(_STATUS, (REBUILD_LOCK,)).fetchall()}
    statuses = []
    for name in sorted(found.keys() | set(names)):
        _, generation, position, rebuilding, rebuild_position, running = found.get(
            name, (name, None, 0, None, None, False)
        )
        row = conn.execute(_LAG, {"p": position}).fetchone()
        assert row is not None
        head, lag_events, oldest = row
        statuses.append(
            ProjectionStatus(
                name=name,
                generation=generation,
                position=position,
                head=head,
                lag_events=lag_events,
                lag_seconds=_age(oldest),
                rebuilding=rebuilding,
                rebuild_position=rebuild_position,
                rebuild_running=running,
            )
        )
    return statuses


def projection_status(conn: Conn | Cursor, name: str) -> ProjectionStatus:
    """One projection's status: views report `position` as their as_of_position, and the lag."""
    return next(s for s in read_status(conn, [name]) if s.name == name)


def _age(state: bytes | None) -> float | None:
    if state is None:
        return 0.0
    try:
        recorded = msgspec.json.decode(state, type=_Recorded).timestamp
    except msgspec.DecodeError:
        return None
    if recorded.tzinfo is None:
        recorded = recorded.replace(tzinfo=timezone.utc)  # noqa: UP017 (house style)
    return max(0.0, (datetime.now(timezone.utc) - recorded).total_seconds())  # noqa: UP017


# --- running them all --------------------------------------------------------------------------


def configured_projections(environ: Mapping[str, str] | None = None) -> tuple[Projection, ...]:
    """`ledger.projections.PROJECTIONS`, plus any named in LEDGER_EXTRA_PROJECTIONS."""
    from ledger.projections import PROJECTIONS

    env = os.environ if environ is None else environ
    extra = [p.strip() for p in env.get(EXTRA_PROJECTIONS_ENV, "").split(",") if p.strip()]
    return instances([*PROJECTIONS, *(_import(path) for path in extra)])


def instances(projections: Iterable[Projection | type[Projection]]) -> tuple[Projection, ...]:
    """Projection instances (classes are instantiated without arguments), names unique."""
    made = tuple(p() if isinstance(p, type) else p for p in projections)
    names = [p.name for p in made]
    if len(set(names)) != len(names):
        raise ValueError(f"projection names must be unique: {names}")
    return made


def _import(path: str) -> Any:
    module, _, attribute = path.partition(":")
    if not attribute:
        raise ValueError(f"{EXTRA_PROJECTIONS_ENV}: expected module:Class, got {path!r}")
    return getattr(importlib.import_module(module), attribute)


class ProjectionWorker:
    """Runs a `Projector` per projection, each in a thread of its own, until stopped."""

    def __init__(
        self,
        conninfo: str,
        projections: Sequence[Projection | type[Projection]] | None = None,
        *,
        batch_size: int = DEFAULT_BATCH,
        idle_timeout: float = 1.0,
    ) -> None:
        chosen = configured_projections() if projections is None else instances(projections)
        self.projectors = [
            Projector(conninfo, p, batch_size=batch_size, idle_timeout=idle_timeout) for p in chosen
        ]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> ProjectionWorker:
        for projector in self.projectors:
            thread = threading.Thread(
                target=projector.run,
                args=(self._stop,),
                name=f"projection-{projector.name}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()

    def run(self, stop: threading.Event) -> None:
        """Run until `stop` is set (for `ledger worker`)."""
        self.start()
        stop.wait()
        self.stop()
