"""The order's own deadlines beside the unit's: its clock across 退单 rounds and the citizen's
total wait, the contact and 回访 deadlines, 通报批评 after the 催办通知书, and 退单 of a complex
order.

Against the real policy (`Policies().timing("huoshan")`: the national [hotline] limits of
policies/time-limits/cn.toml) and the 2026 calendar (policies/calendars/cn.toml). Every due date
is worked out by hand in the comments: working days count from the day after the event and end at
23:59:59.999999 Beijing time; 2026: 中秋 25-27 Sep, 国庆 1-7 Oct, make-up working days Sun 20 Sep
and Sat 10 Oct.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from uuid import UUID

import msgspec
from eventsourcing.application import project_aggregate

from ledger.domain.case import Case
from ledger.domain.hotline.records import (
    HotlineCategory,
    SupervisionLevel,
    TicketClosure,
    TicketStatus,
    UnitRole,
)
from ledger.domain.values import Decision, LimitUnit, TimeLimit
from ledger.rules.time_limits import Policies
from ledger.store.events import MsgspecMapper
from tests.unit.domain.hotline.test_work_orders import (
    AGENT,
    LIAISON,
    A,
    B,
    ask_return,
    close_at_intake,
    cst,
    decide_extension,
    decide_return,
    dispatch,
    dispatch_refusal,
    dissatisfied,
    end_of,
    extension,
    follow_up,
    in_progress,
    new_case,
    receive,
    refusal,
    reopen,
    reply,
    return_refusal,
    review,
    sign_for,
    ticket,
)

# --- the order's clock and the citizen's total wait ---------------------------------------------


def returned_once() -> tuple[Case, UUID]:
    """A complaint received Wed 23 Sep 09:00 and dispatched to A at 10:00; A's 退单 (15:00) is
    approved at 16:00, so the order waits for 改派."""
    case = new_case()
    ticket_id = receive(case, cst(2026, 9, 23, 9))
    dispatch(case, ticket_id, A, cst(2026, 9, 23, 10))
    ask_return(case, ticket_id, A, cst(2026, 9, 23, 15))
    decide_return(case, ticket_id, cst(2026, 9, 23, 16))
    return case, ticket_id


def test_the_orders_clock_runs_from_its_first_dispatch_through_a_return() -> None:
    case, ticket_id = returned_once()

    # Order clock: 13 working days from Wed 23 Sep 10:00: 24, 28, 29, 30 Sep, 8, 9, 10 (Sat,
    # 调休), 12, 13, 14, 15, 16, 19 Oct. While it waits for 改派 no unit's clock runs, the order's
    # does: it stays due (应办结) on 19 Oct.
    t = ticket(case, ticket_id)
    assert (t.status, t.reply_clock) == (TicketStatus.PENDING_DISPATCH, None)
    assert t.order_clock is not None
    assert (t.order_clock.started_at, t.order_clock.due_at) == (
        cst(2026, 9, 23, 10),
        end_of(2026, 10, 19),
    )
    assert t.order_clock.limit == TimeLimit(value=13, unit=LimitUnit.WORKING_DAYS)

    # Round 2: B, Thu 24 Sep 09:00. B's own clock: 13 working days from 24 Sep: 28, 29, 30 Sep,
    # 8, 9, 10, 12, 13, 14, 15, 16, 19, 20 Oct. The order's keeps its first start.
    dispatch(case, ticket_id, B, cst(2026, 9, 24, 9))
    t = ticket(case, ticket_id)
    assert t.reply_clock is not None and t.reply_clock.due_at == end_of(2026, 10, 20)
    assert t.order_clock is not None and t.order_clock.due_at == end_of(2026, 10, 19)


def test_a_unit_on_time_in_its_round_can_close_an_order_late_and_the_whole_wait_is_kept() -> None:
    case, ticket_id = returned_once()
    dispatch(case, ticket_id, B, cst(2026, 9, 24, 9))
    sign_for(case, ticket_id, B, cst(2026, 9, 24, 10))
    reply(case, ticket_id, B, cst(2026, 10, 20, 10))
    review(case, ticket_id, cst(2026, 10, 20, 14))

    t = ticket(case, ticket_id)
    assert t.closed_at == cst(2026, 10, 20, 14)
    assert t.reply_clock is not None and t.replies[-1].replied_at <= t.reply_clock.due_at  # B: met
    assert t.order_clock is not None and t.closed_at > t.order_clock.due_at  # the order: late
    # The citizen waited from the call (Wed 23 Sep 09:00) to the closure (Tue 20 Oct 14:00):
    # 27 days and 5 hours, both rounds counted.
    assert t.total_wait(t.closed_at) == timedelta(days=27, hours=5)


def test_an_approved_extension_lengthens_the_orders_clock_as_the_units() -> None:
    case, ticket_id = returned_once()
    dispatch(case, ticket_id, B, cst(2026, 9, 24, 9))
    sign_for(case, ticket_id, B, cst(2026, 9, 24, 10))
    assert extension(case, ticket_id, cst(2026, 10, 15, 10), 2, B) is None

    decide_extension(case, ticket_id, cst(2026, 10, 15, 15))

    # 13 + 2 = 15 working days. B's, from 24 Sep: ... 20, then 21, 22 Oct. The order's, from 23
    # Sep: ... 19, then 20, 21 Oct.
    t = ticket(case, ticket_id)
    assert t.reply_clock is not None and t.reply_clock.due_at == end_of(2026, 10, 22)
    assert t.order_clock is not None and t.order_clock.due_at == end_of(2026, 10, 21)
    assert t.order_clock.limit == TimeLimit(value=15, unit=LimitUnit.WORKING_DAYS)


def test_an_extension_asked_after_the_orders_deadline_does_not_move_it() -> None:
    # The order was due at the end of Mon 19 Oct; B gets it on Tue 20 Oct and, in its own round,
    # asks 10 more working days. B's clock may lengthen; the order's passed deadline may not, or
    # a closure on Thu 22 Oct would count as on time for the citizen.
    case, ticket_id = returned_once()
    dispatch(case, ticket_id, B, cst(2026, 10, 20, 9))
    sign_for(case, ticket_id, B, cst(2026, 10, 20, 10))
    assert extension(case, ticket_id, cst(2026, 10, 20, 11), 10, B) is None

    decide_extension(case, ticket_id, cst(2026, 10, 20, 15))

    t = ticket(case, ticket_id)
    assert t.reply_clock is not None
    assert t.reply_clock.limit == TimeLimit(value=23, unit=LimitUnit.WORKING_DAYS)
    assert t.order_clock is not None and t.order_clock.due_at == end_of(2026, 10, 19)
    assert t.order_clock.limit == TimeLimit(value=13, unit=LimitUnit.WORKING_DAYS)


def test_a_reopening_starts_the_orders_clock_again_and_clears_the_follow_up_deadline() -> None:
    case, ticket_id = in_progress(cst(2026, 9, 23, 10))  # 咨询 to A: due Tue 29 Sep
    reply(case, ticket_id, A, cst(2026, 9, 24, 10))
    review(case, ticket_id, cst(2026, 9, 24, 15))
    dissatisfied(case, ticket_id, cst(2026, 9, 25, 10))

    reopen(case, ticket_id, cst(2026, 9, 28, 11))

    # 重办 Mon 28 Sep 11:00, 3 working days: 29, 30 Sep, then 8 Oct after 国庆.
    t = ticket(case, ticket_id)
    assert t.order_clock is not None and t.reply_clock is not None
    assert t.order_clock.started_at == t.reply_clock.started_at == cst(2026, 9, 28, 11)
    assert t.order_clock.due_at == end_of(2026, 10, 8)
    assert t.follow_up_due is None


def test_old_events_without_the_new_fields_replay_to_the_same_clocks() -> None:
    """Events stored before these fields existed decode with their defaults, and the order's
    clock is derived from the first round's reply clock, which they always carried."""
    case, ticket_id = returned_once()
    dispatch(case, ticket_id, B, cst(2026, 9, 24, 9))
    sign_for(case, ticket_id, B, cst(2026, 9, 24, 10))
    mapper = MsgspecMapper()
    stored = [mapper.to_stored_event(e) for e in case.collect_events()]
    old = []
    for event in stored:
        payload = msgspec.json.decode(event.state)
        for new_field in ("complex", "contact_due", "order_clock", "follow_up_due"):
            payload.pop(new_field, None)
        old.append(dataclasses.replace(event, state=msgspec.json.encode(payload)))
    replayed = project_aggregate(None, [mapper.to_domain_event(e) for e in old])
    assert replayed is not None
    [t] = replayed.state.tickets
    assert t.order_clock is not None and t.order_clock.due_at == end_of(2026, 10, 19)
    assert t.contact_due is None  # not known before; the 响应率 leaves the order out
    assert [d.complex for d in t.dispatches] == [False, False]


