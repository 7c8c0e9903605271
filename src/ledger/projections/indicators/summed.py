"""The timeliness indicators summed by PostgreSQL from per-day tallies: `timeliness`'s
definitions as sums over the days of P, so a report reads a few rows per day and group instead of
every case that counts in P.

Why: tallying in Python costs about 10 µs a case, and even summing the case rows in one query read
every counting row (a month of 100,000 cases: 85,000 rows, 34,000 pages, 0.5–0.8 s). Migration
0025 keeps beside `view_cases` what each case counts as on the Beijing day of each figure's moment
(`ledger_case_contributions`): a moment is in P exactly when its day is, so P's figure is the sum
of its days'. Its triggers queue each change in the view's transaction and a drainer moves the
queue into the tallies once a second (`views.case_tallies`); the queries here add what is still
queued, so they are exact either way. Two figures need more than a day: the cohort carries its
closing day (closed before P ended), and a deadline counts as due only once `now` has passed it,
so the current day's deadlines are read from the case rows (`_due_today`). The working times'
median and p90 are order statistics, read from one narrow row per 办结 case
(`view_case_completions`), which also joins the ratings for 主动评价率.

`timeliness` stays the definition: its predicates are what the report means, what auditors
recompute and what the hand-computed tests check. `case_flags` restates them over a case row for
P, and `ledger_case_contributions` (migrations/0025) per day, each under the same name.
`tests/integration/projections/test_summed.py` holds them together: over generated cases with
every boundary (times at the period's ends and at `now`, closed exactly at the deadline, withdrawn
at it, missing times), for every grouping, several periods and several `now`s, both give the same
report, field for field, also after the cases were changed, moved and deleted by statements of
many rows (the tallies then also equal the rows summed from zero).

The working times' median and p90 come back as the order statistics `timeliness.working_days`
would pick (`working_days_of`), so they are exact as there.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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


_TALLIED = {  # CaseTally's counts: the tallies' (figure, column) summed over P's days
    "received": ("received", "n"),
    "handoffs": ("received", "handoffs"),
    "visits": ("received", "visits"),
    "notice_violations": ("received", "notice_violations"),
    "cases_with_notice_violations": ("received", "with_violations"),
    "accepted": ("accepted", "n"),
    "cohort_completed": ("cohort", "n"),
    "extended": ("accepted", "extended"),
    "noticed": ("noticed", "n"),
    "noticed_in_time": ("noticed", "in_time"),
    "completed": ("completed", "n"),
    "one_visit": ("completed", "one_visit"),
    "zero_visits": ("completed", "zero_visits"),
    "due": ("due", "n"),
    "on_time": ("due", "on_time"),
}
_COUNTS = tuple(_TALLIED)
_COLUMNS = ("n", "handoffs", "visits", "notice_violations", "with_violations", "extended",
            "one_visit", "zero_visits", "on_time", "in_time")  # fmt: skip
_LATEST_NAME = (
    '(array_agg(matter_name ORDER BY registered_at DESC, matter_name COLLATE "C" DESC))[1]'
)
"""`MatterNames`: the name on the matter's most recent case (on a tie, the greater name)."""
_DAYS = "v.day >= %(first)s AND v.day <= %(last)s"
_TODAY = "ledger_beijing_day(%(now)s)"
_NOT_YET_DUE = f"(v.figure <> 'due' OR v.day < {_TODAY})"
"""Deadlines of the current day count only as `now` passes them (`_due_today`)."""


class Sources(NamedTuple):
    """Where the sums read, each `FROM <table> v … WHERE …` (ending in a condition) over the
    cases view's live generation, scoped by `{centre}`: the case rows, and the tallies, matters
    and completions migration 0025 keeps beside them, and the contributions of the facts still
    queued for the tallies (`ledger_case_contributions` over `view_case_pending`, signed); and
    the live ratings (`FROM view_ratings r … WHERE …`, for 主动评价率)."""

    cases: str
    tallies: str
    matters: str
    completions: str
    pending: str
    ratings: str


Run = Callable[..., list[dict[str, Any]]]
"""Runs a query with P's parameters (start, end, first, last, centres, now) and any more given
by keyword, returning its rows as dicts."""


