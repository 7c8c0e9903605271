"""12345 orders, 办不成事 reports and ratings written through `Ledger` in process, for the
pushback view tests: each helper takes a case and a start time and writes one story on it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from ledger.application.service import Ledger
from ledger.domain.hotline.records import (
    DissatisfactionCause,
    HotlineCategory,
    HotlineUrgency,
    ReviewResult,
    Satisfaction,
    SupervisionLevel,
    TicketClosure,
    UnitRole,
)
from ledger.domain.ratings.records import BadReviewValidity, RatingChannel, Rectification
from ledger.domain.unresolved.records import (
    Resolvability,
    UnresolvedCause,
    UnresolvedClosure,
    UnresolvedTier,
)
from ledger.domain.values import Actor, Decision
from tests.conftest import actor

HOTLINE = actor("hl-1", "hotline_operator", unit="12345")
CLERK = actor("clerk-hs", "clerk", unit="人社")
HEAD = actor("head-hs", "department_head", unit="人社")
CLERK_YB = actor("clerk-yb", "clerk", unit="医保")
HEAD_YB = actor("head-yb", "department_head", unit="医保")
DUTY = actor("duty-hs", "duty_officer", unit="值班")
DIRECTOR = actor("director-hs", "centre_director", unit="中心")
LEAD = actor("lead-hs", "window_lead", unit="人社")
RELAY = actor("haochaping-hs", "rating_channel")  # the 好差评 system's relay: ratings come by it

SECRET = "举报某窗口人员索要好处费"
"""A confidential order's summary: no view may hold it."""

_numbers = iter(range(1, 1_000_000))


def _at(start: datetime, minutes: float) -> datetime:
    return start + timedelta(minutes=minutes)


def ticket(
    ledger: Ledger,
    case_id: UUID,
    start: datetime,
    *,
    category: HotlineCategory = HotlineCategory.COMPLAINT,
    urgency: HotlineUrgency = HotlineUrgency.NORMAL,
    confidential: bool = False,
    summary: str = "反映窗口办事拖延",
) -> UUID:
    """A new order on the case (pending dispatch)."""
    receipt = ledger.append(
        case_id,
        HOTLINE,
        "HotlineEscalationReceived",
        occurred_at=start,
        ticket_no=f"HS-{next(_numbers):06d}",
        category=category,
        urgency=urgency,
        confidential=confidential,
        summary=summary,
    )
    return receipt.ids["ticket_id"]


def hotline(
    ledger: Ledger, case_id: UUID, ticket_id: UUID, event: str, at: datetime, by: Any = HOTLINE,
    **fields: Any,
) -> None:  # fmt: skip
    ledger.append(case_id, by, event, occurred_at=at, ticket_id=ticket_id, **fields)


def dispatch(
    ledger: Ledger, case_id: UUID, ticket_id: UUID, at: datetime, unit: str = "人社",
    role: UnitRole = UnitRole.LEAD, designated: bool = False,
) -> None:  # fmt: skip
    hotline(
        ledger, case_id, ticket_id, "HotlineDispatched", at, unit=unit, role=role,
        designated=designated,
    )  # fmt: skip


