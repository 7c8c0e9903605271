"""What may stop a case's clock and what may lengthen it (行政许可法 第四十二条, 第四十五条).

Hand-computed on the 2026 national calendar with the national policy's office hours, 09:00-12:00
and 13:30-17:30 (420 minutes a working day). The case: a 20-working-day licence (GENERIC-LICENCE,
行政许可法 第四十二条) at Huoshan, received and accepted Monday 2026-03-02 09:00; counting starts
Tuesday 3-3, so without pauses it is due at the end of Monday 3-30 (3-3..3-6, 3-9..13, 3-16..20,
3-23..27, 3-30). 清明 is Saturday 4-4 to Monday 4-6.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import msgspec
import pytest

from ledger.domain.case import Case
from ledger.domain.clock import STATUTORY_PAUSES, ExtensionStatus, PauseReason
from ledger.domain.errors import NotPermitted, RuleViolation
from ledger.domain.lifecycle import NoticeChannel
from ledger.domain.permissions import require_append
from ledger.domain.values import Actor, Decision, LimitUnit, Role, TimeLimit
from ledger.store.events import MsgspecMapper
from tests.unit.domain.test_clock import CLERK, HEAD, case_at, cst, do, end_of

LICENCE = "GENERIC-LICENCE"
DIRECTOR = Actor(id="director-1", roles=(Role.CENTRE_DIRECTOR,), unit="中心")


def accepted_licence() -> Case:
    case = case_at(cst(2026, 3, 2, 9, 0), matter=LICENCE)
    do(case, "Accepted", cst(2026, 3, 2, 9, 0))
    assert case.state.clock is not None and case.state.clock.due_at == end_of(2026, 3, 30)
    return case


def refused(case: Case, event_type: str, when: Any, actor: Actor = CLERK, **fields: Any) -> str:
    version = case.version
    with pytest.raises(RuleViolation) as refusal:
        do(case, event_type, when, actor=actor, **fields)
    assert case.version == version
    return refusal.value.rule


def paused_for_correction() -> Case:
    """The brief's example: paused for 补正 Tuesday 10:30 to Thursday 15:00."""
    case = accepted_licence()
    do(case, "ClockPaused", cst(2026, 3, 3, 10, 30), reason=PauseReason.APPLICANT_SUPPLEMENT)
    do(case, "ClockResumed", cst(2026, 3, 5, 15, 0))
    return case


# --- pauses ------------------------------------------------------------------------------------


def test_a_correction_pause_adds_exactly_its_1020_office_minutes() -> None:
    # Tue 10:30-12:00 (90) + 13:30-17:30 (240); Wed 420; Thu 09:00-12:00 (180) + 13:30-15:00
    # (90): 1020 minutes = 17 h. From the end of 3-30: 3-31 (420), 4-1 (420), then 180 minutes
    # of Thu 4-2, 09:00-12:00: due 2026-04-02 12:00.
    case = paused_for_correction()

    assert case.state.clock is not None
    assert case.state.clock.paused == timedelta(minutes=1020)
    assert case.state.clock.due_at == cst(2026, 4, 2, 12, 0)


def test_the_statutory_exclusions_are_exactly_those_of_articles_32_and_45() -> None:
    # 补正 (第三十二条), and 听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审 (第四十五条).
    assert {r.value for r in STATUTORY_PAUSES} == {
        "applicant_supplement",
        "hearing",
        "tender",
        "auction",
        "inspection",
        "testing",
        "quarantine",
        "appraisal",
        "expert_review",
    }


@pytest.mark.parametrize("reason", sorted(STATUTORY_PAUSES))
def test_a_clerk_may_stop_the_clock_for_a_statutory_exclusion(reason: PauseReason) -> None:
    case = accepted_licence()

    do(case, "ClockPaused", cst(2026, 3, 3, 9, 0), reason=reason)

    assert case.state.paused_since == cst(2026, 3, 3, 9, 0)


