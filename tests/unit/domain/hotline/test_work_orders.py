"""12345 work orders (工单) on a case, rule by rule, against the real policy and calendar.

Given a case and the centre's policy (`Policies().timing("huoshan")`, whose 12345 limits are the
national ones of policies/time-limits/cn.toml) and the 2026 calendar (policies/calendars/cn.toml),
when a step of an order is appended, then either it is recorded with its effect on the folded
ticket, or the named rule refuses it and nothing changes. Due dates are computed by hand in the
comments: working days count from the day after the event and end at 23:59:59.999999 Beijing time;
2026 holidays used here: 清明 4-6 Apr; 中秋 25-27 Sep; 国庆 1-7 Oct; make-up working days Sun 20 Sep
and Sat 10 Oct.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import msgspec
import pytest
from eventsourcing.application import project_aggregate

from ledger.domain.case import Case
from ledger.domain.errors import RuleViolation
from ledger.domain.hotline.records import (
    DissatisfactionCause,
    HotlineCategory,
    HotlineTicket,
    HotlineUrgency,
    ReviewResult,
    Satisfaction,
    SupervisionLevel,
    TicketClosure,
    TicketStatus,
    UnitRole,
)
from ledger.domain.personal_data import protect_applicant
from ledger.domain.policy import LimitRule, Provenance, Timing
from ledger.domain.values import (
    Actor,
    Channel,
    Decision,
    LimitUnit,
    Matter,
    Outcome,
    Priority,
    Role,
    TimeLimit,
)
from ledger.rules.time_limits import Policies
from ledger.store.events import MsgspecMapper

# --- given: policy, actors, moments -------------------------------------------------------------

CST = timezone(timedelta(hours=8))
TIMING = Policies().timing("huoshan")
POLICY_VERSION = TIMING.policy.version  # huoshan-2026.1 (12345 limits inherited from cn)

AGENT = Actor(id="agent-3", roles=(Role.HOTLINE_OPERATOR,), unit="12345")
UNITS = ("住建局", "城管局", "市场监管局", "街道办")
A, B, C, D = UNITS
LIAISON = {u: Actor(id=f"liaison-{i}", roles=(Role.CLERK,), unit=u) for i, u in enumerate(UNITS)}
HEAD = {
    u: Actor(id=f"head-{i}", roles=(Role.DEPARTMENT_HEAD,), unit=u) for i, u in enumerate(UNITS)
}


def cst(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=CST)


def end_of(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, 999999, tzinfo=CST)


REGISTERED = cst(2026, 3, 2)
WED_23_SEP = cst(2026, 9, 23, 10)
SAT_26_SEP = cst(2026, 9, 26, 10)
MON_7_SEP = cst(2026, 9, 7, 10)


def new_case(registered: datetime = REGISTERED) -> Case:
    case = Case.register(
        actor=AGENT,
        occurred_at=registered,
        case_no="HUOSHAN-2026-012345",
        channel=Channel.HOTLINE_12345,
        matter=Matter(code="SI-ARREARS", name="养老保险费补缴"),
        centre="huoshan",
        department="人社",
        window=None,
        applicant=protect_applicant(b"k" * 32, name="王某", phone="13800000000"),
        priority=Priority.NORMAL,
        statutory_limit=TimeLimit(value=20, unit=LimitUnit.WORKING_DAYS),
        promised_limit=None,
        parent_case_id=None,
    )
    return case  # its events stay pending, so a test can replay them


def append(
    case: Case,
    event_type: str,
    actor: Actor,
    occurred_at: datetime,
    timing: Timing | None = TIMING,
    **fields: Any,
) -> dict[str, UUID]:
    return case.append(event_type, actor, occurred_at, timing, **fields)


def refusal(
    case: Case,
    event_type: str,
    actor: Actor,
    occurred_at: datetime,
    timing: Timing | None = TIMING,
    **fields: Any,
) -> str:
    """Append; the name of the rule that refused it. Nothing may have changed."""
    version, state = case.version, msgspec.json.encode(case.state)
    with pytest.raises(RuleViolation) as refused:
        case.append(event_type, actor, occurred_at, timing, **fields)
    assert case.version == version
    assert msgspec.json.encode(case.state) == state
    return refused.value.rule


def receive(
    case: Case,
    at: datetime,
    category: HotlineCategory = HotlineCategory.COMPLAINT,
    urgency: HotlineUrgency = HotlineUrgency.NORMAL,
    ticket_no: str = "HS-20260907-0001",
    timing: Timing | None = TIMING,
) -> UUID:
    return append(
        case,
        "HotlineEscalationReceived",
        AGENT,
        at,
        timing,
        ticket_no=ticket_no,
        category=category,
        urgency=urgency,
        confidential=False,
        summary="养老保险补缴窗口多次推诿",
    )["ticket_id"]


def dispatch(
    case: Case,
    ticket_id: UUID,
    unit: str,
    at: datetime,
    role: UnitRole = UnitRole.LEAD,
    designated: bool = False,
    timing: Timing | None = TIMING,
) -> None:
    append(
        case,
        "HotlineDispatched",
        AGENT,
        at,
        timing,
        ticket_id=ticket_id,
        unit=unit,
        role=role,
        designated=designated,
    )


def dispatch_refusal(
    case: Case,
    ticket_id: UUID,
    unit: str,
    at: datetime,
    role: UnitRole = UnitRole.LEAD,
    designated: bool = False,
) -> str:
    return refusal(
        case,
        "HotlineDispatched",
        AGENT,
        at,
        ticket_id=ticket_id,
        unit=unit,
        role=role,
        designated=designated,
    )


def ask_return(case: Case, ticket_id: UUID, unit: str, at: datetime) -> None:
    append(
        case,
        "HotlineReturnRequested",
        LIAISON[unit],
        at,
        ticket_id=ticket_id,
        reason="不属本单位职责",
        legal_basis="本单位“三定”方案第三条",
    )


def return_refusal(
    case: Case,
    ticket_id: UUID,
    unit: str,
    at: datetime,
    reason: str = "不属本单位职责",
    legal_basis: str = "三定",
) -> str:
    return refusal(
        case,
        "HotlineReturnRequested",
        LIAISON[unit],
        at,
        ticket_id=ticket_id,
        reason=reason,
        legal_basis=legal_basis,
    )


def decide_return(
    case: Case, ticket_id: UUID, at: datetime, decision: Decision = Decision.APPROVE
) -> None:
    append(
        case,
        "HotlineReturnDecided",
        AGENT,
        at,
        ticket_id=ticket_id,
        decision=decision,
        opinion="同意退单，改派" if decision is Decision.APPROVE else "不同意退单",
    )


def sign_for(case: Case, ticket_id: UUID, unit: str, at: datetime) -> None:
    append(case, "HotlineSignedFor", LIAISON[unit], at, ticket_id=ticket_id)


def sign_for_refusal(case: Case, ticket_id: UUID, unit: str, at: datetime) -> str:
    return refusal(case, "HotlineSignedFor", LIAISON[unit], at, ticket_id=ticket_id)


def reply(case: Case, ticket_id: UUID, unit: str, at: datetime, text: str = "已办理") -> None:
    append(
        case,
        "HotlineReplied",
        HEAD[unit],
        at,
        ticket_id=ticket_id,
        text=text,
        unit_claims_resolved=True,
    )


def review(
    case: Case, ticket_id: UUID, at: datetime, result: ReviewResult = ReviewResult.PASS
) -> None:
    append(
        case, "HotlineReplyReviewed", AGENT, at, ticket_id=ticket_id, result=result, opinion="审核"
    )


def follow_up(
    case: Case,
    ticket_id: UUID,
    at: datetime,
    satisfaction: Satisfaction | None = Satisfaction.SATISFIED,
    cause: DissatisfactionCause | None = None,
    reachable: bool = True,
    resolved: bool | None = True,
) -> None:
    append(
        case,
        "HotlineFollowedUp",
        AGENT,
        at,
        ticket_id=ticket_id,
        reachable=reachable,
        resolved=resolved,
        satisfaction=satisfaction,
        cause=cause,
    )


def dissatisfied(
    case: Case,
    ticket_id: UUID,
    at: datetime,
    cause: DissatisfactionCause = DissatisfactionCause.UNIT,
) -> None:
    """A 回访 that finds the caller dissatisfied and the matter unresolved."""
    follow_up(case, ticket_id, at, Satisfaction.DISSATISFIED, cause, resolved=False)


def reopen(case: Case, ticket_id: UUID, at: datetime, reason: str = "重办") -> None:
    append(case, "HotlineReopened", AGENT, at, ticket_id=ticket_id, reason=reason)


def decide_extension(
    case: Case,
    ticket_id: UUID,
    at: datetime,
    decision: Decision = Decision.APPROVE,
    opinion: str = "同意",
) -> None:
    append(
        case,
        "HotlineExtensionDecided",
        AGENT,
        at,
        ticket_id=ticket_id,
        decision=decision,
        opinion=opinion,
    )


def ticket(case: Case, ticket_id: UUID) -> HotlineTicket:
    found = case.state.ticket(ticket_id)
    assert found is not None
    return found


def in_progress(
    at: datetime = WED_23_SEP,
    category: HotlineCategory = HotlineCategory.CONSULTATION,
    timing: Timing | None = TIMING,
    urgency: HotlineUrgency = HotlineUrgency.NORMAL,
) -> tuple[Case, UUID]:
    """An order received and dispatched to A at `at`, signed for by A an hour later."""
    case = new_case()
    ticket_id = receive(case, at - timedelta(minutes=30), category, urgency, timing=timing)
    dispatch(case, ticket_id, A, at, timing=timing)
    sign_for(case, ticket_id, A, at + timedelta(hours=1))
    return case, ticket_id


def dispatched_to_a(at: datetime = MON_7_SEP) -> tuple[Case, UUID]:
    """A complaint received an hour before `at` and dispatched to A at `at`, not signed for."""
    case = new_case()
    ticket_id = receive(case, at - timedelta(hours=1))
    dispatch(case, ticket_id, A, at)
    return case, ticket_id


def closed_by_reply(at: datetime = WED_23_SEP) -> tuple[Case, UUID]:
    """An order replied to by A's head and passed, closed the next day."""
    case, ticket_id = in_progress(at)
    reply(case, ticket_id, A, at + timedelta(hours=3))
    review(case, ticket_id, at + timedelta(days=1))
    assert ticket(case, ticket_id).status is TicketStatus.CLOSED
    return case, ticket_id


