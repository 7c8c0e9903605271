"""Value types shared by the case aggregate, its events and the wire: enums and frozen Structs."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated
from uuid import UUID

import msgspec


class Role(StrEnum):
    """Roles carried by a credential (DESIGN §7); approver roles come from policies later."""

    CLERK = "clerk"  # 窗口人员
    WINDOW_LEAD = "window_lead"  # 窗口负责人
    DEPARTMENT_HEAD = "department_head"  # 部门负责人 / 首席代表
    CENTRE_DIRECTOR = "centre_director"  # 中心主任
    DUTY_OFFICER = "duty_officer"  # 值班
    HOTLINE_OPERATOR = "hotline_operator"  # 12345 话务 / 派单
    AUDITOR = "auditor"  # reads everything, writes nothing
    DASHBOARD = "dashboard"  # reads projections only
    ADMIN = "admin"  # operates the ledger; appends no business events
    SYSTEM = "system"  # the ledger's own timers (e.g. a commitment breached at its due date)


class Channel(StrEnum):
    WINDOW = "window"
    ONLINE = "online"
    PHONE = "phone"
    HOTLINE_12345 = "hotline_12345"
    SELF_SERVICE = "self_service"
    UNRESOLVED_WINDOW = "unresolved_window"  # 办不成事 / 协调帮办 window


class Priority(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"
    GREEN_CHANNEL = "green_channel"  # 绿色通道


class CaseStatus(StrEnum):
    RECEIVED = "received"  # registered, not yet accepted (收件)
    AWAITING_MATERIALS = "awaiting_materials"  # one-time notice outstanding (补正)
    ACCEPTED = "accepted"  # 受理: the promised clock runs
    COMPLETED = "completed"  # 办结
    REFUSED = "refused"  # 不予受理

    @property
    def is_closed(self) -> bool:
        return self in (CaseStatus.COMPLETED, CaseStatus.REFUSED)


class LimitUnit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    HOURS = "hours"
    MINUTES = "minutes"


class HotlineUrgency(StrEnum):
    """12345 urgency classes with their own sign-for limits (天津 实施细则)."""

    NORMAL = "normal"
    LIFE_PROPERTY = "life_property"  # threat to life or property: 15 minutes
    UTILITIES = "utilities"  # water, power, gas, heat: 30 minutes


class HotlineCategory(StrEnum):
    """诉求分类 (DB12/T 1438-2025): 咨询 / 求助 / 投诉 / 举报 / 建议 / 表扬."""

    CONSULTATION = "consultation"
    HELP = "help"
    COMPLAINT = "complaint"
    REPORT = "report"
    SUGGESTION = "suggestion"
    PRAISE = "praise"


class UnresolvedTier(StrEnum):
    """办不成事 complexity tiers (提级响应)."""

    SIMPLE = "simple"  # the window handles it at once
    COMPLEX = "complex"  # referred
    SPECIAL = "special"  # 一事一议 / 联动会审
    HARD = "hard"  # to the business-environment leading group


class NoticeChannel(StrEnum):
    WRITTEN = "written"  # 《一次性告知单》 handed over
    IN_PERSON = "in_person"
    PHONE = "phone"
    ONLINE = "online"
    SMS = "sms"


class SuppliedVia(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    PHONE = "phone"
    WECHAT = "wechat"
    MAIL = "mail"
    DATA_SHARING = "data_sharing"  # pushed between systems (政务数据共享)


class PauseReason(StrEnum):
    AWAITING_DATA_PUSH = "awaiting_data_push"
    APPLICANT_SUPPLEMENT = "applicant_supplement"  # 补正
    HEARING = "hearing"  # 听证
    EXPERT_REVIEW = "expert_review"  # 专家评审 / 检验检测
    ON_SITE_INSPECTION = "on_site_inspection"
    OTHER_DEPARTMENT = "other_department"
    OTHER = "other"


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class Outcome(StrEnum):
    GRANTED = "granted"  # 准予 / 办结
    PARTIALLY_GRANTED = "partially_granted"
    DENIED = "denied"  # 不予许可
    WITHDRAWN = "withdrawn"  # applicant withdrew
    REFERRED = "referred"  # redirected to another authority


class HandOffStatus(StrEnum):
    PENDING = "pending"
    SIGNED_FOR = "signed_for"
    RETURNED = "returned"


class ExtensionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class EscalationThreat(StrEnum):
    """Whether the applicant threatened to escalate (e.g. call 12345) and what came of it."""

    NONE = "none"
    DEFUSED = "defused"
    NOT_DEFUSED = "not_defused"


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


# --- 12345 work orders ---------------------------------------------------------------------


class TicketStatus(StrEnum):
    """A 12345 work order's state (domain brief §1.3); 督办 is a count, not a state."""

    PENDING_DISPATCH = "pending_dispatch"  # 待派单: new, or back after an approved 退单
    DISPATCHED = "dispatched"  # 待签收: the lead unit's sign-for clock runs
    RETURN_REQUESTED = "return_requested"  # 退单申请: awaiting the hotline's decision
    IN_PROGRESS = "in_progress"  # 办理中: signed for
    REPLIED = "replied"  # 已答复: awaiting the hotline's review
    CLOSED = "closed"  # 办结
    MERGED = "merged"  # 并单: a duplicate linked to its master; terminal

    @property
    def is_open(self) -> bool:
        return self not in (TicketStatus.CLOSED, TicketStatus.MERGED)


