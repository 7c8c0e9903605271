"""A case's clock: started by acceptance, moved by pauses and extensions, frozen into its events."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from ledger.domain import clock
from ledger.domain.case import Case
from ledger.domain.clock import ClockStatus, PauseReason
from ledger.domain.errors import RuleViolation
from ledger.domain.lifecycle import NoticeChannel
from ledger.domain.policy import Timing
from ledger.domain.values import (
    Actor,
    ApplicantRef,
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
from tests.unit.domain.test_case import WIRE_DEFAULTS

CST = timezone(timedelta(hours=8))
POLICIES = Policies()
HUOSHAN = POLICIES.timing("huoshan")
CLERK = Actor(id="clerk-7", roles=(Role.CLERK,), unit="人社")
HEAD = Actor(id="head-1", roles=(Role.DEPARTMENT_HEAD,), unit="人社")


def cst(*args: int) -> datetime:
    return datetime(*args, tzinfo=CST)  # type: ignore[misc]


def end_of(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, 999999, tzinfo=CST)


def case_at(
    registered: datetime,
    matter: str = "SI-ARREARS",
    promised: TimeLimit | None = None,
    centre: str = "huoshan",
) -> Case:
    case = Case.register(
        actor=CLERK,
        occurred_at=registered,
        case_no="HUOSHAN-2026-000001",
        channel=Channel.WINDOW,
        matter=Matter(code=matter, name="事项"),
        centre=centre,
        department="人社",
        window="2F-07",
        applicant=ApplicantRef(name="李*"),
        priority=Priority.NORMAL,
        statutory_limit=None,
        promised_limit=promised,
        parent_case_id=None,
    )
    return case


def do(
    case: Case,
    event_type: str,
    when: datetime,
    actor: Actor = CLERK,
    timing: Timing | None = HUOSHAN,
    **fields: Any,
) -> dict[str, Any]:
    return case.append(event_type, actor, when, timing, **{**WIRE_DEFAULTS[event_type], **fields})


# --- starting the clock ------------------------------------------------------------------------


def test_acceptance_starts_the_matters_promised_limit_and_freezes_its_policy_and_calendar() -> None:
    case = case_at(cst(2026, 2, 10, 10, 50))
    do(case, "Accepted", cst(2026, 2, 10, 11, 0))

    started = case.state.clock
    assert started is not None
    assert started.limit == TimeLimit(value=5, unit=LimitUnit.WORKING_DAYS)
    assert started.policy_version == "cn-tl-2026.2+huoshan-2026.1"
    assert started.calendar_version == "cn-2026.1"
    assert "霍山县政务服务事项办事指南" in started.source
    # 2-11, 2-12, 2-13, Saturday 2-14 (调休 make-up day), then the Spring Festival 2-15..2-23: 2-24
    assert started.due_at == end_of(2026, 2, 24)
    assert started.provisional is False


def test_a_matter_the_policy_does_not_list_gets_the_default_limit_with_its_source() -> None:
    case = case_at(cst(2026, 9, 25, 9, 0), matter="UNLISTED")
    do(case, "Accepted", cst(2026, 9, 25, 9, 30))

    started = case.state.clock
    assert started is not None and started.limit.value == 20
    assert "《中华人民共和国行政许可法》 第四十二条" in started.source
    # 20 working days from 9-26 (Mid-Autumn 9-25..9-27, National Day 10-1..10-7; Saturday 10-10 is
    # a make-up day): 9-28, 9-29, 9-30 | 10-8, 10-9, 10-10 | 10-12..16 | 10-19..23 | 10-26..29.
    assert started.due_at == end_of(2026, 10, 29)


def test_a_limit_promised_at_registration_is_the_one_the_clock_runs() -> None:
    case = case_at(cst(2026, 3, 2, 9, 0), promised=TimeLimit(value=1, unit=LimitUnit.WORKING_DAYS))
    do(case, "Accepted", cst(2026, 3, 2, 9, 5))

    assert case.state.clock is not None
    assert case.state.clock.source == "promised at registration (version 1)"
    assert case.state.clock.due_at == end_of(2026, 3, 3)


def test_a_deadline_that_reaches_into_an_unpublished_year_is_provisional() -> None:
    # 30 working days from 11-21: six in November, 23 in December, the 30th in January 2027.
    thirty = TimeLimit(value=30, unit=LimitUnit.WORKING_DAYS)
    case = case_at(cst(2026, 11, 20, 9, 0), promised=thirty)
    do(case, "Accepted", cst(2026, 11, 20, 9, 5))

    assert case.state.clock is not None
    assert case.state.clock.provisional is True
    assert case.state.clock.due_at.year == 2027


def test_without_timing_no_clock_is_recorded() -> None:
    case = case_at(cst(2026, 3, 2, 9, 0))
    do(case, "Accepted", cst(2026, 3, 2, 9, 5), timing=None)

    assert case.state.clock is None


def test_the_clock_is_frozen_into_the_event_so_replay_never_recomputes_it() -> None:
    case = case_at(cst(2026, 2, 10, 10, 50))
    do(case, "Accepted", cst(2026, 2, 10, 11, 0))
    accepted = case.pending_events[-1]

    assert accepted.clock == case.state.clock  # type: ignore[attr-defined]
    replayed = None
    for event in case.collect_events():
        replayed = event.mutate(replayed)  # type: ignore[arg-type]
    assert replayed is not None and replayed.state.clock == case.state.clock


# --- pauses ------------------------------------------------------------------------------------


def test_a_pause_of_two_working_days_moves_the_deadline_two_working_days() -> None:
    case = case_at(cst(2026, 3, 2, 9, 0))
    do(case, "Accepted", cst(2026, 3, 2, 9, 5))  # 5 working days: due Monday 3-9
    do(case, "ClockPaused", cst(2026, 3, 3, 0, 0), reason=PauseReason.APPLICANT_SUPPLEMENT)
    do(case, "ClockResumed", cst(2026, 3, 5, 0, 0))

    assert case.state.clock is not None
    assert case.state.clock.due_at == end_of(2026, 3, 11)
    # Two whole working days of office hours (09:00-12:00, 13:30-17:30): 2 × 7 h.
    assert case.state.clock.paused == timedelta(hours=14)
    assert case.state.pauses == [(cst(2026, 3, 3, 0, 0), cst(2026, 3, 5, 0, 0))]


def test_a_pause_over_the_spring_festival_only_takes_out_working_days() -> None:
    case = case_at(cst(2026, 2, 10, 10, 50))
    do(case, "Accepted", cst(2026, 2, 10, 11, 0))  # due 2-24
    # paused Friday 2-13 09:00 to Wednesday 2-25 09:00, counted on office hours (7 h a day):
    # 2-13 (7 h), Saturday 2-14 (make-up day, 7 h), the festival (nothing), 2-24 (7 h), 2-25
    # (nothing before 09:00): 21 office hours, three days.
    do(case, "ClockPaused", cst(2026, 2, 13, 9, 0), reason=PauseReason.TESTING)
    do(case, "ClockResumed", cst(2026, 2, 25, 9, 0))

    assert case.state.clock is not None
    assert case.state.clock.paused == timedelta(hours=21)
    assert case.state.clock.due_at == end_of(2026, 2, 27)  # 2-24 plus three working days


def test_completing_while_paused_ends_the_pause_and_a_paused_clock_reads_paused() -> None:
    case = case_at(cst(2026, 3, 2, 9, 0))
    do(case, "Accepted", cst(2026, 3, 2, 9, 5))
    do(case, "ClockPaused", cst(2026, 3, 3, 9, 0), reason=PauseReason.HEARING)
    assert case.state.clock is not None

    reading = clock.reading(
        case.state.clock,
        HUOSHAN.calendar,
        now=cst(2026, 3, 4, 9, 0),
        paused_since=case.state.paused_since,
        closed_at=None,
    )
    assert reading.status is ClockStatus.PAUSED
    # The running pause counts in the reading: 3-3 09:00 to 3-4 09:00 is one day of office hours.
    assert reading.paused == timedelta(hours=7)

    do(case, "Completed", cst(2026, 3, 4, 10, 0), outcome=Outcome.GRANTED)
    assert case.state.paused_since is None
    assert case.state.pauses == [(cst(2026, 3, 3, 9, 0), cst(2026, 3, 4, 10, 0))]


# --- extensions --------------------------------------------------------------------------------


def test_an_approved_extension_lengthens_the_limit_and_a_rejected_one_does_not() -> None:
    case = case_at(cst(2026, 3, 2, 9, 0))
    do(case, "Accepted", cst(2026, 3, 2, 9, 5))  # due 3-9
    first = do(case, "ExtensionRequested", cst(2026, 3, 3, 9, 0), working_days=3)
    do(
        case,
        "ExtensionDecided",
        cst(2026, 3, 3, 10, 0),
        actor=HEAD,
        extension_id=first["extension_id"],
        decision=Decision.REJECT,
    )
    assert case.state.clock is not None and case.state.clock.due_at == end_of(2026, 3, 9)

    second = do(case, "ExtensionRequested", cst(2026, 3, 4, 9, 0), working_days=3)
    do(
        case,
        "ExtensionDecided",
        cst(2026, 3, 4, 10, 0),
        actor=HEAD,
        extension_id=second["extension_id"],
        decision=Decision.APPROVE,
        notified_via=NoticeChannel.WRITTEN,
    )
    assert case.state.clock.limit == TimeLimit(value=8, unit=LimitUnit.WORKING_DAYS)
    assert case.state.clock.due_at == end_of(2026, 3, 12)


def test_an_extension_in_working_days_cannot_lengthen_a_clock_in_minutes() -> None:
    case = case_at(cst(2026, 3, 2, 9, 0), promised=TimeLimit(value=30, unit=LimitUnit.MINUTES))
    do(case, "Accepted", cst(2026, 3, 2, 9, 5))
    requested = do(case, "ExtensionRequested", cst(2026, 3, 2, 9, 10), working_days=1)

    with pytest.raises(RuleViolation) as refused:
        do(
            case,
            "ExtensionDecided",
            cst(2026, 3, 2, 9, 20),
            actor=HEAD,
            extension_id=requested["extension_id"],
            decision=Decision.APPROVE,
            notified_via=NoticeChannel.PHONE,
        )
    assert refused.value.rule == "extension.unit_mismatch"


# --- reading -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("closed", "now", "expected"),
    [
        (None, cst(2026, 3, 9, 23, 0), ClockStatus.RUNNING),
        (None, cst(2026, 3, 10, 0, 0), ClockStatus.OVERDUE),
        (cst(2026, 3, 9, 23, 59), cst(2026, 4, 1), ClockStatus.MET),
        (cst(2026, 3, 10, 8, 0), cst(2026, 4, 1), ClockStatus.OVERDUE),
    ],
)
def test_status_is_met_or_overdue_by_the_deadline(
    closed: datetime | None, now: datetime, expected: ClockStatus
) -> None:
    case = case_at(cst(2026, 3, 2, 9, 0))
    do(case, "Accepted", cst(2026, 3, 2, 9, 5))  # due end of 3-9
    assert case.state.clock is not None

    got = clock.status(case.state.clock, now=now, paused_since=None, closed_at=closed)

    assert got is expected


def test_emergency_limits_run_in_wall_clock_minutes_through_a_holiday() -> None:
    case = case_at(cst(2026, 10, 1, 8, 0), promised=TimeLimit(value=15, unit=LimitUnit.MINUTES))
    do(case, "Accepted", cst(2026, 10, 1, 8, 1))

    assert case.state.clock is not None
    assert case.state.clock.due_at == cst(2026, 10, 1, 8, 16)


def test_a_same_day_limit_is_due_at_the_end_of_the_day() -> None:
    case = case_at(cst(2026, 3, 2, 9, 0), promised=TimeLimit(value=0, unit=LimitUnit.WORKING_DAYS))
    do(case, "Accepted", cst(2026, 3, 2, 9, 5))

    assert case.state.clock is not None and case.state.clock.due_at == end_of(2026, 3, 2)


def test_calendar_day_limits_count_every_day_from_the_next() -> None:
    case = case_at(
        cst(2026, 9, 30, 9, 0), promised=TimeLimit(value=7, unit=LimitUnit.CALENDAR_DAYS)
    )
    do(case, "Accepted", cst(2026, 9, 30, 9, 5))

    assert case.state.clock is not None and case.state.clock.due_at == end_of(2026, 10, 7)