# --- intake ---------------------------------------------------------------------------------------


def test_an_escalation_opens_an_order_awaiting_dispatch() -> None:
    case = new_case()

    ticket_id = receive(case, cst(2026, 9, 7, 9), ticket_no="HS-20260907-0001")

    t = ticket(case, ticket_id)
    assert (t.ticket_no, t.category, t.urgency) == (
        "HS-20260907-0001",
        HotlineCategory.COMPLAINT,
        HotlineUrgency.NORMAL,
    )
    assert (t.received_by, t.received_at) == (AGENT.id, cst(2026, 9, 7, 9))
    assert t.status is TicketStatus.PENDING_DISPATCH
    assert (t.rounds, t.lead, t.reply_clock) == (0, None, None)


def test_an_order_number_is_recorded_once_per_case() -> None:
    case = new_case()
    receive(case, cst(2026, 9, 7, 9), ticket_no="HS-1")

    assert refusal(
        case,
        "HotlineEscalationReceived",
        AGENT,
        cst(2026, 9, 7, 10),
        ticket_no="HS-1",
        category=HotlineCategory.HELP,
        urgency=HotlineUrgency.NORMAL,
        confidential=False,
        summary="重复",
    ) == ("hotline.ticket_no_taken")
    receive(case, cst(2026, 9, 7, 10), ticket_no="HS-2")
    assert len(case.state.tickets) == 2


def test_an_unknown_order_is_refused() -> None:
    case = new_case()
    receive(case, cst(2026, 9, 7, 9))

    assert sign_for_refusal(case, uuid4(), A, cst(2026, 9, 7, 10)) == "hotline.unknown_ticket"


