"""Rebuilding a view: the next generation built from zero beside the live one, then swapped in.

The next generation is built from position 0 beside the live one, which goes on serving reads and
following the log. The swap locks the registry row FOR UPDATE (so no live batch is in flight),
brings the new generation to the head inside that transaction and points the registry at it; the
live projector's next batch sees the new generation and continues from its position. The old
generation is then cleared. One rebuild per projection at once: `rebuild` holds an advisory lock.

A rebuild passes the events an operator skipped, as the live projector does, and reports them.
An event it cannot apply stops it like the live projector (`ledger.projections.failures`): the
record names the new generation, the rebuild raises `RebuildStopped` and leaves that generation
unfinished (status shows it; the next rebuild starts again from zero), the live view untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import psycopg
import structlog

from ledger.projections.base import Projection
from ledger.projections.batch import (
    DEFAULT_BATCH,
    Batch,
    BatchWriter,
    lock_tracking,
    notify_projected,
)
from ledger.projections.failures import EventFailure

log = structlog.get_logger("ledger.projections")

REBUILD_LOCK = 0x6C656467
"""Advisory lock class ('ledg'); the key is hashtext(name): one rebuild per projection at once."""


class RebuildInProgress(Exception):
    """Another process is rebuilding this projection."""


class RebuildStopped(Exception):
    """The rebuild met an event it cannot apply: recorded, and the new generation left
    unfinished (the live one goes on)."""

    def __init__(self, name: str, generation: int, batch: Batch) -> None:
        what = batch.failure.describe() if batch.failure else f"event {batch.stopped_before}"
        super().__init__(
            f"{name}: the rebuild of generation {generation} stopped before {what}; skip it "
            f"(ledger projections skip {name} --reason ...) or fix the view, then rebuild again"
        )
        self.name = name
        self.generation = generation
        self.stopped_before = batch.stopped_before
        self.failure: EventFailure | None = batch.failure


class Rebuilder(BatchWriter):
    """The steps of a rebuild: start a generation, build it batch by batch, swap it in, discard
    the old one. `rebuild` runs them in order; the live `Projector` has them too."""

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
            position, stopped_before = lock_tracking(conn, self.name, generation)
            if stopped_before is not None:
                return Batch(generation, 0, position, full=False, stopped_before=stopped_before)
            return self._advance(conn, generation, position, notify=False)

    def swap(self, old: int, new: int) -> Batch:
        """Bring `new` to the head and make it live, in one transaction that holds the registry
        row: live batches wait for it, and the next one sees `new`. If an event on the way
        cannot be applied, `new` stops before it (recorded, committed) and is not swapped in."""
        conn = self._connection()
        with conn.transaction():
            row = conn.execute(
                "SELECT generation FROM ledger_projections WHERE name = %s FOR UPDATE",
                (self.name,),
            ).fetchone()
            if row is None or row[0] != old:
                raise RuntimeError(f"{self.name}: the live generation changed during the rebuild")
            position, stopped_before = lock_tracking(conn, self.name, new)
            tail = 0
            skipped: tuple[int, ...] = ()
            batch = Batch(new, 0, position, full=True, stopped_before=stopped_before)
            while batch.full and batch.stopped_before is None:
                batch = self._advance(conn, new, position, notify=False)
                tail, position = tail + batch.events, batch.position
                skipped += batch.skipped
            if batch.stopped_before is not None:
                return Batch(
                    new,
                    tail,
                    position,
                    full=False,
                    skipped=skipped,
                    stopped_before=batch.stopped_before,
                    failure=batch.failure,
                )
            conn.execute(  # the new generation is built in the projection's current shape
                "UPDATE ledger_projections SET generation = %s, rebuilding = NULL, "
                "rebuild_started_at = NULL, swapped_at = now(), shape = %s WHERE name = %s",
                (new, getattr(self.projection, "shape", None), self.name),
            )
            notify_projected(conn, self.name, new, position)
        return Batch(new, tail, position, full=False, skipped=skipped)

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


@dataclass(frozen=True)
class Rebuilt:
    name: str
    old_generation: int
    generation: int
    position: int
    events: int
    seconds: float
    skipped: tuple[int, ...] = ()
    """Events passed without applying them, as an operator decided (`ledger projections skip`)."""


def rebuild(
    conninfo: str,
    projection: Projection,
    *,
    batch_size: int = DEFAULT_BATCH,
    progress: Callable[[Batch], None] | None = None,
) -> Rebuilt:
    """Build the next generation of `projection` from zero beside the live one, swap it in when
    it has caught up, then clear the old generation. Reads see the old view until the swap and
    the new one after it; the live projector (if any) keeps running throughout. Raises
    `RebuildStopped` (after recording it) at an event it cannot apply."""
    started = time.monotonic()
    builder = Rebuilder(conninfo, projection, batch_size=batch_size)
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
            skipped: tuple[int, ...] = ()
            while True:
                batch = builder.build_step(new)
                events, skipped = events + batch.events, skipped + batch.skipped
                if progress is not None:
                    progress(batch)
                if batch.stopped_before is not None:
                    raise RebuildStopped(projection.name, new, batch)
                if not batch.full:
                    break
            swapped = builder.swap(old, new)
            if swapped.stopped_before is not None:
                raise RebuildStopped(projection.name, new, swapped)
            events, skipped = events + swapped.events, skipped + swapped.skipped
            builder.discard(old)
        finally:
            builder.close()
    log.info(
        "projection.rebuilt",
        projection=projection.name,
        generation=new,
        position=swapped.position,
        skipped=list(skipped),
    )
    return Rebuilt(
        name=projection.name,
        old_generation=old,
        generation=new,
        position=swapped.position,
        events=events,
        seconds=time.monotonic() - started,
        skipped=skipped,
    )
