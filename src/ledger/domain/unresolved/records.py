"""A 办不成事 report as its events build it: the three axes it is classified on (cause,
resolvability, tier), its 专班, root causes and process fixes (seed 004; domain brief §3)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import msgspec

from ledger.domain.clock import Clock


class UnresolvedCause(StrEnum):
    """东花市's scope (seed 001): where in the window's process the matter got stuck."""

    POLICY = "policy"  # 政策
    SYSTEM = "system"  # 系统
    MATERIALS = "materials"  # 材料要件
    ATTITUDE = "attitude"  # 服务态度
    ACCEPTANCE = "acceptance"  # 受理
    CONSULTATION = "consultation"  # 咨询
    APPROVAL_STEP = "approval_step"  # 审批环节
    OTHER = "other"


class Resolvability(StrEnum):
    CANNOT_DO = "cannot_do"  # 办不了: law or policy forbids it
    HARD_TO_DO = "hard_to_do"  # 很难办: policy obstacle, several departments, missing materials
    REFUSED_TO_DO = "refused_to_do"  # 不给办: someone obstructs it


class UnresolvedTier(StrEnum):
    """办不成事 complexity tiers (提级响应)."""

    SIMPLE = "simple"  # the window handles it at once
    COMPLEX = "complex"  # referred
    SPECIAL = "special"  # 一事一议 / 联动会审
    HARD = "hard"  # to the business-environment leading group


class UnresolvedClosure(StrEnum):
    RESOLVED = "resolved"  # 办成
    EXPLAINED_CANNOT_DO = "explained_cannot_do"  # 不能办: explained and calmed
    EXCLUDED_OWN_CAUSE = "excluded_own_cause"  # the applicant's own cause: not 办不成事
    OUT_OF_SCOPE = "out_of_scope"  # 涉法涉诉涉访, disputes between citizens, ...
    REDIRECTED = "redirected"  # 12345, 信访, courts

    @property
    def needs_explanation(self) -> bool:
        return self is not UnresolvedClosure.RESOLVED


class SpecialTeam(msgspec.Struct, kw_only=True):
    """专班: who works the report, under whom."""

    lead: str
    members: list[str]
    assigned_by: str
    assigned_at: datetime


class RootCause(msgspec.Struct, kw_only=True):
    root_cause_id: UUID
    cause: UnresolvedCause
    key: str  # a short stable name, so the register can count recurrences
    description: str
    recorded_by: str
    recorded_at: datetime


class ImprovementAction(msgspec.Struct, kw_only=True):
    """A process fix a report led to (seed 004: windows re-scoped, 综合柜员制)."""

    action_id: UUID
    root_cause_id: UUID | None
    action: str
    owner_unit: str
    opened_by: str
    opened_at: datetime
    completed_at: datetime | None = None
    result: str | None = None


class UnresolvedReport(msgspec.Struct, kw_only=True):
    """A 办不成事 report: its three axes, clock by tier, 专班, closure, causes and fixes."""

    report_id: UUID
    cause: UnresolvedCause
    resolvability: Resolvability
    tier: UnresolvedTier
    description: str
    reported_by: str
    reported_at: datetime
    clock: Clock | None = None
    team: SpecialTeam | None = None
    closure: UnresolvedClosure | None = None
    explanation: str | None = None
    redirected_to: str | None = None
    closed_by: str | None = None
    closed_at: datetime | None = None
    root_causes: list[RootCause] = msgspec.field(default_factory=list)
    actions: list[ImprovementAction] = msgspec.field(default_factory=list)
