"""PostgreSQL itself keeps stored events immutable, whoever asks."""

from __future__ import annotations

import psycopg
import pytest

from ledger.database import Database

CHANGES = (
    "UPDATE ledger_events SET topic = topic",
    "DELETE FROM ledger_events",
    "TRUNCATE ledger_events",
)


@pytest.mark.parametrize("statement", CHANGES)
def test_the_application_role_may_not_change_stored_events(
    database: Database, statement: str, ledger
) -> None:
    with psycopg.connect(database.app_conninfo) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute(statement)


@pytest.mark.parametrize("statement", CHANGES)
def test_even_the_owner_is_refused_by_the_triggers(
    database: Database, statement: str, ledger
) -> None:
    with psycopg.connect(database.owner_conninfo) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="immutable"):
            conn.execute(statement)


def test_the_application_role_has_insert_and_select_only(database: Database) -> None:
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
    assert granted == {"SELECT", "INSERT"}


def test_the_application_role_cannot_take_the_table_lock_directly(database: Database) -> None:
    with psycopg.connect(database.app_conninfo) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("LOCK TABLE ledger_events IN EXCLUSIVE MODE")
