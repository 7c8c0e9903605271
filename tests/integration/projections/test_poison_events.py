"""A NUL inside a text field, appended through `Ledger` as an old client (or an attacker) could
before the API refused it, on a real PostgreSQL with the real views: the "cases" view stops
exactly before it with a record naming it, the other projections apply it and what follows,
`/health` says degraded, a read waiting past it answers 503 at once, skip lets the view go on
(and a rebuild skips it too), retry after a fix forward applies it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg
import pytest
from litestar.testing import TestClient

from ledger.api.app import create_app
from ledger.application.service import Ledger
from ledger.config.settings import Settings
from ledger.domain.case import Case
from ledger.domain.lifecycle import EscalationThreat
from ledger.projections.base import ProjectedEvent
from ledger.projections.failures import retry, skip
from ledger.projections.projector import Projector
from ledger.projections.rebuild import rebuild
from ledger.projections.status import projection_status
from ledger.projections.views.cases import CasesProjection
from ledger.projections.views.exceptions import ExceptionsProjection
from ledger.projections.views.pushback import PushbackProjection
from ledger.projections.worker import ProjectionWorker
from ledger.store.database import Database
from tests.conftest import actor, register
from tests.projection_support import (  # fresh_ledger, owner_connection: fixtures
    Counts,
    failures,
    fresh_ledger,  # noqa: F401
    log_counts,
    make_view,
    owner_connection,  # noqa: F401
    stopped_before,
    view_counts,
    wait_until,
)

CLERK = actor("clerk-nul", "clerk", unit="人社")
DUTY = actor("duty-nul", "duty_officer", unit="值班")
POISON = "called the director\x00; DROP TABLE view_cases"


@pytest.fixture
def database(database_factory: Callable[[], Database]) -> Database:
    db = database_factory()
    make_view(db)
    return db


@dataclass(frozen=True)
class Poisoned:
    before: UUID
    """Registered, visited, then given the poison event."""
    after: UUID
    """Registered before the poison, visited after it."""
    late: UUID
    """Registered after the poison."""
    position: int
    """The poison event's position."""
    head: int


