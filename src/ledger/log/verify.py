"""Verification an auditor runs: a case bundle offline, or the whole log against its checkpoints.

Both recompute every leaf from the payload as stored and trust only the log's public keys, never
a hash the server claims. Each failure names the event (version, leaf, position) and the check.

An auditor pins one key or several (the current one and those a rotation retired): a checkpoint
must carry a valid signature by at least one pinned key, and every signature it carries by a
pinned key must be valid (as golang.org/x/mod/sumdb/note's Open requires). An auditor may also
pin witnesses (`Witnesses`): then the checkpoint must carry cosignatures by a quorum of them,
which is what makes a rollback or a fork (a second history shown to someone else) detectable by
someone who never saw an earlier checkpoint. One who did keeps it and checks, with `since`, that
the log only grew from it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import msgspec

from ledger.log.bundles import BUNDLE_FORMAT, CaseBundle, ConsistencyProof
from ledger.log.cosignature import CosignatureVerifier, require_cosigners
from ledger.log.heads import HeadsError, proven_head, root_from_extensions
from ledger.log.leaf import encode_leaf
from ledger.log.merkle.proofs import verify_consistency, verify_inclusion
from ledger.log.merkle.tree import leaf_hash
from ledger.log.signed_note import Checkpoint as SignedCheckpoint
from ledger.log.signed_note import NoteError, Verifier, verify_checkpoint

PinnedVerifiers = Verifier | Sequence[Verifier]
"""One pinned key, or several: any of them may have signed a checkpoint."""


@dataclass(frozen=True)
class Witnesses:
    """The witnesses an auditor pins, and how many of them must have cosigned a checkpoint."""

    keys: tuple[CosignatureVerifier, ...]
    quorum: int


def check_cosigned(note: str, witnesses: Witnesses, report: Report, where: str) -> bool:
    """Whether a quorum of the pinned witnesses cosigned `note`; a forged line is a failure."""
    try:
        found = require_cosigners(note, witnesses.keys, witnesses.quorum)
    except NoteError as e:
        report.failures.append(f"{where}: {e}")
        return False
    stamps = ", ".join(
        f"{v.witness} at {datetime.fromtimestamp(t, UTC):%Y-%m-%dT%H:%M:%SZ}" for v, t in found
    )
    report.checked.append(f"{where}: cosigned by {len(found)} pinned witnesses ({stamps})")
    return True


def check_grew(
    old_note: str,
    verifier: PinnedVerifiers,
    new: SignedCheckpoint,
    proof: ConsistencyProof | None,
    report: Report,
) -> None:
    """The tree `new` extends the one of the checkpoint `old_note` an auditor kept (RFC 9162
    consistency): no event it held was removed or changed, whatever was appended since."""
    try:
        old, _ = verify_pinned_checkpoint(old_note, verifier, new.origin)
    except NoteError as e:
        report.failures.append(f"since: the checkpoint you hold does not verify: {e}")
        return
    where = f"since: from tree size {old.size} to {new.size}"
    if old.size > new.size:
        report.failures.append(
            f"{where}: the log is smaller than the checkpoint you hold (rolled back, or this "
            "is an older checkpoint than yours)"
        )
    elif old.size == new.size:
        if old.root != new.root:
            report.failures.append(f"{where}: same size, different root: the log forked")
        else:
            report.checked.append(f"{where}: the same tree")
    elif proof is None or proof.old_size != old.size:
        report.failures.append(
            f"{where}: the bundle carries no consistency proof from size {old.size} "
            f"(fetch it with ?since={old.size})"
        )
    else:
        try:
            hashes = [bytes.fromhex(h) for h in proof.proof]
        except ValueError:
            report.failures.append(f"{where}: consistency proof is not hex")
            return
        if verify_consistency(old.size, new.size, old.root, new.root, hashes):
            report.checked.append(f"{where}: consistent, the log only grew")
        else:
            report.failures.append(f"{where}: the consistency proof fails: the log was rewritten")


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


def verify_bundle(
    data: bytes,
    verifier: PinnedVerifiers,
    *,
    witnesses: Witnesses | None = None,
    since: str | None = None,
) -> Report:
    report = Report()
    try:
        bundle = msgspec.json.decode(data, type=CaseBundle)
    except msgspec.DecodeError as e:
        report.failures.append(f"bundle: not a case bundle ({e})")
        return report
    check_bundle(bundle, verifier, report, witnesses=witnesses, since=since)
    return report


def check_bundle(
    bundle: CaseBundle,
    verifier: PinnedVerifiers,
    report: Report,
    *,
    witnesses: Witnesses | None = None,
    since: str | None = None,
) -> None:
    """Add to `report` what checking `bundle` against the log's pinned keys (and the pinned
    witnesses, and a checkpoint held from before) found."""
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
        f"checkpoint signed by {names_of(signers)}: origin {checkpoint.origin}, "
        f"tree size {checkpoint.size}, root {checkpoint.root.hex()}"
    )
    if witnesses is not None:
        check_cosigned(bundle.checkpoint, witnesses, report, "checkpoint")
    if since is not None:
        check_grew(since, verifier, checkpoint, bundle.consistency, report)
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


def names_of(signers: list[Verifier]) -> str:
    return ", ".join(f"{v.name}+{v.key_id:08x}" for v in signers)
