"""Ratification after the fact (seed 000: a teller took 李女士's ID and card numbers by phone and
bound the card later, "破个例", with nobody's prior approval).

Given a case completed after a rule was set aside, when the exception is asked for after the fact
(`ExceptionRatificationRequested`) and its kind's layers decide, then it is ratified or not on the
closed case, the executor decides no layer, and the approval proof checks the ratification's layers
and says it was after the fact.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec
import pytest

from ledger.domain.case import Case
from ledger.domain.errors import RuleViolation
from ledger.domain.exceptions.proof import describe_exception
from ledger.domain.exceptions.proof_checks import CHECKS, check_exception
from ledger.domain.exceptions.records import ExceptionKind, ExceptionStatus, PostAuditSelection
from ledger.domain.personal_data import protect_applicant
from ledger.domain.values import (
    Actor,
    CaseStatus,
    Channel,
    Decision,
    Matter,
    Outcome,
    Priority,
    Role,
)
from ledger.rules.time_limits import Policies

HUOSHAN = Policies().timing("huoshan")
T0 = datetime(2026, 2, 10, 2, 50, tzinfo=UTC)
"""Tuesday 10 February 2026, 10:50 in Beijing: 李女士 takes her ticket (seed 000)."""

TELLER = Actor(id="sw-clerk-sun", roles=(Role.CLERK,), unit="税务")  # 小孙
TELLER_LEAD = Actor(id="sw-lead-9", roles=(Role.WINDOW_LEAD, Role.CLERK), unit="税务")
DUTY = Actor(id="duty-officer-01", roles=(Role.DUTY_OFFICER,), unit="数据局")
LEAD = Actor(id="sw-lead-01", roles=(Role.WINDOW_LEAD,), unit="税务")
DEPUTY = Actor(id="sw-deputy-02", roles=(Role.WINDOW_LEAD,), unit="税务")
HEAD = Actor(id="sw-head-01", roles=(Role.DEPARTMENT_HEAD,), unit="税务")
DIRECTOR = Actor(id="hs-director-01", roles=(Role.CENTRE_DIRECTOR,), unit="中心")
AUDITOR = Actor(id="hs-audit-head", roles=(Role.DEPARTMENT_HEAD,), unit="审计")

BOUND = T0 + timedelta(hours=4, minutes=15)
"""15:05: the card bound once the data push arrived, the numbers having been taken by phone."""
NEXT_MORNING = T0 + timedelta(hours=22, minutes=40)
"""Wednesday 09:30: the debit on her phone call; the case is completed."""


def at(hours: float) -> datetime:
    return NEXT_MORNING + timedelta(hours=hours)


def completed_case(executor: Actor = TELLER) -> Case:
    """The 社税联办 case as it ended: accepted when the card was bound, completed next morning."""
    case = Case.register(
        actor=executor,
        occurred_at=T0,
        case_no="HUOSHAN-2026-000017",
        channel=Channel.WINDOW,
        matter=Matter(code="SI-ARREARS", name="养老保险费补缴"),
        centre="huoshan",
        department="税务",
        window="2F-09",
        applicant=protect_applicant(b"k" * 32, name="李某", id_number="341525197001010020"),
        priority=Priority.NORMAL,
        statutory_limit=None,
        promised_limit=None,
        parent_case_id=None,
    )
    case.append("Accepted", executor, BOUND, HUOSHAN, note="已代为绑卡")
    case.append("Completed", executor, NEXT_MORNING, HUOSHAN, outcome=Outcome.GRANTED)
    assert case.state.status is CaseStatus.COMPLETED
    return case


def ratification(**overrides: Any) -> dict[str, Any]:
    return {
        "kind": ExceptionKind.SPECIAL_HANDLING,
        "rule_waived": "绑卡缴费须本人到窗口当面提供并核对身份证号和银行卡号",
        "basis": "值班人员与税务窗口商定破例",
        "justification": "返程车票已买好, 往返银行须一个多小时",
        "waived_items": [],
        "compensating_controls": ["号码由窗口与银行工作人员电话反复校对"],
        "credit_check": None,
        "executed_by": "sw-clerk-sun",
        "executed_at": BOUND,
        "execution": "电话报号, 数据推送后代为绑卡",
        **overrides,
    }


def ask(case: Case, by: Actor = DUTY, **overrides: Any) -> UUID:
    return case.append(
        "ExceptionRatificationRequested", by, at(1), HUOSHAN, **ratification(**overrides)
    )["exception_id"]


def decide(case: Case, exception_id: UUID, layer: int, by: Actor, **fields: Any) -> None:
    case.append(
        "ExceptionLayerDecided",
        by,
        at(1 + layer),
        HUOSHAN,
        exception_id=exception_id,
        layer=layer,
        decision=fields.pop("decision", Decision.APPROVE),
        opinion=fields.pop("opinion", "情况属实, 同意追认"),
        attendees=[],
        **fields,
    )


def refused(case: Case, event_type: str, actor: Actor, **fields: Any) -> str:
    version, state = case.version, msgspec.json.encode(case.state)
    with pytest.raises(RuleViolation) as refusal:
        case.append(event_type, actor, at(9), HUOSHAN, **fields)
    assert (case.version, msgspec.json.encode(case.state)) == (version, state)
    return refusal.value.rule


def layer_refused(case: Case, exception_id: UUID, layer: int, by: Actor, **fields: Any) -> str:
    return refused(
        case,
        "ExceptionLayerDecided",
        by,
        exception_id=exception_id,
        layer=layer,
        decision=Decision.APPROVE,
        opinion="同意",
        attendees=[],
        **fields,
    )


# --- asking after the fact ----------------------------------------------------------------------


def test_a_closed_case_takes_a_ratification_that_waits_on_its_first_layer() -> None:
    case = completed_case()

    exception_id = ask(case)

    [record] = case.state.exceptions
    assert record.exception_id == exception_id
    assert (record.status, record.next_layer, len(record.required_layers)) == (
        ExceptionStatus.PENDING,
        1,
        3,  # cn/special_handling: 窗口负责人 → 部门负责人 → 中心主任
    )
    assert (record.after_the_fact, record.executed_by, record.executed_at) == (
        True,
        "sw-clerk-sun",
        BOUND,
    )
    assert record.executors == {"sw-clerk-sun"}


def test_a_ratification_of_an_act_not_yet_done_is_refused() -> None:
    case = completed_case()

    rule = refused(case, "ExceptionRatificationRequested", DUTY, **ratification(executed_at=at(10)))

    assert rule == "ratification.not_after_the_fact"


def test_a_ratification_names_who_executed_it() -> None:
    case = completed_case()

    rule = refused(case, "ExceptionRatificationRequested", DUTY, **ratification(executed_by=" "))

    assert rule == "ratification.executor_missing"


def test_a_ratification_is_asked_by_the_holding_unit_or_a_centre_wide_role() -> None:
    case = completed_case()
    elsewhere = Actor(id="rs-clerk-07", roles=(Role.CLERK,), unit="人社")

    assert refused(case, "ExceptionRatificationRequested", elsewhere, **ratification()) == (
        "case.not_held_by_unit"
    )


def test_an_ordinary_request_is_still_refused_on_a_closed_case() -> None:
    case = completed_case()

    rule = refused(
        case,
        "ExceptionRequested",
        TELLER,
        **{k: v for k, v in ratification().items() if not k.startswith("execut")},
    )

    assert rule == "case.closed"


def test_a_ratification_cannot_be_withdrawn_to_escape_its_verdict() -> None:
    # On an open case (reopened here) an ordinary request may be withdrawn before it is relied
    # on; the act a ratification covers is already done: its layers ratify it or not.
    case = completed_case()
    case.append("Reopened", TELLER_LEAD, at(0.5), HUOSHAN, reason="补录破例")
    exception_id = ask(case)

    rule = refused(case, "ExceptionWithdrawn", DUTY, exception_id=exception_id, reason="撤回")

    assert rule == "ratification.not_withdrawable"
    assert case.state.exceptions[0].status is ExceptionStatus.PENDING


# --- its layers ---------------------------------------------------------------------------------


def test_every_layer_approving_ratifies_it_on_the_closed_case() -> None:
    case = completed_case()
    exception_id = ask(case)

    for layer, approver in enumerate((LEAD, HEAD, DIRECTOR), start=1):
        decide(case, exception_id, layer, approver)

    [record] = case.state.exceptions
    assert record.status is ExceptionStatus.RATIFIED
    assert record.post_audit is PostAuditSelection.MANDATORY  # every 特事特办 is post-audited
    assert [type(e).__name__ for e in case.collect_events()][-2:] == [
        "ExceptionLayerDecided",
        "ExceptionRatified",
    ]


def test_a_rejecting_layer_leaves_it_not_ratified() -> None:
    case = completed_case()
    exception_id = ask(case)
    decide(case, exception_id, 1, LEAD)

    decide(case, exception_id, 2, HEAD, decision=Decision.REJECT, opinion="不同意: 应本人到场")

    [record] = case.state.exceptions
    assert (record.status, record.next_layer) == (ExceptionStatus.NOT_RATIFIED, None)
    assert type(case.collect_events()[-1]).__name__ == "ExceptionNotRatified"


def test_whoever_executed_it_cannot_ratify_it() -> None:
    case = completed_case(executor=TELLER_LEAD)
    exception_id = ask(case, executed_by="sw-lead-9")

    assert layer_refused(case, exception_id, 1, TELLER_LEAD) == "approval.executor_cannot_approve"


def test_a_deputy_cannot_ratify_for_the_one_who_executed_it() -> None:
    case = completed_case(executor=TELLER_LEAD)
    exception_id = ask(case, executed_by="sw-lead-9")

    assert layer_refused(case, exception_id, 1, DEPUTY, acting_for="sw-lead-9") == (
        "approval.executor_cannot_approve"
    )


def test_nothing_relies_on_a_ratified_exception_afterwards() -> None:
    case = completed_case()
    exception_id = ask(case)
    for layer, approver in enumerate((LEAD, HEAD, DIRECTOR), start=1):
        decide(case, exception_id, layer, approver)
    case.append("Reopened", LEAD, at(6), HUOSHAN, reason="补录")

    assert refused(
        case, "Completed", TELLER, outcome=Outcome.GRANTED, exception_id=exception_id
    ) == ("exception.not_granted")


@pytest.mark.parametrize("auditor", [TELLER, DUTY, LEAD], ids=lambda a: a.id)
def test_a_ratified_exception_is_post_audited_by_someone_uninvolved(auditor: Actor) -> None:
    case = completed_case()
    exception_id = ask(case)
    for layer, approver in enumerate((LEAD, HEAD, DIRECTOR), start=1):
        decide(case, exception_id, layer, approver)
    fields = {"exception_id": exception_id, "finding": "compliant", "note": "核查属实"}

    assert refused(case, "ExceptionPostAudited", auditor, **fields) == "post_audit.not_independent"
    case.append("ExceptionPostAudited", AUDITOR, at(7), **fields)
    assert [a.auditor for a in case.state.exceptions[0].audits] == ["hs-audit-head"]


# --- the proof ----------------------------------------------------------------------------------


def test_the_proof_of_a_ratification_checks_its_layers_and_says_after_the_fact() -> None:
    case = completed_case()
    exception_id = ask(case)
    for layer, approver in enumerate((LEAD, HEAD, DIRECTOR), start=1):
        decide(case, exception_id, layer, approver)
    events = list(case.collect_events())

    checks = check_exception(events, exception_id, at(10))
    described = describe_exception(events, exception_id)

    assert [c.name for c in checks] == list(CHECKS)
    assert all(c.passed for c in checks), [c for c in checks if not c.passed]
    reasons = {c.name: c.reason for c in checks}
    assert reasons["layer_order"] == "layers [1, 2, 3] decided in order of 3"
    assert reasons["outcome_follows_decisions"] == "ratified after 3 decision(s)"
    assert reasons["after_the_fact"] == (
        "after the fact: executed by sw-clerk-sun at 2026-02-10T07:05:00+00:00 (电话报号, "
        "数据推送后代为绑卡), ratification asked by duty-officer-01 at 2026-02-11T02:30:00+00:00; "
        "ratified by 3 layer(s)"
    )
    assert reasons["executor_not_approver"] == (
        "executed by sw-clerk-sun, who decided no layer and was stood in for at none"
    )
    assert (described.after_the_fact, described.status) == (True, ExceptionStatus.RATIFIED)


def test_a_pending_ratification_passes_its_proof_and_says_nobody_decided_yet() -> None:
    case = completed_case()
    exception_id = ask(case)
    events = list(case.collect_events())

    checks = {c.name: c for c in check_exception(events, exception_id, at(10))}

    assert all(c.passed for c in checks.values())
    assert checks["after_the_fact"].reason.endswith("; pending, 0 of 3 layer(s) decided")


def test_a_ratification_recorded_as_granted_fails_the_proof() -> None:
    """A forged outcome: an ordinary grant on a request asked after the fact."""
    case = completed_case()
    exception_id = ask(case)
    for layer, approver in enumerate((LEAD, HEAD, DIRECTOR), start=1):
        decide(case, exception_id, layer, approver)
    events = list(case.collect_events())
    ratified = events[-1]
    granted = object.__new__(Case.ExceptionGranted)
    object.__setattr__(granted, "__dict__", dict(vars(ratified)))
    crafted = [*events[:-1], granted]

    checks = {c.name: c for c in check_exception(crafted, exception_id, at(10))}

    assert checks["outcome_follows_decisions"].passed is False
