"""The 好差评 section summed by PostgreSQL: `ratings`' definitions as one aggregate query, so a
report reads a few rows per day and group instead of every rating.

Why: a month of 100,000 cases holds about as many ratings, and decoding each into a `RatingRow`
and tallying it in Python cost more than the rest of the report; even summing them in one query
read every rating of the month (44,000 rows, 26 ms). The figures that count a rating by the day
it was rated come from the per-day tallies migration 0026 keeps (`view_rating_tallies`); the
rectification figures count a 差评 by either of two moments, which no per-day sum gives without
double counting, and are read from the few 差评 with a deadline. As in `summed`, `ratings` stays
the definition; each column below (and in migration 0026) restates one of its predicates under
the same name, and `tests/integration/projections/test_summed.py` checks that both give the same
section over drawn ratings with every boundary. 主动评价率's cases come from the cases' sums
(`summed`'s `completed` and `rated`), so no case id crosses the wire.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ledger.domain.ratings.records import BAD_REVIEW_LEVEL, BadReviewValidity
from ledger.projections.indicators.grouping import GroupBy
from ledger.projections.indicators.ratings import RatingsTally
from ledger.projections.indicators.summed import KEY, Summed, touching

_VALID = BadReviewValidity.VALID.value
_BAD = f"v.level <= {BAD_REVIEW_LEVEL}"


_TALLIED = ("ratings", "default", "excluded", "bad", "good", "good_active", "real_name_bad",
            "real_name_followed_up")  # fmt: skip
"""RatingsTally.add_rating, field by field: counted by the day rated, summed from the tallies
migration 0026 keeps (`view_rating_tallies`, one column each)."""

_NEEDS_RECTIFICATION = (
    # needs_rectification: a 差评 with a rectify_due, not excluded, not awaiting an appeal
    f"{_BAD} AND NOT v.excluded AND v.rectify_due IS NOT NULL AND (v.validity IS NULL "
    f"OR v.validity = '{_VALID}' OR v.appeal_upheld IS FALSE)"
)
_RECTIFIED = {
    # rectify_outcome: counted (rectify_due in P and passed, or rectified in P); on time; by now
    "rectify_counted": "1",
    "rectified_on_time": "coalesce(v.rectified_at <= v.rectify_due, false)::int",
    "rectified": "coalesce(v.rectified_at <= %(now)s, false)::int",
}
_SUMS = (*_TALLIED, *_RECTIFIED)


def ratings_query(group_by: GroupBy, ratings: str, tallies: str) -> str:
    """One row per group (`total` false) and one for the total: the ratings rated in P summed
    from their per-day `tallies` (`FROM view_rating_tallies v … WHERE …`), and the rectification
    figures over the ratings `ratings` selects (`FROM view_ratings v … WHERE …`), each ending in a
    condition; by `group_by` (department, window or matter: a rating's key at rating time);
    parameters first, last, start, end, now. A group is listed when a rating of it was rated or
    counted for rectification in P."""
    tallied = ", ".join(f'v."{name}"' for name in _TALLIED)
    rectified = ", ".join(f'{sql} AS "{name}"' for name, sql in _RECTIFIED.items())
    sums = ",\n  ".join(f'coalesce(sum("{name}"), 0)::bigint AS "{name}"' for name in _SUMS)
    counted = (  # the rectification figures' ratings: by either moment, through their indexes
        f"{ratings} AND {_NEEDS_RECTIFICATION} AND (({touching('rectify_due')} AND "
        f"v.rectify_due <= %(now)s) OR {touching('rectified_at')})"
    )
    return f"""
WITH r AS (
  SELECT v.key, {tallied}, {_zeros(_RECTIFIED)}
  {tallies} AND v.grouped_by = '{group_by}' AND v.day >= %(first)s AND v.day <= %(last)s
  UNION ALL
  SELECT {KEY[group_by]}, {_zeros(_TALLIED)}, {rectified}
  {counted}
)
SELECT GROUPING(key) = 1 AS total, key,
  {sums}
FROM r GROUP BY GROUPING SETS ((key), ())
HAVING GROUPING(key) = 1 OR sum(ratings) + sum(excluded) <> 0 OR sum(rectify_counted) <> 0"""


def _zeros(names: Iterable[str]) -> str:
    """A branch's columns for the figures the other branch of the union sums."""
    return ", ".join(f'0 AS "{name}"' for name in names)


def summed_ratings(
    rows: Sequence[Mapping[str, Any]], cases: Summed, group_by: GroupBy
) -> tuple[RatingsTally, dict[str | None, RatingsTally]]:
    """`ratings.tally_ratings`' result from `ratings_query`'s rows and the 办结 cases completed
    in P (`cases`, summed by `group_by`, the cases' grouping: by channel only the total counts,
    as `report.assemble` shows)."""
    total, groups = RatingsTally(), dict[str | None, RatingsTally]()
    for row in rows:
        tally = RatingsTally(**{name: row[name] for name in _SUMS})
        if row["total"]:
            total = tally
        else:
            groups[row["key"]] = tally
    total.completed, total.completed_rated = cases.completed
    for key, (completed, rated) in cases.completed_by.items():
        if completed and group_by is not GroupBy.CHANNEL:
            tally = groups.setdefault(key, RatingsTally())
            tally.completed, tally.completed_rated = completed, rated
    return total, groups
