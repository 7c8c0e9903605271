"""The notary: follows the notification log in order and seals every stored event into the tree.

Each batch is one transaction: read the state row (FOR UPDATE, so two notaries cannot interleave),
read the next events after its position, append their leaves and the perfect subtree hashes they
complete, move the state, and, when due, sign a checkpoint. Killed mid-batch, it rolls back and
the next run starts from the same position: no gap, no duplicate. Because the insert lock makes
commit order equal notification order, reading "after the last position" never skips an event.

The notary signs with the key it was given at start and writes no key to the database: the
verifier keys are published from the key files (`ledger.log.keys`), so a rotated key is used
from the notary's next start.
"""

from __future__ import annotations

import struct
import threading
from dataclasses import dataclass
from typing import Any

import psycopg
import structlog

from ledger.log.heads import Head, HeadsTree, bucket_of, extension_line, merge_bucket
from ledger.log.leaf import encode_leaf
from ledger.log.merkle.frontier import Frontier
from ledger.log.merkle.tree import leaf_hash
from ledger.log.signed_note import Signer, checkpoint_body
from ledger.store.connection import LazyConnection

log = structlog.get_logger("ledger.notary")

# PostgreSQL's binary COPY format: signature, flags, header extension; then per row the field
# count and each field as (length, bytes); then -1.
_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_COPY_TRAILER = struct.pack(">h", -1)
COPY_CHUNK = 1_000
_LEAF_ROW = struct.Struct(">hiqiqi16siqi32s")
_NODE_ROW = struct.Struct(">hihiqi32s")


def _leaf_row(index: int, position: int, case_id: bytes, version: int, digest: bytes) -> bytes:
    """leaf_index int8, position int8, originator_id uuid, originator_version int8, leaf_hash"""
    return _LEAF_ROW.pack(5, 8, index, 8, position, 16, case_id, 8, version, 32, digest)


def _node_row(level: int, idx: int, digest: bytes) -> bytes:
    """level int2, idx int8, hash"""
    return _NODE_ROW.pack(3, 2, level, 8, idx, 32, digest)


SEALED_CHANNEL = "ledger_sealed"
EVENTS_CHANNEL = "ledger_events"  # eventsourcing NOTIFYs the events table's name on every insert


@dataclass(frozen=True)
class Sealed:
    events: int
    tree_size: int
    checkpointed: bool


