"""The 办不成事 side's per-item tables of the "pushback" view: a report's root causes
(`view_root_causes`) and improvement actions (`view_improvements`), and the consultations the
windows answered (`view_consultations`, migrations/0017: one row per question, counted per window
and matter beside the reports). `pushback_tables` writes them with the rest.

No question or answer text is copied: a count needs neither, and free text is where an applicant's
words would be. A consultation's matter is the case's, what the person asked about.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ledger.domain.state import CaseState
from ledger.domain.unresolved.records import UnresolvedReport
from ledger.projections.views.tables import ViewTable

_ROOT_CAUSE_COLUMNS = (
    ("root_cause_id", "uuid"),
    ("report_id", "uuid"),
    ("case_id", "uuid"),
    ("centre", "text"),
    ("cause", "text"),
    ("key", "text"),
    ("description", "text"),
    ("recorded_at", "timestamptz"),
)
_IMPROVEMENT_COLUMNS = (
    ("action_id", "uuid"),
    ("report_id", "uuid"),
    ("root_cause_id", "uuid"),
    ("case_id", "uuid"),
    ("centre", "text"),
    ("action", "text"),
    ("owner_unit", "text"),
    ("opened_at", "timestamptz"),
    ("completed_at", "timestamptz"),
    ("result", "text"),
)
_CONSULTATION_COLUMNS = (
    ("consultation_id", "uuid"),
    ("case_id", "uuid"),
    ("centre", "text"),
    ("unit", "text"),
    ('"window"', "text"),
    ("matter_code", "text"),
    ("matter_name", "text"),
    ("referred_to", "text"),
    ("recorded_at", "timestamptz"),
)

ROOT_CAUSES = ViewTable("view_root_causes", _ROOT_CAUSE_COLUMNS, key="generation, root_cause_id")
IMPROVEMENTS = ViewTable("view_improvements", _IMPROVEMENT_COLUMNS, key="generation, action_id")
CONSULTATIONS = ViewTable(
    "view_consultations", _CONSULTATION_COLUMNS, key="generation, consultation_id"
)


def consultation_rows(case_id: UUID, state: CaseState) -> list[tuple[Any, ...]]:
    """The `view_consultations` columns (after generation) of a case's consultations."""
    return [
        (
            c.consultation_id,
            case_id,
            state.centre,
            c.unit,
            c.window,
            state.matter.code,
            state.matter.name,
            c.referred_to,
            c.recorded_at,
        )
        for c in state.consultations
    ]


def root_cause_rows(case_id: UUID, state: CaseState, r: UnresolvedReport) -> list[tuple[Any, ...]]:
    """The `view_root_causes` columns (after generation) of a 办不成事 report's root causes."""
    return [
        (
            c.root_cause_id,
            r.report_id,
            case_id,
            state.centre,
            c.cause.value,
            c.key,
            c.description,
            c.recorded_at,
        )
        for c in r.root_causes
    ]


def improvement_rows(case_id: UUID, state: CaseState, r: UnresolvedReport) -> list[tuple[Any, ...]]:
    """The `view_improvements` columns (after generation) of a 办不成事 report's actions."""
    return [
        (
            a.action_id,
            r.report_id,
            a.root_cause_id,
            case_id,
            state.centre,
            a.action,
            a.owner_unit,
            a.opened_at,
            a.completed_at,
            a.result,
        )
        for a in r.actions
    ]
