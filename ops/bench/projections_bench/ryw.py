"""(3) read-your-writes: 16 writer threads replay synthetic cases of the current month through
`Ledger` while a live projection runs in this process; after each write, the time until
`PositionWaiter.wait` says the view reached the write's position."""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from support.cpu import Cpu, cpu_note
from support.timing import latency

from ledger.application.service import Ledger
from ledger.demo.commands import as_actor, command, registration
from ledger.demo.plan import BEIJING, CasePlan
from ledger.demo.synthetic.calendar import WorkingDays, national_calendar
from ledger.demo.synthetic.draw import CaseDraw
from ledger.projections.projector import Projector
from ledger.projections.waiter import PositionWaiter
from ledger.projections.worker import ProjectionWorker
from ledger.store.database import database_for
from projections_bench.plan import WRITERS
from projections_bench.views import Vacuums

if TYPE_CHECKING:
    from collections.abc import Iterator

    from support.run import Run
    from support.timing import Result

    from ledger.config.settings import Settings
    from ledger.projections.base import Projection

RYW_WARMUP = 1.0  # seconds of writes not counted
RYW_COOLDOWN = 0.5  # seconds the writers go on after the counted ones, while their CPU is read
WAIT_TIMEOUT = 5.0
WRITER_SEED = 2


@dataclass
class Ryw:
    waits: list[float] = field(default_factory=list)
    writes: list[float] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    timeouts: int = 0
    refused: int = 0


def writer_plans(i: int, days: WorkingDays, now: datetime) -> Iterator[CasePlan]:
    """Writer i's cases: every WRITERS-th synthetic case of the current month registered by now."""
    month = f"{now.astimezone(BEIJING):%Y-%m}"
    for n in itertools.count(i, WRITERS):
        plan = CaseDraw(month, WRITER_SEED, n, days).plan()
        if plan.registered_at <= now:
            yield plan


@dataclass
class Writer:
    """One writer thread: its cases' steps through `Ledger`, each followed by a wait for the view
    (as a client that sends `Ledger-Position` back reads its own write)."""

    ledger: Ledger
    waiter: PositionWaiter
    loop: asyncio.AbstractEventLoop
    projection: str
    plans: Iterator[CasePlan]
    now: datetime
    counting: float
    deadline: float
    """Writes started in [counting, deadline) are counted; the writers stop RYW_COOLDOWN later,
    so that they are still alive when the phase's CPU is read (a thread's CPU leaves /proc with
    it)."""
    ryw: Ryw = field(default_factory=Ryw)

    def run(self) -> None:
        for plan in self.plans:
            first, *rest = plan.steps
            fields = registration(first, self.ledger.protect_applicant)
            if (started := time.perf_counter()) >= self.deadline + RYW_COOLDOWN:
                return
            try:
                receipt = self.ledger.register_case(as_actor(first.by), **fields)
            except Exception:  # not expected: the demo's plans are valid
                self.ryw.refused += 1
                continue
            case_id = receipt.case_id
            self.wait("Registered", started, receipt.position)
            minted: dict[str, Any] = {}
            for step in rest:
                if step.at > self.now:
                    break
                c = command(step, minted)
                if (started := time.perf_counter()) >= self.deadline + RYW_COOLDOWN:
                    return
                try:
                    receipt = self.ledger.append(
                        case_id, c.actor, c.event_type, occurred_at=c.occurred_at, **c.fields
                    )
                except Exception:  # not expected, as above
                    self.ryw.refused += 1
                    break
                minted.update(receipt.ids)
                self.wait(c.event_type, started, receipt.position)

    def wait(self, kind: str, started: float, position: int) -> None:
        written = time.perf_counter()
        try:
            asyncio.run_coroutine_threadsafe(
                self.waiter.wait(self.projection, position, WAIT_TIMEOUT), self.loop
            ).result()
        except Exception:
            self.ryw.timeouts += 1
        if self.counting <= started < self.deadline:
            self.ryw.writes.append(written - started)
            self.ryw.waits.append(time.perf_counter() - written)
            self.ryw.kinds[kind] += 1


def read_your_writes(
    run: Run, settings: Settings, owner: str, projection: Projection, seconds: float
) -> tuple[Result, Result, str]:
    """16 writers replay synthetic cases step by step; after each write, each waits for the live
    projection to reach its position."""
    database = database_for(owner, settings)
    ledger = Ledger(settings, database)
    run.apps.append(ledger)
    conninfo = database.app_conninfo
    Projector(conninfo, projection).catch_up()  # start in step (a no-op after (1))
    worker = ProjectionWorker(conninfo, [projection]).start()
    waiter = PositionWaiter(conninfo).start()
    loop = asyncio.new_event_loop()
    loop_thread = threading.Thread(target=loop.run_forever, name="ryw-loop", daemon=True)
    loop_thread.start()
    now = datetime.now(timezone.utc)  # noqa: UP017 (house style)
    days = WorkingDays(national_calendar())
    counting = time.perf_counter() + RYW_WARMUP
    deadline = counting + seconds
    writers = [
        Writer(
            ledger,
            waiter,
            loop,
            projection.name,
            writer_plans(i, days, now),
            now,
            counting,
            deadline,
        )
        for i in range(WRITERS)
    ]
    threads = [threading.Thread(target=w.run, name=f"writer-{i}") for i, w in enumerate(writers)]
    try:
        for thread in threads:
            thread.start()
        time.sleep(max(0.0, counting - time.perf_counter()))
        with Vacuums(owner) as autovacuum, Cpu(os.getpid(), run.ours) as cpu:
            time.sleep(max(0.0, deadline - time.perf_counter()))  # writers live: see Writer
        for thread in threads:
            thread.join()
    finally:
        worker.stop()
        waiter.close()
        loop.call_soon_threadsafe(loop.stop)
        loop_thread.join()
    results = [w.ryw for w in writers]
    waits = sorted(w for r in results for w in r.waits)
    writes = [w for r in results for w in r.writes]
    timeouts = sum(r.timeouts for r in results)
    refused = sum(r.refused for r in results)
    kinds = sum((r.kinds for r in results), Counter[str]())
    note = f"{WRITERS} writers; {timeouts} timed out; " + cpu_note(cpu) + autovacuum.describe()
    mix = ", ".join(f"{kind} {n:,}" for kind, n in kinds.most_common())
    return (
        latency(
            f"write -> PositionWaiter.wait, {WRITERS} writers",
            waits,
            note,
            seconds=seconds,
            others_pct=cpu.others_pct,
        ),
        latency(
            "  (the writes themselves, for information)",
            writes,
            f"max wait {waits[-1] * 1000:.1f} ms" if waits else "",
            seconds=seconds,
        ),
        f"(3) writes counted, by kind: {mix}"
        + (f"; {refused} refused (not expected)" if refused else ""),
    )
