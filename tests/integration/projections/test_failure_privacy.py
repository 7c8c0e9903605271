"""A view whose bug makes the error quote the event's values (PostgreSQL's DETAIL quotes the whole
failing row, a class-22 message the value, Python's `int()` its input): the projection stops
with a record as before, and neither the record, nor the log line, nor the anonymous `/health`,
nor the 503 a reader of any centre gets holds any of those values. The record still says what
failed: the error's class, the SQLSTATE and the table, column or constraint the server named,
and where the error was raised."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import psycopg
import pytest
from litestar.testing import TestClient
from structlog.testing import capture_logs

from ledger.api.app import create_app
from ledger.application.service import Ledger
from ledger.config.settings import Settings
from ledger.projections.base import ProjectedEvent
from ledger.projections.projector import Projector
from ledger.projections.status import stopped_projections
from ledger.projections.stopped import ProjectionStopped
from ledger.store.database import MIGRATIONS_DIR, Database
from tests.projection_support import Counts, failures, fill_log, make_view

SECRET = "张三丰 13800001234 110101199001011234"
"""What the failing row holds: a name, a mobile and an ID number, none of which may leak."""
PARTS = SECRET.split()
MIGRATION = MIGRATIONS_DIR / "0027_failure_records_without_values.sql"


class Quoting(Counts):
    """`Counts` with a bug that makes the error quote `SECRET`, in the way `how` names."""

    how: ClassVar[str] = "check"

    def apply(
        self, cur: psycopg.Cursor[Any], generation: int, events: Sequence[ProjectedEvent]
    ) -> None:
        super().apply(cur, generation, events)
        if not any(getattr(e.event, "n", None) == 5 for e in events):
            return
        if self.how == "check":  # DETAIL: Failing row contains (张三丰 ...)
            cur.execute("INSERT INTO test_notes (note) VALUES (%s)", (SECRET,))
        elif self.how == "cast":  # invalid input syntax for type integer: "张三丰 ..."
            cur.execute("SELECT %s::int", (SECRET,))
        else:  # invalid literal for int() with base 10: '张三丰 ...'
            int(SECRET)


@pytest.fixture
def database(database_factory: Callable[[], Database]) -> Database:
    db = database_factory()
    make_view(db)
    with psycopg.connect(db.owner_conninfo, autocommit=True) as conn:
        conn.execute("CREATE TABLE test_notes (note text CHECK (length(note) < 4))")
        conn.execute("GRANT INSERT ON test_notes TO ledger_app")
    return db


def _holds_secret(text: str) -> bool:
    return any(part in text for part in PARTS)


@pytest.mark.parametrize(
    ("how", "names"),
    [
        ("check", ["psycopg.errors.CheckViolation", "SQLSTATE 23514", "test_notes_note_check"]),
        ("cast", ["psycopg.errors.InvalidTextRepresentation", "SQLSTATE 22P02"]),
        ("python", ["builtins.ValueError", f"raised at {__name__}:", "in apply"]),
    ],
)
def test_a_failure_that_quotes_the_row_is_recorded_logged_and_shown_without_it(
    how: str,
    names: list[str],
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Quoting, "how", how)
    fill_log(database, 10)  # Ping 5 is at position 6
    projector = Projector(database.app_conninfo, Quoting())
    with capture_logs() as logs:
        batch = projector.step()
    projector.close()
    with psycopg.connect(database.owner_conninfo, autocommit=True) as conn:
        [record] = failures(conn)
        [stopped] = stopped_projections(conn.cursor())
    ledger = Ledger(settings, database)
    try:
        with TestClient(create_app(settings, ledger)) as client:
            health = client.get("/health")  # anonymous
    finally:
        ledger.close()

    assert batch.stopped_before == 6 and record["position"] == 6
    described = f"{record['error_class']}: {record['error']}"
    for name in names:
        assert name in described
    assert not _holds_secret(described), described
    assert not _holds_secret(str(ProjectionStopped(stopped, 6)))  # any reader's 503
    assert [e["event"] for e in logs] == ["projection.event_failed"]
    assert not _holds_secret(repr(logs))
    assert health.status_code == 200 and health.json()["status"] == "degraded"
    assert not _holds_secret(health.text)
    assert record["error"] in health.text  # what is shown is the record, not a second text


def test_migration_0027_replaces_the_text_of_records_an_earlier_release_wrote(
    database: Database,
) -> None:
    fill_log(database, 10)
    projector = Projector(database.app_conninfo, Quoting())
    projector.step()  # a record in the new form, at position 6
    projector.close()
    old = f'new row for relation "test_notes" violates check constraint\nDETAIL:  ({SECRET})'
    with psycopg.connect(database.owner_conninfo, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO ledger_projection_failures (name, position, generation, originator_id, "
            "originator_version, topic, error_class, error) SELECT name, 9, generation, "
            "originator_id, 8, topic, error_class, %s FROM ledger_projection_failures",
            (old,),
        )
        [new, _] = failures(conn)
        conn.execute(MIGRATION.read_text())
        once = failures(conn)
        conn.execute(MIGRATION.read_text())
        twice = failures(conn)

    assert once[0] == new  # the new form is left as it is
    assert once[1]["error"].startswith("not kept: recorded before migration 0027")
    assert not _holds_secret(repr(once))
    assert twice == once
