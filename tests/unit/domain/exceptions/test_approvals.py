"""Exceptions on a case (特事特办 / 容缺受理 / 告知承诺), rule by rule, without a database.

Given a case and a jurisdiction's approval policies (`Policies().timing(centre)`), when a request,
a layer's decision, a use, a commitment or a post-audit is appended, then either the event is
recorded with its effect on `case.state`, or the named rule refuses it and nothing changes.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import msgspec
import pytest

from ledger.domain.case import Case
from ledger.domain.errors import RuleViolation
from ledger.domain.exceptions.approval_rules import post_audit_selection
from ledger.domain.exceptions.records import (
    Attendee,
    AuditFinding,
    BreachConsequence,
    CommitmentStatus,
    CreditCheck,
    CreditResult,
    ExceptionKind,
    ExceptionRecord,
    ExceptionStatus,
    PostAuditSelection,
)
from ledger.domain.lifecycle import NoticeChannel
from ledger.domain.personal_data import protect_applicant
from ledger.domain.policy import Timing
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
from ledger.rules.time_limits import Policies

# --- given: policies, actors, moments -------------------------------------------------------------

POLICIES = Policies()
HUOSHAN = POLICIES.timing("huoshan")  # cn's 特事特办 (3 layers) and 霍山's 容缺受理清单 (2 layers)
QINGYUAN = POLICIES.timing("qingyuan")  # 特事特办 whose layer 2 is a joint meeting (联席会)

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
"""A Monday, 09:30 in Beijing: when the cases below are registered."""

CLERK = Actor(id="clerk-7", roles=(Role.CLERK,), unit="人社")
LEAD = Actor(id="lead-1", roles=(Role.WINDOW_LEAD,), unit="人社")
HEAD = Actor(id="head-1", roles=(Role.DEPARTMENT_HEAD,), unit="人社")
DIRECTOR = Actor(id="director-1", roles=(Role.CENTRE_DIRECTOR,), unit="中心")
OTHER_HEAD = Actor(id="head-9", roles=(Role.DEPARTMENT_HEAD,), unit="税务")  # independent
LEAD_AND_HEAD = Actor(id="lead-head", roles=(Role.WINDOW_LEAD, Role.DEPARTMENT_HEAD), unit="人社")
CLERK_AND_LEAD = Actor(id="clerk-lead", roles=(Role.CLERK, Role.WINDOW_LEAD), unit="人社")
TIMER = Actor(id="ledger-timer", roles=(Role.SYSTEM,), unit=None)

SPECIAL_CHAIN = (LEAD, HEAD, DIRECTOR)  # cn/special_handling: 窗口负责人 → 部门负责人 → 中心主任
MISSING_CHAIN = (LEAD, HEAD)  # ah-huoshan/missing_materials: 窗口负责人 → 部门负责人

CLEAR = CreditCheck(result=CreditResult.CLEAR, source="信用中国", checked_at=T0)
DISHONEST = CreditCheck(result=CreditResult.DISHONEST, source="信用中国", checked_at=T0)

MEETING = [
    {"id": "head-1", "role": Role.DEPARTMENT_HEAD, "unit": "民政"},
    {"id": "head-2", "role": Role.DEPARTMENT_HEAD, "unit": "社区办"},
    {"id": "head-3", "role": Role.DEPARTMENT_HEAD, "unit": "街道综治"},
]


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def new_case(centre: str = "huoshan", notice: tuple[str, ...] = ()) -> Case:
    case = Case.register(
        actor=CLERK,
        occurred_at=T0,
        case_no=f"{centre.upper()}-2026-000001",
        channel=Channel.WINDOW,
        matter=Matter(code="SI-ARREARS", name="养老保险费补缴"),
        centre=centre,
        department="人社",
        window="2F-07",
        applicant=protect_applicant(b"k" * 32, name="李某", id_number="341525197001010020"),
        priority=Priority.NORMAL,
        statutory_limit=TimeLimit(value=20, unit=LimitUnit.WORKING_DAYS),
        promised_limit=TimeLimit(value=5, unit=LimitUnit.WORKING_DAYS),
        parent_case_id=None,
    )
    if notice:
        case.append(
            "OneTimeNoticeIssued",
            CLERK,
            at(0.1),
            items=list(notice),
            channel=NoticeChannel.WRITTEN,
            signed_receipt=True,
        )
    case.collect_events()
    return case


def timing_of(case: Case) -> Timing:
    return QINGYUAN if case.state.centre == "qingyuan" else HUOSHAN


def append(
    case: Case, event_type: str, actor: Actor, occurred_at: datetime, **fields: Any
) -> dict[str, UUID]:
    return case.append(event_type, actor, occurred_at, timing_of(case), **fields)


def request(
    case: Case,
    kind: ExceptionKind = ExceptionKind.SPECIAL_HANDLING,
    by: Actor = CLERK,
    occurred_at: datetime | None = None,
    **fields: Any,
) -> UUID:
    body: dict[str, Any] = {
        "kind": kind,
        "rule_waived": "本人到场",
        "basis": "特事特办制度",
        "justification": "申请人卧床, 家属代办",
        "waived_items": [],
        "compensating_controls": ["家属书面同意", "事后回访"],
        "credit_check": CLEAR if kind is not ExceptionKind.SPECIAL_HANDLING else None,
    }
    ids = append(case, "ExceptionRequested", by, occurred_at or at(1), **{**body, **fields})
    case.collect_events()
    return ids["exception_id"]


def decide(
    case: Case,
    exception_id: UUID,
    layer: int,
    by: Actor,
    decision: Decision = Decision.APPROVE,
    occurred_at: datetime | None = None,
    **fields: Any,
) -> list[Any]:
    """Record one layer's decision; the events it recorded."""
    body: dict[str, Any] = {"opinion": "同意", "attendees": [], "minutes_ref": None}
    append(
        case,
        "ExceptionLayerDecided",
        by,
        occurred_at or at(1 + layer),
        exception_id=exception_id,
        layer=layer,
        decision=decision,
        **{**body, **fields},
    )
    return list(case.collect_events())


