"""The projector: follows the log for one projection, one transaction per batch, woken by NOTIFY.

Why two projectors never apply a batch twice: every batch locks the registry row FOR KEY SHARE and
the tracking row FOR UPDATE, then reads the position under that lock; a second projector (say,
`serve` and `worker` both running it) waits and continues where the first committed. A rebuild's
swap (`ledger.projections.rebuild`) takes the registry row FOR UPDATE, so it waits for the batch
in flight, and the next batch sees the new generation.
"""

from __future__ import annotations

import threading

import psycopg
import structlog

from ledger.log.notary import EVENTS_CHANNEL
from ledger.projections.base import Projection
from ledger.projections.batch import DEFAULT_BATCH, Batch, lock_tracking
from ledger.projections.rebuild import Rebuilder

log = structlog.get_logger("ledger.projections")

# Both locks at once. If a swap commits while this waits, the re-checked join (new generation,
# old tracking row) fails and no row comes back: the caller then locks step by step.
_LOCK_LIVE = (
    "SELECT p.generation, t.position FROM ledger_projections p JOIN ledger_projection_tracking t "
    "ON t.name = p.name AND t.generation = p.generation WHERE p.name = %s "
    "FOR KEY SHARE OF p FOR UPDATE OF t"
)


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
    ) -> None:
        super().__init__(conninfo, projection, batch_size=batch_size)
        self.idle_timeout = idle_timeout
        """Seconds between batches when no NOTIFY arrives (a fallback; inserts wake it)."""
        self.retry_delay = retry_delay
        self._position = 0
        """Where this projector's last batch left the live generation: the guess `step` reads
        after before its locks confirm it."""

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
                position = lock_tracking(conn, self.name, generation)
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