def touching(*moments: str) -> str:
    """Any of the row `v`'s `moments` inside P, as plain ranges so that each moment's index
    serves them (a null moment is simply not inside)."""
    return " OR ".join(f"(v.{c} >= %(start)s AND v.{c} < %(end)s)" for c in moments)


def _touching(cases: str) -> str:
    """`cases` narrowed to the rows that can count in P (a moment inside it)."""
    moments = ("registered_at", "accepted_at", "closed_at", "due_at", "notice_at")
    return f"{cases} AND ({touching(*moments)})"


def _due_today(cases: str, group_by: GroupBy, columns: str) -> str:
    """`columns` over the cases due in P on the current Beijing day by `now`: is_due waits for
    the deadline to pass, so that day is decided per case (`case_flags`), and the tallies give
    only the days before it."""
    today = f"({_TODAY}::timestamp AT TIME ZONE 'Asia/Shanghai')"
    return (
        f"SELECT {columns} FROM (SELECT {KEY[group_by]} AS key, v.centre, v.matter_code, "
        f"v.matter_name, v.due_at, {case_flags()}\n  {cases} AND v.due_at >= "
        f"greatest(%(start)s, {today}) AND v.due_at < %(end)s) c WHERE due"
    )


def tallies_query(group_by: GroupBy, sources: Sources) -> str:
    """CaseTally's counts per group (`total` false) and in total, summed over P's days from the
    tallies, with the cases due on the current day (`_due_today`)."""
    sums = ",\n  ".join(
        f"coalesce(sum({column}) FILTER (WHERE figure = '{figure}'), 0)::bigint AS {name}"
        for name, (figure, column) in _TALLIED.items()
    )
    due = "key, 'due', 1, 0, 0, 0, 0, 0, 0, 0, on_time::int, 0"
    queued = ", ".join("v.sign" if c == "n" else f"v.sign * v.{c}" for c in _COLUMNS)
    in_p = f"""v.grouped_by = '{group_by}' AND {_DAYS} AND {_NOT_YET_DUE}
  AND (v.figure <> 'cohort' OR v.until <= %(last)s)"""
    return f"""
WITH t AS (
  SELECT v.key, v.figure, {", ".join(f"v.{c}" for c in _COLUMNS)}
  {sources.tallies} AND {in_p}
  UNION ALL
  SELECT v.key, v.figure, {queued} {sources.pending} AND {in_p}
  UNION ALL
  {_due_today(sources.cases, group_by, due)}
)
SELECT GROUPING(key) = 1 AS total, key,
  {sums}
FROM t GROUP BY GROUPING SETS ((key), ()) HAVING GROUPING(key) = 1 OR sum(n) <> 0"""


def matters_query(group_by: GroupBy, sources: Sources) -> str:
    """Per group and in total, the matters (as "centre code") and the names the counted cases
    carry."""
    in_p = f"v.grouped_by = '{group_by}' AND {_DAYS}"
    return f"""
WITH m AS (
  SELECT v.key, v.centre, v.matter_code, v.matter_name, v.n
  {sources.matters} AND {in_p} AND (NOT v.by_due OR v.day < {_TODAY})
  UNION ALL
  SELECT v.key, v.centre, v.matter_code, v.matter_name, v.sign
  {sources.pending} AND {in_p} AND v.figure <> 'cohort' AND {_NOT_YET_DUE}
  UNION ALL
  {_due_today(sources.cases, group_by, "key, centre, matter_code, matter_name, 1")}
), counted AS (
  SELECT key, centre, matter_code, matter_name FROM m GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0
)
SELECT GROUPING(key) = 1 AS total, key, array_agg(DISTINCT centre || ' ' || matter_code) AS matters,
  array_agg(DISTINCT matter_name) AS names
FROM counted GROUP BY GROUPING SETS ((key), ())"""


def names_query(cases: str) -> str:
    """Each matter in `renamed` (its counted cases carry several names): the name on its most
    recent counted case, from the case rows."""
    return f"""
SELECT matter_code AS key, {_LATEST_NAME} AS matter_name FROM (
  SELECT v.matter_code, v.matter_name, v.registered_at, {case_flags()}
  {_touching(cases + " AND v.matter_code = ANY(%(renamed)s)")}
) c WHERE received OR accepted OR completed OR due OR noticed GROUP BY matter_code"""


