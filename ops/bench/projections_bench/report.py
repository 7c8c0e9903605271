"""The projections bench's table: catch-up rates (1)-(2), read-your-writes (3), the budgets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from support.report import contention_warning, header, verdict

from projections_bench.plan import COMMIT_BASELINE_EVENTS

if TYPE_CHECKING:
    from support.timing import Result

    from projections_bench.plan import Plan

BUDGET_SPEEDUP = 20.0  # ours / the library's per-event pattern, events/s
BUDGET_RYW_P99_MS = 50.0


@dataclass
class Report:
    plan: Plan
    projection: str = ""
    events: int = 0
    """Events pre-filled (the plan's count unless the synthetic months ran out first)."""
    facts: list[tuple[str, str]] = field(default_factory=list)
    catch_up: list[Result] = field(default_factory=list)
    ryw: list[Result] = field(default_factory=list)
    baseline_seconds: float = 0.0
    commits_per_second: float = 0.0
    extra: list[str] = field(default_factory=list)


def render(report: Report) -> str:
    ours_result, library_result = report.catch_up
    speedup = ours_result.rate / library_result.rate
    ryw = report.ryw[0]
    n = report.events
    mode = report.plan.mode + (f" (--events {n:,})" if report.plan.custom_events else "")
    lines = [
        *header("projections", mode, report.facts),
        "",
        f"(1)-(2) catch-up from zero over {n:,} events{'':<14}{'events/s':>10}{'seconds':>9}"
        "  notes",
        f"  {'baseline: reads + decoding only, no view writes':<52}"
        f"{n / report.baseline_seconds:>10,.0f}{report.baseline_seconds:>9.2f}  for information",
    ]
    for x in report.catch_up:
        lines.append(f"  {x.label:<52}{x.rate:>10,.0f}{x.seconds:>9.2f}  {x.note}")
    lines.append(
        f"  {'baseline: one upsert + COMMIT per event, no view work':<52}"
        f"{report.commits_per_second:>10,.0f}{'':>9}  {COMMIT_BASELINE_EVENTS:,} commits: the "
        "ceiling of any per-event pattern here"
    )
    lines += [
        "",
        f"(3) read-your-writes{'':<34}{'p50 ms':>10}{'p99 ms':>9}{'n':>8}  notes",
        *(
            f"  {x.label:<52}{x.p50_ms:>10.2f}{x.p99_ms:>9.2f}{x.ops:>8,}  {x.note}"
            for x in report.ryw
        ),
        "",
        f"{'ratio / budget':<54}{'value':>10}  {'budget':<12}verdict",
        f"{'ours / per-event (events/s)':<54}{speedup:>10.1f}  "
        f"{'>= ' + f'{BUDGET_SPEEDUP:g}':<12}{verdict(speedup >= BUDGET_SPEEDUP)}",
        f"{'read-your-writes p99 (ms)':<54}{ryw.p99_ms:>10.2f}  "
        f"{'<= ' + f'{BUDGET_RYW_P99_MS:g}':<12}{verdict(ryw.p99_ms <= BUDGET_RYW_P99_MS)}",
        f"{'ours / reads + decoding only':<54}"
        f"{ours_result.rate * report.baseline_seconds / n:>10.2f}  {'-':<12}info",
        "",
        *(f"  {line}" for line in report.extra),
        *contention_warning(
            [*report.catch_up, *report.ryw], ": rerun on a quiet machine before trusting it."
        ),
    ]
    return "\n".join(lines)
