"""The append bench's table: rows (a) to (d), the ratios against (a), the budgets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from support.report import contention_warning, header, verdict

from append_bench.ryw import THINK_MS

if TYPE_CHECKING:
    from support.timing import Result

    from append_bench.plan import Plan

BUDGET_B_OVER_A = 0.7
BUDGET_C1_OVER_A = 0.4
BUDGET_C16_OVER_A = 1.0
BUDGET_RYW_P99_MS = 25.0
BUDGET_GET_P99_MS = 10.0


def rows(plan: Plan) -> list[str]:
    http = [f"{key}w{n}" for n in plan.workers for key in ("c1", "c16", "e16", "f16", "t16")]
    return ["a", "b", *http, "d10", "d1000", "d1049"]


@dataclass
class Report:
    plan: Plan
    facts: list[tuple[str, str]] = field(default_factory=list)
    results: dict[str, Result] = field(default_factory=dict)
    extra: list[str] = field(default_factory=list)


def render(report: Report) -> str:
    r = report.results
    lines = [
        *header("append", report.plan.mode, report.facts),
        "",
        f"{'':<52}{'ops/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'ops':>8}{'non-2xx':>9}  notes",
    ]
    for key in rows(report.plan):
        if key not in r:
            continue
        x = r[key]
        rate = "" if key.startswith(("d", "e", "f")) else f"{x.rate:,.0f}"
        bad = "" if x.non2xx is None else str(x.non2xx)
        lines.append(
            f"{x.label:<52}{rate:>9}{x.p50_ms:>9.2f}{x.p99_ms:>9.2f}{x.ops:>8,}{bad:>9}  {x.note}"
        )
    a = r["a"].rate
    n = report.plan.budget_workers
    lines += [
        "",
        f"{'ratio / budget':<52}{'value':>9}  {'budget':<12}verdict",
        f"{'b/a   Ledger.append vs baseline':<52}{r['b'].rate / a:>9.2f}  "
        f"{'>= ' + str(BUDGET_B_OVER_A):<12}{verdict(r['b'].rate / a >= BUDGET_B_OVER_A)}",
        f"{'b/a   same, by median latency (p50 a / p50 b)':<52}"
        f"{r['a'].p50_ms / r['b'].p50_ms:>9.2f}  {'-':<12}info",
    ]
    for workers in report.plan.workers:
        judged = workers == n  # budgets hold at the default: one worker per core
        for clients, budget in ((1, BUDGET_C1_OVER_A), (16, BUDGET_C16_OVER_A)):
            result = r.get(f"c{clients}w{workers}")
            if result is None:
                continue
            ratio = result.rate / a
            label = f"c/a   POST, {clients} client{'s' if clients > 1 else ''}, {workers} workers"
            lines.append(
                f"{label:<52}{ratio:>9.2f}  {('>= ' + str(budget)) if judged else '-':<12}"
                f"{verdict(ratio >= budget) if judged else 'info'}"
            )
        ryw = r.get(f"e16w{workers}")
        if ryw is not None:
            label = f"read-your-writes p99 ms, 16 clients, {workers} workers"
            lines.append(
                f"{label:<52}{ryw.p99_ms:>9.2f}  "
                f"{('<= ' + f'{BUDGET_RYW_P99_MS:g}') if judged else '-':<12}"
                f"{verdict(ryw.p99_ms <= BUDGET_RYW_P99_MS) if judged else 'info'}"
            )
        floor = r.get(f"f16w{workers}")
        if floor is not None:
            label = f"  floor: GET /health p99 ms in its place, {workers} workers"
            lines.append(f"{label:<52}{floor.p99_ms:>9.2f}  {'-':<12}info")
        paused = r.get(f"t16w{workers}")
        if paused is not None:
            label = f"  same, {THINK_MS} ms think after each read, {workers} workers"
            lines.append(f"{label:<52}{paused.p99_ms:>9.2f}  {'-':<12}info")
    if "d1000" in r:
        get_p99 = r["d1000"].p99_ms
        lines.append(
            f"{'GET p99 at 1,000 events (ms)':<52}{get_p99:>9.2f}  "
            f"{'<= ' + f'{BUDGET_GET_P99_MS:g}':<12}{verdict(get_p99 <= BUDGET_GET_P99_MS)}"
        )
    lines += [
        "",
        *(f"  {line}" for line in report.extra),
        *contention_warning(
            r.values(),
            ".",
            "  Absolute figures are depressed and noisy; b/a less so, since (a) and (b) are "
            "interleaved. Rerun on a quiet machine before trusting a verdict.",
        ),
    ]
    return "\n".join(lines)
