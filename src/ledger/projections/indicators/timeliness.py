"""Timeliness indicators (DESIGN §5; domain brief §1.6): pure arithmetic over `view_cases` rows.

Why pure modules: the definitions below are the contract that auditors recompute and the tests
hand-compute against, so they live in one place with no I/O and no clock (`now` is an argument).
`ledger.api.metrics` fetches the rows touching the period in one query and serves the result.

Conventions shared by every indicator: the period P (`period`), rates (`rates`), groups
(`grouping`: by the department holding the case now, for a closed case the one that closed it;
by window; by matter, named after its most recently registered case; or by the case's channel).
A group is listed when at least one of its cases counts as received, accepted, completed or due
in P.

- **办结 (completed).** A case whose status is `completed` with an outcome other than
  `withdrawn`. Withdrawn cases and refused cases (`refused`, 不予受理) are not 办结.
- **Withdrawn (撤回, 退办).** A case withdrawn before its deadline is not 应办结 (neither on time
  nor overdue); one withdrawn after it is due and overdue. Decided once, in
  `ledger.domain.clock.held_to_deadline`, which `is_due` asks.

The 12345, 办不成事 and 好差评 indicators (added in version 2) live beside their code in
`hotline`, `unresolved` and `ratings`, under the same conventions; `report` joins them with these.
Bump `report.DEFINITIONS_VERSION` whenever a definition changes: reports with different versions
are not comparable.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import NamedTuple
from uuid import UUID

import msgspec

from ledger.domain.clock import held_to_deadline
from ledger.domain.values import CaseStatus, Outcome
from ledger.projections.indicators.grouping import GroupBy, MatterNames, group_key, in_key_order
from ledger.projections.indicators.period import Period
from ledger.projections.indicators.promises import Promises
from ledger.projections.indicators.rates import Rate, rate, round_half_up

WORKING_DAY_SECONDS = 86_400
"""The calendar counts a whole working day as 24 hours of working time."""


class CaseRow(msgspec.Struct, frozen=True, kw_only=True):
    """The columns of one `view_cases` row that the indicators read."""

    department: str
    window: str | None
    matter_code: str
    matter_name: str
    status: str
    outcome: str | None
    registered_at: datetime
    accepted_at: datetime | None
    closed_at: datetime | None
    due_at: datetime | None
    working_seconds: float | None
    visits: int
    handoffs: int
    extensions_approved: int
    notice_violations: int
    case_id: UUID | None = None
    """Only 主动评价率 reads it (`ratings`)."""
    centre: str = ""
    """Only 承诺时限压缩率 reads it: whose policy the matter's limits come from."""
    notice_at: datetime | None = None
    notice_due_at: datetime | None = None
    """The first 补正 notice and its 5-day limit (行政许可法 第三十二条), when it recorded one."""
    channel: str | None = None
    """Only grouping by channel reads it (`Channel`: window, online, hotline_12345, ...)."""


class WorkingDays(msgspec.Struct, frozen=True, kw_only=True):
    """Working time from clock start to completion, in working days, over `n` completed cases."""

    median: float | None
    p90: float | None
    n: int


class Indicators(msgspec.Struct, frozen=True, kw_only=True):
    received: int
    accepted: int
    completed: int
    due: int
    on_time: int
    overdue: int
    extended: int
    completion_rate: Rate
    on_time_rate: Rate
    extension_rate: Rate
    one_visit_rate: Rate
    handoffs_per_case: Rate
    visits_per_case: Rate
    working_days: WorkingDays
    notice_violations: int
    cases_with_notice_violations: int
    zero_visit_rate: Rate
    notices: int
    notice_in_time_rate: Rate
    deemed_accepted: int
    promise_compression: Rate


class Group(msgspec.Struct, frozen=True, kw_only=True):
    key: str | None
    matter_name: str | None
    """Only when grouping by matter."""
    indicators: Indicators


class Report(msgspec.Struct, frozen=True, kw_only=True):
    groups: list[Group]
    total: Indicators


# --- what each case counts as -------------------------------------------------------------------


_COMPLETED, _WITHDRAWN = CaseStatus.COMPLETED.value, Outcome.WITHDRAWN.value


def is_banjie(row: CaseRow) -> bool:
    """办结: status `completed` and outcome not `withdrawn` (withdrawn and refused are not)."""
    return row.status == _COMPLETED and row.outcome != _WITHDRAWN


def is_received(row: CaseRow, p: Period) -> bool:
    """received: registered_at in P."""
    return p.contains(row.registered_at)


def is_accepted(row: CaseRow, p: Period) -> bool:
    """accepted: accepted_at in P."""
    return p.contains(row.accepted_at)


def is_completed(row: CaseRow, p: Period) -> bool:
    """completed: 办结 (status completed, outcome ≠ withdrawn) with closed_at in P."""
    return is_banjie(row) and p.contains(row.closed_at)


