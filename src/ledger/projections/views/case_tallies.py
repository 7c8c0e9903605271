"""The cases view's per-day tallies (migration 0025): the queue of changed facts the triggers on
`view_cases` fill, and the drainer that moves it into the tallies.

Why a queue: upserting the tallies in the view's own transaction made every batch of the cases
view slower (read-your-writes waits for that batch), about 30 µs a tally row; inserting the
changed facts costs a few µs, and a drain once a second nets a second of batches into one upsert
per key. Readers add what is still queued, so nothing here is needed for the sums to be exact;
draining keeps the queue, and so each report's share of it, short.
"""

from __future__ import annotations

import threading
from typing import Any

import psycopg
import structlog

log = structlog.get_logger("ledger.projections")

DRAIN_EVERY = 1.0
"""Seconds between drains."""
DRAIN_STEP = 2_000
"""Facts moved per transaction: a backlog (after a catch-up or a rebuild) drains in steps of
about a quarter of a second each, beside live traffic, not in one statement of many seconds."""
TABLES = ("view_case_tallies", "view_case_matters", "view_case_completions", "view_case_pending")
"""What the triggers keep beside `view_cases`, per generation."""
_LOCK = "SELECT pg_advisory_xact_lock(hashtextextended('ledger_case_tallies', 0))"


def lock_tallies(cur: psycopg.Cursor[Any]) -> None:
    """Hold off drains until this transaction ends (clearing a generation takes it: a drain
    racing the clear could upsert tally rows of the cleared generation after its DELETE)."""
    cur.execute(_LOCK)


def drain(conn: psycopg.Connection[Any], step: int | None = DRAIN_STEP) -> int:
    """Move up to `step` queued facts (None: all) into the tallies in one transaction; returns
    how many moved."""
    with conn.transaction():
        row = conn.execute("SELECT ledger_case_tallies_drain(%s)", (step,)).fetchone()
    return int(row[0]) if row else 0


class Drainer:
    """Drains the queue every `every` seconds in a thread of its own, until stopped; survives
    database restarts (logged, retried at the next turn)."""

    def __init__(self, conninfo: str, every: float = DRAIN_EVERY) -> None:
        self.conninfo, self.every = conninfo, every
        self._thread: threading.Thread | None = None

    def start(self, stop: threading.Event) -> Drainer:
        self._thread = threading.Thread(
            target=self.run, args=(stop,), name="projection-case-tallies", daemon=True
        )
        self._thread.start()
        return self

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self, stop: threading.Event) -> None:
        conn: psycopg.Connection[Any] | None = None
        while not stop.wait(self.every):
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(self.conninfo, autocommit=True)
                moved = step = drain(conn)
                while step == DRAIN_STEP and not stop.is_set():  # a backlog: step by step
                    moved += (step := drain(conn))
                if moved:
                    log.debug("projection.tallies_drained", facts=moved)
            except psycopg.Error as e:
                log.warning("projection.tallies_not_drained", error=str(e))
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()
