"""CPU during a phase: the measuring process, everything of ours, the machine, and the rest.

"Ours" is this process, the `ledger serve` it started with every process of its own (API workers,
the background process), wrk once reaped, and the PostgreSQL processes that serve the bench
database. "Others" is the machine's busy time less
ours: other people's processes on the same cores.
"""

from __future__ import annotations

import os
import resource
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import psutil
import psycopg
from psycopg.conninfo import conninfo_to_dict

TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """CPU seconds used so far by a process, all threads; 0 if it is gone."""
    ticks = 0
    with suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with suppress(OSError):
                fields = (task / "stat").read_text().rpartition(")")[2].split()
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / TICK


def server_processes(pid: int) -> set[int]:
    """Every process `ledger serve` started (its workers and background process), not the
    embedded PostgreSQL's, which count through the database."""
    with suppress(psutil.Error):
        return {
            child.pid
            for child in psutil.Process(pid).children(recursive=True)
            if "postgres" not in child.name()
        }
    return set()


def reaped_children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once it has exited
    return usage.ru_utime + usage.ru_stime


class Ours:
    """The processes a phase is made of: this one, the server, and PostgreSQL's processes that
    serve the bench database (its backends and the background workers, if on this machine)."""

    def __init__(self) -> None:
        self.server_pid: int | None = None
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None

    def watch(self, conninfo: str) -> None:
        """PostgreSQL's pids mean something here only if it runs on this machine."""
        host = str(conninfo_to_dict(conninfo).get("host") or "")
        if not host or host.startswith("/") or host in {"127.0.0.1", "localhost", "::1"}:
            self._conn = psycopg.connect(conninfo, autocommit=True)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    def pids(self) -> set[int]:
        pids = {os.getpid()}
        if self.server_pid:
            pids |= {self.server_pid} | server_processes(self.server_pid)
        if self._conn is not None:
            rows = self._conn.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() OR backend_type <> 'client backend'"
            ).fetchall()
            pids |= {int(str(row[0])) for row in rows}
        return pids


@dataclass
class Cpu:
    """CPU over one or more intervals: the measuring process, everything of ours, the machine.

    "others" is the machine's busy time less ours: other people's processes on the same cores.
    """

    main_pid: int
    ours: Ours | None = None
    main_seconds: float = 0.0
    ours_seconds: float = 0.0
    wall: float = 0.0
    busy_ticks: int = 0
    total_ticks: int = 0

    @staticmethod
    def _machine() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = values[3] + values[4]  # idle, iowait
        return sum(values) - idle, sum(values)

    def _ours(self) -> dict[int, float]:
        pids = self.ours.pids() if self.ours else {self.main_pid}
        return {pid: process_cpu(pid) for pid in pids}

    def __enter__(self) -> Cpu:
        self._ours0 = self._ours()
        self._children0 = reaped_children_cpu()
        self._busy0, self._total0 = self._machine()
        self._started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall += time.perf_counter() - self._started
        busy, total = self._machine()
        self.busy_ticks += busy - self._busy0
        self.total_ticks += total - self._total0
        ours = self._ours()  # a process that started meanwhile counts from 0
        main = {self.main_pid}
        if self.ours is not None and self.main_pid == self.ours.server_pid:
            main |= server_processes(self.main_pid)  # the server is all of its processes
        self.main_seconds += sum(ours.get(p, 0.0) - self._ours0.get(p, 0.0) for p in main)
        self.ours_seconds += sum(cpu - self._ours0.get(pid, 0.0) for pid, cpu in ours.items())
        self.ours_seconds += reaped_children_cpu() - self._children0

    @property
    def machine_pct(self) -> float:
        """Of all cores: 100% is every core busy."""
        return 100 * self.busy_ticks / max(self.total_ticks, 1)

    @property
    def others_pct(self) -> float:
        others = self.busy_ticks / TICK - self.ours_seconds
        return max(0.0, 100 * others * TICK / max(self.total_ticks, 1))

    def describe(self, who: str) -> str:
        """`who`'s share of a core (the server, or this process), the machine, the others."""
        main = 100 * self.main_seconds / max(self.wall, 1e-9)
        return (
            f"{who} {main:.0f}% of a core; machine {self.machine_pct:.0f}% busy, "
            f"others {self.others_pct:.0f}%"
        )


def cpu_note(cpu: Cpu) -> str:
    """This process and PostgreSQL (the rest of ours), the machine, the others."""
    main = 100 * cpu.main_seconds / max(cpu.wall, 1e-9)
    postgres = 100 * (cpu.ours_seconds - cpu.main_seconds) / max(cpu.wall, 1e-9)
    return (
        f"bench {main:.0f}% + postgres {postgres:.0f}% of a core; machine "
        f"{cpu.machine_pct:.0f}% busy, others {cpu.others_pct:.0f}%"
    )
