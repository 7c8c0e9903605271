"""(1) our catch-up: `Projector.catch_up()` from position 0, with the time Python's cyclic GC took
meanwhile; and its baseline, the same reads and decoding with no view writes."""

from __future__ import annotations

import gc
import os
import time
from collections import Counter
from typing import TYPE_CHECKING

import psycopg
from eventsourcing.persistence import StoredEvent
from support.cpu import Cpu, cpu_note
from support.timing import throughput

from ledger.projections.batch import DEFAULT_BATCH
from ledger.projections.projector import Projector
from ledger.projections.views.case_tallies import drain
from ledger.store.events import MsgspecMapper
from projections_bench.views import Vacuums

if TYPE_CHECKING:
    from support.run import Run
    from support.timing import Result

    from ledger.projections.base import Projection


def read_decode_baseline(conninfo: str, topics: list[str] | None, batch: int) -> float:
    """The projector's reads and decoding, batch after batch, with no view writes."""
    mapper = MsgspecMapper()
    last = 0
    started = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        while True:
            rows = conn.execute(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM ledger_events WHERE notification_id > %s "
                + ("AND topic = ANY(%s) " if topics is not None else "")
                + "ORDER BY notification_id LIMIT %s",
                (last, topics, batch) if topics is not None else (last, batch),
                binary=True,
            ).fetchall()
            for _, originator_id, version, topic, state in rows:
                mapper.to_domain_event(
                    StoredEvent(
                        originator_id=originator_id,
                        originator_version=version,
                        topic=topic,
                        state=state,
                    )
                )
            if len(rows) < batch:
                break
            last = rows[-1][0]
    return time.perf_counter() - started


class GcTime:
    """Time Python's cyclic garbage collector took while this is entered (any thread)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.runs: Counter[int] = Counter()
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.runs[info["generation"]] += 1

    def __enter__(self) -> GcTime:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def describe(self, wall: float) -> str:
        runs = "/".join(str(self.runs[g]) for g in range(3))
        return f"GC {self.seconds:.2f} s ({100 * self.seconds / wall:.0f}%, gen0/1/2 runs {runs})"


def ours(run: Run, conninfo: str, owner: str, projection: Projection, events: int) -> Result:
    """`Projector.catch_up()` from zero to the head, batch DEFAULT_BATCH, as the app role."""
    projector = Projector(conninfo, projection, batch_size=DEFAULT_BATCH)
    try:
        with Vacuums(owner) as autovacuum, Cpu(os.getpid(), run.ours) as cpu, GcTime() as gct:
            t0 = time.perf_counter()
            position = projector.catch_up()
            seconds = time.perf_counter() - t0
    finally:
        projector.close()
    return throughput(
        f"Projector.catch_up(), batch {DEFAULT_BATCH:,}",
        events,
        seconds,
        f"to position {position:,}; {gct.describe(seconds)}; "
        + cpu_note(cpu)
        + autovacuum.describe(),
        cpu.others_pct,
    )


def drained(conninfo: str, after: str) -> str:
    """What the triggers queued for the cases view's tallies (migration 0025), drained step by
    step as the projection worker's drainer does, with the time it took: work a catch-up leaves
    for later, so that (3) starts from an empty queue as a live system would."""
    t0, moved = time.perf_counter(), 0
    with psycopg.connect(conninfo, autocommit=True) as conn:
        while step := drain(conn):
            moved += step
    seconds = time.perf_counter() - t0
    rate = f", {moved / seconds:,.0f} facts/s" if moved else ""
    return f"tallies queue after {after}: {moved:,} facts drained in {seconds:.2f} s{rate}"
