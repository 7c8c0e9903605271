"""Pinned keys: the key files decide which verifier keys are published, and a checkpoint verifies
under any pinned key that signed it, never under one that merely claims to have."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from ledger.log.keys import (
    KeyFileError,
    current_verifier_key,
    generate_key_files,
    load_signer,
    pinned_keys,
    rotate_key,
)
from ledger.log.signed_note import NoteError, Signer, Verifier, checkpoint_body, generate_key
from ledger.log.verify import verify_pinned_checkpoint

ORIGIN = "ledger.example/hs"
BODY = checkpoint_body(ORIGIN, 3, b"\x01" * 32)


def signer() -> Signer:
    return Signer(generate_key(ORIGIN)[0])


def test_a_checkpoint_verifies_under_whichever_pinned_key_signed_it() -> None:
    old, new = signer(), signer()
    note = old.sign(BODY)

    checkpoint, signers = verify_pinned_checkpoint(
        note, [Verifier(new.verifier_key), Verifier(old.verifier_key)], ORIGIN
    )

    assert checkpoint.size == 3 and [v.key for v in signers] == [old.verifier_key]


def test_a_checkpoint_signed_by_no_pinned_key_is_refused_naming_the_pinned_keys() -> None:
    old, new, other = signer(), signer(), signer()

    with pytest.raises(NoteError, match="no signature by any pinned key") as refused:
        verify_pinned_checkpoint(
            other.sign(BODY), [Verifier(new.verifier_key), Verifier(old.verifier_key)], ORIGIN
        )

    assert f"{new.key_id:08x}" in str(refused.value) and f"{old.key_id:08x}" in str(refused.value)


def test_a_forged_signature_line_by_a_pinned_key_fails_even_beside_a_good_one() -> None:
    old, new = signer(), signer()
    good = old.sign(BODY)
    forged_line = new.sign(BODY.replace("3\n", "4\n", 1)).splitlines()[-1]  # signs another text

    with pytest.raises(NoteError, match="invalid signature"):
        verify_pinned_checkpoint(
            good + forged_line + "\n",
            [Verifier(old.verifier_key), Verifier(new.verifier_key)],
            ORIGIN,
        )


def test_the_published_key_comes_from_the_key_file_and_must_match_its_pub(tmp_path: Path) -> None:
    key = tmp_path / "notary.key"
    verifier_key = generate_key_files(key, ORIGIN)
    assert current_verifier_key(key, ORIGIN) == verifier_key

    key.with_suffix(".pub").write_text(generate_key(ORIGIN)[1] + "\n")

    with pytest.raises(KeyFileError, match="not the public half"):
        current_verifier_key(key, ORIGIN)


def test_a_process_without_the_signer_key_publishes_the_pub_file_alone(tmp_path: Path) -> None:
    key = tmp_path / "notary.key"
    verifier_key = generate_key_files(key, ORIGIN)
    key.unlink()

    assert current_verifier_key(key, ORIGIN) == verifier_key
    key.with_suffix(".pub").unlink()
    with pytest.raises(KeyFileError, match="no verifier key"):
        current_verifier_key(key, ORIGIN)


def test_a_key_of_another_origin_is_not_published(tmp_path: Path) -> None:
    key = tmp_path / "notary.key"
    generate_key_files(key, "ledger.example/elsewhere")

    with pytest.raises(KeyFileError, match="named"):
        pinned_keys(key, ORIGIN)


def test_rotation_keeps_the_old_public_key_destroys_the_old_private_key_and_records_it(
    tmp_path: Path,
) -> None:
    key = tmp_path / "keys" / "notary.key"
    first = load_signer(key, ORIGIN)

    rotation = rotate_key(key, ORIGIN)
    second = load_signer(key, ORIGIN)
    again = rotate_key(key, ORIGIN)

    assert rotation.old == first.verifier_key and rotation.new == second.verifier_key
    assert again.old == second.verifier_key != again.new
    assert Verifier(again.new).name == ORIGIN
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    retired = sorted(p.name for p in (key.parent / "retired").iterdir())
    assert retired == sorted([f"{first.key_id:08x}.pub", f"{second.key_id:08x}.pub"])
    everything = "".join(p.read_text() for p in key.parent.rglob("*") if p.is_file())
    assert everything.count("PRIVATE+KEY") == 1  # only the current signer key
    history = [
        json.loads(line) for line in (key.parent / "rotations.jsonl").read_text().splitlines()
    ]
    assert [(h["old"], h["new"]) for h in history] == [
        (rotation.old, rotation.new),
        (again.old, again.new),
    ]
    listed = pinned_keys(key, ORIGIN)
    assert [(k.key, k.status) for k in listed] == [
        (again.new, "current"),
        (second.verifier_key, "retired"),
        (first.verifier_key, "retired"),
    ]
    assert listed[1].since == listed[2].retired_at == rotation.at
    assert listed[0].since == listed[1].retired_at == again.at
