"""The "exceptions" view: one row per exception request and one per commitment (承诺书).

Pending approvals (`GET /approvals`), the duty board's approval queues, the commitment breach
timer (`ledger.application.timers`) and the approval proof's case lookup read it. A ratification
(asked after the fact, `after_the_fact`) waits on its approvers even on a closed case; who
executed it and how many layers a deputy decided under AB岗 (`acting_up`) are on its row.

It keeps its own partial `CaseState` per case in `view_exception_cases`
(`case_states.PartialStates`: why a view keeps its own fold) and derives its rows from
`state.exceptions`. It reads only the topics that bear on an exception row (`TOPICS`): the state
it keeps is therefore partial (no visits, notices, pauses, extensions), and only its case
number, centre, holding department, open/closed status and exceptions are meant. The folds of
the topics read depend on nothing outside them (a hand-off signed for needs its hand-off, which
is read), so the partial fold cannot fail.

Batches as the cases view does: one load of the touched cases' states, every event folded in
memory, each table written once (binary COPY into a temporary twin, one upsert). Every touched
case that has exceptions has all its rows rewritten, since a hand-off or a closure changes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar
from uuid import UUID

import psycopg
from eventsourcing.utils import get_topic

from ledger.domain.case import Case
from ledger.domain.exceptions.records import ExceptionRecord
from ledger.domain.state import CaseState
from ledger.projections.base import ProjectedEvent
from ledger.projections.views.case_states import PartialStates
from ledger.projections.views.tables import GC_PAUSED, ViewTable, clear_tables, subclasses

TOPICS = frozenset(
    get_topic(cls)
    for cls in [
        Case.Registered,
        Case.HandedOff,
        Case.HandOffSignedFor,
        Case.Accepted,
        Case.AcceptanceRefused,
        Case.Completed,
        Case.Reopened,
        Case.ExceptionRequested,
        Case.ExceptionRatificationRequested,
        *subclasses(Case.ExceptionEvent),
    ]
)
"""What can change an exception or commitment row: the case's number, centre and holder, its
closure, the exception events, and the acceptance or completion that uses an exception."""

_EXCEPTION_COLUMNS = (
    ("exception_id", "uuid"),
    ("case_id", "uuid"),
    ("case_no", "text"),
    ("centre", "text"),
    ("department", "text"),
    ("kind", "text"),
    ("status", "text"),
    ("rule_waived", "text"),
    ("requested_by", "text"),
    ("requested_at", "timestamptz"),
    ("policy_id", "text"),
    ("policy_version", "text"),
    ("layers", "int4"),
    ("decided", "int4"),
    ("next_layer", "int4"),
    ("next_role", "text"),
    ("next_title", "text"),
    ("waiting_since", "timestamptz"),
    ("closed_at", "timestamptz"),
    ("used_at", "timestamptz"),
    ("post_audit", "text"),
    ("audited", "bool"),
    ("case_closed", "bool"),
    ("after_the_fact", "bool"),
    ("executed_by", "text"),
    ("acting_up", "int4"),
)
_COMMITMENT_COLUMNS = (
    ("commitment_id", "uuid"),
    ("exception_id", "uuid"),
    ("case_id", "uuid"),
    ("centre", "text"),
    ("items", "text[]"),
    ("due_at", "timestamptz"),
    ("status", "text"),
    ("settled_at", "timestamptz"),
)

_STATES = PartialStates("view_exception_cases")
_EXCEPTIONS = ViewTable("view_exceptions", _EXCEPTION_COLUMNS, key="generation, exception_id")
_COMMITMENTS = ViewTable("view_commitments", _COMMITMENT_COLUMNS, key="generation, commitment_id")


class ExceptionsProjection:
    """Projection "exceptions": `view_exceptions`, `view_commitments` (and its own per-case
    fold, `view_exception_cases`)."""

    name: ClassVar[str] = "exceptions"
    shape: ClassVar[str] = "2: exceptions ratified after the fact (0014)"
    topics: ClassVar[frozenset[str] | None] = TOPICS

    def apply(
        self, cur: psycopg.Cursor[Any], generation: int, events: Sequence[ProjectedEvent]
    ) -> None:
        with GC_PAUSED:
            states = _STATES.fold(cur, generation, events)
            exceptions, commitments = [], []
            for case_id, state in states.items():
                for record in state.exceptions:
                    exceptions.append(exception_row(case_id, state, record))
                    commitments += commitment_rows(case_id, state, record)
            _STATES.store(cur, generation, states)
            _EXCEPTIONS.write(cur, generation, exceptions)
            _COMMITMENTS.write(cur, generation, commitments)

    def clear(self, cur: psycopg.Cursor[Any], generation: int) -> None:
        clear_tables(
            cur, generation, ("view_exceptions", "view_commitments", "view_exception_cases")
        )


def exception_row(case_id: UUID, state: CaseState, x: ExceptionRecord) -> tuple[Any, ...]:
    """The `view_exceptions` columns (after generation) of one exception of a case."""
    nxt = x.next_layer
    layer = (
        x.required_layers[nxt - 1] if nxt is not None and nxt <= len(x.required_layers) else None
    )
    waiting_since = None
    if layer is not None:
        waiting_since = x.decisions[-1].decided_at if x.decisions else x.requested_at
    return (
        x.exception_id,
        case_id,
        state.case_no,
        state.centre,
        state.department,
        x.kind.value,
        x.status.value,
        x.rule_waived,
        x.requested_by,
        x.requested_at,
        x.policy_id,
        x.policy_version,
        len(x.required_layers),
        len(x.decisions),
        nxt,
        layer.role.value if layer else None,
        layer.title if layer else None,
        waiting_since,
        x.closed_at,
        x.used_at,
        x.post_audit.value if x.post_audit else None,
        bool(x.audits),
        state.status.is_closed,
        x.after_the_fact,
        x.executed_by,
        sum(1 for d in x.decisions if d.acting_for),
    )


def commitment_rows(case_id: UUID, state: CaseState, x: ExceptionRecord) -> list[tuple[Any, ...]]:
    """The `view_commitments` columns (after generation) of one exception's commitments."""
    return [
        (
            c.commitment_id,
            x.exception_id,
            case_id,
            state.centre,
            list(c.items),
            c.due_at,
            c.status.value,
            c.settled_at,
        )
        for c in x.commitments
    ]
