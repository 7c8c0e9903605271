"""Checking a reference to another jurisdiction's log: a cross-jurisdiction hand-off's proof.

A hand-off between two jurisdictions' ledgers is an event in both logs, each carrying a
`LogReference` to the other's (`ledger.domain.handoffs`): the other log's origin, the case, the
event's version and position, the leaf's canonical bytes, its RFC 9162 inclusion proof and the
signed checkpoint of that tree. Two levels of checking, both offline:

- `proof_failures` needs no key: the leaf bytes name the referenced case, version and position,
  and hash up the audit path to the root the checkpoint states. The receiving ledger runs it on
  every reference it is given (a 400 otherwise), so a reference it stores is at least coherent.
- `verify_reference` is the auditor's: with the other log's pinned key(s), the checkpoint is
  that log's and signed by it; the proof holds; the leaf is the expected event type of the same
  hand-off and names the auditor's own log as its counterpart. Only then is the other side's
  record proven, and (with the other log's consistency proofs, as for any checkpoint) fixed.
  `check_references` runs it on every reference a case bundle holds (`ledger verify --peer-key`).
"""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec

from ledger.domain.handoffs.records import LogReference
from ledger.log.bundles import CaseBundle
from ledger.log.leaf import FORMAT
from ledger.log.merkle.proofs import verify_inclusion
from ledger.log.merkle.tree import leaf_hash
from ledger.log.signed_note import NoteError, parse_checkpoint, split_note
from ledger.log.verify import PinnedVerifiers, Report, verify_pinned_checkpoint

TOPIC_PREFIX = "ledger.domain.case:Case."
COUNTERPART_FIELD = {"HandedOffAcross": ("to_origin",), "HandOffReceived": ("sender", "origin")}
"""Where each side's event names the other side's log: a hand-off out names the receiving log,
a hand-off in the sender's reference (whose origin is the sending log)."""


@dataclass(frozen=True)
class LeafContent:
    """A leaf's canonical bytes (`case-ledger/leaf/v1`, `ledger.log.leaf`), taken apart."""

    position: int
    case_id: UUID
    version: int
    topic: str
    payload: bytes
    recorded_at: str


def decode_leaf(entry: bytes) -> LeafContent:
    """The fields `encode_leaf` packed; ValueError if `entry` is not exactly such a leaf."""
    if not entry.startswith(FORMAT):
        raise ValueError("not a case-ledger/leaf/v1 entry")
    try:
        at = len(FORMAT)
        (position,) = struct.unpack_from(">Q", entry, at)
        case_id = UUID(bytes=entry[at + 8 : at + 24])
        version, topic_len = struct.unpack_from(">QI", entry, at + 24)
        at += 36
        topic = entry[at : at + topic_len].decode()
        at += topic_len
        (payload_len,) = struct.unpack_from(">I", entry, at)
        payload = entry[at + 4 : at + 4 + payload_len]
        at += 4 + payload_len
        (recorded_len,) = struct.unpack_from(">I", entry, at)
        recorded_at = entry[at + 4 : at + 4 + recorded_len].decode()
        at += 4 + recorded_len
    except (struct.error, UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"malformed leaf entry ({e})") from None
    if at != len(entry) or len(payload) != payload_len or len(recorded_at.encode()) != recorded_len:
        raise ValueError("malformed leaf entry (lengths do not add up)")
    return LeafContent(position, case_id, version, topic, payload, recorded_at)


def proof_failures(reference: LogReference) -> list[str]:
    """What does not hold in `reference` without any key: empty if the leaf bytes are the
    referenced event's and the audit path takes them to the checkpoint's root."""
    try:
        leaf = decode_leaf(reference.entry)
    except ValueError as e:
        return [f"entry: {e}"]
    failures = [
        f"entry: its {name} is {found}, the reference says {said}"
        for name, found, said in (
            ("case id", leaf.case_id, reference.case_id),
            ("version", leaf.version, reference.version),
            ("position", leaf.position, reference.position),
        )
        if found != said
    ]
    try:
        checkpoint = parse_checkpoint(split_note(reference.checkpoint)[0])
    except NoteError as e:
        return [*failures, f"checkpoint: {e}"]
    if checkpoint.size != reference.tree_size:
        failures.append(
            f"checkpoint: {checkpoint.size} leaves, the reference says {reference.tree_size}"
        )
    elif not verify_inclusion(
        leaf_hash(reference.entry),
        reference.leaf_index,
        reference.tree_size,
        reference.audit_path,
        checkpoint.root,
    ):
        failures.append(
            f"audit_path: does not prove leaf {reference.leaf_index} in the checkpoint's tree"
        )
    return failures


