"""Verification an auditor runs: a case bundle offline, or the whole log against its checkpoints.

Both recompute every leaf from the payload as stored and trust only the log's public keys, never
a hash the server claims. Each failure names the event (version, leaf, position) and the check.

An auditor pins one key or several (the current one and those a rotation retired): a checkpoint
must carry a valid signature by at least one pinned key, and every signature it carries by a
pinned key must be valid (as golang.org/x/mod/sumdb/note's Open requires).
"""

from __future__ import annotations

import base64
import binascii
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import msgspec
import psycopg

from ledger.log.bundles import BUNDLE_FORMAT, CaseBundle
from ledger.log.heads import HeadMap, HeadsError, proven_head, root_from_extensions
from ledger.log.leaf import encode_leaf
from ledger.log.merkle.frontier import Frontier
from ledger.log.merkle.proofs import verify_inclusion
from ledger.log.merkle.tree import leaf_hash
from ledger.log.signed_note import Checkpoint as SignedCheckpoint
from ledger.log.signed_note import NoteError, Verifier, verify_checkpoint

PinnedVerifiers = Verifier | Sequence[Verifier]
"""One pinned key, or several: any of them may have signed a checkpoint."""


@dataclass
class Report:
    """What was checked and what failed; `ok` only when nothing failed."""

    checked: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """What could not be proven either way (e.g. completeness under an old checkpoint)."""

    @property
    def ok(self) -> bool:
        return not self.failures


def verify_pinned_checkpoint(
    note: str, verifiers: PinnedVerifiers, origin: str
) -> tuple[SignedCheckpoint, list[Verifier]]:
    """The checkpoint `note` and the pinned keys that signed it; NoteError unless at least one
    pinned key signed it and every signature by a pinned key verifies."""
    pinned = [verifiers] if isinstance(verifiers, Verifier) else list(verifiers)
    if not pinned:
        raise NoteError("no public key pinned")
    claimed = _claimed_keys(note)
    signers = [v for v in pinned if (v.name, v.key_id) in claimed]
    if not signers:  # let the one key explain, or name them all
        if len(pinned) == 1:
            verify_checkpoint(note, pinned[0], expected_origin=origin)
        keys = ", ".join(f"{v.name}+{v.key_id:08x}" for v in pinned)
        raise NoteError(f"note has no signature by any pinned key ({keys})")
    checkpoints = {verify_checkpoint(note, v, expected_origin=origin) for v in signers}
    return checkpoints.pop(), signers


def _claimed_keys(note: str) -> set[tuple[str, int]]:
    """(name, key id) of each well-formed signature line; the verifier re-checks everything."""
    claimed = set()
    for line in note[note.rfind("\n\n") + 2 :].splitlines():
        name, _, b64 = line.removeprefix("— ").partition(" ")
        try:
            raw = base64.b64decode(b64, validate=True)
        except binascii.Error:
            continue
        if len(raw) >= 4:
            claimed.add((name, int.from_bytes(raw[:4], "big")))
    return claimed


def verify_bundle(data: bytes, verifier: PinnedVerifiers) -> Report:
    report = Report()
    try:
        bundle = msgspec.json.decode(data, type=CaseBundle)
    except msgspec.DecodeError as e:
        report.failures.append(f"bundle: not a case bundle ({e})")
        return report
    check_bundle(bundle, verifier, report)
    return report


