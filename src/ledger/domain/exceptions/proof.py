"""An exception's approval as the case's events alone tell it: `describe_exception`.

A pure function of the decoded events of one case (in version order): the request (or the
request after the fact, with what was executed, by whom and when), each layer's decision (with
the holder a deputy stood in for, under AB岗), the outcome, the uses, the 承诺书 and the
post-audits, with the version of each step.
The server runs it to answer `GET /exceptions/{id}/proof`; `ledger verify` runs it again on the
events inside the exported proof, after checking each event's inclusion in the signed log, and
`proof_checks` judges what it describes, so an auditor need not trust the server's verdicts.

It reads events by attribute (`type(event).__name__`, `actor`, `occurred_at`, the event's fields),
so it works on `Case` events as decoded by the mapper and on crafted lists in tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from ledger.domain.exceptions.records import (
    Attendee,
    AuditFinding,
    BreachConsequence,
    CommitmentStatus,
    ExceptionKind,
    ExceptionStatus,
    PostAuditSelection,
    requested_fields,
)
from ledger.domain.policy import ApprovalPolicy
from ledger.domain.values import Decision, Role

USES = ("Accepted", "Completed")
"""The events that rely on a granted exception (`exception_id` on them)."""
REQUESTS = ("ExceptionRequested", "ExceptionRatificationRequested")
"""The events that ask for an exception: before it is executed, or after the fact."""
GRANTS = {
    "ExceptionGranted": ExceptionStatus.GRANTED,
    "ExceptionRatified": ExceptionStatus.RATIFIED,
}
REFUSALS = {
    "ExceptionRefused": ExceptionStatus.REFUSED,
    "ExceptionNotRatified": ExceptionStatus.NOT_RATIFIED,
}

# Fields added after proof format /1 default to nothing and are left out of the JSON when they
# hold it (`omit_defaults`), so an exception without them is described exactly as 0.1.0 did.


class ProofDecision(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    version: int
    layer: int
    decision: Decision
    approver: str
    approver_roles: tuple[Role, ...]  # as the credential held them when deciding
    role: Role  # the layer's role
    unit: str | None
    decided_at: datetime
    opinion: str
    attendees: list[Attendee]
    minutes_ref: str | None
    acting_for: str | None = None  # AB岗: the absent holder the approver stood in for


class ProofUse(msgspec.Struct, frozen=True, kw_only=True):
    """An acceptance or completion that relied on the exception."""

    version: int
    type: str
    by: str
    occurred_at: datetime


class ProofCommitment(msgspec.Struct, frozen=True, kw_only=True):
    commitment_id: UUID
    items: list[str]
    due_at: datetime
    signed_by: str
    signed_at: datetime
    status: CommitmentStatus
    settled_at: datetime | None
    consequence: BreachConsequence | None


class ProofAudit(msgspec.Struct, frozen=True, kw_only=True):
    version: int
    finding: AuditFinding
    auditor: str
    audited_at: datetime
    note: str


class ExceptionDescription(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What the events say about one exception, with the version of each step."""

    exception_id: UUID
    case_id: UUID
    case_no: str
    kind: ExceptionKind
    rule_waived: str
    basis: str
    justification: str
    waived_items: list[str]
    compensating_controls: list[str]
    policy: ApprovalPolicy
    requested_by: str
    requested_at: datetime
    status: ExceptionStatus
    decisions: list[ProofDecision]
    closed_at: datetime | None
    refused_at_layer: int | None
    withdrawn_reason: str | None
    uses: list[ProofUse]
    commitments: list[ProofCommitment]
    post_audit: PostAuditSelection | None
    post_audit_draw: float | None
    audits: list[ProofAudit]
    versions: list[int]
    """Every version of the case that concerns the exception."""
    after_the_fact: bool = False
    """Asked for once already executed (`ExceptionRatificationRequested`): its layers ratify it."""
    executed_by: str | None = None
    executed_at: datetime | None = None
    execution: str | None = None


def involves(event: Any, exception_id: UUID) -> bool:
    """Whether `event` concerns the exception (requests, decisions, uses, commitments, audits)."""
    return getattr(event, "exception_id", None) == exception_id


