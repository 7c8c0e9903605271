"""Case clocks: a time limit started by an event, moved by pauses and extensions, read against now.

The rules for counting are `ledger.domain.calendar`'s; this module applies them to a `Clock`. A
command computes the deadline once, with the calendar and policy in force, and its event freezes
the result (`Clock`, `ClockUpdate`), so replay never recomputes a deadline and a new calendar
version never rewrites one. Only `reading`, for display, looks at the current moment.
The records a case keeps of its clock live here too: the `Clock` itself, the `ClockUpdate` that
moves it, and what stops or lengthens it (`PauseReason`, `Extension`).

Per unit:
- working days: `WorkingCalendar.add_working_days` (next-day counting, pauses, provisional years);
  0 means the same day (即办), due at its end;
- calendar days: the same next-day counting over every day; paused wall time moves the deadline,
  rounded up to whole days as for working days;
- hours and minutes (emergency limits): wall-clock time from the event, plus paused wall time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

import msgspec

from ledger.domain.calendar import (
    DAY,
    END_OF_DAY,
    SHANGHAI,
    CalendarNotCoveredError,
    Deadline,
    Pause,
    WorkingCalendar,
    union_pauses,
)
from ledger.domain.values import LimitUnit, TimeLimit


class ClockStatus(StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"  # closed by the deadline
    OVERDUE = "overdue"  # past the deadline, open or closed late


class Clock(msgspec.Struct, kw_only=True):
    """A running time limit as its events froze it: nothing here is recomputed on replay.

    `paused` is the working time (wall time for minute/hour limits) that finished pauses took out
    of the clock; `due_at` already allows for it.
    """

    limit: TimeLimit
    source: str  # where the limit comes from: "policy <version>: <document article>"
    policy_version: str
    calendar_version: str
    started_at: datetime
    due_at: datetime
    provisional: bool  # counted through a year the calendar has not published
    paused: timedelta = timedelta(0)


class ClockUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """A clock moved by a resumption or an approved extension, computed when that was recorded."""

    limit: TimeLimit
    due_at: datetime
    provisional: bool
    calendar_version: str
    paused: timedelta


class PauseReason(StrEnum):
    AWAITING_DATA_PUSH = "awaiting_data_push"
    APPLICANT_SUPPLEMENT = "applicant_supplement"  # 补正
    HEARING = "hearing"  # 听证
    EXPERT_REVIEW = "expert_review"  # 专家评审 / 检验检测
    ON_SITE_INSPECTION = "on_site_inspection"
    OTHER_DEPARTMENT = "other_department"
    OTHER = "other"


class ExtensionStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class Extension(msgspec.Struct, kw_only=True):
    extension_id: UUID
    working_days: int
    reason: str
    requested_by: str
    requested_at: datetime
    status: ExtensionStatus = ExtensionStatus.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    opinion: str | None = None


class Colour(StrEnum):
    """A duty-board colour for a clock."""

    RED = "red"  # overdue
    AMBER = "amber"  # at most `amber_share` of the limit remains
    GREEN = "green"
    NONE = "none"  # not accepted yet: no clock runs


_WALL_CLOCK = {LimitUnit.HOURS: timedelta(hours=1), LimitUnit.MINUTES: timedelta(minutes=1)}


class ClockReading(msgspec.Struct, frozen=True, kw_only=True):
    """A clock as shown at one moment: `paused` includes a pause still running."""

    limit: TimeLimit
    source: str
    started_at: datetime
    due_at: datetime
    paused: timedelta
    calendar_version: str
    policy_version: str
    provisional: bool
    status: ClockStatus


def start(
    calendar: WorkingCalendar, limit: TimeLimit, source: str, policy_version: str, at: datetime
) -> Clock:
    deadline = due(calendar, limit, at, ())
    return Clock(
        limit=limit,
        source=source,
        policy_version=policy_version,
        calendar_version=deadline.calendar_version,
        started_at=at,
        due_at=deadline.due_at,
        provisional=deadline.provisional,
    )


def copied(running: Clock | None) -> Clock | None:
    """A clock for the state to keep: state is mutable and the event that froze it is not."""
    return msgspec.structs.replace(running) if running is not None else None


def move(running: Clock | None, update: ClockUpdate | None) -> None:
    """Apply a frozen update (a resumption, an approved extension) to a state's clock."""
    if update is not None and running is not None:
        running.limit = update.limit
        running.due_at = update.due_at
        running.provisional = update.provisional
        running.calendar_version = update.calendar_version
        running.paused = update.paused


def moved(
    clock: Clock,
    calendar: WorkingCalendar,
    pauses: Sequence[Pause],
    limit: TimeLimit | None = None,
) -> ClockUpdate:
    """The clock recomputed over all its finished pauses, with a new limit if one is given."""
    limit = limit or clock.limit
    deadline = due(calendar, limit, clock.started_at, pauses)
    paused, uncertain = excluded(calendar, limit.unit, clock.started_at, pauses)
    return ClockUpdate(
        limit=limit,
        due_at=deadline.due_at,
        provisional=deadline.provisional or uncertain,
        calendar_version=deadline.calendar_version,
        paused=paused,
    )


