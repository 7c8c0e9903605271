"""The notary bench's table: sealing against its parts (1), proof (2) and bundle (3) latencies,
the budgets, the profile and the notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from support.report import budget_line, contention_warning, header

from notary_bench.parts import Parts
from notary_bench.plan import DEFAULT_BATCH, EVENTS_PER_CASE

if TYPE_CHECKING:
    from support.timing import Result

    from notary_bench.plan import Plan

BUDGET_SEAL_RATE = 50_000.0  # events/s, Notary.catch_up at its default batch size
BUDGET_PROOF_P99_MS = 2.0
BUDGET_VERIFY_P99_MS = 10.0


@dataclass
class Report:
    plan: Plan
    facts: list[tuple[str, str]] = field(default_factory=list)
    parts: Parts = field(default_factory=Parts)
    seal: dict[int, Result] = field(default_factory=dict)
    proofs: list[Result] = field(default_factory=list)
    bundle: list[Result] = field(default_factory=list)
    seal_witnessed: Result | None = None
    witness: list[Result] = field(default_factory=list)
    profile: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    tree_size: int = 0


def sealing_lines(report: Report) -> list[str]:
    p = report.parts
    n = p.events
    notary = report.seal[DEFAULT_BATCH].rate
    lines = [f"(1) sealing {n:,} events{'':<31}{'events/s':>10}{'seconds':>9}{'ratio':>7}  notes"]

    def row(label: str, seconds: float, note: str) -> str:
        rate = n / seconds
        return f"  {label:<52}{rate:>10,.0f}{seconds:>9.2f}{notary / rate:>7.2f}  {note}"

    lines += [
        row(
            f"baseline: raw read, the notary's SELECT, {DEFAULT_BATCH:,}/batch",
            p.read_seconds,
            p.read_note,
        ),
        row(
            "baseline: raw read as above, binary format",
            p.read_binary_seconds,
            "not what the notary does: shown for comparison",
        ),
        row(
            "baseline: the notary's hashing loop alone",
            p.hash_seconds,
            "encode_leaf + leaf_hash + Frontier.append, no I/O",
        ),
        row(
            f"baseline: raw COPY of the {n:,} leaf rows",
            p.copy_leaves_seconds,
            "primary key + 2 indexes, as ledger_leaves",
        ),
        row(
            f"baseline: raw COPY of the {p.nodes:,} node rows",
            p.copy_nodes_seconds,
            "primary key, as ledger_tree_nodes; + COMMIT per batch",
        ),
        row(
            "baseline: read + hash + both COPYs, back to back",
            p.serial_seconds,
            "sum of the text read, hash and COPY rows",
        ),
    ]
    for batch, result in report.seal.items():
        lines.append(
            row(f"Notary.catch_up() from zero, batch {batch:,}", result.seconds, result.note)
        )
    lines.append(
        f"  ratio: the notary's rate at batch {DEFAULT_BATCH:,} / that row's rate "
        "(1.00 = as fast as that part alone)"
    )
    return lines


def latency_lines(title: str, results: list[Result]) -> list[str]:
    lines = [f"{title:<54}{'p50 ms':>10}{'p99 ms':>9}{'n':>7}  notes"]
    for x in results:
        lines.append(f"  {x.label:<52}{x.p50_ms:>10.3f}{x.p99_ms:>9.3f}{x.ops:>7,}  {x.note}")
    return lines


def budget_lines(report: Report) -> list[str]:
    p = report.parts
    notary = report.seal[DEFAULT_BATCH].rate
    proof_p99 = report.proofs[0].p99_ms
    verify_p99 = report.bundle[-1].p99_ms
    return [
        f"{'ratio / budget':<54}{'value':>10}  {'budget':<12}verdict",
        budget_line(
            f"sealing rate, batch {DEFAULT_BATCH:,} (events/s)",
            f"{notary:,.0f}",
            f">= {BUDGET_SEAL_RATE:,.0f}",
            notary >= BUDGET_SEAL_RATE,
        ),
        *(
            budget_line(f"sealing rate, batch {batch:,} (events/s)", f"{x.rate:,.0f}", "-", None)
            for batch, x in report.seal.items()
            if batch != DEFAULT_BATCH
        ),
        budget_line("notary / raw read", f"{notary * p.read_seconds / p.events:.2f}", "-", None),
        budget_line(
            "notary / raw COPY of the leaf rows",
            f"{notary * p.copy_leaves_seconds / p.events:.2f}",
            "-",
            None,
        ),
        budget_line(
            "notary / read + hash + COPYs back to back",
            f"{notary * p.serial_seconds / p.events:.2f}",
            "-",
            None,
        ),
        budget_line(
            "inclusion proof p99, in process (ms)",
            f"{proof_p99:.3f}",
            f"<= {BUDGET_PROOF_P99_MS:g}",
            proof_p99 <= BUDGET_PROOF_P99_MS,
        ),
        budget_line(
            f"verify_bundle p99, {EVENTS_PER_CASE} events (ms)",
            f"{verify_p99:.3f}",
            f"<= {BUDGET_VERIFY_P99_MS:g}",
            verify_p99 <= BUDGET_VERIFY_P99_MS,
        ),
        *_witness_budgets(report),
    ]


def _witness_budgets(report: Report) -> list[str]:
    lines = []
    if report.seal_witnessed is not None:
        rate = report.seal_witnessed.rate
        lines.append(
            budget_line(
                "sealing rate, witnesses on (events/s)",
                f"{rate:,.0f}",
                f">= {BUDGET_SEAL_RATE:,.0f}",
                rate >= BUDGET_SEAL_RATE,
            )
        )
    if report.witness:
        p99 = report.witness[-1].p99_ms
        lines.append(
            budget_line(
                "verify_bundle p99, witness pinned (ms)",
                f"{p99:.3f}",
                f"<= {BUDGET_VERIFY_P99_MS:g}",
                p99 <= BUDGET_VERIFY_P99_MS,
            )
        )
    return lines


def render(report: Report) -> str:
    mode = report.plan.mode + (
        f" (--events {report.plan.events:,})" if report.plan.custom_events else ""
    )
    return "\n".join(
        [
            *header("notary", mode, report.facts),
            "",
            *sealing_lines(report),
            "",
            *latency_lines(f"(2) inclusion proofs at {report.tree_size:,} leaves", report.proofs),
            "",
            *latency_lines(f"(3) bundle of a {EVENTS_PER_CASE}-event case", report.bundle),
            "",
            *latency_lines("(4) witnesses", report.witness),
            *(
                [
                    f"  {report.seal_witnessed.label:<52}{report.seal_witnessed.rate:>10,.0f} "
                    f"events/s  {report.seal_witnessed.note}"
                ]
                if report.seal_witnessed
                else []
            ),
            "",
            *budget_lines(report),
            "",
            "where the notary's time goes",
            *(f"  {line}" for line in report.profile),
            "",
            *(f"  {line}" for line in report.extra),
            *contention_warning(
                [*report.seal.values(), *report.proofs],
                ".",
                "  The figures are depressed and noisy: rerun on a quiet machine before trusting "
                "them.",
            ),
        ]
    )
