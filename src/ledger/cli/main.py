"""`ledger`: serve, migrate, and issue tokens (more commands arrive with later capabilities)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from ledger.config.settings import Settings
from ledger.domain.values import Role

if TYPE_CHECKING:
    from ledger.log.signed_note import Verifier


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Case Ledger: an event-sourced, tamper-evident case ledger for service centres."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--notary/--no-notary",
    default=True,
    show_default=True,
    help="Run the notary in this process (turn off when `ledger worker` runs it)",
)
@click.option(
    "--projections/--no-projections",
    default=True,
    show_default=True,
    help="Run the projections in this process (turn off when `ledger worker` runs them)",
)
@click.option(
    "--timers/--no-timers",
    default=True,
    show_default=True,
    help="Run the timers: commitment breaches, default ratings (safe beside another: each is "
    "written once)",
)
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


@main.command()
@click.option("--notary/--no-notary", default=True, show_default=True, help="Run the notary")
@click.option(
    "--projections/--no-projections", default=True, show_default=True, help="Run the projections"
)
@click.option(
    "--timers/--no-timers",
    default=True,
    show_default=True,
    help="Run the timers: commitment breaches, default ratings",
)
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
    from ledger.projections.runtime import DEFAULT_BATCH, ProjectionWorker
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
    notary_thread = None
    if notary:
        signer = load_signer(settings.notary_key_path, settings.origin)
        notary_thread, notary_stop = start_notary_thread(
            Notary(
                database.app_conninfo,
                signer,
                settings.origin,
                checkpoint_every=settings.checkpoint_every,
            )
        )
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
    if notary_thread is not None:
        notary_stop.set()
        notary_thread.join(10.0)


@main.group()
def projections() -> None:
    """The read models: how far each has followed the log, and rebuilding one."""


@projections.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table")
def projections_status(as_json: bool) -> None:
    """For each projection: live generation, position, head, lag, and any rebuild."""
    import msgspec
    import psycopg

    from ledger.projections.runtime import configured_projections, read_status
    from ledger.store.database import open_database

    database = open_database(Settings.from_env())
    names = [p.name for p in configured_projections()]
    with psycopg.connect(database.app_conninfo, autocommit=True) as conn:
        statuses = read_status(conn, names)
    if as_json:
        click.echo(msgspec.json.encode(statuses).decode())
        return
    header = ("projection", "generation", "position", "head", "lag events", "lag s", "rebuild")
    rows = [header]
    for s in statuses:
        rebuild = "-"
        if s.rebuilding is not None:
            state = "running" if s.rebuild_running else "abandoned"
            rebuild = f"generation {s.rebuilding} at {s.rebuild_position or 0} ({state})"
        rows.append(
            (
                s.name,
                "-" if s.generation is None else str(s.generation),
                str(s.position),
                str(s.head),
                str(s.lag_events),
                "?" if s.lag_seconds is None else f"{s.lag_seconds:.1f}",
                rebuild,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    if not statuses:
        click.echo("(no projections registered)")


@projections.command("rebuild")
@click.argument("name")
@click.option(
    "--batch-size",
    default=None,
    type=click.IntRange(min=1),
    help="Events per transaction [default: 5000]",
)
def projections_rebuild(name: str, batch_size: int | None) -> None:
    """Build projection NAME again from the start beside the live one, swap it in when it has
    caught up, then drop the old generation. Reads keep working throughout."""
    from ledger.config.logs import configure_logging
    from ledger.projections.runtime import (
        DEFAULT_BATCH,
        RebuildInProgress,
        configured_projections,
        rebuild,
    )
    from ledger.store.database import migrate as apply
    from ledger.store.database import open_database

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    known = {p.name: p for p in configured_projections()}
    if name not in known:
        raise click.BadParameter(
            f"unknown projection; known: {', '.join(sorted(known)) or 'none'}", param_hint="NAME"
        )
    database = open_database(settings)
    apply(database)
    try:
        done = rebuild(database.app_conninfo, known[name], batch_size=batch_size or DEFAULT_BATCH)
    except RebuildInProgress as e:
        raise click.ClickException(str(e)) from None
    click.echo(
        f"{done.name}: generation {done.generation} is live at position {done.position} "
        f"({done.events} events in {done.seconds:.1f} s); generation {done.old_generation} cleared"
    )


@main.group()
def keys() -> None:
    """The notary's signing key."""


@keys.command("generate")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Signer key file [default: $LEDGER_DATA_DIR/keys/notary.key]; .pub beside it",
)
@click.option("--name", default=None, help="Key name = the log's origin [default: LEDGER_ORIGIN]")
def keys_generate(out: str | None, name: str | None) -> None:
    """Write a new Ed25519 key pair (C2SP signer and verifier keys); print the verifier key."""
    from pathlib import Path

    from ledger.log.keys import generate_key_files

    settings = Settings.from_env()
    path = Path(out) if out else settings.notary_key_path
    if path.exists():
        raise click.ClickException(f"{path} exists; a log's key is not replaced lightly")
    click.echo(generate_key_files(path, name or settings.origin))


