"""Complete case proofs (issue 13, item 4): a bundle proves it holds all of its case's events as
of its checkpoint. Each attack is what someone who serves or edits bundles, or who holds a
database role, would try; each must now fail verification, naming the case."""

from __future__ import annotations

import base64
import json
from typing import Any
from uuid import UUID

import psycopg
import pytest

from ledger.log.heads import bucket_of, decode_bucket, encode_bucket, root_from_extensions
from ledger.log.notary import Notary
from ledger.log.signed_note import parse_checkpoint
from ledger.log.verify import verify_bundle
from ledger.log.verify_log import verify_database
from tests.integration.log.support import CLERK, Log


def bundle_of(log: Log, case_id: UUID) -> dict[str, Any]:
    return json.loads(log.bundle(case_id))


def verify(log: Log, bundle: dict[str, Any]):
    return verify_bundle(json.dumps(bundle).encode(), log.verifier)


def test_a_fresh_bundle_is_proven_complete_and_its_checkpoint_signs_the_heads(log: Log) -> None:
    case_id = log.case_with_events(4)
    log.case_with_events(2)
    log.notary.catch_up()

    bundle = bundle_of(log, case_id)
    report = verify(log, bundle)

    assert report.ok, report.failures
    assert not report.warnings
    assert any("complete as of tree size" in line for line in report.checked)
    assert bundle["case_version"] == 5 == len(bundle["events"])
    signed = parse_checkpoint(log.verifier.verify(bundle["checkpoint"]))
    assert root_from_extensions(signed.extensions) is not None


def test_a_bundle_with_its_newest_events_cut_off_fails(log: Log) -> None:
    case_id = log.case_with_events(9)
    log.notary.catch_up()
    bundle = bundle_of(log, case_id)
    assert bundle["case_version"] == 10

    del bundle["events"][-1]  # the attack the issue found: claims 10, holds 9
    report = verify(log, bundle)

    assert not report.ok
    assert any("incomplete" in f and "version 10" in f for f in report.failures), report.failures


def test_a_bundle_cut_off_and_relabelled_as_the_shorter_version_still_fails(log: Log) -> None:
    case_id = log.case_with_events(9)
    log.notary.catch_up()
    bundle = bundle_of(log, case_id)

    del bundle["events"][-3:]
    bundle["case_version"] = 7
    report = verify(log, bundle)

    assert any("incomplete" in f for f in report.failures), report.failures


def test_an_edited_case_version_alone_fails(log: Log) -> None:
    case_id = log.case_with_events(3)
    log.notary.catch_up()
    bundle = bundle_of(log, case_id)

    bundle["case_version"] = 9
    report = verify(log, bundle)

    assert any("claims version 9" in f for f in report.failures), report.failures


def test_a_bundle_with_its_heads_proof_removed_fails(log: Log) -> None:
    case_id = log.case_with_events(2)
    log.notary.catch_up()
    bundle = bundle_of(log, case_id)

    bundle["heads"] = None
    report = verify(log, bundle)

    assert any("heads" in f and "no proof" in f for f in report.failures), report.failures


@pytest.mark.parametrize("edit", ["drop the case", "lower its version", "add a stranger"])
def test_an_edited_heads_bucket_no_longer_reaches_the_signed_root(log: Log, edit: str) -> None:
    case_id = log.case_with_events(3)
    log.notary.catch_up()
    bundle = bundle_of(log, case_id)
    index = bucket_of(case_id)
    heads = decode_bucket(base64.b64decode(bundle["heads"]["bucket"]), index)
    [mine] = [h for h in heads if h.case_id == case_id]
    if edit == "drop the case":
        heads.remove(mine)
        del bundle["events"][:]
    elif edit == "lower its version":
        heads[heads.index(mine)] = type(mine)(case_id, 3, bundle["events"][2]["leaf_index"])
        del bundle["events"][3:]
        bundle["case_version"] = 3
    else:
        stranger = next(UUID(int=i) for i in range(1 << 20) if bucket_of(UUID(int=i)) == index)
        heads.append(type(mine)(stranger, 1, 0))
    bundle["heads"]["bucket"] = base64.b64encode(encode_bucket(heads)).decode()

    report = verify(log, bundle)

    assert any("does not reach the signed heads root" in f for f in report.failures), (
        report.failures
    )