@pytest.mark.parametrize("reason", sorted(set(PauseReason) - STATUTORY_PAUSES))
def test_any_other_reason_needs_the_department_head(reason: PauseReason) -> None:
    case = accepted_licence()

    rule = refused(case, "ClockPaused", cst(2026, 3, 3, 9, 0), reason=reason, evidence="证据")

    assert rule == "clock.pause_needs_approval"


def test_the_centre_director_does_not_stand_for_the_licensing_organ() -> None:
    case = accepted_licence()

    rule = refused(
        case,
        "ClockPaused",
        cst(2026, 3, 3, 9, 0),
        actor=DIRECTOR,
        reason=PauseReason.AWAITING_DATA_PUSH,
        evidence="税务系统推送单 #1",
    )

    assert rule == "clock.pause_needs_approval"


def test_the_department_head_records_such_a_pause_with_its_evidence() -> None:
    case = accepted_licence()
    assert (
        refused(
            case,
            "ClockPaused",
            cst(2026, 3, 3, 9, 0),
            actor=HEAD,
            reason=PauseReason.AWAITING_DATA_PUSH,
        )
        == "clock.pause_needs_evidence"
    )
    case.collect_events()

    do(
        case,
        "ClockPaused",
        cst(2026, 3, 3, 9, 0),
        actor=HEAD,
        reason=PauseReason.AWAITING_DATA_PUSH,
        evidence="人社→税务数据推送故障单 2026-0303-17",
    )

    [paused] = case.collect_events()
    assert isinstance(paused, Case.ClockPaused)
    assert paused.actor == HEAD and paused.evidence == "人社→税务数据推送故障单 2026-0303-17"


def test_an_old_pause_without_evidence_by_a_clerk_still_replays() -> None:
    """Stored before these rules: a clerk's `other` pause, its payload without `evidence`."""
    mapper = MsgspecMapper()
    case = accepted_licence()
    do(case, "ClockPaused", cst(2026, 3, 3, 9, 0), reason=PauseReason.HEARING)
    stored = [mapper.to_stored_event(e) for e in case.collect_events()]
    payload = msgspec.json.decode(stored[-1].state)
    del payload["evidence"]
    payload["reason"] = "other"
    stored[-1] = dataclasses.replace(stored[-1], state=msgspec.json.encode(payload))

    replayed = None
    for event in (mapper.to_domain_event(s) for s in stored):
        replayed = event.mutate(replayed)  # type: ignore[arg-type]

    assert replayed is not None and replayed.state.pause_reason is PauseReason.OTHER
    assert replayed.state.paused_since == cst(2026, 3, 3, 9, 0)


# --- extensions --------------------------------------------------------------------------------


def approve(case: Case, extension_id: Any, when: Any, **fields: Any) -> None:
    do(
        case,
        "ExtensionDecided",
        when,
        actor=HEAD,
        extension_id=extension_id,
        decision=Decision.APPROVE,
        notified_via=NoticeChannel.WRITTEN,
        **fields,
    )


def test_an_extension_asked_one_minute_after_expiry_is_refused() -> None:
    case = paused_for_correction()  # due 4-2 12:00

    rule = refused(
        case, "ExtensionRequested", cst(2026, 4, 2, 12, 1), working_days=5, reason="需专家论证"
    )
    do(case, "ExtensionRequested", cst(2026, 4, 2, 12, 0), working_days=5, reason="需专家论证")

    assert rule == "extension.after_expiry"
    assert case.state.extensions[-1].requested_at == cst(2026, 4, 2, 12, 0)


def test_a_paused_clock_has_not_expired() -> None:
    """While a pause that began in time runs, the deadline has yet to move: not expired."""
    case = accepted_licence()  # due the end of 3-30
    do(case, "ClockPaused", cst(2026, 3, 30, 16, 0), reason=PauseReason.HEARING)

    do(case, "ExtensionRequested", cst(2026, 4, 3, 9, 0), working_days=3, reason="听证后需复核")

    assert case.state.extensions[-1].status is ExtensionStatus.PENDING