# --- 响应率: the first contact's deadline ---------------------------------------------------------


def test_the_contact_deadline_runs_from_the_first_dispatch_and_survives_a_return() -> None:
    case, ticket_id = returned_once()
    # 1 working day from Wed 23 Sep: Thu 24 Sep.
    assert ticket(case, ticket_id).contact_due == end_of(2026, 9, 24)

    dispatch(case, ticket_id, B, cst(2026, 9, 24, 9))

    assert ticket(case, ticket_id).contact_due == end_of(2026, 9, 24)


# --- 回访 the day after closure ------------------------------------------------------------------


def test_the_follow_up_is_due_the_day_after_closure_holidays_included() -> None:
    # 7×24: a reply closed on Wed 30 Sep is followed up by the end of Thu 1 Oct (国庆).
    case, ticket_id = in_progress(cst(2026, 9, 29, 10))
    reply(case, ticket_id, A, cst(2026, 9, 30, 10))
    review(case, ticket_id, cst(2026, 9, 30, 15))

    assert ticket(case, ticket_id).follow_up_due == end_of(2026, 10, 1)


def test_an_order_answered_at_intake_is_followed_up_a_redirected_one_is_not() -> None:
    answered, redirected = new_case(), new_case()
    a = receive(answered, cst(2026, 9, 7, 9), HotlineCategory.CONSULTATION)
    r = receive(redirected, cst(2026, 9, 7, 9), HotlineCategory.CONSULTATION)

    close_at_intake(answered, a, TicketClosure.ANSWERED_AT_INTAKE, "知识库直接答复")
    close_at_intake(redirected, r, TicketClosure.REDIRECTED, "告知诉讼途径")

    # Closed Mon 7 Sep 09:10: the 回访 is due by the end of Tue 8 Sep.
    assert ticket(answered, a).follow_up_due == end_of(2026, 9, 8)
    assert ticket(redirected, r).follow_up_due is None