def granted(
    case: Case, kind: ExceptionKind = ExceptionKind.SPECIAL_HANDLING, **fields: Any
) -> UUID:
    exception_id = request(case, kind, **fields)
    chain = SPECIAL_CHAIN if kind is ExceptionKind.SPECIAL_HANDLING else MISSING_CHAIN
    for layer, approver in enumerate(chain, start=1):
        decide(case, exception_id, layer, approver)
    assert exception(case, exception_id).status is ExceptionStatus.GRANTED
    return exception_id


def exception(case: Case, exception_id: UUID) -> ExceptionRecord:
    found = case.state.exception(exception_id)
    assert found is not None
    return found


def joint_case() -> tuple[Case, UUID]:
    """清源: a 特事特办 request whose layer 1 approved; layer 2 is the joint meeting."""
    case = new_case("qingyuan")
    exception_id = request(case)
    decide(case, exception_id, 1, LEAD)
    return case, exception_id


def refusal(
    case: Case, event_type: str, actor: Actor, occurred_at: datetime | None = None, **fields: Any
) -> str:
    """Append; the name of the rule that refused it. Nothing may have changed: no event, same
    version, same state."""
    version, state = case.version, msgspec.json.encode(case.state)
    with pytest.raises(RuleViolation) as refused:
        append(case, event_type, actor, occurred_at or at(9), **fields)
    assert case.version == version
    assert not case.collect_events()
    assert msgspec.json.encode(case.state) == state
    return refused.value.rule


def layer_refusal(case: Case, exception_id: UUID, layer: int, by: Actor, **fields: Any) -> str:
    body: dict[str, Any] = {"opinion": "同意", "attendees": [], "minutes_ref": None}
    return refusal(
        case,
        "ExceptionLayerDecided",
        by,
        exception_id=exception_id,
        layer=layer,
        decision=Decision.APPROVE,
        **{**body, **fields},
    )


