"""办不成事 indicators (domain brief §3): pure arithmetic over the "pushback" view's
`view_unresolved` rows (migrations/0006), under the timeliness conventions (`period`, `rates`).

**Groups.** By department or matter (code; named after the matter's latest report counted); by
window the section is null.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from ledger.domain.unresolved.records import UnresolvedCause, UnresolvedClosure
from ledger.projections.indicators.grouping import GroupBy, MatterNames
from ledger.projections.indicators.period import Period
from ledger.projections.indicators.rates import Rate, rate

OPEN = "open"
"""The `by_closure` key of a 办不成事 report not closed yet."""


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


class UnresolvedIndicators(msgspec.Struct, frozen=True, kw_only=True):
    received: int
    by_cause: dict[str, int]
    by_closure: dict[str, int]
    closed: int
    on_time_rate: Rate


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
    by_cause: dict[str, int] = field(default_factory=lambda: {c.value: 0 for c in UnresolvedCause})
    by_closure: dict[str, int] = field(
        default_factory=lambda: {**{c.value: 0 for c in UnresolvedClosure}, OPEN: 0}
    )
    closed: int = 0
    counted: int = 0
    on_time: int = 0

    def add(self, u: UnresolvedRow, p: Period, now: datetime) -> bool:
        touched = False
        if p.contains(u.reported_at):
            touched = True
            self.received += 1
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

    def indicators(self) -> UnresolvedIndicators:
        return UnresolvedIndicators(
            # received: reported_at in P; by_cause / by_closure: those received, by cause and by
            # current closure (`open` while not closed); every key always present.
            received=self.received,
            by_cause=dict(self.by_cause),
            by_closure=dict(self.by_closure),
            # closed: closed_at in P (any closure).
            closed=self.closed,
            # 按时办结率 (see unresolved_on_time).
            on_time_rate=rate(self.on_time, self.counted),
        )


def tally_unresolved(
    reports: list[UnresolvedRow], p: Period, now: datetime, group_by: GroupBy
) -> tuple[UnresolvedTally, dict[str | None, UnresolvedTally], MatterNames]:
    """Also each matter's latest name (by reported_at) among the reports counted."""
    total, groups = UnresolvedTally(), dict[str | None, UnresolvedTally]()
    names = MatterNames()
    for u in reports:
        if not total.add(u, p, now):
            continue
        names.see(u.matter_code, u.reported_at, u.matter_name)
        if group_by is not GroupBy.WINDOW:
            key = u.department if group_by is GroupBy.DEPARTMENT else u.matter_code
            groups.setdefault(key, UnresolvedTally()).add(u, p, now)
    return total, groups, names
