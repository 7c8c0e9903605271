"""The witness (c2sp.org/tlog-witness add-checkpoint): every answer the spec names, on real trees;
a rollback or fork is refused, logged as inconsistent and kept as evidence; racing requests
cannot move its state backwards; and its state outlives the process."""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from ledger.log.cosignature import CosignatureVerifier, Cosigner, generate_cosigner_key
from ledger.log.merkle.frontier import Frontier
from ledger.log.merkle.tree import NodeId, assemble, consistency_proof_nodes, leaf_hash
from ledger.log.signed_note import Signer, Verifier, checkpoint_body, generate_key
from ledger.log.witness import SIZE_CONTENT_TYPE, Witness, WitnessStore
from ledger.log.witnessing import add_checkpoint_body

ORIGIN = "ledger.example/cases"
NOW = 1_700_000_000


class Tree:
    """A log's tree as the notary builds it: a frontier, and every perfect node it completes."""

    def __init__(self, entries: list[bytes]) -> None:
        frontier = Frontier()
        self.nodes: dict[NodeId, bytes] = {}
        self.roots = [frontier.root()]
        for entry in entries:
            self.nodes.update(frontier.append(leaf_hash(entry)))
            self.roots.append(frontier.root())

    def proof(self, old: int, new: int) -> list[bytes]:
        return assemble(consistency_proof_nodes(old, new), self.nodes)


TREE = Tree([f"entry {i}".encode() for i in range(128)])
FORK = Tree(
    [f"entry {i}".encode() for i in range(10)] + [f"forged {i}".encode() for i in range(54)]
)
LOG_SKEY, LOG_VKEY = generate_key(ORIGIN)
WITNESS_SKEY, WITNESS_VKEY = generate_cosigner_key("witness.example/w1")


def note(size: int, tree: Tree = TREE, skey: str = LOG_SKEY, origin: str = ORIGIN) -> str:
    return Signer(skey).sign(checkpoint_body(origin, size, tree.roots[size], ("ext line",)))


def request(old: int, size: int, tree: Tree = TREE, **kw: str) -> bytes:
    return add_checkpoint_body(old, tree.proof(old, size), note(size, tree, **kw))


def make_witness(directory: Path, clock: Callable[[], int] = lambda: NOW) -> Witness:
    logs = {ORIGIN: [Verifier(generate_key(ORIGIN)[1]), Verifier(LOG_VKEY)]}  # a rotated key too
    return Witness(Cosigner(WITNESS_SKEY), logs, WitnessStore(directory), clock=clock)


def slow_clock() -> int:
    """Time read between the check and the update: it widens the race window."""
    time.sleep(0.005)
    return NOW


@pytest.fixture
def witness(tmp_path: Path) -> Witness:
    return make_witness(tmp_path / "witness")


def at(witness: Witness, size: int) -> Witness:
    """The witness, having cosigned `size` of TREE."""
    assert witness.add_checkpoint(request(0, size)).status == 200
    return witness


def test_a_consistent_checkpoint_is_cosigned_and_remembered(witness: Witness) -> None:
    first = witness.add_checkpoint(request(0, 5))
    second = witness.add_checkpoint(request(5, 13))

    assert (first.status, second.status) == (200, 200)
    verifier = CosignatureVerifier(WITNESS_VKEY)
    assert verifier.verify(note(13) + second.body.decode()) == NOW
    assert second.body.decode().count("\n") == 1 and second.body.startswith("— ".encode())
    latest = witness.store.latest(ORIGIN)
    assert latest is not None and (latest.size, latest.root) == (13, TREE.roots[13])
    assert latest.note == note(13)
    assert witness.store.refusals() == []


def test_the_empty_tree_and_the_same_checkpoint_again_are_cosigned(witness: Witness) -> None:
    assert witness.add_checkpoint(request(0, 0)).status == 200
    assert at(witness, 7).add_checkpoint(request(7, 7)).status == 200


def test_an_unknown_origin_is_404_and_no_trusted_signature_403(witness: Witness) -> None:
    other_skey, _ = generate_key("other.example/log")
    stranger_skey, _ = generate_key(ORIGIN)

    unknown = witness.add_checkpoint(request(0, 3, skey=other_skey, origin="other.example/log"))
    unsigned = witness.add_checkpoint(request(0, 3, skey=stranger_skey))

    assert (unknown.status, unsigned.status) == (404, 403)
    assert witness.store.latest(ORIGIN) is None
    assert witness.store.refusals() == []  # unauthenticated junk is not kept


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"old 0\n" + note(3).encode(),  # no blank line after the proof
        b"old 01\n\n" + note(3).encode(),  # leading zero
        b"old -1\n\n" + note(3).encode(),
        b"new 0\n\n" + note(3).encode(),
        b"old 2\nnot base64!\n\n" + note(3).encode(),
        b"old 2\n" + b"AAAA\n" + b"\n" + note(3).encode(),  # base64, but not 32 bytes
        b"old 2\n" + b"".join([b"A" * 43 + b"=\n"] * 64) + b"\n" + note(3).encode(),  # 64 lines
        b"old 0\n\n" + b"\xff" + note(3).encode(),
        b"old 0\n\nnot a checkpoint\n\n- sig\n",
        b"old 0\n\n" + checkpoint_body(ORIGIN, 3, TREE.roots[3]).encode(),  # no signature block
    ],
)
def test_a_malformed_request_is_400(witness: Witness, body: bytes) -> None:
    assert witness.add_checkpoint(body).status == 400