# --- clocks ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dispatched", "sign_for_due"),
    [
        # Fri 3 Apr; 4-6 Apr are 清明: the one working day is Tue 7 Apr.
        (cst(2026, 4, 3, 16), end_of(2026, 4, 7)),
        # Wed 30 Sep; 1-7 Oct are 国庆: Thu 8 Oct.
        (cst(2026, 9, 30, 10), end_of(2026, 10, 8)),
        # Fri 18 Sep; Sat 19 is a rest day, Sun 20 Sep a make-up working day (调休上班).
        (cst(2026, 9, 18, 10), end_of(2026, 9, 20)),
        # Tue 8 Sep, an ordinary week: Wed 9 Sep.
        (cst(2026, 9, 8, 10), end_of(2026, 9, 9)),
    ],
    ids=["friday_before_qingming", "eve_of_national_day", "makeup_sunday", "ordinary_week"],
)
def test_a_normal_order_is_signed_for_within_one_working_day(
    dispatched: datetime, sign_for_due: datetime
) -> None:
    case = new_case()
    ticket_id = receive(case, dispatched - timedelta(minutes=20))

    dispatch(case, ticket_id, A, dispatched)

    [d] = ticket(case, ticket_id).dispatches
    assert d.sign_for_due == sign_for_due
    assert (d.unit, d.role, d.dispatched_by, d.dispatched_at) == (
        A,
        UnitRole.LEAD,
        AGENT.id,
        dispatched,
    )


@pytest.mark.parametrize(
    ("urgency", "minutes"),
    [(HotlineUrgency.LIFE_PROPERTY, 15), (HotlineUrgency.UTILITIES, 30)],
)
def test_emergencies_are_signed_for_in_wall_clock_minutes_and_replied_the_same_day(
    urgency: HotlineUrgency, minutes: int
) -> None:
    # 02:10 on Sat 3 Oct, in the 国庆 holiday: the minutes run regardless (不区分工作日), and the
    # emergency reply is due by the end of the same day.
    case = new_case()
    ticket_id = receive(case, cst(2026, 10, 3, 2, 5), HotlineCategory.HELP, urgency)

    dispatch(case, ticket_id, A, cst(2026, 10, 3, 2, 10))

    t = ticket(case, ticket_id)
    assert t.dispatches[0].sign_for_due == cst(2026, 10, 3, 2, 10) + timedelta(minutes=minutes)
    assert t.reply_clock is not None
    assert t.reply_clock.due_at == end_of(2026, 10, 3)
    assert t.reply_clock.limit == TimeLimit(value=0, unit=LimitUnit.WORKING_DAYS)


@pytest.mark.parametrize(
    ("category", "limit", "due"),
    [
        # 投诉: 13 working days from Thu 24 Sep: 24, 28, 29, 30 Sep, 8, 9, 10 (Sat, 调休), 12, 13,
        # 14, 15, 16, 19 Oct.
        (HotlineCategory.COMPLAINT, 13, end_of(2026, 10, 19)),
        (HotlineCategory.REPORT, 13, end_of(2026, 10, 19)),
        # 咨询: 3 working days: Thu 24, Mon 28, Tue 29 Sep (中秋 25-27 Sep in between).
        (HotlineCategory.CONSULTATION, 3, end_of(2026, 9, 29)),
        (HotlineCategory.HELP, 3, end_of(2026, 9, 29)),
    ],
)
def test_the_reply_clock_starts_at_the_lead_dispatch_by_category(
    category: HotlineCategory, limit: int, due: datetime
) -> None:
    case = new_case()
    ticket_id = receive(case, cst(2026, 9, 23, 9), category)

    dispatch(case, ticket_id, A, cst(2026, 9, 23, 10))  # Wed 23 Sep

    t = ticket(case, ticket_id)
    assert t.status is TicketStatus.DISPATCHED  # not signed for, and the clock runs anyway
    running = t.reply_clock
    assert running is not None
    assert running.started_at == cst(2026, 9, 23, 10)
    assert running.limit == TimeLimit(value=limit, unit=LimitUnit.WORKING_DAYS)
    assert running.due_at == due
    assert running.policy_version == POLICY_VERSION
    assert running.source.startswith(f"policy {POLICY_VERSION}: 市直部门12345热线工单办理规则")
    assert running.calendar_version == "cn-2026.1"
    assert not running.provisional


def test_without_a_policy_no_clock_is_recorded() -> None:
    case = new_case()
    ticket_id = receive(case, cst(2026, 9, 23, 9), timing=None)

    dispatch(case, ticket_id, A, cst(2026, 9, 23, 10), timing=None)

    t = ticket(case, ticket_id)
    assert (t.dispatches[0].sign_for_due, t.reply_clock) == (None, None)


# --- the whole story ----------------------------------------------------------------------------


