"""The tallies migration 0025 keeps beside `view_cases`, checked against the case rows: each
table, kept statement by statement by the triggers, equals what the rows give summed from zero."""

from __future__ import annotations

from typing import Any

import psycopg

_SUMS = ("n", "handoffs", "visits", "notice_violations", "with_violations", "extended",
         "one_visit", "zero_visits", "on_time", "in_time")  # fmt: skip
_FROM_ZERO = (
    "ledger_case_contributions(ARRAY(SELECT ledger_case_facts_of(v) FROM view_cases v), '{}') c"
)
_TALLY_KEY = "generation, grouped_by, centre, key, figure, day, until"
_MATTER_KEY = "generation, grouped_by, centre, key, day, figure = 'due', matter_code, matter_name"
_COMPLETIONS = (
    'generation, case_id, centre, closed_day, department, "window", matter_code, channel, '
    "working_seconds"
)


def _rows(conn: psycopg.Connection[Any], query: str) -> set[tuple[Any, ...]]:
    return set(conn.execute(query).fetchall())


def assert_tallies_match_rows(conn: psycopg.Connection[Any]) -> None:
    """Every generation's tallies, matters and completions are the rows' own, from zero (rows
    whose counts fell to 0 aside: they count nothing)."""
    summed = ", ".join("sum(sign)" if s == "n" else f"sum(sign * {s})" for s in _SUMS)
    tallies = _rows(
        conn, f"SELECT {_TALLY_KEY}, {', '.join(_SUMS)} FROM view_case_tallies WHERE n <> 0"
    )
    expected = _rows(conn, f"SELECT {_TALLY_KEY}, {summed} FROM {_FROM_ZERO} GROUP BY {_TALLY_KEY}")
    assert tallies == expected
    anything = " OR ".join(f"{s} <> 0" for s in _SUMS)
    zero = conn.execute(
        f"SELECT count(*) FROM view_case_tallies WHERE n = 0 AND ({anything})"
    ).fetchone()
    assert zero == (0,), "a tally counting no case sums something"
    matters = _rows(
        conn,
        "SELECT generation, grouped_by, centre, key, day, by_due, matter_code, matter_name, n "
        "FROM view_case_matters WHERE n <> 0",
    )
    expected = _rows(
        conn,
        f"SELECT {_MATTER_KEY}, sum(sign) FROM {_FROM_ZERO} WHERE figure <> 'cohort' "
        f"GROUP BY {_MATTER_KEY}",
    )
    assert matters == expected
    completions = _rows(conn, f"SELECT {_COMPLETIONS} FROM view_case_completions")
    expected = _rows(
        conn,
        f"SELECT {_COMPLETIONS.replace('closed_day', 'ledger_beijing_day(closed_at)')} "
        "FROM view_cases WHERE status = 'completed' AND outcome IS DISTINCT FROM 'withdrawn' "
        "AND closed_at IS NOT NULL",
    )
    assert completions == expected
    assert tallies and matters, "nothing was tallied"
