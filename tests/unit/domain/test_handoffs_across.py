"""A hand-off to another jurisdiction's ledger: the rules each side's case applies, none of which
needs crypto (the proofs are checked at the edge and by auditors: tests/unit/log/
test_handoff_refs.py, tests/e2e/test_two_jurisdictions.py)."""

from __future__ import annotations

from uuid import UUID

import msgspec

from ledger.domain.case import Case
from ledger.domain.handoffs.records import HandOffStatus
from tests.unit.domain.test_case import (
    CLERK,
    DIRECTOR,
    PEER,
    PEER_REFERENCE,
    POLICE_CLERK,
    T0,
    accepted_case,
    at,
    record,
    refusal_of,
)

SENDER_HANDOFF = UUID("00000000-0000-4000-8000-0000000000cc")


def handed_across() -> tuple[Case, UUID]:
    case = accepted_case()
    handoff_id = record(case, "HandedOffAcross", occurred_at=at(2))["handoff_id"]
    case.collect_events()
    return case, handoff_id


def test_a_hand_off_across_is_pending_towards_the_other_log_and_the_sender_keeps_the_case() -> None:
    case, handoff_id = handed_across()

    [handoff] = case.state.pending_handoffs
    assert (handoff.handoff_id, handoff.to_origin, handoff.counterpart) == (handoff_id, PEER, None)
    assert case.state.department == "人社"
    assert refusal_of("HandedOffAcross", case) == "handoff.already_pending"


def test_only_the_receiving_ledgers_reference_settles_it_here() -> None:
    case, handoff_id = handed_across()

    assert refusal_of("HandOffSignedFor", case, POLICE_CLERK, handoff_id=handoff_id) == (
        "handoff.across_signed_elsewhere"
    )
    other_log = msgspec.structs.replace(PEER_REFERENCE, origin="other.example/ledger")
    assert refusal_of("HandOffAcknowledged", case, handoff_id=handoff_id, receiver=other_log) == (
        "handoff.reference_wrong_log"
    )
    assert refusal_of("HandOffAcknowledged", case, POLICE_CLERK, handoff_id=handoff_id) == (
        "case.not_held_by_unit"
    )

    record(case, "HandOffAcknowledged", occurred_at=at(3), handoff_id=handoff_id)

    [handoff] = case.state.handoffs
    assert handoff.status is HandOffStatus.SIGNED_FOR
    assert handoff.counterpart == PEER_REFERENCE.case_reference()
    assert (case.state.department, case.state.window) == ("人社", "2F-07")
    assert refusal_of("HandOffAcknowledged", case, handoff_id=handoff_id) == (
        "handoff.already_signed_for"
    )


def test_the_holder_records_the_other_jurisdictions_refusal() -> None:
    case, handoff_id = handed_across()

    record(case, "HandOffReturned", occurred_at=at(3), handoff_id=handoff_id, reason="非本级事权")

    assert case.state.handoffs[0].status is HandOffStatus.RETURNED


def test_a_hand_off_within_the_ledger_is_not_acknowledged_by_reference() -> None:
    case = accepted_case()
    handoff_id = record(case, "HandedOff", to_department="公安")["handoff_id"]

    assert refusal_of("HandOffAcknowledged", case, handoff_id=handoff_id) == "handoff.not_across"


def test_a_hand_off_in_is_signed_for_on_receipt_with_the_senders_reference() -> None:
    case = accepted_case()

    record(case, "HandOffReceived", occurred_at=at(2), handoff_id=SENDER_HANDOFF)

    [handoff] = case.state.handoffs
    assert handoff.status is HandOffStatus.SIGNED_FOR
    assert (handoff.from_origin, handoff.counterpart) == (PEER, PEER_REFERENCE.case_reference())
    assert (handoff.to_department, handoff.settled_by, handoff.handed_off_at) == (
        "人社",
        CLERK.id,
        T0,
    )
    assert refusal_of("HandOffReceived", case, handoff_id=SENDER_HANDOFF) == (
        "handoff.already_received"
    )


def test_a_hand_off_in_is_refused_when_its_reference_cannot_hold() -> None:
    case = accepted_case()
    outside = msgspec.structs.replace(PEER_REFERENCE, leaf_index=PEER_REFERENCE.tree_size)
    other_note = msgspec.structs.replace(PEER_REFERENCE, tree_size=10)

    assert refusal_of("HandOffReceived", case, sender=outside) == "handoff.reference_outside_tree"
    assert refusal_of("HandOffReceived", case, sender=other_note) == (
        "handoff.reference_checkpoint_mismatch"
    )
    assert refusal_of("HandOffReceived", case, handed_off_at=at(5)) == (
        "handoff.received_before_sent"
    )
    assert refusal_of("HandOffReceived", case, POLICE_CLERK) == "case.not_held_by_unit"
    record(case, "HandOffReceived", DIRECTOR, occurred_at=at(2))  # a centre-wide role may
