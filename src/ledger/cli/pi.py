"""`ledger pi erase | reads`: the personal-data vault's operator side. Erase a data subject's raw
values once the retention rule is met (or by an explicit override with a reason), and list who
read raw values, when and why, for an auditor or the data-protection officer."""

from __future__ import annotations

import getpass
from uuid import UUID

import click

from ledger.config.settings import Settings

OVERRIDE_HELP = (
    "Erase before the retention rule is met: purpose-met (the purpose is fulfilled early, "
    "PIPL Art. 47) or legal-order; needs --reason"
)


@click.group()
def pi() -> None:
    """The personal-data vault: erase a data subject (crypto-shredding), list the reads."""


@pi.command("erase")
@click.option("--case", "case_id", type=click.UUID, default=None, help="Erase this case's subject")
@click.option("--subject", default=None, help="The subject's token (64 hex: their ID token)")
@click.option("--reason", default=None, help="Why, for the record (required with --override)")
@click.option(
    "--override",
    type=click.Choice(["purpose-met", "legal-order"]),
    default=None,
    help=OVERRIDE_HELP,
)
@click.option("--by", default=None, help="Who erases [default: the login name]")
def pi_erase(
    case_id: UUID | None,
    subject: str | None,
    reason: str | None,
    override: str | None,
    by: str | None,
) -> None:
    """Destroy a data subject's key and every raw value sealed under it, recording who, when and
    why. Refused (exit 1, naming the rule) until every case of the subject closed
    LEDGER_PI_RETENTION_YEARS (default 10) years ago, unless --override and --reason. The cases,
    their masked values and tokens, and every proof stay as they are. Needs the owner's
    database connection."""
    from ledger.application.erasure import ErasureRefused, erase_subject, subject_of_case
    from ledger.application.service import Ledger
    from ledger.config.logs import configure_logging
    from ledger.store.database import open_database

    if (case_id is None) == (subject is None):
        raise click.UsageError("give --case or --subject, one of them")
    if override is not None and not (reason or "").strip():
        raise click.BadParameter(f"an erasure by {override} needs a reason", param_hint="--reason")
    settings = Settings.from_env()
    configure_logging(settings.log_level)
    ledger = Ledger(settings, open_database(settings))
    try:
        target = subject if case_id is None else subject_of_case(ledger, case_id)
        erasure = erase_subject(
            ledger,
            (target or "").strip().lower(),
            erased_by=by or getpass.getuser(),
            reason=reason,
            override=override,
        )
    except ErasureRefused as e:
        raise click.ClickException(f"refused, {e.rule}: {e.detail}") from None
    finally:
        ledger.close()
    click.echo(
        f"erased subject {erasure.subject} at {erasure.erased_at.isoformat()} by "
        f"{erasure.erased_by}: {erasure.values_destroyed} values destroyed ({erasure.reason})"
    )


@pi.command("reads")
@click.option("--case", "case_id", type=click.UUID, default=None, help="Reads of this case")
@click.option("--subject", default=None, help="Reads of this subject (their token)")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of lines")
def pi_reads(case_id: UUID | None, subject: str | None, as_json: bool) -> None:
    """The vault's access log, oldest first: when, who (actor, roles, unit), case, subject,
    kinds disclosed, outcome (disclosed, erased, none, refused), request id and purpose."""
    import functools

    import msgspec
    import psycopg

    from ledger.store.database import open_database
    from ledger.store.vault import reads

    if case_id is None and subject is None:
        raise click.UsageError("give --case or --subject (or both)")
    database = open_database(Settings.from_env())
    connect = functools.partial(psycopg.connect, database.app_conninfo)
    rows = reads(connect, case_id=case_id, subject=subject and subject.strip().lower())
    if as_json:
        click.echo(msgspec.json.encode(rows).decode())
        return
    for r in rows:
        click.echo(
            "\t".join(
                (
                    r.read_at.isoformat(),
                    r.actor_id,
                    ",".join(r.roles),
                    r.unit or "-",
                    str(r.case_id),
                    r.subject or "-",
                    ",".join(r.kinds) or "-",
                    r.outcome,
                    r.request_id or "-",
                    r.purpose,
                )
            )
        )
    if not rows:
        click.echo("(no reads recorded)", err=True)
