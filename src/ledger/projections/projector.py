"""The projector: follows the log for one projection, one transaction per batch, woken by NOTIFY.

Why two projectors never apply a batch twice: every batch locks the registry row FOR KEY SHARE and
the tracking row FOR UPDATE, then reads the position under that lock; a second projector (say,
`serve` and `worker` both running it) waits and continues where the first committed. A rebuild's
swap (`ledger.projections.rebuild`) takes the registry row FOR UPDATE, so it waits for the batch
in flight, and the next batch sees the new generation.

Why a failing batch does not stop the projector: a batch that fails for a reason that is not
transient is redone in a new transaction that isolates the event at fault
(`BatchWriter._advance`); if one event fails alone, it is recorded and this projection stops
right before it (`ledger.projections.failures`), while the others go on. A stopped projector
checks once per idle timeout, or when an operator's skip or retry NOTIFYs it, whether it may go
on. Transient errors (a lost connection, a deadlock) are retried with back-off, as always.
"""

from __future__ import annotations

import threading
import time

import psycopg
import structlog

from ledger.log.notary import EVENTS_CHANNEL
from ledger.projections.base import Projection
from ledger.projections.batch import (
    ASYNC_COMMIT,
    DEFAULT_BATCH,
    Batch,
    Conn,
    lock_tracking,
    split_skipped,
)
from ledger.projections.failures import CONTROL_CHANNEL, is_transient
from ledger.projections.rebuild import Rebuilder

log = structlog.get_logger("ledger.projections")

# Both locks at once. If a swap commits while this waits, the re-checked join (new generation,
# old tracking row) fails and no row comes back: the caller then locks step by step.
_LOCK_LIVE = (
    "SELECT p.generation, t.position, t.stopped_before FROM ledger_projections p "
    "JOIN ledger_projection_tracking t ON t.name = p.name AND t.generation = p.generation "
    "WHERE p.name = %s FOR KEY SHARE OF p FOR UPDATE OF t"
)
_STOPPED = (
    "SELECT p.generation, t.position, t.stopped_before FROM ledger_projections p "
    "JOIN ledger_projection_tracking t ON t.name = p.name AND t.generation = p.generation "
    "WHERE p.name = %s"
)
MAX_BACKOFF = 30.0
"""Longest pause between two attempts after transient errors in a row."""
LINGER = 0.005
"""Seconds a projector waits after a wake-up for more inserts, while writes come in concurrently
(`linger_after`)."""
PASSING_LINGER = 0.02
"""Seconds a projector waits for more inserts after a batch that only passed events of other
topics (`linger_after`)."""


def linger_after(
    moved: int, applied: int, linger: float = LINGER, passing: float = PASSING_LINGER
) -> float:
    """How long to gather inserts before the next batch, given how many log positions the last
    batch moved and how many of its events it applied.

    - One, applied: a lone writer, who reads the write back next, so no wait.
    - More: writes arrive together (or one write recorded several events), and a short wait
      makes the next batch hold several of them; on a busy machine the transactions saved are
      what the writers and readers wait for. PostgreSQL's `commit_delay` waits only when
      `commit_siblings` transactions are active, for the same reason. Measured by
      `ops/bench/append.py` at 16 clients: docs/DECISIONS.md, "A projector lingers only under
      concurrent writes".
    - Some, none applied: the writes were of other topics (a visit, for the exceptions view).
      Moving the position past them is only for a read that waits on this view after an
      unrelated write, so a longer wait gathers them: one transaction for many writes instead
      of one each (docs/DECISIONS.md, "A projector passes other topics' writes in bulk")."""
    if moved > 0 and applied == 0:
        return passing
    return linger if moved > 1 else 0.0