def test_a_late_follow_up_is_recorded_not_refused() -> None:
    case, ticket_id = in_progress(cst(2026, 9, 23, 10))
    reply(case, ticket_id, A, cst(2026, 9, 24, 10))
    review(case, ticket_id, cst(2026, 9, 24, 15))  # 回访 due by the end of Fri 25 Sep

    follow_up(case, ticket_id, cst(2026, 9, 28, 10))

    t = ticket(case, ticket_id)
    assert t.follow_up_due == end_of(2026, 9, 25)
    assert t.closure_follow_up is not None
    assert t.closure_follow_up.at > t.follow_up_due


# --- 通报批评: 5 working days after the 催办通知书 ------------------------------------------------


def supervise(case: Case, ticket_id: UUID, at: datetime, level: SupervisionLevel) -> None:
    body = {"ticket_id": ticket_id, "level": level, "note": "督办"}
    case.append("HotlineSupervised", AGENT, at, Policies().timing("huoshan"), **body)


def criticism_refusal(case: Case, ticket_id: UUID, at: datetime) -> str:
    return refusal(
        case,
        "HotlineSupervised",
        AGENT,
        at,
        ticket_id=ticket_id,
        level=SupervisionLevel.CIRCULATED,
        note="通报批评",
    )


def test_criticism_follows_the_notice_by_five_working_days() -> None:
    case = new_case()
    ticket_id = receive(case, cst(2026, 9, 23, 9), HotlineCategory.CONSULTATION)
    dispatch(case, ticket_id, A, cst(2026, 9, 23, 10))  # reply due end of Tue 29 Sep

    # Overdue, but no 催办通知书 yet.
    assert criticism_refusal(case, ticket_id, cst(2026, 10, 9, 9)) == (
        "hotline.criticism_without_notice"
    )
    supervise(case, ticket_id, cst(2026, 9, 30, 9), SupervisionLevel.NOTICE)  # the day after
    # 5 working days from the notice on Wed 30 Sep: 8, 9, 10 (Sat, 调休), 12, 13 Oct.
    assert criticism_refusal(case, ticket_id, cst(2026, 10, 13, 16)) == (
        "hotline.criticism_too_early"
    )

    supervise(case, ticket_id, cst(2026, 10, 14, 9), SupervisionLevel.CIRCULATED)

    assert ticket(case, ticket_id).supervisions[-1] == (
        SupervisionLevel.CIRCULATED,
        cst(2026, 10, 14, 9),
    )