def completions_query(group_by: GroupBy, sources: Sources) -> str:
    """Per group and in total, the 办结 cases completed in P: how many have an active rating
    (ratings.is_active, at any time; 主动评价率) and their working times' order statistics."""
    return f"""
WITH c AS (
  SELECT {KEY[group_by]} AS key, v.working_seconds, EXISTS (SELECT 1 {sources.ratings}
    AND r.case_id = v.case_id AND NOT r.is_default AND NOT r.excluded) AS rated
  {sources.completions} AND v.closed_day >= %(first)s AND v.closed_day <= %(last)s
), summed AS (
  SELECT GROUPING(key) = 1 AS total, key, count(*) FILTER (WHERE rated) AS completed_rated,
  array_agg(working_seconds ORDER BY working_seconds)
    FILTER (WHERE working_seconds IS NOT NULL) AS ws
  FROM c GROUP BY GROUPING SETS ((key), ())
)
SELECT total, key, completed_rated, coalesce(cardinality(ws), 0) AS n,
  ws[(cardinality(ws) + 1) / 2] AS lower, ws[cardinality(ws) / 2 + 1] AS upper,
  ws[(9 * cardinality(ws) + 9) / 10] AS at_p90
FROM summed"""


_NOTHING_COMPLETED = {"completed_rated": 0, "n": 0, "lower": None, "upper": None, "at_p90": None}


def summed_rows(
    run: Run, group_by: GroupBy, sources: Sources, completed: Callable[[], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The cases' section as rows per group and in total (what `summed_report` reads): the
    tallies' counts, the matters counted, a matter group's name, and the completions' figures
    (`completed` gives `completions_query`'s rows: the caller may run it beside these)."""
    rows = run(tallies_query(group_by, sources))
    matters = {(m["total"], m["key"]): m for m in run(matters_query(group_by, sources))}
    completions = {(c["total"], c["key"]): c for c in completed()}
    names: dict[str, str] = {}
    if group_by is GroupBy.MATTER:
        for m in matters.values():
            if not m["total"] and len(m["names"]) == 1:
                names[m["key"]] = m["names"][0]
        renamed = [m["key"] for m in matters.values() if not m["total"] and len(m["names"]) > 1]
        if renamed:
            names |= {
                n["key"]: n["matter_name"] for n in run(names_query(sources.cases), renamed=renamed)
            }
    summed = []
    for row in rows:
        at = (row["total"], row["key"])
        figures = {**_NOTHING_COMPLETED, **completions.get(at, {})}
        summed.append(
            row
            | {"matters": matters[at]["matters"] if at in matters else None}
            | {"matter_name": names.get(row["key"]) if not row["total"] else None}
            | {k: figures[k] for k in _NOTHING_COMPLETED}
        )
    return summed


def daily_query(sources: Sources) -> str:
    """The 指标 page's daily trend over P: each day's received, accepted, completed, due and
    on-time counts, as (figure, day, n, on_time) rows, from the tallies of every channel (each
    case has one) and the cases due on the current day.

    Each figure counts a case by one moment (`timeliness`: registered, accepted, closed, due), so
    a day's figure is the report's for `from=to=that day`."""
    figures = ", ".join(f"'{figure}'" for figure in ("received", "accepted", "completed", "due"))
    in_p = f"v.grouped_by = 'channel' AND {_DAYS} AND v.figure IN ({figures}) AND {_NOT_YET_DUE}"
    return f"""
SELECT figure, day, sum(n)::bigint AS n, sum(on_time)::bigint AS on_time FROM (
  SELECT v.figure, v.day, v.n, v.on_time {sources.tallies} AND {in_p}
  UNION ALL
  SELECT v.figure, v.day, v.sign, v.sign * v.on_time {sources.pending} AND {in_p}
) d GROUP BY figure, day
UNION ALL
SELECT 'due', ledger_beijing_day(due_at), count(*), count(*) FILTER (WHERE on_time)
FROM ({_due_today(sources.cases, GroupBy.CHANNEL, "due_at, on_time")}) d GROUP BY 2"""


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
