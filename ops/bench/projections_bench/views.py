"""The view both runs build: the projection measured (the real cases view by default, or the
one-table stand-in `BenchCases`), its tables, and reading them back."""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar
from uuid import UUID

import psycopg
from eventsourcing.domain import DomainEvent
from eventsourcing.utils import get_topic
from support.postgres import Autovacuum

from ledger.domain.case import Case

if TYPE_CHECKING:
    from ledger.projections.base import ProjectedEvent, Projection

DEFAULT_PROJECTION = "ledger.projections.views.cases:CasesProjection"
VIEW_TABLES = {
    "cases": ("view_cases", "view_handoffs", "view_interventions"),
    "pushback": (
        "view_hotline_tickets",
        "view_hotline_dispatches",
        "view_unresolved",
        "view_root_causes",
        "view_improvements",
        "view_ratings",
    ),
}
"""The tables of projections that name no `tables` (or `table`) themselves, by name."""

CASE_TOPICS = frozenset(
    get_topic(cls)
    for cls in vars(Case).values()
    if isinstance(cls, type) and issubclass(cls, DomainEvent)
)
STATUS = {
    "Accepted": "accepted",
    "AcceptanceRefused": "refused",
    "Completed": "completed",
    "Reopened": "reopened",
    "Withdrawn": "withdrawn",
}


class BenchCases:
    """A stand-in for the cases view: one row per case, upserted once per batch."""

    name: ClassVar[str] = "bench_cases"
    topics: ClassVar[frozenset[str] | None] = CASE_TOPICS
    table: ClassVar[str] = "bench_cases"

    def apply(
        self, cur: psycopg.Cursor[Any], generation: int, events: Sequence[ProjectedEvent]
    ) -> None:
        rows: dict[UUID, list[Any]] = {}
        for projected in events:
            e: Any = projected.event
            row = rows.get(e.originator_id)
            if row is None:
                # case_no, centre, department, status, events, visits, version, position, at
                row = rows[e.originator_id] = [None, None, None, None, 0, 0, 0, 0, None]
            kind = type(e).__name__
            if kind == "Registered":
                row[0:4] = [e.case_no, e.centre, e.department, "registered"]
            elif kind == "VisitRecorded":
                row[5] += 1
            elif kind in STATUS:
                row[3] = STATUS[kind]
            row[4] += 1
            row[6:9] = [e.originator_version, projected.position, e.timestamp]
        columns = list(zip(*rows.values(), strict=True))
        cur.execute(
            "INSERT INTO bench_cases AS v (generation, case_id, case_no, centre, department, "
            "status, events, visits, version, last_position, updated_at) "
            "SELECT %s, * FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::text[], "
            "%s::text[], %s::int[], %s::int[], %s::int[], %s::bigint[], %s::timestamptz[]) "
            "ON CONFLICT (generation, case_id) DO UPDATE SET "
            "case_no = coalesce(excluded.case_no, v.case_no), "
            "centre = coalesce(excluded.centre, v.centre), "
            "department = coalesce(excluded.department, v.department), "
            "status = coalesce(excluded.status, v.status), events = v.events + excluded.events, "
            "visits = v.visits + excluded.visits, version = excluded.version, "
            "last_position = excluded.last_position, updated_at = excluded.updated_at",
            (generation, list(rows), *(list(c) for c in columns)),
        )

    def clear(self, cur: psycopg.Cursor[Any], generation: int) -> None:
        cur.execute("DELETE FROM bench_cases WHERE generation = %s", (generation,))


BENCH_VIEW = """
CREATE TABLE bench_cases (
    generation int NOT NULL, case_id uuid NOT NULL, case_no text, centre text, department text,
    status text, events int NOT NULL, visits int NOT NULL, version int NOT NULL,
    last_position bigint NOT NULL, updated_at timestamptz, PRIMARY KEY (generation, case_id)
)
"""


def load_projection(path: str | None) -> Projection:
    path = path or DEFAULT_PROJECTION
    if path == "BenchCases" or path.endswith(":BenchCases"):  # this bench's, not a re-import
        return BenchCases()
    module, _, name = path.partition(":")
    made = getattr(importlib.import_module(module), name)
    return made() if isinstance(made, type) else made  # type: ignore[no-any-return]


def describe_projection(projection: Projection) -> str:
    if isinstance(projection, BenchCases):
        return "BenchCases (this script's one-table stand-in)"
    return f"{type(projection).__module__}:{type(projection).__qualname__}"


def create_bench_view(owner: str, app_role: str) -> None:
    """BenchCases' table, which no migration makes."""
    with psycopg.connect(owner, autocommit=True) as conn:
        conn.execute(BENCH_VIEW)
        conn.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON bench_cases TO {app_role}")


def view_tables(projection: Projection) -> tuple[str, ...]:
    if (tables := getattr(projection, "tables", None)) is not None:
        return tuple(tables)
    if (table := getattr(projection, "table", None)) is not None:
        return (table,)
    return VIEW_TABLES.get(projection.name, ())


def view_rows(conninfo: str, table: str, generation: int) -> list[str]:
    """A generation's rows without the generation column, sorted: equal lists, equal views."""
    with psycopg.connect(conninfo) as conn:
        rows = conn.execute(
            f"SELECT (to_jsonb(v) - 'generation')::text FROM {table} v WHERE generation = %s",
            (generation,),
        ).fetchall()
    return sorted(r[0] for r in rows)


def head(conninfo: str) -> int:
    """The log's last position."""
    with psycopg.connect(conninfo) as conn:
        row = conn.execute("SELECT coalesce(max(notification_id), 0) FROM ledger_events")
        found = row.fetchone()
    assert found is not None
    return int(found[0])


class Vacuums(Autovacuum):
    """Autovacuum and autoanalyze runs on the log and the view tables during a phase."""

    TABLES = ("ledger_events", "view_cases", "view_handoffs", "view_interventions", "bench_cases")
