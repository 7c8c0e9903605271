"""办不成事 indicators (domain brief §3): pure arithmetic over the "pushback" view's
`view_unresolved` and `view_consultations` rows (migrations/0006, 0017), under the timeliness
conventions (`period`, `rates`).

**Groups.** By department (the unit holding the case), window or matter (code; named after the
matter's latest report counted). By window, a report counts under the window it concerns (the
case's window when it was reported, or the one the report named): the monthly 通报 names the
window with the most reports (domain brief §3 Controls, S14), so `received` per window over a
month is that count. A consultation counts where it was answered.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from ledger.domain.unresolved.records import UnresolvedCause, UnresolvedClosure
from ledger.projections.indicators.grouping import GroupBy, MatterNames, group_key
from ledger.projections.indicators.period import Period
from ledger.projections.indicators.rates import Rate, rate

OPEN = "open"
"""The `by_closure` key of a 办不成事 report not closed yet."""
_CAUSES = tuple(c.value for c in UnresolvedCause)
_CLOSURES = (*(c.value for c in UnresolvedClosure), OPEN)


class UnresolvedRow(msgspec.Struct, frozen=True, kw_only=True):
    """The columns of one `view_unresolved` row that the indicators read."""

    department: str
    matter_code: str
    matter_name: str
    cause: str
    reported_at: datetime
    due_at: datetime | None
    closure: str | None
    closed_at: datetime | None
    window: str | None = None  # the window it concerns
    negative_answer: bool = False


class ConsultationRow(msgspec.Struct, frozen=True, kw_only=True):
    """The columns of one `view_consultations` row that the indicators read."""

    department: str  # the unit where it was answered
    window: str | None
    matter_code: str
    matter_name: str
    recorded_at: datetime


class UnresolvedIndicators(msgspec.Struct, frozen=True, kw_only=True):
    received: int
    negative_answers: int
    by_cause: dict[str, int]
    by_closure: dict[str, int]
    closed: int
    on_time_rate: Rate
    consultations: int


def unresolved_on_time(u: UnresolvedRow, p: Period, now: datetime) -> bool | None:
    """办不成事 按时办结: None not counted; counted when due_at is set and either due_at is in P
    and ≤ now, or closed_at is in P; True when closed (any closure) with closed_at ≤ due_at."""
    if u.due_at is None:
        return None
    if not ((p.contains(u.due_at) and u.due_at <= now) or p.contains(u.closed_at)):
        return None
    return u.closed_at is not None and u.closed_at <= u.due_at


@dataclass
class UnresolvedTally:
    received: int = 0
    by_cause: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_CAUSES, 0))
    by_closure: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_CLOSURES, 0))
    closed: int = 0
    counted: int = 0
    on_time: int = 0
    negative_answers: int = 0
    consultations: int = 0

    def add(self, u: UnresolvedRow, p: Period, now: datetime) -> bool:
        touched = False
        if p.contains(u.reported_at):
            touched = True
            self.received += 1
            self.negative_answers += u.negative_answer
            self.by_cause[u.cause] = self.by_cause.get(u.cause, 0) + 1
            closure = OPEN if u.closure is None else u.closure
            self.by_closure[closure] = self.by_closure.get(closure, 0) + 1
        if p.contains(u.closed_at):
            touched = True
            self.closed += 1
        outcome = unresolved_on_time(u, p, now)
        if outcome is not None:
            touched = True
            self.counted += 1
            self.on_time += outcome
        return touched

    def add_consultation(self, c: ConsultationRow, p: Period) -> bool:
        if p.contains(c.recorded_at):
            self.consultations += 1
            return True
        return False

    def indicators(self) -> UnresolvedIndicators:
        return UnresolvedIndicators(
            # received: reported_at in P (the 通报's count, by window); negative_answers: of
            # those, filed with a refusal (否定答复报告); by_cause / by_closure: those received, by
            # cause and by current closure (`open` while not closed, `consultation_only` for a
            # report that was only a question); every key always present.
            received=self.received,
            negative_answers=self.negative_answers,
            by_cause=dict(self.by_cause),
            by_closure=dict(self.by_closure),
            # closed: closed_at in P (any closure).
            closed=self.closed,
            # 按时办结率 (see unresolved_on_time).
            on_time_rate=rate(self.on_time, self.counted),
            # consultations (咨询 answered, no report): recorded_at in P, where answered.
            consultations=self.consultations,
        )


def tally_unresolved(
    reports: list[UnresolvedRow],
    p: Period,
    now: datetime,
    group_by: GroupBy,
    consultations: list[ConsultationRow] | None = None,
) -> tuple[UnresolvedTally, dict[str | None, UnresolvedTally], MatterNames]:
    """Also each matter's latest name (by reported_at, recorded_at) among the rows counted."""
    total, groups = UnresolvedTally(), defaultdict[str | None, UnresolvedTally](UnresolvedTally)
    names = MatterNames()
    for u in reports:
        if total.add(u, p, now):
            names.see(u.matter_code, u.reported_at, u.matter_name)
            groups[group_key(u, group_by)].add(u, p, now)
    for c in consultations or []:
        if total.add_consultation(c, p):
            names.see(c.matter_code, c.recorded_at, c.matter_name)
            groups[group_key(c, group_by)].add_consultation(c, p)
    return total, dict(groups), names
