"""`ledger serve --workers N`: N API worker processes and one background process, supervised.

One Python process serves about one core (the GIL), so `serve` with N >= 2 runs the API in N
processes. The parent does what must happen once: it opens and migrates the database (starting
the embedded PostgreSQL), binds the one listening socket and creates the directory the workers
keep their Prometheus counters in. Then it starts its children, each a fresh interpreter running
`python -m ledger.cli` (docs/DECISIONS.md, "Processes: workers and supervision"):

- `api-1` .. `api-N`: `ledger serve --workers 1 --listen-fd FD --no-notary --no-projections
  --no-timers` with the parent's other options, accepting on the inherited socket;
- `background`: `ledger worker` with the parent's `--notary/--projections/--timers`, left out
  when all three are off.

A child that dies is logged (`process.died`) and started again (`process.restarted`) after a
back-off that doubles while it keeps dying young. SIGTERM, SIGINT or SIGHUP to the parent (or
its own parent's death) passes SIGTERM to every child, which finish their requests as a single
`serve` does; children still running after LEDGER_SHUTDOWN_TIMEOUT and a margin are killed. Then
the parent releases the embedded PostgreSQL (the last user stops it) and removes the metrics
directory. Children run in their own session, so a terminal's Ctrl-C reaches only the parent,
which stops them in order; each watches its parent, so a SIGKILLed parent leaves no orphan.

Group commit stays correct across processes: each process batches its own writers, and every
batch goes through `ledger_append_events()`, which takes the events' insert lock until its commit
(migrations/0028_insert_lock_advisory.sql). Positions therefore become visible in the order
they were drawn, whichever process drew them: a projection reading "after my last position" never
passes a position that commits later. `tests/e2e/test_workers.py` watches that from outside.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import click
import structlog

from ledger.config.settings import Settings

log = structlog.get_logger("ledger.processes")

FIRST_DELAY = 0.5
"""Seconds before a dead child is started again; doubled for each death in a row of a child that
had run less than HEALTHY_AFTER seconds, up to MAX_DELAY."""
MAX_DELAY = 30.0
HEALTHY_AFTER = 30.0
STOP_MARGIN = 20.0
"""Seconds past LEDGER_SHUTDOWN_TIMEOUT a child gets to exit on SIGTERM before SIGKILL (the
background process joins its notary for up to 10 s)."""
POLL_EVERY = 0.2


def default_workers(option: int | None, settings: Settings) -> int:
    """`--workers`, else LEDGER_WORKERS, else the cores this process may run on."""
    if option is not None:
        return option
    if settings.workers is not None:
        return settings.workers
    try:
        return len(os.sched_getaffinity(0))  # a container's CPU set, not the host's cores
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    """The one socket every API worker accepts on, inherited by file descriptor.

    Created with `proto=IPPROTO_TCP`: asyncio sets TCP_NODELAY only on connections of a socket
    whose proto says TCP, and uvicorn's own `--workers` binds with proto 0, so each keep-alive
    response waited ~40 ms for the client's delayed ACK (uvicorn #3149)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def command_line(ctx: click.Context, **overrides: Any) -> list[str]:
    """The options of `ctx`'s command as given (with `overrides`), to run it again in a child:
    whatever options `serve` gains reach the workers without being listed here."""
    args: list[str] = []
    for param in ctx.command.params:
        if not isinstance(param, click.Option) or param.name is None:
            continue
        value = overrides.get(param.name, ctx.params.get(param.name))
        if param.is_flag and param.secondary_opts:
            args.append(param.opts[0] if value else param.secondary_opts[0])
        elif param.is_flag:
            args.extend([param.opts[0]] if value else [])
        elif param.multiple:
            for item in value or ():
                args.extend([param.opts[0], str(item)])
        elif value is not None:
            args.extend([param.opts[0], str(value)])
    return args


@dataclass
class Child:
    """One supervised process: what starts it, and how it has fared."""

    name: str
    argv: list[str]
    env: dict[str, str]
    pass_fds: tuple[int, ...] = ()
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    dying_young: int = 0
    """Deaths in a row, each within HEALTHY_AFTER seconds of its start."""
    restart_at: float | None = None
    last_exit: int | None = None
    previous_pid: int | None = None
    restarts: int = 0

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.argv, env=self.env, pass_fds=self.pass_fds, start_new_session=True
        )
        self.started = time.monotonic()
        self.restart_at = None