def describe_exception(events: Sequence[Any], exception_id: UUID) -> ExceptionDescription:
    """Fold the case's events into a description of one exception; LookupError if not asked."""
    registered = next((e for e in events if type(e).__name__ == "Registered"), None)
    request = next(
        (r for name in REQUESTS if (r := find_event(events, name, exception_id)) is not None), None
    )
    if registered is None or request is None:
        raise LookupError(f"the events hold no request for exception {exception_id}")
    ours = [e for e in events if involves(e, exception_id)]
    status = ExceptionStatus.PENDING
    closed_at: datetime | None = None
    refused_at: int | None = None
    withdrawn: str | None = None
    selection: PostAuditSelection | None = None
    draw: float | None = None
    decisions: list[ProofDecision] = []
    uses: list[ProofUse] = []
    audits: list[ProofAudit] = []
    commitments: dict[UUID, ProofCommitment] = {}
    for event in ours:
        name = type(event).__name__
        if name == "ExceptionLayerDecided":
            decisions.append(_decision(event))
        elif name in GRANTS:
            status, closed_at = GRANTS[name], event.occurred_at
            selection, draw = event.post_audit, event.post_audit_draw
        elif name in REFUSALS:
            status, closed_at, refused_at = REFUSALS[name], event.occurred_at, event.layer
        elif name == "ExceptionWithdrawn":
            status, closed_at, withdrawn = (
                ExceptionStatus.WITHDRAWN,
                event.occurred_at,
                event.reason,
            )
        elif name in USES:
            uses.append(
                ProofUse(
                    version=event.originator_version,
                    type=name,
                    by=event.actor.id,
                    occurred_at=event.occurred_at,
                )
            )
        elif name == "CommitmentSigned":
            commitments[event.commitment_id] = ProofCommitment(
                commitment_id=event.commitment_id,
                items=list(event.items),
                due_at=event.due_at,
                signed_by=event.actor.id,
                signed_at=event.occurred_at,
                status=CommitmentStatus.OPEN,
                settled_at=None,
                consequence=None,
            )
        elif name in ("CommitmentFulfilled", "CommitmentBreached"):
            signed = commitments.get(event.commitment_id)
            if signed is not None:
                commitments[event.commitment_id] = msgspec.structs.replace(
                    signed,
                    status=CommitmentStatus.FULFILLED
                    if name == "CommitmentFulfilled"
                    else CommitmentStatus.BREACHED,
                    settled_at=event.occurred_at,
                    consequence=getattr(event, "consequence", None),
                )
        elif name == "ExceptionPostAudited":
            audits.append(
                ProofAudit(
                    version=event.originator_version,
                    finding=event.finding,
                    auditor=event.actor.id,
                    audited_at=event.occurred_at,
                    note=event.note,
                )
            )
    return ExceptionDescription(
        exception_id=exception_id,
        case_id=registered.originator_id,
        case_no=registered.case_no,
        policy=request.policy,
        status=status,
        decisions=decisions,
        closed_at=closed_at,
        refused_at_layer=refused_at,
        withdrawn_reason=withdrawn,
        uses=uses,
        commitments=list(commitments.values()),
        post_audit=selection,
        post_audit_draw=draw,
        audits=audits,
        versions=[e.originator_version for e in ours],
        after_the_fact=type(request).__name__ == "ExceptionRatificationRequested",
        executed_by=getattr(request, "executed_by", None),
        executed_at=getattr(request, "executed_at", None),
        execution=getattr(request, "execution", None),
        **requested_fields(request),
    )


def find_event(events: Sequence[Any], name: str, exception_id: UUID) -> Any:
    """The first event named `name` that concerns the exception, or None."""
    return next((e for e in events if type(e).__name__ == name and involves(e, exception_id)), None)


def _decision(event: Any) -> ProofDecision:
    return ProofDecision(
        version=event.originator_version,
        layer=event.layer,
        decision=event.decision,
        approver=event.actor.id,
        approver_roles=tuple(event.actor.roles),
        role=event.role,
        unit=event.actor.unit,
        decided_at=event.occurred_at,
        opinion=event.opinion,
        attendees=list(event.attendees),
        minutes_ref=event.minutes_ref,
        acting_for=getattr(event, "acting_for", None),
    )