def request_refusal(case: Case, timing: Timing | None = HUOSHAN, **fields: Any) -> str:
    body: dict[str, Any] = {
        "kind": ExceptionKind.MISSING_MATERIALS,
        "rule_waived": "材料齐全方可受理",
        "basis": "容缺受理制度",
        "justification": "次要材料后补",
        "waived_items": ["银行卡复印件"],
        "compensating_controls": ["签署容缺受理承诺书"],
        "credit_check": CLEAR,
    }
    version, state = case.version, msgspec.json.encode(case.state)
    with pytest.raises(RuleViolation) as refused:
        case.append("ExceptionRequested", CLERK, at(1), timing, **{**body, **fields})
    assert case.version == version and not case.collect_events()
    assert msgspec.json.encode(case.state) == state
    return refused.value.rule


# --- requests -----------------------------------------------------------------------------------


def test_a_request_freezes_the_policy_and_waits_on_layer_1() -> None:
    case = new_case()

    exception_id = request(case)

    record = exception(case, exception_id)
    assert (record.policy_id, record.policy_version) == ("cn/special_handling", "2026.1")
    assert [layer.role for layer in record.required_layers] == [
        Role.WINDOW_LEAD,
        Role.DEPARTMENT_HEAD,
        Role.CENTRE_DIRECTOR,
    ]
    assert record.status is ExceptionStatus.PENDING and record.next_layer == 1
    assert record.requested_by == CLERK.id and record.requested_at == at(1)
    assert record.post_audit_mandatory


def test_a_missing_materials_request_takes_the_local_list_and_its_breach_consequence() -> None:
    case = new_case()

    record = exception(
        case, request(case, ExceptionKind.MISSING_MATERIALS, waived_items=["银行卡复印件"])
    )

    assert record.policy_id == "ah-huoshan/missing_materials"
    assert len(record.required_layers) == 2
    assert record.breach_consequence is BreachConsequence.WITHDRAW_CASE
    assert record.post_audit_rate == 0.2 and not record.post_audit_mandatory


def test_a_kind_the_centre_has_no_policy_for_is_refused() -> None:
    without = dict(HUOSHAN.policy.approvals)
    del without[ExceptionKind.MISSING_MATERIALS]
    policy = msgspec.structs.replace(HUOSHAN.policy, approvals=without)
    timing = Timing(policy=policy, calendar=HUOSHAN.calendar)

    assert request_refusal(new_case(), timing) == "exception.kind_not_in_policy"
    assert request_refusal(new_case(), None) == "exception.kind_not_in_policy"


def test_missing_materials_needs_a_credit_check() -> None:
    assert request_refusal(new_case(), credit_check=None) == "exception.credit_check_missing"


def test_missing_materials_is_refused_to_a_dishonest_applicant() -> None:
    assert request_refusal(new_case(), credit_check=DISHONEST) == "exception.applicant_dishonest"


def test_only_items_on_the_centres_list_may_be_waived() -> None:
    rule = request_refusal(new_case(), waived_items=["银行卡复印件", "身份证原件"])

    assert rule == "exception.item_not_waivable"


def test_a_request_is_made_by_the_unit_holding_the_case() -> None:
    outsider = Actor(id="clerk-31", roles=(Role.CLERK,), unit="公安")
    body = {
        "kind": ExceptionKind.SPECIAL_HANDLING,
        "rule_waived": "本人到场",
        "basis": "特事特办制度",
        "justification": "x",
        "waived_items": [],
        "compensating_controls": [],
        "credit_check": None,
    }

    assert refusal(new_case(), "ExceptionRequested", outsider, **body) == "case.not_held_by_unit"


# --- layer decisions ------------------------------------------------------------------------------


