"""The indicators report `GET /metrics/timeliness` serves: the timeliness indicators with the
12345, 办不成事 and 好差评 sections beside them, per group and in total.

**Groups.** Each row has one key per grouping, or none (it then counts in the total only, and
the group's section is null):

| grouping   | cases          | dispatches | tickets                   | 办不成事¹   | ratings     |
|------------|----------------|------------|---------------------------|-------------|-------------|
| department | department     | unit       | lead_unit (null: no unit) | department  | department  |
| window     | window         | -          | -                         | window      | window      |
| matter     | matter_code    | -          | -                         | matter_code | matter_code |
| channel    | channel        | -          | -                         | -           | -           |

¹ A report by the window it concerns, a consultation by where it was answered (`unresolved`).
By channel only the cases' indicators group; the other sections count in the total alone.

A group is listed when anything counts in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import NamedTuple

import msgspec

from ledger.projections.indicators.grouping import GroupBy, MatterNames, in_key_order
from ledger.projections.indicators.hotline import DispatchRow, TicketRow
from ledger.projections.indicators.hotline_tally import (
    HotlineIndicators,
    HotlineTally,
    tally_hotline,
)
from ledger.projections.indicators.period import Period
from ledger.projections.indicators.promises import Promises
from ledger.projections.indicators.ratings import (
    RatingIndicators,
    RatingRow,
    RatingsTally,
    completed_in,
    tally_ratings,
)
from ledger.projections.indicators.timeliness import CaseRow, Indicators, timeliness
from ledger.projections.indicators.timeliness import Report as CaseReport
from ledger.projections.indicators.unresolved import (
    ConsultationRow,
    UnresolvedIndicators,
    UnresolvedRow,
    UnresolvedTally,
    tally_unresolved,
)

HotlineSection = tuple[HotlineTally, dict[str | None, HotlineTally]]
"""The 12345 tallies in total and by unit (`hotline_tally.tally_hotline`)."""
UnresolvedSection = tuple[UnresolvedTally, dict[str | None, UnresolvedTally], MatterNames]
"""The 办不成事 tallies in total and by group, and the matters' names (`tally_unresolved`)."""
RatingsSection = tuple[RatingsTally, dict[str | None, RatingsTally]]
"""The 好差评 tallies in total and by group (`ratings.tally_ratings`)."""


class Sections(NamedTuple):
    """The sections beside the cases', tallied in Python over rows (`report`) or summed by
    PostgreSQL (`summed_hotline`, `summed_unresolved`, `summed_ratings`)."""

    hotline: HotlineSection
    unresolved: UnresolvedSection
    ratings: RatingsSection


DEFINITIONS_VERSION = "3"
"""Bumped whenever an indicator's definition (here and in the modules beside) changes: reports
with different versions are not comparable. 3: 12345 按时办结率 on the order's clock, 及时签收率
per order; 办不成事 per window, with consultations and 否定答复 reports; 差评整改率 and
实名差评回访率; cases withdrawn before their deadline leave 按时办结率; 零跑动率, 承诺时限压缩率
and the 5-day notice (issue 17)."""


class PushbackRows(msgspec.Struct, frozen=True, kw_only=True):
    dispatches: list[DispatchRow] = msgspec.field(default_factory=list)
    tickets: list[TicketRow] = msgspec.field(default_factory=list)
    unresolved: list[UnresolvedRow] = msgspec.field(default_factory=list)
    ratings: list[RatingRow] = msgspec.field(default_factory=list)
    consultations: list[ConsultationRow] = msgspec.field(default_factory=list)


class Group(msgspec.Struct, frozen=True, kw_only=True):
    key: str | None
    matter_name: str | None
    """Only when grouping by matter."""
    indicators: Indicators
    hotline: HotlineIndicators | None
    """Null when the grouping does not apply to 12345 orders (window, matter, channel)."""
    unresolved: UnresolvedIndicators | None
    ratings: RatingIndicators | None
    """Both null by channel."""


