"""C2SP signed notes (c2sp.org/signed-note) and tlog checkpoints (c2sp.org/tlog-checkpoint).

Ed25519 only, key strings compatible with golang.org/x/mod/sumdb/note, so checkpoints
can be checked with the standard Go tooling and any witness that speaks the format:

* verifier key ``<name>+<8 hex key id>+<base64(0x01 || 32-byte public key)>``;
* signer key ``PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x01 || 32-byte seed)>``;
* key id = first 4 bytes (big-endian) of SHA-256(name || 0x0A || 0x01 || public key);
* note = text ending in "\\n", a blank line, then one line per signature
  ``— <name> <base64(4-byte key id || signature over the text)>``.

Pure: no I/O. Every refusal is a ``NoteError`` whose message says what was wrong.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "ALG_ED25519",
    "MAX_SIGNATURES",
    "Checkpoint",
    "NoteError",
    "Signer",
    "Verifier",
    "checkpoint_body",
    "generate_key",
    "key_id",
    "parse_checkpoint",
    "split_note",
    "verifier_key",
    "verify_checkpoint",
]

ALG_ED25519 = 0x01
"""Signature type byte for Ed25519 (c2sp.org/signed-note §Signature types)."""

MAX_SIGNATURES = 100
"""Notes with more signature lines are refused unread (the spec asks for >= 16; Go uses 100)."""

_SIG_PREFIX = "— "  # em dash U+2014, space
_HEX8 = re.compile(r"[0-9a-fA-F]{8}")
_TREE_SIZE = re.compile(r"0|[1-9][0-9]*")
_MAX_TREE_SIZE = (1 << 64) - 1


class NoteError(ValueError):
    """A key, note or checkpoint was malformed, unsigned, or signed by the wrong key."""


def _b64decode(text: str) -> bytes | None:
    """Strict standard base64 (RFC 4648 §4, padded, canonical) or None."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    # Reject non-canonical encodings so one signature has exactly one spelling.
    if base64.b64encode(raw).decode("ascii") != text:
        return None
    return raw