def test_layers_are_decided_in_order() -> None:
    case = new_case()
    exception_id = request(case)

    assert layer_refusal(case, exception_id, 2, HEAD) == "approval.layer_out_of_order"
    decide(case, exception_id, 1, LEAD)
    assert layer_refusal(case, exception_id, 1, LEAD_AND_HEAD) == "approval.layer_out_of_order"
    assert layer_refusal(case, exception_id, 3, DIRECTOR) == "approval.layer_out_of_order"


def test_a_layer_needs_its_role() -> None:
    case = new_case()
    exception_id = request(case)

    assert layer_refusal(case, exception_id, 1, HEAD) == "approval.wrong_role"
    assert layer_refusal(case, exception_id, 1, DIRECTOR) == "approval.wrong_role"
    decide(case, exception_id, 1, LEAD)
    assert layer_refusal(case, exception_id, 2, LEAD) == "approval.wrong_role"


def test_the_requester_cannot_approve_even_holding_the_role() -> None:
    case = new_case()
    exception_id = request(case, by=CLERK_AND_LEAD)

    assert layer_refusal(case, exception_id, 1, CLERK_AND_LEAD) == (
        "approval.requester_cannot_approve"
    )


def test_one_person_decides_one_layer() -> None:
    case = new_case()
    exception_id = request(case)
    decide(case, exception_id, 1, LEAD_AND_HEAD)

    assert layer_refusal(case, exception_id, 2, LEAD_AND_HEAD) == (
        "approval.approver_already_decided"
    )


def test_each_layer_states_an_opinion() -> None:
    case = new_case()
    exception_id = request(case)

    assert layer_refusal(case, exception_id, 1, LEAD, opinion="  ") == "approval.opinion_missing"


@pytest.mark.parametrize(
    ("attendees", "minutes_ref"),
    [
        ([], None),
        ([], "联席会纪要〔2025〕12号"),
        (MEETING[:1], "联席会纪要〔2025〕12号"),
        ([MEETING[0], {**MEETING[0]}], "联席会纪要〔2025〕12号"),  # one person listed twice
        (
            [
                {"id": "lead-2", "role": Role.WINDOW_LEAD},
                {"id": "lead-3", "role": Role.WINDOW_LEAD},
            ],
            "联席会纪要〔2025〕12号",
        ),
        (MEETING, None),
        (MEETING, ""),
        (
            [m for m in MEETING if m["id"] != "head-1"]
            + [{"id": "head-4", "role": Role.DEPARTMENT_HEAD}],
            "联席会纪要〔2025〕12号",
        ),
    ],
    ids=[
        "nobody",
        "nobody-with-minutes",
        "one-attendee",
        "one-attendee-twice",
        "wrong-roles",
        "no-minutes",
        "empty-minutes",
        "recorder-not-present",
    ],
)
def test_a_joint_layer_lists_its_attendees_and_minutes(
    attendees: list[dict[str, Any]], minutes_ref: str | None
) -> None:
    case, exception_id = joint_case()
    listed = [msgspec.convert(a, type=Attendee) for a in attendees]

    rule = layer_refusal(case, exception_id, 2, HEAD, attendees=listed, minutes_ref=minutes_ref)

    assert rule == "approval.joint_attendees_missing"


def test_a_joint_layer_with_its_meeting_is_recorded_with_attendees_and_minutes() -> None:
    case, exception_id = joint_case()
    listed = [msgspec.convert(a, type=Attendee) for a in MEETING]

    [decided] = decide(
        case, exception_id, 2, HEAD, attendees=listed, minutes_ref="联席会纪要〔2025〕12号"
    )

    assert isinstance(decided, Case.ExceptionLayerDecided)
    [_, meeting] = exception(case, exception_id).decisions
    assert meeting.role is Role.DEPARTMENT_HEAD and meeting.approver == HEAD.id
    assert [a.id for a in meeting.attendees] == ["head-1", "head-2", "head-3"]
    assert meeting.minutes_ref == "联席会纪要〔2025〕12号"


