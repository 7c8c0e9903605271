"""The "pushback" view: the public's three channels of pushback on a case, one row per item.

12345 work orders and their dispatches, 办不成事 reports with their root causes and improvement
actions, the consultations the windows answered, and 好差评 ratings (the tables and their rows:
`pushback_tables`, `consultations`). The 12345 and 办不成事
registers (`ledger.api.hotline_register`, `ledger.api.unresolved_register`), the duty board's
sections, the indicators and the default-rating timer read it.

Modelled on the exceptions view (`ledger.projections.views.exceptions`): it keeps its own partial
`CaseState` per case (`view_pushback_cases`, `case_states.PartialStates`), from the topics that
can change one of its rows only (`TOPICS`): the case's number, centre, matter, holder and window
(registration and hand-offs) and every hotline, unresolved and rating event. The folds of those
topics depend on nothing outside them, so the partial fold cannot fail. A confidential order's
summary is blanked in the stored state too: what is not stored cannot leak.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import psycopg
from eventsourcing.utils import get_topic

from ledger.domain.case import Case
from ledger.domain.hotline import commands as hotline
from ledger.domain.ratings import commands as ratings
from ledger.domain.unresolved import commands as unresolved
from ledger.projections.base import ProjectedEvent
from ledger.projections.views.case_states import PartialStates
from ledger.projections.views.pushback_tables import Rows
from ledger.projections.views.tables import GC_PAUSED, clear_tables

_PUSHBACK_EVENTS = [*hotline.COMMANDS, *unresolved.COMMANDS, *ratings.COMMANDS]

TOPICS = frozenset(
    get_topic(cls)
    for cls in [
        Case.Registered,
        Case.HandedOff,
        Case.HandOffSignedFor,
        Case.HandOffReturned,
        *(getattr(Case, name) for name in _PUSHBACK_EVENTS),
    ]
)
"""What can change a pushback row: the case's number, centre, matter and holder (registration,
hand-offs; a returned hand-off only settles the pending one), and every 12345, 办不成事 and 好差评
event (as redefined on `Case`, the topics they are stored under)."""

_STATES = PartialStates("view_pushback_cases")

TABLES = (
    "view_hotline_tickets",
    "view_hotline_dispatches",
    "view_unresolved",
    "view_root_causes",
    "view_improvements",
    "view_ratings",
    "view_rating_tallies",
    "view_consultations",
    "view_pushback_cases",
)


class PushbackProjection:
    """Projection "pushback": the seven pushback tables (and its own per-case fold,
    `view_pushback_cases`)."""

    name: ClassVar[str] = "pushback"
    shape: ClassVar[str] = (
        "2: 12345 order clock, 回访 due, complex dispatches (0016); "
        "办不成事 window, 反馈, 核查, consultations (0017)"
    )
    topics: ClassVar[frozenset[str] | None] = TOPICS

    def apply(
        self, cur: psycopg.Cursor[Any], generation: int, events: Sequence[ProjectedEvent]
    ) -> None:
        with GC_PAUSED:
            states = _STATES.fold(cur, generation, events)
            rows = Rows()
            for case_id, state in states.items():
                for ticket in state.tickets:
                    if ticket.confidential:
                        ticket.summary = ""  # what is not stored cannot leak
                rows.add(case_id, state)
            _STATES.store(cur, generation, states)
            rows.write(cur, generation)

    def clear(self, cur: psycopg.Cursor[Any], generation: int) -> None:
        clear_tables(cur, generation, TABLES)