class Notary:
    def __init__(
        self,
        conninfo: str,
        signer: Signer,
        origin: str,
        *,
        batch_size: int = 10_000,
        checkpoint_every: float = 1.0,
        linger: float = 0.05,
    ) -> None:
        self.conninfo = conninfo
        self.signer = signer
        self.origin = origin
        self.batch_size = batch_size
        self.checkpoint_every = checkpoint_every
        self.linger = linger
        """Seconds to wait after a wake-up so a burst of writes is sealed in one transaction."""
        self._conn = LazyConnection(conninfo)
        self._heads: tuple[int, HeadsTree] | None = None
        """The head map's tree and the tree size it is folded to (`ledger.log.heads`); reloaded
        when the database's differs (another notary sealed meanwhile) and dropped whenever a
        transaction fails, so it never runs ahead of the database."""

    def seal(self, *, force_checkpoint: bool = False) -> Sealed:
        """Seal the next batch of events (possibly none) and checkpoint if due."""
        conn = self._conn.get()
        try:
            return self._seal(conn, force_checkpoint)
        except BaseException:
            self._heads = None
            raise

    def _seal(self, conn: psycopg.Connection[tuple[Any, ...]], force_checkpoint: bool) -> Sealed:
        with conn.transaction():
            row = conn.execute(
                "SELECT tree_size, last_position, frontier, heads_size FROM ledger_notary_state "
                "FOR UPDATE"
            ).fetchone()
            assert row is not None, "migrations create the notary's state row"
            size, last_position, frontier_bytes, heads_size = row
            frontier = Frontier.from_bytes(bytes(frontier_bytes))
            assert frontier.size == size
            events = conn.execute(  # binary: bytea arrives as bytes, at half the decoding cost
                "SELECT notification_id, originator_id, originator_version, topic, state "
                "FROM ledger_events WHERE notification_id > %s ORDER BY notification_id LIMIT %s",
                (last_position, self.batch_size),
                binary=True,
            ).fetchall()
            if events:
                self._append(conn, frontier, events)
                conn.execute(
                    "UPDATE ledger_notary_state SET tree_size = %s, last_position = %s, "
                    "frontier = %s, updated_at = now()",
                    (frontier.size, events[-1][0], frontier.to_bytes()),
                )
            checkpointed = self._checkpoint_if_due(
                conn, frontier, heads_size, force=force_checkpoint
            )
            if events or checkpointed:
                conn.execute(f"NOTIFY {SEALED_CHANNEL}")
        return Sealed(events=len(events), tree_size=frontier.size, checkpointed=checkpointed)

    def catch_up(self) -> int:
        """Seal everything stored so far and checkpoint it; returns the tree size."""
        while self.seal().events == self.batch_size:
            pass
        return self.seal(force_checkpoint=True).tree_size

    def run(self, stop: threading.Event) -> None:
        """Seal as events arrive (woken by NOTIFY) until `stop` is set; survives restarts of
        the database by reconnecting."""
        log.info("notary.started", origin=self.origin, key=self.signer.verifier_key)
        while not stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as listener:
                    listener.execute(f"LISTEN {EVENTS_CHANNEL}")
                    while not stop.is_set():
                        sealed = self.seal()
                        if sealed.events:
                            log.debug("notary.sealed", events=sealed.events, size=sealed.tree_size)
                        if sealed.events < self.batch_size:
                            woken = any(
                                True
                                for _ in listener.notifies(
                                    timeout=self.checkpoint_every, stop_after=1
                                )
                            )
                            if woken:  # gather what else arrives: one batch, not one per insert
                                stop.wait(self.linger)
            except psycopg.OperationalError as e:
                log.warning("notary.database_unavailable", error=str(e))
                self.close()
                stop.wait(1.0)
        self.close()

    def close(self) -> None:
        self._conn.close()

    def _append(
        self,
        conn: psycopg.Connection[tuple[Any, ...]],
        frontier: Frontier,
        events: list[tuple[Any, ...]],
    ) -> None:
        # The hot loop of a catch-up. Rows are packed straight into PostgreSQL's binary COPY
        # format (per-field dumpers cost more than the hashing) and streamed in chunks, so the
        # server indexes one chunk while this process hashes the next; an append that completes
        # no node above its own leaf (half of them) costs nothing more.
        nodes = [_COPY_HEADER]
        pack_leaf, pack_node = _leaf_row, _node_row
        append = frontier.append
        index = frontier.size
        with conn.cursor() as cur:
            with cur.copy(
                "COPY ledger_leaves (leaf_index, position, originator_id, originator_version, "
                "leaf_hash) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                chunk = [_COPY_HEADER]
                for position, originator_id, version, topic, state in events:
                    hashed = leaf_hash(encode_leaf(position, originator_id, version, topic, state))
                    completed = append(hashed)
                    if len(completed) > 1:
                        nodes.extend(pack_node(lv, i, h) for (lv, i), h in completed[1:])
                    chunk.append(pack_leaf(index, position, originator_id.bytes, version, hashed))
                    index += 1
                    if len(chunk) >= COPY_CHUNK:
                        copy.write(b"".join(chunk))
                        chunk = []
                chunk.append(_COPY_TRAILER)
                copy.write(b"".join(chunk))
            if len(nodes) > 1:
                with cur.copy(
                    "COPY ledger_tree_nodes (level, idx, hash) FROM STDIN (FORMAT BINARY)"
                ) as copy:
                    copy.write(b"".join(nodes) + _COPY_TRAILER)

    def _checkpoint_if_due(
        self,
        conn: psycopg.Connection[tuple[Any, ...]],
        frontier: Frontier,
        heads_size: int,
        *,
        force: bool,
    ) -> bool:
        last = conn.execute(
            "SELECT tree_size, extract(epoch FROM now() - created_at) FROM ledger_checkpoints "
            "ORDER BY tree_size DESC LIMIT 1"
        ).fetchone()
        # An empty log gets one checkpoint too (size 0, the empty root): "nothing yet" is signed.
        if last is not None and last[0] == frontier.size:
            return False
        if not force and last is not None and float(last[1]) < self.checkpoint_every:
            return False
        root = frontier.root()
        heads = self._fold_heads(conn, heads_size, frontier.size)
        note = self.signer.sign(
            checkpoint_body(self.origin, frontier.size, root, (extension_line(heads),))
        )
        conn.execute(
            "INSERT INTO ledger_checkpoints (tree_size, root_hash, note) VALUES (%s, %s, %s) "
            "ON CONFLICT (tree_size) DO NOTHING",
            (frontier.size, root, note),
        )
        log.info("notary.checkpoint", tree_size=frontier.size, root=root.hex(), heads=heads.hex())
        return True

    def _fold_heads(
        self, conn: psycopg.Connection[tuple[Any, ...]], folded: int, size: int
    ) -> bytes:
        """Fold leaves [folded, size) into the head map's buckets; return the map's root.

        Only the buckets those leaves touch are read and written: a checkpoint costs what was
        sealed since the last one, not what the log holds.
        """
        if self._heads is None or self._heads[0] != folded:
            tree = HeadsTree()
            tree.update({b: leaf_hash(bytes(h)) for b, h in conn.execute(_BUCKETS).fetchall()})
            self._heads = (folded, tree)
        tree = self._heads[1]
        if folded < size:
            touched: dict[int, list[Head]] = {}
            for case_id, version, index in conn.execute(_HEADS_SINCE, (folded, size), binary=True):
                touched.setdefault(bucket_of(case_id), []).append(Head(case_id, version, index))
            stored = dict(
                conn.execute(f"{_BUCKETS} WHERE bucket = ANY(%s)", (list(touched),)).fetchall()
            )
            merged = {
                b: merge_bucket(b, bytes(stored[b]) if b in stored else None, heads)
                for b, heads in touched.items()
            }
            conn.execute(
                "INSERT INTO ledger_head_buckets (bucket, tree_size, heads) "
                "SELECT b, %s, h FROM unnest(%s::int4[], %s::bytea[]) AS u (b, h) "
                "ON CONFLICT (bucket) DO UPDATE SET tree_size = excluded.tree_size, "
                "heads = excluded.heads",
                (size, list(merged), list(merged.values())),
            )
            conn.execute("UPDATE ledger_notary_state SET heads_size = %s", (size,))
            tree.update({b: leaf_hash(data) for b, data in merged.items()})
            self._heads = (size, tree)
        return tree.root()


_BUCKETS = "SELECT bucket, heads FROM ledger_head_buckets"
_HEADS_SINCE = (  # a case's newest leaf holds its newest version
    "SELECT originator_id, max(originator_version), max(leaf_index) FROM ledger_leaves "
    "WHERE leaf_index >= %s AND leaf_index < %s GROUP BY originator_id"
)


def start_notary_thread(notary: Notary) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=notary.run, args=(stop,), name="notary", daemon=True)
    thread.start()
    return thread, stop