def check_bundle(bundle: CaseBundle, verifier: PinnedVerifiers, report: Report) -> None:
    """Add to `report` what checking `bundle` against the log's pinned keys found."""
    if bundle.format != BUNDLE_FORMAT:
        report.failures.append(f"bundle: unknown format {bundle.format!r}")
        return
    try:
        checkpoint, signers = verify_pinned_checkpoint(bundle.checkpoint, verifier, bundle.origin)
    except NoteError as e:
        report.failures.append(f"checkpoint: {e}")
        return
    if checkpoint.size != bundle.tree_size or checkpoint.root.hex() != bundle.root_hash:
        report.failures.append("checkpoint: signed size/root differ from the bundle's")
    report.checked.append(
        f"checkpoint signed by {_names(signers)}: origin {checkpoint.origin}, "
        f"tree size {checkpoint.size}, root {checkpoint.root.hex()}"
    )
    for event in bundle.events:
        where = f"version {event.version} (leaf {event.leaf_index}, position {event.position})"
        if event.payload is None or event.topic is None:
            report.failures.append(f"{where}: the stored event is missing")
            continue
        try:
            payload = base64.b64decode(event.payload, validate=True)
        except binascii.Error:
            report.failures.append(f"{where}: payload is not valid base64")
            continue
        recomputed = leaf_hash(
            encode_leaf(event.position, bundle.case_id, event.version, event.topic, payload)
        )
        if recomputed.hex() != event.leaf_hash:
            report.failures.append(f"{where}: the stored event differs from the sealed leaf")
        try:
            path = [bytes.fromhex(h) for h in event.audit_path]
        except ValueError:
            report.failures.append(f"{where}: audit path is not hex")
            continue
        if not verify_inclusion(
            recomputed, event.leaf_index, checkpoint.size, path, checkpoint.root
        ):
            report.failures.append(f"{where}: inclusion proof does not reach the signed root")
    versions = sorted(e.version for e in bundle.events)
    if versions != list(range(1, len(versions) + 1)):
        missing = sorted(set(range(1, (versions[-1] if versions else 0) + 1)) - set(versions))
        report.failures.append(
            f"case {bundle.case_id}: versions are not complete 1..n "
            f"(missing {missing[:10]}, duplicates {len(versions) - len(set(versions))})"
        )
    report.checked.append(
        f"case {bundle.case_id}: {len(bundle.events)} events, versions 1..{len(versions)}"
    )
    _check_complete(bundle, checkpoint, report)


def _check_complete(bundle: CaseBundle, checkpoint: SignedCheckpoint, report: Report) -> None:
    """The bundle holds every event of its case as of the checkpoint: the head the checkpoint's
    head map signs for the case is the bundle's last event (`ledger.log.heads`)."""
    try:
        root = root_from_extensions(checkpoint.extensions)
    except HeadsError as e:
        report.failures.append(f"checkpoint: {e}")
        return
    if root is None:
        report.warnings.append(
            f"checkpoint of size {checkpoint.size} predates head maps: the events are proven "
            "to be in the log, not to be all of the case's"
        )
        return
    if bundle.heads is None:
        report.failures.append("heads: the checkpoint signs case heads; the bundle has no proof")
        return
    try:
        bucket = base64.b64decode(bundle.heads.bucket, validate=True)
        path = [bytes.fromhex(h) for h in bundle.heads.audit_path]
        head = proven_head(bundle.case_id, bucket, path, root)
    except (binascii.Error, ValueError) as e:  # HeadsError is a ValueError
        report.failures.append(f"heads: {e}")
        return
    last = max(bundle.events, key=lambda e: e.version, default=None)
    if head is None:
        report.failures.append(f"heads: the checkpoint has no head for case {bundle.case_id}")
    elif last is None or (head.version, head.leaf_index) != (last.version, last.leaf_index):
        held = "none" if last is None else f"version {last.version} at leaf {last.leaf_index}"
        report.failures.append(
            f"case {bundle.case_id}: incomplete: the checkpoint's head is version "
            f"{head.version} at leaf {head.leaf_index}; the bundle's last event is {held}"
        )
    elif bundle.case_version is not None and bundle.case_version != head.version:
        report.failures.append(
            f"case {bundle.case_id}: the bundle claims version {bundle.case_version}; "
            f"the checkpoint's head is version {head.version}"
        )
    else:
        report.checked.append(
            f"case {bundle.case_id}: complete as of tree size {checkpoint.size} "
            f"(signed head: version {head.version}, leaf {head.leaf_index})"
        )


