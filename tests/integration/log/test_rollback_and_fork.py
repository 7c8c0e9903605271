"""Rollbacks and forks (issue 13, items 5 and 7) on a real PostgreSQL, each tried as an attacker
would. Someone with the owner connection and the notary's key can roll the log back to an earlier
state and sign a different, self-consistent future: `ledger verify --database` alone accepts it
(the known limitation). The witness that cosigned the old tree refuses the new one, an auditor who
pins it sees the newest leaves unwitnessed, and one who kept an old checkpoint (`since`) sees the
rollback. Cosignature lines cannot be forged or moved between checkpoints."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import msgspec
import psycopg
import pytest
from click.testing import CliRunner
from structlog.testing import capture_logs

from ledger.cli.audit import verify as verify_command
from ledger.log.audit import consistency_prover
from ledger.log.cosignature import CosignatureVerifier, generate_cosigner_key
from ledger.log.errors import AuditNotFound
from ledger.log.signed_note import checkpoint_body
from ledger.log.verify import Report, Witnesses, verify_bundle
from ledger.log.verify_log import verify_database
from ledger.log.witness import Witness
from ledger.log.witnesses import local_witness
from ledger.log.witnessing import CosignatureCollector, LocalWitness, add_checkpoint_body
from tests.conftest import actor
from tests.integration.log.support import CLERK, Log

AUDITOR = actor("auditor-rb", "auditor")
# Append-only tables (migrations 0001, 0002, 0010): their owner can switch that off.
GUARDED = ("ledger_events", "ledger_leaves", "ledger_tree_nodes", "ledger_checkpoints")
GUARDED += ("ledger_cosignatures",)


@dataclass
class Witnessed:
    """The log with the local witness (state in tmp_path) and the collector beside the notary."""

    log: Log
    key: CosignatureVerifier
    witness: Witness
    collector: CosignatureCollector
    pinned: Witnesses  # what an auditor pins: this witness, quorum 1


@pytest.fixture
def witnessed(log: Log, tmp_path: Path) -> Iterator[Witnessed]:
    conninfo = log.ledger.database.notary_conninfo
    local = local_witness(tmp_path / "w", log.notary.origin, [log.verifier])
    assert isinstance(local.client, LocalWitness)
    collector = CosignatureCollector(
        conninfo, [(local.verifier, local.client)], consistency_prover(conninfo)
    )
    yield Witnessed(
        log, local.verifier, local.client.witness, collector, Witnesses((local.verifier,), 1)
    )
    collector.close()


def bundle(log: Log, case_id: UUID, since: int | None = None) -> bytes:
    return msgspec.json.encode(log.ledger.bundle(case_id, AUDITOR, since))


def cosigned_sizes(log: Log) -> list[int]:
    with psycopg.connect(log.owner) as conn:
        return [r[0] for r in conn.execute("SELECT tree_size FROM ledger_cosignatures ORDER BY 1")]


def failures(report: Report, text: str) -> list[str]:
    return [f for f in report.failures if text in f]


def checked(report: Report, text: str) -> bool:
    return report.ok and any(text in line for line in report.checked)


STATE = "tree_size, last_position, frontier, heads_size"  # the notary's (0002, 0009)


def snapshot(log: Log) -> tuple[Any, list[Any]]:
    """What the attacker saves as owner: the notary's state row and the head map's buckets."""
    with psycopg.connect(log.owner) as conn:
        state = conn.execute(f"SELECT {STATE} FROM ledger_notary_state").fetchone()
        return state, conn.execute("SELECT * FROM ledger_head_buckets").fetchall()


def roll_back(log: Log, saved: tuple[Any, list[Any]]) -> None:
    """Delete everything sealed or stored after `saved`, and put the notary back there."""
    state, buckets = saved
    size, last_position = state[0], state[1]
    with psycopg.connect(log.owner) as conn:
        for table in GUARDED:
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_no_update_delete")
        conn.execute("DELETE FROM ledger_events WHERE notification_id > %s", (last_position,))
        conn.execute("DELETE FROM ledger_leaves WHERE leaf_index >= %s", (size,))
        conn.execute(
            "DELETE FROM ledger_tree_nodes WHERE (idx + 1) * (1::bigint << level::int) > %s",
            (size,),
        )
        for table in ("ledger_cosignatures", "ledger_checkpoints"):
            conn.execute(f"DELETE FROM {table} WHERE tree_size > %s", (size,))
        conn.execute(f"UPDATE ledger_notary_state SET ({STATE}) = (%s, %s, %s, %s)", state)
        conn.execute("DELETE FROM ledger_head_buckets")
        conn.cursor().executemany("INSERT INTO ledger_head_buckets VALUES (%s, %s, %s)", buckets)
        for table in GUARDED:
            conn.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_no_update_delete")


GENUINE = 4  # events appended (and cosigned) after the state the attacker saved, rolled back
VARIANTS = {  # events appended instead; the witness's answers and the error logged about them;
    # what a bundle fetched with ?since says to an auditor who kept the newest checkpoint
    "shorter": (2, [409], "witness.ahead", "the log is smaller than the checkpoint you hold"),
    "same size": (4, [409, 409], "witness.inconsistent", "same size, different root: the log"),
    "longer": (6, [422], "witness.inconsistent", "the consistency proof fails: the log was"),
}


@dataclass
class RolledBack:
    case_id: UUID
    old: int  # the size rolled back to (cosigned)
    kept: str  # the newest cosigned checkpoint before the rollback, as an auditor kept it
    kept_size: int
    size: int  # the rewritten log's size, signed by the notary's key
    logs: list[dict[str, Any]]  # what the collector's round after the rewrite logged
    variant: str


@pytest.fixture(params=list(VARIANTS))
def rolled_back(request: pytest.FixtureRequest, witnessed: Witnessed) -> RolledBack:
    log = witnessed.log
    case_id = log.case_with_events(2)
    old = log.notary.catch_up()
    assert witnessed.collector.collect_once() == 1
    saved = snapshot(log)
    for i in range(GENUINE):
        log.ledger.append(case_id, CLERK, "VisitRecorded", note=f"genuine {i}")
    kept_size = log.notary.catch_up()
    assert witnessed.collector.collect_once() == 1
    kept = log.ledger.audit.checkpoint().note
    assert witnessed.key.verify(kept) > 0

    roll_back(log, saved)
    for i in range(VARIANTS[request.param][0]):
        log.ledger.append(case_id, CLERK, "VisitRecorded", note=f"rewritten {i}")
    size = log.notary.catch_up()
    with capture_logs() as logs:
        assert witnessed.collector.collect_once() == 0
    assert kept_size == old + GENUINE and size == old + VARIANTS[request.param][0]
    return RolledBack(case_id, old, kept, kept_size, size, logs, request.param)


def test_verify_database_alone_accepts_a_consistent_rollback(
    rolled_back: RolledBack, log: Log, tmp_path: Path
) -> None:
    """The known limitation: the log is checked against itself, and it is self-consistent."""
    env = {"LEDGER_DATABASE_URL": log.owner, "LEDGER_DATA_DIR": str(tmp_path)}

    run = CliRunner().invoke(
        verify_command, ["--database", "--public-key", log.verifier.key], env=env
    )

    assert run.exit_code == 0, run.output
    assert run.output.rstrip().endswith("OK")
    assert f"{rolled_back.size} leaves re-derived from stored events" in run.output


def test_the_witness_refuses_to_cosign_the_rewritten_log_and_keeps_the_evidence(
    rolled_back: RolledBack, witnessed: Witnessed, log: Log
) -> None:
    """The collector asks the witness to cosign the rewrite; it answers 409/422, never 200."""
    assert cosigned_sizes(log) == [rolled_back.old]  # the cosignature rolled back with the log
    latest = witnessed.witness.store.latest(log.notary.origin)
    assert latest is not None and latest.size == rolled_back.kept_size
    assert rolled_back.kept.startswith(latest.note)  # the witness still holds the genuine tree
    refusals = witnessed.witness.store.refusals()
    assert [r.status for r in refusals] == VARIANTS[rolled_back.variant][1]
    for refusal in refusals:  # each holds the rewritten checkpoint the log's key signed
        note = refusal.body.decode().partition("\n\n")[2]
        assert log.verifier.verify(note).startswith(f"{log.notary.origin}\n{rolled_back.size}\n")
        assert refusal.size == rolled_back.size
    expected = VARIANTS[rolled_back.variant][2]
    [logged, *_] = [e for e in rolled_back.logs if e["event"] == expected]
    assert logged["log_level"] == "error"
    assert logged.get("witness_size", logged.get("latest")) == rolled_back.kept_size


def test_an_auditor_pinning_the_witness_is_warned_then_fails_on_the_unwitnessed_leaves(
    rolled_back: RolledBack, witnessed: Witnessed, log: Log
) -> None:
    """verify_database names the unwitnessed leaves: a warning while the log has signed
    checkpoints for less than the tolerance after the newest witnessed one (cosigning lags by
    milliseconds), a failure past it (here: a tolerance of 0 s stands for a minute passing); a
    bundle of the rewritten log, checked against the witness, fails outright."""
    report = verify_database(log.owner, log.verifier, log.notary.origin, witnesses=witnessed.pinned)

    assert report.ok, report.failures  # the rollback is seconds old: only a warning yet
    unwitnessed = rolled_back.size - rolled_back.old
    [warning] = report.warnings
    assert warning.startswith(
        f"witnesses: the {unwitnessed} newest leaves are in no checkpoint a quorum cosigned"
    )
    assert f"the newest of size {rolled_back.old}" in " ".join(report.checked)
    later = verify_database(
        log.owner,
        log.verifier,
        log.notary.origin,
        witnesses=witnessed.pinned,
        unwitnessed_tolerance=0.0,
    )
    assert failures(later, "the witnesses refused the log (a rollback or a fork"), later
    fetched = bundle(log, rolled_back.case_id)
    served = verify_bundle(fetched, log.verifier, witnesses=witnessed.pinned)
    assert failures(served, "cosigned by 0 of the 1 pinned witnesses, fewer than 1"), served
    assert verify_bundle(fetched, log.verifier).ok  # without the witness: accepted


def test_an_auditor_who_kept_a_checkpoint_detects_the_rollback(
    rolled_back: RolledBack, log: Log
) -> None:
    """`since`: the tree of the kept checkpoint is no prefix of the rewritten log."""
    kept, kept_size = rolled_back.kept, rolled_back.kept_size

    report = verify_database(log.owner, log.verifier, log.notary.origin, since=kept)

    assert not report.ok
    if rolled_back.size < kept_size:
        expected = f"fewer than the {kept_size} of the checkpoint you hold: it was rolled back"
        with pytest.raises(AuditNotFound, match=f"no consistency proof from size {kept_size}"):
            log.ledger.bundle(rolled_back.case_id, AUDITOR, since=kept_size)
        fetched = bundle(log, rolled_back.case_id)
    else:
        expected = f"at size {kept_size} this log has another root than the checkpoint you hold"
        fetched = bundle(log, rolled_back.case_id, since=kept_size)
    assert failures(report, expected), report.failures
    served = verify_bundle(fetched, log.verifier, since=kept)
    assert failures(served, VARIANTS[rolled_back.variant][3]), served.failures


FORKS = {  # a second tree signed with the log's key, shown to the witness: its answer
    "same size, another root": (409, "a different root at the cosigned size {size}"),
    "larger, no proof": (422, "no consistency from {size} to {larger}"),
    "larger, the honest tree's proof": (422, "no consistency from {size} to {larger}"),
}


@pytest.mark.parametrize("fork", list(FORKS))
def test_a_fork_signed_with_the_log_key_is_refused_and_kept_as_evidence(
    witnessed: Witnessed, log: Log, fork: str
) -> None:
    """409 at the cosigned size, 422 at a larger one whose consistency proof cannot exist; the
    witness stays where it was and still cosigns the honest log's next checkpoint."""
    log.case_with_events(3)
    size = log.notary.catch_up()
    assert witnessed.collector.collect_once() == 1
    log.case_with_events(2)
    larger = log.notary.catch_up()
    forged = size if fork.startswith("same") else larger
    hashes = witnessed.collector.prove(size, larger) if "honest" in fork else []
    note = log.notary.signer.sign(checkpoint_body(log.notary.origin, forged, b"\x02" * 32))

    with capture_logs() as logs:
        answer = witnessed.witness.add_checkpoint(add_checkpoint_body(size, hashes, note))

    status, reason = FORKS[fork]
    assert (answer.status, answer.body.decode()) == (
        status,
        reason.format(size=size, larger=larger) + "\n",
    )
    [refusal] = witnessed.witness.store.refusals()
    assert (refusal.status, refusal.old, refusal.size) == (status, size, forged)
    assert refusal.body.endswith(note.encode())
    assert [e["log_level"] for e in logs if e["event"] == "witness.inconsistent"] == ["error"]
    latest = witnessed.witness.store.latest(log.notary.origin)
    assert latest is not None and latest.size == size
    assert witnessed.collector.collect_once() == 1
    assert cosigned_sizes(log) == [size, larger]