def due(
    calendar: WorkingCalendar, limit: TimeLimit, at: datetime, pauses: Sequence[Pause]
) -> Deadline:
    if limit.unit in _WALL_CLOCK:
        paused = _wall(union_pauses(pauses, not_before=at))
        return Deadline(
            due_at=at.astimezone(SHANGHAI) + limit.value * _WALL_CLOCK[limit.unit] + paused,
            provisional=False,
            calendar_version=calendar.version,
        )
    if limit.value == 0:  # same day: due at the end of the event's own day
        day = at.astimezone(SHANGHAI).date()
        return Deadline(
            due_at=datetime.combine(day, END_OF_DAY, SHANGHAI),
            provisional=not calendar.covers(day),
            calendar_version=calendar.version,
        )
    if limit.unit is LimitUnit.WORKING_DAYS:
        return calendar.add_working_days(at, limit.value, pauses)
    counting_from = calendar.counting_starts_at(at)
    paused = _wall(union_pauses(pauses, not_before=counting_from))
    whole_days = -(-paused // DAY)  # rounded up, as for working days
    last_day = counting_from.date() + (limit.value - 1 + whole_days) * DAY
    return Deadline(
        due_at=datetime.combine(last_day, END_OF_DAY, SHANGHAI),
        provisional=False,
        calendar_version=calendar.version,
    )


def excluded(
    calendar: WorkingCalendar, unit: LimitUnit, at: datetime, pauses: Sequence[Pause]
) -> tuple[timedelta, bool]:
    """Time the pauses took out of a clock started `at`, and whether that is provisional.

    Working-day clocks lose only working time after counting began; in a year the calendar does
    not cover, weekdays are assumed and the answer is marked provisional.
    """
    if unit is not LimitUnit.WORKING_DAYS:
        not_before = at if unit in _WALL_CLOCK else calendar.counting_starts_at(at)
        return _wall(union_pauses(pauses, not_before=not_before)), False
    total, provisional = timedelta(0), False
    for start, end in union_pauses(pauses, not_before=calendar.counting_starts_at(at)):
        try:
            total += calendar.working_time_between(start, end)
        except CalendarNotCoveredError:
            provisional = True
            total += end - start
    return total, provisional


def reading(
    clock: Clock,
    calendar: WorkingCalendar,
    *,
    now: datetime,
    paused_since: datetime | None,
    closed_at: datetime | None,
) -> ClockReading:
    """The clock as it stands at `now` (or as it ended, if the case is closed)."""
    paused, provisional = clock.paused, clock.provisional
    if paused_since is not None and closed_at is None:
        running, uncertain = excluded(
            calendar, clock.limit.unit, clock.started_at, [(paused_since, max(now, paused_since))]
        )
        paused, provisional = paused + running, provisional or uncertain
    return ClockReading(
        limit=clock.limit,
        source=clock.source,
        started_at=clock.started_at,
        due_at=clock.due_at,
        paused=paused,
        calendar_version=clock.calendar_version,
        policy_version=clock.policy_version,
        provisional=provisional,
        status=status(clock, now=now, paused_since=paused_since, closed_at=closed_at),
    )


def status(
    clock: Clock, *, now: datetime, paused_since: datetime | None, closed_at: datetime | None
) -> ClockStatus:
    if closed_at is not None:
        return ClockStatus.MET if closed_at <= clock.due_at else ClockStatus.OVERDUE
    if paused_since is not None:
        return ClockStatus.PAUSED  # the deadline moves when the clock resumes
    return ClockStatus.OVERDUE if now > clock.due_at else ClockStatus.RUNNING


def _wall(pauses: Sequence[Pause]) -> timedelta:
    return sum((end - start for start, end in pauses), timedelta(0))


def remaining(running: Clock, calendar: WorkingCalendar, at: datetime) -> tuple[timedelta, bool]:
    """Time from `at` to the clock's deadline, negative past it, and whether it is provisional.

    Working-day clocks count working time by the calendar; in a year it has not published, wall
    time stands in and the answer is provisional. Other clocks count wall time.
    """
    if running.limit.unit is not LimitUnit.WORKING_DAYS:
        return running.due_at - at, False
    try:
        if at <= running.due_at:
            return calendar.working_time_between(at, running.due_at), False
        return -calendar.working_time_between(running.due_at, at), False
    except CalendarNotCoveredError:
        return running.due_at - at, True


def colour_of(status: ClockStatus, left: timedelta, limit: TimeLimit, amber_share: float) -> Colour:
    """Red once overdue; amber when `left` is at most `amber_share` of the whole limit (a limit
    of 0 days, 即办, counts as its one day); green otherwise."""
    if status is ClockStatus.OVERDUE or left < timedelta(0):
        return Colour.RED
    return Colour.AMBER if left <= amber_share * _span(limit) else Colour.GREEN


def _span(limit: TimeLimit) -> timedelta:
    if limit.unit is LimitUnit.HOURS:
        return timedelta(hours=limit.value)
    if limit.unit is LimitUnit.MINUTES:
        return timedelta(minutes=limit.value)
    return timedelta(days=max(limit.value, 1))  # a working day is 24 hours of working time