def test_an_order_flies_between_units_until_designated_then_is_handled_reopened_and_closed() -> (
    None
):
    """受理 → 派单 A → 退单 → 改派 B → 退单 → 改派 C → 退单 → 指定承办 D → 签收 → 联系 →
    延期 → 答复 (by the head) → 补办 → 答复 → 办结 → 回访不满意 (主观原因) → 重办 → 答复 →
    办结 → 回访满意."""
    case = new_case(cst(2026, 9, 1, 9))
    ticket_id = receive(case, cst(2026, 9, 7, 9))  # Mon 7 Sep, 投诉

    # Round 1: A, from Mon 7 Sep 09:30. Reply due in 13 working days: 8, 9, 10, 11, 14, 15, 16,
    # 17, 18, 20 (Sun, 调休), 21, 22, 23 Sep.
    dispatch(case, ticket_id, A, cst(2026, 9, 7, 9, 30))
    t = ticket(case, ticket_id)
    assert t.status is TicketStatus.DISPATCHED
    assert t.dispatches[0].sign_for_due == end_of(2026, 9, 8)
    assert t.reply_clock is not None and t.reply_clock.due_at == end_of(2026, 9, 23)

    ask_return(case, ticket_id, A, cst(2026, 9, 7, 14))  # within 1 working day of the dispatch
    t = ticket(case, ticket_id)
    assert t.status is TicketStatus.RETURN_REQUESTED
    assert (t.returns[0].round, t.returns[0].unit, t.returns[0].legal_basis) == (
        1,
        A,
        "本单位“三定”方案第三条",
    )
    decide_return(case, ticket_id, cst(2026, 9, 7, 15))
    t = ticket(case, ticket_id)
    assert t.status is TicketStatus.PENDING_DISPATCH
    assert (t.lead, t.reply_clock) == (None, None)
    assert t.dispatches[0].returned_at == cst(2026, 9, 7, 15)
    assert (t.returns[0].decision, t.returns[0].decided_by) == (Decision.APPROVE, AGENT.id)

    # Round 2: B, Tue 8 Sep 09:00; the reply clock starts again: 9, 10, 11, 14, 15, 16, 17, 18,
    # 20 (调休), 21, 22, 23, 24 Sep.
    dispatch(case, ticket_id, B, cst(2026, 9, 8, 9))
    t = ticket(case, ticket_id)
    assert t.reply_clock is not None
    assert (t.reply_clock.started_at, t.reply_clock.due_at) == (
        cst(2026, 9, 8, 9),
        end_of(2026, 9, 24),
    )
    ask_return(case, ticket_id, B, cst(2026, 9, 8, 10))
    decide_return(case, ticket_id, cst(2026, 9, 8, 11))

    # Round 3: C.
    dispatch(case, ticket_id, C, cst(2026, 9, 8, 14))
    ask_return(case, ticket_id, C, cst(2026, 9, 8, 15))
    decide_return(case, ticket_id, cst(2026, 9, 8, 16))
    t = ticket(case, ticket_id)
    assert (t.rounds, len(t.returns), t.status) == (3, 3, TicketStatus.PENDING_DISPATCH)
    assert [r.round for r in t.returns] == [1, 2, 3]
    assert [r.unit for r in t.returns] == [A, B, C]

    # After three rounds the hotline must designate the unit (指定承办).
    assert (
        dispatch_refusal(case, ticket_id, D, cst(2026, 9, 9, 9)) == "hotline.designation_required"
    )
    # Round 4: D, designated, Wed 9 Sep 09:05. Sign-for due Thu 10 Sep; reply due in 13 working
    # days: 10, 11, 14, 15, 16, 17, 18, 20 (调休), 21, 22, 23, 24, then 28 Sep (中秋 25-27).
    dispatch(case, ticket_id, D, cst(2026, 9, 9, 9, 5), designated=True)
    t = ticket(case, ticket_id)
    assert t.lead is not None and (t.lead.unit, t.lead.designated) == (D, True)
    assert t.lead.sign_for_due == end_of(2026, 9, 10)
    assert t.reply_clock is not None and t.reply_clock.due_at == end_of(2026, 9, 28)

    assert (
        return_refusal(case, ticket_id, D, cst(2026, 9, 9, 9, 30), legal_basis="街道职责清单")
        == "hotline.designated_cannot_return"
    )

    sign_for(case, ticket_id, D, cst(2026, 9, 9, 10))
    t = ticket(case, ticket_id)
    assert t.status is TicketStatus.IN_PROGRESS
    assert t.lead is not None
    assert (t.lead.signed_for_at, t.lead.signed_for_by) == (cst(2026, 9, 9, 10), LIAISON[D].id)

    append(
        case,
        "HotlineApplicantContacted",
        LIAISON[D],
        cst(2026, 9, 9, 11),
        ticket_id=ticket_id,
        method="电话",
        note="约定现场查看",
    )
    assert (ticket(case, ticket_id).contacts, ticket(case, ticket_id).first_contact_at) == (
        1,
        cst(2026, 9, 9, 11),
    )

    # 延期, asked before the deadline (28 Sep) for 5 working days: 13 + 5 = 18 working days from
    # 9 Sep: ... 28, 29, 30 Sep, 8, 9, 10 Oct (Sat, 调休).
    assert (
        extension(case, ticket_id, cst(2026, 9, 24, 10), 5, D, "需协调物业、供水单位现场处置")
        is None
    )
    decide_extension(case, ticket_id, cst(2026, 9, 24, 15), opinion="同意延期5个工作日")
    t = ticket(case, ticket_id)
    assert t.reply_clock is not None
    assert t.reply_clock.limit == TimeLimit(value=18, unit=LimitUnit.WORKING_DAYS)
    assert t.reply_clock.due_at == end_of(2026, 10, 10)
    assert t.reply_clock.started_at == cst(2026, 9, 9, 9, 5)  # the round's dispatch still
    assert (t.extensions[0].decision, t.extensions[0].decided_by) == (Decision.APPROVE, AGENT.id)

    # The reply goes back signed by the unit's head, not by its liaison.
    assert refusal(
        case,
        "HotlineReplied",
        LIAISON[D],
        cst(2026, 10, 9, 9),
        ticket_id=ticket_id,
        text="已协调处理",
        unit_claims_resolved=True,
    ) == ("hotline.reply_not_signed_by_head")
    reply(case, ticket_id, D, cst(2026, 10, 9, 10), "已协调处理")
    assert ticket(case, ticket_id).status is TicketStatus.REPLIED
    review(case, ticket_id, cst(2026, 10, 9, 14), ReviewResult.REWORK)
    t = ticket(case, ticket_id)
    assert t.status is TicketStatus.IN_PROGRESS
    assert (t.replies[0].review, t.replies[0].signed_by) == (ReviewResult.REWORK, HEAD[D].id)

    reply(case, ticket_id, D, cst(2026, 10, 10, 10), "已现场处置并书面答复")
    review(case, ticket_id, cst(2026, 10, 10, 15))
    t = ticket(case, ticket_id)
    assert (t.status, t.closure, t.closed_at, t.first_closed_at) == (
        TicketStatus.CLOSED,
        TicketClosure.REPLIED,
        cst(2026, 10, 10, 15),
        cst(2026, 10, 10, 15),
    )
    assert t.reply_clock is not None and t.closed_at <= t.reply_clock.due_at  # closed in time

    # 回访: dissatisfied, the unit at fault (主观原因): 重办 on a new clock from Mon 12 Oct 11:00,
    # 13 working days: 13, 14, 15, 16, 19, 20, 21, 22, 23, 26, 27, 28, 29 Oct.
    dissatisfied(case, ticket_id, cst(2026, 10, 12, 10))
    reopen(case, ticket_id, cst(2026, 10, 12, 11), "回访不满意：承办单位未现场核实")
    t = ticket(case, ticket_id)
    assert (t.status, t.closure, t.closed_at, t.reopen_count) == (
        TicketStatus.IN_PROGRESS,
        None,
        None,
        1,
    )
    assert t.first_closed_at == cst(2026, 10, 10, 15)
    assert t.reply_clock is not None
    assert (t.reply_clock.started_at, t.reply_clock.due_at) == (
        cst(2026, 10, 12, 11),
        end_of(2026, 10, 29),
    )
    assert t.reply_clock.limit == TimeLimit(value=13, unit=LimitUnit.WORKING_DAYS)

    reply(case, ticket_id, D, cst(2026, 10, 20, 10), "重新核实并整改完毕")
    review(case, ticket_id, cst(2026, 10, 20, 15))
    follow_up(case, ticket_id, cst(2026, 10, 21, 10), Satisfaction.SATISFIED)

    t = ticket(case, ticket_id)
    assert (t.status, t.closure, t.closed_at) == (
        TicketStatus.CLOSED,
        TicketClosure.REPLIED,
        cst(2026, 10, 20, 15),
    )
    assert t.first_closed_at == cst(2026, 10, 10, 15)
    assert (t.rounds, len(t.dispatches), len(t.returns), len(t.replies)) == (4, 4, 3, 3)
    assert [d.unit for d in t.dispatches] == [A, B, C, D]
    assert [d.returned_at is not None for d in t.dispatches] == [True, True, True, False]
    assert [r.decision for r in t.returns] == [Decision.APPROVE] * 3
    assert [r.review for r in t.replies] == [
        ReviewResult.REWORK,
        ReviewResult.PASS,
        ReviewResult.PASS,
    ]
    assert [f.satisfaction for f in t.follow_ups] == [
        Satisfaction.DISSATISFIED,
        Satisfaction.SATISFIED,
    ]
    assert t.received_at == cst(2026, 9, 7, 9)  # the citizen's whole wait stays visible

    # The stored events rebuild exactly this state.
    mapper = MsgspecMapper()
    events = [mapper.to_domain_event(mapper.to_stored_event(e)) for e in case.collect_events()]
    replayed = project_aggregate(None, events)
    assert replayed is not None
    assert msgspec.json.encode(replayed.state) == msgspec.json.encode(case.state)


