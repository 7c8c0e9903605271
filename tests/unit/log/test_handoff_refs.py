"""A reference to another log's event: its leaf taken apart, and the checks that need no key
(`proof_failures`); the keyed check runs on two ledgers in tests/e2e/test_two_jurisdictions.py."""

from __future__ import annotations

from uuid import uuid4

import msgspec
import pytest

from ledger.domain.handoffs.records import LogReference
from ledger.log.handoff_refs import decode_leaf, proof_failures
from ledger.log.leaf import encode_leaf
from ledger.log.merkle.tree import mth, path
from ledger.log.signed_note import Signer, checkpoint_body, generate_key

ORIGIN = "zhangjiakou.example.gov.cn/case-ledger"
TOPIC = "ledger.domain.case:Case.HandedOffAcross"
PAYLOAD = b'{"handoff_id":"x","timestamp":"2026-01-08T02:00:00.000000+00:00"}'


def a_reference(index: int = 2, size: int = 5) -> LogReference:
    case_id = uuid4()
    entries = [encode_leaf(i + 1, uuid4(), 1, TOPIC, PAYLOAD) for i in range(size)]
    entries[index] = encode_leaf(index + 1, case_id, 3, TOPIC, PAYLOAD)
    note = Signer(generate_key(ORIGIN)[0]).sign(checkpoint_body(ORIGIN, size, mth(entries)))
    return LogReference(
        origin=ORIGIN,
        case_id=case_id,
        version=3,
        position=index + 1,
        leaf_index=index,
        tree_size=size,
        entry=entries[index],
        audit_path=path(index, entries),
        checkpoint=note,
    )


def test_a_leaf_comes_apart_into_what_encode_leaf_packed() -> None:
    case_id = uuid4()
    leaf = decode_leaf(encode_leaf(7, case_id, 3, TOPIC, PAYLOAD))

    assert (leaf.position, leaf.case_id, leaf.version, leaf.topic) == (7, case_id, 3, TOPIC)
    assert (leaf.payload, leaf.recorded_at) == (PAYLOAD, "2026-01-08T02:00:00.000000+00:00")


@pytest.mark.parametrize("cut", [b"", b"case-ledger/leaf/v2\n", None])
def test_anything_but_a_whole_leaf_is_refused(cut: bytes | None) -> None:
    entry = encode_leaf(7, uuid4(), 3, TOPIC, PAYLOAD)
    with pytest.raises(ValueError, match="leaf"):
        decode_leaf(entry[:-1] if cut is None else cut)
    with pytest.raises(ValueError, match="lengths"):
        decode_leaf(entry + b"\x00")


def test_a_coherent_reference_holds() -> None:
    assert proof_failures(a_reference()) == []
    assert proof_failures(a_reference(index=0, size=1)) == []


def test_each_way_a_reference_can_disagree_with_itself_is_named() -> None:
    good = a_reference()
    other = a_reference()

    def failures(**change: object) -> str:
        return "; ".join(proof_failures(msgspec.structs.replace(good, **change)))

    assert "case id" in failures(case_id=uuid4())
    assert "version" in failures(version=4)
    assert "position" in failures(position=1)
    assert "audit_path" in failures(entry=other.entry[:-1] + b"!")
    assert "audit_path" in failures(leaf_index=3)
    assert "audit_path" in failures(audit_path=other.audit_path)
    assert "audit_path" in failures(checkpoint=other.checkpoint)
    assert "leaves" in failures(tree_size=6)
    assert "checkpoint" in failures(checkpoint="not a note")