@dataclass
class _Tree:
    """What `verify_database` re-derives as it walks the leaves: the tree the notary stored,
    the tree the events give, and the head map of the stored leaves."""

    stored: Frontier = field(default_factory=Frontier)
    recomputed: Frontier = field(default_factory=Frontier)
    heads: HeadMap = field(default_factory=HeadMap)
    with_heads: int = 0


@dataclass(frozen=True)
class _Leaf:
    index: int
    position: int
    case_id: UUID
    version: int
    hash: bytes


def verify_database(conninfo: str, verifier: PinnedVerifiers, origin: str) -> Report:
    """Re-derive every leaf from ledger_events and the tree from them; compare both with what the
    notary stored and with every signed checkpoint, each signed by one of the pinned keys."""
    report = Report()
    tree = _Tree()
    stored, recomputed = tree.stored, tree.recomputed
    signed_by: Counter[str] = Counter()
    with psycopg.connect(conninfo) as conn:
        checkpoints = conn.execute(
            "SELECT tree_size, root_hash, note FROM ledger_checkpoints ORDER BY tree_size"
        ).fetchall()
        pending = iter(checkpoints)
        next_checkpoint = next(pending, None)
        while next_checkpoint is not None and next_checkpoint[0] == 0:  # the empty log's
            _check_checkpoint(report, next_checkpoint, verifier, origin, tree, signed_by)
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
                event = next(events, None)
            stored.append(leaf.hash)
            recomputed.append(derived if derived is not None else b"\0" * 32)
            tree.heads.fold(leaf.case_id, leaf.version, leaf.index)
            while next_checkpoint is not None and next_checkpoint[0] == stored.size:
                _check_checkpoint(report, next_checkpoint, verifier, origin, tree, signed_by)
                next_checkpoint = next(pending, None)
        if next_checkpoint is not None:
            report.failures.append(
                f"checkpoint of size {next_checkpoint[0]}: the tree has only {stored.size} leaves"
            )
        unsealed = sum(1 for _ in events) + (event is not None)
    for key, count in signed_by.items():
        report.checked.append(f"{count} checkpoints signed by {key}")
    report.checked.append(
        f"{stored.size} leaves re-derived from stored events; {len(checkpoints)} checkpoints; "
        f"{unsealed} events not sealed yet"
    )
    report.checked.append(f"case heads re-derived for {tree.with_heads} checkpoints that sign them")
    return report


def _check_checkpoint(
    report: Report,
    row: tuple[Any, ...],
    verifier: PinnedVerifiers,
    origin: str,
    tree: _Tree,
    signed_by: Counter[str],
) -> None:
    size, root, note = row
    try:
        signed, signers = verify_pinned_checkpoint(str(note), verifier, origin)
    except NoteError as e:
        report.failures.append(f"checkpoint of size {size}: {e}")
        return
    signed_by[_names(signers)] += 1
    if signed.size != size or signed.root != bytes(root):
        report.failures.append(f"checkpoint of size {size}: its row differs from its signed note")
    stored, recomputed = tree.stored, tree.recomputed
    if stored.root() != signed.root:
        report.failures.append(f"checkpoint of size {size}: the stored leaves do not give its root")
    try:
        heads = root_from_extensions(signed.extensions)
    except HeadsError as e:
        report.failures.append(f"checkpoint of size {size}: {e}")
    else:
        if heads is not None:
            tree.with_heads += 1
            if heads != tree.heads.root():
                report.failures.append(
                    f"checkpoint of size {size}: its case heads differ from the leaves' heads"
                )
    if recomputed.root() != signed.root:
        report.failures.append(
            f"checkpoint of size {size}: the stored events no longer give its signed root"
        )


def _names(signers: list[Verifier]) -> str:
    return ", ".join(f"{v.name}+{v.key_id:08x}" for v in signers)


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