class Total(msgspec.Struct, frozen=True, kw_only=True):
    indicators: Indicators
    hotline: HotlineIndicators
    unresolved: UnresolvedIndicators
    ratings: RatingIndicators


class Report(msgspec.Struct, frozen=True, kw_only=True):
    groups: list[Group]
    total: Total


def report(
    cases: Iterable[CaseRow],
    rows: PushbackRows,
    p: Period,
    group_by: GroupBy,
    now: datetime,
    promises: Promises | None = None,
) -> Report:
    """The timeliness indicators (`timeliness.timeliness`, with the matters' limits `promises`)
    with the pushback sections, per group and in total."""
    cases = list(cases)
    base = timeliness(cases, p, group_by, now, promises)
    others_by = others_grouping(group_by)
    completed = completed_in(cases, p, others_by)
    sections = Sections(
        hotline=tally_hotline(
            rows.dispatches, rows.tickets, p, now, grouped=group_by is GroupBy.DEPARTMENT
        ),
        unresolved=tally_unresolved(rows.unresolved, p, now, others_by, rows.consultations),
        ratings=tally_ratings(completed, rows.ratings, p, now, others_by),
    )
    return assemble(base, sections, p, group_by, now)


def assemble(
    base: CaseReport, sections: Sections, p: Period, group_by: GroupBy, now: datetime
) -> Report:
    """`report` from the sections already computed: the cases' (by `timeliness`, or summed in
    `summed`), the 12345 one by unit when grouping by department, and the 办不成事 and ratings
    ones by `others_grouping(group_by)`, of which by channel only the totals are shown."""
    listed: dict[str | None, str | None] = {g.key: g.matter_name for g in base.groups}
    by_case = {g.key: g.indicators for g in base.groups}
    empty = timeliness((), p, group_by, now).total
    hotline_applies = group_by is GroupBy.DEPARTMENT
    others_apply = group_by is not GroupBy.CHANNEL  # 办不成事 and ratings: totals only

    total_h, hotline = sections.hotline
    total_u, unresolved, names = sections.unresolved
    total_r, ratings = sections.ratings
    if not hotline_applies:
        hotline = {}
    if not others_apply:
        unresolved, ratings = {}, {}
    for key in hotline.keys() | unresolved.keys() | ratings.keys():
        if key not in listed:
            listed[key] = names.get(key) if group_by is GroupBy.MATTER else None

    groups = []
    for key, name in in_key_order(listed):
        h = hotline.get(key, HotlineTally()) if hotline_applies else None
        u = unresolved.get(key, UnresolvedTally()) if others_apply else None
        r = ratings.get(key, RatingsTally()) if others_apply else None
        groups.append(
            Group(
                key=key,
                matter_name=name,
                indicators=by_case.get(key, empty),
                hotline=h.indicators() if h is not None else None,
                unresolved=u.indicators() if u is not None else None,
                ratings=r.indicators() if r is not None else None,
            )
        )
    return Report(
        groups=groups,
        total=Total(
            indicators=base.total,
            hotline=total_h.indicators(),
            unresolved=total_u.indicators(),
            ratings=total_r.indicators(),
        ),
    )


def others_grouping(group_by: GroupBy) -> GroupBy:
    """How the 办不成事 and ratings sections group: as the cases, but by department in place of
    channel (only their totals are shown then)."""
    return group_by if group_by is not GroupBy.CHANNEL else GroupBy.DEPARTMENT


def flat(value: object, prefix: str = "") -> Iterator[tuple[str, object]]:
    """A section as flat (column, value) pairs: nested `x` → `x_part`; a rate's `value` keeps the
    rate's own name (x, x_numerator, x_denominator)."""
    if isinstance(value, dict):
        for part, inner in value.items():
            name = prefix if part == "value" and prefix else f"{prefix}_{part}" if prefix else part
            yield from flat(inner, name)
    else:
        yield prefix, value
