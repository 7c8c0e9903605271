"""The vault's cryptography: values open only under their subject's key and their own row's
subject, kind and case; a wrapped key opens only under the master key, for its own subject."""

from __future__ import annotations

import secrets
from uuid import uuid4

import pytest

from ledger.store.vault_crypto import (
    WRAPPED_KEY_BYTES,
    VaultKeyError,
    master_key_id,
    new_data_key,
    seal,
    unseal,
    unwrap_key,
    wrap_key,
)

MASTER = secrets.token_bytes(32)
SUBJECT = "a" * 64
OTHER_SUBJECT = "b" * 64
CASE = uuid4()


def test_a_sealed_value_opens_to_itself_under_its_key_and_row() -> None:
    key = new_data_key()

    nonce, ciphertext = seal(key, SUBJECT, "id_number", CASE, "341525197001010020")

    assert unseal(key, SUBJECT, "id_number", CASE, nonce, ciphertext) == "341525197001010020"
    assert b"341525197001010020" not in ciphertext


def test_sealing_twice_gives_different_ciphertexts() -> None:
    key = new_data_key()

    first = seal(key, SUBJECT, "phone", CASE, "13800000000")
    second = seal(key, SUBJECT, "phone", CASE, "13800000000")

    assert first[0] != second[0] and first[1] != second[1]


def test_a_value_does_not_open_under_another_subjects_key() -> None:
    nonce, ciphertext = seal(new_data_key(), SUBJECT, "name", CASE, "李四")

    with pytest.raises(VaultKeyError):
        unseal(new_data_key(), SUBJECT, "name", CASE, nonce, ciphertext)


@pytest.mark.parametrize(
    ("subject", "kind", "case_id"),
    [(OTHER_SUBJECT, "phone", CASE), (SUBJECT, "bank_card", CASE), (SUBJECT, "phone", uuid4())],
    ids=["other subject", "other kind", "other case"],
)
def test_a_value_moved_to_another_row_does_not_open(subject, kind, case_id) -> None:
    key = new_data_key()
    nonce, ciphertext = seal(key, SUBJECT, "phone", CASE, "13800000000")

    with pytest.raises(VaultKeyError):
        unseal(key, subject, kind, case_id, nonce, ciphertext)


def test_a_tampered_ciphertext_does_not_open() -> None:
    key = new_data_key()
    nonce, ciphertext = seal(key, SUBJECT, "phone", CASE, "13800000000")
    flipped = bytes([ciphertext[0] ^ 1]) + ciphertext[1:]

    with pytest.raises(VaultKeyError):
        unseal(key, SUBJECT, "phone", CASE, nonce, flipped)


def test_a_wrapped_key_unwraps_under_the_master_key_to_the_data_key() -> None:
    key = new_data_key()

    wrapped = wrap_key(MASTER, SUBJECT, key)

    assert len(wrapped) == WRAPPED_KEY_BYTES
    assert key not in wrapped
    assert unwrap_key(MASTER, SUBJECT, wrapped) == key


def test_a_wrapped_key_is_unusable_without_the_master_key() -> None:
    wrapped = wrap_key(MASTER, SUBJECT, new_data_key())

    with pytest.raises(VaultKeyError, match="does not unwrap"):
        unwrap_key(secrets.token_bytes(32), SUBJECT, wrapped)


def test_a_wrapped_key_copied_to_another_subject_does_not_unwrap() -> None:
    wrapped = wrap_key(MASTER, SUBJECT, new_data_key())

    with pytest.raises(VaultKeyError):
        unwrap_key(MASTER, OTHER_SUBJECT, wrapped)


def test_a_truncated_wrapped_key_is_refused() -> None:
    wrapped = wrap_key(MASTER, SUBJECT, new_data_key())

    with pytest.raises(VaultKeyError, match="malformed"):
        unwrap_key(MASTER, SUBJECT, wrapped[:-1])


def test_the_master_key_id_names_the_key_without_revealing_it() -> None:
    key_id = master_key_id(MASTER)

    assert key_id == master_key_id(MASTER) != master_key_id(secrets.token_bytes(32))
    assert len(key_id) == 16 and key_id not in MASTER.hex()


def test_a_master_key_of_the_wrong_size_is_refused() -> None:
    with pytest.raises(VaultKeyError, match="32 bytes"):
        master_key_id(b"short")
