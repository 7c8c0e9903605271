"""Cases for the view tests: the demo's synthetic month written through `Ledger` in process.

The synthetic plans exercise every lifecycle path (notices, hand-offs signed for, returned and
pending, pauses, extensions, late and open cases, refusals, interventions). Here each step's body
goes through the same wire schema and conversion the HTTP handlers use, minus HTTP
(`ledger.demo.commands`), so a hundred cases take a second or two.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

import psycopg
import pytest

from ledger.application.service import Ledger
from ledger.config.settings import Settings
from ledger.demo.commands import as_actor, command, registration
from ledger.demo.plan import CasePlan
from ledger.demo.synthetic import month_plans
from ledger.demo.synthetic.calendar import WorkingDays, national_calendar
from ledger.store.database import Database


def apply_plan(ledger: Ledger, plan: CasePlan, now: datetime | None = None) -> UUID:
    """Register the plan's case and append its steps up to `now`; the case id."""
    now = now or datetime.now(timezone.utc)  # noqa: UP017 (house style)
    first, *rest = plan.steps
    fields = registration(first, ledger.protect_applicant)
    case_id = ledger.register_case(as_actor(first.by), **fields).case_id
    minted: dict[str, Any] = {}
    for step in rest:
        if step.at > now:
            break
        c = command(step, minted)
        receipt = ledger.append(
            case_id, c.actor, c.event_type, occurred_at=c.occurred_at, **c.fields
        )
        minted.update(receipt.ids)
    return case_id


def synthetic_cases(
    ledger: Ledger, count: int, month: str = "2026-09", seed: int = 7
) -> list[UUID]:
    """`count` synthetic cases of `month`, written through the ledger; their ids."""
    days = WorkingDays(national_calendar())
    return [apply_plan(ledger, plan) for plan in month_plans(month, seed, count, days)]


def module_scoped_ledger() -> tuple[Any, Any]:
    """Module-scoped stand-ins for the session's `database` and `ledger` fixtures, so a view test
    module asserting counts sees no other module's cases:

        database, ledger = module_scoped_ledger()
    """

    @pytest.fixture(scope="module")
    def database(database_factory: Callable[[], Database]) -> Database:
        return database_factory()

    @pytest.fixture(scope="module")
    def ledger(settings: Settings, database: Database) -> Iterator[Ledger]:
        app = Ledger(settings, database)
        yield app
        app.close()

    return database, ledger


def live_rows(
    conn: psycopg.Connection[Any], projection: str, table: str, order_by: str
) -> list[tuple[Any, ...]]:
    """The live generation's rows of a view table, without the generation column, in order."""
    cur = conn.execute(
        f"SELECT v.* FROM {table} v JOIN ledger_projections p "
        f"ON p.name = %s AND v.generation = p.generation ORDER BY {order_by}",
        (projection,),
    )
    return [row[1:] for row in cur.fetchall()]


def module_client_with_views() -> Any:
    """A module-scoped `client` fixture: the app over the module's ledger with the cases,
    exceptions and pushback projections running, so views answer (`client = ...()` in a module
    that also took `module_scoped_ledger()`)."""
    from litestar.testing import TestClient

    from ledger.api.app import create_app
    from ledger.projections.views.cases import CasesProjection
    from ledger.projections.views.exceptions import ExceptionsProjection
    from ledger.projections.views.pushback import PushbackProjection
    from ledger.projections.worker import ProjectionWorker

    @pytest.fixture(scope="module")
    def client(settings: Settings, ledger: Ledger, database: Database) -> Iterator[Any]:
        worker = ProjectionWorker(
            database.app_conninfo,
            [CasesProjection, ExceptionsProjection, PushbackProjection],
            idle_timeout=0.5,
        ).start()
        try:
            with TestClient(create_app(settings, ledger)) as test_client:
                yield test_client
        finally:
            worker.stop()

    return client
