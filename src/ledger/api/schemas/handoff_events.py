"""Hand-offs to and from another jurisdiction's ledger, as `POST /cases/{id}/events` takes them.

The reference to the other ledger's event is what that ledger serves, copied as is: the event's
`position` and `version` (`GET /cases/{id}/events`), its leaf's `entry` (`GET
/audit/leaves/<leaf_index>`, base64), and the inclusion proof with its checkpoint (`GET
/audit/proofs/inclusion?position=P`: `leaf_index`, `tree_size`, `audit_path` in hex, the signed
`checkpoint` note). A reference whose leaf and proof do not hold together is refused (400);
the rules that need no crypto are the domain's (422 `handoff.*`), and the signature is checked
by whoever pins the other log's key (`ledger.log.handoff_refs`).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from msgspec import Meta

from ledger.api.schemas.case_events import EventRequest
from ledger.api.schemas.fields import PLAIN, Name, Strict, Text, When, check_range
from ledger.domain.handoffs.records import LogReference
from ledger.log.handoff_refs import proof_failures

Origin = Annotated[str, Meta(min_length=1, max_length=200, pattern=r"^[^\s+]+$")]
"""A C2SP log origin (`LEDGER_ORIGIN` of the other ledger): no spaces, no `+`."""
Hash = Annotated[str, Meta(min_length=64, max_length=64, pattern=r"^[0-9a-f]{64}$")]
Position = Annotated[int, Meta(ge=1, le=2**62)]


class LogReferenceIn(Strict, kw_only=True):
    """An event in another jurisdiction's log with its inclusion proof (`LogReference`)."""

    origin: Origin
    case_id: UUID
    case_no: Name | None = None
    version: Position
    position: Position
    leaf_index: Annotated[int, Meta(ge=0, le=2**62)]
    tree_size: Position
    entry: Annotated[bytes, Meta(min_length=1, max_length=32_768)]
    audit_path: Annotated[list[Hash], Meta(max_length=64)]
    checkpoint: Annotated[str, Meta(min_length=1, max_length=8_192, pattern=PLAIN)]

    def __post_init__(self) -> None:
        if failures := proof_failures(self.to_domain()):
            raise ValueError("the reference does not hold: " + "; ".join(failures))

    def to_domain(self) -> LogReference:
        return LogReference(
            origin=self.origin,
            case_id=self.case_id,
            case_no=self.case_no,
            version=self.version,
            position=self.position,
            leaf_index=self.leaf_index,
            tree_size=self.tree_size,
            entry=self.entry,
            audit_path=[bytes.fromhex(h) for h in self.audit_path],
            checkpoint=self.checkpoint,
        )


class HandedOffAcross(EventRequest, tag=True, kw_only=True):
    """A hand-off to a unit of another jurisdiction's ledger (`to_origin`: its log's origin)."""

    to_origin: Origin
    to_department: Name
    reason: Text
    to_centre: Name | None = None
    to_window: Name | None = None


class HandOffReceived(EventRequest, tag=True, kw_only=True):
    """A case handed in from another jurisdiction: the sender's `HandedOffAcross`, as its
    ledger shows it (`handoff_id`, `from_department`, `from_window`, `reason`, the actor's id
    as `handed_off_by`, its `occurred_at` as `handed_off_at`), and the reference proving it."""

    handoff_id: UUID
    from_department: Name
    reason: Text
    handed_off_by: Name
    handed_off_at: When
    sender: LogReferenceIn
    from_window: Name | None = None

    def __post_init__(self) -> None:
        check_range(handed_off_at=self.handed_off_at)


class HandOffAcknowledged(EventRequest, tag=True, kw_only=True):
    """The receiving ledger's `HandOffReceived` for a hand-off across, recorded on the sending
    case."""

    handoff_id: UUID
    receiver: LogReferenceIn
