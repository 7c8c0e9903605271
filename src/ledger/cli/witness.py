"""`ledger witness init | serve`: run a transparency-log witness for a ledger (or any C2SP log).

The witness is someone else's safeguard: it keeps its key and its state in its own directory,
knows the logs only by their public keys, and can run on another machine for another operator.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ledger.log.signed_note import Verifier


@click.group()
def witness() -> None:
    """A witness that cosigns a log's checkpoints only if they are consistent."""


@witness.command("init")
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False))
@click.option("--name", required=True, help="The witness's key name, e.g. witness.example/w1")
def init(directory: str, name: str) -> None:
    """Write a new cosigner key (DIR/witness.key, 0600, and DIR/witness.pub); print the verifier
    key, which the logs' verifiers pin."""
    from ledger.log.signed_note import NoteError
    from ledger.log.witnesses import KEY_FILE, write_witness_key

    path = Path(directory)
    if (path / KEY_FILE).exists():
        raise click.ClickException(
            f"{path / KEY_FILE} exists; a witness's key is not replaced lightly"
        )
    try:
        verifier_key = write_witness_key(path, name)
    except NoteError as e:
        raise click.ClickException(str(e)) from None
    click.echo(verifier_key)


@witness.command("serve")
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False, exists=True))
@click.option(
    "--log",
    "logs",
    required=True,
    multiple=True,
    help="ORIGIN=KEY: a log's origin and one of its verifier keys (name+id+key), or a file with "
    "one key per line; repeat it for more keys or more logs",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8100, show_default=True, type=int)
@click.option("--log-level", default="info", show_default=True)
def serve(directory: str, logs: tuple[str, ...], host: str, port: int, log_level: str) -> None:
    """Serve POST /add-checkpoint (c2sp.org/tlog-witness) and GET / (the verifier key)."""
    import uvicorn

    from ledger.api.witness import create_witness_app
    from ledger.config.logs import configure_logging
    from ledger.log.cosignature import Cosigner
    from ledger.log.signed_note import NoteError
    from ledger.log.witness import Witness, WitnessStore
    from ledger.log.witnesses import KEY_FILE

    path = Path(directory)
    try:
        signer = Cosigner((path / KEY_FILE).read_text().strip())
    except (OSError, NoteError) as e:
        raise click.ClickException(f"{path / KEY_FILE}: {e} (`ledger witness init`)") from None
    trusted: dict[str, list[Verifier]] = {}
    for option in logs:
        origin, verifiers = _log_keys(option)
        trusted.setdefault(origin, []).extend(verifiers)
    configure_logging(log_level)
    app = create_witness_app(Witness(signer, trusted, WitnessStore(path)))
    click.echo(
        f"witness {signer.verifier_key}: {len(trusted)} log(s); http://{host}:{port}", err=True
    )
    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)


def _log_keys(option: str) -> tuple[str, list[Verifier]]:
    """``ORIGIN=KEY`` where KEY is a verifier key or a file of them, one a line."""
    from ledger.log.signed_note import NoteError, Verifier

    origin, equals, value = option.partition("=")
    if not equals or not origin or not value:
        raise click.BadParameter(f"{option!r} is not ORIGIN=KEY", param_hint="--log")
    file = Path(value)
    try:
        keys = file.read_text().split() if file.is_file() else [value]
        if not keys:
            raise NoteError("no verifier key in it")
        return origin, [Verifier(key) for key in keys]
    except (OSError, NoteError) as e:
        raise click.BadParameter(f"{value}: {e}", param_hint="--log") from None
