"""The timeliness indicators summed by PostgreSQL: `timeliness`'s definitions as one aggregate
query over `view_cases`, so a report reads one row per group instead of every case.

Why: tallying in Python costs about 10 µs a case (decoding the row, then the predicates), so a
year of 100,000 cases took seconds and a month of 13,000 half a second. Summed where the rows
are, a month's report reads a few dozen rows.

`timeliness` stays the definition: its predicates are what the report means, what auditors
recompute and what the hand-computed tests check. The query below restates each of them, in the
same order and under the same name, as period arithmetic over columns (the 好差评 section is
summed likewise, in `summed_ratings`); `case_flags` is the one
place that says what each case counts as. `tests/integration/projections/test_summed.py` holds
the two together: over generated cases with every boundary (times at the period's ends and at
`now`, closed exactly at the deadline, withdrawn at it, missing times), for every grouping,
several periods and several `now`s, both give the same report, field for field.

The working times' median and p90 come back as the order statistics `timeliness.working_days`
would pick (`working_days_of`), so they are exact as there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ledger.domain.values import CaseStatus, Outcome
from ledger.projections.indicators.grouping import GroupBy, in_key_order
from ledger.projections.indicators.promises import Promises
from ledger.projections.indicators.timeliness import (
    CaseTally,
    Group,
    Report,
    WorkingDays,
    working_days_of,
)

KEY = {
    GroupBy.DEPARTMENT: "v.department",
    GroupBy.WINDOW: 'v."window"',
    GroupBy.MATTER: "v.matter_code",
    GroupBy.CHANNEL: "v.channel",
}
"""Each grouping's column (`timeliness.case_key`)."""

_COMPLETED, _WITHDRAWN = CaseStatus.COMPLETED.value, Outcome.WITHDRAWN.value


def in_period(column: str) -> str:
    """`Period.contains`: start ≤ column < end (false when the column is null)."""
    return f"coalesce({column} >= %(start)s AND {column} < %(end)s, false)"


def case_flags() -> str:
    """What each case counts as in P (`timeliness.Counted.of`), as boolean columns over the
    `view_cases` row `v`; each says which predicate of `timeliness` it restates."""
    banjie = f"(v.status = '{_COMPLETED}' AND v.outcome IS DISTINCT FROM '{_WITHDRAWN}')"
    withdrawn = f"(v.status = '{_COMPLETED}' AND v.outcome IS NOT DISTINCT FROM '{_WITHDRAWN}')"
    accepted = in_period("v.accepted_at")
    # held_to_deadline: not withdrawn at or before the deadline.
    held = f"NOT ({withdrawn} AND v.closed_at IS NOT NULL AND v.closed_at <= v.due_at)"
    due = f"({in_period('v.due_at')} AND v.due_at <= %(now)s AND {held})"
    noticed = f"(v.notice_due_at IS NOT NULL AND {in_period('v.notice_at')})"
    completed = f"({banjie} AND {in_period('v.closed_at')})"
    flags = {
        "received": in_period("v.registered_at"),  # is_received
        "accepted": accepted,  # is_accepted
        "completed": completed,  # is_completed
        # is_completed_in_cohort: accepted in P, 办结, closed before P ended
        "cohort": f"({accepted} AND {banjie} AND coalesce(v.closed_at < %(end)s, false))",
        "due": due,  # is_due
        # is_on_time: due, 办结, closed by the deadline
        "on_time": f"({due} AND {banjie} AND coalesce(v.closed_at <= v.due_at, false))",
        "extended": f"({accepted} AND v.extensions_approved >= 1)",  # is_extended
        "noticed": noticed,  # is_noticed
        # is_noticed_in_time
        "noticed_in_time": f"({noticed} AND coalesce(v.notice_at <= v.notice_due_at, false))",
    }
    return ",\n  ".join(f"{sql} AS {name}" for name, sql in flags.items())