class Supervisor:
    """Starts the children, restarts the ones that die, and stops them all on `stop`."""

    def __init__(self, children: Sequence[Child], stop: threading.Event, grace: float) -> None:
        self.children = list(children)
        self.stop = stop
        self.grace = grace
        self.on_death: list[Any] = []
        """Callbacks `(child, pid)` run after a child died (the metrics files of a dead pid)."""

    def run(self) -> None:
        """Until `stop` is set: start every child, then watch them; then stop them all."""
        try:
            for child in self.children:
                child.start()
                log.info("process.started", name=child.name, pid=_pid(child))
            while not self.stop.wait(POLL_EVERY):
                self.watch(time.monotonic())
        finally:
            self.stop_all()

    def watch(self, now: float) -> None:
        for child in self.children:
            process = child.process
            if child.restart_at is None and process is not None and process.poll() is not None:
                self._died(child, process, now)
            if child.restart_at is not None and now >= child.restart_at and not self.stop.is_set():
                child.start()
                child.restarts += 1
                log.warning(
                    "process.restarted",
                    name=child.name,
                    pid=_pid(child),
                    previous_pid=child.previous_pid,
                    exit_code=child.last_exit,
                    restarts=child.restarts,
                )

    def _died(self, child: Child, process: subprocess.Popen[bytes], now: float) -> None:
        code = process.returncode
        lived = now - child.started
        child.dying_young = child.dying_young + 1 if lived < HEALTHY_AFTER else 0
        delay = min(FIRST_DELAY * 2 ** max(child.dying_young - 1, 0), MAX_DELAY)
        child.restart_at, child.last_exit, child.previous_pid = now + delay, code, process.pid
        log.error(
            "process.died",
            name=child.name,
            pid=process.pid,
            exit_code=code,
            signal=signal.Signals(-code).name if code < 0 else None,
            lived_seconds=round(lived, 1),
            restart_in_seconds=delay,
        )
        for callback in self.on_death:
            callback(child, process.pid)

    def stop_all(self) -> None:
        """SIGTERM to every live child, SIGKILL to those still alive after the grace period."""
        live = [c.process for c in self.children if c.process and c.process.poll() is None]
        for process in live:
            _signal(process, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        for process in live:
            try:
                process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                log.error("process.killed", pid=process.pid, after_seconds=self.grace)
                _signal(process, signal.SIGKILL)
                process.wait()
        for child in self.children:
            if child.process is not None:
                log.info("process.stopped", name=child.name, pid=child.process.pid)


def serve_in_processes(
    ctx: click.Context,
    settings: Settings,
    host: str,
    port: int,
    workers: int,
    parts: tuple[bool, bool, bool],
) -> None:
    """`ledger serve` with `workers` API processes (>= 2) and the background one, until stopped."""
    from ledger.cli.running import stop_on_signals, watch_parent
    from ledger.store.database import migrate, open_database, release_database

    stop = threading.Event()
    stop_on_signals(stop.set)
    watch_parent(settings)
    metrics_dir = tempfile.mkdtemp(prefix="ledger-metrics-")
    try:
        migrate(open_database(settings))  # once, before any child opens it
        with listening_socket(host, port, settings.backlog) as sock:
            where = (settings.database_url and "LEDGER_DATABASE_URL") or (
                f"embedded in {settings.data_dir}"
            )
            click.echo(
                f"ledger: PostgreSQL {where}; serving http://{host}:{port} with {workers} API"
                " worker processes (docs at /schema)",
                err=True,
            )
            supervisor = Supervisor(
                children(ctx, sock.fileno(), workers, parts, metrics_dir, settings.pool_size),
                stop,
                grace=settings.shutdown_timeout + STOP_MARGIN,
            )
            supervisor.on_death.append(lambda _, pid: _forget_metrics(pid, metrics_dir))
            supervisor.run()
    finally:
        release_database(settings)
        shutil.rmtree(metrics_dir, ignore_errors=True)


POOL_ENV = "LEDGER_POOL_SIZE"
BACKGROUND_POOL = 2
"""Request-pool connections of the background process (the timers' appends; the notary and the
projections have connections of their own)."""


def worker_pool(pool_size: int, workers: int) -> int:
    """Each API worker's share of the server's request pool: at least 2 (one append, one read)."""
    return max(2, -(-pool_size // workers))


def children(
    ctx: click.Context,
    fd: int,
    workers: int,
    parts: tuple[bool, bool, bool],
    metrics_dir: str,
    pool_size: int,
) -> list[Child]:
    """The API workers on socket `fd`, and the background process if it has anything to run.

    `pool_size` is the server's request pool, shared out: each API worker holds its part of it
    (`worker_pool`) and the background process, which only the timers' appends use it,
    `BACKGROUND_POOL`. So the connections `ledger serve` opens do not grow with the cores
    (8 a worker on 64 cores would pass PostgreSQL's default `max_connections` of 100)."""
    from ledger.api.telemetry import MULTIPROC_ENV
    from ledger.cli.running import PARENT_ENV

    python = [sys.executable, "-m", "ledger.cli"]
    # Children exit with this process even where it may outlive its own parent (nohup).
    env = {**os.environ, "LEDGER_EXIT_WITH_PARENT": "1", PARENT_ENV: str(os.getpid())}
    api = [
        *python,
        "serve",
        *command_line(ctx, workers=1, listen_fd=fd, notary=False, projections=False, timers=False),
    ]
    found = [
        Child(
            f"api-{i}",
            api,
            {**env, MULTIPROC_ENV: metrics_dir, POOL_ENV: str(worker_pool(pool_size, workers))},
            (fd,),
        )
        for i in range(1, workers + 1)
    ]
    notary, projections, timers = parts
    if notary or projections or timers:
        flags = [
            "--notary" if notary else "--no-notary",
            "--projections" if projections else "--no-projections",
            "--timers" if timers else "--no-timers",
        ]
        background = {**env, POOL_ENV: str(BACKGROUND_POOL)}
        found.append(Child("background", [*python, "worker", *flags], background))
    return found


def _forget_metrics(pid: int, metrics_dir: str) -> None:
    """A dead worker's live gauges go (its counters stay: they are part of the totals)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid, metrics_dir)  # type: ignore[no-untyped-call]


def _pid(child: Child) -> int | None:
    return child.process.pid if child.process is not None else None


def _signal(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):  # exited meanwhile
        process.send_signal(sig)
