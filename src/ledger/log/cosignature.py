"""Witness cosignatures on checkpoints (c2sp.org/tlog-cosignature, the Ed25519 v1 type).

A cosignature says "as of time T, this is the largest consistent tree I have seen of this log".
It is a signed-note signature line with its own key type, so it travels appended to the log's
checkpoint note and tools that do not know the witness ignore it:

* verifier key ``<name>+<8 hex key id>+<base64(0x04 || 32-byte public key)>``;
* signer key ``PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x04 || 32-byte seed)>``;
* key id = SHA-256(name || 0x0A || 0x04 || public key)[:4];
* line ``— <name> base64(key id || u64 big-endian timestamp || Ed25519 signature)``, the signature
  over ``cosignature/v1\\ntime <T>\\n`` and the whole checkpoint text (extension lines included).

Pure: no I/O. Every refusal is a ``NoteError``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.log.signed_note import (
    _HEX8,
    _SIG_PREFIX,
    NoteError,
    _b64decode,
    _is_valid_name,
    parse_checkpoint,
    split_note,
)

__all__ = [
    "ALG_COSIGNATURE_V1",
    "CosignatureVerifier",
    "Cosigner",
    "cosigner_key_id",
    "count_cosigners",
    "generate_cosigner_key",
    "require_cosigners",
    "split_note",
]

ALG_COSIGNATURE_V1 = 0x04
"""Signature type byte of Ed25519 cosignature/v1 (c2sp.org/tlog-cosignature)."""

MAX_TIMESTAMP = (1 << 63) - 1
_SIGNATURE_BYTES = 4 + 8 + 64


def cosigner_key_id(name: str, public_key: bytes) -> int:
    """uint32 key id: SHA-256(name || 0x0A || 0x04 || public key)[:4], big-endian."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ALG_COSIGNATURE_V1]) + public_key)
    return int.from_bytes(digest.digest()[:4], "big")


def _cosigner_vkey(name: str, public_key: bytes) -> str:
    encoded = base64.b64encode(bytes([ALG_COSIGNATURE_V1]) + public_key).decode("ascii")
    return f"{name}+{cosigner_key_id(name, public_key):08x}+{encoded}"


def generate_cosigner_key(name: str) -> tuple[str, str]:
    """New cosigner key pair as (signer key string, verifier key string)."""
    if not _is_valid_name(name):
        raise NoteError(f"invalid key name {name!r}")
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes_raw()
    seed = base64.b64encode(bytes([ALG_COSIGNATURE_V1]) + private.private_bytes_raw()).decode()
    return f"PRIVATE+KEY+{name}+{cosigner_key_id(name, public):08x}+{seed}", _cosigner_vkey(
        name, public
    )


def _parse_key(name: str, hex_id: str, b64: str, what: str) -> tuple[int, bytes]:
    """The claimed id and the 32 key bytes of a 0x04 key; a log's (0x01) key is refused."""
    raw = _b64decode(b64)
    if not _is_valid_name(name) or not _HEX8.fullmatch(hex_id) or not raw:
        raise NoteError(f"malformed cosigner {what} key")
    if raw[0] != ALG_COSIGNATURE_V1:
        raise NoteError(f"not a cosignature/v1 {what} key (type {raw[0]:#04x}, not 0x04)")
    if len(raw) != 33:
        raise NoteError(f"malformed cosigner {what} key: Ed25519 key must be 32 bytes")
    return int(hex_id, 16), raw[1:]


