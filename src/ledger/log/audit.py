"""Reads of the verifiable log: checkpoints, inclusion and consistency proofs, case bundles.

Proofs are assembled from stored perfect-subtree hashes fetched in one query, so serving one
costs the same at a million leaves as at a thousand. The verifier keys are not read here: nothing
in the database says which key to trust (`ledger.log.keys` reads the pinned keys' files).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
import psycopg
from eventsourcing.postgres import PostgresDatastore

from ledger.log.bundles import Bundles, CaseBundle
from ledger.log.errors import AuditNotFound, NotSealedYet
from ledger.log.leaf import encode_leaf, is_bookkeeping
from ledger.log.merkle.tree import NodeId, assemble, consistency_proof_nodes, inclusion_proof_nodes
from ledger.log.notary import SEALED_CHANNEL
from ledger.log.tiles import Tile, TileNotServed, TileStore, check_served
from ledger.log.witnessing import COSIGNED_CHANNEL

CACHED_LEVEL = 4
"""Nodes this high (16+ leaves each: n/16 of them) are kept in memory once read."""
NODE_CACHE_SIZE = 250_000


class Checkpoint(msgspec.Struct, frozen=True, kw_only=True):
    tree_size: int
    root_hash: bytes
    note: str
    created_at: datetime


class Leaf(msgspec.Struct, frozen=True, kw_only=True):
    leaf_index: int
    position: int
    leaf_hash: bytes


class LeafEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One leaf's content: the stored event and its canonical bytes (`ledger.log.leaf`), whose
    RFC 9162 leaf hash is the level-0 hash the tiles and proofs carry."""

    leaf_index: int
    position: int
    originator_id: UUID
    version: int
    topic: str
    payload: bytes
    """As stored (base64 on the wire)."""
    entry: bytes
    """The leaf's canonical bytes: SHA-256(0x00 || entry) is `leaf_hash`."""
    leaf_hash: bytes
    bookkeeping: bool
    """True: public content (`leaf.is_bookkeeping`); False: a case's, for reading roles only."""


class InclusionProof(msgspec.Struct, frozen=True, kw_only=True):
    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    audit_path: list[bytes]
    checkpoint: Checkpoint


_CHECKPOINT = (  # the note as served: the notary's, then its witnesses' cosignature lines
    "SELECT tree_size, root_hash, ledger_cosigned_note(tree_size) AS note, created_at "
    "FROM ledger_checkpoints"
)


COSIGN_WAIT = 2.0
"""Seconds a witnessed bundle waits for the witnesses' cosignatures on the latest checkpoint
before it is served without them (`ledger verify --witness-key` then fails it; fetch it again)."""
_COSIGNED = (  # no row: no checkpoint yet
    "SELECT (SELECT count(*) FROM ledger_cosignatures s WHERE s.tree_size = c.tree_size) >= %s "
    "FROM (SELECT tree_size FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1) c"
)
_NODES = (  # stored hashes by (level, idx): level 0 are the leaves, the rest perfect subtrees
    "SELECT 0 AS level, leaf_index AS idx, leaf_hash AS hash FROM ledger_leaves "
    "WHERE leaf_index = ANY(%s) UNION ALL "
    "SELECT n.level, n.idx, n.hash FROM ledger_tree_nodes n "
    "JOIN unnest(%s::int2[], %s::int8[]) AS q(level, idx) USING (level, idx)"
)


def _node_params(wanted: Iterable[NodeId]) -> tuple[list[int], list[int], list[int]]:
    inner = [(level, i) for level, i in wanted if level > 0]
    return (
        [i for level, i in wanted if level == 0],
        [level for level, _ in inner],
        [i for _, i in inner],
    )


def consistency_prover(conninfo: str) -> Callable[[int, int], list[bytes]]:
    """RFC 9162 consistency proofs from the stored nodes over a connection of its own: what the
    notary's side hands its witnesses (`ledger.log.witnessing`), without an `AuditLog`."""

    def prove(old_size: int, new_size: int) -> list[bytes]:
        plan = consistency_proof_nodes(old_size, new_size)
        wanted = {n for element in plan for n in element}
        with psycopg.connect(conninfo) as conn:
            rows = conn.execute(_NODES, _node_params(wanted)).fetchall()
        return assemble(plan, {(level, idx): bytes(h) for level, idx, h in rows})

    return prove


