"""Deadlines as the views show them: one read at a moment (time left, status, colour), and the
worst of several colours.

A deadline carries a colour as the duty board's cases do (`ledger.domain.clock.colour_of`, the
centre's `board.amber_share`): red once overdue, amber when at most that share of the limit is
left, green otherwise; once met or missed it is green or red for good; `none` when it stopped
without ending (a merged order).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ledger.api.schemas.registers import Deadline
from ledger.domain import clock
from ledger.domain.calendar import WorkingCalendar
from ledger.domain.clock import Clock, ClockStatus, Colour
from ledger.domain.values import TimeLimit

URGENCY = {Colour.RED: 0, Colour.AMBER: 1, Colour.GREEN: 2, Colour.NONE: 3}
"""Colours, most urgent first: the order of the board's lists and of `worst`."""


def worst(colours: Iterable[Colour]) -> Colour:
    return min(colours, key=URGENCY.__getitem__, default=Colour.NONE)


def deadline(
    due: datetime,
    limit: TimeLimit | None,
    ended_at: datetime | None,
    stopped: bool,
    calendar: WorkingCalendar,
    amber_share: float,
    now: datetime,
) -> Deadline:
    """A deadline as it stands at `now`: met or missed once `ended_at`; stopped without ending
    (colour none); or running, with the time left and its colour."""
    if ended_at is not None:
        met = ended_at <= due
        return Deadline(
            due_at=due,
            limit=limit,
            remaining=None,
            ended_at=ended_at,
            status=ClockStatus.MET if met else ClockStatus.OVERDUE,
            colour=Colour.GREEN if met else Colour.RED,
        )
    if stopped:
        return Deadline(
            due_at=due, limit=limit, remaining=None, ended_at=None, status=None, colour=Colour.NONE
        )
    status = ClockStatus.OVERDUE if now > due else ClockStatus.RUNNING
    if limit is None:
        left = due - now
        colour = Colour.RED if status is ClockStatus.OVERDUE else Colour.GREEN
    else:
        left, _ = clock.remaining(_bare_clock(due, limit), calendar, now)
        colour = clock.colour_of(status, left, limit, amber_share)
    return Deadline(
        due_at=due, limit=limit, remaining=left, ended_at=None, status=status, colour=colour
    )


def _bare_clock(due: datetime, limit: TimeLimit) -> Clock:
    """Enough of a clock for `clock.remaining`: its deadline and the unit of its limit."""
    return Clock(
        limit=limit,
        source="",
        policy_version="",
        calendar_version="",
        started_at=due,
        due_at=due,
        provisional=False,
    )