@pytest.mark.parametrize("closed", ["refused", "granted", "withdrawn"])
def test_a_closed_request_takes_no_more_decisions(closed: str) -> None:
    case = new_case()
    exception_id = request(case)
    if closed == "refused":
        decide(case, exception_id, 1, LEAD, Decision.REJECT, opinion="不符合特事特办条件")
        late = (2, HEAD)
    elif closed == "granted":
        for layer, approver in enumerate(SPECIAL_CHAIN, start=1):
            decide(case, exception_id, layer, approver)
        late = (4, OTHER_HEAD)
    else:
        append(case, "ExceptionWithdrawn", CLERK, at(1.5), exception_id=exception_id, reason="x")
        case.collect_events()
        late = (1, LEAD)

    assert layer_refusal(case, exception_id, *late) == "approval.request_closed"


def test_an_unknown_exception_is_refused() -> None:
    assert layer_refusal(new_case(), uuid4(), 1, LEAD) == "exception.unknown"


# --- grant and refusal --------------------------------------------------------------------------


def test_the_last_approval_grants_with_a_mandatory_post_audit() -> None:
    case = new_case()
    exception_id = request(case)
    first = decide(case, exception_id, 1, LEAD, opinion="情况属实, 同意")
    second = decide(case, exception_id, 2, HEAD, opinion="同意, 报中心主任")

    last = decide(case, exception_id, 3, DIRECTOR, opinion="同意特事特办")

    assert [type(e).__name__ for e in [*first, *second]] == ["ExceptionLayerDecided"] * 2
    decided, grant = last
    assert isinstance(decided, Case.ExceptionLayerDecided) and decided.role is Role.CENTRE_DIRECTOR
    assert isinstance(grant, Case.ExceptionGranted)
    assert grant.actor == DIRECTOR and grant.occurred_at == at(4)
    assert grant.post_audit is PostAuditSelection.MANDATORY
    assert (grant.post_audit, grant.post_audit_draw) == post_audit_selection(
        "cn/special_handling", "2026.1", 1.0, True, exception_id
    )
    record = exception(case, exception_id)
    assert record.status is ExceptionStatus.GRANTED and record.closed_at == at(4)
    assert record.next_layer is None
    assert [(d.layer, d.approver, d.role, d.opinion) for d in record.decisions] == [
        (1, LEAD.id, Role.WINDOW_LEAD, "情况属实, 同意"),
        (2, HEAD.id, Role.DEPARTMENT_HEAD, "同意, 报中心主任"),
        (3, DIRECTOR.id, Role.CENTRE_DIRECTOR, "同意特事特办"),
    ]
    assert record.post_audit is PostAuditSelection.MANDATORY


def test_a_sampled_kind_is_granted_with_the_seeded_draw() -> None:
    case = new_case()
    exception_id = granted(case, ExceptionKind.MISSING_MATERIALS, waived_items=["银行卡复印件"])

    record = exception(case, exception_id)
    selection, draw = post_audit_selection(
        "ah-huoshan/missing_materials", "2026.1", 0.2, False, exception_id
    )
    assert (record.post_audit, record.post_audit_draw) == (selection, draw)
    assert selection is (
        PostAuditSelection.SAMPLED if draw < 0.2 else PostAuditSelection.NOT_SAMPLED
    )


def test_a_rejection_refuses_the_request() -> None:
    case = new_case()
    exception_id = request(case)
    decide(case, exception_id, 1, LEAD)

    decided, refused = decide(case, exception_id, 2, HEAD, Decision.REJECT, opinion="依据不足")

    assert isinstance(decided, Case.ExceptionLayerDecided) and decided.decision is Decision.REJECT
    assert isinstance(refused, Case.ExceptionRefused) and refused.layer == 2
    record = exception(case, exception_id)
    assert record.status is ExceptionStatus.REFUSED and record.closed_at == at(3)
    assert record.post_audit is None