# --- dispatch rules -----------------------------------------------------------------------------


def test_a_unit_is_designated_only_after_three_rounds_and_only_as_lead() -> None:
    case = new_case()
    ticket_id = receive(case, cst(2026, 9, 7, 9))
    assert (
        dispatch_refusal(case, ticket_id, A, cst(2026, 9, 7, 10), designated=True)
        == "hotline.designation_too_early"
    )

    dispatch(case, ticket_id, A, cst(2026, 9, 7, 10))
    assert (
        dispatch_refusal(
            case, ticket_id, B, cst(2026, 9, 7, 11), role=UnitRole.ASSIST, designated=True
        )
        == "hotline.designation_too_early"
    )


def test_a_second_lead_dispatch_waits_for_an_approved_return() -> None:
    case, ticket_id = dispatched_to_a()

    assert dispatch_refusal(case, ticket_id, B, cst(2026, 9, 7, 11)) == "hotline.already_dispatched"


def test_assisting_units_join_the_round_of_the_lead_and_end_with_it() -> None:
    case = new_case()
    ticket_id = receive(case, cst(2026, 9, 7, 9))
    assert (
        dispatch_refusal(case, ticket_id, B, cst(2026, 9, 7, 10), role=UnitRole.ASSIST)
        == "hotline.no_lead_unit"
    )

    dispatch(case, ticket_id, A, cst(2026, 9, 7, 10))
    assert (
        dispatch_refusal(case, ticket_id, A, cst(2026, 9, 7, 11), role=UnitRole.ASSIST)
        == "hotline.already_dispatched_to_unit"
    )
    dispatch(case, ticket_id, B, cst(2026, 9, 7, 11), role=UnitRole.ASSIST)
    sign_for(case, ticket_id, B, cst(2026, 9, 7, 12))

    t = ticket(case, ticket_id)
    assert t.status is TicketStatus.DISPATCHED  # only the lead's sign-for starts the handling
    assert t.rounds == 1  # an assisting dispatch is not a round
    assert t.dispatches[1].signed_for_by == LIAISON[B].id
    assert t.reply_clock is not None and t.reply_clock.started_at == cst(2026, 9, 7, 10)
    # An assisting unit neither returns nor replies to the order.
    assert (
        return_refusal(case, ticket_id, B, cst(2026, 9, 7, 13), reason="非本单位")
        == "hotline.not_lead_unit"
    )

    ask_return(case, ticket_id, A, cst(2026, 9, 7, 14))
    decide_return(case, ticket_id, cst(2026, 9, 7, 15))
    t = ticket(case, ticket_id)
    assert all(d.returned_at == cst(2026, 9, 7, 15) for d in t.dispatches)
    assert t.dispatch_to(B) is None


# --- sign-for and 退单 --------------------------------------------------------------------------


def test_only_a_unit_the_order_was_dispatched_to_signs_for_it_and_only_once() -> None:
    case, ticket_id = dispatched_to_a()

    assert (
        sign_for_refusal(case, ticket_id, B, cst(2026, 9, 7, 11))
        == "hotline.not_dispatched_to_unit"
    )
    sign_for(case, ticket_id, A, cst(2026, 9, 7, 11))
    assert sign_for_refusal(case, ticket_id, A, cst(2026, 9, 7, 12)) == "hotline.already_signed_for"


def test_a_pending_return_blocks_the_sign_for_and_a_second_return() -> None:
    case, ticket_id = dispatched_to_a()
    ask_return(case, ticket_id, A, cst(2026, 9, 7, 11))

    assert sign_for_refusal(case, ticket_id, A, cst(2026, 9, 7, 12)) == "hotline.return_pending"
    assert (
        return_refusal(case, ticket_id, A, cst(2026, 9, 7, 12), reason="再次申请")
        == "hotline.return_pending"
    )


@pytest.mark.parametrize(
    ("signed", "status"), [(False, TicketStatus.DISPATCHED), (True, TicketStatus.IN_PROGRESS)]
)
def test_a_rejected_return_leaves_the_order_with_its_unit(
    signed: bool, status: TicketStatus
) -> None:
    case, ticket_id = dispatched_to_a()
    if signed:
        sign_for(case, ticket_id, A, cst(2026, 9, 7, 10, 30))
    clock_before = ticket(case, ticket_id).reply_clock
    ask_return(case, ticket_id, A, cst(2026, 9, 7, 11))

    decide_return(case, ticket_id, cst(2026, 9, 7, 12), Decision.REJECT)

    t = ticket(case, ticket_id)
    assert t.status is status
    assert t.lead is not None and t.lead.unit == A and t.lead.returned_at is None
    assert t.reply_clock == clock_before
    assert (t.returns[0].decision, t.returns[0].opinion) == (Decision.REJECT, "不同意退单")
    assert refusal(
        case,
        "HotlineReturnDecided",
        AGENT,
        cst(2026, 9, 7, 13),
        ticket_id=ticket_id,
        decision=Decision.APPROVE,
        opinion="同意",
    ) == ("hotline.no_return_pending")


