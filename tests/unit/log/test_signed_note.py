"""Signed notes and checkpoints: byte-compatible with golang.org/x/mod/sumdb/note, and
every forged, misattributed, altered or malformed note is refused with NoteError.

Compatibility matters because a checkpoint is only useful if someone else (a witness,
an auditor with the Go tooling) can check it without our code.
"""

from __future__ import annotations

import base64
import hashlib

import pytest

from ledger.log.merkle.tree import EMPTY_ROOT, leaf_hash
from ledger.log.signed_note import (
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    checkpoint_body,
    generate_key,
    key_id,
    parse_checkpoint,
    verifier_key,
    verify_checkpoint,
)

# golang.org/x/mod/sumdb/note, note_test.go (golang/mod, commit
# 02c991387e35f9e4c0a9b7ce137717055f8d716d) and the package documentation in note.go.
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_B64 = (
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
)
PETER_SIG = f"— PeterNeumann {PETER_B64}\n"
ENOCH_B64 = (
    "rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ="
)
ENOCH_SIG = f"— EnochRoot {ENOCH_B64}\n"

ORIGIN = "ledger.example/cases"
ROOT = leaf_hash(b"some tree")


# --- Compatibility with the Go reference --------------------------------------------------


def test_go_reference_keys_and_signature_verify_here() -> None:
    signer = Signer(PETER_SKEY)
    assert signer.name == "PeterNeumann"
    assert signer.key_id == 0xC74F20A3
    assert signer.verifier_key == PETER_VKEY
    # Ed25519 is deterministic: the exact note from Go's TestSign.
    assert signer.sign(TEXT) == TEXT + "\n" + PETER_SIG
    verifier = Verifier(PETER_VKEY)
    assert verifier.verify(TEXT + "\n" + PETER_SIG) == TEXT
    assert "AYEKF" not in repr(signer)


def test_a_key_id_is_the_c2sp_hash_of_name_type_and_key() -> None:
    # key ID = SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4] (c2sp.org/signed-note)
    public = base64.b64decode(PETER_VKEY.split("+")[2])[1:]
    expected = hashlib.sha256(b"PeterNeumann\n\x01" + public).digest()[:4]
    assert key_id("PeterNeumann", public) == int.from_bytes(expected, "big") == 0xC74F20A3
    enoch_public = base64.b64decode(ENOCH_VKEY.split("+")[2])[1:]
    assert key_id("EnochRoot", enoch_public) == 0xAF0CFE78
    assert verifier_key("EnochRoot", enoch_public) == ENOCH_VKEY


def test_a_note_signed_twice_by_go_verifies_with_either_key() -> None:
    note = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert Verifier(PETER_VKEY).verify(note) == TEXT
    assert Verifier(ENOCH_VKEY).verify(note) == TEXT
    # Only Enoch's signature: Peter's verifier must not accept it.
    with pytest.raises(NoteError, match=r"no signature by key PeterNeumann\+c74f20a3"):
        Verifier(PETER_VKEY).verify(TEXT + "\n" + ENOCH_SIG)


def test_mangled_keys_are_refused() -> None:
    # Ported from Go's TestNewVerifier / TestNewSigner: every proper substring and every
    # single-character increment of a key string is refused.
    for key, parse in [(PETER_VKEY, Verifier), (PETER_SKEY, Signer)]:
        for i in range(len(key) + 1):
            for j in range(i + 1, len(key) + 1):
                if (i, j) != (0, len(key)):
                    with pytest.raises(NoteError):
                        parse(key[i:j])
        for i in range(len(key)):
            mangled = key[:i] + chr(ord(key[i]) + 1) + key[i + 1 :]
            with pytest.raises(NoteError):
                parse(mangled)
    # Wrong key length and unknown algorithm, each with a matching key id (Go's cases).
    with pytest.raises(NoteError, match="malformed verifier key"):
        Verifier("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
    with pytest.raises(NoteError, match="unknown verifier key algorithm"):
        Verifier("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
    with pytest.raises(NoteError, match="does not match"):
        Verifier("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")


# --- Own keys -----------------------------------------------------------------------------


def test_generate_key_round_trip() -> None:
    skey, vkey = generate_key(ORIGIN)
    assert skey.startswith(f"PRIVATE+KEY+{ORIGIN}+")
    signer, verifier = Signer(skey), Verifier(vkey)
    assert signer.verifier_key == vkey == verifier.key
    assert signer.key_id == verifier.key_id == int(vkey.split("+")[1], 16)
    body = checkpoint_body(ORIGIN, 42, ROOT)
    note = signer.sign(body)
    assert note.startswith(body + "\n— " + ORIGIN + " ")
    assert verifier.verify(note) == body
    assert verifier.verify(note.encode("utf-8")) == body
    assert verify_checkpoint(note, verifier, ORIGIN) == Checkpoint(ORIGIN, 42, ROOT)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "tab\there", "nbsp\u00a0x"])