_SUMS = {
    # CaseTally.add, field by field
    "received": "count(*) FILTER (WHERE received)",
    "handoffs": "coalesce(sum(handoffs) FILTER (WHERE received), 0)",
    "visits": "coalesce(sum(visits) FILTER (WHERE received), 0)",
    "notice_violations": "coalesce(sum(notice_violations) FILTER (WHERE received), 0)",
    "cases_with_notice_violations": "count(*) FILTER (WHERE received AND notice_violations >= 1)",
    "accepted": "count(*) FILTER (WHERE accepted)",
    "cohort_completed": "count(*) FILTER (WHERE cohort)",
    "extended": "count(*) FILTER (WHERE extended)",
    "noticed": "count(*) FILTER (WHERE noticed)",
    "noticed_in_time": "count(*) FILTER (WHERE noticed_in_time)",
    "completed": "count(*) FILTER (WHERE completed)",
    "one_visit": "count(*) FILTER (WHERE completed AND visits <= 1)",
    "zero_visits": "count(*) FILTER (WHERE completed AND visits = 0)",
    "due": "count(*) FILTER (WHERE due)",
    "on_time": "count(*) FILTER (WHERE on_time)",
}
_COUNTS = tuple(_SUMS)
_LATEST_NAME = (
    '(array_agg(matter_name ORDER BY registered_at DESC, matter_name COLLATE "C" DESC))[1]'
)
"""`MatterNames`: the name on the matter's most recent case (on a tie, the greater name)."""


def _touching(cases: str) -> str:
    """`cases` narrowed to the rows that can count in P (a moment inside it), as plain ranges so
    that each moment's index serves them."""
    moments = ("registered_at", "accepted_at", "closed_at", "due_at", "notice_at")
    ranges = (f"(v.{c} >= %(start)s AND v.{c} < %(end)s)" for c in moments)
    return f"{cases} AND (" + " OR ".join(ranges) + ")"


_DAY_OF = {  # a figure of the daily trend, the moment it counts by, and its flag
    "received": ("registered_at", "received"),
    "accepted": ("accepted_at", "accepted"),
    "completed": ("closed_at", "completed"),
    "due": ("due_at", "due"),
}


def daily_query(cases: str) -> str:
    """The 指标 page's daily trend over P: each day's received, accepted, completed, due and
    on-time counts, as (figure, day, n, on_time) rows; parameters start, end, now.

    Each figure counts a case by one moment (`timeliness`: registered, accepted, closed, due), so
    a case counted in P counts on the Beijing day that moment falls on, a day inside P, where the
    same predicate over that day alone holds: the day's figure is the report for `from=to=that
    day`, from `case_flags` over P grouped by day."""
    days = ", ".join(
        f"(v.{moment} AT TIME ZONE 'Asia/Shanghai')::date AS {figure}_on"
        for figure, (moment, _) in _DAY_OF.items()
    )
    parts = " UNION ALL ".join(
        f"SELECT '{figure}' AS figure, {figure}_on AS day, count(*) AS n, "
        f"count(*) FILTER (WHERE on_time) AS on_time FROM c WHERE {flag} GROUP BY {figure}_on"
        for figure, (_, flag) in _DAY_OF.items()
    )
    return f"WITH c AS (SELECT {days},\n  {case_flags()}\n  {_touching(cases)})\n{parts}"