class UnitRole(StrEnum):
    LEAD = "lead"  # 主办
    ASSIST = "assist"  # 协办


class ReviewResult(StrEnum):
    PASS = "pass"  # 审核通过: the ticket closes
    REWORK = "rework"  # 补办/重办: back to the lead unit


class TicketClosure(StrEnum):
    REPLIED = "replied"  # the unit's reply passed review
    ANSWERED_AT_INTAKE = "answered_at_intake"  # 直接答复 by the agent (知识库, 三方通话)
    REDIRECTED = "redirected"  # 110/119/120/122 or a legal channel (诉讼, 信访, ...)


class Satisfaction(StrEnum):
    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    DISSATISFIED = "dissatisfied"  # 不满意


class DissatisfactionCause(StrEnum):
    """Why a follow-up was dissatisfied: only the unit's own (主观) fault reopens the ticket."""

    UNIT = "unit"  # 承办单位主观原因
    OBJECTIVE = "objective"  # policy, law or facts the unit cannot change
    APPLICANT = "applicant"  # unreasonable demand


class SupervisionLevel(StrEnum):
    URGE = "urge"  # 催办, before or after expiry
    NOTICE = "notice"  # 督办单 / 催办通知书: the day after expiry
    CIRCULATED = "circulated"  # 通报批评: still overdue


# --- 办不成事 -------------------------------------------------------------------------------


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


class UnresolvedClosure(StrEnum):
    RESOLVED = "resolved"  # 办成
    EXPLAINED_CANNOT_DO = "explained_cannot_do"  # 不能办: explained and calmed
    EXCLUDED_OWN_CAUSE = "excluded_own_cause"  # the applicant's own cause: not 办不成事
    OUT_OF_SCOPE = "out_of_scope"  # 涉法涉诉涉访, disputes between citizens, ...
    REDIRECTED = "redirected"  # 12345, 信访, courts

    @property
    def needs_explanation(self) -> bool:
        return self is not UnresolvedClosure.RESOLVED


# --- 好差评 ---------------------------------------------------------------------------------


class RatingChannel(StrEnum):
    COUNTER_DEVICE = "counter_device"  # 评价器 at the window
    APP = "app"
    SMS = "sms"
    WEB = "web"
    PHONE = "phone"


class RatingDimension(StrEnum):
    """GB/T 39734's dimensions: offline (the first four), online (overall, efficiency, the rest)."""

    OVERALL = "overall"  # 整体满意度
    EFFICIENCY = "efficiency"  # 服务/办事效率
    SERVICE_LEVEL = "service_level"  # 服务水平
    ATTITUDE = "attitude"  # 服务态度
    GUIDE_ACCURACY = "guide_accuracy"  # 办事指南精确度
    CONVENIENCE = "convenience"  # 办事便捷度
    OPERABILITY = "operability"  # 平台操作性


class BadReviewValidity(StrEnum):
    VALID = "valid"
    MISTAKEN = "mistaken"  # 误评
    MALICIOUS = "malicious"  # 恶意/不实差评


class Rectification(StrEnum):
    IMMEDIATE = "immediate"  # 立行立改
    SCHEDULED = "scheduled"  # 台账 + 限期整改
    EXPLAINED = "explained"  # 解释说明: no legal basis to grant it


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """Who did it, as the credential says: never taken from a request body."""

    id: str
    roles: tuple[Role, ...]
    unit: str | None = None


class Matter(msgspec.Struct, frozen=True, kw_only=True):
    """A service matter (事项) from the centre's catalogue."""

    code: str
    name: str


