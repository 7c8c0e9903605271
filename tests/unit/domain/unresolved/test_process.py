"""A 办不成事 report's 反馈 and 核查, who may check and close it, consultations, and the report
every refusal is recorded in (否定答复报告), rule by rule.

Given a case held by 人社 at window 办不成事窗口, reported by clerk-7 of 人社 (the unit concerned,
by default), when a 反馈, a 核查, a closure, a consultation or a refusal is appended, then either it
is recorded with its effect on the folded case, or the named rule refuses it and nothing changes.
Due dates are hand-computed on the 2026 calendar (国庆 1-7 Oct, make-up working day Sat 10 Oct).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec
import pytest

from ledger.domain.case import Case
from ledger.domain.errors import RuleViolation
from ledger.domain.unresolved.records import (
    FeedbackMethod,
    Resolvability,
    UnresolvedCause,
    UnresolvedClosure,
    UnresolvedTier,
)
from ledger.domain.values import Actor, CaseStatus, LimitUnit, Outcome, Role, TimeLimit
from tests.unit.domain.unresolved.test_reports import (
    CLERK,
    DIRECTOR,
    DUTY_OFFICER,
    LEAD,
    REPORTED,
    TIMING,
    append,
    cst,
    end_of,
    new_case,
    refusal,
    report,
    the_report,
)

HEAD = Actor(id="head-1", roles=(Role.DEPARTMENT_HEAD,), unit="人社")
OTHER_LEAD = Actor(id="lead-9", roles=(Role.WINDOW_LEAD,), unit="医保")
RESOLVED = UnresolvedClosure.RESOLVED


def feedback(
    case: Case,
    report_id: UUID,
    at: datetime,
    outcome: UnresolvedClosure = RESOLVED,
    by: Actor = CLERK,
    **more: Any,
) -> None:
    append(
        case,
        "UnresolvedFeedbackGiven",
        by,
        at,
        report_id=report_id,
        outcome=outcome,
        method=FeedbackMethod.PHONE,
        content="已协调办成，电话告知本人",
        **more,
    )


def verify(
    case: Case, report_id: UUID, at: datetime, confirmed: bool = True, by: Actor = DUTY_OFFICER
) -> None:
    append(
        case,
        "UnresolvedVerified",
        by,
        at,
        report_id=report_id,
        confirmed=confirmed,
        note="回访核实",
    )


def closing(report_id: UUID, closure: UnresolvedClosure = RESOLVED) -> dict[str, Any]:
    return {"report_id": report_id, "closure": closure, "explanation": None, "redirected_to": None}


def refusal_by(case: Case, actor: Actor, event_type: str, at: datetime, **fields: Any) -> str:
    """`refusal` (test_reports) by another actor."""
    version, state = case.version, msgspec.json.encode(case.state)
    with pytest.raises(RuleViolation) as refused:
        case.append(event_type, actor, at, TIMING, **fields)
    assert (case.version, msgspec.json.encode(case.state)) == (version, state)
    return refused.value.rule


# --- 反馈 and 核查 --------------------------------------------------------------------------------


def test_feedback_and_its_verification_are_recorded_then_the_report_closes() -> None:
    case = new_case()
    report_id = report(case)

    feedback(case, report_id, cst(2026, 10, 9, 10), response="连称热情周到")
    verify(case, report_id, cst(2026, 10, 9, 15))
    append(case, "UnresolvedClosed", DUTY_OFFICER, cst(2026, 10, 9, 16), **closing(report_id))

    r = the_report(case, report_id)
    [told] = r.feedbacks
    assert (told.outcome, told.method, told.response, told.given_by, told.given_at) == (
        RESOLVED,
        FeedbackMethod.PHONE,
        "连称热情周到",
        CLERK.id,
        cst(2026, 10, 9, 10),
    )
    [checked] = r.verifications
    assert (checked.confirmed, checked.feedback_no, checked.verified_by) == (
        True,
        1,
        DUTY_OFFICER.id,
    )
    assert r.verified
    assert (r.closure, r.closed_by, r.closed_at) == (
        RESOLVED,
        DUTY_OFFICER.id,
        cst(2026, 10, 9, 16),
    )


def test_a_report_closes_only_after_a_feedback() -> None:
    case = new_case()
    report_id = report(case)

    assert refusal(case, "UnresolvedClosed", cst(2026, 10, 9, 16), **closing(report_id)) == (
        "unresolved.feedback_missing"
    )


def test_a_report_closes_only_after_its_last_feedback_was_verified() -> None:
    case = new_case()
    report_id = report(case)
    feedback(case, report_id, cst(2026, 10, 9, 10))
    at = cst(2026, 10, 9, 16)

    assert refusal(case, "UnresolvedClosed", at, **closing(report_id)) == "unresolved.not_verified"
    verify(case, report_id, cst(2026, 10, 9, 11), confirmed=False)  # not borne out
    assert refusal(case, "UnresolvedClosed", at, **closing(report_id)) == "unresolved.not_verified"
    feedback(case, report_id, cst(2026, 10, 12, 10))  # worked again, told again
    assert refusal(case, "UnresolvedClosed", at, **closing(report_id)) == "unresolved.not_verified"
    verify(case, report_id, cst(2026, 10, 12, 15))

    append(case, "UnresolvedClosed", DUTY_OFFICER, cst(2026, 10, 12, 16), **closing(report_id))

    r = the_report(case, report_id)
    assert [v.feedback_no for v in r.verifications] == [1, 2]
    assert r.closure is RESOLVED


def test_a_verification_checks_a_feedback_not_yet_checked() -> None:
    case = new_case()
    report_id = report(case)
    body = {"report_id": report_id, "confirmed": True, "note": "核实"}

    assert refusal(case, "UnresolvedVerified", cst(2026, 10, 9, 9), **body) == (
        "unresolved.nothing_to_verify"
    )
    feedback(case, report_id, cst(2026, 10, 9, 10))
    verify(case, report_id, cst(2026, 10, 9, 11))
    assert refusal(case, "UnresolvedVerified", cst(2026, 10, 9, 12), **body) == (
        "unresolved.nothing_to_verify"
    )


def test_the_closure_is_the_outcome_the_applicant_was_told() -> None:
    case = new_case()
    report_id = report(case)
    feedback(case, report_id, cst(2026, 10, 9, 10), UnresolvedClosure.EXPLAINED_CANNOT_DO)
    verify(case, report_id, cst(2026, 10, 9, 11))

    assert refusal(case, "UnresolvedClosed", cst(2026, 10, 9, 16), **closing(report_id)) == (
        "unresolved.closure_not_as_fed_back"
    )


@pytest.mark.parametrize(
    "by",
    [LEAD, HEAD],  # staff of 人社, the unit the report concerns
    ids=lambda a: a.id,
)
def test_staff_of_the_unit_concerned_neither_verify_nor_close(by: Actor) -> None:
    case = new_case()
    report_id = report(case)
    feedback(case, report_id, cst(2026, 10, 9, 10))

    assert refusal_by(
        case, by, "UnresolvedVerified", cst(2026, 10, 9, 11), report_id=report_id,
        confirmed=True, note="核实",
    ) == "unresolved.verification_not_independent"  # fmt: skip
    verify(case, report_id, cst(2026, 10, 9, 11))
    assert refusal_by(
        case, by, "UnresolvedClosed", cst(2026, 10, 9, 16), **closing(report_id)
    ) == "unresolved.closure_not_independent"  # fmt: skip


def test_the_reporter_neither_verifies_nor_closes_even_from_another_unit() -> None:
    case = new_case()
    report_id = append(
        case, "UnresolvedReported", DIRECTOR, REPORTED, cause=UnresolvedCause.POLICY,
        resolvability=Resolvability.CANNOT_DO, tier=UnresolvedTier.SIMPLE, description="政策不允许",
    )["report_id"]  # fmt: skip
    feedback(case, report_id, cst(2026, 9, 30, 11), UnresolvedClosure.EXPLAINED_CANNOT_DO)

    assert refusal_by(
        case, DIRECTOR, "UnresolvedVerified", cst(2026, 9, 30, 12), report_id=report_id,
        confirmed=True, note="核实",
    ) == "unresolved.verification_not_independent"  # fmt: skip
    verify(case, report_id, cst(2026, 9, 30, 12), by=OTHER_LEAD)  # staff of another unit may
    body = {**closing(report_id, UnresolvedClosure.EXPLAINED_CANNOT_DO), "explanation": "已解释"}
    assert refusal_by(case, DIRECTOR, "UnresolvedClosed", cst(2026, 9, 30, 16), **body) == (
        "unresolved.closure_not_independent"
    )
    append(case, "UnresolvedClosed", DUTY_OFFICER, cst(2026, 9, 30, 16), **body)
    assert the_report(case, report_id).closed_by == DUTY_OFFICER.id


def test_a_report_naming_another_unit_is_closed_by_staff_of_the_reporting_one() -> None:
    # Reported at the 办不成事 window about 医保's window: 人社's head is independent of it.
    case = new_case()
    report_id = append(
        case, "UnresolvedReported", CLERK, REPORTED, cause=UnresolvedCause.ATTITUDE,
        resolvability=Resolvability.REFUSED_TO_DO, tier=UnresolvedTier.SIMPLE,
        description="医保窗口推诿", unit="医保", window="2F-11",
    )["report_id"]  # fmt: skip
    feedback(case, report_id, cst(2026, 9, 30, 11))

    assert refusal_by(
        case, OTHER_LEAD, "UnresolvedVerified", cst(2026, 9, 30, 12), report_id=report_id,
        confirmed=True, note="核实",
    ) == "unresolved.verification_not_independent"  # fmt: skip
    verify(case, report_id, cst(2026, 9, 30, 12), by=HEAD)
    append(case, "UnresolvedClosed", HEAD, cst(2026, 9, 30, 16), **closing(report_id))

    assert the_report(case, report_id).closed_by == HEAD.id


def test_a_consultation_only_report_closes_with_the_answer() -> None:
    case = new_case()
    report_id = report(case, UnresolvedTier.SIMPLE)
    answer = "告知办理途径: 档案在区公服中心, 到其专人窗口办理"
    feedback(case, report_id, cst(2026, 9, 30, 11), UnresolvedClosure.CONSULTATION_ONLY)
    verify(case, report_id, cst(2026, 9, 30, 12))

    append(
        case,
        "UnresolvedClosed",
        DUTY_OFFICER,
        cst(2026, 9, 30, 13),
        **{**closing(report_id, UnresolvedClosure.CONSULTATION_ONLY), "explanation": answer},
    )

    assert the_report(case, report_id).closure is UnresolvedClosure.CONSULTATION_ONLY


# --- consultations -----------------------------------------------------------------------------


def test_a_consultation_is_recorded_where_it_was_answered() -> None:
    case = new_case()
    bbcs = Actor(id="bbcs-1", roles=(Role.CLERK,), unit="办不成事窗口")

    append(
        case, "ConsultationRecorded", bbcs, cst(2026, 9, 30, 9), question="退休手续到哪里办",
        answer="档案所在的区公服中心受理", referred_to="区公服中心",
    )  # fmt: skip
    append(
        case, "ConsultationRecorded", CLERK, cst(2026, 9, 30, 10), question="补缴要带什么",
        answer="身份证、缴费凭证", window="2F-07",
    )  # fmt: skip

    first, second = case.state.consultations
    assert (first.unit, first.window, first.referred_to, first.recorded_by) == (
        "办不成事窗口",
        "办不成事窗口",  # the case's window, none being named
        "区公服中心",
        "bbcs-1",
    )
    assert (second.unit, second.window, second.referred_to) == ("人社", "2F-07", None)
    assert first.consultation_id != second.consultation_id
    assert case.state.unresolved == []  # a consultation is no report


def test_a_consultation_may_follow_the_cases_closure() -> None:
    case = new_case()
    append(case, "Accepted", CLERK, cst(2026, 9, 1, 10), note=None)
    append(case, "Completed", CLERK, cst(2026, 9, 2, 10), outcome=Outcome.GRANTED, summary=None)

    append(
        case, "ConsultationRecorded", CLERK, cst(2026, 9, 3, 10), question="何时到账",
        answer="次月15日前",
    )  # fmt: skip

    assert len(case.state.consultations) == 1


# --- 否定答复: every refusal is recorded in a report --------------------------------------------


def test_a_refusal_of_acceptance_files_its_report_with_it() -> None:
    # Refused Wed 30 Sep 10:00: 办不了 3 working days (8, 9, 10 Oct) before 复杂's 5 (13 Oct).
    case = new_case()

    minted = append(
        case, "AcceptanceRefused", CLERK, REPORTED, reason="无缴费记录",
        legal_basis="《社会保险法》第十六条", missing_materials=[],
    )  # fmt: skip

    [filed] = case.state.unresolved
    assert minted == {"report_id": filed.report_id}
    assert filed.negative_answer
    assert (filed.cause, filed.resolvability, filed.tier) == (
        UnresolvedCause.ACCEPTANCE,
        Resolvability.CANNOT_DO,
        UnresolvedTier.COMPLEX,
    )
    assert "无缴费记录" in filed.description and "第十六条" in filed.description
    assert (filed.reported_by, filed.unit) == (CLERK.id, "人社")
    assert filed.clock is not None
    assert filed.clock.limit == TimeLimit(value=3, unit=LimitUnit.WORKING_DAYS)
    assert filed.clock.due_at == end_of(2026, 10, 10)
    *_, refused = case.collect_events()
    assert isinstance(refused, Case.AcceptanceRefused)
    assert refused.report_id == filed.report_id
    assert case.state.status is CaseStatus.REFUSED


def test_a_refusal_is_recorded_in_the_report_already_open() -> None:
    case = new_case()
    open_id = report(case, UnresolvedTier.SIMPLE, resolvability=Resolvability.CANNOT_DO)
    case.collect_events()

    minted = append(
        case, "AcceptanceRefused", CLERK, REPORTED + timedelta(minutes=30), reason="无缴费记录",
        legal_basis="《社会保险法》第十六条", missing_materials=[],
    )  # fmt: skip

    assert minted == {"report_id": open_id}
    assert [r.report_id for r in case.state.unresolved] == [open_id]
    [refused] = case.collect_events()
    assert isinstance(refused, Case.AcceptanceRefused) and refused.report_id == open_id


def test_a_refusal_in_a_report_about_another_unit_is_not_checked_by_the_refusing_unit() -> None:
    # A report open about 医保's window takes 人社's own refusal (否定答复): 人社's staff, who
    # refused, are then no more independent of it than of a report about themselves.
    case = new_case()
    report_id = append(
        case, "UnresolvedReported", CLERK, REPORTED, cause=UnresolvedCause.ATTITUDE,
        resolvability=Resolvability.REFUSED_TO_DO, tier=UnresolvedTier.SIMPLE,
        description="医保窗口推诿", unit="医保", window="2F-11",
    )["report_id"]  # fmt: skip
    append(
        case, "AcceptanceRefused", CLERK, REPORTED + timedelta(minutes=30), reason="无缴费记录",
        legal_basis="《社会保险法》第十六条", missing_materials=[],
    )  # fmt: skip
    feedback(case, report_id, cst(2026, 9, 30, 11), by=DUTY_OFFICER)

    assert refusal_by(
        case, HEAD, "UnresolvedVerified", cst(2026, 9, 30, 12), report_id=report_id,
        confirmed=True, note="核实",
    ) == "unresolved.verification_not_independent"  # fmt: skip
    verify(case, report_id, cst(2026, 9, 30, 12))
    assert (
        refusal_by(case, HEAD, "UnresolvedClosed", cst(2026, 9, 30, 16), **closing(report_id))
        == "unresolved.closure_not_independent"
    )


def test_a_denial_files_its_report_and_a_grant_files_none() -> None:
    denied, granted = new_case(), new_case()
    for case in (denied, granted):
        append(case, "Accepted", CLERK, cst(2026, 9, 1, 10), note=None)

    minted = append(
        denied, "Completed", CLERK, REPORTED, outcome=Outcome.DENIED, summary="不符合补缴条件"
    )
    assert append(granted, "Completed", CLERK, REPORTED, outcome=Outcome.GRANTED) == {}

    [filed] = denied.state.unresolved
    assert minted == {"report_id": filed.report_id}
    assert (filed.cause, filed.negative_answer) == (UnresolvedCause.APPROVAL_STEP, True)
    assert "不符合补缴条件" in filed.description
    assert granted.state.unresolved == []
    assert denied.state.outcome is Outcome.DENIED
