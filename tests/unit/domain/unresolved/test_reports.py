"""办不成事 reports on a case, rule by rule, against the real policy and 2026 calendar.

Given a case and the centre's policy (`Policies().timing("huoshan")`, whose limits are the national
ones of policies/time-limits/cn.toml: by tier simple the same day, complex 5, special 10, hard 15
working days; by resolvability 办不了 3, 很难办 7 (very complex, at the hard tier: 30 calendar
days), 不给办 3 working days; a report is due by the shorter), when a report, its 专班, closure,
root causes or process fixes are appended, then either the event is recorded with its effect on
the folded report, or the named rule refuses it and nothing changes. Due dates are hand-computed
in the comments (working and calendar days count from the next day and end at 23:59:59.999999
Beijing time; 国庆 1-7 Oct 2026, make-up working day Sat 10 Oct). A closure needs a 反馈 confirmed
by a 核查 (`close` does all three; the rules of those steps: test_process.py).
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
from ledger.domain.personal_data import protect_applicant
from ledger.domain.policy import Timing
from ledger.domain.unresolved.records import (
    Resolvability,
    UnresolvedCause,
    UnresolvedClosure,
    UnresolvedReport,
    UnresolvedTier,
)
from ledger.domain.values import (
    Actor,
    CaseStatus,
    Channel,
    LimitUnit,
    Matter,
    Priority,
    Role,
    TimeLimit,
)
from ledger.rules.time_limits import Policies
from ledger.store.events import MsgspecMapper

CST = timezone(timedelta(hours=8))
TIMING = Policies().timing("huoshan")

CLERK = Actor(id="clerk-7", roles=(Role.CLERK,), unit="人社")
LEAD = Actor(id="lead-2", roles=(Role.WINDOW_LEAD,), unit="人社")
DUTY_OFFICER = Actor(id="duty-1", roles=(Role.DUTY_OFFICER,), unit="中心")
DIRECTOR = Actor(id="director-1", roles=(Role.CENTRE_DIRECTOR,), unit="中心")


def cst(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=CST)


def end_of(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, 999999, tzinfo=CST)


REPORTED = cst(2026, 9, 30, 10)  # Wed 30 Sep, the eve of 国庆


def new_case() -> Case:
    return Case.register(
        actor=CLERK,
        occurred_at=cst(2026, 9, 1, 9),
        case_no="HUOSHAN-2026-000777",
        channel=Channel.UNRESOLVED_WINDOW,
        matter=Matter(code="SI-ARREARS", name="养老保险费补缴"),
        centre="huoshan",
        department="人社",
        window="办不成事窗口",
        applicant=protect_applicant(b"k" * 32, name="赵某", phone="13900000000"),
        priority=Priority.NORMAL,
        statutory_limit=TimeLimit(value=20, unit=LimitUnit.WORKING_DAYS),
        promised_limit=None,
        parent_case_id=None,
    )


def append(
    case: Case,
    event_type: str,
    actor: Actor,
    occurred_at: datetime,
    timing: Timing | None = TIMING,
    **fields: Any,
) -> dict[str, UUID]:
    return case.append(event_type, actor, occurred_at, timing, **fields)


def refusal(case: Case, event_type: str, occurred_at: datetime, **fields: Any) -> str:
    """Append (by the duty officer); the rule that refused it. Nothing may have changed."""
    version, state = case.version, msgspec.json.encode(case.state)
    with pytest.raises(RuleViolation) as refused:
        case.append(event_type, DUTY_OFFICER, occurred_at, TIMING, **fields)
    assert case.version == version
    assert msgspec.json.encode(case.state) == state
    return refused.value.rule


def report(
    case: Case,
    tier: UnresolvedTier = UnresolvedTier.COMPLEX,
    at: datetime = REPORTED,
    timing: Timing | None = TIMING,
    resolvability: Resolvability = Resolvability.HARD_TO_DO,
) -> UUID:
    return append(
        case,
        "UnresolvedReported",
        CLERK,
        at,
        timing,
        cause=UnresolvedCause.MATERIALS,
        resolvability=resolvability,
        tier=tier,
        description="补缴需卫生监督所签章，办事指南未列明，三次往返未办成",
    )["report_id"]


def close(
    case: Case,
    report_id: UUID,
    at: datetime,
    closure: UnresolvedClosure = UnresolvedClosure.RESOLVED,
    explanation: str | None = None,
    redirected_to: str | None = None,
) -> None:
    """反馈 (by the reporter), 核查 and closure (by the duty officer), a minute apart."""
    append(
        case,
        "UnresolvedFeedbackGiven",
        CLERK,
        at - timedelta(minutes=2),
        report_id=report_id,
        outcome=closure,
        method="phone",
        content=explanation or "已办成，电话告知",
    )
    append(
        case,
        "UnresolvedVerified",
        DUTY_OFFICER,
        at - timedelta(minutes=1),
        report_id=report_id,
        confirmed=True,
        note="回访核实",
    )
    append(
        case,
        "UnresolvedClosed",
        DUTY_OFFICER,
        at,
        report_id=report_id,
        closure=closure,
        explanation=explanation,
        redirected_to=redirected_to,
    )


def the_report(case: Case, report_id: UUID) -> UnresolvedReport:
    found = case.state.report(report_id)
    assert found is not None
    return found


# --- reporting and its clock --------------------------------------------------------------------


WD, CD = LimitUnit.WORKING_DAYS, LimitUnit.CALENDAR_DAYS
CANNOT, HARD_TO, REFUSED = (
    Resolvability.CANNOT_DO,
    Resolvability.HARD_TO_DO,
    Resolvability.REFUSED_TO_DO,
)


@pytest.mark.parametrize(
    ("resolvability", "tier", "limit", "due", "set_by"),
    [
        # Working days from Wed 30 Sep: 8 (1), 9 (2), 10 (3, Sat 调休), 12 (4), 13 (5), 14 (6),
        # 15 (7), 16 (8), 19 (9), 20 (10), 21, 22, 23, 26, 27 (15) Oct.
        # 简单 the same day, shorter than 办不了's 3 working days (10 Oct).
        (CANNOT, UnresolvedTier.SIMPLE, (0, WD), end_of(2026, 9, 30), "天津"),
        # 办不了 3 working days (10 Oct) before 复杂's 5 (13 Oct).
        (CANNOT, UnresolvedTier.COMPLEX, (3, WD), end_of(2026, 10, 10), "许昌"),
        # 不给办 3 working days (10 Oct), even at the hard tier's 15 (27 Oct).
        (REFUSED, UnresolvedTier.HARD, (3, WD), end_of(2026, 10, 10), "许昌"),
        # 很难办 7 working days (15 Oct) after 复杂's 5 (13 Oct): the tier's.
        (HARD_TO, UnresolvedTier.COMPLEX, (5, WD), end_of(2026, 10, 13), "天津"),
        # 很难办 7 working days (15 Oct) before 特殊's 10 (20 Oct).
        (HARD_TO, UnresolvedTier.SPECIAL, (7, WD), end_of(2026, 10, 15), "许昌"),
        # Very complex: 30 calendar days from 1 Oct is 30 Oct; the hard tier's 15 working days
        # (27 Oct, Jiangsu's) are shorter.
        (HARD_TO, UnresolvedTier.HARD, (15, WD), end_of(2026, 10, 27), "江苏"),
    ],
)
def test_a_report_is_due_by_the_shorter_of_its_tiers_and_its_resolvabilitys_limit(
    resolvability: Resolvability,
    tier: UnresolvedTier,
    limit: tuple[int, LimitUnit],
    due: datetime,
    set_by: str,
) -> None:
    case = new_case()

    report_id = report(case, tier, resolvability=resolvability)

    r = the_report(case, report_id)
    assert r.clock is not None
    assert r.clock.limit == TimeLimit(value=limit[0], unit=limit[1])
    assert (r.clock.started_at, r.clock.due_at) == (REPORTED, due)
    assert r.clock.policy_version == TIMING.policy.version
    assert "办不成事" in r.clock.source and set_by in r.clock.source
    assert not r.clock.provisional


def test_a_very_complex_report_gets_a_month_where_the_tiers_allow_longer() -> None:
    # A local policy whose hard tier allowed 60 working days: the very complex 很难办 report is
    # due in 30 calendar days, 1..30 Oct, end of Fri 30 Oct.
    policy = TIMING.policy
    tiers = dict(policy.unresolved_tiers)
    tiers[UnresolvedTier.HARD] = msgspec.structs.replace(tiers[UnresolvedTier.HARD], value=60)
    local = msgspec.structs.replace(
        TIMING, policy=msgspec.structs.replace(policy, unresolved_tiers=tiers)
    )
    case = new_case()

    report_id = report(case, UnresolvedTier.HARD, timing=local, resolvability=HARD_TO)

    r = the_report(case, report_id)
    assert r.clock is not None
    assert r.clock.limit == TimeLimit(value=30, unit=CD)
    assert r.clock.due_at == end_of(2026, 10, 30)
    assert "特别复杂" in r.clock.source


def test_a_report_records_its_three_axes_and_who_reported_it() -> None:
    case = new_case()

    report_id = report(case, UnresolvedTier.SPECIAL)

    [r] = case.state.unresolved
    assert r.report_id == report_id
    assert (r.cause, r.resolvability, r.tier) == (
        UnresolvedCause.MATERIALS,
        Resolvability.HARD_TO_DO,
        UnresolvedTier.SPECIAL,
    )
    assert (r.reported_by, r.reported_at) == (CLERK.id, REPORTED)
    assert (r.team, r.closure, r.closed_at, r.root_causes, r.actions) == (None, None, None, [], [])
    # The unit and window it concerns: the case's when reported, unless the report names them.
    assert (r.unit, r.window, r.negative_answer) == ("人社", "办不成事窗口", False)


def test_a_report_names_the_unit_and_window_it_concerns() -> None:
    case = new_case()

    report_id = append(
        case,
        "UnresolvedReported",
        CLERK,
        REPORTED,
        cause=UnresolvedCause.ATTITUDE,
        resolvability=Resolvability.REFUSED_TO_DO,
        tier=UnresolvedTier.SIMPLE,
        description="医保窗口推诿",
        unit="医保",
        window="2F-11",
    )["report_id"]

    assert (the_report(case, report_id).unit, the_report(case, report_id).window) == (
        "医保",
        "2F-11",
    )


def test_without_a_policy_a_report_has_no_clock() -> None:
    case = new_case()

    report_id = report(case, timing=None)

    assert the_report(case, report_id).clock is None


def test_one_open_report_per_case() -> None:
    case = new_case()
    first = report(case)

    assert refusal(
        case,
        "UnresolvedReported",
        REPORTED + timedelta(hours=1),
        cause=UnresolvedCause.ATTITUDE,
        resolvability=Resolvability.REFUSED_TO_DO,
        tier=UnresolvedTier.SIMPLE,
        description="再次反映",
    ) == ("unresolved.already_open")
    close(case, first, REPORTED + timedelta(hours=2))
    second = report(case, UnresolvedTier.SIMPLE, REPORTED + timedelta(hours=3))
    assert [r.report_id for r in case.state.unresolved] == [first, second]


def test_a_refused_case_may_be_reported_once_its_refusals_report_is_closed() -> None:
    case = new_case()
    refused = append(
        case,
        "AcceptanceRefused",
        CLERK,
        cst(2026, 9, 29, 10),
        reason="材料不全",
        legal_basis="《行政许可法》第三十二条",
        missing_materials=[],
    )["report_id"]
    assert case.state.status is CaseStatus.REFUSED
    close(case, refused, cst(2026, 9, 29, 16), UnresolvedClosure.EXCLUDED_OWN_CAUSE, "材料未补正")

    report_id = report(case)

    assert the_report(case, report_id).tier is UnresolvedTier.COMPLEX
    assert [r.report_id for r in case.state.unresolved] == [refused, report_id]


# --- 专班 and closure --------------------------------------------------------------------------


def test_a_special_team_works_an_open_report() -> None:
    case = new_case()
    report_id = report(case, UnresolvedTier.SPECIAL)

    append(
        case,
        "SpecialTeamAssigned",
        DIRECTOR,
        REPORTED + timedelta(hours=1),
        report_id=report_id,
        lead="director-1",
        members=["head-1", "clerk-7"],
    )

    team = the_report(case, report_id).team
    assert team is not None
    assert (team.lead, team.members, team.assigned_by, team.assigned_at) == (
        "director-1",
        ["head-1", "clerk-7"],
        DIRECTOR.id,
        REPORTED + timedelta(hours=1),
    )
    close(case, report_id, REPORTED + timedelta(days=8))
    assert refusal(
        case,
        "SpecialTeamAssigned",
        REPORTED + timedelta(days=9),
        report_id=report_id,
        lead="director-1",
        members=["clerk-7"],
    ) == ("unresolved.already_closed")


def test_an_unknown_report_is_refused() -> None:
    case = new_case()
    report(case)

    assert refusal(
        case,
        "SpecialTeamAssigned",
        REPORTED + timedelta(hours=1),
        report_id=uuid4(),
        lead="director-1",
        members=["clerk-7"],
    ) == ("unresolved.unknown_report")
    assert refusal(
        case,
        "RootCauseRecorded",
        REPORTED + timedelta(hours=1),
        report_id=uuid4(),
        cause=UnresolvedCause.POLICY,
        key="k",
        description="d",
    ) == ("unresolved.unknown_report")


@pytest.mark.parametrize(
    ("closure", "explanation", "redirected_to"),
    [
        (UnresolvedClosure.RESOLVED, None, None),
        (UnresolvedClosure.EXPLAINED_CANNOT_DO, "现行政策不允许，已当面解释", None),
        (UnresolvedClosure.EXCLUDED_OWN_CAUSE, "申请人未按约定提供材料", None),
        (UnresolvedClosure.OUT_OF_SCOPE, "涉诉事项", None),
        (UnresolvedClosure.REDIRECTED, "属信访事项", "信访局"),
    ],
)
def test_a_report_closes_with_what_its_closure_needs(
    closure: UnresolvedClosure, explanation: str | None, redirected_to: str | None
) -> None:
    case = new_case()
    report_id = report(case)

    close(case, report_id, cst(2026, 10, 12, 16), closure, explanation, redirected_to)

    r = the_report(case, report_id)
    assert (r.closure, r.explanation, r.redirected_to, r.closed_by, r.closed_at) == (
        closure,
        explanation,
        redirected_to,
        DUTY_OFFICER.id,
        cst(2026, 10, 12, 16),
    )
    assert r.clock is not None and r.closed_at is not None and r.closed_at <= r.clock.due_at


@pytest.mark.parametrize(
    ("closure", "explanation", "redirected_to", "rule"),
    [
        (UnresolvedClosure.EXPLAINED_CANNOT_DO, None, None, "unresolved.explanation_missing"),
        (UnresolvedClosure.OUT_OF_SCOPE, "", None, "unresolved.explanation_missing"),
        (UnresolvedClosure.REDIRECTED, None, "12345", "unresolved.explanation_missing"),
        (UnresolvedClosure.REDIRECTED, "属信访事项", None, "unresolved.redirect_mismatch"),
        (UnresolvedClosure.RESOLVED, None, "12345", "unresolved.redirect_mismatch"),
    ],
)
def test_a_closure_missing_its_explanation_or_redirect_is_refused(
    closure: UnresolvedClosure, explanation: str | None, redirected_to: str | None, rule: str
) -> None:
    case = new_case()
    report_id = report(case)

    assert (
        refusal(
            case,
            "UnresolvedClosed",
            cst(2026, 10, 9, 10),
            report_id=report_id,
            closure=closure,
            explanation=explanation,
            redirected_to=redirected_to,
        )
        == rule
    )


def test_a_report_closes_once() -> None:
    case = new_case()
    report_id = report(case)
    close(case, report_id, cst(2026, 10, 9, 10))

    assert refusal(
        case,
        "UnresolvedClosed",
        cst(2026, 10, 9, 11),
        report_id=report_id,
        closure=UnresolvedClosure.RESOLVED,
        explanation=None,
        redirected_to=None,
    ) == ("unresolved.already_closed")


# --- root causes and process fixes ---------------------------------------------------------------


def record_root_cause(
    case: Case,
    report_id: UUID,
    at: datetime,
    cause: UnresolvedCause,
    key: str,
    description: str,
) -> UUID:
    return append(
        case,
        "RootCauseRecorded",
        LEAD,
        at,
        report_id=report_id,
        cause=cause,
        key=key,
        description=description,
    )["root_cause_id"]


def open_action(
    case: Case,
    report_id: UUID,
    at: datetime,
    action: str,
    owner_unit: str,
    root_cause_id: UUID | None = None,
    actor: Actor = LEAD,
) -> UUID:
    return append(
        case,
        "ImprovementActionOpened",
        actor,
        at,
        report_id=report_id,
        root_cause_id=root_cause_id,
        action=action,
        owner_unit=owner_unit,
    )["action_id"]


def complete_action(case: Case, action_id: UUID, at: datetime, result: str) -> None:
    append(case, "ImprovementActionCompleted", LEAD, at, action_id=action_id, result=result)


def test_root_causes_and_process_fixes_outlive_the_reports_closure() -> None:
    """Beijing Dongcheng's case: an unpublished signature, made internal circulation."""
    case = new_case()
    report_id = report(case, UnresolvedTier.SPECIAL)
    close(case, report_id, cst(2026, 10, 9, 10))

    root_cause_id = record_root_cause(
        case,
        report_id,
        cst(2026, 10, 9, 11),
        UnresolvedCause.MATERIALS,
        "unpublished-signature",
        "卫生监督所签章未列入办事指南",
    )
    action_id = open_action(
        case, report_id, cst(2026, 10, 9, 12), "改为内部流转并修订办事指南", "人社", root_cause_id
    )
    unlinked_id = open_action(
        case, report_id, cst(2026, 10, 9, 12), "窗口人员培训", "中心", actor=DIRECTOR
    )
    complete_action(case, action_id, cst(2026, 10, 20, 10), "指南已修订，签章改由部门内部流转")

    r = the_report(case, report_id)
    [cause] = r.root_causes
    assert (cause.root_cause_id, cause.key, cause.cause, cause.recorded_by) == (
        root_cause_id,
        "unpublished-signature",
        UnresolvedCause.MATERIALS,
        LEAD.id,
    )
    fix, training = r.actions
    assert (fix.action_id, fix.root_cause_id, fix.owner_unit) == (action_id, root_cause_id, "人社")
    assert (fix.completed_at, fix.result) == (
        cst(2026, 10, 20, 10),
        "指南已修订，签章改由部门内部流转",
    )
    assert (training.action_id, training.root_cause_id, training.completed_at) == (
        unlinked_id,
        None,
        None,
    )

    # Stored and replayed, the events rebuild the same state.
    mapper = MsgspecMapper()
    events = [mapper.to_domain_event(mapper.to_stored_event(e)) for e in case.collect_events()]
    replayed = project_aggregate(None, events)
    assert replayed is not None
    assert msgspec.json.encode(replayed.state) == msgspec.json.encode(case.state)