def test_invalid_key_names_are_refused(name: str) -> None:
    with pytest.raises(NoteError, match="invalid key name"):
        generate_key(name)


def test_signature_by_another_key_with_the_same_name_is_refused() -> None:
    skey, vkey = generate_key(ORIGIN)
    impostor_skey, impostor_vkey = generate_key(ORIGIN)
    body = checkpoint_body(ORIGIN, 7, ROOT)
    forged = Signer(impostor_skey).sign(body)
    with pytest.raises(NoteError, match=r"no signature by key .* \(unknown key "):
        Verifier(vkey).verify(forged)
    # Signed by both: the trusted key's signature is what counts; the other is ignored.
    both = Signer(impostor_skey).sign(body) + Signer(skey).sign(body).split("\n\n")[-1]
    assert Verifier(vkey).verify(both) == body
    assert Verifier(impostor_vkey).verify(both) == body


def test_forged_signature_is_refused() -> None:
    skey, vkey = generate_key(ORIGIN)
    note = Signer(skey).sign(checkpoint_body(ORIGIN, 7, ROOT))
    body, sig_line = note.split("\n\n")
    raw = bytearray(base64.b64decode(sig_line.split(" ")[2]))
    raw[10] ^= 1  # inside the Ed25519 signature, key id untouched
    forged = f"{body}\n\n— {ORIGIN} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(NoteError, match="invalid signature for key"):
        Verifier(vkey).verify(forged)
    # A bad signature claiming the trusted key spoils the note even beside a good one.
    with pytest.raises(NoteError, match="invalid signature for key"):
        Verifier(vkey).verify(note + forged.split("\n\n")[1])
    # Go's TestOpen case: four base64 characters inserted into Peter's signature.
    cut = len("— PeterNeumann ") + 43
    bad = PETER_SIG[:cut] + "ABCD" + PETER_SIG[cut:]
    with pytest.raises(NoteError, match=r"invalid signature for key PeterNeumann\+c74f20a3"):
        Verifier(PETER_VKEY).verify(TEXT + "\n" + bad)


def test_modified_body_is_refused() -> None:
    skey, vkey = generate_key(ORIGIN)
    note = Signer(skey).sign(checkpoint_body(ORIGIN, 7, ROOT))
    tampered = note.replace("\n7\n", "\n8\n", 1)
    assert tampered != note
    with pytest.raises(NoteError, match="invalid signature"):
        Verifier(vkey).verify(tampered)
    other_root = checkpoint_body(ORIGIN, 7, EMPTY_ROOT)
    with pytest.raises(NoteError, match="invalid signature"):
        Verifier(vkey).verify(other_root + "\n" + note.split("\n\n")[1])


def test_checkpoint_of_another_origin_is_refused() -> None:
    skey, vkey = generate_key(ORIGIN)
    note = Signer(skey).sign(checkpoint_body("other.example/log", 7, ROOT))
    assert Verifier(vkey).verify(note)  # the signature itself is fine
    with pytest.raises(NoteError, match=r"origin 'other\.example/log' is not the expected"):
        verify_checkpoint(note, Verifier(vkey), ORIGIN)


