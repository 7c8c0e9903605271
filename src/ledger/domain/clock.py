"""Case clocks: a time limit started by an event, moved by pauses and extensions, read against now.

The rules for counting are `ledger.domain.calendar`'s; this module applies them to a `Clock`. A
command computes the deadline once, with the calendar and policy in force, and its event freezes
the result (`Clock`, `ClockUpdate`), so replay never recomputes a deadline and a new calendar
version never rewrites one. Only `reading`, for display, looks at the current moment.
The records a case keeps of its clock live here too: the `Clock` itself, the `ClockUpdate` that
moves it, and what stops or lengthens it (`PauseReason`, `Extension`).

Per unit:
- working days: a clock frozen with the centre's office hours (`Clock.working_hours`, every case
  clock started since the hours entered the policy) counts paused time to the minute on them
  (`working_hours.add_office_days`); one without them (older case clocks, 12345 and other clocks,
  which have no pauses) keeps `WorkingCalendar.add_working_days`, where paused time rounds up to
  whole 24-hour days. Both count from the next day, mark provisional years, and end an unpaused
  clock at the end of its last working day; 0 means the same day (即办), due at its end;
- calendar days: the same next-day counting over every day; paused wall time moves the deadline,
  exactly with office hours, else rounded up to whole days;
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
from ledger.domain.working_hours import WorkingHours, add_office_days, office_time


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
    working_hours: WorkingHours | None = None  # pauses counted on them to the minute (module doc)


class ClockUpdate(msgspec.Struct, frozen=True, kw_only=True):
    """A clock moved by a resumption or an approved extension, computed when that was recorded."""

    limit: TimeLimit
    due_at: datetime
    provisional: bool
    calendar_version: str
    paused: timedelta


class PauseReason(StrEnum):
    """Why a clock stopped. Only `STATUTORY_PAUSES` stop it on the front line's word."""

    AWAITING_DATA_PUSH = "awaiting_data_push"
    APPLICANT_SUPPLEMENT = "applicant_supplement"  # 补正
    HEARING = "hearing"  # 听证
    EXPERT_REVIEW = "expert_review"  # 专家评审 (recorded before 0.2 also for 检验检测)
    ON_SITE_INSPECTION = "on_site_inspection"  # 现场核查: part of the review, its time counts
    OTHER_DEPARTMENT = "other_department"
    OTHER = "other"
    TENDER = "tender"  # 招标
    AUCTION = "auction"  # 拍卖
    INSPECTION = "inspection"  # 检验
    TESTING = "testing"  # 检测
    QUARANTINE = "quarantine"  # 检疫
    APPRAISAL = "appraisal"  # 鉴定


STATUTORY_PAUSES = frozenset(
    {
        PauseReason.APPLICANT_SUPPLEMENT,
        PauseReason.HEARING,
        PauseReason.TENDER,
        PauseReason.AUCTION,
        PauseReason.INSPECTION,
        PauseReason.TESTING,
        PauseReason.QUARANTINE,
        PauseReason.APPRAISAL,
        PauseReason.EXPERT_REVIEW,
    }
)
"""The time the law does not count: 补正 (行政许可法 第三十二条; domain-brief §5) and 第四十五条's
"听证、招标、拍卖、检验、检测、检疫、鉴定和专家评审 … 所需时间不计算在本节规定的期限内". Any other
reason stops a clock only as the licensing department's head decides (`pauses_and_extensions`)."""


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
    notified_via: str | None = None  # how the applicant was told the reason (第四十二条)


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
    calendar: WorkingCalendar,
    limit: TimeLimit,
    source: str,
    policy_version: str,
    at: datetime,
    hours: WorkingHours | None = None,
) -> Clock:
    deadline = due(calendar, limit, at, (), hours)
    return Clock(
        limit=limit,
        source=source,
        policy_version=policy_version,
        calendar_version=deadline.calendar_version,
        started_at=at,
        due_at=deadline.due_at,
        provisional=deadline.provisional,
        working_hours=hours,
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
    deadline = due(calendar, limit, clock.started_at, pauses, clock.working_hours)
    paused, uncertain = excluded(
        calendar, limit.unit, clock.started_at, pauses, clock.working_hours
    )
    return ClockUpdate(
        limit=limit,
        due_at=deadline.due_at,
        provisional=deadline.provisional or uncertain,
        calendar_version=deadline.calendar_version,
        paused=paused,
    )


def due(
    calendar: WorkingCalendar,
    limit: TimeLimit,
    at: datetime,
    pauses: Sequence[Pause],
    hours: WorkingHours | None = None,
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
        if hours is not None:
            return add_office_days(calendar, at, limit.value, pauses, hours)
        return calendar.add_working_days(at, limit.value, pauses)
    counting_from = calendar.counting_starts_at(at)
    paused = _wall(union_pauses(pauses, not_before=counting_from))
    last_day = counting_from.date() + (limit.value - 1) * DAY
    if hours is None:  # rounded up to whole days, as for working days without office hours
        last_day += -(-paused // DAY) * DAY
        paused = timedelta(0)
    return Deadline(
        due_at=datetime.combine(last_day, END_OF_DAY, SHANGHAI) + paused,
        provisional=False,
        calendar_version=calendar.version,
    )


def excluded(
    calendar: WorkingCalendar,
    unit: LimitUnit,
    at: datetime,
    pauses: Sequence[Pause],
    hours: WorkingHours | None = None,
) -> tuple[timedelta, bool]:
    """Time the pauses took out of a clock started `at`, and whether that is provisional.

    Working-day clocks lose only working time after counting began: office time with `hours`,
    else 24-hour working days; in a year the calendar does not cover, weekdays are assumed and
    the answer is marked provisional.
    """
    if unit is not LimitUnit.WORKING_DAYS:
        not_before = at if unit in _WALL_CLOCK else calendar.counting_starts_at(at)
        return _wall(union_pauses(pauses, not_before=not_before)), False
    if hours is not None:
        return office_time(
            calendar, union_pauses(pauses, not_before=calendar.counting_starts_at(at)), hours
        )
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
            calendar,
            clock.limit.unit,
            clock.started_at,
            [(paused_since, max(now, paused_since))],
            clock.working_hours,
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


def held_to_deadline(due_at: datetime, *, closed_at: datetime | None, withdrawn: bool) -> bool:
    """Whether a case answers for its deadline (应办结 once it passes): the one place withdrawn
    cases (撤回 by the applicant, 退办 on a breached 容缺 commitment) are decided.

    A case withdrawn before its deadline does not: the applicant ended it while the office was
    still in time, so it is neither on time nor overdue and leaves 按时办结率 altogether. One
    withdrawn after its deadline does, and stays overdue: withdrawing cannot launder a late case.
    The duty board lists open cases only, so a withdrawn case leaves it at once; `status` reads
    its clock `met` or `overdue` by the same line.
    """
    return not (withdrawn and closed_at is not None and closed_at <= due_at)


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
