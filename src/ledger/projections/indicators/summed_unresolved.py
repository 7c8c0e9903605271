"""The 办不成事 section summed by PostgreSQL: `unresolved`'s definitions as aggregate queries over
the pushback view's reports and consultations, so a report reads a row per group (and per cause
and closure) instead of every report touching P.

Why: a month of 100,000 cases touches about 7,000 reports here, and reading, decoding and
tallying them in Python cost as much as the cases' sums. `unresolved` stays the definition; each
flag restates one of its predicates under the same name, and
`tests/integration/projections/test_summed_pushback.py` checks over drawn reports with every
boundary that both give the same section.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from ledger.projections.indicators.grouping import GroupBy, MatterNames
from ledger.projections.indicators.summed import KEY, in_period, touching
from ledger.projections.indicators.unresolved import OPEN, UnresolvedTally

_CONSULTATION_KEY = KEY | {GroupBy.DEPARTMENT: "v.unit"}
"""A report's key is a case's (`summed.KEY`); a consultation's department is its `unit`."""

_COUNTED = (  # unresolved_on_time is not None
    f"(v.due_at IS NOT NULL AND (({in_period('v.due_at')} AND v.due_at <= %(now)s) "
    f"OR {in_period('v.closed_at')}))"
)


def _reports(reports: str, group_by: GroupBy) -> str:
    """The reports touching P, each with its key and what it counts as (`UnresolvedTally.add`)."""
    return f"""
  SELECT {KEY[group_by]} AS key, v.matter_code, v.matter_name, v.reported_at AS at, v.cause,
    coalesce(v.closure, '{OPEN}') AS closure, v.negative_answer,
    {in_period("v.reported_at")} AS received, {in_period("v.closed_at")} AS closed,
    {_COUNTED} AS counted, {_COUNTED} AND v.closed_at <= v.due_at AS on_time
  {reports} AND ({touching("reported_at", "due_at", "closed_at")})"""


def reports_query(reports: str, group_by: GroupBy) -> str:
    """Per group and in total, `UnresolvedTally`'s counts over `reports` (`FROM view_unresolved v
    … WHERE …`, ending in a condition), and those received per cause and per closure (rows with
    `cause` or `closure` set)."""
    return f"""
WITH u AS ({_reports(reports, group_by)})
SELECT GROUPING(key) = 1 AS total, key,
  CASE WHEN GROUPING(cause) = 0 THEN cause END AS cause,
  CASE WHEN GROUPING(closure) = 0 THEN closure END AS closure,
  count(*) FILTER (WHERE received) AS received,
  count(*) FILTER (WHERE received AND negative_answer) AS negative_answers,
  count(*) FILTER (WHERE closed) AS closed,
  count(*) FILTER (WHERE counted) AS counted,
  count(*) FILTER (WHERE on_time) AS on_time
FROM u WHERE received OR closed OR counted
GROUP BY GROUPING SETS ((key), (), (key, cause), (cause), (key, closure), (closure))"""


def consultations_query(consultations: str, group_by: GroupBy) -> str:
    """Per group (where answered) and in total, the consultations recorded in P."""
    return f"""
SELECT GROUPING(key) = 1 AS total, key, count(*) AS consultations FROM (
  SELECT {_CONSULTATION_KEY[group_by]} AS key {consultations} AND {in_period("v.recorded_at")}
) c GROUP BY GROUPING SETS ((key), ())"""


def names_query(reports: str, consultations: str) -> str:
    """Each matter's latest name (`MatterNames`: the most recent counted row's; on a tie, the
    greater name) among the reports and consultations counted in P."""
    return f"""
SELECT matter_code, max(at) AS at,
  (array_agg(matter_name ORDER BY at DESC, matter_name COLLATE "C" DESC))[1] AS matter_name
FROM (
  SELECT matter_code, matter_name, at FROM ({_reports(reports, GroupBy.MATTER)}) u
  WHERE received OR closed OR counted
  UNION ALL
  SELECT v.matter_code, v.matter_name, v.recorded_at {consultations}
    AND {in_period("v.recorded_at")}
) n GROUP BY matter_code"""


def summed_unresolved(
    reports: Iterable[Mapping[str, Any]],
    consultations: Iterable[Mapping[str, Any]],
    names: Iterable[Mapping[str, Any]] = (),
) -> tuple[UnresolvedTally, dict[str | None, UnresolvedTally], MatterNames]:
    """`unresolved.tally_unresolved`'s result from the queries' rows."""
    tallies: defaultdict[tuple[bool, str | None], UnresolvedTally] = defaultdict(UnresolvedTally)
    for row in reports:
        tally = tallies[row["total"], row["key"]]  # the total's key is null (GROUPING)
        if row["cause"] is not None:
            if row["received"]:  # every known cause and closure is listed, received or not
                tally.by_cause[row["cause"]] = row["received"]
        elif row["closure"] is not None:
            if row["received"]:
                tally.by_closure[row["closure"]] = row["received"]
        else:
            for name in ("received", "negative_answers", "closed", "counted", "on_time"):
                setattr(tally, name, row[name])
    for row in consultations:
        tallies[row["total"], row["key"]].consultations = row["consultations"]
    latest = MatterNames((n["matter_code"], n["at"], n["matter_name"]) for n in names)
    total = tallies.pop((True, None), UnresolvedTally())
    return total, {key: tally for (_, key), tally in tallies.items()}, latest