class Projector(Rebuilder):
    """Follows the log for one projection into its live generation (and, as a `Rebuilder`, can
    build and swap in the next one)."""

    def __init__(
        self,
        conninfo: str,
        projection: Projection,
        *,
        batch_size: int = DEFAULT_BATCH,
        idle_timeout: float = 1.0,
        retry_delay: float = 2.0,
        linger: float = LINGER,
        passing_linger: float = PASSING_LINGER,
    ) -> None:
        super().__init__(conninfo, projection, batch_size=batch_size)
        self.idle_timeout = idle_timeout
        """Seconds between batches when no NOTIFY arrives (a fallback; inserts wake it)."""
        self.linger = linger
        """Seconds to gather inserts after a wake-up, under concurrent writes (`linger_after`)."""
        self.passing_linger = passing_linger
        """Seconds to gather inserts after a batch that applied none (`linger_after`)."""
        self.retry_delay = retry_delay
        self._position = 0
        """Where this projector's last batch left the live generation: the guess `step` reads
        after before its locks confirm it."""
        self._stopped: int | None = None
        """The event the live generation is stopped before, as this projector last saw."""

    def step(self) -> Batch:
        """Project the next batch (possibly empty) into the live generation.

        Three round trips in the common case, since in a busy process each is also a wait for
        the GIL: BEGIN, the locks and the read after where this projector left off, pipelined;
        `apply`; the tracking row, NOTIFY and COMMIT, pipelined. If the locks show another
        position (another projector moved it) or no row (the first run; a swap meanwhile), it
        locks step by step and reads again. If the batch fails, not transiently, it is redone
        isolating the event at fault (`_isolating_step`). A stopped generation is not read."""
        if self._stopped is not None and (halted := self._still_stopped()) is not None:
            return halted
        conn = self._connection()
        try:
            with conn.pipeline():
                conn.execute("BEGIN")
                conn.execute(ASYNC_COMMIT)
                locked = conn.execute(_LOCK_LIVE, (self.name,))
                guessed = self._read(conn, self._position)
            row = locked.fetchone()
            if row is not None and row[1] == self._position and row[2] is None:
                generation, position = row[0], row[1]
                rows, full, reached = self._rows(guessed, position)
            else:
                generation = self._live_generation(conn)
                position, stopped_before = lock_tracking(conn, self.name, generation)
                if stopped_before is not None:
                    conn.execute("COMMIT")
                    return self._halt(generation, position, stopped_before)
                rows, full, reached = self._rows(self._read(conn, position), position)
            applying, skipped = split_skipped(rows)
            self._apply(conn, generation, applying)
            with conn.pipeline():
                if reached != position:
                    self._track(conn, generation, reached, notify=True)
                conn.execute("COMMIT")
        except Exception as e:
            _rollback(conn)
            if is_transient(e) or conn.broken:
                raise
            return self._isolating_step()
        except BaseException:
            _rollback(conn)
            raise
        self._position = reached
        return Batch(generation, len(applying), reached, full, skipped)

    def _isolating_step(self) -> Batch:
        """The batch again, in a transaction that finds the event at fault, if it still fails:
        the events before it are applied and the generation stops right before it."""
        conn = self._connection()
        with conn.transaction():
            generation = self._live_generation(conn)
            position, stopped_before = lock_tracking(conn, self.name, generation)
            if stopped_before is not None:
                batch = None
            else:
                batch = self._advance(conn, generation, position, notify=True)
        if batch is None:
            return self._halt(generation, position, stopped_before)
        self._position = batch.position
        self._stopped = batch.stopped_before
        return batch

    def _halt(self, generation: int, position: int, stopped_before: int | None) -> Batch:
        self._position = position
        self._stopped = stopped_before
        return Batch(generation, 0, position, full=False, stopped_before=stopped_before)

    def _still_stopped(self) -> Batch | None:
        """One query, no lock: is the live generation still stopped? (None: go on.)"""
        row = self._connection().execute(_STOPPED, (self.name,)).fetchone()
        if row is None or row[2] is None:
            self._stopped = None
            return None
        return self._halt(*row)

    @property
    def stopped_before(self) -> int | None:
        """The event this projector's live generation is stopped before, as it last saw."""
        return self._stopped

    def catch_up(self) -> int:
        """Project everything stored so far; returns the position reached."""
        while (batch := self.step()).full:
            pass
        return batch.position

    def run(self, stop: threading.Event) -> None:
        """Project as events arrive until `stop` is set; survives database restarts and other
        transient errors (logged, retried with back-off). An event that cannot be applied stops
        this projection before it, with a record, until an operator skips or retries it."""
        log.info("projection.started", projection=self.name, batch_size=self.batch_size)
        failures = 0
        while not stop.is_set():
            try:
                with self._connect() as listener:
                    listener.execute(f"LISTEN {EVENTS_CHANNEL}")
                    listener.execute(f"LISTEN {CONTROL_CHANNEL}")
                    while not stop.is_set():
                        before = self._position
                        batch = self.step()
                        failures = 0
                        if batch.events:
                            log.debug(
                                "projection.batch",
                                projection=self.name,
                                events=batch.events,
                                position=batch.position,
                            )
                        if batch.full:
                            continue
                        # Inserts that arrive while a batch runs are drained and read by the
                        # next one. Under concurrent writes, or after passing only other topics'
                        # events, the next batch starts no sooner than the linger after this
                        # one, gathering what comes meanwhile; an insert after a longer quiet
                        # spell is read at once.
                        quiet_since = time.monotonic()
                        for _ in listener.notifies(timeout=self.idle_timeout, stop_after=1):
                            pass
                        linger = linger_after(
                            batch.position - before, batch.events, self.linger, self.passing_linger
                        ) - (time.monotonic() - quiet_since)
                        if linger > 0:
                            for _ in listener.notifies(timeout=linger):
                                pass
            except psycopg.OperationalError as e:
                failures += 1
                log.warning("projection.database_unavailable", projection=self.name, error=str(e))
                self.close()
                stop.wait(_backoff(1.0, failures))
            except Exception:
                failures += 1
                log.exception("projection.failed", projection=self.name)
                self.close()
                stop.wait(_backoff(self.retry_delay, failures))
        self.close()
        log.info("projection.stopped", projection=self.name)


def _backoff(base: float, failures: int) -> float:
    return min(MAX_BACKOFF, base * 2.0 ** min(failures - 1, 10))


def _rollback(conn: Conn) -> None:
    if not conn.broken and not conn.closed:
        conn.rollback()
