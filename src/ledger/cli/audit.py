"""What an auditor and the notary's keeper run: `ledger verify` and `ledger keys`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from ledger.config.settings import Settings

if TYPE_CHECKING:
    from ledger.log.signed_note import Verifier


@click.group()
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


@click.command()
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
