"""Checkpoint history, consistency from the empty tree and tiles, read from the notary's tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from ledger.application.service import Ledger
from ledger.log.errors import AuditNotFound
from ledger.log.keys import load_signer
from ledger.log.leaf import encode_leaf
from ledger.log.merkle.proofs import verify_consistency
from ledger.log.merkle.tree import EMPTY_ROOT, leaf_hash, mth
from ledger.log.notary import Notary
from ledger.log.tiles import WIDTH, Tile, split_entry_bundle
from tests.conftest import actor, register

CLERK = actor("clerk-t", "clerk", unit="人社")


class Log:
    def __init__(self, ledger: Ledger, notary: Notary, owner: str) -> None:
        self.ledger, self.notary, self.owner = ledger, notary, owner

    def grow(self, events: int) -> None:
        """A case of `events` events (registering one may add bookkeeping events too)."""
        case_id = register(self.ledger, CLERK).case_id
        for _ in range(events - 1):
            self.ledger.append(case_id, CLERK, "VisitRecorded")

    def entries(self) -> list[bytes]:
        with psycopg.connect(self.owner) as conn:
            rows = conn.execute(
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM ledger_events ORDER BY notification_id"
            ).fetchall()
        return [encode_leaf(p, c, v, t, bytes(s)) for p, c, v, t, s in rows]


@pytest.fixture
def log(settings, database_factory, tmp_path: Path) -> Iterator[Log]:
    database = database_factory()
    ledger = Ledger(settings, database)
    signer = load_signer(tmp_path / "notary.key", settings.origin)
    notary = Notary(database.notary_conninfo, signer, settings.origin, checkpoint_every=3600)
    yield Log(ledger, notary, database.owner_conninfo)
    notary.close()
    ledger.close()


def test_the_empty_log_is_checkpointed_and_every_later_tree_is_consistent_with_it(log) -> None:
    assert log.notary.catch_up() == 0
    log.grow(10)
    size = log.notary.catch_up()
    audit = log.ledger.audit

    empty, latest = audit.checkpoint(0), audit.checkpoint(size)

    assert empty.root_hash == EMPTY_ROOT and latest.root_hash == mth(log.entries())
    assert audit.consistency_proof(0, size) == [] == audit.consistency_proof(0, 0)
    assert verify_consistency(0, size, empty.root_hash, latest.root_hash, [])
    assert [c.tree_size for c in audit.checkpoints(None, 10)] == [0, size]
    assert [c.tree_size for c in audit.checkpoints(0, 10)] == [size]
    with pytest.raises(AuditNotFound):
        audit.consistency_proof(0, size + 1)


def test_tiles_hold_the_stored_hashes_of_merkle_level_8l_and_stop_at_the_checkpoint(log) -> None:
    log.grow(30)
    first = log.notary.catch_up()
    log.grow(WIDTH + 20)
    second = log.notary.catch_up()
    log.grow(5)
    sealed = log.notary.seal()  # sealed, but no checkpoint is due: not served yet
    assert sealed.events >= 5 and not sealed.checkpointed
    entries = log.entries()
    leaves = [leaf_hash(e) for e in entries]
    audit = log.ledger.audit

    level_0 = audit.tile(Tile(0, 0))
    edge = audit.tile(Tile(0, 1, second - WIDTH))
    level_1 = audit.tile(Tile(1, 0, 1))
    bundle = split_entry_bundle(audit.tile(Tile(None, 1, second - WIDTH)))

    assert first < WIDTH < second < 2 * WIDTH
    assert level_0 == b"".join(leaves[:WIDTH]) and edge == b"".join(leaves[WIDTH:second])
    assert level_1 == mth(entries[:WIDTH])  # the hash of the full tile below
    assert bundle == entries[WIDTH:second]
    for past_the_checkpoint in (Tile(0, 1, second - WIDTH + 1), Tile(None, 1, second - WIDTH + 1)):
        with pytest.raises(AuditNotFound):
            audit.tile(past_the_checkpoint)
    with pytest.raises(
        AuditNotFound
    ):  # the first checkpoint's partial tile: its full tile is served
        audit.tile(Tile(0, 0, first))
