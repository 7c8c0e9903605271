"""The "exceptions" view: one row per exception request and one per commitment (承诺书).

Pending approvals (`GET /approvals`), the duty board's approval queues, the commitment breach
timer (`ledger.timers`) and the approval proof's case lookup read it.

Why it keeps a state of its own rather than reading `view_cases.state`: that row belongs to
another projection, at another position, and may be mid-rebuild; a view must be a function of
the events it has read. So, like the cases view, it folds `CaseState` with the aggregate's own
folds (`Case.fold_any`), keeps it per case in `view_exception_cases`, and derives its rows from
`state.exceptions`. It reads only the topics that bear on an exception row (`TOPICS`): the state
it keeps is therefore partial (no visits, notices, pauses, extensions), and only its case
number, centre, holding department, open/closed status and exceptions are meant. The folds of
the topics read depend on nothing outside them (a hand-off signed for needs its hand-off, which
is read), so the partial fold cannot fail; settled hand-offs are dropped before it is stored.

Batches as the cases view does: one load of the touched cases' states, every event folded in
memory, each table written once (binary COPY into a temporary twin, one upsert). Every touched
case that has exceptions has all its rows rewritten, since a hand-off or a closure changes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar
from uuid import UUID

import msgspec
import psycopg
from eventsourcing.utils import get_topic

from ledger.domain.case import Case
from ledger.domain.values import CaseState, ExceptionRecord, HandOffStatus
from ledger.projections.base import ProjectedEvent
from ledger.projections.tables import GC_PAUSED, ViewTable, subclasses

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
        *subclasses(Case.ExceptionEvent),
    ]
)
"""What can change an exception or commitment row: the case's number, centre and holder, its
closure, the exception events, and the acceptance or completion that uses an exception."""

_encode = msgspec.json.Encoder().encode
_decode_state = msgspec.json.Decoder(CaseState).decode

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

_STATES = ViewTable(
    "view_exception_cases", (("case_id", "uuid"), ("state", "bytea")), "generation, case_id"
)
_EXCEPTIONS = ViewTable("view_exceptions", _EXCEPTION_COLUMNS, key="generation, exception_id")
_COMMITMENTS = ViewTable("view_commitments", _COMMITMENT_COLUMNS, key="generation, commitment_id")


class ExceptionsProjection:
    """Projection "exceptions": `view_exceptions`, `view_commitments` (and its own per-case
    fold, `view_exception_cases`)."""

    name: ClassVar[str] = "exceptions"
    topics: ClassVar[frozenset[str] | None] = TOPICS

    def apply(
        self, cur: psycopg.Cursor[Any], generation: int, events: Sequence[ProjectedEvent]
    ) -> None:
        with GC_PAUSED:
            states = _load(cur, generation, {e.event.originator_id for e in events})
            for projected in events:
                event: Any = projected.event
                states[event.originator_id] = Case.fold_any(states[event.originator_id], event)
            stored, exceptions, commitments = [], [], []
            for case_id, state in states.items():
                assert state is not None  # every touched case was folded at least once
                state.handoffs = [h for h in state.handoffs if h.status is HandOffStatus.PENDING]
                stored.append((case_id, _encode(state)))
                for record in state.exceptions:
                    exceptions.append(exception_row(case_id, state, record))
                    commitments += commitment_rows(case_id, state, record)
            _STATES.write(cur, generation, stored)
            _EXCEPTIONS.write(cur, generation, exceptions)
            _COMMITMENTS.write(cur, generation, commitments)

    def clear(self, cur: psycopg.Cursor[Any], generation: int) -> None:
        for table in ("view_exceptions", "view_commitments", "view_exception_cases"):
            cur.execute(f"DELETE FROM {table} WHERE generation = %s", (generation,))


def _load(
    cur: psycopg.Cursor[Any], generation: int, ids: set[UUID]
) -> dict[UUID, CaseState | None]:
    cur.execute(
        "SELECT case_id, state FROM view_exception_cases "
        "WHERE generation = %s AND case_id = ANY(%b)",
        (generation, list(ids)),
        binary=True,
    )
    stored = {case_id: _decode_state(state) for case_id, state in cur.fetchall()}
    return {case_id: stored.get(case_id) for case_id in ids}


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