def test_an_old_size_beyond_the_checkpoint_is_400(witness: Witness) -> None:
    answer = at(witness, 9).add_checkpoint(add_checkpoint_body(9, [], note(5)))

    assert answer.status == 400
    assert [r.status for r in witness.store.refusals()] == [400]


def test_a_stale_old_size_is_409_naming_the_cosigned_size(witness: Witness) -> None:
    answer = at(witness, 9).add_checkpoint(request(0, 20))

    assert answer == (409, b"9\n", SIZE_CONTENT_TYPE)
    assert witness.store.refusals() == []  # a log asking with old 0 is routine, not evidence
    assert witness.add_checkpoint(request(9, 20)).status == 200


def test_a_rolled_back_checkpoint_is_refused_logged_and_kept_as_evidence(witness: Witness) -> None:
    at(witness, 20)
    rolled_back = request(10, 10)
    forked_on = add_checkpoint_body(20, FORK.proof(20, 30), note(30, FORK))

    with capture_logs() as logs:
        smaller = witness.add_checkpoint(rolled_back)
        inconsistent = witness.add_checkpoint(forked_on)

    assert smaller == (409, b"20\n", SIZE_CONTENT_TYPE)
    assert inconsistent.status == 422
    assert [(e["event"], e["log_level"]) for e in logs] == [
        ("witness.refused", "warning"),
        ("witness.inconsistent", "error"),
    ]
    assert logs[1]["origin"] == ORIGIN and (logs[1]["old"], logs[1]["size"]) == (20, 30)
    evidence = witness.store.refusals()
    assert [(r.status, r.old, r.size, r.body) for r in evidence] == [
        (409, 10, 10, rolled_back),
        (422, 20, 30, forked_on),
    ]
    latest = witness.store.latest(ORIGIN)
    assert latest is not None and (latest.size, latest.root) == (20, TREE.roots[20])


def test_a_fork_at_the_cosigned_size_is_409_and_inconsistent(witness: Witness) -> None:
    at(witness, 20)

    with capture_logs() as logs:
        answer = witness.add_checkpoint(add_checkpoint_body(20, [], note(20, FORK)))
        stale = witness.add_checkpoint(add_checkpoint_body(0, [], note(20, FORK)))

    assert answer.status == 409 and answer.content_type != SIZE_CONTENT_TYPE
    assert stale == (409, b"20\n", SIZE_CONTENT_TYPE)  # the spec's answer, and still noticed
    assert [e["event"] for e in logs] == ["witness.inconsistent"] * 2
    assert [r.status for r in witness.store.refusals()] == [409, 409]


def test_a_proof_from_size_0_must_be_empty_and_a_bad_proof_is_422(witness: Witness) -> None:
    with_proof = add_checkpoint_body(0, [TREE.roots[1]], note(4))
    assert witness.add_checkpoint(with_proof).status == 422

    at(witness, 6)
    wrong = add_checkpoint_body(6, TREE.proof(5, 11), note(11))
    assert witness.add_checkpoint(wrong).status == 422
    assert witness.add_checkpoint(add_checkpoint_body(6, [], note(11))).status == 422


def test_the_evidence_table_is_append_only(witness: Witness) -> None:
    at(witness, 4).add_checkpoint(request(0, 3))
    with sqlite3.connect(witness.store.path) as conn:
        for statement in ("UPDATE refused SET reason = 'fine'", "DELETE FROM refused"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(statement)


def test_a_restarted_witness_keeps_its_state(tmp_path: Path) -> None:
    at(make_witness(tmp_path), 12)

    again = make_witness(tmp_path)

    assert again.add_checkpoint(request(0, 30)) == (409, b"12\n", SIZE_CONTENT_TYPE)
    assert again.add_checkpoint(request(12, 30)).status == 200


def race(witnesses: list[Witness], jobs: list[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """Send each (old, size) request from its own thread, all at once; their statuses."""
    answers: dict[tuple[int, int], int] = {}
    barrier = threading.Barrier(len(jobs))

    def send(job: tuple[int, int], index: int) -> None:
        barrier.wait()
        answers[job] = witnesses[index % len(witnesses)].add_checkpoint(request(*job)).status

    threads = [threading.Thread(target=send, args=(j, i)) for i, j in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_racing_requests_never_move_the_witness_backwards(tmp_path: Path) -> None:
    """The spec's race: with the check and the update apart, a request for N that was checked
    before one for N+K committed could overwrite it. Two witnesses on one directory (two
    processes' worth of connections) take the requests, old=N and old=N+K, in any order."""
    rng = random.Random(7)
    witnesses = [make_witness(tmp_path, slow_clock), make_witness(tmp_path, slow_clock)]
    sizes = [1]
    at(witnesses[0], 1)
    for _ in range(15):
        base = sizes[-1]
        steps = sorted(rng.sample(range(base + 1, base + 8), 2))
        answers = race(witnesses, [(base, steps[0]), (steps[0], steps[1]), (base, steps[1])])
        cosigned = [new for (_, new), status in answers.items() if status == 200]
        latest = witnesses[0].store.latest(ORIGIN)
        assert latest is not None and cosigned and latest.size == max(cosigned), answers
        assert latest.root == TREE.roots[latest.size]
        assert all(status in (200, 409) for status in answers.values()), answers
        sizes.append(latest.size)
    assert sizes == sorted(sizes)