def full_ticket_story(ledger: Ledger, case_id: UUID, start: datetime) -> UUID:
    """Dispatched with an assisting unit, returned once, re-dispatched, signed, contacted,
    extended, replied, sent back, replied, closed, followed up dissatisfied (unit's fault),
    reopened, urged."""
    t = ticket(ledger, case_id, start)
    dispatch(ledger, case_id, t, _at(start, 1), unit="医保")
    hotline(
        ledger, case_id, t, "HotlineReturnRequested", _at(start, 2), by=CLERK_YB,
        reason="非本单位职责", legal_basis="三定方案",
    )  # fmt: skip
    hotline(
        ledger, case_id, t, "HotlineReturnDecided", _at(start, 3),
        decision=Decision.APPROVE, opinion="同意改派",
    )  # fmt: skip
    dispatch(ledger, case_id, t, _at(start, 4))
    dispatch(ledger, case_id, t, _at(start, 5), unit="医保", role=UnitRole.ASSIST)
    hotline(ledger, case_id, t, "HotlineSignedFor", _at(start, 6), by=CLERK)
    hotline(ledger, case_id, t, "HotlineSignedFor", _at(start, 7), by=CLERK_YB)
    hotline(ledger, case_id, t, "HotlineApplicantContacted", _at(start, 8), by=CLERK, method="电话")
    hotline(
        ledger, case_id, t, "HotlineExtensionRequested", _at(start, 9), by=CLERK,
        working_days=5, reason="需现场核查",
    )  # fmt: skip
    hotline(
        ledger, case_id, t, "HotlineExtensionDecided", _at(start, 10),
        decision=Decision.APPROVE, opinion="同意",
    )  # fmt: skip
    hotline(
        ledger, case_id, t, "HotlineReplied", _at(start, 11), by=HEAD,
        text="已办理", unit_claims_resolved=True,
    )  # fmt: skip
    hotline(
        ledger, case_id, t, "HotlineReplyReviewed", _at(start, 12),
        result=ReviewResult.REWORK, opinion="答复不完整",
    )  # fmt: skip
    hotline(
        ledger, case_id, t, "HotlineReplied", _at(start, 13), by=HEAD,
        text="已补充办理", unit_claims_resolved=True,
    )  # fmt: skip
    hotline(
        ledger, case_id, t, "HotlineReplyReviewed", _at(start, 14),
        result=ReviewResult.PASS, opinion="通过",
    )  # fmt: skip
    hotline(
        ledger, case_id, t, "HotlineFollowedUp", _at(start, 15), reachable=False,
        resolved=None, satisfaction=None, cause=None,
    )  # fmt: skip
    hotline(
        ledger, case_id, t, "HotlineFollowedUp", _at(start, 16), reachable=True,
        resolved=False, satisfaction=Satisfaction.DISSATISFIED, cause=DissatisfactionCause.UNIT,
    )  # fmt: skip
    hotline(ledger, case_id, t, "HotlineReopened", _at(start, 17), reason="回访不满意")
    hotline(
        ledger, case_id, t, "HotlineSupervised", _at(start, 18),
        level=SupervisionLevel.URGE, note="请尽快办理",
    )  # fmt: skip
    return t


def closed_at_intake(ledger: Ledger, case_id: UUID, start: datetime) -> UUID:
    t = ticket(
        ledger, case_id, start, category=HotlineCategory.CONSULTATION, confidential=True,
        summary=SECRET,
    )  # fmt: skip
    hotline(
        ledger, case_id, t, "HotlineClosed", _at(start, 1),
        closure=TicketClosure.ANSWERED_AT_INTAKE, note="知识库直接答复",
    )  # fmt: skip
    hotline(
        ledger, case_id, t, "HotlineFollowedUp", _at(start, 2), reachable=True,
        resolved=True, satisfaction=Satisfaction.SATISFIED, cause=None,
    )  # fmt: skip
    return t


def merged(ledger: Ledger, case_id: UUID, start: datetime, master: UUID) -> UUID:
    t = ticket(ledger, case_id, start, urgency=HotlineUrgency.UTILITIES)
    dispatch(ledger, case_id, t, _at(start, 1))
    hotline(
        ledger, case_id, t, "HotlineMerged", _at(start, 2),
        master_case_id=master, master_ticket_no="HS-MASTER",
    )  # fmt: skip
    return t


def report(
    ledger: Ledger,
    case_id: UUID,
    start: datetime,
    *,
    cause: UnresolvedCause = UnresolvedCause.MATERIALS,
    tier: UnresolvedTier = UnresolvedTier.COMPLEX,
) -> UUID:
    receipt = ledger.append(
        case_id,
        CLERK,
        "UnresolvedReported",
        occurred_at=start,
        cause=cause,
        resolvability=Resolvability.HARD_TO_DO,
        tier=tier,
        description="材料要求不一致",
    )
    return receipt.ids["report_id"]


