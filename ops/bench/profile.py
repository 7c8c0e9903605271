"""Where an append's time goes: py-spy on each process of `ledger serve` under 16 POSTing clients.

    uv run python ops/bench/profile.py [--quick] [--workers N] [--seconds S] [--top K]

A fresh bench database with seeded 6-event cases (as append.py seeds them), `ledger serve
--workers N` on it, wrk POSTing VisitRecorded at 16 connections, and `py-spy record --gil` on each
of the server's processes at once. `--gil` samples only the thread that holds the GIL, so a
process's samples are its Python CPU, not its waits. The table shows, per process, the frames
that held the GIL most (inclusive, then self), as shares of that process's samples. py-spy needs
ptrace rights over the server (root, or kernel.yama.ptrace_scope=0).
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import psutil
from append_bench.cases import seed_cases
from append_bench.post import wrk_post
from support import cli
from support.cases import CLERK
from support.cpu import server_processes
from support.postgres import fresh_database
from support.report import log
from support.run import Run, run_and_print
from support.server import free_port, start_server, stop_server
from support.tools import ensure_tool

from ledger.application.service import Ledger
from ledger.application.tokens import create_token
from ledger.store.database import database_for

if TYPE_CHECKING:
    from collections.abc import Iterable

SITE = re.compile(r" \(/[^)]*?(?:site-packages|lib/python3\.\d+)/")
LINE = re.compile(r":\d+\)$")


def fold(raw: Iterable[str]) -> tuple[int, collections.Counter[str], collections.Counter[str]]:
    """py-spy's raw (collapsed) stacks: total samples, inclusive and self counts per frame."""
    total, inclusive, own = 0, collections.Counter[str](), collections.Counter[str]()
    for line in raw:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack:
            continue
        n = int(count)
        frames = [LINE.sub(")", SITE.sub(" (", f)) for f in stack.split(";")[1:]]
        total += n
        for frame in set(frames):
            inclusive[frame] += n
        if frames:
            own[frames[-1]] += n
    return total, inclusive, own


def describe(pid: int) -> str:
    try:
        return " ".join(psutil.Process(pid).cmdline())[-90:]
    except psutil.Error:
        return f"pid {pid}"


@dataclass
class Profile:
    lines: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    def render(self) -> str:
        return "\n".join([*self.lines, "", *(f"  {line}" for line in self.extra)])


def bench(run: Run, args: argparse.Namespace, profile: Profile) -> None:
    report = profile.lines
    beside = Path(sys.executable).parent / "py-spy"  # the dev group's, in this environment
    py_spy = str(beside) if beside.exists() else shutil.which("py-spy") or "py-spy"
    wrk = ensure_tool("wrk")
    owner, where, settings, _ = fresh_database(run)
    ledger = Ledger(settings, database_for(owner, settings))
    run.apps.append(ledger)
    ids = seed_cases(ledger, 3000 if args.quick else 10000)
    port = free_port()
    log(f"starting `ledger serve --workers {args.workers}` ...")
    start_server(run, owner, settings, port, workers=args.workers)
    assert run.server is not None
    token = create_token(
        settings.token_secret, CLERK.id, list(CLERK.roles), CLERK.unit, 3600, centres=["*"]
    )
    wrk_post(wrk, port, token, ids[:500], 4, 1.0, run.tmp)  # warm-up
    pids = sorted({run.server.pid} | server_processes(run.server.pid))
    outputs = {pid: run.tmp / f"py-spy-{pid}.txt" for pid in pids}
    record = [py_spy, "record", "--gil", "-r", "250", "-d", str(int(args.seconds)), "-f", "raw"]
    spies = [
        subprocess.Popen(
            [*record, "-o", str(out), "-p", str(pid)],
            stdout=subprocess.DEVNULL,
            stderr=out.with_suffix(".err").open("wb"),
        )
        for pid, out in outputs.items()
    ]
    time.sleep(0.5)
    log(f"POST at 16 clients for {args.seconds:g} s under py-spy ...")
    result = wrk_post(wrk, port, token, ids[500:], 16, args.seconds - 1, run.tmp)
    for spy in spies:
        spy.wait(timeout=60)
    stop_server(run)
    report.append(
        f"ledger profile — {where}; `ledger serve --workers {args.workers}`; wrk 16 connections: "
        f"{result.rate:,.0f} POST/s (p99 {result.p99_ms:.1f} ms, under py-spy at 250 Hz)"
    )
    for pid, out in outputs.items():
        if not out.exists():
            said = out.with_suffix(".err").read_text()[-300:].strip()
            report.append(f"\n{describe(pid)}: no samples; py-spy said: {said}")
            continue
        total, inclusive, own = fold(out.read_text().splitlines())
        seconds = total / 250
        report.append(
            f"\n{describe(pid)}\n  {total:,} samples holding the GIL = {seconds:.1f} s of "
            f"Python CPU in {args.seconds:g} s ({100 * seconds / args.seconds:.0f}% of a core)"
        )
        report.append("  inclusive:")
        report += [
            f"  {100 * n / total:6.1f}%  {f[:110]}" for f, n in inclusive.most_common(args.top)
        ]
        report.append("  self:")
        report += [f"  {100 * n / total:6.1f}%  {f[:110]}" for f, n in own.most_common(12)]


def main(argv: list[str] | None = None) -> int:
    parser = cli.parser(__doc__, "a smaller seed (3,000 cases)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--top", type=int, default=40, help="inclusive frames shown per process")
    args = parser.parse_args(argv)
    cli.quiet()
    return run_and_print(
        lambda run, _plan, profile: bench(run, args, profile), None, Profile(), Profile.render
    )


if __name__ == "__main__":
    sys.exit(main())
