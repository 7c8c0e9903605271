"""The notary's signing key: a C2SP signer key in a file, its verifier key beside it."""

from __future__ import annotations

import os
from pathlib import Path

from ledger.log.signed_note import Signer, generate_key


def generate_key_files(path: Path, name: str) -> str:
    """Write `path` (signer key, 0600) and `path.pub` (verifier key); returns the verifier key."""
    signer_key, verifier_key = generate_key(name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(signer_key + "\n")
    path.with_suffix(".pub").write_text(verifier_key + "\n")
    return verifier_key


def load_signer(path: Path, name: str) -> Signer:
    """The notary's signer; created on first use so `ledger serve` needs no set-up."""
    if not path.exists():
        generate_key_files(path, name)
    signer = Signer(path.read_text().strip())
    if signer.name != name:
        raise ValueError(
            f"the key in {path} is named {signer.name!r}, but the log's origin is {name!r}"
        )
    return signer


def read_verifier_key(value: str) -> str:
    """A verifier key given inline (name+id+key) or as the path of a file holding one."""
    candidate = Path(value)
    if "+" not in value or candidate.exists():
        return candidate.read_text().strip()
    return value
