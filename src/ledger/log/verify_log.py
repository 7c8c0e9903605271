"""The operator's and the auditor's check of the whole log in the database.

Re-derives every leaf from `ledger_events`, the tree and the head map from the leaves, and
compares them with what the notary stored and with every signed checkpoint, each signed by one
of the pinned keys. Trusts nothing the database says about itself but the events' bytes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg

from ledger.log.handoff_refs import check_reference, holds_reference
from ledger.log.heads import HeadMap, HeadsError, root_from_extensions
from ledger.log.leaf import encode_leaf
from ledger.log.merkle.frontier import Frontier
from ledger.log.merkle.tree import leaf_hash
from ledger.log.signed_note import Checkpoint as SignedCheckpoint
from ledger.log.signed_note import NoteError
from ledger.log.verify import (
    PinnedVerifiers,
    Report,
    Witnesses,
    check_cosigned,
    names_of,
    verify_pinned_checkpoint,
)

UNWITNESSED_TOLERANCE = 60.0
"""Seconds of checkpoints after the newest one a quorum of pinned witnesses cosigned that
`verify --database` accepts as cosigning in progress; past it, the witnesses refused the log."""


@dataclass
class _Walk:
    """What `verify_database` re-derives as it walks the leaves, and what it checks each signed
    checkpoint against: the tree the notary stored, the tree the events give, the head map of
    the stored leaves; the pinned keys and witnesses, and a checkpoint the auditor kept."""

    report: Report
    verifier: PinnedVerifiers
    origin: str
    witnesses: Witnesses | None
    since: SignedCheckpoint | None
    stored: Frontier = field(default_factory=Frontier)
    recomputed: Frontier = field(default_factory=Frontier)
    heads: HeadMap = field(default_factory=HeadMap)
    with_heads: int = 0
    signed_by: Counter[str] = field(default_factory=Counter)
    witnessed: list[int] = field(default_factory=list)
    witnessed_at: datetime | None = None
    newest_at: datetime | None = None
    unwitnessed_tolerance: float = UNWITNESSED_TOLERANCE
    references: list[tuple[str, str, bytes]] = field(default_factory=list)
    """The sealed events holding another log's reference: where, topic, stored payload."""

    def check_references(self, peers: Mapping[str, PinnedVerifiers]) -> None:
        for where, topic, payload in self.references:
            check_reference(where, topic, payload, self.origin, peers, self.report)

    def check(self, row: tuple[Any, ...]) -> None:
        """One stored checkpoint (size, root, note, cosignature lines) against the tree so far."""
        size, root, note, cosignatures, created_at = row
        self.newest_at = created_at
        report = self.report
        try:
            signed, signers = verify_pinned_checkpoint(str(note), self.verifier, self.origin)
        except NoteError as e:
            report.failures.append(f"checkpoint of size {size}: {e}")
            return
        self.signed_by[names_of(signers)] += 1
        if signed.size != size or signed.root != bytes(root):
            report.failures.append(
                f"checkpoint of size {size}: its row differs from its signed note"
            )
        if self.stored.root() != signed.root:
            report.failures.append(
                f"checkpoint of size {size}: the stored leaves do not give its root"
            )
        if self.recomputed.root() != signed.root:
            report.failures.append(
                f"checkpoint of size {size}: the stored events no longer give its signed root"
            )
        try:
            heads = root_from_extensions(signed.extensions)
        except HeadsError as e:
            report.failures.append(f"checkpoint of size {size}: {e}")
        else:
            if heads is not None:
                self.with_heads += 1
                if heads != self.heads.root():
                    report.failures.append(
                        f"checkpoint of size {size}: its case heads differ from the leaves' heads"
                    )
        if self.witnesses is not None and cosignatures:
            quiet = Report()  # a checkpoint short of a quorum is normal: witnesses skip some
            if check_cosigned(str(note) + cosignatures, self.witnesses, quiet, ""):
                self.witnessed.append(size)
                self.witnessed_at = created_at
            report.failures.extend(
                f"checkpoint of size {size}{f}" for f in quiet.failures if "fewer than" not in f
            )

    def grew(self) -> None:
        """Called after each leaf: at the size of the checkpoint the auditor kept, same root."""
        if self.since is not None and self.stored.size == self.since.size:
            if self.stored.root() == self.since.root:
                self.report.checked.append(
                    f"since: the tree of size {self.since.size} you hold is a prefix of this log"
                )
            else:
                self.report.failures.append(
                    f"since: at size {self.since.size} this log has another root than the "
                    "checkpoint you hold: history was rewritten"
                )

    def summary(self, checkpoints: int, unsealed: int) -> None:
        report = self.report
        for key, count in self.signed_by.items():
            report.checked.append(f"{count} checkpoints signed by {key}")
        report.checked.append(
            f"{self.stored.size} leaves re-derived from stored events; {checkpoints} checkpoints; "
            f"{unsealed} events not sealed yet"
        )
        report.checked.append(
            f"case heads re-derived for {self.with_heads} checkpoints that sign them"
        )
        if self.since is not None and self.since.size > self.stored.size:
            report.failures.append(
                f"since: the log has {self.stored.size} leaves, fewer than the {self.since.size} "
                "of the checkpoint you hold: it was rolled back"
            )
        if self.witnesses is None:
            return
        if not self.witnessed:
            report.failures.append("witnesses: no checkpoint is cosigned by a quorum of them")
            return
        newest = self.witnessed[-1]
        report.checked.append(
            f"witnesses: {len(self.witnessed)} checkpoints cosigned by a quorum, the newest of "
            f"size {newest}"
        )
        if newest >= self.stored.size:
            return
        assert self.newest_at is not None and self.witnessed_at is not None
        lag = (self.newest_at - self.witnessed_at).total_seconds()
        unwitnessed = (
            f"witnesses: the {self.stored.size - newest} newest leaves are in no checkpoint a "
            f"quorum cosigned; the log signed checkpoints for {lag:.0f} s after the newest one "
            "they cosigned"
        )
        if lag > self.unwitnessed_tolerance:
            report.failures.append(
                f"{unwitnessed}, more than {self.unwitnessed_tolerance:g} s: the witnesses "
                "refused the log (a rollback or a fork: see their `witness.inconsistent` logs) "
                "or cannot be reached"
            )
        else:
            report.warnings.append(f"{unwitnessed} (cosigning follows within seconds)")


