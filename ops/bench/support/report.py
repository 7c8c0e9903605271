"""What a run prints: progress lines on stderr, and the table's shared parts on stdout (header,
facts about the machine and the source, verdicts, budget lines, the contention warning)."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from datetime import datetime
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from support.cpu import Cpu

if TYPE_CHECKING:
    from collections.abc import Iterable

    from support.timing import Result

CONTENTION_PCT = 10.0
"""Above this share of the machine taken by others in a timed phase, the table warns."""


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def header(what: str, mode: str, facts: Iterable[tuple[str, str]]) -> list[str]:
    """The table's first line and the facts under it."""
    return [
        f"ledger {what} benchmark — {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, mode={mode}",
        *(f"  {k}: {v}" for k, v in facts),
    ]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def budget_line(label: str, value: str, budget: str, ok: bool | None) -> str:
    """One row of the ratio / budget table: `ok` None is shown for information."""
    return f"{label:<54}{value:>10}  {budget:<12}{'info' if ok is None else verdict(ok)}"


def contention_warning(results: Iterable[Result], ending: str, *advice: str) -> list[str]:
    """The WARNING lines when other processes took more than CONTENTION_PCT of the machine in a
    timed phase: its first line ends with `ending`, then each line of `advice`."""
    worst = max((x.others_pct or 0.0 for x in results), default=0.0)
    if worst <= CONTENTION_PCT:
        return []
    return [
        f"  WARNING: other processes took up to {worst:.0f}% of the machine during a timed "
        f"phase (see 'others' in the notes){ending}",
        *advice,
    ]


def machine_fact(*packages: str) -> tuple[str, str]:
    """The machine and the versions the figures depend on, measured just before the run."""
    with Cpu(os.getpid()) as idle:  # what other processes use before we start
        time.sleep(1.0)
    versions = ", ".join(
        [
            f"eventsourcing {dist_version('eventsourcing')}",
            f"psycopg {dist_version('psycopg')} ({psycopg.pq.__impl__})",
            *(f"{name} {dist_version(name)}" for name in packages),
        ]
    )
    return (
        "machine",
        f"{os.cpu_count()} cores, {idle.others_pct:.0f}% busy with other processes "
        f"just before the run, load avg {os.getloadavg()[0]:.2f}; Python "
        f"{platform.python_version()}, {versions}",
    )


def source_fact() -> tuple[str, str]:
    """The commit measured, and whether src/ or migrations/ differ from it."""
    root = Path(__file__).resolve().parents[3]
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "src", "migrations"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "source", "unknown (not a git checkout)"
    return "source", f"git {head}" + (
        " + uncommitted changes in src/ or migrations/" if dirty else ""
    )
