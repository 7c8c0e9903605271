"""Case bundles: everything an auditor needs to check a case offline, given the log's public key.

A bundle holds the case's events exactly as stored, each with its inclusion proof, and its
bucket of the checkpoint's head map (`ledger.log.heads`), which proves they are all of them.
`ledger.log.verify` checks one.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

import msgspec
import psycopg
from eventsourcing.postgres import PostgresDatastore

from ledger.domain.errors import CaseNotFoundError
from ledger.log.errors import AuditNotFound, NotSealedYet
from ledger.log.heads import FORMAT as HEADS_FORMAT
from ledger.log.heads import HeadsTree, bucket_of, root_from_extensions
from ledger.log.merkle.tree import (
    NodeId,
    assemble,
    consistency_proof_nodes,
    inclusion_proof_nodes,
    leaf_hash,
)
from ledger.log.signed_note import parse_checkpoint, split_note

BUNDLE_FORMAT = "case-ledger-bundle/v1"
_LATEST = (  # with its witnesses' cosignature lines, as every served checkpoint
    "SELECT tree_size, root_hash, ledger_cosigned_note(tree_size) AS note "
    "FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1"
)


class BundleEvent(msgspec.Struct, kw_only=True):
    """One event exactly as stored (payload base64), its leaf and its inclusion proof."""

    leaf_index: int
    position: int
    version: int
    topic: str | None
    payload: str | None
    leaf_hash: str
    audit_path: list[str]


class HeadsProof(msgspec.Struct, kw_only=True):
    """The case's bucket of the checkpoint's head map and its audit path (`ledger.log.heads`)."""

    bucket: str
    """The bucket as committed, base64: every head in it, sorted by case id."""
    audit_path: list[str]


class ConsistencyProof(msgspec.Struct, kw_only=True):
    """RFC 9162 proof that the bundle's tree extends the tree of `old_size` an auditor holds."""

    old_size: int
    proof: list[str]


class CaseBundle(msgspec.Struct, kw_only=True):
    """Everything an auditor needs to check a case offline, given the log's public key."""

    format: str
    origin: str
    case_id: UUID
    tree_size: int
    root_hash: str
    checkpoint: str
    events: list[BundleEvent]
    case_version: int | None = None
    """The case's version as of the checkpoint: the head `heads` proves. (Bundles written before
    head maps held the stored version here, informational only.)"""
    heads: HeadsProof | None = None
    """Proof that the events listed are all of the case's as of the checkpoint; absent only
    when the checkpoint predates head maps."""
    consistency: ConsistencyProof | None = None
    """Asked for with `?since=<size>`: `ledger verify --since` checks the log only grew."""


class Bundles:
    """Builds bundles against the latest checkpoint; keeps the head map's tree between them."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        origin: str,
        nodes: Callable[[Iterable[NodeId]], dict[NodeId, bytes]],
    ) -> None:
        self.datastore = datastore
        self.origin = origin
        self._nodes = nodes
        self._heads: tuple[int, HeadsTree] | None = None
        self._heads_lock = threading.Lock()

    def build(self, case_id: UUID, since: int | None = None) -> CaseBundle:
        """The case's events as stored, each with its proof against the latest checkpoint, and
        the proof from the checkpoint's head map that they are all of them.

        It covers the versions that checkpoint holds (1..k); later ones are in the next bundle.
        It is built from the notary's leaves, not from the events table alone: an event deleted
        after sealing still appears (with no payload), so the bundle fails verification. One
        snapshot (REPEATABLE READ) serves the checkpoint, the leaves and the head map, which the
        notary writes in one transaction.
        """
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            found = cur.execute(_LATEST).fetchall()
            if not found:
                raise NotSealedYet("no checkpoint has been signed yet")
            checkpoint = found[0]
            rows = cur.execute(
                "SELECT l.leaf_index, l.position, l.originator_version, l.leaf_hash, e.topic, "
                "e.state FROM ledger_leaves l "
                "LEFT JOIN ledger_events e ON e.notification_id = l.position "
                "WHERE l.originator_id = %s AND l.leaf_index < %s ORDER BY l.originator_version",
                (case_id, checkpoint["tree_size"]),
            ).fetchall()
            if not rows:
                stored = cur.execute(
                    "SELECT 1 FROM ledger_events WHERE originator_id = %s LIMIT 1", (case_id,)
                ).fetchall()
                if not stored:
                    raise CaseNotFoundError(case_id)
                raise NotSealedYet(f"case {case_id} is not in a signed checkpoint yet")
            heads = self._heads_proof(cur, checkpoint, bucket_of(case_id))
        size = checkpoint["tree_size"]
        if since is not None and not 0 <= since <= size:
            raise AuditNotFound(f"no consistency proof from size {since} to the bundle's {size}")
        plans = [inclusion_proof_nodes(r["leaf_index"], size) for r in rows]
        grew = consistency_proof_nodes(since, size) if since is not None else []
        nodes = self._nodes(n for plan in [*plans, grew] for element in plan for n in element)
        return CaseBundle(
            format=BUNDLE_FORMAT,
            origin=self.origin,
            case_id=case_id,
            tree_size=checkpoint["tree_size"],
            root_hash=bytes(checkpoint["root_hash"]).hex(),
            checkpoint=checkpoint["note"],
            case_version=rows[-1]["originator_version"],
            heads=heads,
            consistency=None
            if since is None
            else ConsistencyProof(old_size=since, proof=[h.hex() for h in assemble(grew, nodes)]),
            events=[
                BundleEvent(
                    leaf_index=r["leaf_index"],
                    position=r["position"],
                    version=r["originator_version"],
                    topic=r["topic"],
                    payload=None
                    if r["state"] is None
                    else base64.b64encode(bytes(r["state"])).decode(),
                    leaf_hash=bytes(r["leaf_hash"]).hex(),
                    audit_path=[h.hex() for h in assemble(plan, nodes)],
                )
                for r, plan in zip(rows, plans, strict=True)
            ],
        )

    def _heads_proof(
        self, cur: psycopg.Cursor[dict[str, Any]], checkpoint: dict[str, Any], bucket: int
    ) -> HeadsProof | None:
        """The bucket and its path as of `checkpoint`, read in the caller's snapshot; None for a
        checkpoint signed before head maps. The bucket tree is cached and brought forward by the
        buckets changed since (the notary stamps each with the checkpoint that changed it)."""
        if (
            root_from_extensions(parse_checkpoint(split_note(checkpoint["note"])[0]).extensions)
            is None
        ):
            return None
        size = checkpoint["tree_size"]
        row = cur.execute(
            "SELECT heads FROM ledger_head_buckets WHERE bucket = %s", (bucket,)
        ).fetchall()
        data = bytes(row[0]["heads"]) if row else HEADS_FORMAT  # an empty bucket
        with self._heads_lock:
            cached = self._heads
            since = -1 if cached is None or cached[0] > size else cached[0]
            changed = cur.execute(
                "SELECT bucket, heads FROM ledger_head_buckets WHERE tree_size > %s", (since,)
            ).fetchall()
            tree = cached[1] if cached is not None and since >= 0 else HeadsTree()
            tree.update({r["bucket"]: leaf_hash(bytes(r["heads"])) for r in changed})
            if since >= 0 or cached is None:  # never move the cache back to an older snapshot
                self._heads = (size, tree)
            path = tree.path(bucket)
        return HeadsProof(
            bucket=base64.b64encode(data).decode(), audit_path=[h.hex() for h in path]
        )