class AuditLog:
    def __init__(
        self, datastore: PostgresDatastore, conninfo: str, origin: str, witnesses: int = 0
    ) -> None:
        self.datastore = datastore
        self.conninfo = conninfo  # for LISTEN: a waiting request must not hold a pooled connection
        self.origin = origin
        self.witnesses = witnesses
        """How many witnesses cosign each checkpoint: a witnessed bundle waits for them."""
        self._node_cache: dict[NodeId, bytes] = {}
        self._tiles = TileStore(self._fetch)
        self._bundles = Bundles(datastore, origin, self._nodes)

    # --- checkpoints ---------------------------------------------------------------------------

    def checkpoint(self, tree_size: int | None = None) -> Checkpoint:
        """The latest checkpoint, or the one of exactly `tree_size` leaves."""
        if tree_size is None:
            found = self._checkpoint(f"{_CHECKPOINT} ORDER BY tree_size DESC LIMIT 1", ())
            if found is None:
                raise NotSealedYet("no checkpoint has been signed yet")
            return found
        found = self._checkpoint(f"{_CHECKPOINT} WHERE tree_size = %s", (tree_size,))
        if found is None:
            raise AuditNotFound(f"no checkpoint of tree size {tree_size}")
        return found

    def checkpoints(self, after: int | None, limit: int) -> list[Checkpoint]:
        """Checkpoints oldest first (by tree size), those of more than `after` leaves."""
        return [
            self._to_checkpoint(r)
            for r in self._fetch(
                f"{_CHECKPOINT} WHERE tree_size > %s ORDER BY tree_size LIMIT %s",
                (-1 if after is None else after, limit),
            )
        ]

    def checkpoint_covering(self, leaf_index: int) -> Checkpoint | None:
        """The first checkpoint whose tree contains leaf `leaf_index`."""
        return self._checkpoint(
            f"{_CHECKPOINT} WHERE tree_size > %s ORDER BY tree_size LIMIT 1", (leaf_index,)
        )

    # --- leaves and proofs ---------------------------------------------------------------------

    def leaves(self, positions: Iterable[int]) -> dict[int, Leaf]:
        """Sealed leaves by event position (positions not sealed yet are absent)."""
        rows = self._fetch(
            "SELECT leaf_index, position, leaf_hash FROM ledger_leaves WHERE position = ANY(%s)",
            (list(positions),),
        )
        return {
            r["position"]: Leaf(
                leaf_index=r["leaf_index"], position=r["position"], leaf_hash=bytes(r["leaf_hash"])
            )
            for r in rows
        }

    def leaf_of(self, case_id: UUID, version: int) -> Leaf | None:
        rows = self._fetch(
            "SELECT leaf_index, position, leaf_hash FROM ledger_leaves "
            "WHERE originator_id = %s AND originator_version = %s",
            (case_id, version),
        )
        return (
            Leaf(
                leaf_index=rows[0]["leaf_index"],
                position=rows[0]["position"],
                leaf_hash=bytes(rows[0]["leaf_hash"]),
            )
            if rows
            else None
        )

    def inclusion_proof(self, position: int, tree_size: int | None = None) -> InclusionProof:
        # The common case (latest checkpoint) in one round trip: the leaf and the checkpoint.
        rows = self._fetch(
            "SELECT l.leaf_index, l.leaf_hash, c.tree_size, c.root_hash, "
            "ledger_cosigned_note(c.tree_size) AS note, c.created_at "
            "FROM ledger_leaves l LEFT JOIN LATERAL (SELECT * FROM ledger_checkpoints "
            "ORDER BY tree_size DESC LIMIT 1) c ON true WHERE l.position = %s",
            (position,),
        )
        if not rows:
            if self._event_exists(position):
                raise NotSealedYet(f"the event at position {position} is not sealed yet")
            raise AuditNotFound(f"no event at position {position}")
        row = rows[0]
        leaf = Leaf(
            leaf_index=row["leaf_index"], position=position, leaf_hash=bytes(row["leaf_hash"])
        )
        if tree_size is None and row["tree_size"] is not None:
            checkpoint = Checkpoint(
                tree_size=row["tree_size"],
                root_hash=bytes(row["root_hash"]),
                note=row["note"],
                created_at=row["created_at"],
            )
        else:
            checkpoint = self.checkpoint(tree_size)
        if checkpoint.tree_size <= leaf.leaf_index:
            if tree_size is None:
                raise NotSealedYet(f"leaf {leaf.leaf_index} is not in a signed checkpoint yet")
            raise AuditNotFound(f"leaf {leaf.leaf_index} is not in the tree of size {tree_size}")
        plan = inclusion_proof_nodes(leaf.leaf_index, checkpoint.tree_size)
        path = assemble(plan, self._nodes(n for element in plan for n in element))
        return InclusionProof(
            leaf_index=leaf.leaf_index,
            tree_size=checkpoint.tree_size,
            leaf_hash=leaf.leaf_hash,
            audit_path=path,
            checkpoint=checkpoint,
        )

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """PROOF(old_size, D[new_size]) of RFC 9162 §2.1.4; from the empty tree (old_size 0), or
        to the same size, it is the empty list. Both sizes within the latest checkpoint."""
        if not 0 <= old_size <= new_size:
            raise AuditNotFound(f"no consistency proof from {old_size} to {new_size}")
        if new_size > (signed := self.checkpoint().tree_size):
            raise AuditNotFound(f"the latest checkpoint has {signed} leaves, fewer than {new_size}")
        plan = consistency_proof_nodes(old_size, new_size)
        return assemble(plan, self._nodes(n for element in plan for n in element))

    def bundle(
        self, case_id: UUID, since: int | None = None, *, witnessed: bool = False
    ) -> CaseBundle:
        """The case's events as stored, with their proofs and the proof that they are all of
        them, against the latest checkpoint (`ledger.log.bundles`); with `since`, also the
        proof that the tree of that size is a prefix of the bundle's. `witnessed` first waits
        (up to COSIGN_WAIT) for every configured witness's cosignature on that checkpoint."""
        if witnessed and self.witnesses:
            self._wait_cosigned(COSIGN_WAIT)
        return self._bundles.build(case_id, since)

    def wait_until_sealed(self, position: int, timeout: float) -> Leaf | None:
        """Block until the event at `position` is sealed (woken by the notary's NOTIFY)."""
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute(f"LISTEN {SEALED_CHANNEL}")
            while True:
                if leaf := self.leaves([position]).get(position):
                    return leaf
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                for _ in conn.notifies(timeout=remaining, stop_after=1):
                    pass

    def _wait_cosigned(self, timeout: float) -> bool:
        """Wait until the latest checkpoint carries every witness's cosignature (they arrive
        milliseconds after it is signed), or `timeout`; False if they did not come."""
        deadline = time.monotonic() + timeout
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute(f"LISTEN {COSIGNED_CHANNEL}")
            while True:
                row = conn.execute(_COSIGNED, (self.witnesses,)).fetchone()
                if row is None or row[0]:
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                for _ in conn.notifies(timeout=remaining, stop_after=1):
                    pass

    def leaf_entry(self, leaf_index: int) -> LeafEntry:
        """Leaf `leaf_index` of the latest checkpoint's tree with its event, as stored."""
        size = self.checkpoint().tree_size
        rows = self._fetch(
            "SELECT l.position, l.originator_id, l.originator_version, l.leaf_hash, e.topic, "
            "e.state FROM ledger_leaves l LEFT JOIN ledger_events e "
            "ON e.notification_id = l.position WHERE l.leaf_index = %s AND l.leaf_index < %s",
            (leaf_index, size),
        )
        if not rows:
            raise AuditNotFound(f"no leaf {leaf_index} in the latest checkpoint ({size} leaves)")
        r = rows[0]
        if r["state"] is None:  # the log is damaged: `ledger verify --database` names it
            raise AuditNotFound(f"the event of leaf {leaf_index} is missing")
        payload = bytes(r["state"])
        return LeafEntry(
            leaf_index=leaf_index,
            position=r["position"],
            originator_id=r["originator_id"],
            version=r["originator_version"],
            topic=r["topic"],
            payload=payload,
            entry=encode_leaf(
                r["position"], r["originator_id"], r["originator_version"], r["topic"], payload
            ),
            leaf_hash=bytes(r["leaf_hash"]),
            bookkeeping=is_bookkeeping(r["topic"]),
        )

    # --- tiles (C2SP tlog-tiles, `ledger.log.tiles`) --------------------------------------------

    def tile(self, tile: Tile) -> bytes:
        """A hash tile or entry bundle the latest checkpoint covers; else AuditNotFound."""
        try:
            check_served(tile, self.checkpoint().tree_size)
            if tile.level is None:
                return self._tiles.entries(tile)
            return self._tiles.hashes(tile)
        except TileNotServed as e:
            raise AuditNotFound(str(e)) from None

    # --- plumbing ------------------------------------------------------------------------------

    def _nodes(self, ids: Iterable[NodeId]) -> dict[NodeId, bytes]:
        """Stored node hashes; the upper levels, shared by most proofs, are served from memory
        (a stored node never changes, so a cached one is never stale)."""
        wanted = set(ids)
        cache = self._node_cache
        found = {n: cache[n] for n in wanted if n in cache}
        if missing := wanted - found.keys():
            found |= self._fetch_nodes(missing)
            if len(cache) > NODE_CACHE_SIZE:
                cache.clear()
            cache.update((n, h) for n, h in found.items() if n[0] >= CACHED_LEVEL)
        if missing := wanted - found.keys():
            raise AuditNotFound(f"the tree lacks nodes {sorted(missing)[:3]}: not sealed yet?")
        return found

    def _fetch_nodes(self, wanted: set[NodeId]) -> dict[NodeId, bytes]:
        rows = self._fetch(_NODES, _node_params(wanted))
        return {(r["level"], r["idx"]): bytes(r["hash"]) for r in rows}

    def _event_exists(self, position: int) -> bool:
        return bool(
            self._fetch("SELECT 1 FROM ledger_events WHERE notification_id = %s", (position,))
        )

    def _checkpoint(self, query: str, params: tuple[Any, ...]) -> Checkpoint | None:
        rows = self._fetch(query, params)
        return self._to_checkpoint(rows[0]) if rows else None

    @staticmethod
    def _to_checkpoint(r: dict[str, Any]) -> Checkpoint:
        return Checkpoint(
            tree_size=r["tree_size"],
            root_hash=bytes(r["root_hash"]),
            note=r["note"],
            created_at=r["created_at"],
        )

    def _fetch(self, query: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        try:
            with self.datastore.get_connection() as conn, conn.cursor() as cur:
                cur.execute(query, params, prepare=True)
                return cur.fetchall()
        except psycopg.errors.UndefinedTable as e:  # pragma: no cover - migrations not applied
            raise AuditNotFound(str(e)) from None