# --- using an exception ---------------------------------------------------------------------------


def _refused_exception(case: Case) -> UUID:
    exception_id = request(case)
    decide(case, exception_id, 1, LEAD, Decision.REJECT, opinion="不同意")
    return exception_id


@pytest.mark.parametrize("status", ["pending", "refused"])
def test_acceptance_cannot_rely_on_an_exception_not_granted(status: str) -> None:
    case = new_case(notice=("离婚协议书",))
    exception_id = (
        request(case, waived_items=["离婚协议书"])
        if status == "pending"
        else _refused_exception(case)
    )

    assert refusal(case, "Accepted", CLERK, note=None, exception_id=exception_id) == (
        "exception.not_granted"
    )


@pytest.mark.parametrize("status", ["pending", "refused"])
def test_completion_cannot_rely_on_an_exception_not_granted(status: str) -> None:
    case = new_case()
    append(case, "Accepted", CLERK, at(0.5), note=None)
    case.collect_events()
    exception_id = request(case) if status == "pending" else _refused_exception(case)

    rule = refusal(
        case,
        "Completed",
        CLERK,
        outcome=Outcome.GRANTED,
        summary=None,
        exception_id=exception_id,
    )

    assert rule == "exception.not_granted"


def test_a_commitment_cannot_rest_on_a_pending_exception() -> None:
    case = new_case()
    exception_id = request(case, ExceptionKind.MISSING_MATERIALS, waived_items=["银行卡复印件"])

    rule = refusal(
        case,
        "CommitmentSigned",
        CLERK,
        exception_id=exception_id,
        items=["银行卡复印件"],
        due_at=at(24),
    )

    assert rule == "exception.not_granted"


def test_outstanding_notice_items_need_a_granted_exception_that_waives_them() -> None:
    case = new_case(notice=("身份证", "银行卡复印件"))
    append(case, "MaterialsSupplied", CLERK, at(0.2), items=["身份证"], via="in_person")
    case.collect_events()
    other = granted(case, ExceptionKind.MISSING_MATERIALS, waived_items=["户口簿复印件"])

    assert refusal(case, "Accepted", CLERK, note=None) == "acceptance.materials_outstanding"
    assert refusal(case, "Accepted", CLERK, note=None, exception_id=other) == (
        "acceptance.materials_outstanding"
    )

    covering = granted(case, ExceptionKind.MISSING_MATERIALS, waived_items=["银行卡复印件"])
    append(case, "Accepted", CLERK, at(8), note="容缺受理", exception_id=covering)

    assert case.state.status is CaseStatus.ACCEPTED
    assert exception(case, covering).used_at == at(8)
    assert exception(case, other).used_at is None


def test_completion_marks_the_exception_used() -> None:
    case = new_case()
    append(case, "Accepted", CLERK, at(0.5), note=None)
    exception_id = granted(case)

    append(
        case,
        "Completed",
        CLERK,
        at(8),
        outcome=Outcome.GRANTED,
        summary=None,
        exception_id=exception_id,
    )

    assert case.state.status is CaseStatus.COMPLETED
    assert exception(case, exception_id).used_at == at(8)


# --- commitments (承诺书) ------------------------------------------------------------------------


def accepted_on_a_commitment() -> tuple[Case, UUID]:
    """容缺受理: the bank-card copy waived, the case accepted on it (its clock running)."""
    case = new_case(notice=("银行卡复印件",))
    exception_id = granted(case, ExceptionKind.MISSING_MATERIALS, waived_items=["银行卡复印件"])
    append(case, "Accepted", CLERK, at(5), note="容缺受理", exception_id=exception_id)
    case.collect_events()
    return case, exception_id


def sign(case: Case, exception_id: UUID, due_at: datetime) -> UUID:
    ids = append(
        case,
        "CommitmentSigned",
        CLERK,
        at(5.5),
        exception_id=exception_id,
        items=["银行卡复印件"],
        due_at=due_at,
    )
    case.collect_events()
    return ids["commitment_id"]


