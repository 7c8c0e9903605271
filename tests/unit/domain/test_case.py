"""The case aggregate's rules and each event's effect on `case.state`, without a database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from ledger.domain.case import MAX_CLOCK_SKEW, Case
from ledger.domain.clock import ExtensionStatus, PauseReason
from ledger.domain.data_subject.records import Evidence, EvidenceKind, Relation, VerifiedVia
from ledger.domain.errors import RuleViolation
from ledger.domain.events import CaseEvent
from ledger.domain.exceptions import approvals, ratification
from ledger.domain.exceptions.records import AuditFinding, ExceptionKind
from ledger.domain.handoffs.records import HandOffStatus, LogReference
from ledger.domain.hotline import commands as hotline
from ledger.domain.hotline.records import (
    HotlineCategory,
    HotlineUrgency,
    ReviewResult,
    Satisfaction,
    SupervisionLevel,
    TicketClosure,
    UnitRole,
)
from ledger.domain.lifecycle import EscalationThreat, NoticeChannel, SuppliedVia
from ledger.domain.permissions import APPEND_ROLES
from ledger.domain.personal_data import protect_applicant, protect_id_number
from ledger.domain.ratings import commands as ratings
from ledger.domain.ratings.records import BadReviewValidity, RatingChannel, Rectification
from ledger.domain.unresolved import commands as unresolved
from ledger.domain.unresolved.records import (
    Resolvability,
    UnresolvedCause,
    UnresolvedClosure,
    UnresolvedTier,
)
from ledger.domain.values import (
    Actor,
    CaseStatus,
    Channel,
    Decision,
    LimitUnit,
    Matter,
    Outcome,
    Priority,
    Role,
    TimeLimit,
)

# --- given: actors, moments and builders -------------------------------------------------------

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
"""When the cases below are registered (09:30 Beijing time)."""

CLERK = Actor(id="clerk-7", roles=(Role.CLERK,), unit="人社")
HEAD = Actor(id="head-1", roles=(Role.DEPARTMENT_HEAD,), unit="人社")
POLICE_CLERK = Actor(id="clerk-31", roles=(Role.CLERK,), unit="公安")
POLICE_HEAD = Actor(id="head-3", roles=(Role.DEPARTMENT_HEAD,), unit="公安")
DUTY_OFFICER = Actor(id="duty-1", roles=(Role.DUTY_OFFICER,), unit="中心")
DIRECTOR = Actor(id="director-1", roles=(Role.CENTRE_DIRECTOR,), unit="中心")

EVENT_TYPES = sorted(t for t in APPEND_ROLES if t != "Registered")
"""Every event type the wire can append to an existing case."""

PEER = "hebei.example.gov.cn/case-ledger"
PEER_REFERENCE = LogReference(
    origin=PEER,
    case_id=UUID("00000000-0000-4000-8000-0000000000bb"),
    version=2,
    position=5,
    leaf_index=4,
    tree_size=9,
    entry=b"case-ledger/leaf/v1\n",
    audit_path=[],
    checkpoint=f"{PEER}\n9\nAAAA\n\n\u2014 {PEER} AAAA\n",
)
"""Another jurisdiction's event as a hand-off across names it: the domain checks only what needs
no crypto (the leaf in the tree, the checkpoint's origin and size); the edge and auditors check
the proof (`ledger.log.handoff_refs`)."""

WIRE_DEFAULTS: dict[str, dict[str, Any]] = {
    "VisitRecorded": {"ticket": "A017", "note": None},
    "OneTimeNoticeIssued": {
        "items": ["身份证", "户口簿"],
        "channel": NoticeChannel.WRITTEN,
        "signed_receipt": True,
    },
    "MaterialsSupplied": {"items": ["身份证"], "via": SuppliedVia.IN_PERSON},
    "Accepted": {"note": None},
    "AcceptanceRefused": {
        "reason": "不属于本中心受理范围",
        "legal_basis": "《行政许可法》第三十二条",
        "missing_materials": [],
    },
    "ClockPaused": {"reason": PauseReason.EXPERT_REVIEW, "note": None, "evidence": None},
    "ClockResumed": {"note": None},
    "ExtensionRequested": {"working_days": 10, "reason": "需现场核查"},
    "ExtensionDecided": {
        "extension_id": uuid4(),
        "decision": Decision.APPROVE,
        "opinion": None,
        "notified_via": NoticeChannel.WRITTEN,
    },
    "Completed": {"outcome": Outcome.GRANTED, "summary": None},
    "Reopened": {"reason": "申请人提出异议"},
    "CorrectionRecorded": {"corrects_version": 1, "reason": "录入错误", "corrected": {}},
    "HandedOff": {"to_department": "公安", "to_window": None, "to_officer": None, "reason": "户籍"},
    "HandOffSignedFor": {"handoff_id": uuid4()},
    "HandOffReturned": {"handoff_id": uuid4(), "reason": "不属本部门", "basis": None},
    "HandedOffAcross": {
        "to_origin": PEER,
        "to_department": "省社保服务中心",
        "reason": "省属单位参保, 省级经办",
        "to_centre": None,
        "to_window": None,
    },
    "HandOffReceived": {
        "handoff_id": uuid4(),
        "from_department": "办不成事反映窗口",
        "from_window": None,
        "reason": "省属单位参保, 省级经办",
        "handed_off_by": "zjk-lead",
        "handed_off_at": T0,
        "sender": PEER_REFERENCE,
    },
    "HandOffAcknowledged": {"handoff_id": uuid4(), "receiver": PEER_REFERENCE},
    "DutyIntervention": {
        "action": "现场协调",
        "escalation_threat": EscalationThreat.NONE,
        "threatened_channel": None,
        "note": None,
    },
    "ExceptionRequested": {
        "kind": ExceptionKind.SPECIAL_HANDLING,
        "rule_waived": "本人到场",
        "basis": "特事特办制度",
        "justification": "申请人卧床",
        "waived_items": [],
        "compensating_controls": ["家属同意"],
        "credit_check": None,
    },
    "ExceptionLayerDecided": {
        "exception_id": uuid4(),
        "layer": 1,
        "decision": Decision.APPROVE,
        "opinion": "同意",
        "attendees": [],
        "minutes_ref": None,
    },
    "ExceptionWithdrawn": {"exception_id": uuid4(), "reason": "不再需要"},
    "CommitmentSigned": {"exception_id": uuid4(), "items": ["银行卡复印件"], "due_at": T0},
    "CommitmentFulfilled": {"commitment_id": uuid4(), "note": None},
    "CommitmentBreached": {"commitment_id": uuid4()},
    "ExceptionPostAudited": {
        "exception_id": uuid4(),
        "finding": AuditFinding.COMPLIANT,
        "note": "抽查合规",
    },
    "ExceptionRatificationRequested": {
        "kind": ExceptionKind.SPECIAL_HANDLING,
        "rule_waived": "本人到场",
        "basis": "特事特办制度",
        "justification": "申请人卧床",
        "waived_items": [],
        "compensating_controls": ["家属同意"],
        "credit_check": None,
        "executed_by": "clerk-7",
        "executed_at": T0,
        "execution": "上门拍照认证",
    },
    # the data subject (as `Ledger.append` passes them: ID numbers masked and tokenised)
    "IdentityReconciled": {
        "kept": protect_id_number(b"k" * 32, "kept", "341525197001010020")[1],
        "retired": protect_id_number(b"k" * 32, "retired", "340102196503120316")[1],
        "evidence": [
            Evidence(
                kind=EvidenceKind.SIGNED_STATEMENT,
                issued_by="申请人本人",
                via=VerifiedVia.IN_PERSON,
            )
        ],
        "note": None,
    },
    "ConsentRecorded": {
        "given_by": "赵某",
        "relation": Relation.SPOUSE,
        "purpose": "养老待遇资格认证拍照",
        "evidence": [
            Evidence(kind=EvidenceKind.VERBAL, issued_by="配偶", via=VerifiedVia.IN_PERSON)
        ],
    },
    # 12345 work orders
    "HotlineEscalationReceived": {
        "ticket_no": "GD-2026-000123",
        "category": HotlineCategory.COMPLAINT,
        "summary": "窗口推诿",
        "urgency": HotlineUrgency.NORMAL,
        "confidential": False,
    },
    "HotlineDispatched": {
        "ticket_id": uuid4(),
        "unit": "人社",
        "role": UnitRole.LEAD,
        "designated": False,
    },
    "HotlineSignedFor": {"ticket_id": uuid4()},
    "HotlineReturnRequested": {
        "ticket_id": uuid4(),
        "reason": "不属本单位职责",
        "legal_basis": "三定方案",
    },
    "HotlineReturnDecided": {
        "ticket_id": uuid4(),
        "decision": Decision.APPROVE,
        "opinion": "同意改派",
    },
    "HotlineApplicantContacted": {"ticket_id": uuid4(), "method": "电话", "note": None},
    "HotlineExtensionRequested": {"ticket_id": uuid4(), "working_days": 5, "reason": "需现场核查"},
    "HotlineExtensionDecided": {
        "ticket_id": uuid4(),
        "decision": Decision.APPROVE,
        "opinion": "同意延期",
    },
    "HotlineReplied": {"ticket_id": uuid4(), "text": "已办理", "unit_claims_resolved": True},
    "HotlineReplyReviewed": {
        "ticket_id": uuid4(),
        "result": ReviewResult.PASS,
        "opinion": "答复规范",
    },
    "HotlineClosed": {
        "ticket_id": uuid4(),
        "closure": TicketClosure.ANSWERED_AT_INTAKE,
        "note": "知识库直接答复",
    },
    "HotlineFollowedUp": {
        "ticket_id": uuid4(),
        "reachable": True,
        "resolved": True,
        "satisfaction": Satisfaction.SATISFIED,
        "cause": None,
        "note": None,
    },
    "HotlineReopened": {"ticket_id": uuid4(), "reason": "回访不满意"},
    "HotlineMerged": {
        "ticket_id": uuid4(),
        "master_case_id": uuid4(),
        "master_ticket_no": "GD-2026-000001",
    },
    "HotlineSupervised": {
        "ticket_id": uuid4(),
        "level": SupervisionLevel.URGE,
        "note": "请尽快办理",
    },
    # 办不成事
    "UnresolvedReported": {
        "cause": UnresolvedCause.MATERIALS,
        "resolvability": Resolvability.HARD_TO_DO,
        "tier": UnresolvedTier.COMPLEX,
        "description": "三次来窗口仍未受理",
    },
    "SpecialTeamAssigned": {"report_id": uuid4(), "lead": "head-1", "members": ["clerk-7"]},
    "UnresolvedFeedbackGiven": {
        "report_id": uuid4(),
        "outcome": UnresolvedClosure.RESOLVED,
        "method": "phone",
        "content": "电话告知已办成",
    },
    "UnresolvedVerified": {"report_id": uuid4(), "confirmed": True, "note": "回访核实"},
    "ConsultationRecorded": {"question": "到哪里办", "answer": "二楼人社窗口"},
    "UnresolvedClosed": {
        "report_id": uuid4(),
        "closure": UnresolvedClosure.RESOLVED,
        "explanation": None,
        "redirected_to": None,
    },
    "RootCauseRecorded": {
        "report_id": uuid4(),
        "cause": UnresolvedCause.MATERIALS,
        "key": "unpublished-signature",
        "description": "办事指南未列明的签章",
    },
    "ImprovementActionOpened": {
        "report_id": uuid4(),
        "action": "修订办事指南",
        "owner_unit": "人社",
        "root_cause_id": None,
    },
    "ImprovementActionCompleted": {"action_id": uuid4(), "result": "指南已修订"},
    # 好差评
    "Rated": {
        "level": 5,
        "channel": RatingChannel.COUNTER_DEVICE,
        "dimensions": {},
        "comment": None,
        "real_name": True,
    },
    "BadReviewVerified": {
        "rating_id": uuid4(),
        "validity": BadReviewValidity.VALID,
        "note": "电话核实",
    },
    "BadReviewAppealReviewed": {"rating_id": uuid4(), "upheld": True, "opinion": "属误评"},
    "BadReviewRectified": {
        "rating_id": uuid4(),
        "rectification": Rectification.IMMEDIATE,
        "action": "立行立改",
        "feedback": "已告知评价人",
    },
    "ReRated": {"rating_id": uuid4(), "level": 4, "comment": None},
}
"""Fields as the API passes them (every wire field present, defaults filled in)."""


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def record(
    case: Case,
    event_type: str,
    actor: Actor = CLERK,
    occurred_at: datetime | None = None,
    **fields: Any,
) -> dict[str, UUID]:
    """Append as the application does, with wire defaults for the fields not given."""
    return case.append(
        event_type, actor, occurred_at or at(1), **{**WIRE_DEFAULTS[event_type], **fields}
    )


def registered_case(department: str = "人社", window: str | None = "2F-07") -> Case:
    case = Case.register(
        actor=CLERK,
        occurred_at=T0,
        case_no="HUOSHAN-2026-000001",
        channel=Channel.WINDOW,
        matter=Matter(code="SI-ARREARS", name="养老保险费补缴"),
        centre="huoshan",
        department=department,
        window=window,
        applicant=protect_applicant(b"k" * 32, name="李某", id_number="341525197001010020"),
        priority=Priority.NORMAL,
        statutory_limit=TimeLimit(value=20, unit=LimitUnit.WORKING_DAYS),
        promised_limit=TimeLimit(value=5, unit=LimitUnit.WORKING_DAYS),
        parent_case_id=None,
    )
    case.collect_events()
    return case


def awaiting_materials_case(items: tuple[str, ...] = ("身份证", "户口簿")) -> Case:
    case = registered_case()
    record(case, "OneTimeNoticeIssued", items=list(items))
    case.collect_events()
    return case


def accepted_case() -> Case:
    case = registered_case()
    record(case, "Accepted", occurred_at=at(1))
    case.collect_events()
    return case


def completed_case() -> Case:
    case = accepted_case()
    record(case, "Completed", occurred_at=at(2))
    case.collect_events()
    return case


def refused_case() -> Case:
    case = registered_case()
    record(case, "AcceptanceRefused", occurred_at=at(1))
    case.collect_events()
    return case


def paused_case() -> Case:
    case = accepted_case()
    record(case, "ClockPaused", occurred_at=at(5))
    case.collect_events()
    return case


def case_with_pending_extension(requested_by: Actor = CLERK) -> tuple[Case, UUID]:
    case = accepted_case()
    extension_id = record(case, "ExtensionRequested", actor=requested_by)["extension_id"]
    case.collect_events()
    return case, extension_id


def case_with_pending_handoff(to_department: str = "公安") -> tuple[Case, UUID]:
    case = accepted_case()
    handoff_id = record(case, "HandedOff", to_department=to_department)["handoff_id"]
    case.collect_events()
    return case, handoff_id


def refusal_of(event_type: str, case: Case, actor: Actor = CLERK, **fields: Any) -> str:
    """Append and return the name of the rule that refused it (fails if nothing refused it)."""
    version = case.version
    with pytest.raises(RuleViolation) as refused:
        record(case, event_type, actor, **fields)
    assert case.version == version  # nothing was triggered
    return refused.value.rule


# --- registration -----------------------------------------------------------------------------


def test_a_registered_case_is_received_and_held_by_its_department() -> None:
    case = registered_case()

    assert case.version == 1
    assert case.state.status is CaseStatus.RECEIVED
    assert case.state.registered_at == T0
    assert (case.state.department, case.state.window) == ("人社", "2F-07")
    assert case.state.applicant.name == "李*"


def test_registration_emits_one_registered_event() -> None:
    case = Case.register(
        actor=CLERK,
        occurred_at=T0,
        case_no="HUOSHAN-2026-000002",
        channel=Channel.HOTLINE_12345,
        matter=Matter(code="X", name="X"),
        centre="huoshan",
        department="人社",
        window=None,
        applicant=protect_applicant(b"k" * 32, name="王某"),
        priority=Priority.URGENT,
        statutory_limit=None,
        promised_limit=None,
        parent_case_id=None,
    )

    [registered] = case.collect_events()
    assert isinstance(registered, Case.Registered)
    assert registered.actor == CLERK and registered.occurred_at == T0


def test_registration_dated_beyond_the_clock_skew_is_refused() -> None:
    with pytest.raises(RuleViolation) as refused:
        Case.register(
            actor=CLERK,
            occurred_at=datetime.now(UTC) + MAX_CLOCK_SKEW + timedelta(minutes=5),
            case_no="HUOSHAN-2026-000003",
            channel=Channel.WINDOW,
            matter=Matter(code="X", name="X"),
            centre="huoshan",
            department="人社",
            window=None,
            applicant=protect_applicant(b"k" * 32, name="王某"),
            priority=Priority.NORMAL,
            statutory_limit=None,
            promised_limit=None,
            parent_case_id=None,
        )
    assert refused.value.rule == "occurred_at.in_future"


# --- guards common to every event -------------------------------------------------------------


def test_closed_case_refuses_a_hand_off() -> None:
    assert refusal_of("HandedOff", completed_case()) == "case.closed"


def test_refused_case_refuses_new_materials() -> None:
    assert refusal_of("MaterialsSupplied", refused_case()) == "case.closed"


@pytest.mark.parametrize(
    "event_type", [t for t in EVENT_TYPES if t not in Case.ADMISSIBLE_WHEN_CLOSED]
)
def test_after_completion_only_reopening_corrections_and_pushback_are_admissible(
    event_type: str,
) -> None:
    assert refusal_of(event_type, completed_case(), actor=DIRECTOR) == "case.closed"


def test_a_completed_case_admits_a_correction_and_a_reopening() -> None:
    case = completed_case()

    record(case, "CorrectionRecorded", actor=HEAD, corrects_version=2)
    record(case, "Reopened", actor=HEAD)

    assert [type(e) for e in case.collect_events()] == [Case.CorrectionRecorded, Case.Reopened]
    pushback = {*hotline.COMMANDS, *unresolved.COMMANDS, *ratings.COMMANDS}
    after_the_fact = approvals.ADMISSIBLE_WHEN_CLOSED | ratification.ADMISSIBLE_WHEN_CLOSED
    assert Case.ADMISSIBLE_WHEN_CLOSED == {
        "Reopened",
        "CorrectionRecorded",
        *pushback,
        *after_the_fact,
    }


def test_an_event_dated_beyond_the_clock_skew_is_refused() -> None:
    later = datetime.now(UTC) + MAX_CLOCK_SKEW + timedelta(minutes=5)

    assert refusal_of("VisitRecorded", registered_case(), occurred_at=later) == (
        "occurred_at.in_future"
    )


def test_an_event_dated_within_the_clock_skew_is_admitted() -> None:
    case = registered_case()

    record(case, "VisitRecorded", occurred_at=datetime.now(UTC) + MAX_CLOCK_SKEW / 2)

    assert case.state.visits == 1


def test_an_event_dated_before_registration_is_refused() -> None:
    assert refusal_of("VisitRecorded", registered_case(), occurred_at=at(-1)) == (
        "occurred_at.before_registration"
    )


def test_an_event_dated_at_the_moment_of_registration_is_admitted() -> None:
    case = registered_case()

    record(case, "VisitRecorded", occurred_at=T0)

    assert case.state.visits == 1


@pytest.mark.parametrize(
    ("event_type", "given"),
    [
        ("OneTimeNoticeIssued", registered_case),
        ("MaterialsSupplied", awaiting_materials_case),
        ("Accepted", registered_case),
        ("AcceptanceRefused", registered_case),
        ("ClockPaused", accepted_case),
        ("ClockResumed", paused_case),
        ("ExtensionRequested", accepted_case),
        ("Completed", accepted_case),
        ("HandedOff", accepted_case),
    ],
)
def test_front_line_staff_of_another_unit_cannot_act_on_the_case(
    event_type: str, given: Callable[[], Case]
) -> None:
    case = given()

    assert refusal_of(event_type, case, actor=POLICE_CLERK, occurred_at=at(6)) == (
        "case.not_held_by_unit"
    )
    assert refusal_of(event_type, case, actor=POLICE_HEAD, occurred_at=at(6)) == (
        "case.not_held_by_unit"
    )


def test_a_clerk_without_a_unit_cannot_act_on_the_case() -> None:
    unitless = Actor(id="clerk-0", roles=(Role.CLERK,))

    assert refusal_of("Accepted", registered_case(), actor=unitless) == "case.not_held_by_unit"


@pytest.mark.parametrize("actor", [DUTY_OFFICER, DIRECTOR], ids=["duty_officer", "director"])
def test_duty_officers_and_centre_directors_are_exempt_from_the_holding_unit_rule(
    actor: Actor,
) -> None:
    case = accepted_case()

    ids = record(case, "HandedOff", actor=actor, to_department="公安")
    record(case, "ClockPaused", actor=actor, occurred_at=at(2))

    assert ids["handoff_id"] == case.state.handoffs[0].handoff_id
    assert case.state.paused_since == at(2)


def test_a_duty_officer_intervenes_on_a_case_of_any_unit() -> None:
    case = registered_case()

    record(case, "DutyIntervention", actor=DUTY_OFFICER)

    assert case.state.interventions == 1


def test_a_read_only_role_does_not_exempt_a_clerk_from_the_holding_unit_rule() -> None:
    """An auditor writes nothing, so holding that role too must not widen what a clerk may do."""
    clerk_and_auditor = Actor(id="clerk-31", roles=(Role.CLERK, Role.AUDITOR), unit="公安")

    assert refusal_of("Accepted", registered_case(), actor=clerk_and_auditor) == (
        "case.not_held_by_unit"
    )


def test_a_department_head_of_another_unit_cannot_decide_an_extension() -> None:
    """Department heads are front-line: they act only on cases their unit holds (DECISIONS.md)."""
    case, extension_id = case_with_pending_extension()

    assert refusal_of("ExtensionDecided", case, actor=POLICE_HEAD, extension_id=extension_id) == (
        "case.not_held_by_unit"
    )


def test_a_department_head_of_another_unit_cannot_reopen_the_case() -> None:
    """Department heads are front-line: they act only on cases their unit holds (DECISIONS.md)."""
    assert refusal_of("Reopened", completed_case(), actor=POLICE_HEAD) == "case.not_held_by_unit"


# --- visits and interventions -----------------------------------------------------------------


def test_recording_a_visit_counts_it() -> None:
    case = registered_case()

    assert record(case, "VisitRecorded") == {}
    record(case, "VisitRecorded", ticket=None, note="第二次来")

    [first, second] = case.collect_events()
    assert isinstance(first, Case.VisitRecorded) and first.ticket == "A017"
    assert second.note == "第二次来"  # type: ignore[attr-defined]
    assert case.state.visits == 2


def test_a_duty_intervention_is_counted() -> None:
    case = registered_case()

    record(
        case,
        "DutyIntervention",
        actor=DUTY_OFFICER,
        escalation_threat=EscalationThreat.DEFUSED,
        threatened_channel="12345",
    )

    [intervention] = case.collect_events()
    assert isinstance(intervention, Case.DutyIntervention)
    assert intervention.escalation_threat is EscalationThreat.DEFUSED
    assert case.state.interventions == 1


# --- one-time notice and materials ------------------------------------------------------------


def test_a_one_time_notice_lists_its_items_and_awaits_materials() -> None:
    case = registered_case()

    assert record(case, "OneTimeNoticeIssued", items=["身份证", "户口簿"]) == {}

    [notice] = case.collect_events()
    assert isinstance(notice, Case.OneTimeNoticeIssued) and notice.flags == []
    assert case.state.status is CaseStatus.AWAITING_MATERIALS
    assert case.state.notice_items == ["身份证", "户口簿"]
    assert case.state.outstanding_items == ["身份证", "户口簿"]
    assert case.state.flags == []


def test_a_notice_on_an_accepted_case_is_refused() -> None:
    assert refusal_of("OneTimeNoticeIssued", accepted_case()) == "notice.case_already_accepted"


def test_a_second_notice_with_new_items_is_flagged_as_reissued() -> None:
    case = awaiting_materials_case(("身份证", "户口簿"))

    record(case, "OneTimeNoticeIssued", items=["身份证", "结婚证"])

    [notice] = case.collect_events()
    assert notice.flags == ["one_time_notice.reissued_with_new_items"]  # type: ignore[attr-defined]
    assert case.state.flags == ["one_time_notice.reissued_with_new_items"]
    assert case.state.notice_items == ["身份证", "户口簿", "结婚证"]


def test_a_second_notice_repeating_listed_items_is_not_flagged() -> None:
    case = awaiting_materials_case(("身份证", "户口簿"))

    record(case, "OneTimeNoticeIssued", items=["户口簿"])

    [notice] = case.collect_events()
    assert notice.flags == []  # type: ignore[attr-defined]
    assert case.state.flags == []
    assert case.state.notice_items == ["身份证", "户口簿"]


def test_supplying_some_listed_materials_leaves_the_rest_outstanding() -> None:
    case = awaiting_materials_case(("身份证", "户口簿"))

    record(case, "MaterialsSupplied", items=["身份证"])

    assert case.state.status is CaseStatus.AWAITING_MATERIALS
    assert case.state.supplied_items == ["身份证"]
    assert case.state.outstanding_items == ["户口簿"]


def test_supplying_every_listed_material_returns_the_case_to_received() -> None:
    case = awaiting_materials_case(("身份证", "户口簿"))

    record(case, "MaterialsSupplied", items=["身份证"])
    record(case, "MaterialsSupplied", items=["户口簿", "身份证"], via=SuppliedVia.DATA_SHARING)

    assert case.state.status is CaseStatus.RECEIVED
    assert case.state.supplied_items == ["身份证", "户口簿"]
    assert case.state.outstanding_items == []


# --- acceptance and refusal -------------------------------------------------------------------


def test_acceptance_starts_the_promised_clock() -> None:
    case = registered_case()

    assert record(case, "Accepted", occurred_at=at(1.5)) == {}

    [accepted] = case.collect_events()
    assert isinstance(accepted, Case.Accepted)
    assert case.state.status is CaseStatus.ACCEPTED
    assert case.state.accepted_at == at(1.5)


def test_a_case_cannot_be_accepted_twice() -> None:
    assert refusal_of("Accepted", accepted_case()) == "acceptance.already_accepted"


def test_a_case_with_outstanding_notice_items_cannot_be_accepted() -> None:
    case = awaiting_materials_case(("身份证", "户口簿"))
    record(case, "MaterialsSupplied", items=["身份证"])

    with pytest.raises(RuleViolation) as refused:
        record(case, "Accepted")

    assert refused.value.rule == "acceptance.materials_outstanding"
    assert "户口簿" in refused.value.detail


def test_a_case_is_accepted_once_every_notice_item_is_supplied() -> None:
    case = awaiting_materials_case(("身份证",))
    record(case, "MaterialsSupplied", items=["身份证"])

    record(case, "Accepted")

    assert case.state.status is CaseStatus.ACCEPTED


def test_an_accepted_case_cannot_be_refused_acceptance() -> None:
    assert refusal_of("AcceptanceRefused", accepted_case()) == "acceptance.already_accepted"


def test_refusing_acceptance_closes_the_case() -> None:
    case = awaiting_materials_case(("身份证",))

    record(case, "AcceptanceRefused", occurred_at=at(3), missing_materials=["身份证"])

    filed, refusal = case.collect_events()  # its 否定答复 report first (domain.unresolved)
    assert isinstance(filed, Case.UnresolvedReported) and filed.negative_answer
    assert isinstance(refusal, Case.AcceptanceRefused) and refusal.flags == []
    assert case.state.status is CaseStatus.REFUSED
    assert case.state.closed_at == at(3)
    assert case.state.refusal_reason == "不属于本中心受理范围"
    assert case.state.flags == []


def test_a_refusal_citing_a_material_not_in_the_one_time_notice_is_flagged() -> None:
    case = awaiting_materials_case(("身份证",))

    record(case, "AcceptanceRefused", missing_materials=["身份证", "营业执照"])

    *_, refusal = case.collect_events()
    assert refusal.flags == ["one_time_notice.unlisted_material"]  # type: ignore[attr-defined]
    assert case.state.flags == ["one_time_notice.unlisted_material"]


def test_a_refusal_citing_materials_without_any_notice_is_flagged() -> None:
    case = registered_case()

    record(case, "AcceptanceRefused", missing_materials=["营业执照"])

    assert case.state.flags == ["one_time_notice.unlisted_material"]


# --- the clock --------------------------------------------------------------------------------


def test_pausing_the_clock_records_since_when_and_why() -> None:
    case = accepted_case()

    record(case, "ClockPaused", occurred_at=at(4), reason=PauseReason.HEARING)

    [paused] = case.collect_events()
    assert isinstance(paused, Case.ClockPaused)
    assert case.state.paused_since == at(4)
    assert case.state.pause_reason is PauseReason.HEARING


def test_a_paused_clock_cannot_be_paused_again() -> None:
    assert refusal_of("ClockPaused", paused_case(), occurred_at=at(6)) == "clock.already_paused"


def test_a_running_clock_cannot_be_resumed() -> None:
    assert refusal_of("ClockResumed", accepted_case()) == "clock.not_paused"


def test_the_clock_cannot_resume_before_it_was_paused() -> None:
    case = paused_case()  # paused at at(5)

    assert refusal_of("ClockResumed", case, occurred_at=at(4)) == "clock.resumed_before_pause"


def test_resuming_the_clock_clears_the_pause() -> None:
    case = paused_case()

    record(case, "ClockResumed", occurred_at=at(5))

    [resumed] = case.collect_events()
    assert isinstance(resumed, Case.ClockResumed)
    assert case.state.paused_since is None
    assert case.state.pause_reason is None


# --- extensions -------------------------------------------------------------------------------


def test_requesting_an_extension_returns_its_id_and_awaits_a_decision() -> None:
    case = accepted_case()

    ids = record(case, "ExtensionRequested", occurred_at=at(3), working_days=15)

    assert set(ids) == {"extension_id"}
    [requested] = case.collect_events()
    assert isinstance(requested, Case.ExtensionRequested)
    assert requested.extension_id == ids["extension_id"]
    [extension] = case.state.extensions
    assert extension.extension_id == ids["extension_id"]
    assert extension.status is ExtensionStatus.PENDING
    assert (extension.working_days, extension.requested_by) == (15, CLERK.id)
    assert extension.requested_at == at(3)


def test_a_case_not_yet_accepted_cannot_be_extended() -> None:
    assert refusal_of("ExtensionRequested", registered_case()) == "extension.case_not_accepted"


def test_a_second_extension_cannot_be_requested_while_one_is_pending() -> None:
    case, _ = case_with_pending_extension()

    assert refusal_of("ExtensionRequested", case) == "extension.already_pending"


def test_a_head_approving_an_extension_records_the_decision() -> None:
    case, extension_id = case_with_pending_extension()

    assert (
        record(
            case,
            "ExtensionDecided",
            actor=HEAD,
            occurred_at=at(4),
            extension_id=extension_id,
            opinion="同意",
        )
        == {}
    )

    [extension] = case.state.extensions
    assert extension.status is ExtensionStatus.APPROVED
    assert (extension.decided_by, extension.decided_at, extension.opinion) == (
        HEAD.id,
        at(4),
        "同意",
    )


def test_a_rejected_extension_allows_a_new_request() -> None:
    case, extension_id = case_with_pending_extension()

    record(
        case, "ExtensionDecided", actor=HEAD, extension_id=extension_id, decision=Decision.REJECT
    )
    second = record(case, "ExtensionRequested")["extension_id"]

    assert [e.status for e in case.state.extensions] == [
        ExtensionStatus.REJECTED,
        ExtensionStatus.PENDING,
    ]
    assert second != extension_id


def test_deciding_an_unknown_extension_is_refused() -> None:
    case, _ = case_with_pending_extension()

    assert refusal_of("ExtensionDecided", case, actor=HEAD, extension_id=uuid4()) == (
        "extension.unknown"
    )


def test_an_extension_cannot_be_decided_twice() -> None:
    case, extension_id = case_with_pending_extension()
    record(case, "ExtensionDecided", actor=HEAD, extension_id=extension_id)

    assert refusal_of("ExtensionDecided", case, actor=DIRECTOR, extension_id=extension_id) == (
        "extension.already_decided"
    )


def test_the_requester_cannot_decide_their_own_extension() -> None:
    case, extension_id = case_with_pending_extension(requested_by=HEAD)

    assert refusal_of("ExtensionDecided", case, actor=HEAD, extension_id=extension_id) == (
        "extension.self_decision"
    )


# --- completion and reopening -----------------------------------------------------------------


def test_completing_an_accepted_case_closes_it_with_its_outcome() -> None:
    case = accepted_case()

    minted = record(case, "Completed", occurred_at=at(8), outcome=Outcome.DENIED)

    filed, completed = case.collect_events()  # a denial's 否定答复 report first
    assert minted == {"report_id": filed.report_id}  # type: ignore[attr-defined]
    assert isinstance(completed, Case.Completed)
    assert case.state.status is CaseStatus.COMPLETED
    assert case.state.closed_at == at(8)
    assert case.state.outcome is Outcome.DENIED


def test_a_case_not_yet_accepted_cannot_be_completed() -> None:
    assert refusal_of("Completed", awaiting_materials_case()) == "completion.not_accepted"


def test_a_withdrawal_completes_a_case_that_was_never_accepted() -> None:
    case = awaiting_materials_case()

    record(case, "Completed", outcome=Outcome.WITHDRAWN)

    assert case.state.status is CaseStatus.COMPLETED
    assert case.state.outcome is Outcome.WITHDRAWN


def test_a_case_with_a_hand_off_awaiting_signature_cannot_be_completed() -> None:
    case, _ = case_with_pending_handoff()

    assert refusal_of("Completed", case) == "completion.handoff_pending"


def test_completing_a_paused_case_clears_the_pause() -> None:
    case = paused_case()

    record(case, "Completed", occurred_at=at(6))

    assert case.state.paused_since is None
    assert case.state.pause_reason is None


def test_a_case_that_is_not_closed_cannot_be_reopened() -> None:
    assert refusal_of("Reopened", accepted_case(), actor=HEAD) == "reopen.not_closed"


def test_reopening_a_completed_case_returns_it_to_accepted() -> None:
    case = completed_case()

    assert record(case, "Reopened", actor=HEAD, occurred_at=at(9)) == {}

    [reopened] = case.collect_events()
    assert isinstance(reopened, Case.Reopened)
    assert case.state.status is CaseStatus.ACCEPTED
    assert case.state.closed_at is None
    assert case.state.outcome is None
    assert case.state.reopen_count == 1


def test_reopening_a_refused_case_returns_it_to_received() -> None:
    case = refused_case()

    record(case, "Reopened", actor=HEAD)

    assert case.state.status is CaseStatus.RECEIVED
    assert case.state.closed_at is None
    assert case.state.reopen_count == 1


# --- corrections ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", [0, -1, 3, 100])
def test_a_correction_of_a_version_the_case_does_not_have_is_refused(version: int) -> None:
    case = accepted_case()  # versions 1..2

    assert refusal_of("CorrectionRecorded", case, corrects_version=version) == (
        "correction.unknown_version"
    )


def test_a_correction_records_which_version_it_corrects() -> None:
    case = accepted_case()

    record(case, "CorrectionRecorded", corrects_version=2, corrected={"note": "补录"})
    record(case, "CorrectionRecorded", corrects_version=1)

    [first, _] = case.collect_events()
    assert isinstance(first, Case.CorrectionRecorded) and first.corrected == {"note": "补录"}
    assert case.state.corrected_versions == [2, 1]


# --- hand-offs --------------------------------------------------------------------------------


def test_handing_off_returns_its_id_and_leaves_the_case_with_its_unit_until_signed_for() -> None:
    case = accepted_case()

    ids = record(case, "HandedOff", occurred_at=at(2), to_department="公安", to_window="1F-03")

    assert set(ids) == {"handoff_id"}
    [handed_off] = case.collect_events()
    assert isinstance(handed_off, Case.HandedOff)
    assert (handed_off.from_department, handed_off.from_window) == ("人社", "2F-07")
    [handoff] = case.state.handoffs
    assert handoff.handoff_id == ids["handoff_id"]
    assert handoff.status is HandOffStatus.PENDING
    assert (handoff.to_department, handoff.to_window) == ("公安", "1F-03")
    assert (handoff.handed_off_by, handoff.handed_off_at) == (CLERK.id, at(2))
    assert (case.state.department, case.state.window) == ("人社", "2F-07")


def test_a_case_cannot_be_handed_off_to_the_unit_that_holds_it() -> None:
    case = accepted_case()

    assert refusal_of("HandedOff", case, to_department="人社", to_window="2F-07") == (
        "handoff.same_unit"
    )


def test_a_case_can_be_handed_off_to_another_window_of_its_department() -> None:
    case = accepted_case()

    record(case, "HandedOff", to_department="人社", to_window="2F-08")

    assert case.state.handoffs[0].to_window == "2F-08"


def test_a_second_hand_off_to_a_unit_already_awaiting_one_is_refused() -> None:
    case, _ = case_with_pending_handoff("公安")

    assert refusal_of("HandedOff", case, to_department="公安", to_window="1F-01") == (
        "handoff.already_pending"
    )


@pytest.mark.parametrize("event_type", ["HandOffSignedFor", "HandOffReturned"])
def test_settling_an_unknown_hand_off_is_refused(event_type: str) -> None:
    case, _ = case_with_pending_handoff()

    assert refusal_of(event_type, case, actor=POLICE_CLERK, handoff_id=uuid4()) == (
        "handoff.unknown"
    )


@pytest.mark.parametrize("event_type", ["HandOffSignedFor", "HandOffReturned"])
def test_a_signed_for_hand_off_cannot_be_settled_again(event_type: str) -> None:
    case, handoff_id = case_with_pending_handoff()
    record(case, "HandOffSignedFor", actor=POLICE_CLERK, handoff_id=handoff_id)

    assert refusal_of(event_type, case, actor=POLICE_CLERK, handoff_id=handoff_id) == (
        "handoff.already_signed_for"
    )


@pytest.mark.parametrize("event_type", ["HandOffSignedFor", "HandOffReturned"])
def test_a_returned_hand_off_cannot_be_settled_again(event_type: str) -> None:
    case, handoff_id = case_with_pending_handoff()
    record(case, "HandOffReturned", actor=POLICE_CLERK, handoff_id=handoff_id)

    assert refusal_of(event_type, case, actor=POLICE_CLERK, handoff_id=handoff_id) == (
        "handoff.already_returned"
    )


@pytest.mark.parametrize("event_type", ["HandOffSignedFor", "HandOffReturned"])
@pytest.mark.parametrize("actor", [CLERK, DUTY_OFFICER], ids=["sending_unit", "duty_officer"])
def test_only_the_receiving_unit_settles_a_hand_off(event_type: str, actor: Actor) -> None:
    case, handoff_id = case_with_pending_handoff("公安")

    assert refusal_of(event_type, case, actor=actor, handoff_id=handoff_id) == (
        "handoff.not_receiving_unit"
    )


def test_signing_for_a_hand_off_moves_the_case_to_the_receiving_unit() -> None:
    case = accepted_case()
    handoff_id = record(case, "HandedOff", to_department="公安", to_window="1F-03")["handoff_id"]

    assert (
        record(
            case, "HandOffSignedFor", actor=POLICE_CLERK, occurred_at=at(3), handoff_id=handoff_id
        )
        == {}
    )

    assert (case.state.department, case.state.window) == ("公安", "1F-03")
    [handoff] = case.state.handoffs
    assert handoff.status is HandOffStatus.SIGNED_FOR
    assert (handoff.settled_by, handoff.settled_at) == (POLICE_CLERK.id, at(3))


def test_once_signed_for_the_receiving_unit_holds_the_case_and_the_sender_does_not() -> None:
    case, handoff_id = case_with_pending_handoff("公安")
    record(case, "HandOffSignedFor", actor=POLICE_CLERK, handoff_id=handoff_id)

    assert refusal_of("ClockPaused", case, actor=CLERK) == "case.not_held_by_unit"
    record(case, "Completed", actor=POLICE_CLERK)
    assert case.state.status is CaseStatus.COMPLETED


def test_returning_a_hand_off_keeps_the_case_with_its_unit_and_records_why() -> None:
    case, handoff_id = case_with_pending_handoff("公安")

    record(
        case,
        "HandOffReturned",
        actor=POLICE_CLERK,
        occurred_at=at(3),
        handoff_id=handoff_id,
        reason="非户籍事项",
    )

    [returned] = case.collect_events()
    assert isinstance(returned, Case.HandOffReturned)
    [handoff] = case.state.handoffs
    assert handoff.status is HandOffStatus.RETURNED
    assert handoff.return_reason == "非户籍事项"
    assert (handoff.settled_by, handoff.settled_at) == (POLICE_CLERK.id, at(3))
    assert (case.state.department, case.state.window) == ("人社", "2F-07")


def test_a_returned_hand_off_no_longer_blocks_completion_or_a_new_hand_off() -> None:
    case, handoff_id = case_with_pending_handoff("公安")
    record(case, "HandOffReturned", actor=POLICE_CLERK, handoff_id=handoff_id)

    record(case, "HandedOff", to_department="公安")
    record(
        case, "HandOffReturned", actor=POLICE_CLERK, handoff_id=case.state.handoffs[1].handoff_id
    )
    record(case, "Completed")

    assert case.state.status is CaseStatus.COMPLETED


def test_the_wire_defaults_above_cover_every_appendable_event_type() -> None:
    assert set(WIRE_DEFAULTS) == set(EVENT_TYPES)
    for event_type in EVENT_TYPES:
        assert issubclass(getattr(Case, event_type), CaseEvent)
