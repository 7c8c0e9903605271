"""An exception's approval, re-derived from the case's events alone: what was decided and checks.

`describe_exception` and `check_exception` are pure functions of the decoded events of one case
(in version order) and a moment `as_of` (when open commitments are judged). The server runs them
to answer `GET /exceptions/{id}/proof`; `ledger verify` runs them again on the events inside the
exported proof, after checking each event's inclusion in the signed log, so an auditor need not
trust the server's verdicts.

They read events by attribute (`type(event).__name__`, `actor`, `occurred_at`, the event's
fields), so they work on `Case` events as decoded by the mapper and on crafted lists in tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from ledger.domain.approval import post_audit_selection
from ledger.domain.policy import ApprovalPolicy
from ledger.domain.values import (
    Attendee,
    AuditFinding,
    BreachConsequence,
    CommitmentStatus,
    Decision,
    ExceptionKind,
    ExceptionStatus,
    PostAuditSelection,
    Role,
)

CHECKS = (
    "layer_order",
    "roles",
    "distinct_approvers",
    "no_self_approval",
    "opinions_stated",
    "joint_layers_attended",
    "outcome_follows_decisions",
    "decided_before_use",
    "commitment_kept",
    "post_audit",
)
"""Every check, in the order a proof lists them."""

_USES = ("Accepted", "Completed")


class Check(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    passed: bool
    reason: str


class ProofDecision(msgspec.Struct, frozen=True, kw_only=True):
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


class ExceptionDescription(msgspec.Struct, kw_only=True):
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


def involves(event: Any, exception_id: UUID) -> bool:
    """Whether `event` concerns the exception (requests, decisions, uses, commitments, audits)."""
    return getattr(event, "exception_id", None) == exception_id


def describe_exception(events: Sequence[Any], exception_id: UUID) -> ExceptionDescription:
    """Fold the case's events into a description of one exception; LookupError if not asked."""
    registered = next((e for e in events if type(e).__name__ == "Registered"), None)
    request = _find(events, "ExceptionRequested", exception_id)
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
        elif name == "ExceptionGranted":
            status, closed_at = ExceptionStatus.GRANTED, event.occurred_at
            selection, draw = event.post_audit, event.post_audit_draw
        elif name == "ExceptionRefused":
            status, closed_at, refused_at = ExceptionStatus.REFUSED, event.occurred_at, event.layer
        elif name == "ExceptionWithdrawn":
            status, closed_at, withdrawn = (
                ExceptionStatus.WITHDRAWN,
                event.occurred_at,
                event.reason,
            )
        elif name in _USES:
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
        kind=request.kind,
        rule_waived=request.rule_waived,
        basis=request.basis,
        justification=request.justification,
        waived_items=list(request.waived_items),
        compensating_controls=list(request.compensating_controls),
        policy=request.policy,
        requested_by=request.actor.id,
        requested_at=request.occurred_at,
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
    )


def check_exception(events: Sequence[Any], exception_id: UUID, as_of: datetime) -> list[Check]:
    """Every check of `CHECKS` on the exception, recomputed from the events; LookupError if the
    events hold no request for it. `as_of`: when open commitments are judged (past due fails)."""
    d = describe_exception(events, exception_id)
    return [
        _layer_order(d),
        _roles(d),
        _distinct_approvers(d),
        _no_self_approval(d),
        _opinions_stated(d),
        _joint_layers_attended(d),
        _outcome_follows_decisions(d, events, exception_id),
        _decided_before_use(events, exception_id),
        _commitment_kept(d, as_of),
        _post_audit(d),
    ]


# --- the checks ----------------------------------------------------------------------------------


def _layer_order(d: ExceptionDescription) -> Check:
    layers = [x.layer for x in d.decisions]
    required = len(d.policy.layers)
    if layers != list(range(1, len(layers) + 1)) or len(layers) > required:
        return _fail("layer_order", f"layers decided {layers}, required 1..{required} in order")
    return _pass("layer_order", f"layers {layers or 'none'} decided in order of {required}")


def _roles(d: ExceptionDescription) -> Check:
    wrong = []
    for x in d.decisions:
        needed = d.policy.layers[x.layer - 1].role if 0 < x.layer <= len(d.policy.layers) else None
        if needed is None or x.role != needed or needed not in x.approver_roles:
            wrong.append(f"layer {x.layer} by {x.approver} (roles {list(x.approver_roles)})")
    if wrong:
        return _fail("roles", "credential lacked the layer's role: " + "; ".join(wrong))
    return _pass("roles", "each approver's credential held the layer's role")


def _distinct_approvers(d: ExceptionDescription) -> Check:
    approvers = [x.approver for x in d.decisions]
    twice = sorted({a for a in approvers if approvers.count(a) > 1})
    if twice:
        return _fail("distinct_approvers", "decided more than one layer: " + ", ".join(twice))
    return _pass("distinct_approvers", f"{len(approvers)} decisions by {len(approvers)} people")


def _no_self_approval(d: ExceptionDescription) -> Check:
    if any(x.approver == d.requested_by for x in d.decisions):
        return _fail("no_self_approval", f"the requester {d.requested_by} decided a layer")
    return _pass("no_self_approval", f"the requester {d.requested_by} decided no layer")


def _opinions_stated(d: ExceptionDescription) -> Check:
    blank = [x.layer for x in d.decisions if not x.opinion.strip()]
    if blank:
        return _fail("opinions_stated", f"no opinion at layer(s) {blank}")
    return _pass("opinions_stated", "every decision states an opinion")


