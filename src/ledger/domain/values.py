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

    @property
    def outstanding_items(self) -> list[str]:
        return [item for item in self.notice_items if item not in self.supplied_items]

    def exception(self, exception_id: UUID) -> ExceptionRecord | None:
        return next((x for x in self.exceptions if x.exception_id == exception_id), None)