def test_a_commitment_is_due_within_the_cases_own_deadline() -> None:
    case, exception_id = accepted_on_a_commitment()
    assert case.state.clock is not None
    deadline = case.state.clock.due_at

    for due_at in (deadline + timedelta(minutes=1), at(5.5), at(5)):
        rule = refusal(
            case,
            "CommitmentSigned",
            CLERK,
            at(5.5),
            exception_id=exception_id,
            items=["银行卡复印件"],
            due_at=due_at,
        )
        assert rule == "commitment.due_beyond_limit", due_at

    commitment_id = sign(case, exception_id, deadline)

    [commitment] = exception(case, exception_id).commitments
    assert (commitment.commitment_id, commitment.due_at) == (commitment_id, deadline)
    assert commitment.status is CommitmentStatus.OPEN and commitment.signed_by == CLERK.id


def test_special_handling_takes_no_commitment() -> None:
    case = new_case()
    exception_id = granted(case)

    rule = refusal(
        case,
        "CommitmentSigned",
        CLERK,
        exception_id=exception_id,
        items=["银行卡复印件"],
        due_at=at(24),
    )

    assert rule == "commitment.kind_without_commitment"


def test_a_fulfilled_commitment_is_settled_once() -> None:
    case, exception_id = accepted_on_a_commitment()
    commitment_id = sign(case, exception_id, at(30))

    append(case, "CommitmentFulfilled", CLERK, at(20), commitment_id=commitment_id, note="已补交")

    [commitment] = exception(case, exception_id).commitments
    assert commitment.status is CommitmentStatus.FULFILLED and commitment.settled_at == at(20)
    case.collect_events()
    assert refusal(case, "CommitmentFulfilled", CLERK, commitment_id=commitment_id, note=None) == (
        "commitment.already_settled"
    )
    assert refusal(case, "CommitmentBreached", TIMER, at(40), commitment_id=commitment_id) == (
        "commitment.already_settled"
    )


def test_a_breach_is_recorded_only_after_the_due_date_and_withdraws_the_case() -> None:
    case, exception_id = accepted_on_a_commitment()
    commitment_id = sign(case, exception_id, at(30))

    assert refusal(case, "CommitmentBreached", TIMER, at(30), commitment_id=commitment_id) == (
        "commitment.not_yet_due"
    )

    append(case, "CommitmentBreached", TIMER, at(30.01), commitment_id=commitment_id)

    [breached] = case.collect_events()
    assert isinstance(breached, Case.CommitmentBreached)
    assert breached.consequence is BreachConsequence.WITHDRAW_CASE
    [commitment] = exception(case, exception_id).commitments
    assert commitment.status is CommitmentStatus.BREACHED
    assert commitment.consequence is BreachConsequence.WITHDRAW_CASE
    assert (case.state.status, case.state.outcome) == (CaseStatus.COMPLETED, Outcome.WITHDRAWN)
    assert case.state.closed_at == at(30.01)


def test_an_unknown_commitment_is_refused() -> None:
    case, _ = accepted_on_a_commitment()

    assert refusal(case, "CommitmentFulfilled", CLERK, commitment_id=uuid4(), note=None) == (
        "commitment.unknown"
    )


# --- withdrawal -----------------------------------------------------------------------------------


def test_a_pending_or_unused_granted_exception_can_be_withdrawn() -> None:
    case = new_case()
    pending = request(case)
    unused = granted(case)

    for exception_id in (pending, unused):
        append(case, "ExceptionWithdrawn", CLERK, at(6), exception_id=exception_id, reason="不需要")

        withdrawn = exception(case, exception_id)
        assert withdrawn.status is ExceptionStatus.WITHDRAWN and withdrawn.closed_at == at(6)
    assert [type(e).__name__ for e in case.collect_events()] == ["ExceptionWithdrawn"] * 2


