"""(1) the baselines: the notary's parts (its read, its hashing loop, its COPYs), each timed on
its own over the whole log, so that its rate can be read against theirs."""

from __future__ import annotations

import gc
import os
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql
from support.cpu import Cpu, cpu_note
from support.postgres import checkpointer
from support.report import log

from ledger.log.leaf import encode_leaf
from ledger.log.merkle.frontier import Frontier
from ledger.log.merkle.tree import leaf_hash
from notary_bench.plan import DEFAULT_BATCH

if TYPE_CHECKING:
    from collections.abc import Callable

    from support.cpu import Ours

    from ledger.store.database import Database

SELECT_EVENTS = (  # the notary's own query
    "SELECT notification_id, originator_id, originator_version, topic, state "
    "FROM ledger_events WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
)
COPY_LEAVES = (
    "COPY {} (leaf_index, position, originator_id, originator_version, leaf_hash) "
    "FROM STDIN (FORMAT BINARY)"
)
LEAF_TYPES = ["int8", "int8", "uuid", "int8", "bytea"]
COPY_NODES = "COPY {} (level, idx, hash) FROM STDIN (FORMAT BINARY)"
NODE_TYPES = ["int2", "int8", "bytea"]


@dataclass
class Parts:
    """What the notary does per batch, each part timed on its own over the whole log."""

    read_seconds: float = 0.0
    read_binary_seconds: float = 0.0
    hash_seconds: float = 0.0
    copy_leaves_seconds: float = 0.0
    copy_nodes_seconds: float = 0.0  # and the COMMIT that ends each batch
    events: int = 0
    nodes: int = 0
    root: bytes = b""
    read_note: str = ""

    @property
    def serial_seconds(self) -> float:
        """Read, hash, write: what a notary doing them one after another cannot beat."""
        return (
            self.read_seconds
            + self.hash_seconds
            + self.copy_leaves_seconds
            + self.copy_nodes_seconds
        )


Batch = tuple[list[tuple[Any, ...]], list[tuple[int, int, bytes]]]  # leaf rows, node rows


def read_baseline(app_conninfo: str, batch: int, ours: Ours, *, binary: bool) -> tuple[float, Cpu]:
    """The notary's SELECT, batch after batch (one transaction each), rows fetched and dropped."""
    last = 0
    with psycopg.connect(app_conninfo, autocommit=True) as conn, Cpu(os.getpid(), ours) as cpu:
        t0 = time.perf_counter()
        while True:
            with conn.transaction(), conn.cursor(binary=binary) as cur:
                rows = cur.execute(SELECT_EVENTS, (last, batch)).fetchall()
            if not rows:
                break
            last = rows[-1][0]
        seconds = time.perf_counter() - t0
    return seconds, cpu


def hash_baseline(app_conninfo: str, batch: int, parts: Parts) -> list[Batch]:
    """The notary's own loop over each batch (encode_leaf, leaf_hash, Frontier.append), timed
    alone: the reads are not counted. The rows it makes are kept for the COPY baseline, frozen
    out of the garbage collector's sight so that a growing heap does not slow the loop down."""
    frontier = Frontier()
    batches: list[Batch] = []
    last = 0
    with psycopg.connect(app_conninfo, autocommit=True) as conn:
        while True:
            with conn.transaction():
                rows = conn.execute(SELECT_EVENTS, (last, batch)).fetchall()
            if not rows:
                break
            t0 = time.perf_counter()
            leaves: list[tuple[Any, ...]] = []
            nodes: list[tuple[int, int, bytes]] = []
            for position, originator_id, version, topic, state in rows:
                index = frontier.size
                hashed = leaf_hash(
                    encode_leaf(position, originator_id, version, topic, bytes(state))
                )
                nodes.extend(
                    (level, idx, digest)
                    for (level, idx), digest in frontier.append(hashed)
                    if level
                )
                leaves.append((index, position, originator_id, version, hashed))
            parts.hash_seconds += time.perf_counter() - t0
            batches.append((leaves, nodes))
            last = rows[-1][0]
            del rows
            gc.freeze()
    parts.events = sum(len(leaves) for leaves, _ in batches)
    parts.nodes = sum(len(nodes) for _, nodes in batches)
    parts.root = frontier.root()
    return batches


def copy_baseline(database: Database, app_role: str, parts: Parts, batches: list[Batch]) -> None:
    """COPY the same leaf and node rows as the app role, one transaction per batch as the notary
    does, into scratch tables with the columns and indexes of ledger_leaves / ledger_tree_nodes."""
    with psycopg.connect(database.owner_conninfo, autocommit=True) as owner:
        owner.execute("CREATE TABLE bench_leaves (LIKE ledger_leaves INCLUDING ALL)")
        owner.execute("CREATE TABLE bench_nodes (LIKE ledger_tree_nodes INCLUDING ALL)")
        owner.execute(
            sql.SQL("GRANT SELECT, INSERT ON bench_leaves, bench_nodes TO {}").format(
                sql.Identifier(app_role)
            )
        )
    copy_leaves = sql.SQL(COPY_LEAVES).format(sql.Identifier("bench_leaves"))
    copy_nodes = sql.SQL(COPY_NODES).format(sql.Identifier("bench_nodes"))
    checkpointer(database.owner_conninfo)()
    with psycopg.connect(database.app_conninfo, autocommit=True) as conn:
        for leaves, nodes in batches:
            t0 = time.perf_counter()
            with conn.transaction():
                with conn.cursor() as cur, cur.copy(copy_leaves) as copy:
                    copy.set_types(LEAF_TYPES)
                    for leaf in leaves:
                        copy.write_row(leaf)
                t1 = time.perf_counter()
                with conn.cursor() as cur, cur.copy(copy_nodes) as copy:
                    copy.set_types(NODE_TYPES)
                    for node in nodes:
                        copy.write_row(node)
            t2 = time.perf_counter()
            parts.copy_leaves_seconds += t1 - t0
            parts.copy_nodes_seconds += t2 - t1
    with psycopg.connect(database.owner_conninfo, autocommit=True) as owner:
        owner.execute("DROP TABLE bench_leaves, bench_nodes")


def baselines(
    database: Database, app_role: str, ours: Ours, checkpoint: Callable[[], None]
) -> Parts:
    """Each part in turn: the read (text, then binary), the hashing loop, the COPYs."""
    parts = Parts()
    log("(1) baselines: raw read ...")
    checkpoint()
    parts.read_seconds, cpu = read_baseline(
        database.app_conninfo, DEFAULT_BATCH, ours, binary=False
    )
    parts.read_note = cpu_note(cpu)
    parts.read_binary_seconds, _ = read_baseline(
        database.app_conninfo, DEFAULT_BATCH, ours, binary=True
    )
    log("(1) baselines: the notary's hashing loop ...")
    batches = hash_baseline(database.app_conninfo, DEFAULT_BATCH, parts)
    log("(1) baselines: raw COPY of the leaf and node rows ...")
    try:
        copy_baseline(database, app_role, parts, batches)
    finally:
        del batches
        gc.unfreeze()
        gc.collect()
    return parts
