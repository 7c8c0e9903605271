"""Running the ledger: `serve` (the HTTP API), `worker` (the background parts alone), `migrate`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from ledger.config.settings import Settings

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


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

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    where = (settings.database_url and "LEDGER_DATABASE_URL") or f"embedded in {settings.data_dir}"
    click.echo(
        f"ledger: PostgreSQL {where}; serving http://{host}:{port} (docs at /schema)", err=True
    )
    app = create_app(settings, notary=notary, run_projections=projections, timers=timers)
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)


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
    import signal
    import threading

    from ledger.config.logs import configure_logging
    from ledger.log.keys import load_signer
    from ledger.log.notary import Notary, start_notary_thread
    from ledger.log.witnesses import start_witnessing
    from ledger.projections.batch import DEFAULT_BATCH
    from ledger.projections.worker import ProjectionWorker
    from ledger.store.database import migrate as apply
    from ledger.store.database import open_database

    if not (notary or projections or timers):
        raise click.UsageError("nothing to run: --no-notary, --no-projections and --no-timers")
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    database = open_database(settings)
    apply(database)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
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