def _joint_layers_attended(d: ExceptionDescription) -> Check:
    joint = [x for x in d.decisions if getattr(_layer(d, x.layer), "joint", False)]
    bad = []
    for x in joint:
        needed = _layer(d, x.layer).attendee_roles
        present = {a.role for a in x.attendees}
        if (
            any(r not in present for r in needed)
            or len({a.id for a in x.attendees}) < 2
            or not x.minutes_ref
        ):
            bad.append(x.layer)
    if bad:
        return _fail(
            "joint_layers_attended", f"joint layer(s) {bad} lack the attendees or the minutes"
        )
    if not joint:
        return _pass("joint_layers_attended", "no joint layer decided")
    return _pass(
        "joint_layers_attended",
        "; ".join(
            f"layer {x.layer}: {len(x.attendees)} attendees, minutes {x.minutes_ref}" for x in joint
        ),
    )


def _outcome_follows_decisions(
    d: ExceptionDescription, events: Sequence[Any], exception_id: UUID
) -> Check:
    """Granted exactly when every layer approved; refused exactly by a rejecting layer."""
    approvals = [x for x in d.decisions if x.decision is Decision.APPROVE]
    rejected = [x.layer for x in d.decisions if x.decision is Decision.REJECT]
    granted = _find(events, "ExceptionGranted", exception_id) is not None
    refused = _find(events, "ExceptionRefused", exception_id) is not None
    all_approved = len(approvals) == len(d.policy.layers) and not rejected
    if granted != all_approved or (granted and refused):
        return _fail(
            "outcome_follows_decisions",
            f"granted={granted} but {len(approvals)} of {len(d.policy.layers)} layers approved",
        )
    if refused != bool(rejected) or (refused and d.refused_at_layer not in rejected):
        return _fail(
            "outcome_follows_decisions",
            f"refused={refused} (at layer {d.refused_at_layer}) but rejections at {rejected}",
        )
    return _pass("outcome_follows_decisions", f"{d.status} after {len(d.decisions)} decision(s)")


def _decided_before_use(events: Sequence[Any], exception_id: UUID) -> Check:
    """Every use came after the grant and before any withdrawal; no use without a grant."""
    granted: Any = None
    withdrawn = False
    bad: list[str] = []
    uses = 0
    for event in events:
        name = type(event).__name__
        if not involves(event, exception_id):
            continue
        if name == "ExceptionGranted":
            granted = event
        elif name == "ExceptionWithdrawn":
            withdrawn = True
        elif name in _USES:
            uses += 1
            if granted is None or withdrawn or event.occurred_at < granted.occurred_at:
                bad.append(f"{name} v{event.originator_version}")
    if bad:
        return _fail("decided_before_use", "used before it was granted: " + ", ".join(bad))
    if not uses:
        return _pass("decided_before_use", "not used")
    return _pass("decided_before_use", f"{uses} use(s), each after the grant")


def _commitment_kept(d: ExceptionDescription, as_of: datetime) -> Check:
    breached = [c for c in d.commitments if c.status is CommitmentStatus.BREACHED]
    overdue = [c for c in d.commitments if c.status is CommitmentStatus.OPEN and c.due_at < as_of]
    if breached or overdue:
        return _fail(
            "commitment_kept",
            f"{len(breached)} breached, {len(overdue)} open past due as of {as_of.isoformat()}",
        )
    if not d.commitments:
        return _pass("commitment_kept", "no commitments")
    kept = sum(c.status is CommitmentStatus.FULFILLED for c in d.commitments)
    return _pass("commitment_kept", f"{kept} fulfilled, {len(d.commitments) - kept} open, none due")


def _post_audit(d: ExceptionDescription) -> Check:
    if d.status is not ExceptionStatus.GRANTED:
        return _pass("post_audit", f"{d.status}: nothing to post-audit")
    policy = d.policy
    expected, draw = post_audit_selection(
        policy.id,
        policy.version,
        policy.post_audit.rate,
        policy.post_audit.mandatory,
        d.exception_id,
    )
    if (expected, draw) != (d.post_audit, d.post_audit_draw):
        return _fail(
            "post_audit",
            f"recorded {d.post_audit} (draw {d.post_audit_draw}), the policy gives {expected} "
            f"(draw {draw})",
        )
    if any(a.finding is AuditFinding.NON_COMPLIANT for a in d.audits):
        return _fail("post_audit", "a post-audit found it non-compliant")
    if expected is PostAuditSelection.NOT_SAMPLED:
        return _pass(
            "post_audit", f"not sampled (draw {draw:.4f} >= rate {policy.post_audit.rate})"
        )
    if not d.audits:
        return _pass("post_audit", f"{expected}: audit pending")
    return _pass("post_audit", f"{expected}: audited compliant by {d.audits[-1].auditor}")


# --- plumbing ------------------------------------------------------------------------------------


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
    )


def _find(events: Sequence[Any], name: str, exception_id: UUID) -> Any:
    return next((e for e in events if type(e).__name__ == name and involves(e, exception_id)), None)


def _layer(d: ExceptionDescription, layer: int) -> Any:
    return d.policy.layers[layer - 1] if 0 < layer <= len(d.policy.layers) else None


def _pass(name: str, reason: str) -> Check:
    return Check(name=name, passed=True, reason=reason)


def _fail(name: str, reason: str) -> Check:
    return Check(name=name, passed=False, reason=reason)
