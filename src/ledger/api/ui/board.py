"""值班看板: one centre's floor as a page (`/ui/board`, the home page), kept live without reloads.

The page renders `ledger.api.board.duty_board`, the read behind `GET /boards/duty`, with the same
role check and tenancy. `/ui/board/sections` answers the sections alone (the same template
include, an HTML fragment) and `/ui/board/stream` is an event stream naming each new log position
the board's views reach: board.js fetches the sections for it with `min_position`, so what it
swaps in holds at least that position (read-your-writes, as the API's reads).

Why one feed per process: every open stream waits on one shared watch of the views (three parked
waits on the PositionWaiter, however many boards are open), because parked waits are capped for
the API's read-your-writes reads and a room of wall screens must not use them up. At the cap the
watch falls back to looking every few seconds.

Why streams watch `app.state.stopping`: uvicorn lets open responses finish before it stops, so a
stream that never ends would hold `ledger serve`'s shutdown until its timeout cut it off.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
import msgspec
from litestar import Litestar, Request, get
from litestar.params import QueryParameter
from litestar.response import ServerSentEvent, Template
from litestar.response.sse import ServerSentEventMessage

from ledger.api import approvals, case_view, pushback_view
from ledger.api.board import duty_board, urgency
from ledger.api.deadlines import URGENCY
from ledger.api.reads import MinPosition, Text, read_in_thread, utc_now, wait_for_view
from ledger.api.schemas.board import BoardCase, DepartmentCases, DutyBoard
from ledger.api.schemas.view_reads import ColourCounts
from ledger.api.ui.format import BEIJING
from ledger.api.ui.labels import zh
from ledger.api.ui.pages import PAGES, centre_of, page_context, page_credential
from ledger.application.tokens import Credential
from ledger.domain.permissions import require_view_read
from ledger.projections.waiter import PositionWaiter, TooManyWaits

VIEWS = (case_view.VIEW, approvals.VIEW, pushback_view.VIEW)
"""The views the board reads (as `GET /boards/duty` waits for them)."""
KEEP_ALIVE = 15.0
"""Seconds between comments on a quiet stream, so proxies and browsers keep it open."""
RETRY_MS = 2000
"""How soon a browser reconnects a dropped stream."""
SLOW_CHECK = 5.0
"""Seconds between looks at the views while parked waits are at their cap."""
PARK = 600.0
"""How long the watch parks a wait before parking it again."""
LISTED = 25
"""Rows each list shows (each department's cases, hand-offs, returns, orders, reports), the most
urgent, longest waiting or newest first; every one is counted. A floor of a thousand open cases
neither renders within the page budget (300 ms) nor gets read row by row."""
THREAT = {"none": "无", "defused": "已化解", "not_defused": "未化解"}
"""投诉升级 (an intervention's `escalation_threat`) in words."""
NO_STORE = {"Cache-Control": "no-store"}

Since = Annotated[int | None, QueryParameter(ge=0, le=2**62, required=False)]
"""The log position the page was rendered at: the stream names anything newer at once."""


@get("/ui/board", include_in_schema=False)
async def board_page(request: Request[Any, Any, Any], centre: Text = None) -> Template:
    credential = await page_credential(request)
    board = await _read(request, credential, centre, None)
    known = request.app.state.ledger.policies.centres
    mine = [c for c in known if credential.scope.admits(c)]
    context = page_context(request, credential, centre=board.centre, centres=mine)
    return Template("board.html", context={**context, **sections(board)}, headers=NO_STORE)


@get("/ui/board/sections", include_in_schema=False)
async def board_sections(
    request: Request[Any, Any, Any], centre: Text = None, min_position: MinPosition = None
) -> Template:
    """The board's sections alone, once its views hold `min_position` (what the stream named)."""
    credential = await page_credential(request)
    board = await _read(request, credential, centre, min_position)
    return Template("board_sections.html", context=sections(board), headers=NO_STORE)


@get("/ui/board/stream", include_in_schema=False)
async def board_stream(
    request: Request[Any, Any, Any], centre: Text = None, after: Since = None
) -> ServerSentEvent:
    """Server-sent events: `data: {"position": N}` whenever the board's views pass a new log
    position (and at once if they are past `after` or the Last-Event-ID), a comment every 15 s."""
    credential = await page_credential(request)
    _board_centre(request, credential, centre)
    feed = _feed(request.app)
    known = max(after or 0, _last_event_id(request)) or feed.head()
    return ServerSentEvent(_events(feed, known), headers=NO_STORE)


PAGES.extend([board_page, board_sections, board_stream])


def sections(board: DutyBoard) -> dict[str, Any]:
    """What board_sections.html shows: the board, with its totals and today's interventions."""
    today = board.as_of.astimezone(BEIJING).date()
    cases = [c for d in board.open_cases for w in d.windows for c in w.cases]
    return {
        "board": board,
        "departments": [_listed(d) for d in board.open_cases],
        "cases": len(cases),
        "counts": ColourCounts.of(c.colour for c in cases),
        "exceptions": sum(r.count for r in board.exceptions_waiting.roles),
        "handoffs": board.handoffs_pending[:LISTED],
        "returns": board.handoffs_returned.handoffs[:LISTED],
        "tickets": sorted(board.hotline_tickets.tickets, key=lambda t: URGENCY[t.colour])[:LISTED],
        "reports": sorted(board.unresolved_reports.reports, key=lambda r: URGENCY[r.colour])[
            :LISTED
        ],
        "today": [
            i for i in board.interventions if i.occurred_at.astimezone(BEIJING).date() == today
        ],
        "position": min(
            board.as_of_position,
            board.exceptions_waiting.as_of_position,
            board.hotline_tickets.as_of_position,
        ),
        "zh": zh,
        "threat": THREAT,
    }


def _listed(department: DepartmentCases) -> dict[str, Any]:
    """A department's most urgent cases across its windows, with how many are left unlisted."""
    rows: list[tuple[str | None, BoardCase]] = list(
        heapq.merge(
            *([(w.window, c) for c in w.cases] for w in department.windows),
            key=lambda row: urgency(row[1]),
        )
    )
    return {
        "department": department.department,
        "counts": department.counts,
        "total": len(rows),
        "rows": rows[:LISTED],
    }


def _board_centre(
    request: Request[Any, Any, Any], credential: Credential, asked: str | None
) -> str:
    """The centre shown, for someone the duty board admits (whoever `GET /boards/duty` does)."""
    require_view_read(credential.actor.roles, "read the duty board")
    return centre_of(credential, asked, request.app.state.ledger.policies.centres)


async def _read(
    request: Request[Any, Any, Any],
    credential: Credential,
    asked: str | None,
    min_position: int | None,
) -> DutyBoard:
    centre = _board_centre(request, credential, asked)
    for view in VIEWS:
        await wait_for_view(
            request, request.app.state.waiter, view, min_position, timeout=case_view.VIEW_WAIT
        )
    return await read_in_thread(duty_board, request.app.state.ledger, centre, utc_now())


def _last_event_id(request: Request[Any, Any, Any]) -> int:
    """The position a reconnecting browser last saw (its Last-Event-ID), 0 if none or not one."""
    raw = request.headers.get("Last-Event-ID", "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else 0


async def _events(feed: BoardFeed, known: int) -> AsyncIterator[ServerSentEventMessage]:
    yield ServerSentEventMessage(data=None, comment="值班看板", retry=RETRY_MS)
    while True:
        with anyio.move_on_after(KEEP_ALIVE) as quiet:
            head = await feed.after(known)
        if quiet.cancelled_caught:
            yield ServerSentEventMessage(data=None, comment="keep-alive")
            continue
        if head is None:  # the server is stopping
            return
        known = head
        data = msgspec.json.encode({"position": head}).decode()
        yield ServerSentEventMessage(data=data, id=head)


def _feed(app: Litestar) -> BoardFeed:
    """The process's feed (a new one when the app's lifespan made a new waiter)."""
    feed: BoardFeed | None = app.state.get("board_feed")
    if feed is None or feed.waiter is not app.state.waiter:
        feed = app.state.board_feed = BoardFeed(app.state.waiter, app.state.get("stopping"))
    return feed


class BoardFeed:
    """What every open board stream of a process waits on: one watch of the board's views."""

    def __init__(self, waiter: PositionWaiter, stopping: asyncio.Event | None) -> None:
        self.waiter = waiter
        self.stopping = stopping
        """Set when the server begins to stop; None where nothing stops it (tests)."""
        self._watch: asyncio.Task[None] | None = None

    def head(self) -> int:
        """The furthest log position the board's views have projected."""
        return max(self.waiter.position(view) for view in VIEWS)

    async def after(self, known: int) -> int | None:
        """The head, once it is past `known`; None once the server is stopping."""
        while self.stopping is None or not self.stopping.is_set():
            if (head := self.head()) > known:
                return head
            if self._watch is None or self._watch.done():
                self._watch = asyncio.ensure_future(self._next_move())
            await asyncio.shield(self._watch)  # a stream that leaves does not end the watch
        return None

    async def _next_move(self) -> None:
        """Until one of the views moves or the server stops (or, when the parked waits are at
        their cap, for SLOW_CHECK seconds)."""
        waits = [
            asyncio.ensure_future(self.waiter.wait(view, self.waiter.position(view) + 1, PARK))
            for view in VIEWS
        ]
        if self.stopping is not None:
            waits.append(asyncio.ensure_future(self.stopping.wait()))
        try:
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for wait in waits:
                if wait.done() and not wait.cancelled():
                    wait.exception()  # seen (NotCaughtUp after PARK is only a quiet hour)
                else:
                    wait.cancel()  # unparks it
        if any(isinstance(w.exception(), TooManyWaits) for w in done if not w.cancelled()):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped(), SLOW_CHECK)

    async def _stopped(self) -> None:
        if self.stopping is None:
            await asyncio.Event().wait()
        else:
            await self.stopping.wait()


__all__ = ["BoardFeed", "sections"]
