"""Helpers for the timer tests on a real PostgreSQL: catch projections up, and let several timers
(as if in several processes) sweep at the same moment."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

from ledger.projections.base import Projection
from ledger.projections.projector import Projector
from ledger.store.database import Database


class Sweeper(Protocol):
    def sweep(self) -> int: ...


def catch_up(database: Database, *projections: Projection) -> None:
    """Run each projection's projector over the log until it has caught up, in turn."""
    for projection in projections:
        projector = Projector(database.app_conninfo, projection)
        try:
            projector.catch_up()
        finally:
            projector.close()


def sweep_at_once(timers: Sequence[Sweeper]) -> list[int]:
    """Every timer sweeps in its own thread, all released together; what each recorded, sorted."""
    counts: list[int] = []
    barrier = threading.Barrier(len(timers))

    def sweep(timer: Sweeper) -> None:
        barrier.wait()
        counts.append(timer.sweep())

    threads = [threading.Thread(target=sweep, args=(t,)) for t in timers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(counts)
