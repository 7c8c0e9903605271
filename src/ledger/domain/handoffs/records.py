"""What a hand-off's events build: `HandOff`, one transfer of custody between units; and, for a
hand-off to another jurisdiction's ledger, the references each log keeps of the other's event."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import msgspec


class HandOffStatus(StrEnum):
    PENDING = "pending"
    SIGNED_FOR = "signed_for"
    RETURNED = "returned"


class CaseReference(msgspec.Struct, frozen=True, kw_only=True):
    """An event of a case in another jurisdiction's ledger: its log (`origin`, the C2SP name of
    that ledger's verifiable log), the case, the event's version and the leaf that seals it."""

    origin: str
    case_id: UUID
    case_no: str | None = None
    version: int
    leaf_index: int


class LogReference(CaseReference, frozen=True, kw_only=True):
    """A `CaseReference` with what proves it, as the other ledger serves them: the event's log
    `position`, the leaf's canonical bytes (`entry`, `case-ledger/leaf/v1`, from
    `GET /audit/leaves/<leaf_index>`), the RFC 9162 inclusion proof of that leaf (`audit_path`)
    in the tree of `tree_size` leaves, and that tree's signed checkpoint (the note, with its
    signatures). An auditor checks it with only the other log's pinned key: the note's signature
    and origin, SHA-256(0x00 || entry) up the path to the note's root, and the entry's case,
    version and content (`ledger.log.handoff_refs`). The domain checks what needs no crypto."""

    position: int
    tree_size: int
    entry: bytes
    audit_path: list[bytes]
    checkpoint: str

    def case_reference(self) -> CaseReference:
        return CaseReference(
            origin=self.origin,
            case_id=self.case_id,
            case_no=self.case_no,
            version=self.version,
            leaf_index=self.leaf_index,
        )


class HandOff(msgspec.Struct, kw_only=True):
    handoff_id: UUID
    from_department: str
    from_window: str | None
    to_department: str
    to_window: str | None
    to_officer: str | None
    reason: str
    handed_off_by: str
    handed_off_at: datetime
    status: HandOffStatus = HandOffStatus.PENDING
    settled_by: str | None = None
    settled_at: datetime | None = None
    return_reason: str | None = None
    to_origin: str | None = None
    """A hand-off out to another jurisdiction's ledger: that ledger's log origin."""
    from_origin: str | None = None
    """A hand-off in from another jurisdiction's ledger: the sender's log origin."""
    counterpart: CaseReference | None = None
    """The other ledger's event of the same hand-off: for a hand-off out, the receiving case's
    `HandOffReceived` (once acknowledged); for one in, the sender's `HandedOffAcross`."""
