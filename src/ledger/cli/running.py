"""Running the ledger: `serve` (the HTTP API), `worker` (the background parts alone), `migrate`.

`serve` and `worker` stop the same way on SIGTERM (systemd, Docker, `kill`), SIGINT (Ctrl-C) and
SIGHUP (a closed terminal), and when the process that started them dies: requests finish (within
LEDGER_SHUTDOWN_TIMEOUT), the background threads stop, then the embedded PostgreSQL is stopped
if no other process uses it. They watch their database while they run
(`ledger.store.supervisor`): an embedded server that dies is restarted.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from ledger.config.settings import Settings

if TYPE_CHECKING:
    import asyncio

    from ledger.store.database import Database
    from ledger.store.supervisor import DatabaseSupervisor

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
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
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@background_parts(" in this process (turn off when `ledger worker` runs it)")
def serve(host: str, port: int, notary: bool, projections: bool, timers: bool) -> None:
    """Migrate, then serve the HTTP API (embedded PostgreSQL unless LEDGER_DATABASE_URL is set)."""
    import uvicorn

    from ledger.api.app import create_app
    from ledger.config.logs import configure_logging
    from ledger.store.database import release_database

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    where = (settings.database_url and "LEDGER_DATABASE_URL") or f"embedded in {settings.data_dir}"
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
        http=guarded_h11(open_files_for(settings.max_connections), settings.request_timeout),
        backlog=settings.backlog,
        timeout_keep_alive=settings.keep_alive_timeout,
        h11_max_incomplete_event_size=settings.max_header_bytes,
        timeout_graceful_shutdown=settings.shutdown_timeout,
    )
    server = stopping_server(config, app)
    # uvicorn handles SIGINT and SIGTERM while it serves, then restores these handlers and
    # raises the signal again: with the default handlers, that killed the process before the
    # embedded PostgreSQL was stopped. SIGHUP it does not handle at all.
    stop_on_signals(lambda: setattr(server, "should_exit", True))
    watch_parent(settings)
    try:
        server.run()
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
    is no parent to watch. LEDGER_EXIT_WITH_PARENT=0 turns it off (nohup).
    """
    import time

    parent = os.getppid()
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


def guarded_h11(max_connections: int, request_timeout: float) -> type[asyncio.Protocol]:
    """uvicorn's h11 protocol with the two limits uvicorn 0.54 lacks.

    - A deadline per request: from a connection's opening (or the first byte of its next
      request), the whole request, head and body, must arrive within `request_timeout` seconds,
      or the connection is closed. uvicorn only times out *idle keep-alive* connections: one
      that opens and sends nothing, or a header a byte a second (slowloris), it holds for ever.
    - A connection cap answered as the API answers: past `max_connections` open connections,
      a request gets 503 problem+json with Retry-After, and its connection is closed. (uvicorn's
      `limit_concurrency` answers text/plain, without Retry-After.)
    """
    import h11
    import msgspec
    from uvicorn.protocols.http.h11_impl import H11Protocol

    from ledger.api.errors import PROBLEM_BASE, PROBLEM_JSON
    from ledger.api.schemas.problems import Problem

    problem = Problem(
        type=PROBLEM_BASE + "too-many-connections",
        title="Too many connections",
        status=503,
        detail=f"the server holds its most open connections ({max_connections}); retry shortly",
    )
    body = msgspec.json.encode(problem)
    start = {
        "type": "http.response.start",
        "status": 503,
        "headers": [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", b"1"),
            (b"connection", b"close"),
        ],
    }

    async def over_capacity(scope: Any, receive: Any, send: Any) -> None:
        await send(start)
        await send({"type": "http.response.body", "body": body})

    incomplete = (h11.IDLE, h11.SEND_BODY)

    class GuardedH11Protocol(H11Protocol):
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if len(self.connections) > max_connections:
                self.app = over_capacity
            self._arm()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self.conn.their_state in incomplete:
                self._arm()
            else:
                self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _arm(self) -> None:
            if self._deadline is None:
                self._deadline = self.loop.call_later(request_timeout, self._expire)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _expire(self) -> None:
            self._deadline = None
            if self.conn.their_state in incomplete and not self.transport.is_closing():
                self.transport.close()

    return GuardedH11Protocol