@pytest.mark.parametrize(
    "note",
    [
        # Go TestOpen's badMsgs.
        TEXT,
        TEXT + "\n",
        TEXT + "\n" + PETER_SIG[:-1],
        "\x01" + TEXT + "\n" + PETER_SIG,
        TEXT + "\n" + f"— Bad Name {PETER_B64}",
        TEXT + "\n" + PETER_SIG + "Unexpected line.\n",
        # More of the same kind.
        TEXT + "\n" + PETER_SIG * 101,
        TEXT + "\n" + PETER_SIG.replace("— ", "- "),
        TEXT + "\n" + PETER_SIG.replace("=\n", "\n"),
        TEXT + "\n" + "— PeterNeumann \n",
        TEXT + "\n" + "— PeterNeumann AAAA\n",
        TEXT + "\n\n",
        "",
        TEXT.replace("\n", "\r\n") + "\n" + PETER_SIG,
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(NoteError, match="malformed note"):
        Verifier(PETER_VKEY).verify(note)


def test_invalid_utf8_is_refused() -> None:
    with pytest.raises(NoteError, match="not valid UTF-8"):
        Verifier(PETER_VKEY).verify(b"\xff" + (TEXT + "\n" + PETER_SIG).encode())


def test_sign_refuses_bad_text() -> None:
    signer = Signer(PETER_SKEY)
    for body in ["abc", "", "a\x00b\n"]:
        with pytest.raises(NoteError, match="malformed note"):
            signer.sign(body)


# --- Checkpoint bodies --------------------------------------------------------------------


def test_a_checkpoint_body_is_origin_size_and_root_on_three_lines() -> None:
    body = checkpoint_body(ORIGIN, 20852163, ROOT)
    assert body == f"{ORIGIN}\n20852163\n{base64.b64encode(ROOT).decode()}\n"
    assert parse_checkpoint(body) == Checkpoint(ORIGIN, 20852163, ROOT)
    assert parse_checkpoint(checkpoint_body(ORIGIN, 0, EMPTY_ROOT)).size == 0
    # Extension lines are allowed, and kept in order (they are signed with the rest).
    assert parse_checkpoint(body + "ext line\nsecond\n") == Checkpoint(
        ORIGIN, 20852163, ROOT, ("ext line", "second")
    )
    assert checkpoint_body(ORIGIN, 20852163, ROOT, ("ext line",)) == body + "ext line\n"
    with pytest.raises(AttributeError):
        parse_checkpoint(body).size = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    "body",
    [
        "",
        "origin\n1\n",
        "origin\n1\n" + base64.b64encode(ROOT).decode(),  # no final newline
        "\n1\n" + base64.b64encode(ROOT).decode() + "\n",  # empty origin
        "origin\n01\n" + base64.b64encode(ROOT).decode() + "\n",  # leading zero
        "origin\n-1\n" + base64.b64encode(ROOT).decode() + "\n",
        "origin\n+1\n" + base64.b64encode(ROOT).decode() + "\n",
        "origin\n1_0\n" + base64.b64encode(ROOT).decode() + "\n",
        "origin\n١\n" + base64.b64encode(ROOT).decode() + "\n",  # non-ASCII digit
        f"origin\n{1 << 64}\n" + base64.b64encode(ROOT).decode() + "\n",
        "origin\n1\n" + base64.b64encode(ROOT[:31]).decode() + "\n",
        "origin\n1\n" + base64.urlsafe_b64encode(b"\xff" * 32).decode() + "\n",
        "origin\n1\n" + base64.b64encode(ROOT).decode().rstrip("=") + "\n",
        "origin\n1\n" + base64.b64encode(ROOT).decode() + "\n\n",  # empty extension line
        "origin\n1\n" + base64.b64encode(ROOT).decode() + "\nx\x00\n",
    ],
)
def test_malformed_checkpoints_are_refused(body: str) -> None:
    with pytest.raises(NoteError, match="malformed checkpoint"):
        parse_checkpoint(body)


def test_checkpoint_body_refuses_bad_fields() -> None:
    with pytest.raises(NoteError, match="origin"):
        checkpoint_body("", 1, ROOT)
    with pytest.raises(NoteError, match="origin"):
        checkpoint_body("a\nb", 1, ROOT)
    with pytest.raises(NoteError, match="tree size"):
        checkpoint_body(ORIGIN, -1, ROOT)
    with pytest.raises(NoteError, match="tree size"):
        checkpoint_body(ORIGIN, True, ROOT)
    with pytest.raises(NoteError, match="32-byte"):
        checkpoint_body(ORIGIN, 1, ROOT[:31])


def test_signed_malformed_checkpoint_is_refused() -> None:
    skey, vkey = generate_key(ORIGIN)
    note = Signer(skey).sign(f"{ORIGIN}\n12\nnot base64\n")
    with pytest.raises(NoteError, match="malformed checkpoint"):
        verify_checkpoint(note, Verifier(vkey), ORIGIN)
