"""Migration 0026 on a database whose ratings were projected before it: the rating tallies are
built from the ratings already there, and running it again changes nothing (migrations here are
re-runnable)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import psycopg

from ledger.application.service import Ledger
from ledger.config.settings import Settings
from ledger.projections.projector import Projector
from ledger.projections.views.pushback import PushbackProjection
from ledger.store.database import Database
from tests.tally_support import assert_rating_tallies_match_rows
from tests.views_support import synthetic_cases

MIGRATION = Path(__file__).parents[3] / "migrations" / "0026_rating_tallies.sql"


def test_the_migration_tallies_the_ratings_already_projected(
    database_factory: Callable[[], Database], settings: Settings
) -> None:
    database = database_factory()
    ledger = Ledger(settings, database)
    try:
        synthetic_cases(ledger, 40)
    finally:
        ledger.close()
    with psycopg.connect(database.owner_conninfo, autocommit=True) as conn:
        for trigger in ("insert", "update", "delete"):  # as before 0026: ratings, no tallies
            conn.execute(f"DROP TRIGGER view_ratings_tallies_{trigger} ON view_ratings")
        projector = Projector(database.app_conninfo, PushbackProjection(), batch_size=13)
        try:
            projector.catch_up()
        finally:
            projector.close()
        assert conn.execute("SELECT count(*) FROM view_rating_tallies").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM view_ratings").fetchone() != (0,)
        conn.execute(MIGRATION.read_text())
        assert_rating_tallies_match_rows(conn)
        query = "SELECT * FROM view_rating_tallies ORDER BY 1, 2, 3, 4, 5"
        before = conn.execute(query).fetchall()
        conn.execute(MIGRATION.read_text())
        assert conn.execute(query).fetchall() == before
