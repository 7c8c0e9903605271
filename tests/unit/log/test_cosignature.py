"""Witness cosignatures (c2sp.org/tlog-cosignature): the key id commits to type 0x04, the line
carries the timestamp, the signature covers the whole checkpoint text, and a line that claims a
pinned witness but does not verify is an error, never skipped."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.log.cosignature import (
    CosignatureVerifier,
    Cosigner,
    cosigner_key_id,
    count_cosigners,
    generate_cosigner_key,
    require_cosigners,
)
from ledger.log.merkle.tree import leaf_hash
from ledger.log.signed_note import NoteError, Signer, Verifier, checkpoint_body, generate_key

ORIGIN = "ledger.example/cases"
WITNESS = "witness.example/w1"
BODY = checkpoint_body(ORIGIN, 42, leaf_hash(b"tree"), ("heads/v1 abc",))
T = 1_727_964_367
# A real witness's verifier key (transparency-dev/formats, note_cosigv1_test.go): its key id is
# the spec's hash with type 0x04, so ours must accept it.
REMORA_VKEY = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"


def cosigner_from_seed(seed: bytes, name: str = WITNESS) -> Cosigner:
    public = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes_raw()
    encoded = base64.b64encode(b"\x04" + seed).decode()
    return Cosigner(f"PRIVATE+KEY+{name}+{cosigner_key_id(name, public):08x}+{encoded}")


def log_note(body: str = BODY) -> str:
    skey, _ = generate_key(ORIGIN)
    return Signer(skey).sign(body)


def test_a_cosignature_round_trips_and_returns_its_timestamp() -> None:
    skey, vkey = generate_cosigner_key(WITNESS)
    cosigner = Cosigner(skey)
    note = log_note()

    line = cosigner.cosign(BODY, T)

    assert line.startswith(f"— {WITNESS} ") and line.endswith("\n")
    assert cosigner.verifier_key == vkey
    assert CosignatureVerifier(vkey).verify(note + line) == T
    assert "PRIVATE" not in repr(cosigner) and skey.split("+")[4] not in repr(cosigner)


def test_the_key_id_hashes_name_newline_0x04_and_the_public_key() -> None:
    cosigner = cosigner_from_seed(b"\x07" * 32)
    expected = hashlib.sha256(WITNESS.encode() + b"\n\x04" + cosigner.public_key).digest()[:4]

    assert cosigner.key_id == int.from_bytes(expected, "big")
    assert cosigner.verifier_key.split("+")[1] == expected.hex()
    assert base64.b64decode(cosigner.verifier_key.split("+")[2])[0] == 0x04
    assert CosignatureVerifier(REMORA_VKEY).key_id == 0xDA77ADE7


def test_the_line_is_key_id_big_endian_timestamp_and_a_signature_over_the_spec_message() -> None:
    cosigner = cosigner_from_seed(b"\x07" * 32)

    raw = base64.b64decode(cosigner.cosign(BODY, T).split(" ")[2])

    assert len(raw) == 4 + 8 + 64
    assert int.from_bytes(raw[:4], "big") == cosigner.key_id
    assert int.from_bytes(raw[4:12], "big") == T
    message = f"cosignature/v1\ntime {T}\n{BODY}".encode()  # extension line included
    public = Ed25519PrivateKey.from_private_bytes(b"\x07" * 32).public_key()
    public.verify(raw[12:], message)  # raises if the message differs by one byte


def test_a_changed_extension_line_timestamp_or_root_is_refused() -> None:
    cosigner = cosigner_from_seed(b"\x07" * 32)
    verifier = CosignatureVerifier(cosigner.verifier_key)
    note = log_note()
    line = cosigner.cosign(BODY, T)
    raw = bytearray(base64.b64decode(line.split(" ")[2]))
    raw[11] ^= 1  # the timestamp's last byte
    retimed = f"— {WITNESS} {base64.b64encode(bytes(raw)).decode()}\n"

    for forged in (
        note.replace("heads/v1 abc", "heads/v1 abd") + line,
        note.replace("\n42\n", "\n43\n") + line,
        note + retimed,
    ):
        with pytest.raises(NoteError, match="invalid cosignature"):
            verifier.verify(forged)


def test_another_witness_key_does_not_verify_and_its_lines_are_ignored() -> None:
    mine, other = cosigner_from_seed(b"\x01" * 32), cosigner_from_seed(b"\x02" * 32)
    note = log_note()

    with pytest.raises(NoteError, match="no cosignature by witness"):
        CosignatureVerifier(mine.verifier_key).verify(note + other.cosign(BODY, T))
    both = note + other.cosign(BODY, T) + mine.cosign(BODY, T + 1)
    assert CosignatureVerifier(mine.verifier_key).verify(both) == T + 1


def test_a_pinned_witness_whose_line_fails_is_an_error_not_a_missing_cosigner() -> None:
    good, bad = cosigner_from_seed(b"\x01" * 32), cosigner_from_seed(b"\x02" * 32)
    pinned = [CosignatureVerifier(good.verifier_key), CosignatureVerifier(bad.verifier_key)]
    note = log_note()
    # The bad witness's line, made over another checkpoint: same key id, wrong signature.
    stolen = bad.cosign(checkpoint_body(ORIGIN, 41, leaf_hash(b"old")), T)

    with pytest.raises(NoteError, match=f"invalid cosignature for witness {bad.name}"):
        count_cosigners(note + good.cosign(BODY, T) + stolen, pinned)
    found = count_cosigners(note + good.cosign(BODY, T), pinned)
    assert [(v.witness, t) for v, t in found] == [(pinned[0].witness, T)]


def test_a_quorum_of_pinned_witnesses_is_required() -> None:
    a, b = cosigner_from_seed(b"\x01" * 32), cosigner_from_seed(b"\x02" * 32)
    pinned = [CosignatureVerifier(a.verifier_key), CosignatureVerifier(b.verifier_key)]
    note = log_note()

    assert len(require_cosigners(note + a.cosign(BODY, T) + b.cosign(BODY, T), pinned, 2)) == 2
    with pytest.raises(NoteError, match="cosigned by 1 of the 2 pinned witnesses"):
        require_cosigners(note + a.cosign(BODY, T), pinned, 2)


def test_the_log_s_signature_still_verifies_with_cosignatures_appended() -> None:
    skey, vkey = generate_key(ORIGIN)
    note = Signer(skey).sign(BODY) + cosigner_from_seed(b"\x01" * 32).cosign(BODY, T)

    assert Verifier(vkey).verify(note) == BODY


def test_timestamps_from_2_to_the_63_and_negative_ones_are_refused() -> None:
    cosigner = cosigner_from_seed(b"\x01" * 32)

    assert cosigner.cosign(BODY, (1 << 63) - 1)
    for bad in (1 << 63, -1, True):
        with pytest.raises(NoteError, match="timestamp"):
            cosigner.cosign(BODY, bad)
    # A line carrying a timestamp >= 2^63 is refused by the verifier too, before its signature.
    raw = bytearray(base64.b64decode(cosigner.cosign(BODY, T).split(" ")[2]))
    raw[4:12] = (1 << 63).to_bytes(8, "big")
    line = f"— {WITNESS} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(NoteError, match="outside"):
        CosignatureVerifier(cosigner.verifier_key).verify(log_note() + line)


def test_only_checkpoints_are_cosigned_and_log_keys_are_not_cosigner_keys() -> None:
    cosigner = cosigner_from_seed(b"\x01" * 32)
    skey, vkey = generate_key(WITNESS)

    with pytest.raises(NoteError, match="checkpoint"):
        cosigner.cosign("not a checkpoint\n", T)
    with pytest.raises(NoteError, match="not a cosignature/v1"):
        CosignatureVerifier(vkey)
    with pytest.raises(NoteError, match="not a cosignature/v1"):
        Cosigner(skey)
    name, key_id, key = cosigner.verifier_key.split("+", 2)
    with pytest.raises(NoteError, match="does not match"):
        CosignatureVerifier(f"{name}+{int(key_id, 16) ^ 1:08x}+{key}")
    with pytest.raises(NoteError, match="invalid key name"):
        generate_cosigner_key("two words")


def test_a_truncated_line_claiming_the_pinned_key_is_an_error() -> None:
    cosigner = cosigner_from_seed(b"\x01" * 32)
    raw = base64.b64decode(cosigner.cosign(BODY, T).split(" ")[2])
    short = f"— {WITNESS} {base64.b64encode(raw[:40]).decode()}\n"

    with pytest.raises(NoteError, match="malformed cosignature"):
        CosignatureVerifier(cosigner.verifier_key).verify(log_note() + short)
