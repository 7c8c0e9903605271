"""`ledger token create | revoke | revoked`: signed, expiring bearer tokens for API clients, each
scoped to centres, one-time login links for people (`--login-url`), and the revocation list every
request is checked against."""

from __future__ import annotations

import getpass
import sys
from datetime import datetime, timezone

import click

from ledger.config.settings import Settings
from ledger.domain.tenancy import EVERY_CENTRE
from ledger.domain.values import Role


@click.group()
def token() -> None:
    """Bearer tokens for API clients."""


@token.command("create")
@click.option("--actor", required=True, help="Actor id, e.g. clerk-007 (not empty)")
@click.option(
    "--role",
    "roles",
    required=True,
    multiple=True,
    type=click.Choice([r.value for r in Role]),
    help="Repeatable",
)
@click.option("--unit", default=None, help="The actor's unit (department), e.g. 人社")
@click.option("--centre", "centres", multiple=True, help="A centre it acts in; repeatable")
@click.option(
    "--jurisdiction",
    "jurisdictions",
    multiple=True,
    help="Every centre of a jurisdiction (a policies/time-limits file: ah-huoshan); repeatable",
)
@click.option(
    "--all-centres", is_flag=True, help="Every centre (a jurisdiction's auditors and dashboards)"
)
@click.option("--ttl", default=None, type=int, help="Seconds until expiry [default: 8 hours]")
@click.option(
    "--login-url",
    is_flag=True,
    help="Print a one-time login link for the web pages (valid once, for 15 minutes) instead "
    "of the token",
)
@click.option(
    "--base-url",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="Where people reach `ledger serve`, for --login-url",
)
def token_create(
    actor: str,
    roles: tuple[str, ...],
    unit: str | None,
    centres: tuple[str, ...],
    jurisdictions: tuple[str, ...],
    all_centres: bool,
    ttl: int | None,
    login_url: bool,
    base_url: str,
) -> None:
    """Print a signed, expiring bearer token on stdout (its id on stderr, for `revoke`); with
    --login-url, a one-time link that signs a browser in with it instead (the token itself is
    not printed: the link, once used, is no credential)."""
    import jwt

    from ledger.application.tokens import create_token
    from ledger.rules.time_limits import Policies

    settings = Settings.from_env()
    if not actor.strip():
        raise click.BadParameter("must not be empty", param_hint="--actor")
    policies = Policies(settings.policy_dir)
    for centre in centres:
        if not policies.knows(centre):
            known = ", ".join(policies.centres)
            raise click.BadParameter(
                f"no centre {centre!r} is configured ({known})", param_hint="--centre"
            )
    for name in jurisdictions:
        if name not in policies.jurisdictions:
            known = ", ".join(policies.jurisdictions)
            raise click.BadParameter(
                f"no jurisdiction {name!r} ({known})", param_hint="--jurisdiction"
            )
    if login_url and not base_url.startswith(("http://", "https://")):
        raise click.BadParameter("must be an http:// or https:// URL", param_hint="--base-url")
    if not (centres or jurisdictions or all_centres):
        raise click.UsageError("name where it acts: --centre, --jurisdiction or --all-centres")
    ttl_seconds = ttl if ttl is not None else settings.token_ttl_seconds
    if not 0 < ttl_seconds <= settings.token_max_ttl_seconds:
        limit = settings.token_max_ttl_seconds
        raise click.BadParameter(
            f"must be 1..{limit} (LEDGER_TOKEN_MAX_TTL_SECONDS)", param_hint="--ttl"
        )
    made = create_token(
        settings.token_secret,
        actor,
        [Role(r) for r in roles],
        unit,
        ttl_seconds,
        centres=[EVERY_CENTRE] if all_centres else list(centres),
        jurisdictions=list(jurisdictions),
        max_ttl_seconds=settings.token_max_ttl_seconds,
    )
    claims = jwt.decode(made, options={"verify_signature": False})
    if login_url:
        from ledger.api.ui.login_link import LINK_TTL, PATH, create_login_code

        code = create_login_code(settings.token_secret, made, settings.token_max_ttl_seconds)
        sys.stdout.write(f"{base_url.rstrip('/')}{PATH}?code={code}\n")
        click.echo(f"login link: valid once, for {LINK_TTL // 60} minutes", err=True)
    else:
        sys.stdout.write(made + "\n")
    click.echo(f"token id: {claims['jti']} (ledger token revoke {claims['jti']})", err=True)


@token.command("revoke")
@click.argument("token_id", required=False)
@click.option("--token", "raw", default=None, help="The token itself, instead of its id")
@click.option("--reason", required=True, help="Why, for the record (e.g. 'laptop stolen')")
@click.option("--by", default=None, help="Who revokes it [default: the login name]")
def token_revoke(token_id: str | None, raw: str | None, reason: str, by: str | None) -> None:
    """Revoke a token by its id (printed by `create`) or by the token itself: every request
    carrying it answers 401 from then on. Needs the owner's database connection."""
    import jwt

    from ledger.store.database import open_database
    from ledger.store.revocations import revoke

    if (token_id is None) == (raw is None):
        raise click.UsageError("give the token id or --token, one of them")
    subject, expires_at = "", None
    if raw is not None:
        try:  # the id is all that is needed; a forged token's id is harmless to revoke
            claims = jwt.decode(raw.strip(), options={"verify_signature": False})
        except jwt.PyJWTError as e:
            raise click.BadParameter(f"not a token: {e}", param_hint="--token") from None
        token_id, subject = str(claims.get("jti") or ""), str(claims.get("sub") or "")
        if isinstance(claims.get("exp"), int):
            expires_at = datetime.fromtimestamp(claims["exp"], timezone.utc)  # noqa: UP017
        if not token_id:
            raise click.BadParameter(
                "the token has no id (jti): it is refused anyway", param_hint="--token"
            )
    assert token_id is not None
    if not reason.strip():
        raise click.BadParameter("must not be empty", param_hint="--reason")
    database = open_database(Settings.from_env())
    record = revoke(
        database.owner_conninfo,
        token_id,
        subject=subject,
        expires_at=expires_at,
        revoked_by=by or getpass.getuser(),
        reason=reason,
    )
    click.echo(
        f"revoked {record.token_id} at {record.revoked_at.isoformat()} by {record.revoked_by}"
    )


@token.command("revoked")
def token_revoked() -> None:
    """List the revoked tokens: id, actor, expiry, when, by whom and why."""
    from ledger.store.database import open_database
    from ledger.store.revocations import revocations

    database = open_database(Settings.from_env())
    for r in revocations(database.app_conninfo):
        expires = r.expires_at.isoformat() if r.expires_at else "-"
        click.echo(
            f"{r.token_id}\t{r.subject or '-'}\t{expires}\t{r.revoked_at.isoformat()}"
            f"\t{r.revoked_by}\t{r.reason}"
        )
