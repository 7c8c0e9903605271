"""What an exception's events build, `ExceptionRecord`: its kind and status, the approval layers
its policy requires, each layer's decision, the applicant's 承诺书 and the post-audits."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import msgspec

from ledger.domain.values import Decision, Role, TimeLimit


class ExceptionKind(StrEnum):
    """Ways a rule may be set aside, each with its own approval chain (domain-brief §4)."""

    SPECIAL_HANDLING = "special_handling"  # 特事特办
    MISSING_MATERIALS = "missing_materials"  # 容缺受理
    COMMITMENT = "commitment"  # 告知承诺
    EXTENDED_HOURS = "extended_hours"  # 延时服务


class ExceptionStatus(StrEnum):
    PENDING = "pending"  # layers still to decide
    GRANTED = "granted"  # every layer approved, in order
    REFUSED = "refused"  # a layer rejected it
    WITHDRAWN = "withdrawn"
    RATIFIED = "ratified"  # executed first, then every layer approved it after the fact
    NOT_RATIFIED = "not_ratified"  # executed first, then a layer rejected it

    @property
    def is_closed(self) -> bool:
        return self is not ExceptionStatus.PENDING


class CreditResult(StrEnum):
    CLEAR = "clear"
    DISHONEST = "dishonest"  # 失信: not eligible for 容缺 / 告知承诺 until credit repair


class CommitmentStatus(StrEnum):
    OPEN = "open"
    FULFILLED = "fulfilled"
    BREACHED = "breached"


class BreachConsequence(StrEnum):
    """What a breached commitment does to the case, per the policy frozen at request."""

    WITHDRAW_CASE = "withdraw_case"  # 退办: the case ends as withdrawn
    REVOKE_DECISION = "revoke_decision"  # 撤销决定 (告知承诺): the decision is revoked
    RECORD_ONLY = "record_only"


class AuditFinding(StrEnum):
    COMPLIANT = "compliant"
    NON_COMPLIANT = "non_compliant"


class PostAuditSelection(StrEnum):
    MANDATORY = "mandatory"  # the policy audits every granted exception of this kind
    SAMPLED = "sampled"  # chosen by the seeded draw at the policy's rate
    NOT_SAMPLED = "not_sampled"


class ApprovalLayer(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One layer of an approval chain: who must decide it; a joint layer is a meeting (会议)."""

    role: Role
    title: str  # e.g. 窗口负责人
    joint: bool = False
    attendee_roles: tuple[Role, ...] = ()  # a joint decision lists at least one of each


class Attendee(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    id: str
    role: Role
    unit: str | None = None


class CreditCheck(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The applicant's credit record as the clerk looked it up (e.g. 信用中国) before asking."""

    result: CreditResult
    source: str
    checked_at: datetime


class LayerDecision(msgspec.Struct, kw_only=True):
    layer: int
    decision: Decision
    approver: str
    role: Role
    unit: str | None
    opinion: str
    decided_at: datetime
    attendees: list[Attendee] = msgspec.field(default_factory=list)
    minutes_ref: str | None = None
    acting_for: str | None = None  # AB岗: the absent holder of the post the approver stood in for

    @property
    def deciders(self) -> set[str]:
        """Whom segregation of duties counts for this decision: the approver, and under AB岗 the
        holder they stood in for too."""
        return {self.approver} | ({self.acting_for} if self.acting_for else set())


class Commitment(msgspec.Struct, kw_only=True):
    """承诺书: what the applicant promised to supply or prove, and by when."""

    commitment_id: UUID
    items: list[str]
    due_at: datetime
    signed_by: str
    signed_at: datetime
    status: CommitmentStatus = CommitmentStatus.OPEN
    settled_at: datetime | None = None
    consequence: BreachConsequence | None = None


class PostAudit(msgspec.Struct, kw_only=True):
    finding: AuditFinding
    auditor: str
    audited_at: datetime
    note: str


class ExceptionRecord(msgspec.Struct, kw_only=True):
    """One exception on a case, as its events built it; `policy` is frozen at request."""

    exception_id: UUID
    kind: ExceptionKind
    rule_waived: str
    basis: str
    justification: str
    waived_items: list[str]
    compensating_controls: list[str]
    policy_id: str
    policy_version: str
    required_layers: list[ApprovalLayer]
    breach_consequence: BreachConsequence
    supply_within: TimeLimit | None
    post_audit_rate: float
    post_audit_mandatory: bool
    requested_by: str
    requested_at: datetime
    status: ExceptionStatus = ExceptionStatus.PENDING
    decisions: list[LayerDecision] = msgspec.field(default_factory=list)
    closed_at: datetime | None = None
    used_at: datetime | None = None  # first acceptance or completion that relied on it
    used_by: str | None = None
    post_audit: PostAuditSelection | None = None  # drawn when granted
    post_audit_draw: float | None = None
    commitments: list[Commitment] = msgspec.field(default_factory=list)
    audits: list[PostAudit] = msgspec.field(default_factory=list)
    # A ratification (破例 first, approval after): who executed it, when, and what was done.
    after_the_fact: bool = False
    executed_by: str | None = None
    executed_at: datetime | None = None
    execution: str | None = None

    @property
    def deciders(self) -> set[str]:
        """Everyone a decision so far counts for: approvers and the holders they stood in for."""
        return {who for d in self.decisions for who in d.deciders}

    @property
    def executors(self) -> set[str]:
        """Who executed it: the ratified act's executor, and whoever relied on it for the case."""
        return {who for who in (self.executed_by, self.used_by) if who}

    @property
    def next_layer(self) -> int | None:
        """1-based layer awaiting a decision, or None once the request is closed."""
        return None if self.status.is_closed else len(self.decisions) + 1


def requested_fields(request: Any) -> dict[str, Any]:
    """What an `ExceptionRequested` event states, as the record and the proof's description both
    keep it (read by attribute, so crafted events in tests serve as well)."""
    return {
        "kind": request.kind,
        "rule_waived": request.rule_waived,
        "basis": request.basis,
        "justification": request.justification,
        "waived_items": list(request.waived_items),
        "compensating_controls": list(request.compensating_controls),
        "requested_by": request.actor.id,
        "requested_at": request.occurred_at,
    }
