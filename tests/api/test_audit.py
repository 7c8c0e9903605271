"""The verifiable log over HTTP: every served proof verifies against the signed root."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from ledger.log.keys import load_signer
from ledger.log.merkle.proofs import verify_consistency, verify_inclusion
from ledger.log.merkle.tree import EMPTY_ROOT
from ledger.log.notary import Notary, start_notary_thread
from ledger.log.signed_note import Verifier, verify_checkpoint
from ledger.log.verify import verify_bundle
from tests.api.support import assert_problem
from tests.conftest import registration


@pytest.fixture(scope="module")
def notary(settings: Any, database: Any) -> Iterator[Notary]:
    signer = load_signer(settings.notary_key_path, settings.origin)
    sealer = Notary(database.notary_conninfo, signer, settings.origin)
    yield sealer
    sealer.close()


@pytest.fixture(scope="module")
def verifier(client: Any, notary: Notary) -> Verifier:
    response = client.get("/audit/public-key")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return Verifier(response.text.strip())


@pytest.fixture
def clerk(token_for: Any) -> dict[str, str]:
    return token_for("clerk-a", "clerk", unit="人社")


def new_case(client: Any, clerk: dict[str, str], visits: int = 2) -> str:
    case_id = client.post("/cases", json=registration(), headers=clerk).json()["case_id"]
    for _ in range(visits):
        client.post(f"/cases/{case_id}/events", json={"type": "VisitRecorded"}, headers=clerk)
    return str(case_id)


def test_the_checkpoint_is_served_as_a_signed_note_and_as_json(
    client, clerk, notary, verifier, settings
) -> None:
    new_case(client, clerk)
    size = notary.catch_up()

    note = client.get("/audit/checkpoint")
    as_json = client.get("/audit/checkpoint", headers={"Accept": "application/json"}).json()

    assert note.headers["content-type"].startswith("text/plain")
    signed = verify_checkpoint(note.text, verifier, expected_origin=settings.origin)
    assert signed.size == size == as_json["tree_size"]
    assert signed.root.hex() == as_json["root_hash"] and as_json["note"] == note.text


def test_inclusion_proofs_verify_against_the_signed_root(
    client, clerk, notary, verifier, settings
) -> None:
    case_id = new_case(client, clerk, visits=4)
    notary.catch_up()
    events = client.get(f"/cases/{case_id}/events", headers=clerk).json()["events"]

    for event in events:
        proof = client.get("/audit/proofs/inclusion", params={"position": event["position"]}).json()
        signed = verify_checkpoint(proof["checkpoint"], verifier, expected_origin=settings.origin)
        assert (
            proof["leaf_index"] == event["leaf_index"] and proof["leaf_hash"] == event["leaf_hash"]
        )
        assert proof["tree_size"] == signed.size
        assert verify_inclusion(
            bytes.fromhex(proof["leaf_hash"]),
            proof["leaf_index"],
            signed.size,
            [bytes.fromhex(h) for h in proof["audit_path"]],
            signed.root,
        )


def test_a_proof_against_an_earlier_checkpoint_and_a_consistency_proof_between_them(
    client, clerk, notary, verifier, settings
) -> None:
    case_id = new_case(client, clerk)
    old = notary.catch_up()
    new_case(client, clerk)
    new = notary.catch_up()
    position = client.get(f"/cases/{case_id}/events", headers=clerk).json()["events"][0]["position"]

    proof = client.get(
        "/audit/proofs/inclusion", params={"position": position, "tree_size": old}
    ).json()
    consistency = client.get("/audit/proofs/consistency", params={"from": old, "to": new}).json()

    old_root = verify_checkpoint(proof["checkpoint"], verifier, settings.origin).root
    new_note = client.get("/audit/checkpoint").text
    new_root = verify_checkpoint(new_note, verifier, settings.origin).root
    assert proof["tree_size"] == old
    assert consistency["from"] == old and consistency["to"] == new
    assert verify_consistency(
        old, new, old_root, new_root, [bytes.fromhex(h) for h in consistency["proof"]]
    )


def test_an_unsealed_event_is_503_with_retry_after_and_an_unknown_one_404(
    client, clerk, notary
) -> None:
    notary.catch_up()
    case_id = new_case(client, clerk, visits=0)
    position = client.get(f"/cases/{case_id}/events", headers=clerk).json()["events"][0]["position"]

    unsealed = client.get("/audit/proofs/inclusion", params={"position": position})
    unknown = client.get("/audit/proofs/inclusion", params={"position": 10**12})
    no_such_size = client.get(
        "/audit/proofs/inclusion", params={"position": position, "tree_size": 10**12}
    )

    assert unsealed.status_code == 503 and unsealed.headers["retry-after"] == "1"
    assert unsealed.headers["content-type"].startswith("application/problem+json")
    assert unknown.status_code == 404 and no_such_size.status_code in (404, 503)


def test_events_carry_their_leaf_once_sealed(client, clerk, notary) -> None:
    case_id = new_case(client, clerk, visits=1)
    before = client.get(f"/cases/{case_id}/events", headers=clerk).json()["events"]
    notary.catch_up()
    after = client.get(f"/cases/{case_id}/events", headers=clerk).json()["events"]

    assert all(e["leaf_index"] is None and e["leaf_hash"] is None for e in before)
    indexes = [e["leaf_index"] for e in after]
    assert indexes == sorted(indexes) and all(len(e["leaf_hash"]) == 64 for e in after)


def test_an_auditor_downloads_a_bundle_that_verifies_offline(
    client, clerk, notary, verifier, token_for
) -> None:
    case_id = new_case(client, clerk, visits=3)
    notary.catch_up()

    bundle = client.get(f"/cases/{case_id}/bundle", headers=token_for("aud-1", "auditor"))
    forbidden = client.get(f"/cases/{case_id}/bundle", headers=token_for("dash", "dashboard"))

    assert bundle.status_code == 200, bundle.text
    assert verify_bundle(bundle.content, verifier).ok
    assert forbidden.status_code == 403


def test_a_write_can_wait_until_sealed_and_learn_its_leaf(client, clerk, notary) -> None:
    thread, stop = start_notary_thread(notary_for_thread(notary))
    try:
        created = client.post("/cases?sealed=true", json=registration(), headers=clerk)
        case_id = created.json()["case_id"]
        appended = client.post(
            f"/cases/{case_id}/events?sealed=true", json={"type": "VisitRecorded"}, headers=clerk
        )
    finally:
        stop.set()
        thread.join()

    assert created.status_code == 201 and appended.status_code == 201
    assert appended.json()["leaf_index"] == int(appended.headers["ledger-leaf-index"])
    event = client.get(f"/cases/{case_id}/events", headers=clerk).json()["events"][-1]
    assert event["leaf_index"] == appended.json()["leaf_index"]


def notary_for_thread(notary: Notary) -> Notary:
    """Its own connection: the thread must not share the module's notary's."""
    return Notary(notary.conninfo, notary.signer, notary.origin, checkpoint_every=0.2)


def test_as_of_answers_with_the_checkpoint_that_proves_that_state(
    client, clerk, notary, verifier, settings
) -> None:
    case_id = new_case(client, clerk, visits=2)
    moment = datetime.now(UTC).isoformat()
    new_case(client, clerk)
    client.post(f"/cases/{case_id}/events", json={"type": "VisitRecorded"}, headers=clerk)
    notary.catch_up()

    past = client.get(f"/cases/{case_id}", params={"as_of": moment}, headers=clerk).json()

    proved = past["proved_by"]
    assert past["version"] == 3
    signed = verify_checkpoint(proved["checkpoint"], verifier, settings.origin)
    assert signed.size == proved["tree_size"] > proved["leaf_index"]


def test_a_consistency_proof_from_the_empty_tree_is_the_empty_list(
    client, clerk, notary, verifier, settings
) -> None:
    new_case(client, clerk)
    size = notary.catch_up()
    root = verify_checkpoint(client.get("/audit/checkpoint").text, verifier, settings.origin).root

    from_empty = client.get("/audit/proofs/consistency", params={"from": 0, "to": size})
    empty_to_empty = client.get("/audit/proofs/consistency", params={"from": 0, "to": 0})
    past_the_checkpoint = client.get(
        "/audit/proofs/consistency", params={"from": 0, "to": size + 1}
    )
    backwards = client.get("/audit/proofs/consistency", params={"from": size, "to": 0})

    assert from_empty.status_code == 200, from_empty.text
    assert from_empty.json() == {"from": 0, "to": size, "proof": []}
    assert verify_consistency(0, size, EMPTY_ROOT, root, [])
    assert empty_to_empty.json()["proof"] == []
    assert past_the_checkpoint.status_code == 404 and backwards.status_code == 404


def test_every_past_checkpoint_is_served_by_its_tree_size_as_note_and_json(
    client, clerk, notary, verifier, settings
) -> None:
    new_case(client, clerk)
    old = notary.catch_up()
    new_case(client, clerk)
    new = notary.catch_up()

    old_note = client.get(f"/audit/checkpoints/{old}")
    old_json = client.get(
        f"/audit/checkpoints/{old}", headers={"Accept": "application/json"}
    ).json()
    latest = client.get(f"/audit/checkpoints/{new}").text

    assert old_note.headers["content-type"].startswith("text/plain")
    signed = verify_checkpoint(old_note.text, verifier, expected_origin=settings.origin)
    assert signed.size == old == old_json["tree_size"] < new
    assert old_json["root_hash"] == signed.root.hex() and old_json["note"] == old_note.text
    assert latest == client.get("/audit/checkpoint").text


def test_a_tree_size_the_notary_never_signed_is_a_404_problem(client, clerk, notary) -> None:
    new_case(client, clerk, visits=3)
    size = notary.catch_up()
    signed = {c["tree_size"] for c in all_checkpoints(client)}
    unsigned = next(s for s in range(size, 0, -1) if s not in signed)

    assert_problem(client.get(f"/audit/checkpoints/{unsigned}"), 404, slug="not-found")
    assert_problem(client.get(f"/audit/checkpoints/{size + 10**6}"), 404, slug="not-found")
    assert client.get("/audit/checkpoints/-1").status_code == 400


def test_the_checkpoint_history_pages_oldest_first_by_tree_size(
    client, clerk, notary, verifier, settings
) -> None:
    for _ in range(3):
        new_case(client, clerk, visits=0)
        notary.catch_up()

    listed = all_checkpoints(client, limit=2)
    first_page = client.get("/audit/checkpoints", params={"limit": 2}).json()
    after = client.get("/audit/checkpoints", params={"after": listed[0]["tree_size"]}).json()

    sizes = [c["tree_size"] for c in listed]
    assert sizes == sorted(sizes) and len(sizes) == len(set(sizes)) >= 4
    assert first_page["next_after"] == sizes[1]
    assert [c["tree_size"] for c in after["checkpoints"]] == sizes[
        1 : 1 + len(after["checkpoints"])
    ]
    for summary in listed[-3:]:
        note = client.get(f"/audit/checkpoints/{summary['tree_size']}").text
        assert verify_checkpoint(note, verifier, settings.origin).root.hex() == summary["root_hash"]
    assert client.get("/audit/checkpoints", params={"limit": 0}).status_code == 400


def all_checkpoints(client: Any, limit: int = 1000) -> list[dict[str, Any]]:
    """Follow `next_after` to the last page."""
    listed: list[dict[str, Any]] = []
    params: dict[str, int] = {"limit": limit}
    while True:
        page = client.get("/audit/checkpoints", params=params).json()
        listed.extend(page["checkpoints"])
        if page["next_after"] is None:
            return listed
        params["after"] = page["next_after"]
