"""The projection worker: a `Projector` per projection, each in a thread of its own.

`ledger serve` runs one inside the web process and `ledger worker` runs one alone; both run
`configured_projections()` unless told which.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from ledger.projections.base import Projection
from ledger.projections.batch import DEFAULT_BATCH
from ledger.projections.configured import configured_projections, instances
from ledger.projections.projector import Projector
from ledger.projections.shapes import reshape_in_background
from ledger.projections.views.case_tallies import Drainer
from ledger.projections.views.cases import CasesProjection


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
        self.conninfo, self.projections = conninfo, chosen
        self.projectors = [
            Projector(conninfo, p, batch_size=batch_size, idle_timeout=idle_timeout) for p in chosen
        ]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._drainer = (
            Drainer(conninfo) if any(isinstance(p, CasesProjection) for p in chosen) else None
        )
        """Moves the cases view's queued facts into its tallies (`case_tallies`)."""

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
        if self._drainer is not None:
            self._drainer.start(self._stop)
        reshape_in_background(self.conninfo, self.projections)  # after an upgrade: see shapes
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        self._threads.clear()
        if self._drainer is not None:
            self._drainer.join(max(0.0, deadline - time.monotonic()))

    def run(self, stop: threading.Event) -> None:
        """Run until `stop` is set (for `ledger worker`)."""
        self.start()
        stop.wait()
        self.stop()
