"""Exception approvals checked layer by layer: the rules a decision must pass, in one place.

The aggregate calls `check_decision` before recording `ExceptionLayerDecided`, so no sequence of
accepted events can grant an exception unless every required layer approved in order, by distinct
people holding the layer's role, none of them the requester or the executor. Under AB岗 a deputy
decides for the absent holder of the post (`acting_for`): every rule then counts both of them.
`check_executor` keeps whoever relies on an exception for the case out of its approvers (requester
≠ approver ≠ executor, domain-brief §4). `post_audit_selection` is the seeded
draw that picks granted exceptions for post-audit: a hash of the policy and the exception id, so
anyone can recompute it and nobody can steer it.
"""

from __future__ import annotations

import hashlib
from uuid import UUID

from ledger.domain.errors import RuleViolation
from ledger.domain.exceptions.records import Attendee, ExceptionRecord, PostAuditSelection
from ledger.domain.values import Actor


def check_decision(
    record: ExceptionRecord,
    layer: int,
    actor: Actor,
    opinion: str,
    attendees: list[Attendee],
    minutes_ref: str | None,
    acting_for: str | None = None,
) -> None:
    """Raise the named rule a decision of `layer` by `actor` (standing in for `acting_for`, if
    given) would break; return if none."""
    if record.status.is_closed:
        raise RuleViolation(
            "approval.request_closed", f"the request is {record.status}: nothing left to decide"
        )
    expected = len(record.decisions) + 1
    if layer != expected:
        raise RuleViolation(
            "approval.layer_out_of_order",
            f"layer {layer} cannot be decided before layer {expected}"
            if layer > expected
            else f"layer {layer} was already decided",
        )
    required = record.required_layers[layer - 1]
    if required.role not in actor.roles:
        raise RuleViolation(
            "approval.wrong_role", f"layer {layer} ({required.title}) needs role {required.role}"
        )
    deciders = {actor.id}
    if acting_for is not None:
        if acting_for == actor.id:
            raise RuleViolation(
                "approval.acting_for_self", "acting_for names the absent holder, not the deputy"
            )
        deciders.add(acting_for)
    who = _named(actor.id, acting_for)
    if record.requested_by in deciders:
        raise RuleViolation(
            "approval.requester_cannot_approve", f"the requester cannot decide it ({who})"
        )
    if executor := deciders & record.executors:
        raise RuleViolation(
            "approval.executor_cannot_approve",
            f"{', '.join(sorted(executor))} executed the exception, so cannot decide it ({who})",
        )
    if already := deciders & record.deciders:
        raise RuleViolation(
            "approval.approver_already_decided",
            f"{', '.join(sorted(already))} already decided another layer, or was stood in for "
            f"there ({who})",
        )
    if not opinion.strip():
        raise RuleViolation(
            "approval.opinion_missing", "each layer states an explicit opinion (不得只签署姓名)"
        )
    if required.joint:
        present = {a.role for a in attendees}
        missing = [r for r in required.attendee_roles if r not in present]
        present_ids = {a.id for a in attendees}
        if missing or len(present_ids) < 2 or actor.id not in present_ids or not minutes_ref:
            raise RuleViolation(
                "approval.joint_attendees_missing",
                f"layer {layer} ({required.title}) is a joint decision: list at least two "
                f"attendees (roles {', '.join(required.attendee_roles) or 'any'}), the one "
                "recording it among them, and the minutes",
            )


def check_executor(record: ExceptionRecord, actor: Actor) -> None:
    """Refuse `actor` relying on the exception for the case if they decided one of its layers or
    were stood in for at one (requester ≠ approver ≠ executor)."""
    if actor.id in record.deciders:
        raise RuleViolation(
            "exception.executor_is_approver",
            f"{actor.id} decided a layer of this exception (or was stood in for at one), so "
            "cannot also execute it: someone else carries it out",
        )


def _named(approver: str, acting_for: str | None) -> str:
    return f"{approver} acting for {acting_for}" if acting_for else approver


def post_audit_selection(
    policy_id: str, policy_version: str, rate: float, mandatory: bool, exception_id: UUID
) -> tuple[PostAuditSelection, float]:
    """Whether a granted exception is post-audited, and the draw in [0, 1) that decided it."""
    seed = f"post-audit\n{policy_id}\n{policy_version}\n".encode() + exception_id.bytes
    draw = int.from_bytes(hashlib.sha256(seed).digest()[:8], "big") / 2**64
    if mandatory:
        return PostAuditSelection.MANDATORY, draw
    return (PostAuditSelection.SAMPLED if draw < rate else PostAuditSelection.NOT_SAMPLED), draw