def worked_report(
    ledger: Ledger, case_id: UUID, start: datetime, key: str = "材料清单不一致", close: bool = True
) -> UUID:
    """A report with a team, a root cause, two actions (one completed), closed as resolved."""
    r = report(ledger, case_id, start)
    ledger.append(
        case_id, DUTY, "SpecialTeamAssigned", occurred_at=_at(start, 1), report_id=r,
        lead="王主任", members=["王主任", "张三", "李四"],
    )  # fmt: skip
    cause_id = record_root_cause(
        ledger, case_id, DUTY, _at(start, 2), report_id=r,
        cause=UnresolvedCause.MATERIALS, key=key, description="两个部门清单不一",
    )  # fmt: skip
    action = ledger.append(
        case_id, DUTY, "ImprovementActionOpened", occurred_at=_at(start, 3), report_id=r,
        root_cause_id=cause_id, action="统一材料清单", owner_unit="人社",
    ).ids["action_id"]  # fmt: skip
    ledger.append(
        case_id, DUTY, "ImprovementActionOpened", occurred_at=_at(start, 4), report_id=r,
        root_cause_id=None, action="窗口培训", owner_unit="人社",
    )  # fmt: skip
    ledger.append(
        case_id, DUTY, "ImprovementActionCompleted", occurred_at=_at(start, 5),
        action_id=action, result="清单已统一",
    )  # fmt: skip
    if close:  # 反馈 by the reporting window, 核查 and closure by the duty officer
        ledger.append(
            case_id, CLERK, "UnresolvedFeedbackGiven", occurred_at=_at(start, 5.5), report_id=r,
            outcome=UnresolvedClosure.RESOLVED, method="phone", content="已统一材料清单, 电话告知",
        )  # fmt: skip
        ledger.append(
            case_id, DUTY, "UnresolvedVerified", occurred_at=_at(start, 5.8), report_id=r,
            confirmed=True, note="回访核实",
        )  # fmt: skip
        ledger.append(
            case_id, DUTY, "UnresolvedClosed", occurred_at=_at(start, 6), report_id=r,
            closure=UnresolvedClosure.RESOLVED, explanation=None, redirected_to=None,
        )  # fmt: skip
    return r


def record_root_cause(
    ledger: Ledger, case_id: UUID, by: Actor, at: datetime, **fields: Any
) -> UUID:
    receipt = ledger.append(case_id, by, "RootCauseRecorded", occurred_at=at, **fields)
    return receipt.ids["root_cause_id"]


def bad_rating(ledger: Ledger, case_id: UUID, start: datetime) -> UUID:
    """A 差评, verified valid, rectified, re-rated."""
    rating = ledger.append(
        case_id, RELAY, "Rated", occurred_at=start, level=1,
        channel=RatingChannel.COUNTER_DEVICE, comment="等太久", real_name=True,
    ).ids["rating_id"]  # fmt: skip
    ledger.append(
        case_id, LEAD, "BadReviewVerified", occurred_at=_at(start, 1), rating_id=rating,
        validity=BadReviewValidity.VALID, note="属实",
    )  # fmt: skip
    ledger.append(
        case_id, CLERK, "BadReviewRectified", occurred_at=_at(start, 2), rating_id=rating,
        rectification=Rectification.IMMEDIATE, action="增开窗口", feedback="已增开窗口",
    )  # fmt: skip
    ledger.append(case_id, RELAY, "ReRated", occurred_at=_at(start, 3), rating_id=rating, level=4)
    return rating


def appealed_rating(ledger: Ledger, case_id: UUID, start: datetime) -> UUID:
    """A 差评 claimed malicious, the appeal upheld: excluded."""
    rating = ledger.append(
        case_id, RELAY, "Rated", occurred_at=start, level=2, channel=RatingChannel.APP,
        comment=None, real_name=False,
    ).ids["rating_id"]  # fmt: skip
    ledger.append(
        case_id, LEAD, "BadReviewVerified", occurred_at=_at(start, 1), rating_id=rating,
        validity=BadReviewValidity.MALICIOUS, note="与事实不符",
    )  # fmt: skip
    ledger.append(
        case_id, DIRECTOR, "BadReviewAppealReviewed", occurred_at=_at(start, 2),
        rating_id=rating, upheld=True, opinion="申诉成立",
    )  # fmt: skip
    return rating


def good_rating(ledger: Ledger, case_id: UUID, start: datetime) -> UUID:
    return ledger.append(
        case_id, RELAY, "Rated", occurred_at=start, level=5, channel=RatingChannel.SMS,
        comment="很好", real_name=True,
    ).ids["rating_id"]  # fmt: skip