def sums_query(group_by: GroupBy, cases: str, ratings: str) -> str:
    """One row per group (`total` false) and one for the total, over the cases `cases` selects
    (`FROM view_cases v … WHERE …`, ending in a condition), with the ratings `ratings` selects
    (`FROM view_ratings r WHERE …`, the live ones) for 主动评价率; parameters start, end, now."""
    sums = ",\n  ".join(f"{sql} AS {name}" for name, sql in _SUMS.items())
    return f"""
WITH c AS (
  SELECT {KEY[group_by]} AS key, v.case_id, v.centre, v.matter_code, v.matter_name,
  v.registered_at, v.visits, v.handoffs, v.notice_violations, v.working_seconds,
  {case_flags()}
  {_touching(cases)}
), counted AS (
  -- rated: 办结 in P with an active rating (ratings.is_active) at any time (主动评价率)
  SELECT *, CASE WHEN completed THEN EXISTS (SELECT 1 {ratings} AND r.case_id = c.case_id
    AND NOT r.is_default AND NOT r.excluded) ELSE false END AS rated
  FROM c WHERE received OR accepted OR completed OR due OR noticed
), summed AS (
  SELECT GROUPING(key) = 1 AS total, key,
  {sums},
  array_agg(DISTINCT centre || ' ' || matter_code) AS matters,
  {_LATEST_NAME if group_by is GroupBy.MATTER else "NULL"} AS matter_name,
  array_agg(working_seconds ORDER BY working_seconds)
    FILTER (WHERE completed AND working_seconds IS NOT NULL) AS ws,
  count(*) FILTER (WHERE rated) AS completed_rated
  FROM counted GROUP BY GROUPING SETS ((key), ())
)
SELECT total, key, {", ".join(_COUNTS)}, matters, matter_name, completed_rated,
  coalesce(cardinality(ws), 0) AS n, ws[(cardinality(ws) + 1) / 2] AS lower,
  ws[cardinality(ws) / 2 + 1] AS upper, ws[(9 * cardinality(ws) + 9) / 10] AS at_p90
FROM summed"""


class Matter(NamedTuple):
    """A (centre, matter code) some counted case names: `promises_of` takes them."""

    centre: str
    matter_code: str


class Completed(NamedTuple):
    """办结 cases completed in P, and how many of them have an active rating (主动评价率)."""

    completed: int = 0
    rated: int = 0


class Summed(NamedTuple):
    """The cases' section from the query's rows, with the 办结 cases completed in P in total and
    by group (`summed_ratings` takes them)."""

    report: Report
    completed: Completed
    completed_by: dict[str | None, Completed]


def matters_of(rows: Sequence[Mapping[str, Any]]) -> list[Matter]:
    """The matters the counted cases name (the total row's), for `promises_of`."""
    return [m for row in rows if row["total"] for m in _matters(row)]


def _matters(row: Mapping[str, Any]) -> list[Matter]:
    """A row's matters, each sent as "centre code" (a centre's name has no space)."""
    return [Matter(*m.split(" ", 1)) for m in row["matters"] or ()]


def summed_report(
    rows: Sequence[Mapping[str, Any]], group_by: GroupBy, promises: Promises | None = None
) -> Summed:
    """`timeliness.timeliness`'s report from `sums_query`'s rows, with the limits `promises` of
    the matters (`promises_of(matters_of(rows))`)."""
    promises = promises or {}
    total = CaseTally().indicators(promises)  # no case counted at all: the query has no rows
    groups: dict[str | None, Group] = {}
    completed, completed_by = Completed(), dict[str | None, Completed]()
    for row in rows:
        tally = CaseTally(**{name: row[name] for name in _COUNTS})
        tally.matters = set(_matters(row))
        indicators = tally.indicators(promises, _working(row))
        counts = Completed(row["completed"], row["completed_rated"])
        if row["total"]:
            total, completed = indicators, counts
            continue
        key = row["key"]
        name = row["matter_name"] if group_by is GroupBy.MATTER else None
        groups[key] = Group(key=key, matter_name=name, indicators=indicators)
        completed_by[key] = counts
    report = Report(groups=[g for _, g in in_key_order(groups)], total=total)
    return Summed(report, completed, completed_by)


def _working(row: Mapping[str, Any]) -> WorkingDays:
    if not row["n"]:
        return WorkingDays(median=None, p90=None, n=0)
    return working_days_of(row["n"], row["lower"], row["upper"], row["at_p90"])
