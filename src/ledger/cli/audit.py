"""What an auditor and the notary's keeper run: `ledger verify` and `ledger keys`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import click

from ledger.config.settings import Settings

T = TypeVar("T")

if TYPE_CHECKING:
    from ledger.log.signed_note import Verifier
    from ledger.log.verify import Report, Witnesses


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


@keys.command("rotate")
@click.option(
    "--key",
    "key_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Signer key file [default: $LEDGER_NOTARY_KEY or $LEDGER_DATA_DIR/keys/notary.key]",
)
def keys_rotate(key_file: str | None) -> None:
    """Retire the notary's key pair and make a new one (named LEDGER_ORIGIN, like every key).

    The old verifier key moves to retired/<key id>.pub beside the key file and stays published
    (GET /audit/public-keys), so checkpoints it signed stay verifiable; the old signer key is
    destroyed (back it up first if your policy keeps it). Logs `keys.rotated`, prints the old
    and the new verifier keys. Restart the notary (`ledger serve` / `ledger worker`): it signs
    with the key it loaded at start.
    """
    from pathlib import Path

    import structlog

    from ledger.config.logs import configure_logging
    from ledger.log.keys import KeyFileError, rotate_key
    from ledger.log.signed_note import Verifier

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    path = Path(key_file) if key_file else settings.notary_key_path
    try:
        rotation = rotate_key(path, settings.origin)
    except KeyFileError as e:
        raise click.ClickException(str(e)) from None
    old, new = Verifier(rotation.old), Verifier(rotation.new)
    structlog.get_logger("ledger.keys").info(
        "keys.rotated",
        old_key_id=f"{old.key_id:08x}",
        old_name=old.name,
        new_key_id=f"{new.key_id:08x}",
        new_name=new.name,
        key_file=str(path),
        retired_public_key=str(rotation.retired_public_key),
        old_signer_key="destroyed",
    )
    click.echo(f"retired: {rotation.old}")
    click.echo(f"current: {rotation.new}")
    click.echo(f"restart the notary to sign with {new.name}+{new.key_id:08x}", err=True)


@click.command()
@click.argument("bundle", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--public-key",
    "public_keys",
    required=True,
    multiple=True,
    help="A pinned verifier key of the log (name+id+key), or a file holding one; repeat it to "
    "pin the current and retired keys: each checkpoint must be signed by one of them",
)
@click.option(
    "--witness-key",
    "witness_keys",
    multiple=True,
    help="A pinned witness's cosigner key (name+id+key), or a file holding one; repeatable",
)
@click.option(
    "--peer-key",
    "peer_keys",
    multiple=True,
    help="A pinned verifier key of another jurisdiction's log (its name is that log's origin), "
    "or a file holding one; repeatable: the cross-jurisdiction hand-offs of a bundle, or of the "
    "whole log with --database, are checked against that log (without it, they are a warning)",
)
@click.option(
    "--min-witnesses",
    type=click.IntRange(min=1),
    default=None,
    help="How many pinned witnesses must have cosigned the checkpoint [default: all of them]",
)
@click.option(
    "--since",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="A checkpoint you kept from before (a signed note): fail unless the log only grew "
    "from it (a bundle must carry the proof: fetch it with ?since=<its size>)",
)
@click.option(
    "--database",
    is_flag=True,
    help="Re-derive the whole tree from PostgreSQL and check every signed checkpoint",
)
@click.option(
    "--max-unwitnessed",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="With --database and --witness-key: seconds of checkpoints after the newest one the "
    "witnesses cosigned that pass as cosigning in progress (a warning); past it, a failure",
)
def verify(
    bundle: str | None,
    public_keys: tuple[str, ...],
    witness_keys: tuple[str, ...],
    peer_keys: tuple[str, ...],
    min_witnesses: int | None,
    since: str | None,
    database: bool,
    max_unwitnessed: float,
) -> None:
    """Check a case bundle or an approval proof offline, or the whole log in the database.

    Exit 1 when anything fails to verify. An approval proof that verifies but whose recomputed
    checks do not all pass exits 2: the record is genuine, the approval it proves is not sound.
    """
    from pathlib import Path

    from ledger.log.proofs import is_approval_proof
    from ledger.log.signed_note import Verifier
    from ledger.log.verify import verify_bundle

    verifiers = _pinned(public_keys, Verifier, "--public-key")
    witnesses = _witnesses(witness_keys, min_witnesses)
    held = Path(since).read_text(encoding="utf-8") if since else None
    peers = _by_origin(_pinned(peer_keys, Verifier, "--peer-key"))
    if database == (bundle is not None):
        raise click.UsageError("give either a BUNDLE file or --database")
    if bundle is not None:
        data = Path(bundle).read_bytes()
        if is_approval_proof(data):
            _verify_proof(data, verifiers, witnesses, held)
        report = verify_bundle(data, verifiers, witnesses=witnesses, since=held)
        if report.ok:
            _check_peers(data, peers, report)
    else:
        from ledger.log.verify_log import verify_database
        from ledger.store.database import open_database

        settings = Settings.from_env()
        report = verify_database(
            open_database(settings).owner_conninfo,
            verifiers,
            settings.origin,
            witnesses=witnesses,
            since=held,
            unwitnessed_tolerance=max_unwitnessed,
            peers=peers,
        )
    _echo(report)
    click.echo("OK" if report.ok else f"{len(report.failures)} check(s) failed")
    sys.exit(0 if report.ok else 1)


def _check_peers(data: bytes, peers: dict[str, list[Verifier]], report: Report) -> None:
    """The bundle's references to other logs, each against that log's pinned keys."""
    import msgspec

    from ledger.log.bundles import CaseBundle
    from ledger.log.handoff_refs import check_references

    check_references(msgspec.json.decode(data, type=CaseBundle), peers, report)


def _by_origin(keys: list[Verifier]) -> dict[str, list[Verifier]]:
    """Pinned keys of other logs, by the origin each names."""
    by_origin: dict[str, list[Verifier]] = {}
    for key in keys:
        by_origin.setdefault(key.name, []).append(key)
    return by_origin


def _pinned(values: tuple[str, ...], make: Callable[[str], T], option: str) -> list[T]:
    """Each key given inline or as a file, through `make`; a bad one names its option."""
    from ledger.log.keys import read_verifier_key
    from ledger.log.signed_note import NoteError

    found = []
    for value in values:
        try:
            found.append(make(read_verifier_key(value)))
        except (NoteError, OSError) as e:
            raise click.ClickException(f"{option} {value}: {e}") from None
    return found


def _witnesses(keys: tuple[str, ...], quorum: int | None) -> Witnesses | None:
    from ledger.log.cosignature import CosignatureVerifier
    from ledger.log.verify import Witnesses

    if not keys:
        if quorum is not None:
            raise click.UsageError("--min-witnesses needs at least one --witness-key")
        return None
    pinned = _pinned(keys, CosignatureVerifier, "--witness-key")
    if quorum is not None and quorum > len(pinned):
        raise click.UsageError(f"--min-witnesses {quorum}: only {len(pinned)} witness keys given")
    return Witnesses(keys=tuple(pinned), quorum=len(pinned) if quorum is None else quorum)


def _verify_proof(
    data: bytes, verifiers: list[Verifier], witnesses: Witnesses | None, since: str | None
) -> None:
    from ledger.log.proofs import verify_approval_proof

    report = verify_approval_proof(data, verifiers, witnesses=witnesses, since=since)
    for line in report.checked:
        click.echo(f"checked: {line}")
    for line in report.warnings:
        click.echo(f"warning: {line}")
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


def _echo(report: Report) -> None:
    for line in report.checked:
        click.echo(f"checked: {line}")
    for line in report.warnings:
        click.echo(f"warning: {line}")
    for line in report.failures:
        click.echo(f"FAILED: {line}")