@main.command()
@click.argument("bundle", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--public-key",
    "public_key",
    required=True,
    help="The log's verifier key (name+id+key), or a file holding it",
)
@click.option(
    "--database",
    is_flag=True,
    help="Re-derive the whole tree from PostgreSQL and check every signed checkpoint",
)
def verify(bundle: str | None, public_key: str, database: bool) -> None:
    """Check a case bundle or an approval proof offline, or the whole log in the database.

    Exit 1 when anything fails to verify. An approval proof that verifies but whose recomputed
    checks do not all pass exits 2: the record is genuine, the approval it proves is not sound.
    """
    from pathlib import Path

    from ledger.log.keys import read_verifier_key
    from ledger.log.proofs import is_approval_proof
    from ledger.log.signed_note import NoteError, Verifier
    from ledger.log.verify import verify_bundle, verify_database

    try:
        verifier = Verifier(read_verifier_key(public_key))
    except (NoteError, OSError) as e:
        raise click.ClickException(f"--public-key: {e}") from None
    if database == (bundle is not None):
        raise click.UsageError("give either a BUNDLE file or --database")
    if bundle is not None:
        data = Path(bundle).read_bytes()
        if is_approval_proof(data):
            _verify_proof(data, verifier)
        report = verify_bundle(data, verifier)
    else:
        from ledger.store.database import open_database

        settings = Settings.from_env()
        report = verify_database(open_database(settings).owner_conninfo, verifier, settings.origin)
    for line in report.checked:
        click.echo(f"checked: {line}")
    for line in report.failures:
        click.echo(f"FAILED: {line}")
    click.echo("OK" if report.ok else f"{len(report.failures)} check(s) failed")
    sys.exit(0 if report.ok else 1)


def _verify_proof(data: bytes, verifier: Verifier) -> None:
    from ledger.log.proofs import verify_approval_proof

    report = verify_approval_proof(data, verifier)
    for line in report.checked:
        click.echo(f"checked: {line}")
    for check in report.checks:
        click.echo(f"check {check.name}: {'passed' if check.passed else 'FAILED'} - {check.reason}")
    for line in report.failures:
        click.echo(f"FAILED: {line}")
    if not report.ok:
        click.echo(f"{len(report.failures)} verification(s) failed")
        sys.exit(1)
    if report.failed_checks:
        click.echo(f"verified; {len(report.failed_checks)} check(s) of the approval failed")
        sys.exit(2)
    click.echo("OK")
    sys.exit(0)


@main.command()
def migrate() -> None:
    """Apply pending migrations from migrations/ (yoyo)."""
    from ledger.store.database import migrate as apply
    from ledger.store.database import open_database

    applied = apply(open_database(Settings.from_env()))
    click.echo("applied: " + (", ".join(applied) if applied else "nothing (up to date)"))


@main.group()
def token() -> None:
    """Bearer tokens for API clients."""


@token.command("create")
@click.option("--actor", required=True, help="Actor id, e.g. clerk-007")
@click.option(
    "--role",
    "roles",
    required=True,
    multiple=True,
    type=click.Choice([r.value for r in Role]),
    help="Repeatable",
)
@click.option("--unit", default=None, help="The actor's unit (department), e.g. 人社")
@click.option("--ttl", default=None, type=int, help="Seconds until expiry [default: 8 hours]")
def token_create(actor: str, roles: tuple[str, ...], unit: str | None, ttl: int | None) -> None:
    """Print a signed, expiring bearer token on stdout."""
    from ledger.application.tokens import create_token

    settings = Settings.from_env()
    ttl_seconds = ttl if ttl is not None else settings.token_ttl_seconds
    if ttl_seconds <= 0:
        raise click.BadParameter("must be positive", param_hint="--ttl")
    sys.stdout.write(
        create_token(settings.token_secret, actor, [Role(r) for r in roles], unit, ttl_seconds)
        + "\n"
    )


@main.command()
@click.option(
    "--url",
    envvar="LEDGER_URL",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="The ledger to load (env LEDGER_URL)",
)
@click.option("--month", default=None, metavar="YYYY-MM", help="[default: the last full month]")
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same month")
@click.option("--cases", default=300, show_default=True, type=click.IntRange(min=0))
@click.option("--workers", default=16, show_default=True, type=click.IntRange(1, 64))
def demo(url: str, month: str | None, seed: int, cases: int, workers: int) -> None:
    """Load the five seed stories and a synthetic month of cases through the HTTP API.

    Idempotent: a second run replays the first run's receipts and adds nothing. Tokens are
    minted with this machine's LEDGER_TOKEN_SECRET, so run it beside `ledger serve`.
    """
    from ledger.demo import parse_month, run

    try:
        month = parse_month(month) if month else None
    except ValueError:
        raise click.BadParameter("expected YYYY-MM", param_hint="--month") from None
    try:
        summary = run(
            Settings.from_env(),
            url,
            month=month,
            seed=seed,
            cases=cases,
            workers=workers,
            echo=click.echo,
        )
    except OSError as e:
        raise click.ClickException(
            f"cannot reach {url} ({e}); is `ledger serve` running?"
        ) from None
    sys.exit(1 if summary.errors else 0)
