"""How a view keeps the case it derives rows from: a `CaseState` per case, folded from events.

Why views fold `CaseState` rather than update columns event by event: the aggregate's own folds
(`Case.fold_any`) are the only definition of what an event does, so a view cannot drift from the
case. Why each view keeps its own rather than reading `view_cases.state`: that row belongs to
another projection, at another position, and may be mid-rebuild; a view must be a function of
the events it has read. A state is stored as msgspec JSON (it decodes faster than msgpack here,
and keeps the events' UTC offsets).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import msgspec
import psycopg

from ledger.domain.case import Case
from ledger.domain.handoffs.records import HandOffStatus
from ledger.domain.state import CaseState
from ledger.projections.base import ProjectedEvent
from ledger.projections.views.tables import ViewTable

encode_state = msgspec.json.Encoder().encode
decode_state = msgspec.json.Decoder(CaseState).decode
"""A stored `state` column as the `CaseState` it holds."""


class PartialStates:
    """The `CaseState` per case that a view folds from only the topics it reads, in a table of
    its own (`case_id`, `state`). The folds of those topics must depend on nothing outside them,
    so the partial fold cannot fail; settled hand-offs are dropped (only a pending one bears on
    a row), and the view says which other fields its rows may use."""

    def __init__(self, table: str) -> None:
        self.table = table
        self._rows = ViewTable(
            table, (("case_id", "uuid"), ("state", "bytea")), "generation, case_id"
        )
        self._select = (
            f"SELECT case_id, state FROM {table} WHERE generation = %s AND case_id = ANY(%b)"
        )

    def fold(
        self, cur: psycopg.Cursor[Any], generation: int, events: Sequence[ProjectedEvent]
    ) -> dict[UUID, CaseState]:
        """The stored states of the cases `events` touch, with every event folded in (in one
        load: a case that gets ten events in a batch is read once)."""
        ids = {e.event.originator_id for e in events}
        cur.execute(self._select, (generation, list(ids)), binary=True)
        stored = {case_id: decode_state(state) for case_id, state in cur.fetchall()}
        states: dict[UUID, CaseState | None] = {case_id: stored.get(case_id) for case_id in ids}
        for projected in events:
            event: Any = projected.event
            states[event.originator_id] = Case.fold_any(states[event.originator_id], event)
        folded: dict[UUID, CaseState] = {}
        for case_id, state in states.items():
            assert state is not None  # every touched case was folded at least once
            state.handoffs = [h for h in state.handoffs if h.status is HandOffStatus.PENDING]
            folded[case_id] = state
        return folded

    def store(
        self, cur: psycopg.Cursor[Any], generation: int, states: dict[UUID, CaseState]
    ) -> None:
        self._rows.write(
            cur, generation, [(case_id, encode_state(state)) for case_id, state in states.items()]
        )
