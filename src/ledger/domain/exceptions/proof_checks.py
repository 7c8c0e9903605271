"""An exception's approval checked from the case's events alone: `check_exception`.

Every check of `CHECKS` is recomputed from `describe_exception`'s account and the events, and a
moment `as_of` (when open commitments are judged): the server runs them for
`GET /exceptions/{id}/proof`, `ledger verify` runs them again on the events of an exported proof.
A ratification (asked after the fact) passes the same layer checks as any request; `after_the_fact`
says that it was one, and `executor_not_approver` and `acting_for` keep segregation of duties
(requester ≠ approver ≠ executor) for the executor and under AB岗.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from ledger.domain.exceptions.approval_rules import post_audit_selection
from ledger.domain.exceptions.proof import (
    GRANTS,
    REFUSALS,
    USES,
    ExceptionDescription,
    describe_exception,
    involves,
)
from ledger.domain.exceptions.records import (
    AuditFinding,
    CommitmentStatus,
    ExceptionStatus,
    PostAuditSelection,
)
from ledger.domain.values import Decision

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
    "executor_not_approver",
    "acting_for",
    "after_the_fact",
)
"""Every check, in the order a proof lists them."""
CHECKS_V1 = CHECKS[:10]
"""The checks of a proof of format /1 (release 0.1.0): what such a proof is verified against."""


class Check(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    passed: bool
    reason: str


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
        _executor_not_approver(d),
        _acting_for(d),
        _after_the_fact(d),
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
    outcomes = [type(e).__name__ for e in events if involves(e, exception_id)]
    granted = any(name in GRANTS for name in outcomes)
    refused = any(name in REFUSALS for name in outcomes)
    all_approved = len(approvals) == len(d.policy.layers) and not rejected
    expected = (
        ("ExceptionRatified", "ExceptionNotRatified")
        if d.after_the_fact
        else (
            "ExceptionGranted",
            "ExceptionRefused",
        )
    )
    if wrong := [n for n in outcomes if n in {*GRANTS, *REFUSALS} and n not in expected]:
        return _fail(
            "outcome_follows_decisions",
            f"{', '.join(wrong)} on {'a ratification' if d.after_the_fact else 'a request'}",
        )
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
        elif name in USES:
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
    if d.status not in (ExceptionStatus.GRANTED, ExceptionStatus.RATIFIED):
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


def _executor_not_approver(d: ExceptionDescription) -> Check:
    """Whoever executed it (the act ratified, each use) decided no layer, nor was stood in for."""
    executors = sorted({u.by for u in d.uses} | ({d.executed_by} if d.executed_by else set()))
    deciders = {x.approver for x in d.decisions} | {x.acting_for for x in d.decisions}
    if both := [e for e in executors if e in deciders]:
        return _fail("executor_not_approver", f"executed by an approver: {', '.join(both)}")
    if not executors:
        return _pass("executor_not_approver", "not executed")
    return _pass(
        "executor_not_approver",
        f"executed by {', '.join(executors)}, who decided no layer and was stood in for at none",
    )


def _acting_for(d: ExceptionDescription) -> Check:
    """Under AB岗 the absent holder counts as a decider: not the deputy, not the requester, not
    at another layer."""
    deputies = [x for x in d.decisions if x.acting_for]
    if not deputies:
        return _pass("acting_for", "no layer decided by a deputy")
    bad = []
    for x in deputies:
        elsewhere = [
            y.layer
            for y in d.decisions
            if y is not x and x.acting_for in (y.approver, y.acting_for)
        ]
        if x.acting_for in (x.approver, d.requested_by) or elsewhere:
            bad.append(f"layer {x.layer}: {x.approver} for {x.acting_for}")
    if bad:
        return _fail(
            "acting_for", "stood in for the deputy, the requester or a decider: " + "; ".join(bad)
        )
    return _pass(
        "acting_for",
        "; ".join(
            f"layer {x.layer}: {x.approver} acting for {x.acting_for} (AB岗)" for x in deputies
        ),
    )


def _after_the_fact(d: ExceptionDescription) -> Check:
    """A ratification: executed before it was asked for, relied on by nothing afterwards."""
    if not d.after_the_fact:
        return _pass("after_the_fact", "asked for before it was executed")
    if d.executed_at is None or d.executed_at > d.requested_at:
        return _fail("after_the_fact", "a ratification whose execution is not before its request")
    if d.uses:
        return _fail("after_the_fact", f"a ratification relied on {len(d.uses)} time(s) later")
    outcome = {
        ExceptionStatus.RATIFIED: f"ratified by {len(d.decisions)} layer(s)",
        ExceptionStatus.NOT_RATIFIED: f"not ratified (layer {d.refused_at_layer} rejected it)",
    }.get(d.status, f"{d.status}, {len(d.decisions)} of {len(d.policy.layers)} layer(s) decided")
    return _pass(
        "after_the_fact",
        f"after the fact: executed by {d.executed_by} at {d.executed_at.isoformat()} "
        f"({d.execution}), ratification asked by {d.requested_by} at "
        f"{d.requested_at.isoformat()}; {outcome}",
    )


def _layer(d: ExceptionDescription, layer: int) -> Any:
    return d.policy.layers[layer - 1] if 0 < layer <= len(d.policy.layers) else None


def _pass(name: str, reason: str) -> Check:
    return Check(name=name, passed=True, reason=reason)


def _fail(name: str, reason: str) -> Check:
    return Check(name=name, passed=False, reason=reason)