def test_a_used_or_refused_exception_cannot_be_withdrawn() -> None:
    case, used = accepted_on_a_commitment()
    refused = _refused_exception(case)

    assert refusal(case, "ExceptionWithdrawn", CLERK, exception_id=used, reason="x") == (
        "exception.already_used"
    )
    assert refusal(case, "ExceptionWithdrawn", CLERK, exception_id=refused, reason="x") == (
        "approval.request_closed"
    )


def test_an_exception_with_an_open_commitment_cannot_be_withdrawn() -> None:
    case = new_case(notice=("银行卡复印件",))
    exception_id = granted(case, ExceptionKind.MISSING_MATERIALS, waived_items=["银行卡复印件"])
    sign(case, exception_id, at(48))

    rule = refusal(case, "ExceptionWithdrawn", CLERK, exception_id=exception_id, reason="x")

    assert rule == "exception.commitment_open"


# --- post-audit -----------------------------------------------------------------------------------


@pytest.mark.parametrize("auditor", [CLERK, LEAD, HEAD, DIRECTOR], ids=lambda a: a.id)
def test_a_post_audit_is_not_by_the_requester_or_an_approver(auditor: Actor) -> None:
    case = new_case()
    exception_id = granted(case)

    rule = refusal(
        case,
        "ExceptionPostAudited",
        auditor,
        exception_id=exception_id,
        finding=AuditFinding.COMPLIANT,
        note="抽查",
    )

    assert rule == "post_audit.not_independent"


def test_an_independent_post_audit_is_recorded() -> None:
    case = new_case()
    exception_id = granted(case)

    append(
        case,
        "ExceptionPostAudited",
        OTHER_HEAD,
        at(9),
        exception_id=exception_id,
        finding=AuditFinding.COMPLIANT,
        note="审批逐级签署意见, 合规",
    )

    [audit] = exception(case, exception_id).audits
    assert (audit.auditor, audit.finding, audit.audited_at) == (
        OTHER_HEAD.id,
        AuditFinding.COMPLIANT,
        at(9),
    )


def test_only_a_granted_exception_is_post_audited() -> None:
    case = new_case()
    exception_id = request(case)

    rule = refusal(
        case,
        "ExceptionPostAudited",
        OTHER_HEAD,
        exception_id=exception_id,
        finding=AuditFinding.COMPLIANT,
        note="抽查",
    )

    assert rule == "exception.not_granted"


# --- post-audit sampling --------------------------------------------------------------------------


def _ids(count: int, seed: int = 5) -> list[UUID]:
    rng = random.Random(seed)
    return [UUID(int=rng.getrandbits(128), version=4) for _ in range(count)]


def test_the_post_audit_draw_is_reproducible() -> None:
    for exception_id in _ids(50):
        first = post_audit_selection("cn/missing_materials", "2026.1", 0.2, False, exception_id)
        again = post_audit_selection("cn/missing_materials", "2026.1", 0.2, False, exception_id)
        assert first == again
        assert 0 <= first[1] < 1
    exception_id = _ids(1)[0]
    other_version = post_audit_selection("cn/missing_materials", "2026.2", 0.2, False, exception_id)
    assert (
        other_version[1]
        != post_audit_selection("cn/missing_materials", "2026.1", 0.2, False, exception_id)[1]
    )


def test_the_sampled_share_follows_the_policy_rate() -> None:
    ids = _ids(20_000)

    def share(rate: float, mandatory: bool = False) -> dict[PostAuditSelection, float]:
        drawn = [
            post_audit_selection("cn/missing_materials", "2026.1", rate, mandatory, i)[0]
            for i in ids
        ]
        return {s: drawn.count(s) / len(ids) for s in PostAuditSelection}

    assert abs(share(0.2)[PostAuditSelection.SAMPLED] - 0.2) <= 0.015
    assert share(0.0)[PostAuditSelection.SAMPLED] == 0
    assert share(1.0, mandatory=True)[PostAuditSelection.MANDATORY] == 1
