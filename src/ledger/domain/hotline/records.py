"""A 12345 work order (工单) as its events build it: the enums its events carry, its dispatches,
退单, extensions, replies and 回访, and the order itself (domain brief §1)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

import msgspec

from ledger.domain.clock import Clock
from ledger.domain.values import Decision


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
    complex: bool = False  # marked by the dispatcher: 退单 within the longer window


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

    Two clocks, both from a lead dispatch, not the sign-for, so a unit that does not sign stops
    no time ("只要部门不点签收,计时器就不开始跳" is the failure it avoids). `reply_clock` is the
    current round's unit's (an approved 退单 ends it, the next dispatch starts another): units
    are assessed on it. `order_clock` is the order's, started by its first dispatch and kept
    through every 退单 and 改派, so the order stays due while it waits for a unit and 按时办结率
    sees the citizen's deadline. Approved extensions lengthen both; a 重办 starts both again.
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
    order_clock: Clock | None = None
    extensions: list[TicketExtension] = msgspec.field(default_factory=list)
    contact_due: datetime | None = None  # 响应率: the first contact, from the first dispatch
    first_contact_at: datetime | None = None
    contacts: int = 0
    replies: list[TicketReply] = msgspec.field(default_factory=list)
    closure: TicketClosure | None = None
    closed_at: datetime | None = None
    first_closed_at: datetime | None = None
    follow_up_due: datetime | None = None  # 回访 of the current closure (none if redirected)
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

    @property
    def closure_follow_up(self) -> FollowUp | None:
        """The first 回访 of the current closure (None while open or not yet followed up)."""
        if self.closed_at is None:
            return None
        closed_at = self.closed_at
        return next((f for f in self.follow_ups if f.at >= closed_at), None)

    def total_wait(self, now: datetime) -> timedelta:
        """How long the citizen has waited: from the call to the closure, or to `now` while the
        order is open (a merged duplicate's wait goes on in its master's); every 退单 round and
        every 重办 counted."""
        return (self.closed_at or now) - self.received_at

    def dispatch_to(self, unit: str | None) -> TicketDispatch | None:
        """The live dispatch (lead or assisting) of this round to `unit`."""
        return next(
            (d for d in reversed(self.dispatches) if d.unit == unit and d.returned_at is None),
            None,
        )