def test_a_return_is_asked_within_one_working_day_of_the_dispatch() -> None:
    # Dispatched Fri 3 Apr 10:00; 清明 4-6 Apr: 退单 possible until the end of Tue 7 Apr.
    case, ticket_id = dispatched_to_a(cst(2026, 4, 3, 10))

    assert (
        return_refusal(case, ticket_id, A, cst(2026, 4, 8, 0, 0)) == "hotline.return_window_passed"
    )
    ask_return(case, ticket_id, A, cst(2026, 4, 7, 23, 30))
    assert ticket(case, ticket_id).status is TicketStatus.RETURN_REQUESTED


def test_a_replied_order_is_not_returned() -> None:
    case, ticket_id = in_progress()
    reply(case, ticket_id, A, cst(2026, 9, 23, 12))

    assert return_refusal(case, ticket_id, A, cst(2026, 9, 23, 13)) == "hotline.not_in_progress"


# --- extensions ---------------------------------------------------------------------------------


def extension(
    case: Case,
    ticket_id: UUID,
    at: datetime,
    days: int = 2,
    unit: str = A,
    reason: str = "需补充调查",
) -> str | None:
    """Ask an extension for the unit; None if recorded, else the rule that refused it."""
    try:
        append(
            case,
            "HotlineExtensionRequested",
            LIAISON[unit],
            at,
            ticket_id=ticket_id,
            working_days=days,
            reason=reason,
        )
    except RuleViolation as refused:
        return refused.rule
    return None


def decide_extension_refusal(case: Case, ticket_id: UUID, at: datetime) -> str:
    return refusal(
        case,
        "HotlineExtensionDecided",
        AGENT,
        at,
        ticket_id=ticket_id,
        decision=Decision.APPROVE,
        opinion="同意",
    )


def test_an_approved_extension_moves_the_reply_deadline_by_working_days() -> None:
    # 咨询 dispatched Wed 23 Sep 10:00: due Tue 29 Sep (3 working days). Two more: 30 Sep, then
    # 8 Oct after 国庆.
    case, ticket_id = in_progress(cst(2026, 9, 23, 10))
    assert extension(case, ticket_id, cst(2026, 9, 28, 10)) is None

    decide_extension(case, ticket_id, cst(2026, 9, 28, 15))

    running = ticket(case, ticket_id).reply_clock
    assert running is not None
    assert running.limit == TimeLimit(value=5, unit=LimitUnit.WORKING_DAYS)
    assert running.due_at == end_of(2026, 10, 8)


def test_a_rejected_extension_leaves_the_deadline() -> None:
    case, ticket_id = in_progress(cst(2026, 9, 23, 10))
    assert extension(case, ticket_id, cst(2026, 9, 28, 10)) is None

    decide_extension(case, ticket_id, cst(2026, 9, 28, 15), Decision.REJECT, opinion="不同意")

    t = ticket(case, ticket_id)
    assert t.reply_clock is not None and t.reply_clock.due_at == end_of(2026, 9, 29)
    assert t.extensions[0].decision is Decision.REJECT
    # A new one may then be asked.
    assert extension(case, ticket_id, cst(2026, 9, 29, 9)) is None


def test_an_extension_is_asked_before_the_deadline_one_at_a_time() -> None:
    case, ticket_id = in_progress(cst(2026, 9, 23, 10))  # due end of Tue 29 Sep

    assert extension(case, ticket_id, cst(2026, 9, 30, 0, 0)) == "hotline.extension_after_expiry"
    assert extension(case, ticket_id, cst(2026, 9, 29, 23, 0)) is None
    assert extension(case, ticket_id, cst(2026, 9, 29, 23, 30)) == "hotline.extension_pending"
    assert len(ticket(case, ticket_id).extensions) == 1


def test_no_extension_decision_without_a_request() -> None:
    case, ticket_id = in_progress()

    assert (
        decide_extension_refusal(case, ticket_id, cst(2026, 9, 24, 10))
        == "hotline.no_extension_pending"
    )


def test_an_extension_asked_in_a_returned_round_lapses_with_it() -> None:
    case, ticket_id = dispatched_to_a()
    sign_for(case, ticket_id, A, cst(2026, 9, 7, 11))
    assert extension(case, ticket_id, cst(2026, 9, 7, 12), days=10) is None
    ask_return(case, ticket_id, A, cst(2026, 9, 7, 13))
    decide_return(case, ticket_id, cst(2026, 9, 7, 14))
    # B's round, from Tue 8 Sep 09:00: 13 working days, due Thu 24 Sep.
    dispatch(case, ticket_id, B, cst(2026, 9, 8, 9))
    sign_for(case, ticket_id, B, cst(2026, 9, 8, 10))

    # A's request is not B's: it cannot be approved onto B's clock, and does not block B's own.
    assert (
        decide_extension_refusal(case, ticket_id, cst(2026, 9, 8, 11))
        == "hotline.no_extension_pending"
    )
    assert extension(case, ticket_id, cst(2026, 9, 8, 12), 2, B, "需现场核查") is None
    decide_extension(case, ticket_id, cst(2026, 9, 8, 13))

    # 13 + 2 = 15 working days from 8 Sep: ... 24 Sep, then 28, 29 Sep (中秋 25-27).
    running = ticket(case, ticket_id).reply_clock
    assert running is not None
    assert running.limit == TimeLimit(value=15, unit=LimitUnit.WORKING_DAYS)
    assert running.due_at == end_of(2026, 9, 29)
    assert [e.decision for e in ticket(case, ticket_id).extensions] == [None, Decision.APPROVE]


