"""The append bench's table: rows (a) to (d), the ratios against (a), the budgets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from support.report import contention_warning, header, verdict

if TYPE_CHECKING:
    from support.timing import Result

    from append_bench.plan import Plan

BUDGET_B_OVER_A = 0.7
BUDGET_C16_OVER_A = 0.5
BUDGET_GET_P99_MS = 10.0

ROWS = ("a", "b", "c1", "c16", "d10", "d1000", "d1049")


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
    for key in ROWS:
        if key not in r:
            continue
        x = r[key]
        rate = "" if key.startswith("d") else f"{x.rate:,.0f}"
        bad = "" if x.non2xx is None else str(x.non2xx)
        lines.append(
            f"{x.label:<52}{rate:>9}{x.p50_ms:>9.2f}{x.p99_ms:>9.2f}{x.ops:>8,}{bad:>9}  {x.note}"
        )
    a = r["a"].rate
    b_a, c1_a, c16_a = r["b"].rate / a, r["c1"].rate / a, r["c16"].rate / a
    get_p99 = r["d1000"].p99_ms
    lines += [
        "",
        f"{'ratio / budget':<52}{'value':>9}  {'budget':<12}verdict",
        f"{'b/a   Ledger.append vs baseline':<52}{b_a:>9.2f}  "
        f"{'>= ' + str(BUDGET_B_OVER_A):<12}{verdict(b_a >= BUDGET_B_OVER_A)}",
        f"{'b/a   same, by median latency (p50 a / p50 b)':<52}"
        f"{r['a'].p50_ms / r['b'].p50_ms:>9.2f}  {'-':<12}info",
        f"{'c/a   HTTP POST, 1 client vs baseline':<52}{c1_a:>9.2f}  {'-':<12}info",
        f"{'c/a   HTTP POST, 16 clients vs baseline':<52}{c16_a:>9.2f}  "
        f"{'>= ' + str(BUDGET_C16_OVER_A):<12}{verdict(c16_a >= BUDGET_C16_OVER_A)}",
        f"{'GET p99 at 1,000 events (ms)':<52}{get_p99:>9.2f}  "
        f"{'<= ' + f'{BUDGET_GET_P99_MS:g}':<12}{verdict(get_p99 <= BUDGET_GET_P99_MS)}",
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
