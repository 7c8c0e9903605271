"""The 好差评 section summed by PostgreSQL: `ratings`' definitions as one aggregate query over
`view_ratings`, so a report reads one row per group instead of every rating.

Why: a month of 100,000 cases holds about as many ratings, and decoding each into a `RatingRow`
and tallying it in Python cost more than the rest of the report. As in `summed`, `ratings` stays
the definition; each column below restates one of its predicates under the same name, and
`tests/integration/projections/test_summed.py` checks that both give the same section over
drawn ratings with every boundary. 主动评价率's cases come from the cases' sums (`summed`'s
`completed` and `rated`), so no case id crosses the wire.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ledger.domain.ratings.records import BAD_REVIEW_LEVEL, BadReviewValidity
from ledger.projections.indicators.grouping import GroupBy
from ledger.projections.indicators.ratings import RatingsTally
from ledger.projections.indicators.summed import KEY, Summed, in_period

_VALID = BadReviewValidity.VALID.value
_BAD = f"v.level <= {BAD_REVIEW_LEVEL}"


def _flags() -> str:
    # needs_rectification: a 差评 with a rectify_due, not excluded, not awaiting an appeal
    needs = (
        f"({_BAD} AND NOT v.excluded AND v.rectify_due IS NOT NULL AND (v.validity IS NULL "
        f"OR v.validity = '{_VALID}' OR v.appeal_upheld IS FALSE))"
    )
    flags = {
        "rated": in_period("v.rated_at"),  # p.contains(r.rated_at)
        # rectify_outcome is not None: rectify_due in P and passed, or rectified in P
        "counted": (
            f"({needs} AND (({in_period('v.rectify_due')} AND v.rectify_due <= %(now)s) "
            f"OR {in_period('v.rectified_at')}))"
        ),
    }
    return ",\n  ".join(f"{sql} AS {name}" for name, sql in flags.items())


_SUMS = {
    # RatingsTally.add_rating, field by field
    "ratings": "count(*) FILTER (WHERE rated AND NOT excluded)",
    "default": "count(*) FILTER (WHERE rated AND NOT excluded AND is_default)",
    "excluded": "count(*) FILTER (WHERE rated AND excluded)",
    "bad": f"count(*) FILTER (WHERE rated AND NOT excluded AND level <= {BAD_REVIEW_LEVEL})",
    "good": "count(*) FILTER (WHERE rated AND NOT excluded AND level >= 3)",
    "good_active": (
        "count(*) FILTER (WHERE rated AND NOT excluded AND level >= 3 AND NOT is_default)"
    ),
    # is_real_name_bad, and is_followed_up
    "real_name_bad": (
        f"count(*) FILTER (WHERE rated AND real_name AND level <= {BAD_REVIEW_LEVEL} "
        "AND NOT excluded)"
    ),
    "real_name_followed_up": (
        f"count(*) FILTER (WHERE rated AND real_name AND level <= {BAD_REVIEW_LEVEL} "
        "AND NOT excluded AND validity IS NOT NULL)"
    ),
    # rectify_outcome: counted; on time; rectified by now
    "rectify_counted": "count(*) FILTER (WHERE counted)",
    "rectified_on_time": "count(*) FILTER (WHERE counted AND rectified_at <= rectify_due)",
    "rectified": "count(*) FILTER (WHERE counted AND rectified_at <= %(now)s)",
}


def ratings_query(group_by: GroupBy, ratings: str) -> str:
    """One row per group (`total` false) and one for the total over the ratings `ratings`
    selects (`FROM view_ratings v … WHERE …`, ending in a condition), by `group_by` (department,
    window or matter: a rating's key at rating time); parameters start, end, now."""
    touching = " OR ".join(in_period(f"v.{c}") for c in ("rated_at", "rectify_due", "rectified_at"))
    sums = ",\n  ".join(f'{sql} AS "{name}"' for name, sql in _SUMS.items())
    return f"""
WITH r AS (
  SELECT {KEY[group_by]} AS key, v.excluded, v.is_default, v.level, v.real_name, v.validity,
  v.rectify_due, v.rectified_at,
  {_flags()}
  {ratings} AND ({touching})
)
SELECT GROUPING(key) = 1 AS total, key,
  {sums}
FROM r WHERE rated OR counted GROUP BY GROUPING SETS ((key), ())"""


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
