"""What the summed reports' differential tests share (`test_summed`, `test_summed_pushback`): the
periods and `now`s compared, the instants rows are drawn from (every bound, a microsecond before
it, every `now`), and a row written straight into a view's table."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import psycopg

from ledger.domain.calendar import SHANGHAI
from ledger.projections.indicators.period import Period

CENTRE = "huoshan"
PERIODS = [
    Period(first=date(2026, 3, 1), last=date(2026, 3, 31)),
    Period(first=date(2026, 3, 16), last=date(2026, 3, 16)),
    Period(first=date(2026, 1, 1), last=date(2026, 12, 31)),
]
NOWS = [
    datetime(2026, 3, 16, 12, 0, tzinfo=SHANGHAI),
    datetime(2026, 4, 1, 0, 0, tzinfo=SHANGHAI),  # the March period's end, exactly
    datetime(2026, 12, 6, 9, 0, tzinfo=SHANGHAI),
]
MICROSECOND = timedelta(microseconds=1)


def instants(rng: random.Random) -> list[datetime]:
    """The times cases are drawn from: every period's bounds and a microsecond before each, every
    `now`, and random moments from February to April."""
    bounds = [b for p in PERIODS for b in (p.start, p.end)]
    edges = [*bounds, *(b - MICROSECOND for b in bounds), *NOWS]
    start = datetime(2026, 2, 1, tzinfo=SHANGHAI)
    spread = [start + timedelta(seconds=rng.randrange(90 * 86_400)) for _ in range(40)]
    return edges + spread


def insert_into(conn: psycopg.Connection[Any], table: str, columns: dict[str, Any]) -> None:
    names = ", ".join(f'"{c}"' for c in columns)
    values = ", ".join(f"%({c})s" for c in columns)
    conn.execute(f"INSERT INTO {table} ({names}) VALUES ({values})", columns)