def is_completed_in_cohort(row: CaseRow, p: Period) -> bool:
    """办结率's numerator (period cohort): accepted in P, 办结, and closed_at < end of P."""
    return (
        is_accepted(row, p)
        and is_banjie(row)
        and row.closed_at is not None
        and row.closed_at < p.end
    )


def is_due(row: CaseRow, p: Period, now: datetime) -> bool:
    """due (应办结): the case has a clock whose due_at is in P and due_at ≤ now (only deadlines
    already passed count; due_at includes approved extensions and finished pauses), and it is held
    to that deadline: not withdrawn before it (`held_to_deadline`)."""
    return (
        row.due_at is not None
        and p.contains(row.due_at)
        and row.due_at <= now
        and held_to_deadline(
            row.due_at,
            closed_at=row.closed_at,
            withdrawn=row.status == _COMPLETED and row.outcome == _WITHDRAWN,
        )
    )


def is_on_time(row: CaseRow, p: Period, now: datetime) -> bool:
    """on_time: due, 办结 (status completed, outcome ≠ withdrawn), and closed_at ≤ due_at."""
    return (
        is_due(row, p, now)
        and is_banjie(row)
        and row.closed_at is not None
        and row.due_at is not None
        and row.closed_at <= row.due_at
    )


def is_extended(row: CaseRow, p: Period) -> bool:
    """extended: accepted in P with at least one approved extension."""
    return is_accepted(row, p) and row.extensions_approved >= 1


def is_noticed(row: CaseRow, p: Period) -> bool:
    """noticed: the first 补正 notice (一次性告知), one recording its 5-day limit, given in P."""
    return row.notice_due_at is not None and p.contains(row.notice_at)


def is_noticed_in_time(row: CaseRow, p: Period) -> bool:
    """noticed in time: noticed in P, no later than its limit (5 working days after receipt)."""
    return (
        is_noticed(row, p)
        and row.notice_at is not None
        and row.notice_due_at is not None
        and row.notice_at <= row.notice_due_at
    )


class Counted(NamedTuple):
    """What one case counts as in P: each predicate above, evaluated once."""

    received: bool
    accepted: bool
    completed: bool
    completed_in_cohort: bool
    due: bool
    on_time: bool
    extended: bool
    noticed: bool
    noticed_in_time: bool

    @classmethod
    def of(cls, row: CaseRow, p: Period, now: datetime) -> Counted:
        return cls(
            received=is_received(row, p),
            accepted=is_accepted(row, p),
            completed=is_completed(row, p),
            completed_in_cohort=is_completed_in_cohort(row, p),
            due=is_due(row, p, now),
            on_time=is_on_time(row, p, now),
            extended=is_extended(row, p),
            noticed=is_noticed(row, p),
            noticed_in_time=is_noticed_in_time(row, p),
        )

    @property
    def at_all(self) -> bool:
        """Received, accepted, completed, due or noticed in P: what lists a case's group."""
        return self.received or self.accepted or self.completed or self.due or self.noticed


# --- tallies ------------------------------------------------------------------------------------


