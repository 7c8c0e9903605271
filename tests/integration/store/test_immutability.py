"""PostgreSQL itself keeps stored events immutable, whoever asks."""

from __future__ import annotations

import psycopg
import pytest

from ledger.log.keys import load_signer
from ledger.log.notary import Notary
from ledger.store.database import Database
from tests.conftest import actor, register


@pytest.fixture(scope="module")
def sealed_rows(database: Database, settings, ledger, tmp_path_factory) -> None:
    """Rows in every append-only table: row triggers only fire on rows that exist."""
    register(ledger, actor("clerk-i", "clerk", unit="人社"))
    signer = load_signer(tmp_path_factory.mktemp("keys") / "notary.key", settings.origin)
    Notary(database.notary_conninfo, signer, settings.origin).catch_up()


CHANGES = (
    "UPDATE ledger_events SET topic = topic",
    "DELETE FROM ledger_events",
    "TRUNCATE ledger_events",
)


@pytest.mark.parametrize("statement", CHANGES)
def test_the_application_role_may_not_change_stored_events(
    database: Database, statement: str, sealed_rows: None
) -> None:
    with psycopg.connect(database.app_conninfo) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute(statement)


@pytest.mark.parametrize("statement", CHANGES)
def test_even_the_owner_is_refused_by_the_triggers(
    database: Database, statement: str, sealed_rows: None
) -> None:
    with psycopg.connect(database.owner_conninfo) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="immutable"):
            conn.execute(statement)


def test_the_application_role_may_only_read_stored_events(database: Database) -> None:
    with psycopg.connect(database.owner_conninfo) as conn:
        granted = {
            privilege
            for privilege in (
                "SELECT",
                "INSERT",
                "UPDATE",
                "DELETE",
                "TRUNCATE",
                "REFERENCES",
                "TRIGGER",
            )
            if conn.execute(
                "SELECT has_table_privilege('ledger_app', 'ledger_events', %s)", (privilege,)
            ).fetchone()[0]
        }
    assert granted == {"SELECT"}  # it appends through ledger_append_events() (0007)


def test_the_application_role_cannot_take_the_table_lock_directly(database: Database) -> None:
    with psycopg.connect(database.app_conninfo) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("LOCK TABLE ledger_events IN EXCLUSIVE MODE")


@pytest.mark.parametrize(
    ("table", "column"),
    [("ledger_leaves", "leaf_hash"), ("ledger_tree_nodes", "hash"), ("ledger_checkpoints", "note")],
)
def test_the_verifiable_log_is_append_only_too(
    database: Database, sealed_rows: None, table: str, column: str
) -> None:
    with psycopg.connect(database.owner_conninfo, autocommit=True) as conn:
        for statement in (
            f"UPDATE {table} SET {column} = {column}",
            f"DELETE FROM {table}",
            f"TRUNCATE {table}",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="immutable"):
                conn.execute(statement)