@dataclass
class Grown:
    case_id: UUID
    old: int
    old_note: str
    old_bundle: bytes  # the case's bundle as of `old`
    size: int
    note: str


@pytest.fixture
def grown(log: Log) -> Grown:
    case_id = log.case_with_events(2)
    old = log.notary.catch_up()
    old_note = log.ledger.audit.checkpoint().note
    old_bundle = bundle(log, case_id)
    log.ledger.append(case_id, CLERK, "VisitRecorded", note="later")
    log.case_with_events(3)
    size = log.notary.catch_up()
    assert size > old
    return Grown(case_id, old, old_note, old_bundle, size, log.ledger.audit.checkpoint().note)


def test_since_an_older_or_the_same_checkpoint_passes(grown: Grown, log: Log) -> None:
    """The honest paths: the log only grew from what the auditor holds, or is the same tree."""
    grew = verify_bundle(
        bundle(log, grown.case_id, since=grown.old), log.verifier, since=grown.old_note
    )
    same = verify_bundle(bundle(log, grown.case_id), log.verifier, since=grown.note)
    database = verify_database(log.owner, log.verifier, log.notary.origin, since=grown.old_note)

    assert checked(grew, f"from tree size {grown.old} to {grown.size}: consistent, the log only")
    assert checked(same, f"since: from tree size {grown.size} to {grown.size}: the same tree")
    assert checked(database, f"since: the tree of size {grown.old} you hold is a prefix of this")


