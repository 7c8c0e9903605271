"""Witnessing on a real PostgreSQL: the collector gets each sealed checkpoint cosigned by a witness
in the process and one over HTTP, keeps the verified lines in ledger_cosignatures (append-only,
written only by the notary's role), re-syncs a witness that forgot, and a forked log with the
same key gets nothing cosigned."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
import uvicorn
from structlog.testing import capture_logs

from ledger.api.witness import create_witness_app
from ledger.application.service import Ledger
from ledger.log.cosignature import CosignatureVerifier, Cosigner, count_cosigners
from ledger.log.notary import Notary
from ledger.log.signed_note import checkpoint_body
from ledger.log.witness import Witness, WitnessStore
from ledger.log.witnessing import (
    CosignatureCollector,
    HttpWitness,
    LocalWitness,
    WitnessClient,
    add_checkpoint_body,
    start_collector_thread,
)
from ledger.store.database import Database
from tests.integration.log.support import Log


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_witness(log: Log, directory: Path, name: str) -> Witness:
    from ledger.log.cosignature import generate_cosigner_key

    skey, _ = generate_cosigner_key(name)
    return Witness(Cosigner(skey), {log.notary.origin: [log.verifier]}, WitnessStore(directory))


def pinned(witness: Witness) -> CosignatureVerifier:
    return CosignatureVerifier(witness.verifier_key)


@pytest.fixture
def served(log: Log, tmp_path: Path) -> Iterator[tuple[Witness, str]]:
    """A witness behind its Litestar app on a real uvicorn, and its URL."""
    witness = make_witness(log, tmp_path / "http-witness", "witness.example/http")
    port = free_port()
    config = uvicorn.Config(
        create_witness_app(witness), host="127.0.0.1", port=port, log_config=None
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield witness, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def collector_for(
    log: Log, witnesses: list[tuple[CosignatureVerifier, WitnessClient]]
) -> CosignatureCollector:
    return CosignatureCollector(
        log.ledger.database.notary_conninfo, witnesses, log.ledger.audit.consistency_proof
    )


def cosignatures(log: Log) -> list[tuple[int, str, str]]:
    with psycopg.connect(log.owner) as conn:
        rows = conn.execute(
            "SELECT tree_size, witness, line FROM ledger_cosignatures ORDER BY tree_size, witness"
        ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def cosigned_note(log: Log, size: int) -> str:
    with psycopg.connect(log.ledger.database.app_conninfo) as conn:
        row = conn.execute("SELECT ledger_cosigned_note(%s)", (size,)).fetchone()
    assert row is not None
    return str(row[0])


def test_each_checkpoint_is_cosigned_by_a_local_and_an_http_witness(
    log: Log, served: tuple[Witness, str], tmp_path: Path
) -> None:
    local = make_witness(log, tmp_path / "local-witness", "witness.example/local")
    remote, url = served
    collector = collector_for(
        log, [(pinned(local), LocalWitness(local)), (pinned(remote), HttpWitness(url))]
    )
    log.case_with_events(3)
    first = log.notary.catch_up()

    assert collector.collect_once() == 2
    assert collector.collect_once() == 0  # nothing new to cosign

    log.case_with_events(9)
    second = log.notary.catch_up()
    assert collector.collect_once() == 2
    assert [(size, witness) for size, witness, _ in cosignatures(log)] == sorted(
        (size, pinned(w).witness) for size in (first, second) for w in (local, remote)
    )
    for witness in (local, remote):  # each moved from the first size with a proof
        latest = witness.store.latest(log.notary.origin)
        assert latest is not None and latest.size == second
    note = cosigned_note(log, second)
    assert log.verifier.verify(note).startswith(f"{log.notary.origin}\n{second}\n")
    found = count_cosigners(note, [pinned(local), pinned(remote)])
    assert {v.witness for v, _ in found} == {pinned(local).witness, pinned(remote).witness}
    collector.close()


def test_a_witness_that_cosigned_more_than_the_log_knows_is_resynced(
    log: Log, tmp_path: Path
) -> None:
    witness = make_witness(log, tmp_path / "w", "witness.example/w")
    log.case_with_events(2)
    size = log.notary.catch_up()
    note = log.ledger.audit.checkpoint().note
    assert witness.add_checkpoint(add_checkpoint_body(0, [], note)).status == 200
    log.case_with_events(4)
    log.notary.catch_up()
    collector = collector_for(log, [(pinned(witness), LocalWitness(witness))])

    with capture_logs() as logs:
        assert collector.collect_once() == 1  # sent old 0, told 409 "size", then a proof

    assert ("witness.resync", size) in [(e["event"], e.get("witness_size")) for e in logs]
    collector.close()


def test_a_witness_ahead_of_the_log_is_an_error_and_nothing_is_stored(
    log: Log, tmp_path: Path
) -> None:
    """The witness cosigned a larger tree under this log's key: the log has been rolled back."""
    witness = make_witness(log, tmp_path / "w", "witness.example/w")
    log.case_with_events(2)
    size = log.notary.catch_up()
    future = log.notary.signer.sign(checkpoint_body(log.notary.origin, 1000, b"\x01" * 32))
    assert witness.add_checkpoint(add_checkpoint_body(0, [], future)).status == 200
    collector = collector_for(log, [(pinned(witness), LocalWitness(witness))])

    with capture_logs() as logs:
        assert collector.collect_once() == 0

    ahead = [e for e in logs if e["event"] == "witness.ahead"]
    assert ahead and ahead[0]["log_level"] == "error"
    assert (ahead[0]["witness_size"], ahead[0]["size"]) == (1000, size)
    assert cosignatures(log) == []
    collector.close()