def _message(body: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def _check_timestamp(timestamp: int) -> None:
    if isinstance(timestamp, bool) or not isinstance(timestamp, int):
        raise NoteError(f"cosignature timestamp must be an int, got {timestamp!r}")
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise NoteError(f"cosignature timestamp {timestamp} is outside [0, 2^63)")


class Cosigner:
    """A witness's signing key: cosigns checkpoint texts it has checked."""

    __slots__ = ("_private", "key_id", "name", "public_key", "verifier_key")

    def __init__(self, skey: str) -> None:
        parts = skey.split("+", 4)  # base64 may itself contain '+'
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise NoteError("malformed cosigner signer key")
        claimed_id, seed = _parse_key(parts[2], parts[3], parts[4], "signer")
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key: bytes = self._private.public_key().public_bytes_raw()
        self.name: str = parts[2]
        self.key_id: int = cosigner_key_id(self.name, self.public_key)
        if claimed_id != self.key_id:
            raise NoteError("invalid cosigner signer key id: it does not match the key")
        self.verifier_key: str = _cosigner_vkey(self.name, self.public_key)

    def cosign(self, body: str, timestamp: int) -> str:
        """The signature line (ending in a newline) on checkpoint text ``body`` at ``timestamp``."""
        _check_timestamp(timestamp)
        parse_checkpoint(body)  # only checkpoints are cosigned
        signature = self._private.sign(_message(body, timestamp))
        raw = self.key_id.to_bytes(4, "big") + timestamp.to_bytes(8, "big") + signature
        return f"{_SIG_PREFIX}{self.name} {base64.b64encode(raw).decode('ascii')}\n"

    def __repr__(self) -> str:  # never show the seed
        return f"Cosigner({self.name}+{self.key_id:08x})"


class CosignatureVerifier:
    """One pinned witness key: finds and checks that witness's cosignatures on a checkpoint."""

    __slots__ = ("_public", "key", "key_id", "name", "public_key")

    def __init__(self, vkey: str) -> None:
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise NoteError("malformed cosigner verifier key")
        claimed_id, public = _parse_key(parts[0], parts[1], parts[2], "verifier")
        if claimed_id != cosigner_key_id(parts[0], public):
            raise NoteError("invalid cosigner verifier key id: it does not match the key")
        self.name: str = parts[0]
        self.key_id: int = claimed_id
        self.public_key: bytes = public
        self.key: str = vkey
        self._public = Ed25519PublicKey.from_public_bytes(public)

    @property
    def witness(self) -> str:
        """``<name>+<8 hex key id>``: how the log's tables name this witness."""
        return f"{self.name}+{self.key_id:08x}"

    def verify(self, note: str | bytes) -> int:
        """The timestamp of this witness's cosignature on ``note`` (the latest, if several).

        Lines of other keys are ignored; a line claiming this key that does not verify is an
        error, never skipped."""
        text, lines = split_note(note)
        found = self.verify_lines(text, lines)
        if found is None:
            raise NoteError(f"note has no cosignature by witness {self.witness}")
        return found[1]

    def verify_lines(self, text: str, lines: Iterable[str]) -> tuple[str, int] | None:
        """This witness's line among ``lines`` over checkpoint ``text``, with its timestamp;
        None when no line claims this key."""
        best: tuple[str, int] | None = None
        for line in lines:
            raw = self._claimed(line)
            if raw is None:
                continue
            timestamp = int.from_bytes(raw[4:12], "big")
            _check_timestamp(timestamp)
            try:
                self._public.verify(raw[12:], _message(text, timestamp))
            except InvalidSignature:
                raise NoteError(f"invalid cosignature for witness {self.witness}") from None
            if best is None or timestamp > best[1]:
                best = (line, timestamp)
        return best

    def _claimed(self, line: str) -> bytes | None:
        """The decoded signature of ``line`` if it claims this key, else None."""
        name, _, b64 = line.removeprefix(_SIG_PREFIX).partition(" ")
        raw = _b64decode(b64)
        if name != self.name or raw is None or len(raw) < 4:
            return None
        if int.from_bytes(raw[:4], "big") != self.key_id:
            return None
        if len(raw) != _SIGNATURE_BYTES:
            raise NoteError(f"malformed cosignature for witness {self.witness}")
        return raw

    def __repr__(self) -> str:
        return f"CosignatureVerifier({self.witness})"


def count_cosigners(
    note: str | bytes, verifiers: Iterable[CosignatureVerifier]
) -> list[tuple[CosignatureVerifier, int]]:
    """The pinned witnesses that cosigned ``note``, each with its timestamp.

    A line claiming one of them that fails to verify raises NoteError: a forged cosignature is
    an attack to report, not a missing one."""
    text, lines = split_note(note)
    found: dict[str, tuple[CosignatureVerifier, int]] = {}
    for verifier in verifiers:
        if (hit := verifier.verify_lines(text, lines)) is not None:
            found[verifier.witness] = (verifier, hit[1])  # a key pinned twice counts once
    return list(found.values())


def require_cosigners(
    note: str | bytes, verifiers: Iterable[CosignatureVerifier], quorum: int
) -> list[tuple[CosignatureVerifier, int]]:
    """``count_cosigners``, refusing a note that fewer than ``quorum`` pinned witnesses cosigned."""
    pinned = list(verifiers)
    found = count_cosigners(note, pinned)
    if len(found) < quorum:
        raise NoteError(
            f"checkpoint cosigned by {len(found)} of the {len(pinned)} pinned witnesses, "
            f"fewer than {quorum}"
        )
    return found
