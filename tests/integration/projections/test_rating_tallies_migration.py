"""Migration 0026 on a database whose ratings were projected before it: the rating tallies are
built from the ratings already there, and running it again changes nothing (migrations here are
re-runnable)."""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from ledger.config.settings import Settings
from ledger.projections.views.pushback import PushbackProjection
from ledger.store.database import MIGRATIONS_DIR, Database
from tests.tally_support import assert_rating_tallies_match_rows, projected_without_triggers

MIGRATION = MIGRATIONS_DIR / "0026_rating_tallies.sql"


def test_the_migration_tallies_the_ratings_already_projected(
    database_factory: Callable[[], Database], settings: Settings
) -> None:
    database = projected_without_triggers(
        database_factory, settings, "view_ratings", lambda _: PushbackProjection()
    )
    with psycopg.connect(database.owner_conninfo, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM view_rating_tallies").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM view_ratings").fetchone() != (0,)
        conn.execute(MIGRATION.read_text())
        assert_rating_tallies_match_rows(conn)
        query = "SELECT * FROM view_rating_tallies ORDER BY 1, 2, 3, 4, 5"
        before = conn.execute(query).fetchall()
        conn.execute(MIGRATION.read_text())
        assert conn.execute(query).fetchall() == before