class TimeLimit(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    value: Annotated[int, msgspec.Meta(ge=0, le=100_000)]
    unit: LimitUnit


class ClockStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"  # closed by the deadline
    OVERDUE = "overdue"  # past the deadline, open or closed late


class Clock(msgspec.Struct, kw_only=True):
    """A running time limit as its events froze it: nothing here is recomputed on replay.

    `paused` is the working time (wall time for minute/hour limits) that finished pauses took out
    of the clock; `due_at` already allows for it.
    """

    limit: TimeLimit
    source: str  # where the limit comes from: "policy <version>: <document article>"
    policy_version: str
    calendar_version: str
    started_at: datetime
    due_at: datetime
    provisional: bool  # counted through a year the calendar has not published
    paused: timedelta = timedelta(0)


class ClockUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """A clock moved by a resumption or an approved extension, computed when that was recorded."""

    limit: TimeLimit
    due_at: datetime
    provisional: bool
    calendar_version: str
    paused: timedelta


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
    post_audit: PostAuditSelection | None = None  # drawn when granted
    post_audit_draw: float | None = None
    commitments: list[Commitment] = msgspec.field(default_factory=list)
    audits: list[PostAudit] = msgspec.field(default_factory=list)

    @property
    def next_layer(self) -> int | None:
        """1-based layer awaiting a decision, or None once the request is closed."""
        return None if self.status.is_closed else len(self.decisions) + 1


class MaskedValue(msgspec.Struct, frozen=True, kw_only=True):
    """A personal identifier as the log may hold it: a masked display value and a keyed token."""

    masked: str
    token: str


class ApplicantRef(msgspec.Struct, frozen=True, kw_only=True):
    """The applicant as events hold them: masked values and HMAC tokens, never raw identifiers."""

    name: str  # masked, e.g. 李*
    id_number: MaskedValue | None = None
    phone: MaskedValue | None = None
    bank_card: MaskedValue | None = None


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


class Extension(msgspec.Struct, kw_only=True):
    extension_id: UUID
    working_days: int
    reason: str
    requested_by: str
    requested_at: datetime
    status: ExtensionStatus = ExtensionStatus.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    opinion: str | None = None


class TicketDispatch(msgspec.Struct, kw_only=True):
    """One dispatch (派单) of a ticket to a unit; a lead dispatch is one round."""

    unit: str
    role: UnitRole
    designated: bool  # 指定承办: after the third round; it cannot be returned
    dispatched_by: str
    dispatched_at: datetime
    sign_for_due: datetime | None  # None: recorded without a policy
    signed_for_at: datetime | None = None
    signed_for_by: str | None = None
    returned_at: datetime | None = None  # an approved 退单 ended this round


class ReturnRequest(msgspec.Struct, kw_only=True):
    """退单: the unit says the order is not its duty, with the reason and its legal basis."""

    round: int
    unit: str
    reason: str
    legal_basis: str
    requested_by: str
    requested_at: datetime
    decision: Decision | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    opinion: str | None = None


class TicketExtension(msgspec.Struct, kw_only=True):
    working_days: int
    reason: str
    requested_by: str
    requested_at: datetime
    decision: Decision | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None


class TicketReply(msgspec.Struct, kw_only=True):
    """The unit's answer, signed by its head (部门主要负责人), and the hotline's review of it."""

    text: str
    unit_claims_resolved: bool  # 承办单位认定已解决: kept apart from the citizen's word
    signed_by: str
    replied_at: datetime
    review: ReviewResult | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_opinion: str | None = None


class FollowUp(msgspec.Struct, kw_only=True):
    """回访: unreachable callers are kept, with no answers, so rates can leave them out."""

    reachable: bool
    resolved: bool | None
    satisfaction: Satisfaction | None
    cause: DissatisfactionCause | None
    by: str
    at: datetime
    note: str | None = None


class HotlineTicket(msgspec.Struct, kw_only=True):
    """A 12345 work order on the case, as its events built it; clocks are frozen by them.

    `reply_clock` runs from the lead dispatch, not the sign-for, so a unit that does not sign
    stops no time ("只要部门不点签收,计时器就不开始跳" is the failure it avoids).
    """

    ticket_id: UUID
    ticket_no: str
    category: HotlineCategory
    urgency: HotlineUrgency
    confidential: bool
    summary: str
    received_by: str
    received_at: datetime
    status: TicketStatus = TicketStatus.PENDING_DISPATCH
    dispatches: list[TicketDispatch] = msgspec.field(default_factory=list)
    returns: list[ReturnRequest] = msgspec.field(default_factory=list)
    reply_clock: Clock | None = None
    extensions: list[TicketExtension] = msgspec.field(default_factory=list)
    first_contact_at: datetime | None = None
    contacts: int = 0
    replies: list[TicketReply] = msgspec.field(default_factory=list)
    closure: TicketClosure | None = None
    closed_at: datetime | None = None
    first_closed_at: datetime | None = None
    follow_ups: list[FollowUp] = msgspec.field(default_factory=list)
    reopen_count: int = 0
    merged_into_case: UUID | None = None
    merged_into_ticket: str | None = None
    merged_at: datetime | None = None
    supervisions: list[tuple[SupervisionLevel, datetime]] = msgspec.field(default_factory=list)

    @property
    def lead(self) -> TicketDispatch | None:
        """The lead unit of the current round (None before dispatch or after a 退单)."""
        leads = [d for d in self.dispatches if d.role is UnitRole.LEAD]
        return leads[-1] if leads and leads[-1].returned_at is None else None

    @property
    def rounds(self) -> int:
        """Lead dispatches so far: the 派单 rounds the order went through."""
        return sum(1 for d in self.dispatches if d.role is UnitRole.LEAD)

    def dispatch_to(self, unit: str | None) -> TicketDispatch | None:
        """The live dispatch (lead or assisting) of this round to `unit`."""
        return next(
            (d for d in reversed(self.dispatches) if d.unit == unit and d.returned_at is None),
            None,
        )


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


class BadReview(msgspec.Struct, kw_only=True):
    """差评 handling: verification (and the appeal's review), rectification, the rater's re-rating.

    `rectify_due` is frozen when the 差评 arrives, from the policy in force then.
    """

    rectify_due: datetime | None
    validity: BadReviewValidity | None = None
    verified_by: str | None = None
    verified_at: datetime | None = None
    appeal_upheld: bool | None = None  # a mistaken/malicious claim, reviewed independently
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    rectification: Rectification | None = None
    rectified_at: datetime | None = None
    feedback: str | None = None
    rerated_level: int | None = None
    rerated_at: datetime | None = None

    @property
    def excluded(self) -> bool:
        """An upheld appeal (误评, 恶意差评) leaves the rating out of the rates."""
        return self.appeal_upheld is True

    @property
    def needs_rectification(self) -> bool:
        return self.validity is BadReviewValidity.VALID or self.appeal_upheld is False


class Rating(msgspec.Struct, kw_only=True):
    """One 好差评 rating of the service. Who rated is never kept, so no view can expose it."""

    rating_id: UUID
    level: int
    channel: RatingChannel | None  # None for a default rating
    dimensions: dict[RatingDimension, int]
    comment: str | None
    default: bool  # recorded by the ledger when none arrived within the policy's limit
    real_name: bool
    rated_at: datetime
    bad_review: BadReview | None = None  # levels 1 and 2

    @property
    def is_bad(self) -> bool:
        return self.level <= 2


class CaseState(msgspec.Struct, kw_only=True):
    """Everything the rules need to know about a case, folded from its events."""

    case_no: str
    channel: Channel
    matter: Matter
    centre: str
    department: str  # the unit that holds the case now
    window: str | None
    applicant: ApplicantRef
    priority: Priority
    statutory_limit: TimeLimit | None
    promised_limit: TimeLimit | None
    parent_case_id: UUID | None
    registered_at: datetime
    status: CaseStatus = CaseStatus.RECEIVED
    accepted_at: datetime | None = None
    closed_at: datetime | None = None
    outcome: Outcome | None = None
    visits: int = 0  # 跑动次数
    notice_items: list[str] = msgspec.field(default_factory=list)
    supplied_items: list[str] = msgspec.field(default_factory=list)
    refusal_reason: str | None = None
    paused_since: datetime | None = None
    pause_reason: PauseReason | None = None
    pauses: list[tuple[datetime, datetime]] = msgspec.field(default_factory=list)  # finished ones
    clock: Clock | None = None
    exceptions: list[ExceptionRecord] = msgspec.field(default_factory=list)
    handoffs: list[HandOff] = msgspec.field(default_factory=list)
    extensions: list[Extension] = msgspec.field(default_factory=list)
    interventions: int = 0
    reopen_count: int = 0
    corrected_versions: list[int] = msgspec.field(default_factory=list)
    flags: list[str] = msgspec.field(default_factory=list)
    tickets: list[HotlineTicket] = msgspec.field(default_factory=list)
    unresolved: list[UnresolvedReport] = msgspec.field(default_factory=list)
    ratings: list[Rating] = msgspec.field(default_factory=list)

    @property
    def outstanding_items(self) -> list[str]:
        return [item for item in self.notice_items if item not in self.supplied_items]

    def exception(self, exception_id: UUID) -> ExceptionRecord | None:
        return next((x for x in self.exceptions if x.exception_id == exception_id), None)

    def ticket(self, ticket_id: UUID) -> HotlineTicket | None:
        return next((t for t in self.tickets if t.ticket_id == ticket_id), None)

    def report(self, report_id: UUID) -> UnresolvedReport | None:
        return next((r for r in self.unresolved if r.report_id == report_id), None)

    def rating(self, rating_id: UUID) -> Rating | None:
        return next((r for r in self.ratings if r.rating_id == rating_id), None)