@dataclass(frozen=True)
class _Leaf:
    index: int
    position: int
    case_id: UUID
    version: int
    hash: bytes


_CHECKPOINTS = (  # each with the cosignature lines stored for it (migration 0010)
    "SELECT c.tree_size, c.root_hash, c.note, "
    "coalesce(string_agg(s.line || E'\\n', '' ORDER BY s.witness), ''), c.created_at "
    "FROM ledger_checkpoints c LEFT JOIN ledger_cosignatures s USING (tree_size) "
    "GROUP BY c.tree_size ORDER BY c.tree_size"
)


def verify_database(
    conninfo: str,
    verifier: PinnedVerifiers,
    origin: str,
    *,
    witnesses: Witnesses | None = None,
    since: str | None = None,
    unwitnessed_tolerance: float = UNWITNESSED_TOLERANCE,
    peers: Mapping[str, PinnedVerifiers] | None = None,
) -> Report:
    """Re-derive every leaf from ledger_events and the tree and head map from them; compare them
    with what the notary stored and with every signed checkpoint, each signed by one of the
    pinned keys; count the pinned witnesses' cosignatures; check a checkpoint kept from before
    is a prefix of the log; check every sealed cross-jurisdiction hand-off's reference to the
    other log against that log's pinned keys in `peers` (by origin; none pinned: a warning).
    One REPEATABLE READ snapshot: a log being written to meanwhile is checked as of one moment,
    never half before and half after an append."""
    report = Report()
    held = None
    if since is not None:
        try:
            held, _ = verify_pinned_checkpoint(since, verifier, origin)
        except NoteError as e:
            report.failures.append(f"since: the checkpoint you hold does not verify: {e}")
    walk = _Walk(report, verifier, origin, witnesses, held)
    walk.unwitnessed_tolerance = unwitnessed_tolerance
    stored, recomputed = walk.stored, walk.recomputed
    with psycopg.connect(conninfo) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        checkpoints = conn.execute(_CHECKPOINTS).fetchall()
        pending = iter(checkpoints)
        next_checkpoint = next(pending, None)
        walk.grew()  # a held checkpoint of size 0
        while next_checkpoint is not None and next_checkpoint[0] == 0:  # the empty log's
            walk.check(next_checkpoint)
            next_checkpoint = next(pending, None)
        events = _events(conn)
        event = next(events, None)
        for leaf in _leaves(conn):
            where = (
                f"leaf {leaf.index} (position {leaf.position}, case {leaf.case_id} v{leaf.version})"
            )
            while event is not None and event[0] < leaf.position:
                report.failures.append(
                    f"position {event[0]} (case {event[1]} v{event[2]}): an event appeared "
                    "among sealed positions after they were sealed"
                )
                event = next(events, None)
            if event is None or event[0] != leaf.position:
                report.failures.append(f"{where}: the stored event is missing (deleted)")
                derived = None
            else:
                position, case_id, version, topic, payload = event
                derived = leaf_hash(encode_leaf(position, case_id, version, topic, payload))
                if (case_id, version) != (leaf.case_id, leaf.version) or derived != leaf.hash:
                    report.failures.append(f"{where}: the stored event was altered after sealing")
                elif holds_reference(topic):
                    walk.references.append((where, topic, payload))
                event = next(events, None)
            stored.append(leaf.hash)
            recomputed.append(derived if derived is not None else b"\0" * 32)
            walk.heads.fold(leaf.case_id, leaf.version, leaf.index)
            walk.grew()
            while next_checkpoint is not None and next_checkpoint[0] == stored.size:
                walk.check(next_checkpoint)
                next_checkpoint = next(pending, None)
        if next_checkpoint is not None:
            report.failures.append(
                f"checkpoint of size {next_checkpoint[0]}: the tree has only {stored.size} leaves"
            )
        unsealed = sum(1 for _ in events) + (event is not None)
    walk.summary(len(checkpoints), unsealed)
    walk.check_references(peers or {})
    return report


def _rows(
    conn: psycopg.Connection[tuple[Any, ...]], name: str, query: str
) -> Iterator[tuple[Any, ...]]:
    """Every row of `query`, streamed through server-side cursor `name` (the log may be large)."""
    with conn.cursor(name=name) as cur:
        cur.itersize = 10_000
        cur.execute(query)
        yield from cur


def _leaves(conn: psycopg.Connection[tuple[Any, ...]]) -> Iterator[_Leaf]:
    for index, position, case_id, version, digest in _rows(
        conn,
        "leaves",
        "SELECT leaf_index, position, originator_id, originator_version, leaf_hash "
        "FROM ledger_leaves ORDER BY leaf_index",
    ):
        yield _Leaf(index, position, case_id, version, bytes(digest))


def _events(conn: psycopg.Connection[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    for position, case_id, version, topic, state in _rows(
        conn,
        "events",
        "SELECT notification_id, originator_id, originator_version, topic, state "
        "FROM ledger_events ORDER BY notification_id",
    ):
        yield position, case_id, version, topic, bytes(state)