SINCE_ATTACKS = {  # what a server hands an auditor who holds a checkpoint: what verify says
    "an older bundle than the checkpoint held": "the log is smaller than the checkpoint you hold",
    "no consistency proof": "(fetch it with ?since={old})",
    "a proof for another old size": "carries no consistency proof from size {old}",
    "a proof hash flipped": "the consistency proof fails: the log was rewritten",
    "a proof hash dropped": "the consistency proof fails: the log was rewritten",
}


@pytest.mark.parametrize("attack", list(SINCE_ATTACKS))
def test_since_refuses_a_stale_bundle_or_a_missing_or_tampered_proof(
    grown: Grown, log: Log, attack: str
) -> None:
    data = json.loads(bundle(log, grown.case_id, since=grown.old))
    proof = data["consistency"]["proof"]
    assert proof, "a proof from a non-empty smaller tree has hashes"
    held = grown.old_note
    if attack.startswith("an older bundle"):
        data, held = json.loads(grown.old_bundle), grown.note
    elif attack == "no consistency proof":
        data["consistency"] = None
    elif attack == "a proof for another old size":
        data["consistency"]["old_size"] = grown.old - 1
    elif attack == "a proof hash flipped":
        proof[0] = f"{int(proof[0][:2], 16) ^ 1:02x}{proof[0][2:]}"
    else:
        del proof[-1]

    report = verify_bundle(json.dumps(data).encode(), log.verifier, since=held)

    assert failures(report, SINCE_ATTACKS[attack].format(old=grown.old)), report.failures


