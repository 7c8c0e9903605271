"""Migration 0025 on a database whose cases were projected before it: the tallies are built from
the rows already there, and running it again changes nothing (migrations here are re-runnable)."""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from ledger.config.settings import Settings
from ledger.projections.views.cases import CasesProjection
from ledger.store.database import MIGRATIONS_DIR, Database
from tests.tally_support import assert_tallies_match_rows, projected_without_triggers

MIGRATION = MIGRATIONS_DIR / "0025_case_tallies.sql"
TABLES = ("view_case_tallies", "view_case_matters", "view_case_completions")


def test_the_migration_tallies_the_cases_already_projected(
    database_factory: Callable[[], Database], settings: Settings
) -> None:
    database = projected_without_triggers(
        database_factory, settings, "view_cases", lambda ledger: CasesProjection(ledger.policies)
    )
    with psycopg.connect(database.owner_conninfo, autocommit=True) as conn:
        for table in TABLES:
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)
        conn.execute(MIGRATION.read_text())
        assert_tallies_match_rows(conn)
        before = {
            t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3, 4, 5, 6").fetchall()
            for t in TABLES
        }
        conn.execute(MIGRATION.read_text())
        after = {
            t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3, 4, 5, 6").fetchall()
            for t in TABLES
        }
        assert after == before