def test_a_fork_signed_with_the_same_key_is_refused_and_nothing_is_stored(
    log: Log,
    settings,
    database_factory: Callable[[], Database],
    tmp_path: Path,
) -> None:
    witness = make_witness(log, tmp_path / "w", "witness.example/w")
    log.case_with_events(4)
    honest_size = log.notary.catch_up()
    honest = collector_for(log, [(pinned(witness), LocalWitness(witness))])
    assert honest.collect_once() == 1
    # A second database with other events, sealed by a notary holding the same key.
    database = database_factory()
    ledger = Ledger(settings, database)
    notary = Notary(database.notary_conninfo, log.notary.signer, log.notary.origin)
    fork = Log(ledger, notary, database.owner_conninfo, log.verifier)
    fork.case_with_events(8)
    fork_size = notary.catch_up()
    forked = collector_for(fork, [(pinned(witness), LocalWitness(witness))])

    with capture_logs() as logs:
        assert forked.collect_once() == 0

    assert fork_size > honest_size
    assert "witness.inconsistent" in [e["event"] for e in logs]
    assert cosignatures(fork) == []
    latest = witness.store.latest(log.notary.origin)
    assert latest is not None and latest.size == honest_size
    assert [r.status for r in witness.store.refusals()] == [422]
    for closing in (honest, forked, notary, ledger):
        closing.close()


def test_an_unreachable_witness_is_logged_and_the_others_still_cosign(
    log: Log, tmp_path: Path
) -> None:
    witness = make_witness(log, tmp_path / "w", "witness.example/w")
    down = make_witness(log, tmp_path / "down", "witness.example/down")
    log.case_with_events(1)
    log.notary.catch_up()
    collector = collector_for(
        log,
        [
            (pinned(down), HttpWitness(f"http://127.0.0.1:{free_port()}", timeout=2)),
            (pinned(witness), LocalWitness(witness)),
        ],
    )

    with capture_logs() as logs:
        assert collector.collect_once() == 1
        assert collector.collect_once() == 0  # the down witness is backed off, not hammered

    assert [e["event"] for e in logs].count("witness.unreachable") == 1
    collector.close()


def test_the_collector_thread_follows_the_notary_and_survives_a_missing_database(
    log: Log, tmp_path: Path
) -> None:
    witness = make_witness(log, tmp_path / "w", "witness.example/w")
    collector = collector_for(log, [(pinned(witness), LocalWitness(witness))])
    broken = CosignatureCollector(
        log.ledger.database.notary_conninfo + " dbname=no_such_database", [], lambda a, b: []
    )
    thread, stop = start_collector_thread(collector)
    broken_thread, broken_stop = start_collector_thread(broken)
    try:
        log.case_with_events(2)
        size = log.notary.catch_up()
        deadline = time.monotonic() + 15
        while not [s for s, _, _ in cosignatures(log) if s == size]:
            assert time.monotonic() < deadline, "the collector did not cosign the checkpoint"
            time.sleep(0.05)
        assert broken_thread.is_alive()
    finally:
        stop.set()
        broken_stop.set()
        thread.join(timeout=10)
        broken_thread.join(timeout=10)
    assert not thread.is_alive() and not broken_thread.is_alive()


# --- the table's guards ------------------------------------------------------------------------


@pytest.fixture
def stored(log: Log, tmp_path: Path) -> Log:
    """A log with one stored cosignature."""
    witness = make_witness(log, tmp_path / "w", "witness.example/w")
    log.case_with_events(1)
    log.notary.catch_up()
    collector = collector_for(log, [(pinned(witness), LocalWitness(witness))])
    assert collector.collect_once() == 1
    collector.close()
    return log


@pytest.mark.parametrize(
    ("role", "statement"),
    [
        (
            "app",
            "INSERT INTO ledger_cosignatures (tree_size, witness, timestamp, line) "
            "SELECT tree_size, 'forged+00000000', 0, '— forged AAAA' FROM ledger_checkpoints",
        ),
        ("app", "UPDATE ledger_cosignatures SET timestamp = 0"),
        ("app", "DELETE FROM ledger_cosignatures"),
        ("app", "TRUNCATE ledger_cosignatures"),
        ("notary", "UPDATE ledger_cosignatures SET timestamp = 0"),
        ("notary", "DELETE FROM ledger_cosignatures"),
        ("notary", "TRUNCATE ledger_cosignatures"),
    ],
)
def test_roles_cannot_forge_change_or_remove_a_cosignature(
    stored: Log, role: str, statement: str
) -> None:
    database = stored.ledger.database
    conninfo = database.app_conninfo if role == "app" else database.notary_conninfo
    with psycopg.connect(conninfo) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
    assert len(cosignatures(stored)) == 1


def test_even_the_owner_cannot_change_a_stored_cosignature(stored: Log) -> None:
    with psycopg.connect(stored.owner) as conn:
        for statement in (
            "UPDATE ledger_cosignatures SET timestamp = 0",
            "DELETE FROM ledger_cosignatures",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="refused"):
                with conn.transaction():
                    conn.execute(statement)


def test_a_cosignature_must_name_a_signed_checkpoint(stored: Log) -> None:
    with psycopg.connect(stored.ledger.database.notary_conninfo) as conn:
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match="no checkpoint"):
            conn.execute(
                "INSERT INTO ledger_cosignatures (tree_size, witness, timestamp, line) "
                "VALUES (123456, 'w+00000000', 0, '— w AAAA')"
            )