def test_an_extension_is_refused_on_a_clock_that_is_not_in_working_days() -> None:
    # A jurisdiction whose emergencies are answered within 4 hours: a working-day extension cannot
    # lengthen that clock.
    policy = TIMING.policy
    four_hours = LimitRule(value=4, unit=LimitUnit.HOURS, source=Provenance(document="紧急类4小时"))
    hourly = Timing(
        policy=msgspec.structs.replace(
            policy, hotline=msgspec.structs.replace(policy.hotline, reply_emergency=four_hours)
        ),
        calendar=TIMING.calendar,
    )
    case, ticket_id = in_progress(
        cst(2026, 9, 23, 10), timing=hourly, urgency=HotlineUrgency.UTILITIES
    )
    running = ticket(case, ticket_id).reply_clock
    assert running is not None and running.due_at == cst(2026, 9, 23, 14)

    assert extension(case, ticket_id, cst(2026, 9, 23, 12)) == "hotline.extension_unit_mismatch"


# --- replies, review, closure -----------------------------------------------------------------


def test_a_reply_follows_the_sign_for_by_the_lead_units_head() -> None:
    case, ticket_id = dispatched_to_a()
    dispatch(case, ticket_id, B, cst(2026, 9, 7, 10), role=UnitRole.ASSIST)
    body = {"ticket_id": ticket_id, "text": "已办理", "unit_claims_resolved": True}

    assert refusal(case, "HotlineReplied", HEAD[A], cst(2026, 9, 7, 11), **body) == (
        "hotline.not_in_progress"
    )
    sign_for(case, ticket_id, A, cst(2026, 9, 7, 11))
    assert refusal(case, "HotlineReplied", HEAD[B], cst(2026, 9, 7, 12), **body) == (
        "hotline.not_lead_unit"
    )
    reply(case, ticket_id, A, cst(2026, 9, 7, 12))

    [r] = ticket(case, ticket_id).replies
    assert (r.signed_by, r.replied_at, r.unit_claims_resolved, r.review) == (
        HEAD[A].id,
        cst(2026, 9, 7, 12),
        True,
        None,
    )


def test_only_a_reply_is_reviewed() -> None:
    case, ticket_id = in_progress()

    assert refusal(
        case,
        "HotlineReplyReviewed",
        AGENT,
        cst(2026, 9, 24, 10),
        ticket_id=ticket_id,
        result=ReviewResult.PASS,
        opinion="通过",
    ) == ("hotline.no_reply_to_review")


def close_at_intake(case: Case, ticket_id: UUID, closure: TicketClosure, note: str) -> None:
    """The hotline closes an undispatched order at 09:10 on Mon 7 Sep."""
    append(
        case,
        "HotlineClosed",
        AGENT,
        cst(2026, 9, 7, 9, 10),
        ticket_id=ticket_id,
        closure=closure,
        note=note,
    )


@pytest.mark.parametrize("closure", [TicketClosure.ANSWERED_AT_INTAKE, TicketClosure.REDIRECTED])
def test_the_hotline_closes_an_undispatched_order_itself(closure: TicketClosure) -> None:
    case = new_case()
    ticket_id = receive(case, cst(2026, 9, 7, 9), HotlineCategory.CONSULTATION)

    close_at_intake(case, ticket_id, closure, "知识库直接答复")

    t = ticket(case, ticket_id)
    assert (t.status, t.closure, t.closed_at) == (
        TicketStatus.CLOSED,
        closure,
        cst(2026, 9, 7, 9, 10),
    )
    assert dispatch_refusal(case, ticket_id, A, cst(2026, 9, 7, 10)) == "hotline.ticket_closed"


def test_a_dispatched_order_closes_on_its_reply_only() -> None:
    case = new_case()
    ticket_id = receive(case, cst(2026, 9, 7, 9))
    body = {"ticket_id": ticket_id, "note": "关闭"}

    assert refusal(
        case, "HotlineClosed", AGENT, cst(2026, 9, 7, 9, 5), closure=TicketClosure.REPLIED, **body
    ) == ("hotline.closure_needs_review")
    dispatch(case, ticket_id, A, cst(2026, 9, 7, 10))
    assert refusal(
        case,
        "HotlineClosed",
        AGENT,
        cst(2026, 9, 7, 11),
        closure=TicketClosure.ANSWERED_AT_INTAKE,
        **body,
    ) == ("hotline.already_dispatched")


# --- 回访 and 重办 -----------------------------------------------------------------------------


def follow_up_refusal(case: Case, ticket_id: UUID, **answers: Any) -> str:
    body = {"reachable": True, "resolved": True, "satisfaction": None, "cause": None}
    return refusal(
        case,
        "HotlineFollowedUp",
        AGENT,
        cst(2026, 9, 25, 10),
        ticket_id=ticket_id,
        **{**body, **answers},
    )


def test_a_follow_up_follows_the_closure() -> None:
    case, ticket_id = in_progress()

    assert follow_up_refusal(case, ticket_id, satisfaction=Satisfaction.SATISFIED) == (
        "hotline.not_closed"
    )


@pytest.mark.parametrize(
    ("answers", "rule"),
    [
        (
            {"reachable": False, "resolved": True, "satisfaction": None},
            "follow_up.answers_without_contact",
        ),
        (
            {"reachable": False, "resolved": None, "satisfaction": Satisfaction.SATISFIED},
            "follow_up.answers_without_contact",
        ),
        (
            {"reachable": True, "resolved": None, "satisfaction": Satisfaction.SATISFIED},
            "follow_up.answers_missing",
        ),
        ({"reachable": True, "resolved": True, "satisfaction": None}, "follow_up.answers_missing"),
        ({"satisfaction": Satisfaction.DISSATISFIED, "cause": None}, "follow_up.cause_mismatch"),
        (
            {"satisfaction": Satisfaction.SATISFIED, "cause": DissatisfactionCause.UNIT},
            "follow_up.cause_mismatch",
        ),
    ],
)
def test_a_follow_ups_answers_are_consistent(answers: dict[str, Any], rule: str) -> None:
    case, ticket_id = closed_by_reply()

    assert follow_up_refusal(case, ticket_id, **answers) == rule


def test_an_unreachable_caller_is_kept_without_answers() -> None:
    case, ticket_id = closed_by_reply()

    follow_up(
        case, ticket_id, cst(2026, 9, 25, 10), satisfaction=None, reachable=False, resolved=None
    )

    [f] = ticket(case, ticket_id).follow_ups
    assert (f.reachable, f.resolved, f.satisfaction, f.cause, f.by) == (
        False,
        None,
        None,
        None,
        AGENT.id,
    )