def verify_reference(
    reference: LogReference,
    verifiers: PinnedVerifiers,
    *,
    event_type: str,
    handoff_id: UUID,
    counterpart_origin: str,
) -> Report:
    """Check, trusting only the other log's pinned key(s), that `reference` proves that log holds
    `event_type` of hand-off `handoff_id`, naming `counterpart_origin` (the checking side's log)
    as the other end."""
    report = Report()
    try:
        checkpoint, signers = verify_pinned_checkpoint(
            reference.checkpoint, verifiers, reference.origin
        )
    except NoteError as e:
        report.failures.append(f"checkpoint: {e}")
        return report
    report.checked.append(
        f"checkpoint of {reference.origin} at {checkpoint.size} leaves, signed by "
        + ", ".join(f"{v.name}+{v.key_id:08x}" for v in signers)
    )
    if failures := proof_failures(reference):
        report.failures += failures
        return report
    report.checked.append(
        f"leaf {reference.leaf_index}: case {reference.case_id} version {reference.version} "
        f"(position {reference.position}) is in that tree"
    )
    leaf = decode_leaf(reference.entry)
    if leaf.topic != TOPIC_PREFIX + event_type:
        report.failures.append(f"entry: a {leaf.topic}, not a {event_type}")
        return report
    try:
        payload: dict[str, Any] = msgspec.json.decode(leaf.payload)
    except msgspec.DecodeError:
        report.failures.append("entry: its payload is not JSON")
        return report
    if payload.get("handoff_id") != str(handoff_id):
        report.failures.append(f"entry: hand-off {payload.get('handoff_id')}, not {handoff_id}")
    named: Any = payload
    for key in COUNTERPART_FIELD[event_type]:
        named = named.get(key) if isinstance(named, dict) else None
    if named != counterpart_origin:
        report.failures.append(f"entry: names {named} as the other log, not {counterpart_origin}")
    if report.ok:
        report.checked.append(f"{event_type} of hand-off {handoff_id}, naming {counterpart_origin}")
    return report


class _Held(msgspec.Struct):
    """What an event holding the other log's reference stores, as far as checking it goes."""

    handoff_id: UUID
    sender: LogReference | None = None  # HandOffReceived
    receiver: LogReference | None = None  # HandOffAcknowledged


PROVES = {"HandOffReceived": "HandedOffAcross", "HandOffAcknowledged": "HandOffReceived"}
"""The events of a case that hold the other log's reference, and the event that reference must
prove there: a hand-off in proves the sender's hand-off out; an acknowledgement proves the
receiver's hand-off in."""


def check_references(
    bundle: CaseBundle, peers: Mapping[str, PinnedVerifiers], report: Report
) -> None:
    """Add to `report` the check of every other log's reference `bundle`'s events hold, with that
    log's pinned key(s) in `peers` (by origin). Run after the bundle itself verified: its events
    are then this log's record."""
    for event in bundle.events:
        if not holds_reference(event.topic or "") or event.payload is None:
            continue
        where = f"version {event.version}"
        try:
            raw = base64.b64decode(event.payload, validate=True)
        except binascii.Error as e:
            report.failures.append(f"{where}: its reference cannot be read ({e})")
            continue
        check_reference(where, event.topic or "", raw, bundle.origin, peers, report)


def holds_reference(topic: str) -> bool:
    """Whether an event of `topic` holds another log's reference (`PROVES`)."""
    return topic.removeprefix(TOPIC_PREFIX) in PROVES


def check_reference(
    where: str,
    topic: str,
    payload: bytes,
    own_origin: str,
    peers: Mapping[str, PinnedVerifiers],
    report: Report,
) -> None:
    """Add to `report` the check of the reference one event of this log (`own_origin`) holds:
    its `topic` and stored `payload` (JSON), named `where` in each line. A log with no key pinned
    in `peers` is a warning, not a pass."""
    proves = PROVES[topic.removeprefix(TOPIC_PREFIX)]
    try:
        stored = msgspec.json.decode(payload, type=_Held)
    except msgspec.DecodeError as e:
        report.failures.append(f"{where}: its reference cannot be read ({e})")
        return
    reference = stored.sender or stored.receiver
    if reference is None:
        report.failures.append(f"{where}: it holds no reference to the other log")
        return
    verifiers = peers.get(reference.origin)
    if verifiers is None:
        report.warnings.append(
            f"{where}: the reference to {reference.origin}'s log is not checked: no "
            "--peer-key of that log was given"
        )
        return
    found = verify_reference(
        reference,
        verifiers,
        event_type=proves,
        handoff_id=stored.handoff_id,
        counterpart_origin=own_origin,
    )
    report.checked += [f"{where}: {line}" for line in found.checked]
    report.failures += [f"{where}: {reference.origin}: {line}" for line in found.failures]
