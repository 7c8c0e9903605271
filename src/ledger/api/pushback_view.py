"""The "pushback" view (`ledger.projections.views.pushback`) as the registers and the duty board
read it: its name, how long a read waits for it, its live rows, and each centre's timing.

No applicant data and no rater is in the view, so none is in what is read from it; a
confidential order's summary is null.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from litestar import Request

from ledger.api.reads import READ_WAIT, live, read_in_thread, utc_now, wait_for_view
from ledger.application.service import Ledger
from ledger.domain.policy import Timing
from ledger.projections.waiter import PositionWaiter

Query = TypeVar("Query")
Answer = TypeVar("Answer")

VIEW = "pushback"
VIEW_WAIT = READ_WAIT
"""Seconds a read waits for the view to reach the position it asks for."""
TICKETS = f"SELECT v.* FROM view_hotline_tickets v {live(VIEW)}"
REPORTS = f"SELECT v.* FROM view_unresolved v {live(VIEW)}"


class Timings:
    """Each centre's timing (calendar and policy), fetched once per read."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._cache: dict[str, Timing] = {}

    def of(self, centre: str) -> Timing:
        if centre not in self._cache:
            self._cache[centre] = self._ledger.policies.timing(centre)
        return self._cache[centre]


async def read(
    request: Request[Any, Any, Any],
    waiter: PositionWaiter,
    min_position: int | None,
    register: Callable[[Ledger, Query, datetime], Answer],
    ledger: Ledger,
    query: Query,
) -> Answer:
    """`register(ledger, query, now)` off the event loop, once the view has reached the position
    the request asks for (a 503 if it does not in `VIEW_WAIT` seconds)."""
    await wait_for_view(request, waiter, VIEW, min_position, timeout=VIEW_WAIT)
    return await read_in_thread(register, ledger, query, utc_now())