def test_a_notice_from_an_earlier_round_does_not_open_criticism() -> None:
    case = new_case()
    ticket_id = receive(case, cst(2026, 9, 23, 9), HotlineCategory.CONSULTATION)
    dispatch(case, ticket_id, A, cst(2026, 9, 23, 10))  # due Tue 29 Sep
    supervise(case, ticket_id, cst(2026, 9, 30, 9), SupervisionLevel.NOTICE)
    sign_for(case, ticket_id, A, cst(2026, 9, 30, 10))
    reply(case, ticket_id, A, cst(2026, 9, 30, 11))
    review(case, ticket_id, cst(2026, 9, 30, 15))
    dissatisfied(case, ticket_id, cst(2026, 10, 8, 9))
    reopen(case, ticket_id, cst(2026, 10, 8, 10))  # 重办: due Mon 12 Oct (9, 10, 12)

    assert criticism_refusal(case, ticket_id, cst(2026, 10, 20, 9)) == (
        "hotline.criticism_without_notice"
    )


def test_a_unit_that_replied_in_time_is_not_noticed_nor_criticised_while_review_waits() -> None:
    # The unit's reply stops its clock (the hotline's review is the hotline's time, as the
    # indicators count it): a 催办通知书 or 通报批评 after the deadline does not follow it.
    case = new_case()
    ticket_id = receive(case, cst(2026, 9, 23, 9), HotlineCategory.CONSULTATION)
    dispatch(case, ticket_id, A, cst(2026, 9, 23, 10))  # reply due end of Tue 29 Sep
    sign_for(case, ticket_id, A, cst(2026, 9, 23, 11))
    reply(case, ticket_id, A, cst(2026, 9, 28, 10))  # in time; the review waits

    for level in SupervisionLevel:
        assert (
            refusal(
                case,
                "HotlineSupervised",
                AGENT,
                cst(2026, 9, 30, 9),
                ticket_id=ticket_id,
                level=level,
                note="督办",
            )
            == "hotline.reply_under_review"
        )


