"""The 5-day rule (行政许可法 第三十二条): materials incomplete → tell every missing item at once,
on the spot or within five days; told later, the application counts as accepted on receipt.

The five days are working days (第八十二条: 本法规定的期限以工作日计算，不含法定节假日), counted
from the day after receipt. Hand-computed on the 2026 national calendar: a case received Monday
3-2 09:00 must be told by the end of Monday 3-9 (3-3, 3-4, 3-5, 3-6, 3-9).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ledger.domain.case import Case
from ledger.domain.clock import PauseReason
from ledger.domain.values import CaseStatus
from tests.unit.domain.test_clock import case_at, cst, do, end_of

RECEIVED = cst(2026, 3, 2, 9, 0)


def noticed_on(when: datetime, received: datetime = RECEIVED) -> Case:
    case = case_at(received, matter="GENERIC-LICENCE")
    do(case, "OneTimeNoticeIssued", when, items=["营业执照复印件", "场地证明"])
    return case


def supplied_and_accepted(case: Case) -> None:
    do(case, "MaterialsSupplied", cst(2026, 3, 12, 10, 0), items=["营业执照复印件", "场地证明"])
    do(case, "Accepted", cst(2026, 3, 12, 10, 30))


def test_a_notice_on_the_fifth_working_day_is_in_time_and_the_clock_starts_at_acceptance() -> None:
    case = noticed_on(cst(2026, 3, 9, 16, 0))
    [notice] = case.collect_events()[-1:]
    assert isinstance(notice, Case.OneTimeNoticeIssued)
    assert notice.due_at == end_of(2026, 3, 9)
    assert notice.flags == []
    assert case.state.status is CaseStatus.AWAITING_MATERIALS

    supplied_and_accepted(case)

    clock = case.state.clock
    assert clock is not None and clock.started_at == cst(2026, 3, 12, 10, 30)
    # 20 working days from Fri 3-13: 3-13, 3-16..20, 3-23..27, 3-30..4-3, (清明) 4-7..4-10.
    assert clock.due_at == end_of(2026, 4, 10)


def test_a_notice_on_the_sixth_working_day_counts_the_clock_from_receipt() -> None:
    case = noticed_on(cst(2026, 3, 10, 9, 0))
    [notice] = case.collect_events()[-1:]
    assert isinstance(notice, Case.OneTimeNoticeIssued)
    assert notice.flags == ["one_time_notice.late"]  # a one-time-notice violation

    supplied_and_accepted(case)

    clock = case.state.clock
    assert clock is not None and clock.started_at == RECEIVED
    # 20 working days from Tue 3-3: the end of Mon 3-30, not of 4-10.
    assert clock.due_at == end_of(2026, 3, 30)
    assert "第三十二条" in clock.source
    assert case.state.accepted_at == cst(2026, 3, 12, 10, 30)  # when it was in fact accepted


def test_the_five_days_are_working_days() -> None:
    # Received Wed 9-30: 10-1..10-7 are holidays (国庆, 中秋); 10-8, 10-9, Saturday 10-10 (调休),
    # 10-12, 10-13: in time to the end of 10-13, thirteen calendar days later.
    case = noticed_on(cst(2026, 10, 13, 17, 0), received=cst(2026, 9, 30, 9, 0))
    [notice] = case.collect_events()[-1:]

    assert isinstance(notice, Case.OneTimeNoticeIssued)
    assert notice.due_at == end_of(2026, 10, 13) and notice.flags == []


def test_only_the_first_notice_answers_to_the_five_days() -> None:
    case = noticed_on(cst(2026, 3, 4, 10, 0))
    do(case, "OneTimeNoticeIssued", cst(2026, 3, 11, 10, 0), items=["场地证明"])
    [again] = case.collect_events()[-1:]

    assert isinstance(again, Case.OneTimeNoticeIssued)
    assert again.due_at is None and again.flags == []
    assert case.state.first_notice_at == cst(2026, 3, 4, 10, 0)
    assert case.state.notice_due_at == end_of(2026, 3, 9)


def test_an_acceptance_after_the_five_days_with_no_notice_counts_from_receipt() -> None:
    # Received Mon 3-2 09:00, never told of anything missing, accepted Tue 3-10 (the sixth working
    # day): the centre neither accepted nor said what to correct within five working days, so the
    # application was accepted on receipt and 20 working days run from Tue 3-3: end of Mon 3-30.
    case = case_at(RECEIVED, matter="GENERIC-LICENCE")
    do(case, "Accepted", cst(2026, 3, 10, 9, 30))

    clock = case.state.clock
    assert clock is not None and clock.started_at == RECEIVED
    assert clock.due_at == end_of(2026, 3, 30)
    assert "no one-time notice" in clock.source and "第三十二条" in clock.source


def test_an_acceptance_within_the_five_days_with_no_notice_starts_the_clock_then() -> None:
    case = case_at(RECEIVED, matter="GENERIC-LICENCE")
    do(case, "Accepted", cst(2026, 3, 9, 16, 0))  # the fifth working day

    clock = case.state.clock
    assert clock is not None and clock.started_at == cst(2026, 3, 9, 16, 0)
    assert "第三十二条" not in clock.source


def test_a_correction_pause_before_a_deemed_acceptance_counts_at_acceptance_not_later() -> None:
    # Told late (Tue 3-10), the 补正 paused 3-10 09:05 to Thu 3-12 10:00 before acceptance:
    # office time 3-10 175 + 240, 3-11 420, 3-12 60 = 895 minutes. The clock from receipt (end of
    # Mon 3-30 unpaused) is later by them from the start: 3-31 (420), 4-1 (420), 55 minutes of
    # Thu 4-2: 09:55. A 30-minute hearing afterwards moves it 30 minutes, not by the 补正 again.
    case = noticed_on(cst(2026, 3, 10, 9, 0))
    do(case, "ClockPaused", cst(2026, 3, 10, 9, 5), reason=PauseReason.APPLICANT_SUPPLEMENT)
    do(case, "MaterialsSupplied", cst(2026, 3, 12, 10, 0), items=["营业执照复印件", "场地证明"])
    do(case, "ClockResumed", cst(2026, 3, 12, 10, 0))
    do(case, "Accepted", cst(2026, 3, 12, 10, 30))

    clock = case.state.clock
    assert clock is not None and clock.started_at == RECEIVED
    assert (clock.due_at, clock.paused) == (cst(2026, 4, 2, 9, 55), timedelta(minutes=895))

    do(case, "ClockPaused", cst(2026, 3, 16, 9, 0), reason=PauseReason.HEARING)
    do(case, "ClockResumed", cst(2026, 3, 16, 9, 30))

    assert (clock.due_at, clock.paused) == (cst(2026, 4, 2, 10, 25), timedelta(minutes=925))
