"""The 示例 12345 order (src/ledger/demo/stories/hotline.py), decided by the case aggregate as the
API would, step by step: its two clocks part ways over the 退单 rounds, each closure is followed up
the next day, and the citizen's total wait spans every round and the 重办.

Figures by hand on the 2026 calendar (policies/calendars/cn.toml: no holiday in March), 求助 = 3
working days counted from the day after, ending 23:59:59.999999 Beijing time.
"""

from __future__ import annotations

import copy
import functools
from datetime import datetime, timedelta, timezone
from typing import Any

from ledger.demo.commands import as_actor, command, registration
from ledger.demo.stories import hotline
from ledger.domain.case import Case
from ledger.domain.hotline.records import HotlineTicket
from ledger.domain.personal_data import protect_applicant
from ledger.rules.time_limits import Policies

CST = timezone(timedelta(hours=8))


def moment(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 3, day, hh, mm, tzinfo=CST)


def end_of(day: int) -> datetime:
    return datetime(2026, 3, day, 23, 59, 59, 999999, tzinfo=CST)


def test_the_example_order_closes_late_for_the_citizen_then_in_time_after_its_reopening() -> None:
    master, _duplicate = hotline.orders()
    first, *rest = master.steps
    case = Case.register(
        actor=as_actor(first.by),
        case_no="HUOSHAN-2026-000017",
        **registration(first, functools.partial(protect_applicant, b"k" * 32)),
    )
    timing = Policies().timing(case.state.centre)
    minted: dict[str, Any] = {}
    seen: dict[str, HotlineTicket] = {}
    for step in rest:
        c = command(step, minted)
        minted.update(case.append(c.event_type, c.actor, c.occurred_at, timing, **c.fields))
        if case.state.tickets and case.state.tickets[0].closed_at == moment(10, 15):
            seen.setdefault("first closure", copy.deepcopy(case.state.tickets[0]))

    # The first closure, Tue 03-10 15:00. The order's clock from the first dispatch (Mon 03-02):
    # 3, 4, 5, + 2 extended: 6, 9 → Mon 03-09, missed. 人社's from its own (Tue 03-03): 4, 5, 6,
    # + 9, 10 → Tue 03-10; its reply at 11:00 met it.
    closed = seen["first closure"]
    assert closed.order_clock is not None and closed.order_clock.due_at == end_of(9)
    assert closed.reply_clock is not None and closed.reply_clock.due_at == end_of(10)
    assert closed.replies[-1].replied_at == moment(10, 11) <= closed.reply_clock.due_at
    assert closed.follow_up_due == end_of(11)  # the 回访 at 03-11 10:00 is in time

    # The 重办 (Wed 03-11 10:30) starts both clocks again: 12, 13, 16 → Mon 03-16; closed Fri
    # 03-13 11:00, in time; followed up Sat 03-14, by its day-after deadline.
    [t] = case.state.tickets
    assert t.order_clock is not None and t.order_clock.due_at == end_of(16)
    assert t.closed_at == moment(13, 11) <= t.order_clock.due_at
    assert t.follow_up_due == end_of(14)
    assert t.closure_follow_up is not None and t.closure_follow_up.at == moment(14, 10)
    # From the call (Mon 03-02 09:10) to the last closure: 11 days 1 hour 50 minutes.
    assert t.total_wait(moment(31, 0)) == timedelta(days=11, hours=1, minutes=50)
