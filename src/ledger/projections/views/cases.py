"""The "cases" view: one row per case, hand-off and duty intervention, for search and the boards.

It folds `CaseState` with the aggregate's own folds (why: `case_states`). Each `view_cases` row
keeps the folded state and the next batch folds on from it; the columns are derived from that
state, for SQL to filter and sort on.

Why whole batches: a batch loads the stored states of the cases it touches in one query, folds
every event in memory, and writes each table once: binary COPY into a temporary twin, then one
`INSERT ... SELECT ... ON CONFLICT DO UPDATE`. So a case that gets ten events in a batch is read
and written once. (Up to `tables.SMALL_BATCH` rows, as in a live batch, one `INSERT ... SELECT
FROM json_populate_recordset(...)` with the rows as one JSON parameter wins instead: one round trip
where COPY takes four; docs/DECISIONS.md, ops/bench/README.md.)

`working_seconds` is the working time from clock start to `closed_at`, minus pauses, counted with
the centre's calendar (`WorkingCalendar.working_time_between`): 24 hours per working day, nothing
on weekends and holidays. When the calendar does not cover a year in that span it stays NULL
(unknown, never guessed: an indicator skips it rather than count weekdays a notice may still make
holidays); it is filled in when a later event touches the case after the calendar is published, or
by a rebuild.

`notice_at` and `notice_due_at` are the first 补正 notice and its 5-day limit (行政许可法
第三十二条) as that notice recorded them; notices recorded before the rule leave both NULL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from eventsourcing.utils import get_topic

from ledger.domain.calendar import CalendarNotCoveredError
from ledger.domain.case import Case, event_classes
from ledger.domain.clock import ExtensionStatus
from ledger.domain.handoffs.records import HandOffStatus
from ledger.domain.state import CaseState
from ledger.projections.base import ProjectedEvent
from ledger.projections.views.case_states import decode_state, encode_state
from ledger.projections.views.case_tallies import TABLES as TALLIES
from ledger.projections.views.case_tallies import lock_tallies
from ledger.projections.views.tables import GC_PAUSED, ViewTable, clear_tables
from ledger.rules.calendars import policy_dir
from ledger.rules.time_limits import Policies

TOPICS = frozenset([get_topic(Case.Registered), *map(get_topic, event_classes())])
"""Every event a case can record, and nothing else (not the case-number series or index)."""

NOTICE_FLAG = "one_time_notice."

# (column, SQL array type) in the order `_case_row` returns them.
_CASE_COLUMNS = (
    ("case_id", "uuid"),
    ("case_no", "text"),
    ("centre", "text"),
    ("department", "text"),
    ('"window"', "text"),
    ("matter_code", "text"),
    ("matter_name", "text"),
    ("channel", "text"),
    ("priority", "text"),
    ("status", "text"),
    ("outcome", "text"),
    ("applicant_token", "text"),
    ("applicant_name", "text"),
    ("registered_at", "timestamptz"),
    ("accepted_at", "timestamptz"),
    ("closed_at", "timestamptz"),
    ("limit_value", "int4"),
    ("limit_unit", "text"),
    ("clock_started_at", "timestamptz"),
    ("due_at", "timestamptz"),
    ("clock_provisional", "bool"),
    ("calendar_version", "text"),
    ("policy_version", "text"),
    ("paused_since", "timestamptz"),
    ("paused_seconds", "float8"),
    ("working_seconds", "float8"),
    ("visits", "int4"),
    ("handoffs", "int4"),
    ("handoffs_pending", "int4"),
    ("extensions_requested", "int4"),
    ("extensions_approved", "int4"),
    ("notice_violations", "int4"),
    ("interventions", "int4"),
    ("reopened", "int4"),
    ("version", "int4"),
    ("last_position", "int8"),
    ("last_event_at", "timestamptz"),
    ("state", "bytea"),
    ("clock_source", "text"),
    ("pause_reason", "text"),
    ("notice_at", "timestamptz"),
    ("notice_due_at", "timestamptz"),
)
_HANDOFF_COLUMNS = (
    ("handoff_id", "uuid"),
    ("case_id", "uuid"),
    ("centre", "text"),
    ("from_department", "text"),
    ("from_window", "text"),
    ("to_department", "text"),
    ("to_window", "text"),
    ("to_officer", "text"),
    ("reason", "text"),
    ("handed_off_at", "timestamptz"),
    ("status", "text"),
    ("settled_at", "timestamptz"),
)
_INTERVENTION_COLUMNS = (
    ("case_id", "uuid"),
    ("version", "int4"),
    ("centre", "text"),
    ("department", "text"),
    ("actor_id", "text"),
    ("action", "text"),
    ("escalation_threat", "text"),
    ("threatened_channel", "text"),
    ("occurred_at", "timestamptz"),
)


_CASES = ViewTable("view_cases", _CASE_COLUMNS, key="generation, case_id")
_HANDOFFS = ViewTable("view_handoffs", _HANDOFF_COLUMNS, key="generation, handoff_id")
_INTERVENTIONS = ViewTable("view_interventions", _INTERVENTION_COLUMNS)


class _Touched:
    """What a batch did to one case: its state and the envelope of its latest event."""

    __slots__ = ("last_event_at", "position", "state", "version")

    def __init__(self, state: CaseState | None) -> None:
        self.state = state
        self.version = 0
        self.position = 0
        self.last_event_at: datetime | None = None


class CasesProjection:
    """Projection "cases": `view_cases`, `view_handoffs` and `view_interventions`."""

    name: ClassVar[str] = "cases"
    shape: ClassVar[str] = "2: first 补正 notice and its 5-day limit (0018)"
    topics: ClassVar[frozenset[str] | None] = TOPICS

    def __init__(self, policies: Policies | None = None) -> None:
        self.policies = policies or Policies(policy_dir())

    def apply(
        self, cur: psycopg.Cursor[Any], generation: int, events: Sequence[ProjectedEvent]
    ) -> None:
        with GC_PAUSED:
            self._apply(cur, generation, events)

    def _apply(
        self, cur: psycopg.Cursor[Any], generation: int, events: Sequence[ProjectedEvent]
    ) -> None:
        touched = self._load(cur, generation, {e.event.originator_id for e in events})
        handoffs: dict[UUID, UUID] = {}  # handoff id -> case id, for those the batch changed
        interventions: list[tuple[Any, ...]] = []
        for projected in events:
            event: Any = projected.event
            case = touched[event.originator_id]
            case.state = state = Case.fold_any(case.state, event)
            case.version = event.originator_version
            case.position = projected.position
            case.last_event_at = event.occurred_at
            if isinstance(event, Case.HandedOff | Case.HandOffSettled):
                handoffs[event.handoff_id] = event.originator_id
            elif isinstance(event, Case.DutyIntervention):
                interventions.append(
                    (
                        event.originator_id,
                        event.originator_version,
                        state.centre,
                        state.department,
                        event.actor.id,
                        event.action,
                        event.escalation_threat.value,
                        event.threatened_channel,
                        event.occurred_at,
                    )
                )
        rows = [self._case_row(case_id, case) for case_id, case in touched.items()]
        _CASES.write(cur, generation, rows)
        _HANDOFFS.write(cur, generation, _handoff_rows(touched, handoffs))
        _INTERVENTIONS.write(cur, generation, interventions)

    def clear(self, cur: psycopg.Cursor[Any], generation: int) -> None:
        # The tallies after the cases, whose deletion queues their subtraction (migration 0025).
        lock_tallies(cur)
        clear_tables(
            cur, generation, ("view_cases", *TALLIES, "view_handoffs", "view_interventions")
        )

    # --- plumbing ------------------------------------------------------------------------------

    @staticmethod
    def _load(cur: psycopg.Cursor[Any], generation: int, ids: set[UUID]) -> dict[UUID, _Touched]:
        cur.execute(
            "SELECT case_id, state FROM view_cases WHERE generation = %s AND case_id = ANY(%b)",
            (generation, list(ids)),
            binary=True,
        )
        stored = {case_id: decode_state(state) for case_id, state in cur.fetchall()}
        return {case_id: _Touched(stored.get(case_id)) for case_id in ids}

    def _case_row(self, case_id: UUID, case: _Touched) -> tuple[Any, ...]:
        s = case.state
        assert s is not None  # every touched case was folded at least once
        clock = s.clock
        id_number = s.applicant.id_number
        return (
            case_id,
            s.case_no,
            s.centre,
            s.department,
            s.window,
            s.matter.code,
            s.matter.name,
            s.channel.value,
            s.priority.value,
            s.status.value,
            s.outcome.value if s.outcome else None,
            id_number.token if id_number else None,
            s.applicant.name,
            s.registered_at,
            s.accepted_at,
            s.closed_at,
            clock.limit.value if clock else None,
            clock.limit.unit.value if clock else None,
            clock.started_at if clock else None,
            clock.due_at if clock else None,
            clock.provisional if clock else None,
            clock.calendar_version if clock else None,
            clock.policy_version if clock else None,
            s.paused_since,
            clock.paused.total_seconds() if clock else 0.0,
            self._working_seconds(s),
            s.visits,
            len(s.handoffs),
            sum(h.status is HandOffStatus.PENDING for h in s.handoffs),
            len(s.extensions),
            sum(e.status is ExtensionStatus.APPROVED for e in s.extensions),
            sum(f.startswith(NOTICE_FLAG) for f in s.flags),
            s.interventions,
            s.reopen_count,
            case.version,
            case.position,
            case.last_event_at,
            encode_state(s),
            clock.source if clock else None,
            s.pause_reason.value if s.pause_reason else None,
            s.first_notice_at,
            s.notice_due_at,
        )

    def _working_seconds(self, state: CaseState) -> float | None:
        """Working time the clock ran until the case closed (None while open or unknown)."""
        clock, closed_at = state.clock, state.closed_at
        if clock is None or closed_at is None:
            return None
        calendar = self.policies.timing(state.centre).calendar
        try:
            worked = calendar.working_time_between(
                clock.started_at, max(closed_at, clock.started_at), state.pauses
            )
        except CalendarNotCoveredError:
            return None
        return worked.total_seconds()


def _handoff_rows(
    touched: dict[UUID, _Touched], changed: dict[UUID, UUID]
) -> list[tuple[Any, ...]]:
    rows = []
    for handoff_id, case_id in changed.items():
        state = touched[case_id].state
        assert state is not None
        h = next(h for h in state.handoffs if h.handoff_id == handoff_id)
        rows.append(
            (
                h.handoff_id,
                case_id,
                state.centre,
                h.from_department,
                h.from_window,
                h.to_department,
                h.to_window,
                h.to_officer,
                h.reason,
                h.handed_off_at,
                h.status.value,
                h.settled_at,
            )
        )
    return rows