def reopen_refusal(case: Case, ticket_id: UUID, at: datetime = SAT_26_SEP) -> str:
    return refusal(case, "HotlineReopened", AGENT, at, ticket_id=ticket_id, reason="重办")


def test_no_reopening_without_a_follow_up_finding_the_unit_at_fault() -> None:
    case, ticket_id = closed_by_reply()
    assert reopen_refusal(case, ticket_id) == "hotline.reopen_without_unit_fault"

    dissatisfied(case, ticket_id, cst(2026, 9, 25, 10), DissatisfactionCause.OBJECTIVE)
    assert reopen_refusal(case, ticket_id) == "hotline.reopen_without_unit_fault"

    dissatisfied(case, ticket_id, cst(2026, 9, 25, 11))
    reopen(case, ticket_id, cst(2026, 9, 26, 10))
    assert ticket(case, ticket_id).reopen_count == 1


def test_an_order_answered_at_intake_is_not_reopened() -> None:
    case = new_case()
    ticket_id = receive(case, cst(2026, 9, 7, 9), HotlineCategory.CONSULTATION)
    close_at_intake(case, ticket_id, TicketClosure.ANSWERED_AT_INTAKE, "直接答复")
    dissatisfied(case, ticket_id, cst(2026, 9, 8, 10))

    assert reopen_refusal(case, ticket_id) == "hotline.reopen_without_unit_fault"


def test_a_reopened_order_closed_again_needs_a_new_follow_up_before_another_reopening() -> None:
    case, ticket_id = closed_by_reply()
    dissatisfied(case, ticket_id, cst(2026, 9, 25, 10))
    reopen(case, ticket_id, cst(2026, 9, 25, 11))
    reply(case, ticket_id, A, cst(2026, 9, 28, 10))
    review(case, ticket_id, cst(2026, 9, 28, 15))

    # The dissatisfied 回访 was about the first reply; the second has not been followed up.
    assert reopen_refusal(case, ticket_id, cst(2026, 9, 29, 10)) == (
        "hotline.reopen_without_unit_fault"
    )
    dissatisfied(case, ticket_id, cst(2026, 9, 29, 10))
    reopen(case, ticket_id, cst(2026, 9, 29, 11), "再次重办")
    assert ticket(case, ticket_id).reopen_count == 2


# --- 并单 and 督办 -----------------------------------------------------------------------------


def test_a_duplicate_is_merged_into_its_master_never_deleted() -> None:
    case = new_case()
    ticket_id = receive(case, cst(2026, 9, 7, 9), ticket_no="HS-2")
    master_case = uuid4()
    assert refusal(
        case,
        "HotlineMerged",
        AGENT,
        cst(2026, 9, 7, 10),
        ticket_id=ticket_id,
        master_case_id=case.id,
        master_ticket_no="HS-2",
    ) == ("hotline.merge_into_itself")

    append(
        case,
        "HotlineMerged",
        AGENT,
        cst(2026, 9, 7, 10),
        ticket_id=ticket_id,
        master_case_id=master_case,
        master_ticket_no="HS-1",
    )

    t = ticket(case, ticket_id)
    assert (t.status, t.merged_into_case, t.merged_into_ticket, t.merged_at) == (
        TicketStatus.MERGED,
        master_case,
        "HS-1",
        cst(2026, 9, 7, 10),
    )
    assert not t.status.is_open
    assert dispatch_refusal(case, ticket_id, A, cst(2026, 9, 7, 11)) == "hotline.ticket_closed"
    assert follow_up_refusal(case, ticket_id, satisfaction=Satisfaction.SATISFIED) == (
        "hotline.not_closed"
    )


def supervise(case: Case, ticket_id: UUID, at: datetime, level: SupervisionLevel) -> str | None:
    try:
        append(case, "HotlineSupervised", AGENT, at, ticket_id=ticket_id, level=level, note="督办")
    except RuleViolation as refused:
        return refused.rule
    return None


def test_urging_any_time_a_unit_has_the_order_a_notice_once_overdue_then_circulation() -> None:
    case = new_case()
    ticket_id = receive(case, cst(2026, 9, 23, 9), HotlineCategory.CONSULTATION)
    assert supervise(case, ticket_id, cst(2026, 9, 23, 9, 30), SupervisionLevel.URGE) == (
        "hotline.nothing_to_supervise"
    )
    dispatch(case, ticket_id, A, cst(2026, 9, 23, 10))  # reply due end of Tue 29 Sep

    assert supervise(case, ticket_id, cst(2026, 9, 28, 10), SupervisionLevel.URGE) is None
    assert supervise(case, ticket_id, cst(2026, 9, 29, 23, 0), SupervisionLevel.NOTICE) == (
        "hotline.not_overdue"
    )
    assert supervise(case, ticket_id, cst(2026, 9, 30, 9), SupervisionLevel.NOTICE) is None
    # 通报批评 if still overdue 5 working days after the notice (Wed 30 Sep): 8, 9, 10 (Sat,
    # 调休), 12, 13 Oct.
    assert supervise(case, ticket_id, cst(2026, 10, 9, 9), SupervisionLevel.CIRCULATED) == (
        "hotline.criticism_too_early"
    )
    assert supervise(case, ticket_id, cst(2026, 10, 14, 9), SupervisionLevel.CIRCULATED) is None

    assert ticket(case, ticket_id).supervisions == [
        (SupervisionLevel.URGE, cst(2026, 9, 28, 10)),
        (SupervisionLevel.NOTICE, cst(2026, 9, 30, 9)),
        (SupervisionLevel.CIRCULATED, cst(2026, 10, 14, 9)),
    ]


# --- on a closed case ------------------------------------------------------------------------


def test_a_12345_order_may_arrive_after_the_case_was_completed() -> None:
    case = new_case(cst(2026, 9, 1, 9))
    clerk = Actor(id="clerk-7", roles=(Role.CLERK,), unit="人社")
    append(case, "Accepted", clerk, cst(2026, 9, 1, 10), note=None)
    append(case, "Completed", clerk, cst(2026, 9, 2, 10), outcome=Outcome.GRANTED, summary=None)

    ticket_id = receive(case, cst(2026, 9, 7, 9))
    dispatch(case, ticket_id, A, cst(2026, 9, 7, 10))

    assert ticket(case, ticket_id).status is TicketStatus.DISPATCHED
