"""Running the ledger: `serve` (the HTTP API), `worker` (the background parts alone), `migrate`.

`serve` and `worker` stop the same way on SIGTERM (systemd, Docker, `kill`), SIGINT (Ctrl-C) and
SIGHUP (a closed terminal), and when the process that started them dies: requests finish (within
LEDGER_SHUTDOWN_TIMEOUT), the background threads stop, then the embedded PostgreSQL is stopped
if no other process uses it. They watch their database while they run
(`ledger.store.supervisor`): an embedded server that dies is restarted. With `--workers N`
(N >= 2, the default on a machine with several cores) `serve` runs as a supervisor of worker
processes instead (`ledger.cli.processes`).
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from ledger.config.settings import Settings

if TYPE_CHECKING:
    from ledger.store.database import Database
    from ledger.store.supervisor import DatabaseSupervisor

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
PARENT_ENV = "LEDGER_PARENT_PID"
"""Set by `serve --workers` for its children: the parent to exit with."""
STARTED_BY = os.getppid()
"""The parent as this process began (read at import: later, a dead parent reads as 1)."""
FD_HEADROOM = 256
"""File descriptors kept for everything but HTTP connections (pools, listeners, logs, files)."""


def background_parts(where: str) -> Decorator:
    """`--notary`, `--projections` and `--timers` switches, shared by `serve` and `worker`.

    Timers are safe to run twice (beside a worker's): each breach and default rating is written
    once, under an idempotency key.
    """
    parts = (
        ("--notary/--no-notary", "Run the notary"),
        ("--projections/--no-projections", "Run the projections"),
        ("--timers/--no-timers", "Run the timers (commitment breaches, default ratings)"),
    )

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for flag, text in reversed(parts):
            command = click.option(flag, default=True, show_default=True, help=text + where)(
                command
            )
        return command

    return decorate


@click.command()
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=None,
    help="API worker processes, beside one for the notary, projections and timers; 0 or 1: all "
    "in this process [default: LEDGER_WORKERS, else one per core]",
)
@click.option("--listen-fd", type=int, default=None, hidden=True)  # an API worker's socket
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--replica-url",
    "replica_urls",
    multiple=True,
    help="A hot standby that serves reads (repeatable; LEDGER_REPLICA_URLS)",
)
@background_parts(" in this process (turn off when `ledger worker` runs it)")
def serve(
    host: str,
    port: int,
    notary: bool,
    projections: bool,
    timers: bool,
    replica_urls: tuple[str, ...] = (),
    workers: int | None = None,
    listen_fd: int | None = None,
) -> None:
    """Migrate, then serve the HTTP API (embedded PostgreSQL unless LEDGER_DATABASE_URL is set),
    in worker processes (`ledger.cli.processes`) or, with `--workers 1`, in this one."""
    import uvicorn

    from ledger.api.app import create_app
    from ledger.cli.processes import default_workers, serve_in_processes
    from ledger.cli.protocols import guarded_httptools
    from ledger.config.logs import configure_logging
    from ledger.store.database import release_database

    if replica_urls:  # through the environment, so every process serve starts has them
        os.environ["LEDGER_REPLICA_URLS"] = " ".join(replica_urls)
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    if listen_fd is None and (count := default_workers(workers, settings)) > 1:
        parts = (notary, projections, timers)
        serve_in_processes(click.get_current_context(), settings, host, port, count, parts)
        return
    where = (settings.database_url and "LEDGER_DATABASE_URL") or f"embedded in {settings.data_dir}"
    if listen_fd is None:  # else an API worker, whose parent said it
        click.echo(
            f"ledger: PostgreSQL {where}; serving http://{host}:{port} (docs at /schema)", err=True
        )
    app = create_app(settings, notary=notary, run_projections=projections, timers=timers)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        http=guarded_httptools(
            open_files_for(settings.max_connections),
            settings.request_timeout,
            settings.max_header_bytes,
        ),
        backlog=settings.backlog,
        timeout_keep_alive=settings.keep_alive_timeout,
        timeout_graceful_shutdown=settings.shutdown_timeout,
    )
    server = stopping_server(config, app)
    # uvicorn handles SIGINT and SIGTERM while it serves, then restores these handlers and
    # raises the signal again: with the default handlers, that killed the process before the
    # embedded PostgreSQL was stopped. SIGHUP it does not handle at all.
    stop_on_signals(lambda: setattr(server, "should_exit", True))
    watch_parent(settings)
    try:
        server.run(sockets=None if listen_fd is None else [socket.socket(fileno=listen_fd)])
    finally:
        release_database(settings)


def stopping_server(config: Any, app: Any) -> Any:
    """A uvicorn server that sets `app.state.stopping` as it begins to stop. uvicorn lets open
    responses finish first, and a long-lived one (the board's event stream) ends only when told:
    without this it held every stop until LEDGER_SHUTDOWN_TIMEOUT cut it off."""
    import asyncio

    import uvicorn

    app.state.stopping = asyncio.Event()

    class StoppingServer(uvicorn.Server):
        async def shutdown(self, sockets: Any = None) -> None:
            app.state.stopping.set()
            await super().shutdown(sockets)

    return StoppingServer(config)


@click.command()
@background_parts("")
@click.option(
    "--batch-size",
    default=None,
    type=click.IntRange(min=1),
    help="Events per projection transaction [default: 5000]",
)
def worker(notary: bool, projections: bool, timers: bool, batch_size: int | None) -> None:
    """Run the notary and the projections as a process of their own (`serve --no-notary
    --no-projections` beside it)."""
    from ledger.config.logs import configure_logging
    from ledger.store.database import migrate as apply
    from ledger.store.database import open_database, release_database
    from ledger.store.supervisor import DatabaseSupervisor

    if not (notary or projections or timers):
        raise click.UsageError("nothing to run: --no-notary, --no-projections and --no-timers")
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    stop = threading.Event()
    stop_on_signals(stop.set)
    watch_parent(settings)
    try:
        database = open_database(settings)
        apply(database)
        supervisor = DatabaseSupervisor(
            database, every=settings.db_probe_every, connect_timeout=settings.db_connect_timeout
        ).start()
        try:
            _work(settings, database, supervisor, stop, (notary, projections, timers), batch_size)
        finally:
            supervisor.close()
    finally:
        release_database(settings)


def _work(
    settings: Settings,
    database: Database,
    supervisor: DatabaseSupervisor,
    stop: threading.Event,
    parts: tuple[bool, bool, bool],
    batch_size: int | None,
) -> None:
    """The worker's threads, until `stop` is set."""
    from ledger.log.keys import load_signer
    from ledger.log.notary import Notary, start_notary_thread
    from ledger.log.witnesses import start_witnessing
    from ledger.projections.batch import DEFAULT_BATCH
    from ledger.projections.worker import ProjectionWorker

    notary, projections, timers = parts
    notary_thread, witnessing = None, None
    if notary:
        signer = load_signer(settings.notary_key_path, settings.origin)
        notary_thread, notary_stop = start_notary_thread(
            Notary(
                database.notary_conninfo,
                signer,
                settings.origin,
                checkpoint_every=settings.checkpoint_every,
            )
        )
        witnessing = start_witnessing(settings, database.notary_conninfo)
    projectors = None
    if projections:
        projectors = ProjectionWorker(
            database.app_conninfo, batch_size=batch_size or DEFAULT_BATCH
        ).start()
    ledger, timer = None, None
    if timers:
        from ledger.application.service import Ledger
        from ledger.application.timers import LedgerTimers

        ledger = Ledger(settings, database)
        supervisor.guard(ledger.store.datastore.pool)
        timer = LedgerTimers(ledger).start()
    while not stop.wait(0.5):  # the signal handlers run on this (the main) thread
        pass
    if timer is not None and ledger is not None:
        timer.stop()
        ledger.close()
    if projectors is not None:
        projectors.stop()
    if witnessing is not None:
        witnessing.set()
    if notary_thread is not None:
        notary_stop.set()
        notary_thread.join(10.0)


@click.command()
def migrate() -> None:
    """Apply pending migrations from migrations/ (yoyo)."""
    from ledger.store.database import migrate as apply
    from ledger.store.database import open_database

    applied = apply(open_database(Settings.from_env()))
    click.echo("applied: " + (", ".join(applied) if applied else "nothing (up to date)"))


def stop_on_signals(stop: Callable[[], None]) -> None:
    """SIGTERM, SIGINT and SIGHUP all mean: stop cleanly (`stop` runs on the main thread)."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, lambda *_: stop())


def watch_parent(settings: Settings) -> None:
    """Stop (by SIGTERM to this process) when the parent that started it dies.

    `uv run ledger serve` runs the ledger as uv's child: SIGKILL uv and the child lives on,
    holding the port. A thread polling `getppid()` (not prctl's PR_SET_PDEATHSIG, which fires
    when the parent's *thread* that forked us exits, and exists only on Linux) notices within
    half a second. Started by init (systemd: ppid 1) or as a container's first process, there
    is no parent to watch. LEDGER_EXIT_WITH_PARENT=0 turns it off (nohup). The parent is the
    one the process began with (LEDGER_PARENT_PID, else `STARTED_BY`), not `getppid()` now: a
    child of `serve --workers` still starting when its parent was killed read 1 there and never
    stopped.
    """
    import time

    parent = int(os.environ.pop(PARENT_ENV, "") or STARTED_BY)
    if not settings.exit_with_parent or parent <= 1:
        return

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        click.echo(f"ledger: parent process {parent} is gone; stopping", err=True)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def open_files_for(max_connections: int) -> int:
    """Raise this process's open-files limit (soft, up to the hard one) to hold `max_connections`
    HTTP connections besides everything else; returns the connection cap the limit allows. With
    the usual soft limit of 1024, a thousand idle connections would otherwise exhaust it."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = max_connections + FD_HEADROOM
    if soft != resource.RLIM_INFINITY and soft < want:
        soft = want if hard == resource.RLIM_INFINITY else min(want, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    if soft != resource.RLIM_INFINITY and soft < want:
        click.echo(
            f"ledger: the open-files limit ({soft}) holds only {soft - FD_HEADROOM} connections,"
            f" not LEDGER_MAX_CONNECTIONS={max_connections}; raise `ulimit -Hn`",
            err=True,
        )
        return max(1, soft - FD_HEADROOM)
    return max_connections