def test_an_extension_still_undecided_when_the_unit_replies_lapses_with_the_reply() -> None:
    # Asked Mon 28 Sep, before the reply deadline (end of Tue 29 Sep); the unit replies late, Wed
    # 30 Sep. Approving the request now would move the deadline past the late reply: it lapsed.
    case, ticket_id = in_progress(cst(2026, 9, 23, 10))
    assert extension(case, ticket_id, cst(2026, 9, 28, 10)) is None
    reply(case, ticket_id, A, cst(2026, 9, 30, 10))

    assert (
        refusal(
            case,
            "HotlineExtensionDecided",
            AGENT,
            cst(2026, 9, 30, 11),
            ticket_id=ticket_id,
            decision=Decision.APPROVE,
            opinion="同意",
        )
        == "hotline.no_extension_pending"
    )
    assert ticket(case, ticket_id).reply_clock.due_at == end_of(2026, 9, 29)  # type: ignore[union-attr]


# --- 退单 of a complex order: 2 working days ------------------------------------------------------


def test_a_complex_order_may_be_returned_within_two_working_days() -> None:
    case = new_case()
    plain = receive(case, cst(2026, 9, 29, 9), ticket_no="HS-PLAIN")
    hard = receive(case, cst(2026, 9, 29, 9), ticket_no="HS-COMPLEX")
    dispatch(case, plain, A, cst(2026, 9, 29, 10))
    case.append(
        "HotlineDispatched",
        AGENT,
        cst(2026, 9, 29, 10),
        Policies().timing("huoshan"),
        ticket_id=hard,
        unit=A,
        role=UnitRole.LEAD,
        designated=False,
        complex=True,
    )

    # From Tue 29 Sep: 1 working day ends Wed 30 Sep; 2 end Thu 8 Oct, after 国庆.
    assert return_refusal(case, plain, A, cst(2026, 10, 8, 10)) == "hotline.return_window_passed"
    ask_return(case, hard, A, cst(2026, 10, 8, 10))

    assert ticket(case, hard).status is TicketStatus.RETURN_REQUESTED
    assert ticket(case, hard).dispatches[0].complex is True
    assert return_refusal(case, hard, A, cst(2026, 10, 8, 11)) == "hotline.return_pending"


def test_only_a_lead_dispatch_is_marked_complex() -> None:
    case = new_case()
    ticket_id = receive(case, cst(2026, 9, 29, 9))
    dispatch(case, ticket_id, A, cst(2026, 9, 29, 10))

    assert (
        refusal(
            case,
            "HotlineDispatched",
            AGENT,
            cst(2026, 9, 29, 11),
            ticket_id=ticket_id,
            unit=B,
            role=UnitRole.ASSIST,
            designated=False,
            complex=True,
        )
        == "hotline.complex_needs_lead"
    )
    assert dispatch_refusal(case, ticket_id, A, cst(2026, 9, 29, 11)) == (
        "hotline.already_dispatched"
    )
    assert LIAISON[A].unit == A


# --- the policy ---------------------------------------------------------------------------------


def test_every_new_hotline_limit_is_policy_with_its_source() -> None:
    for name in Policies().jurisdictions:
        hotline = Policies().jurisdiction(name).policy.hotline
        rules = {
            "return_within_complex": (hotline.return_within_complex, 2, LimitUnit.WORKING_DAYS),
            "follow_up_within": (hotline.follow_up_within, 1, LimitUnit.CALENDAR_DAYS),
            "criticise_after": (hotline.criticise_after, 5, LimitUnit.WORKING_DAYS),
            "contact_within": (hotline.contact_within, 1, LimitUnit.WORKING_DAYS),
        }
        for key, (rule, value, unit) in rules.items():
            assert (rule.value, rule.unit) == (value, unit), (name, key)
            assert rule.source.document.strip(), (name, key)
        # No source sets these two: the notes say whose choice they are.
        assert "this ledger's choice" in (hotline.contact_within.source.note or ""), name
        assert "This ledger's choice" in (hotline.satisfaction.source.note or ""), name
        assert hotline.satisfaction.includes_basic, name
