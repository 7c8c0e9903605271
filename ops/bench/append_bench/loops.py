"""(a) and (b): an in-process operation timed over fresh aggregates, the two interleaved in short
rounds in A B B A order so that background load and drift hit both alike."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from support.cpu import Cpu
from support.timing import latency

if TYPE_CHECKING:
    from collections.abc import Callable
    from uuid import UUID

    from support.timing import Result

    from append_bench.plan import Plan


@dataclass
class Loop:
    """An in-process operation over a pool of fresh aggregate ids, each id used at most once."""

    label: str
    op: Callable[[UUID], object]
    ids: list[UUID]
    cursor: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    cpu: Cpu = field(default_factory=lambda: Cpu(os.getpid()))

    def warm_up(self, ops: int) -> None:
        for case_id in self.ids[self.cursor : self.cursor + ops]:
            self.op(case_id)
        self.cursor = min(len(self.ids), self.cursor + ops)

    def run(self, seconds: float) -> None:
        op, ids, latencies = self.op, self.ids, self.latencies
        with self.cpu:
            started = time.perf_counter()
            deadline = started + seconds
            while self.cursor < len(ids) and time.perf_counter() < deadline:
                t0 = time.perf_counter()
                op(ids[self.cursor])
                latencies.append(time.perf_counter() - t0)
                self.cursor += 1
            self.seconds += time.perf_counter() - started

    def result(self) -> Result:
        note = self.cpu.describe("bench")
        if self.cursor >= len(self.ids):
            note += "; pool exhausted, ran short"
        return latency(
            self.label,
            self.latencies,
            note,
            seconds=self.seconds,
            others_pct=self.cpu.others_pct,
        )


def measure_interleaved(loops: list[Loop], plan: Plan, checkpoint: Callable[[], None]) -> None:
    """Warm each loop up, then alternate them in short rounds, in A B B A order, so background
    load and drift hit both alike."""
    for loop in loops:
        loop.warm_up(200)
    checkpoint()
    for r in range(plan.rounds):
        for loop in loops if r % 2 == 0 else loops[::-1]:
            loop.run(plan.loop_seconds / plan.rounds)
