"""The verifiable log on a real PostgreSQL: dense leaves, signed checkpoints, proofs that verify,
bundles that fail the moment a superuser alters history."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import psycopg
import pytest
from pymerkle import InmemoryTree

from ledger.log.leaf import encode_leaf
from ledger.log.merkle.proofs import verify_consistency, verify_inclusion
from ledger.log.merkle.tree import EMPTY_ROOT, leaf_hash, mth
from ledger.log.signed_note import (
    Signer,
    generate_key,
    parse_checkpoint,
    verify_checkpoint,
)
from ledger.log.verify import verify_bundle
from ledger.log.verify_log import verify_database
from tests.conftest import actor
from tests.integration.log.support import Log

CLERK = actor("clerk-v", "clerk", unit="人社")


def stored_events(owner: str) -> list[tuple]:
    with psycopg.connect(owner) as conn:
        return conn.execute(
            "SELECT notification_id, originator_id, originator_version, topic, state "
            "FROM ledger_events ORDER BY notification_id"
        ).fetchall()


def test_every_event_becomes_one_dense_leaf_even_across_position_gaps(log: Log) -> None:
    log.case_with_events(3)
    with psycopg.connect(log.owner) as conn, conn.transaction(force_rollback=True):
        conn.execute("SELECT nextval('ledger_events_notification_id_seq')")  # a gap, for ever
    log.case_with_events(4)

    size = log.notary.catch_up()

    events = stored_events(log.owner)
    with psycopg.connect(log.owner) as conn:
        leaves = conn.execute(
            "SELECT leaf_index, position, leaf_hash FROM ledger_leaves ORDER BY leaf_index"
        ).fetchall()
    positions = [e[0] for e in events]
    assert positions != list(range(positions[0], positions[0] + len(positions)))  # gaps exist
    assert [leaf[0] for leaf in leaves] == list(range(len(events))) and size == len(events)
    assert [leaf[1] for leaf in leaves] == positions
    expected = [leaf_hash(encode_leaf(p, c, v, t, bytes(s))) for p, c, v, t, s in events]
    assert [bytes(leaf[2]) for leaf in leaves] == expected
    checkpoint = log.ledger.audit.checkpoint()
    entries = [encode_leaf(p, c, v, t, bytes(s)) for p, c, v, t, s in events]
    assert checkpoint.tree_size == size and checkpoint.root_hash == mth(entries)
    # and an independent RFC 9162 implementation agrees on the signed root
    assert InmemoryTree.init_from_entries(entries).get_root() == checkpoint.root_hash


def test_the_checkpoint_is_a_c2sp_signed_note_of_this_origin(log: Log, settings) -> None:
    log.case_with_events(1)
    log.notary.catch_up()

    note = log.ledger.audit.checkpoint().note
    body = log.verifier.verify(note)

    parsed = parse_checkpoint(body)
    assert parsed.origin == settings.origin and parsed.size == len(stored_events(log.owner))
    assert note.startswith(f"{settings.origin}\n")


def test_every_served_proof_verifies_against_its_signed_root(log: Log) -> None:
    log.case_with_events(5)
    first = log.notary.catch_up()
    log.case_with_events(9)
    second = log.notary.catch_up()

    for position, *_ in stored_events(log.owner):
        proof = log.ledger.audit.inclusion_proof(position)
        assert verify_inclusion(
            proof.leaf_hash,
            proof.leaf_index,
            proof.tree_size,
            proof.audit_path,
            proof.checkpoint.root_hash,
        )
    old = log.ledger.audit.checkpoint(first)
    new = log.ledger.audit.checkpoint(second)
    consistency = log.ledger.audit.consistency_proof(first, second)
    assert verify_consistency(first, second, old.root_hash, new.root_hash, consistency)


def test_a_bundle_verifies_offline_with_only_the_public_key(log: Log) -> None:
    case_id = log.case_with_events(50)
    log.notary.catch_up()

    report = verify_bundle(log.bundle(case_id), log.verifier)

    assert report.ok, report.failures
    assert any("51 events" in line for line in report.checked)


def _one_byte_changed(log: Log, case_id: UUID) -> None:
    log.tamper(
        "UPDATE ledger_events SET state = overlay(state placing '\\x58'::bytea from 40 for 1) "
        f"WHERE originator_id = '{case_id}' AND originator_version = 2"
    )


def _deleted(log: Log, case_id: UUID) -> None:
    log.tamper(
        f"DELETE FROM ledger_events WHERE originator_id = '{case_id}' AND originator_version = 3"
    )


def _swapped(log: Log, case_id: UUID) -> None:
    log.tamper(
        "UPDATE ledger_events e SET state = o.state FROM ledger_events o "
        f"WHERE e.originator_id = '{case_id}' AND o.originator_id = e.originator_id "
        "AND ((e.originator_version = 2 AND o.originator_version = 4) "
        "OR (e.originator_version = 4 AND o.originator_version = 2))"
    )


@pytest.mark.parametrize("tampering", [_one_byte_changed, _deleted, _swapped])
def test_tampering_as_a_superuser_is_reported_by_both_verifiers(
    log: Log, settings, tampering
) -> None:
    case_id = log.case_with_events(5)
    other = log.case_with_events(2)
    log.notary.catch_up()
    assert verify_database(log.owner, log.verifier, settings.origin).ok

    tampering(log, case_id)

    database_report = verify_database(log.owner, log.verifier, settings.origin)
    bundle_report = verify_bundle(log.bundle(case_id), log.verifier)
    assert not database_report.ok and not bundle_report.ok
    assert any(str(case_id) in failure for failure in database_report.failures)
    assert all("version" in f or "case" in f for f in bundle_report.failures)
    assert verify_bundle(log.bundle(other), log.verifier).ok  # the other case is untouched


def test_a_forged_or_foreign_checkpoint_is_refused(log: Log, settings) -> None:
    case_id = log.case_with_events(2)
    log.notary.catch_up()
    genuine = json.loads(log.bundle(case_id))

    impostor = Signer(generate_key(settings.origin)[0])  # same name, another key
    forged = {**genuine, "checkpoint": impostor.sign(parse_checkpoint_body(genuine["checkpoint"]))}
    foreign = {**genuine, "origin": "case-ledger.local/another-county"}

    for bundle in (forged, foreign):
        report = verify_bundle(json.dumps(bundle).encode(), log.verifier)
        assert not report.ok and report.failures[0].startswith("checkpoint:")


def parse_checkpoint_body(note: str) -> str:
    return note.split("\n\n", 1)[0] + "\n"


def test_writers_racing_the_notary_never_make_it_skip_an_event(log: Log) -> None:
    stop = threading.Event()
    runner = threading.Thread(target=log.notary.run, args=(stop,))
    runner.start()
    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: log.case_with_events(3), range(24)))
    finally:
        stop.set()
        runner.join()
    log.notary.catch_up()

    events = stored_events(log.owner)
    with psycopg.connect(log.owner) as conn:
        positions = [r[0] for r in conn.execute("SELECT position FROM ledger_leaves ORDER BY 1")]
    assert positions == [e[0] for e in events]
    assert verify_database(log.owner, log.verifier, log.notary.origin).ok


def test_an_empty_log_has_a_signed_checkpoint_of_size_zero(log: Log, settings) -> None:
    log.notary.seal()

    checkpoint = log.ledger.audit.checkpoint()

    signed = verify_checkpoint(checkpoint.note, log.verifier, expected_origin=settings.origin)
    assert signed.size == 0 and signed.root == EMPTY_ROOT
