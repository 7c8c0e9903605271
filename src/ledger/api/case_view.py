"""The "cases" view (`ledger.projections.views.cases`) as case search and the duty board read it:
its name, how long a read waits for it, its live rows, and a case's clock rebuilt from them.

Remaining time on a working-day clock is working time by the centre's calendar (a working day is
24 hours of it; weekends and holidays count nothing); other clocks count wall time.
"""

from __future__ import annotations

from datetime import timedelta

from psycopg.rows import DictRow

from ledger.api.reads import READ_WAIT, live
from ledger.domain.clock import Clock
from ledger.domain.values import LimitUnit, TimeLimit

VIEW = "cases"
VIEW_WAIT = READ_WAIT
"""Seconds a read waits for the view to reach the position it asks for (tests shorten it)."""
LIVE = live(VIEW)
"""Joined after `view_cases v`: only the live generation's rows."""


def clock_of(row: DictRow) -> Clock | None:
    """The case's clock, rebuilt from its columns (as its events froze it)."""
    if row["due_at"] is None:
        return None
    return Clock(
        limit=TimeLimit(value=row["limit_value"], unit=LimitUnit(row["limit_unit"])),
        source=row["clock_source"] or "",
        policy_version=row["policy_version"],
        calendar_version=row["calendar_version"],
        started_at=row["clock_started_at"],
        due_at=row["due_at"],
        provisional=row["clock_provisional"],
        paused=timedelta(seconds=row["paused_seconds"]),
    )