def test_a_process_fix_names_a_root_cause_of_its_own_report() -> None:
    case = new_case()
    first = report(case)
    other_cause = record_root_cause(
        case,
        first,
        REPORTED + timedelta(hours=1),
        UnresolvedCause.SYSTEM,
        "system-down",
        "系统故障",
    )
    close(case, first, REPORTED + timedelta(hours=2))
    second = report(case, at=REPORTED + timedelta(hours=3))

    for root_cause_id in (uuid4(), other_cause):
        assert refusal(
            case,
            "ImprovementActionOpened",
            REPORTED + timedelta(hours=4),
            report_id=second,
            root_cause_id=root_cause_id,
            action="修复系统",
            owner_unit="数据局",
        ) == ("unresolved.unknown_root_cause")


def test_a_process_fix_is_completed_once_and_must_exist() -> None:
    case = new_case()
    report_id = report(case)
    action_id = open_action(case, report_id, REPORTED + timedelta(hours=1), "综合柜员制", "中心")

    assert refusal(
        case,
        "ImprovementActionCompleted",
        REPORTED + timedelta(hours=2),
        action_id=uuid4(),
        result="完成",
    ) == ("improvement.unknown")
    complete_action(case, action_id, REPORTED + timedelta(hours=2), "完成")
    assert refusal(
        case,
        "ImprovementActionCompleted",
        REPORTED + timedelta(hours=3),
        action_id=action_id,
        result="再次完成",
    ) == ("improvement.already_completed")