def _is_valid_name(name: str) -> bool:
    """Key names are non-empty, with no Unicode space and no '+'."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def _has_control_chars(text: str) -> bool:
    return any(c < " " and c != "\n" for c in text)


def key_id(name: str, public_key: bytes) -> int:
    """uint32 key id: SHA-256(name || 0x0A || 0x01 || public key)[:4], big-endian."""
    digest = hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ALG_ED25519]) + public_key)
    return int.from_bytes(digest.digest()[:4], "big")


def verifier_key(name: str, public_key: bytes) -> str:
    """Verifier key string for an Ed25519 public key (Go's NewEd25519VerifierKey)."""
    if not _is_valid_name(name):
        raise NoteError(f"invalid key name {name!r}")
    if len(public_key) != 32:
        raise NoteError(f"Ed25519 public key must be 32 bytes, got {len(public_key)}")
    encoded = base64.b64encode(bytes([ALG_ED25519]) + public_key).decode("ascii")
    return f"{name}+{key_id(name, public_key):08x}+{encoded}"


def generate_key(name: str) -> tuple[str, str]:
    """New Ed25519 key pair as (signer key string, verifier key string)."""
    if not _is_valid_name(name):
        raise NoteError(f"invalid key name {name!r}")
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes_raw()
    public = private.public_key().public_bytes_raw()
    encoded = base64.b64encode(bytes([ALG_ED25519]) + seed).decode("ascii")
    return (
        f"PRIVATE+KEY+{name}+{key_id(name, public):08x}+{encoded}",
        verifier_key(name, public),
    )


def _parse_key_body(name: str, hex_id: str, b64: str, what: str) -> tuple[int, bytes]:
    """Check the name, id and 0x01-prefixed 32-byte key shared by both key strings."""
    raw = _b64decode(b64)
    if not _is_valid_name(name) or not _HEX8.fullmatch(hex_id) or not raw:
        raise NoteError(f"malformed {what} key")
    if raw[0] != ALG_ED25519:
        raise NoteError(f"unknown {what} key algorithm {raw[0]:#04x}")
    if len(raw) != 33:
        raise NoteError(f"malformed {what} key: Ed25519 key must be 32 bytes")
    return int(hex_id, 16), raw[1:]


class Signer:
    """Signs note texts with one Ed25519 key; built from a ``PRIVATE+KEY+...`` string."""

    __slots__ = ("_private", "key_id", "name", "public_key", "verifier_key")

    def __init__(self, skey: str) -> None:
        parts = skey.split("+", 4)  # base64 may itself contain '+'
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise NoteError("malformed signer key")
        name, hex_id, b64 = parts[2], parts[3], parts[4]
        claimed_id, seed = _parse_key_body(name, hex_id, b64, "signer")
        self._private = Ed25519PrivateKey.from_private_bytes(seed)
        self.public_key: bytes = self._private.public_key().public_bytes_raw()
        self.name: str = name
        self.key_id: int = key_id(name, self.public_key)
        if claimed_id != self.key_id:
            raise NoteError("invalid signer key id: it does not match the key")
        self.verifier_key: str = verifier_key(name, self.public_key)

    def sign(self, body: str) -> str:
        """The signed note: ``body``, a blank line, and this key's signature line."""
        if not body.endswith("\n"):
            raise NoteError("malformed note: text must end with a newline")
        if _has_control_chars(body):
            raise NoteError("malformed note: text has control characters")
        signature = self._private.sign(body.encode("utf-8"))
        encoded = base64.b64encode(self.key_id.to_bytes(4, "big") + signature).decode("ascii")
        return f"{body}\n{_SIG_PREFIX}{self.name} {encoded}\n"

    def __repr__(self) -> str:  # never show the seed
        return f"Signer({self.name}+{self.key_id:08x})"


def split_note(note: str | bytes) -> tuple[str, list[str]]:
    """A signed note's text (ending in a newline) and its signature lines, checked for shape."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("malformed note: not valid UTF-8") from None
    if _has_control_chars(note):
        raise NoteError("malformed note: control characters")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("malformed note: no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise NoteError("malformed note: signature block must end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"malformed note: more than {MAX_SIGNATURES} signatures")
    for line in lines:
        if not line.startswith(_SIG_PREFIX):
            raise NoteError(f"malformed note: not a signature line: {line[:80]!r}")
    return text, lines


class Verifier:
    """Checks notes against one trusted Ed25519 key; built from a verifier key string."""

    __slots__ = ("_public", "key", "key_id", "name", "public_key")

    def __init__(self, vkey: str) -> None:
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise NoteError("malformed verifier key")
        name, hex_id, b64 = parts
        claimed_id, public = _parse_key_body(name, hex_id, b64, "verifier")
        if claimed_id != key_id(name, public):
            raise NoteError("invalid verifier key id: it does not match the key")
        self.name: str = name
        self.key_id: int = claimed_id
        self.public_key: bytes = public
        self.key: str = vkey
        self._public = Ed25519PublicKey.from_public_bytes(public)

    def verify(self, note: str | bytes) -> str:
        """Return the note's text if it carries a valid signature by this key.

        Signatures by other keys (even with the same name, or the same id) are ignored,
        as the spec requires; any signature line claiming this key must verify.
        """
        text, lines = split_note(note)
        message = text.encode("utf-8")
        verified = False
        others: list[str] = []
        for line in lines:
            name, _, b64 = line[len(_SIG_PREFIX) :].partition(" ")
            raw = _b64decode(b64)
            if not _is_valid_name(name) or raw is None or len(raw) < 5:
                raise NoteError(f"malformed note: bad signature line: {line[:80]!r}")
            sig_id = int.from_bytes(raw[:4], "big")
            if name != self.name or sig_id != self.key_id:
                others.append(f"{name}+{sig_id:08x}")
                continue
            try:
                self._public.verify(raw[4:], message)
            except InvalidSignature:
                raise NoteError(
                    f"invalid signature for key {self.name}+{self.key_id:08x}"
                ) from None
            verified = True
        if not verified:
            unknown = ", ".join(others)
            raise NoteError(
                f"note has no signature by key {self.name}+{self.key_id:08x}"
                f" (unknown key {unknown})"
            )
        return text

    def __repr__(self) -> str:
        return f"Verifier({self.name}+{self.key_id:08x})"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A log's tree head: origin line, tree size, RFC 9162 root hash."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()
    """The lines after the root hash, which the log signs (``ledger.log.heads`` puts one)."""


def checkpoint_body(origin: str, size: int, root: bytes, extensions: Sequence[str] = ()) -> str:
    """``<origin>\\n<size>\\n<base64 root>\\n`` and one line per extension."""
    if not origin or "\n" in origin or _has_control_chars(origin):
        raise NoteError(f"invalid checkpoint origin {origin!r}")
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= _MAX_TREE_SIZE:
        raise NoteError(f"invalid checkpoint tree size {size!r}")
    if not isinstance(root, bytes) or len(root) != 32:
        raise NoteError("checkpoint root must be a 32-byte SHA-256 hash")
    for line in extensions:
        if not line or "\n" in line or _has_control_chars(line):
            raise NoteError(f"invalid checkpoint extension line {line[:40]!r}")
    head = f"{origin}\n{size}\n{base64.b64encode(root).decode('ascii')}\n"
    return head + "".join(line + "\n" for line in extensions)


def parse_checkpoint(body: str) -> Checkpoint:
    """Parse a checkpoint note text. Extension lines are allowed (non-empty) and kept."""
    if not body.endswith("\n"):
        raise NoteError("malformed checkpoint: text must end with a newline")
    if _has_control_chars(body):
        raise NoteError("malformed checkpoint: control characters")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("malformed checkpoint: needs origin, tree size and root hash lines")
    if any(not line for line in lines):
        raise NoteError("malformed checkpoint: empty line")
    origin, size_line, root_line = lines[0], lines[1], lines[2]
    if not _TREE_SIZE.fullmatch(size_line) or int(size_line) > _MAX_TREE_SIZE:
        raise NoteError(f"malformed checkpoint: bad tree size {size_line[:40]!r}")
    root = _b64decode(root_line)
    if root is None or len(root) != 32:
        raise NoteError("malformed checkpoint: root hash is not base64 of 32 bytes")
    return Checkpoint(origin=origin, size=int(size_line), root=root, extensions=tuple(lines[3:]))


def verify_checkpoint(note: str | bytes, verifier: Verifier, expected_origin: str) -> Checkpoint:
    """Verify ``note`` with ``verifier`` and parse it; refuse a checkpoint of another log."""
    checkpoint = parse_checkpoint(verifier.verify(note))
    if checkpoint.origin != expected_origin:
        raise NoteError(
            f"checkpoint origin {checkpoint.origin!r} is not the expected {expected_origin!r}"
        )
    return checkpoint
