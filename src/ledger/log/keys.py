"""The notary's keys as files: the pinned verifier keys, and their explicit rotation.

Beside the signer key file `K` (default `$LEDGER_DATA_DIR/keys/notary.key`, 0600):

* `K.pub`: the current verifier key (C2SP `name+id+key`, name = the log's origin);
* `retired/<key id>.pub`: every verifier key a rotation retired, kept so old checkpoints stay
  verifiable. A retired *private* key is not kept: the rotation destroys it, and says so;
* `rotations.jsonl`: one line per rotation (`at`, `old`, `new`), the keys' history.

These files, never the database, are what the API publishes (`GET /audit/public-key`,
`/audit/public-keys`): a database role cannot change which key an auditor is told to pin.
A process that does not sign (`ledger serve --no-notary`) needs only `K.pub` and `retired/`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from ledger.log.signed_note import NoteError, Signer, Verifier, generate_key

RETIRED_DIR = "retired"
ROTATIONS_FILE = "rotations.jsonl"


class KeyFileError(ValueError):
    """The key files are missing, malformed, or disagree with each other or with the origin."""


def generate_key_files(path: Path, name: str) -> str:
    """Write `path` (signer key, 0600) and `path.pub` (verifier key); returns the verifier key."""
    signer_key, verifier_key = generate_key(name)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    _write_new(path, signer_key, 0o600)
    path.with_suffix(".pub").write_text(verifier_key + "\n")
    return verifier_key


def load_signer(path: Path, name: str) -> Signer:
    """The notary's signer; created on first use so `ledger serve` needs no set-up.

    A rotation (`rotate_key`) replaces the file; a running notary keeps the key it loaded and
    signs with the new one from its next start."""
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


# --- pinned keys -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PinnedKey:
    """A verifier key the key files pin, current or retired."""

    key: str
    key_id: str
    """8 hex digits: SHA-256(name, 0x0A, 0x01, public key)[:4]."""
    name: str
    status: Literal["current", "retired"]
    since: datetime | None
    """When it became the signing key (its rotation, else its file's time); None: unknown."""
    retired_at: datetime | None


def current_verifier_key(path: Path, origin: str) -> str:
    """The verifier key of the signer key file `path`: its public half when the private key is
    here (the notary's host), else `path.pub`. Checked against the origin and each other."""
    public_file = path.with_suffix(".pub")
    published = _read_key(public_file, origin) if public_file.exists() else None
    if path.exists():
        try:
            signer = Signer(path.read_text().strip())
        except NoteError as e:
            raise KeyFileError(f"{path}: {e}") from None
        if signer.name != origin:
            raise KeyFileError(f"the key in {path} is named {signer.name!r}, not {origin!r}")
        if published is not None and published.key != signer.verifier_key:
            raise KeyFileError(f"{public_file} is not the public half of {path}")
        return signer.verifier_key
    if published is None:
        raise KeyFileError(f"no verifier key at {public_file}: copy the notary's there")
    return published.key


def pinned_keys(path: Path, origin: str) -> list[PinnedKey]:
    """The current key, then the retired ones (latest retired first)."""
    current = Verifier(current_verifier_key(path, origin))
    history = _rotations(path)
    became = {line["new"]: _time(line["at"]) for line in history}
    retired_at = {line["old"]: _time(line["at"]) for line in history}
    since = became.get(current.key) or _mtime(path.with_suffix(".pub")) or _mtime(path)
    keys = [_pinned(current, "current", since, None)]
    retired = []
    for file in sorted((path.parent / RETIRED_DIR).glob("*.pub")):
        verifier = _read_key(file, origin)
        if verifier.key != current.key:
            retired.append(
                _pinned(
                    verifier,
                    "retired",
                    became.get(verifier.key),
                    retired_at.get(verifier.key) or _mtime(file),
                )
            )
    epoch = datetime.min.replace(tzinfo=UTC)
    retired.sort(key=lambda k: k.retired_at or epoch, reverse=True)
    return keys + retired


@dataclass(frozen=True, slots=True)
class Rotation:
    old: str
    new: str
    retired_public_key: Path
    at: datetime


def rotate_key(path: Path, origin: str) -> Rotation:
    """Retire the current key pair and make a new one, named `origin` like every key of the log.

    The old verifier key moves to `retired/<key id>.pub` (kept for ever, so old checkpoints stay
    verifiable); the old signer key is overwritten by the new one, so nothing can sign as the
    retired key again; the rotation is appended to `rotations.jsonl`. Nothing is removed but the
    old private key, and the caller reports that."""
    if not path.exists():
        raise KeyFileError(f"no signer key at {path} to rotate (`ledger keys generate` makes one)")
    old = Verifier(current_verifier_key(path, origin))
    signer_key, new = generate_key(origin)
    retired_dir = path.parent / RETIRED_DIR
    retired_dir.mkdir(mode=0o700, exist_ok=True)
    retired = retired_dir / f"{old.key_id:08x}.pub"
    if not retired.exists():
        retired.write_text(old.key + "\n")
    elif _read_key(retired, origin).key != old.key:
        raise KeyFileError(f"{retired} holds another key: not overwritten")
    at = datetime.now(UTC)
    with (path.parent / ROTATIONS_FILE).open("a") as history:
        history.write(json.dumps({"at": at.isoformat(), "old": old.key, "new": new}) + "\n")
    fresh = path.with_name(path.name + ".new")
    fresh.unlink(missing_ok=True)
    _write_new(fresh, signer_key, 0o600)
    os.replace(fresh, path)
    public = path.with_suffix(".pub")
    staged = public.with_name(public.name + ".new")
    staged.write_text(new + "\n")
    os.replace(staged, public)
    return Rotation(old=old.key, new=new, retired_public_key=retired, at=at)


def _write_new(path: Path, text: str, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text + "\n")


def _read_key(file: Path, origin: str) -> Verifier:
    try:
        verifier = Verifier(file.read_text().strip())
    except NoteError as e:
        raise KeyFileError(f"{file}: {e}") from None
    if verifier.name != origin:
        raise KeyFileError(f"the key in {file} is named {verifier.name!r}, not {origin!r}")
    return verifier


def _pinned(
    verifier: Verifier,
    status: Literal["current", "retired"],
    since: datetime | None,
    retired_at: datetime | None,
) -> PinnedKey:
    return PinnedKey(
        key=verifier.key,
        key_id=f"{verifier.key_id:08x}",
        name=verifier.name,
        status=status,
        since=since,
        retired_at=retired_at,
    )


def _rotations(path: Path) -> list[dict[str, str]]:
    file = path.parent / ROTATIONS_FILE
    if not file.exists():
        return []
    return [json.loads(line) for line in file.read_text().splitlines() if line.strip()]


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _mtime(file: Path) -> datetime | None:
    try:
        return datetime.fromtimestamp(file.stat().st_mtime, UTC)
    except OSError:
        return None
