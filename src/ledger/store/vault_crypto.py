"""The personal-data vault's cryptography, without I/O: per-subject data keys, AES-256-GCM.

Each data subject gets a random 256-bit data key. Each raw value is sealed with AES-256-GCM under
it, a random 96-bit nonce per value, and the subject, kind and case as associated data: a
ciphertext copied to another row (another case, kind or subject) does not open. The data key is
stored only wrapped (AES-256-GCM again, the subject as associated data) under the master key,
which lives outside the database (`Settings.vault_key`); destroying the wrapped key makes every
value sealed under it unreadable, whatever copies of the ciphertexts remain (crypto-shredding).

SM4 (GB/T 32907, 商用密码) is the documented alternative where a 密评 requires it, not built:
SM4-GCM (RFC 8998) has the same shape (a 96-bit nonce, associated data, a 128-bit tag; a 128-bit
key), and the `cryptography` package offers it (`algorithms.SM4` with `modes.GCM`, where its
OpenSSL has SM4). Switching means these functions, a key size, and an algorithm column in the
vault's tables so that keys and values sealed before keep opening.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
WRAPPED_KEY_BYTES = NONCE_BYTES + KEY_BYTES + TAG_BYTES
"""A wrapped data key as stored: nonce, then the key encrypted, then the tag (60 bytes)."""

_KEY_ID = b"case-ledger/vault/v1/master-key-id"
_WRAP = "case-ledger/vault/v1/key"
_SEAL = "case-ledger/vault/v1/value"


class VaultKeyError(Exception):
    """A key that does not open what it should: the wrong master key, or a tampered row."""


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def master_key_id(master_key: bytes) -> str:
    """A public fingerprint of the master key (16 hex), stored beside each wrapped key so that a
    process configured with another key says so instead of failing to decrypt."""
    _check_key(master_key, "the vault's master key (LEDGER_VAULT_KEY)")
    return hmac.new(master_key, _KEY_ID, hashlib.sha256).hexdigest()[:16]


def wrap_key(master_key: bytes, subject: str, data_key: bytes) -> bytes:
    _check_key(data_key, "a data key")
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(master_key).encrypt(nonce, data_key, _aad(_WRAP, subject))


def unwrap_key(master_key: bytes, subject: str, wrapped: bytes) -> bytes:
    if len(wrapped) != WRAPPED_KEY_BYTES:
        raise VaultKeyError(f"the wrapped key of subject {subject[:12]}… is malformed")
    try:
        return AESGCM(master_key).decrypt(
            wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _aad(_WRAP, subject)
        )
    except InvalidTag:
        raise VaultKeyError(
            f"the key of subject {subject[:12]}… does not unwrap under this master key"
        ) from None


def seal(
    data_key: bytes, subject: str, kind: str, case_id: UUID, value: str
) -> tuple[bytes, bytes]:
    """(nonce, ciphertext with its tag) of one raw value."""
    nonce = os.urandom(NONCE_BYTES)
    aad = _aad(_SEAL, subject, kind, str(case_id))
    return nonce, AESGCM(data_key).encrypt(nonce, value.encode(), aad)


def unseal(
    data_key: bytes, subject: str, kind: str, case_id: UUID, nonce: bytes, ciphertext: bytes
) -> str:
    try:
        plain = AESGCM(data_key).decrypt(
            nonce, ciphertext, _aad(_SEAL, subject, kind, str(case_id))
        )
    except InvalidTag:
        raise VaultKeyError(
            f"the {kind} of case {case_id} does not open under its subject's key"
        ) from None
    return plain.decode()


def _aad(*parts: str) -> bytes:
    """Length-prefixed, so no two different tuples of parts give the same bytes."""
    out = bytearray()
    for part in parts:
        encoded = part.encode()
        out += len(encoded).to_bytes(4, "big") + encoded
    return bytes(out)


def _check_key(key: bytes, what: str) -> None:
    if len(key) != KEY_BYTES:
        raise VaultKeyError(f"{what} must be {KEY_BYTES} bytes (64 hex), not {len(key)}")