@dataclass
class CaseTally:
    """Running counts for one group (or the total); `indicators()` turns them into the report."""

    received: int = 0
    accepted: int = 0
    completed: int = 0
    cohort_completed: int = 0
    due: int = 0
    on_time: int = 0
    extended: int = 0
    one_visit: int = 0
    zero_visits: int = 0
    noticed: int = 0
    noticed_in_time: int = 0
    matters: set[tuple[str, str]] = field(default_factory=set)
    handoffs: int = 0
    visits: int = 0
    notice_violations: int = 0
    cases_with_notice_violations: int = 0
    working_seconds: list[float] = field(default_factory=list)

    def add(self, row: CaseRow, counted: Counted) -> None:
        if counted.received:
            self.received += 1
            self.handoffs += row.handoffs
            self.visits += row.visits
            self.notice_violations += row.notice_violations
            self.cases_with_notice_violations += row.notice_violations >= 1
        self.accepted += counted.accepted
        self.cohort_completed += counted.completed_in_cohort
        self.extended += counted.extended
        self.noticed += counted.noticed
        self.noticed_in_time += counted.noticed_in_time
        self.matters.add((row.centre, row.matter_code))
        if counted.completed:
            self.completed += 1
            self.one_visit += row.visits <= 1
            self.zero_visits += row.visits == 0
            if row.working_seconds is not None:
                self.working_seconds.append(row.working_seconds)
        self.due += counted.due
        self.on_time += counted.on_time

    def indicators(self, promises: Promises, working: WorkingDays | None = None) -> Indicators:
        """The report's figures; `working` when the working times were summarised elsewhere
        (`summed`), else from `working_seconds`."""
        limits = [promises[m] for m in sorted(self.matters) if m in promises]
        return Indicators(
            received=self.received,
            accepted=self.accepted,
            completed=self.completed,
            due=self.due,
            on_time=self.on_time,
            # overdue: due − on_time: everything due that was not 办结 by its deadline (completed
            # late, still open, or withdrawn/refused).
            overdue=self.due - self.on_time,
            extended=self.extended,
            # 办结率 (period cohort): of the cases accepted in P, those 办结 before P ended.
            completion_rate=rate(self.cohort_completed, self.accepted),
            # 按时办结率: on_time ÷ due.
            on_time_rate=rate(self.on_time, self.due),
            # 延期率: extended ÷ accepted.
            extension_rate=rate(self.extended, self.accepted),
            # 一次办成率: completed cases with visits ≤ 1 ÷ completed.
            one_visit_rate=rate(self.one_visit, self.completed),
            # hand-offs per case: sum(handoffs) ÷ received, over the cases received in P.
            handoffs_per_case=rate(self.handoffs, self.received, places=2),
            # 跑动次数 per case: sum(visits) ÷ received, over the cases received in P.
            visits_per_case=rate(self.visits, self.received, places=2),
            working_days=working if working is not None else working_days(self.working_seconds),
            # notice_violations: sum over the cases received in P of their one_time_notice.*
            # violation flags; cases_with_notice_violations: those with at least one.
            notice_violations=self.notice_violations,
            cases_with_notice_violations=self.cases_with_notice_violations,
            # 零跑动率: completed cases with visits = 0 ÷ completed (`visits`: 跑动次数 on the
            # case; domain brief §6, e.g. 梅州's ≥20% target, S29).
            zero_visit_rate=rate(self.zero_visits, self.completed),
            # 一次性告知 within 5 days: first 补正 notices given in P no later than their limit
            # (5 working days after receipt, 行政许可法 第三十二条) ÷ first notices given in P.
            notices=self.noticed,
            notice_in_time_rate=rate(self.noticed_in_time, self.noticed),
            # deemed accepted (视为受理): those notices given late; their clocks run from receipt.
            deemed_accepted=self.noticed - self.noticed_in_time,
            # 承诺时限压缩率 = 1 − 承诺/法定 (domain brief §6), over the distinct matters (by
            # centre) of the cases counted here whose policy lists both limits in one unit:
            # Σ(法定 − 承诺) ÷ Σ法定, so each matter weighs by its statutory days (one cut from 66
            # to 3 days counts for more than one cut from 5 to 3). Negative if a promise is
            # longer than the law.
            promise_compression=rate(
                sum(p.statutory - p.promised for p in limits), sum(p.statutory for p in limits)
            ),
        )


def timeliness(
    rows: Iterable[CaseRow],
    p: Period,
    group_by: GroupBy,
    now: datetime,
    promises: Promises | None = None,
) -> Report:
    """The indicators per group and in total, over `rows` (rows not touching P count nothing);
    `promises` gives the matters' limits for 承诺时限压缩率 (`promises_of`; none: null)."""
    promises = promises or {}
    total = CaseTally()
    groups: dict[str | None, CaseTally] = {}
    names = MatterNames()
    for row in rows:
        counted = Counted.of(row, p, now)
        if not counted.at_all:
            continue
        groups.setdefault(case_key(row, group_by), CaseTally()).add(row, counted)
        total.add(row, counted)
        names.see(row.matter_code, row.registered_at, row.matter_name)
    return Report(
        groups=[
            Group(
                key=key,
                matter_name=names.get(key) if group_by is GroupBy.MATTER else None,
                indicators=tally.indicators(promises),
            )
            for key, tally in in_key_order(groups)
        ],
        total=total.indicators(promises),
    )


def case_key(row: CaseRow, group_by: GroupBy) -> str | None:
    """A case's key under `group_by`: as every row's (`group_key`), or its channel."""
    return row.channel if group_by is GroupBy.CHANNEL else group_key(row, group_by)


def working_days(seconds: list[float]) -> WorkingDays:
    """Working time to complete, over the completed cases (as `is_completed`) with
    working_seconds set: working_seconds / 86400 in working days; the median is
    `statistics.median` (the mean of the two middle values for an even count) and p90 is
    nearest-rank (the ceil(0.9·n)-th smallest value); both rounded half up to 2 decimals, null
    when there are no values."""
    if not seconds:
        return WorkingDays(median=None, p90=None, n=0)
    ordered = sorted(seconds)  # floats sort fast; only the values picked become exact fractions
    n = len(ordered)
    return working_days_of(n, ordered[(n - 1) // 2], ordered[n // 2], ordered[p90_rank(n) - 1])


def p90_rank(n: int) -> int:
    """Nearest rank of p90 among n values, from 1: ceil(0.9·n), exact (no 0.9·n float error)."""
    return math.ceil(Fraction(9, 10) * n)


def working_days_of(n: int, lower: float, upper: float, at_p90: float) -> WorkingDays:
    """`working_days` from n sorted values' two middle ones (the same one for odd n) and the one
    at `p90_rank`: the median is their mean, exactly."""
    middle = [Fraction(lower), Fraction(upper)]
    return WorkingDays(
        median=round_half_up(statistics.median(middle) / WORKING_DAY_SECONDS, 2),
        p90=round_half_up(Fraction(at_p90) / WORKING_DAY_SECONDS, 2),
        n=n,
    )
