"""The demo's plans, without a server: reproducible, valid, keeping office hours and holidays."""

from __future__ import annotations

import functools
from collections import Counter
from datetime import date, time
from typing import Any

import pytest

from ledger.demo import last_full_month, plans
from ledger.demo.commands import as_actor, command, registration
from ledger.demo.plan import BEIJING, CasePlan
from ledger.demo.stories import stories
from ledger.demo.synthetic import month_plans
from ledger.demo.synthetic.calendar import WorkingDays, national_calendar
from ledger.domain.case import Case
from ledger.domain.data_subject.commands import protect_identifiers
from ledger.domain.exceptions.records import ExceptionStatus
from ledger.domain.personal_data import normalise_id_number, protect_applicant
from ledger.domain.values import CaseStatus, Decision
from ledger.rules.time_limits import Policies

OCTOBER = "2026-10"


@pytest.fixture(scope="module")
def month() -> list[CasePlan]:
    return month_plans(OCTOBER, 1, 300, WorkingDays(national_calendar()))


def test_the_same_seed_gives_the_same_cases_and_case_n_does_not_depend_on_the_count(
    month: list[CasePlan],
) -> None:
    again = month_plans(OCTOBER, 1, 40, WorkingDays(national_calendar()))
    other = month_plans(OCTOBER, 2, 40, WorkingDays(national_calendar()))

    assert again == month[:40]
    assert other != month[:40]
    assert len({p.key for p in plans(OCTOBER, 1, 300)}) == 300 + len(stories())


def test_every_case_is_in_time_order_with_valid_applicants(month: list[CasePlan]) -> None:
    for plan in [*stories(), *month]:
        moments = [step.at for step in plan.steps]
        assert moments == sorted(moments), plan.key
        applicant = plan.steps[0].body["applicant"]
        assert normalise_id_number("id", applicant["id_number"]) == applicant["id_number"]
        assert applicant["name"].endswith("某")
        assert plan.key.isascii()


def test_window_traffic_keeps_working_days_and_office_hours(month: list[CasePlan]) -> None:
    days = WorkingDays(national_calendar())
    window_days: Counter[date] = Counter()
    for plan in month:
        online = plan.steps[0].body["channel"] in ("online", "hotline_12345")
        staffed = plan.steps[1:] if online else plan.steps
        # The 12345 hotline itself answers and dispatches around the clock (7×24).
        staffed = [s for s in staffed if "hotline_operator" not in s.by.roles]
        for step in staffed:
            local = step.at.astimezone(BEIJING)
            assert days.is_working(local.date()), (plan.key, local)
            assert time(9) <= local.time() <= time(17, 30), (plan.key, local)
        if not online:
            window_days[plan.registered_at.date()] += 1

    assert not [d for d in window_days if date(2026, 10, 1) <= d <= date(2026, 10, 7)]
    assert 0 < window_days[date(2026, 10, 10)] < window_days[date(2026, 10, 12)]  # 调休 Saturday


def test_the_month_has_every_kind_of_case(month: list[CasePlan]) -> None:
    kinds = Counter(plan.note for plan in month)
    types = Counter(step.body.get("type") for plan in month for step in plan.steps)
    centres = Counter(plan.centre for plan in month)

    assert kinds["on_time"] > 100 and all(kinds[k] for k in ("notice", "late", "open", "refused"))
    for kind in ("HandOffReturned", "ExtensionDecided", "ClockPaused", "DutyIntervention"):
        assert types[kind] > 0, kind
    assert set(centres) == {"huoshan", "donghuashi", "jieyang", "wuhai", "zhangjiakou"}


def test_the_default_month_is_the_last_full_one() -> None:
    assert last_full_month(date(2026, 11, 21)) == "2026-10"
    assert last_full_month(date(2027, 1, 1)) == "2026-12"


def test_every_centre_the_demo_registers_at_is_configured(month: list[CasePlan]) -> None:
    """The API refuses a centre no policy file claims (422 centre.unknown)."""
    policies = Policies()
    centres = {plan.centre for plan in [*stories(), *month]}

    assert centres == set(policies.centres)  # every story's centre, and the month's five


def test_the_seed_exceptions_are_told_as_their_reports_tell_them() -> None:
    """Decided by the case aggregate as the API would: a 破例 the report tells done with nobody's
    approval (000 李女士, 004 老李 and 赵先生's wife) is recorded after the fact and waits on its
    layers, none invented; one the report says who approved is granted by them before its use,
    and used by someone else (000 王女士's 延时服务, 001 清源's 低保)."""
    policies = Policies()
    exceptional = {}
    registered: dict[str, Any] = {}  # "case:<key>" for a later plan's `CaseOf`
    for plan in stories():
        first, *rest = plan.steps
        case = Case.register(
            actor=as_actor(first.by),
            case_no="X-2026-000001",
            **registration(first, functools.partial(protect_applicant, b"k" * 32)),
        )
        registered[f"case:{plan.key}"] = case.id
        timing = policies.timing(case.state.centre)
        minted: dict[str, Any] = dict(registered)
        for step in rest:
            c = command(step, minted)
            fields, _ = protect_identifiers(b"k" * 32, c.fields)  # as `Ledger.append` does
            minted.update(case.append(c.event_type, c.actor, c.occurred_at, timing, **fields))
        if case.state.exceptions:
            exceptional[plan.key] = case

    after_the_fact = {"000-li", "004-lao-li", "004-zhao"}
    assert {"000-wang", "001-dibao"} | after_the_fact <= set(exceptional)
    for key, case in exceptional.items():
        [record] = case.state.exceptions
        assert case.state.status is CaseStatus.COMPLETED, key
        if key in after_the_fact:
            assert (record.after_the_fact, record.status, record.decisions) == (
                True,
                ExceptionStatus.PENDING,
                [],
            ), key
            assert record.executed_at is not None and record.executed_at <= record.requested_at
            continue
        assert record.status is ExceptionStatus.GRANTED, key
        layers = len(record.required_layers)
        assert [d.layer for d in record.decisions] == list(range(1, layers + 1)), key
        assert all(d.decision is Decision.APPROVE for d in record.decisions), key
        assert len({d.approver for d in record.decisions} | {record.requested_by}) == layers + 1
        assert record.used_at is not None and record.closed_at is not None, key
        assert record.closed_at <= record.used_at, key
        assert record.used_by not in record.deciders, key
    wang = exceptional["000-wang"]
    assert wang.state.exceptions[0].decisions[0].approver == "rs-lead-wang"  # 汪主任
    [reconciled] = wang.state.identities
    assert reconciled.kept.token == wang.state.applicant.id_number.token  # type: ignore[union-attr]
    [consent] = exceptional["004-zhao"].state.consents
    assert (consent.given_by, consent.relation) == ("赵*", "spouse")


def test_no_seed_story_marks_a_step_later_or_as_an_example() -> None:
    """The seed stories tell what their reports tell (the 12345 order is the one 示例, and no
    seed report tells one)."""
    for plan in stories():
        if plan.key.startswith("000-hotline"):
            continue
        told = [plan.note, *(str(step.body) for step in plan.steps)]
        assert not [t for t in told if "示例" in t or "later" in t.lower()], plan.key
