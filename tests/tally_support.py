"""The tallies migration 0025 keeps beside `view_cases`, checked against the case rows: each
table, kept statement by statement by the triggers (with what is still queued for it), equals what
the rows give summed from zero; and again after the queue is drained."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

from ledger.application.service import Ledger
from ledger.config.settings import Settings
from ledger.projections.base import Projection
from ledger.projections.projector import Projector
from ledger.store.database import Database
from tests.views_support import synthetic_cases

_SUMS = ("n", "handoffs", "visits", "notice_violations", "with_violations", "extended",
         "one_visit", "zero_visits", "on_time", "in_time")  # fmt: skip
_FROM_ZERO = (
    "ledger_case_contributions(ARRAY(SELECT ledger_case_facts_of(v) FROM view_cases v), '{}') c"
)
_QUEUED = (
    "ledger_case_contributions(ARRAY(SELECT facts FROM view_case_pending WHERE sign = 1), "
    "ARRAY(SELECT facts FROM view_case_pending WHERE sign = -1)) c"
)
_TALLY_KEY = "generation, grouped_by, centre, key, figure, day, until"
_MATTER_KEY = "generation, grouped_by, centre, key, day, by_due, matter_code, matter_name"
_COMPLETIONS = (
    'generation, case_id, centre, closed_day, department, "window", matter_code, channel, '
    "working_seconds"
)


def _rows(conn: psycopg.Connection[Any], query: str) -> set[tuple[Any, ...]]:
    return set(conn.execute(query).fetchall())


def assert_tallies_match_rows(conn: psycopg.Connection[Any]) -> None:
    """Every generation's tallies, matters and completions are the rows' own, from zero, with
    what is queued and once the queue is drained (rows whose counts fell to 0 aside: they count
    nothing)."""
    _assert_match(conn)
    assert conn.execute("SELECT ledger_case_tallies_drain()").fetchone() is not None
    assert conn.execute("SELECT count(*) FROM view_case_pending").fetchone() == (0,)
    _assert_match(conn)


def _assert_match(conn: psycopg.Connection[Any]) -> None:
    signed = ", ".join("sign AS n" if s == "n" else f"sign * {s} AS {s}" for s in _SUMS)
    summed = ", ".join(f"sum({s})" for s in _SUMS)
    kept = f"SELECT {_TALLY_KEY}, {', '.join(_SUMS)} FROM view_case_tallies"
    queued = f"SELECT {_TALLY_KEY}, {signed} FROM {_QUEUED}"
    tallies = _rows(
        conn,
        f"SELECT {_TALLY_KEY}, {summed} FROM ({kept} UNION ALL {queued}) t "
        f"GROUP BY {_TALLY_KEY} HAVING sum(n) <> 0",
    )
    from_zero = f"SELECT {_TALLY_KEY}, {signed} FROM {_FROM_ZERO}"
    expected = _rows(
        conn, f"SELECT {_TALLY_KEY}, {summed} FROM ({from_zero}) t GROUP BY {_TALLY_KEY}"
    )
    assert tallies == expected
    contributed = (
        "SELECT generation, grouped_by, centre, key, day, figure = 'due' AS by_due, matter_code, "
        "matter_name, sign AS n FROM {} WHERE figure <> 'cohort'"
    )
    kept = f"SELECT {_MATTER_KEY}, n FROM view_case_matters"
    matters = _rows(
        conn,
        f"SELECT {_MATTER_KEY}, sum(n) FROM ({kept} UNION ALL {contributed.format(_QUEUED)}) m "
        f"GROUP BY {_MATTER_KEY} HAVING sum(n) <> 0",
    )
    expected = _rows(
        conn,
        f"SELECT {_MATTER_KEY}, sum(n) FROM ({contributed.format(_FROM_ZERO)}) m "
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


_RATING_SUMS = ("ratings", '"default"', "excluded", "bad", "good", "good_active", "real_name_bad",
                "real_name_followed_up")  # fmt: skip
_RATING_KEY = "generation, grouped_by, centre, key, day"


def assert_rating_tallies_match_rows(conn: psycopg.Connection[Any]) -> None:
    """Every generation's rating tallies (migration 0026), kept statement by statement by the
    triggers on `view_ratings`, are the ratings' own summed from zero (rows whose counts all fell
    to 0 aside: they count nothing)."""
    summed = ", ".join(f"sum({s})" for s in _RATING_SUMS)
    nonzero = " OR ".join(f"{s} <> 0" for s in _RATING_SUMS)
    tallies = _rows(
        conn,
        f"SELECT {_RATING_KEY}, {', '.join(_RATING_SUMS)} FROM view_rating_tallies WHERE {nonzero}",
    )
    from_zero = "ledger_rating_contributions(ARRAY(SELECT v FROM view_ratings v), '{}')"
    expected = _rows(
        conn, f"SELECT {_RATING_KEY}, {summed} FROM {from_zero} GROUP BY {_RATING_KEY}"
    )
    assert tallies == expected
    assert tallies, "nothing was tallied"


def projected_without_triggers(
    database_factory: Callable[[], Database],
    settings: Settings,
    table: str,
    projection: Callable[[Ledger], Projection],
) -> Database:
    """A database of 40 synthetic cases projected by `projection` with the tally triggers on
    `table` dropped first: as before the migration that added them, rows and no tallies."""
    database = database_factory()
    ledger = Ledger(settings, database)
    try:
        synthetic_cases(ledger, 40)
        with psycopg.connect(database.owner_conninfo, autocommit=True) as conn:
            for trigger in ("insert", "update", "delete"):
                conn.execute(f"DROP TRIGGER {table}_tallies_{trigger} ON {table}")
        projector = Projector(database.app_conninfo, projection(ledger), batch_size=13)
        try:
            projector.catch_up()
        finally:
            projector.close()
    finally:
        ledger.close()
    return database