def test_another_cases_bucket_and_path_do_not_prove_this_case(log: Log) -> None:
    case_id = log.case_with_events(2)
    other = log.case_with_events(2)
    log.notary.catch_up()
    bundle = bundle_of(log, case_id)

    bundle["heads"] = bundle_of(log, other)["heads"]
    report = verify(log, bundle)

    assert not report.ok
    if bucket_of(case_id) != bucket_of(other):
        assert any("heads" in f for f in report.failures), report.failures


def test_events_appended_after_the_checkpoint_are_not_claimed_until_the_next_one(
    log: Log,
) -> None:
    case_id = log.case_with_events(2)
    log.notary.catch_up()
    log.ledger.append(case_id, CLERK, "VisitRecorded", note="after the checkpoint")

    before = bundle_of(log, case_id)  # the newest event is stored, not yet checkpointed
    assert before["case_version"] == 3 and verify(log, before).ok

    log.notary.catch_up()
    after = bundle_of(log, case_id)
    assert after["case_version"] == 4 and verify(log, after).ok
    # The old bundle is still genuine, as of its own (smaller) checkpoint; an auditor who needs
    # the present asks for the newest checkpoint (and its witnesses, `ledger verify --since`).
    assert after["tree_size"] > before["tree_size"]


def test_a_restarted_notary_continues_the_same_head_map(log: Log, settings) -> None:
    first = log.case_with_events(2)
    log.notary.catch_up()
    log.notary.close()
    restarted = Notary(log.notary.conninfo, log.notary.signer, settings.origin, batch_size=5)
    try:
        log.ledger.append(first, CLERK, "VisitRecorded", note="after the restart")
        second = log.case_with_events(3)
        restarted.catch_up()
        # A notary that knew the old map (not reloaded) checkpoints after the other one did.
        log.case_with_events(1)
        log.notary.catch_up()
    finally:
        restarted.close()

    assert verify(log, bundle_of(log, first)).ok
    assert verify(log, bundle_of(log, second)).ok
    report = verify_database(log.owner, log.verifier, settings.origin)
    assert report.ok, report.failures


def test_a_forged_heads_bucket_in_the_database_is_caught_by_bundles_and_by_verify(
    log: Log, settings
) -> None:
    victim = log.case_with_events(5)
    log.notary.catch_up()
    index = bucket_of(victim)
    with psycopg.connect(log.owner) as conn:  # the owner (or the notary role) rewrites a bucket
        (data,) = conn.execute(
            "SELECT heads FROM ledger_head_buckets WHERE bucket = %s", (index,)
        ).fetchone()
        heads = [h for h in decode_bucket(bytes(data), index) if h.case_id != victim]
        conn.execute(
            "UPDATE ledger_head_buckets SET heads = %s WHERE bucket = %s",
            (encode_bucket(heads), index),
        )

    assert not verify(log, bundle_of(log, victim)).ok  # served now: fails at once
    # A notary (re)started on the forged bucket signs it into the next checkpoint; the auditor's
    # re-derivation of the map from the leaves catches that.
    log.notary.close()
    restarted = Notary(log.notary.conninfo, log.notary.signer, settings.origin)
    try:
        log.case_with_events(1)
        restarted.catch_up()
    finally:
        restarted.close()
    report = verify_database(log.owner, log.verifier, settings.origin)
    assert any("case heads differ" in f for f in report.failures), report.failures


def test_the_application_role_cannot_write_the_head_map(log: Log) -> None:
    log.case_with_events(1)
    log.notary.catch_up()
    app = log.ledger.database.app_conninfo
    for statement in (
        "UPDATE ledger_head_buckets SET heads = heads",
        "DELETE FROM ledger_head_buckets",
        "INSERT INTO ledger_head_buckets VALUES (1, 1, '\\x00')",
        "UPDATE ledger_notary_state SET heads_size = 0",
    ):
        with psycopg.connect(app) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