def test_six_and_then_five_working_days_pass_the_ten_day_cap() -> None:
    case = accepted_licence()
    first = do(case, "ExtensionRequested", cst(2026, 3, 20, 9, 0), working_days=6, reason="核查")
    approve(case, first["extension_id"], cst(2026, 3, 20, 10, 0))
    # 26 working days from 3-3: 3-30 is the 20th; 3-31, 4-1, 4-2, 4-3, (清明 4-4..4-6), 4-7, 4-8.
    assert case.state.clock is not None and case.state.clock.due_at == end_of(2026, 4, 8)

    rule = refused(
        case, "ExtensionRequested", cst(2026, 3, 25, 9, 0), working_days=5, reason="再核查"
    )
    do(case, "ExtensionRequested", cst(2026, 3, 25, 9, 0), working_days=4, reason="再核查")

    assert rule == "extension.over_cap"  # 6 + 5 = 11 > 10 (第四十二条: 延长十日)
    assert case.state.extensions[-1].working_days == 4  # 6 + 4 = 10: admitted


def test_an_old_request_over_the_cap_cannot_be_approved() -> None:
    """Asked before the cap was checked (no policy given then): its decision is checked."""
    case = accepted_licence()
    asked = do(
        case,
        "ExtensionRequested",
        cst(2026, 3, 20, 9, 0),
        timing=None,
        working_days=15,
        reason="核查",
    )

    rule = refused(
        case,
        "ExtensionDecided",
        cst(2026, 3, 20, 10, 0),
        actor=HEAD,
        extension_id=asked["extension_id"],
        decision=Decision.APPROVE,
        notified_via=NoticeChannel.WRITTEN,
    )

    assert rule == "extension.over_cap"


def test_an_approval_records_how_the_applicant_was_told_the_reason() -> None:
    case = accepted_licence()
    asked = do(case, "ExtensionRequested", cst(2026, 3, 20, 9, 0), working_days=3, reason="核查")

    rule = refused(
        case,
        "ExtensionDecided",
        cst(2026, 3, 20, 10, 0),
        actor=HEAD,
        extension_id=asked["extension_id"],
        decision=Decision.APPROVE,
        notified_via=None,
    )
    approve(case, asked["extension_id"], cst(2026, 3, 20, 10, 0))

    assert rule == "extension.applicant_not_told"
    [extension] = case.state.extensions
    assert extension.status is ExtensionStatus.APPROVED
    assert extension.notified_via == "written" and extension.reason == "核查"


def test_a_rejection_needs_no_notice() -> None:
    case = accepted_licence()
    asked = do(case, "ExtensionRequested", cst(2026, 3, 20, 9, 0), working_days=3, reason="核查")

    do(
        case,
        "ExtensionDecided",
        cst(2026, 3, 20, 10, 0),
        actor=HEAD,
        extension_id=asked["extension_id"],
        decision=Decision.REJECT,
        notified_via=None,
    )

    assert case.state.extensions[0].status is ExtensionStatus.REJECTED


@pytest.mark.parametrize("role", [Role.CLERK, Role.WINDOW_LEAD, Role.CENTRE_DIRECTOR])
def test_only_the_department_head_decides_an_extension(role: Role) -> None:
    """本行政机关负责人 (第四十二条): the licensing department's head, not the centre's."""
    require_append("ExtensionDecided", (Role.DEPARTMENT_HEAD,))
    with pytest.raises(NotPermitted):
        require_append("ExtensionDecided", (role,))


def test_an_extension_of_a_clock_in_minutes_is_still_refused() -> None:
    case = case_at(cst(2026, 3, 2, 9, 0), promised=TimeLimit(value=30, unit=LimitUnit.MINUTES))
    do(case, "Accepted", cst(2026, 3, 2, 9, 5))
    asked = do(case, "ExtensionRequested", cst(2026, 3, 2, 9, 10), working_days=1, reason="核查")

    rule = refused(
        case,
        "ExtensionDecided",
        cst(2026, 3, 2, 9, 20),
        actor=HEAD,
        extension_id=asked["extension_id"],
        decision=Decision.APPROVE,
        notified_via=NoticeChannel.PHONE,
    )

    assert rule == "extension.unit_mismatch"
