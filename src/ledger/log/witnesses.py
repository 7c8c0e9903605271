"""The witnesses a log asks to cosign its checkpoints, as a deployment configures them.

Remote witnesses are `URL=KEY` (the C2SP tlog-witness submission prefix and the witness's
cosigner key, or a file holding it). The local witness runs in the notary's process with its own
key and its own SQLite state in `<data_dir>/witness/`, created on first use: the one-command set-up
always exercises the whole path. It guards against a database rollback by someone without the
host's files; against the host's operator, witnesses run by someone else are what count.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ledger.config.settings import Settings
from ledger.log.audit import consistency_prover
from ledger.log.cosignature import CosignatureVerifier, Cosigner, generate_cosigner_key
from ledger.log.keys import pinned_keys, read_verifier_key
from ledger.log.signed_note import NoteError, Verifier
from ledger.log.witness import Witness, WitnessStore
from ledger.log.witnessing import (
    CosignatureCollector,
    HttpWitness,
    LocalWitness,
    WitnessClient,
    start_collector_thread,
)

KEY_FILE = "witness.key"
PUBLIC_FILE = "witness.pub"


class WitnessConfigError(ValueError):
    """A witness entry or key file is malformed."""


@dataclass(frozen=True)
class ConfiguredWitness:
    verifier: CosignatureVerifier
    client: WitnessClient
    where: str
    """`local` or the witness's URL: what `GET /audit/witnesses` shows."""


def write_witness_key(directory: Path, name: str) -> str:
    """Write `directory/witness.key` (0600) and `witness.pub`; returns the verifier key."""
    signer_key, verifier_key = generate_cosigner_key(name)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(directory / KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(signer_key + "\n")
    (directory / PUBLIC_FILE).write_text(verifier_key + "\n")
    return verifier_key


def local_witness(directory: Path, origin: str, log_keys: Sequence[Verifier]) -> ConfiguredWitness:
    """The witness in `directory` (its key made on first use, named `<origin>/witness`), trusting
    `log_keys` for this log."""
    if not (directory / KEY_FILE).exists():
        write_witness_key(directory, f"{origin}/witness")
    signer = Cosigner((directory / KEY_FILE).read_text().strip())
    witness = Witness(signer, {origin: list(log_keys)}, WitnessStore(directory))
    return ConfiguredWitness(
        CosignatureVerifier(signer.verifier_key), LocalWitness(witness), "local"
    )


def remote_witness(entry: str) -> ConfiguredWitness:
    url, sep, key = entry.partition("=")
    if not sep or not url.startswith(("http://", "https://")):
        raise WitnessConfigError(f"witness {entry!r}: expected URL=KEY")
    try:
        verifier = CosignatureVerifier(read_verifier_key(key))
    except (NoteError, OSError) as e:
        raise WitnessConfigError(f"witness {url}: {e}") from None
    return ConfiguredWitness(verifier, HttpWitness(url), url)


def published_witnesses(
    directory: Path, entries: Sequence[str]
) -> list[tuple[CosignatureVerifier, str]]:
    """The witnesses' keys and where they run, as the key files and configuration say (never
    the database): the local witness's public key file, if any, then the remote ones."""
    found = [(w.verifier, w.where) for w in map(remote_witness, entries)]
    public = directory / PUBLIC_FILE
    if public.exists():
        found.insert(0, (CosignatureVerifier(public.read_text().strip()), "local"))
    return found


def configured_witnesses(settings: Settings) -> list[ConfiguredWitness]:
    """The local witness (unless turned off), then the remote ones, for this log."""
    found = []
    if settings.local_witness:
        log_keys = [Verifier(k.key) for k in pinned_keys(settings.notary_key_path, settings.origin)]
        found.append(local_witness(settings.data_dir / "witness", settings.origin, log_keys))
    return found + [remote_witness(entry) for entry in settings.witnesses]


def start_witnessing(settings: Settings, conninfo: str) -> threading.Event | None:
    """Start the thread that gets each new checkpoint cosigned (beside the notary, with its
    database role); returns its stop event, or None when no witness is configured."""
    witnesses = configured_witnesses(settings)
    if not witnesses:
        return None
    collector = CosignatureCollector(
        conninfo, [(w.verifier, w.client) for w in witnesses], consistency_prover(conninfo)
    )
    return start_collector_thread(collector)[1]