def head(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT max(notification_id) FROM ledger_events").fetchone()
    assert row is not None
    return int(row[0])


def position_of(conn: psycopg.Connection[Any], name: str) -> int:
    return projection_status(conn, name).position


@pytest.fixture
def poisoned(ledger: Ledger, database: Database, owner: psycopg.Connection[Any]) -> Poisoned:
    """The log with a poison event in the middle, every projection run over it (in one batch
    each, so the events around the poison share its batch)."""
    before = register(ledger, CLERK).case_id
    ledger.append(before, CLERK, "VisitRecorded", note="first visit")
    after = register(ledger, CLERK).case_id
    poison = ledger.append(
        before, DUTY, "DutyIntervention", action=POISON, escalation_threat=EscalationThreat.NONE
    ).position
    ledger.append(after, CLERK, "VisitRecorded", note="after the poison")
    late = register(ledger, CLERK).case_id
    end = head(owner)
    worker = ProjectionWorker(
        database.app_conninfo,
        [CasesProjection, ExceptionsProjection, PushbackProjection, Counts],
        idle_timeout=0.2,
    ).start()
    try:
        wait_until(lambda: stopped_before(owner, "cases") == poison)
        for name in ("exceptions", "pushback", "test_counts"):
            wait_until(lambda name=name: position_of(owner, name) == end)
        time.sleep(0.5)  # idle rounds: a stopped projection must not retry or record again
    finally:
        worker.stop()
    return Poisoned(before, after, late, poison, end)


def case_rows(conn: psycopg.Connection[Any]) -> dict[UUID, tuple[int, int]]:
    """Each case in the live "cases" view: (version, interventions)."""
    rows = conn.execute(
        "SELECT v.case_id, v.version, v.interventions FROM view_cases v "
        "JOIN ledger_projections p ON p.name = 'cases' AND v.generation = p.generation"
    ).fetchall()
    return {case_id: (version, interventions) for case_id, version, interventions in rows}


def test_the_cases_view_stops_exactly_before_the_nul_event_and_the_other_views_go_on(
    poisoned: Poisoned, owner: psycopg.Connection[Any]
) -> None:
    [record] = failures(owner)

    assert position_of(owner, "cases") == poisoned.position - 1
    assert case_rows(owner) == {poisoned.before: (2, 0), poisoned.after: (1, 0)}
    for name in ("exceptions", "pushback", "test_counts"):
        assert position_of(owner, name) == poisoned.head
        assert stopped_before(owner, name) is None
    assert view_counts(owner) == log_counts(owner)  # every event, the poison included
    assert record["name"] == "cases" and record["position"] == poisoned.position
    assert (record["originator_id"], record["originator_version"]) == (poisoned.before, 3)
    assert record["topic"] == "ledger.domain.case:Case.DutyIntervention"
    assert record["error_class"] == "ledger.store.json_rows.NulInText"
    assert record["error"].startswith("raised at ledger.store.json_rows:")
    assert "director" not in record["error"]  # the event's text is not quoted
    assert (record["attempts"], record["state"], record["generation"]) == (1, "failed", 1)
    assert record["first_failed_at"] == record["failed_at"]  # no retry loop since


def test_health_is_degraded_and_a_read_past_the_event_answers_503_at_once(
    poisoned: Poisoned,
    settings: Settings,
    ledger: Ledger,
    token_for: Callable[..., dict[str, str]],
) -> None:
    clerk = token_for("clerk-nul", "clerk", unit="人社")
    with TestClient(create_app(settings, ledger)) as client, ThreadPoolExecutor(1) as pool:
        health = client.get("/health")
        t0 = time.monotonic()
        past = pool.submit(
            client.get, f"/cases?min_position={poisoned.position}", headers=clerk
        ).result(timeout=30)  # never hangs the suite
        waited = time.monotonic() - t0
        short = client.get(f"/cases?min_position={poisoned.position - 1}", headers=clerk)
        other = client.get(
            "/hotline/tickets", headers={**clerk, "Ledger-Position": str(poisoned.head)}
        )

    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "degraded" and body["database"] == "ok"
    [stopped] = body["degraded"]
    assert stopped["rule"] == "projection.stopped" and stopped["projection"] == "cases"
    assert (stopped["position"], stopped["event_position"]) == (
        poisoned.position - 1,
        poisoned.position,
    )
    assert stopped["originator_id"] == str(poisoned.before)
    assert stopped["error_class"] == "ledger.store.json_rows.NulInText"
    assert past.status_code == 503, past.text
    assert past.headers["content-type"].startswith("application/problem+json")
    assert "retry-after" in past.headers
    problem = past.json()
    assert problem["rule"] == "projection.stopped" and "cases view" in problem["detail"]
    assert problem["type"].endswith("/projection-stopped")
    assert past.headers["retry-after"] == "30"
    assert f"event {poisoned.position}" in problem["detail"]
    assert problem["position"] == poisoned.position - 1
    assert waited < 2  # at once: not after the read's wait, and never for ever
    assert short.status_code == 200, short.text  # up to where it stopped, the view answers
    assert other.status_code == 200, other.text  # other views are not affected


def test_skip_lets_the_view_go_on_knowingly_without_the_event_and_a_rebuild_skips_it_too(
    poisoned: Poisoned,
    database: Database,
    owner: psycopg.Connection[Any],
    settings: Settings,
    ledger: Ledger,
) -> None:
    with psycopg.connect(database.app_conninfo, autocommit=True) as conn:
        skipped = skip(conn, "cases", by="ops-9", reason="NUL from an old client; see ticket 14")
    projector = Projector(database.app_conninfo, CasesProjection())
    reached = projector.catch_up()
    projector.close()
    live = case_rows(owner)
    with psycopg.connect(database.app_conninfo, autocommit=True) as conn:
        status = projection_status(conn, "cases")
    rebuilt = rebuild(database.app_conninfo, CasesProjection())
    with TestClient(create_app(settings, ledger)) as client:
        health = client.get("/health").json()

    assert skipped.position == poisoned.position and skipped.state == "skipped"
    assert reached == poisoned.head and projector.stopped_before is None
    assert live == {poisoned.before: (2, 0), poisoned.after: (2, 0), poisoned.late: (1, 0)}
    assert status.stopped is None and status.state == "skipping"
    [shown] = status.skipped
    assert (shown.position, shown.resolved_by, shown.reason) == (
        poisoned.position,
        "ops-9",
        "NUL from an old client; see ticket 14",
    )
    assert rebuilt.skipped == (poisoned.position,) and rebuilt.position == poisoned.head
    assert case_rows(owner) == live
    assert health["status"] == "ok" and health["degraded"] == []


class FixedCases(CasesProjection):
    """The fix forward: the view now stores a NUL in an action as U+FFFD."""

    def apply(self, cur: Any, generation: int, events: Sequence[ProjectedEvent]) -> None:
        super().apply(cur, generation, [_clean(e) for e in events])


def _clean(projected: ProjectedEvent) -> ProjectedEvent:
    event = projected.event
    if isinstance(event, Case.DutyIntervention):
        event = dataclasses.replace(event, action=event.action.replace("\x00", "\ufffd"))
    return dataclasses.replace(projected, event=event)


def test_retry_after_a_fix_forward_applies_the_event(
    poisoned: Poisoned, database: Database, owner: psycopg.Connection[Any]
) -> None:
    with psycopg.connect(database.app_conninfo, autocommit=True) as conn:
        [retried] = retry(conn, "cases", by="ops-9", reason="deployed the fix")
    projector = Projector(database.app_conninfo, FixedCases())
    reached = projector.catch_up()
    projector.close()
    action = owner.execute("SELECT action FROM view_interventions").fetchone()

    assert retried.position == poisoned.position
    assert reached == poisoned.head and projector.stopped_before is None
    assert case_rows(owner)[poisoned.before] == (3, 1)
    assert action == (POISON.replace("\x00", "\ufffd"),)
    [record] = failures(owner)
    assert (record["state"], record["reason"], record["attempts"]) == (
        "retried",
        "deployed the fix",
        1,
    )