def cosigned_bundle(witnessed: Witnessed) -> tuple[UUID, bytes]:
    """A case sealed in a checkpoint the witness cosigned, and its bundle."""
    case_id = witnessed.log.case_with_events(2)
    witnessed.log.notary.catch_up()
    assert witnessed.collector.collect_once() == 1
    return case_id, bundle(witnessed.log, case_id)


def test_a_cosigned_bundle_meets_a_quorum_of_one_and_not_of_two(
    witnessed: Witnessed, log: Log
) -> None:
    _, data = cosigned_bundle(witnessed)
    never = CosignatureVerifier(generate_cosigner_key("witness.example/never")[1])
    stripped = json.loads(data)
    body, _, signatures = stripped["checkpoint"].partition("\n\n")
    stripped["checkpoint"] = f"{body}\n\n{signatures.splitlines()[0]}\n"  # the log's line only

    one = verify_bundle(data, log.verifier, witnesses=witnessed.pinned)
    two = verify_bundle(data, log.verifier, witnesses=Witnesses((witnessed.key, never), 2))
    bare = verify_bundle(json.dumps(stripped).encode(), log.verifier, witnesses=witnessed.pinned)

    assert checked(one, "checkpoint: cosigned by 1 pinned witnesses"), one.failures
    assert failures(two, "cosigned by 1 of the 2 pinned witnesses, fewer than 2"), two.failures
    assert failures(bare, "cosigned by 0 of the 1 pinned witnesses, fewer than 1"), bare.failures


@pytest.mark.parametrize("forgery", ["signature bytes altered", "copied from another checkpoint"])
def test_a_forged_cosignature_line_is_an_error_not_skipped(
    witnessed: Witnessed, log: Log, forgery: str
) -> None:
    """A line that claims the pinned witness must verify: the report names it, never "fewer"."""
    case_id, data = cosigned_bundle(witnessed)
    text, _, line = json.loads(data)["checkpoint"].rpartition("\n— ")
    if forgery == "signature bytes altered":
        name, _, b64 = line.rstrip("\n").partition(" ")
        raw = bytearray(base64.b64decode(b64))
        raw[-1] ^= 0x01  # the key id and timestamp stay: the line still claims the witness
        note = f"{text}\n— {name} {base64.b64encode(bytes(raw)).decode()}\n"
    else:  # the log's next checkpoint, not cosigned (no collector run), with the old line
        log.ledger.append(case_id, CLERK, "VisitRecorded", note="not yet cosigned")
        log.notary.catch_up()
        data = bundle(log, case_id)
        note = json.loads(data)["checkpoint"]
        assert note.count("\n— ") == 1
        note += f"— {line}"
    forged = {**json.loads(data), "checkpoint": note}

    report = verify_bundle(json.dumps(forged).encode(), log.verifier, witnesses=witnessed.pinned)

    witness = witnessed.key.witness
    assert report.failures == [f"checkpoint: invalid cosignature for witness {witness}"]
