"""`ledger`: serve, migrate, and issue tokens (more commands arrive with later capabilities)."""

from __future__ import annotations

import sys

import click

from ledger.domain.values import Role
from ledger.settings import Settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Case Ledger: an event-sourced, tamper-evident case ledger for service centres."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Migrate, then serve the HTTP API (embedded PostgreSQL unless LEDGER_DATABASE_URL is set)."""
    import uvicorn

    from ledger.api.app import create_app
    from ledger.log import configure_logging

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    where = (settings.database_url and "LEDGER_DATABASE_URL") or f"embedded in {settings.data_dir}"
    click.echo(
        f"ledger: PostgreSQL {where}; serving http://{host}:{port} (docs at /schema)", err=True
    )
    uvicorn.run(create_app(settings), host=host, port=port, log_config=None, access_log=False)


@main.command()
def migrate() -> None:
    """Apply pending migrations from migrations/ (yoyo)."""
    from ledger.database import migrate as apply
    from ledger.database import open_database

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
    from ledger.auth import create_token

    settings = Settings.from_env()
    ttl_seconds = ttl if ttl is not None else settings.token_ttl_seconds
    if ttl_seconds <= 0:
        raise click.BadParameter("must be positive", param_hint="--ttl")
    sys.stdout.write(
        create_token(settings.token_secret, actor, [Role(r) for r in roles], unit, ttl_seconds)
        + "\n"
    )
