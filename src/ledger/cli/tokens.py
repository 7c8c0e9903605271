"""`ledger token create`: signed, expiring bearer tokens for API clients."""

from __future__ import annotations

import sys

import click

from ledger.config.settings import Settings
from ledger.domain.values import Role


@click.group()
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
