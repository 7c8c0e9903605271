"""A 办不成事 report as its events build it: the three axes it is classified on (cause,
resolvability, tier), the unit and window it concerns, its 专班, the 反馈 to the applicant and the
核查 of it, root causes and process fixes (seed 004; domain brief §3); and the consultations the
window answers (seed 001), counted beside the reports."""

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
    CONSULTATION_ONLY = "consultation_only"  # only a question: answered, the way shown

    @property
    def needs_explanation(self) -> bool:
        return self is not UnresolvedClosure.RESOLVED


class FeedbackMethod(StrEnum):
    """How the applicant was told (反馈)."""

    IN_PERSON = "in_person"
    PHONE = "phone"
    WECHAT = "wechat"
    SMS = "sms"
    WRITTEN = "written"  # a letter or the 《工作单》 handed over


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


class Feedback(msgspec.Struct, kw_only=True):
    """反馈: the outcome the applicant was told, how, and what they said back."""

    outcome: UnresolvedClosure
    method: FeedbackMethod
    content: str
    response: str | None
    given_by: str
    given_at: datetime


class Verification(msgspec.Struct, kw_only=True):
    """核查: someone independent of the report checks the outcome fed back; not confirmed, the
    report goes back to its handlers for another 反馈."""

    confirmed: bool
    note: str
    feedback_no: int  # how many 反馈 there were when it was made: it checks the last of them
    verified_by: str
    verified_at: datetime


class UnresolvedReport(msgspec.Struct, kw_only=True):
    """A 办不成事 report: its three axes, clock, 专班, 反馈 and 核查, closure, causes and fixes.

    `unit` and `window` are those the report concerns (where the matter got stuck; by default the
    case's when it was reported); None on a report recorded before they were kept.
    `negative_answer`: filed with a refusal (否定答复报告), not by the applicant.
    `refusing_units`: the units whose refusals it records (a refusal goes into the open report,
    whatever unit that one concerns), kept out of its 核查 and closure as the unit concerned is.
    """

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
    unit: str | None = None
    window: str | None = None
    negative_answer: bool = False
    feedbacks: list[Feedback] = msgspec.field(default_factory=list)
    verifications: list[Verification] = msgspec.field(default_factory=list)
    refusing_units: list[str] = msgspec.field(default_factory=list)

    @property
    def verified(self) -> bool:
        """The last 反馈 was checked and confirmed (a 核查 after it, the last one, confirmed)."""
        if not self.feedbacks or not self.verifications:
            return False
        last = self.verifications[-1]
        return last.confirmed and last.feedback_no == len(self.feedbacks)


class Consultation(msgspec.Struct, kw_only=True):
    """A question the window answered (咨询), counted so the demand shows (seed 001: most of the
    办不成事 window's work, "未必登记到表格中"). The case's matter is what was asked about."""

    consultation_id: UUID
    question: str
    answer: str
    referred_to: str | None
    unit: str
    window: str | None
    recorded_by: str
    recorded_at: datetime
