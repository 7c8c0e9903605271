"""Migrating writes nothing to stdout: `ledger serve` migrates at start, and its stdout is the JSON
log stream, one object a line, that operators' collectors parse (yoyo prints the rows of any
statement that returns some)."""

from __future__ import annotations

import secrets

import pytest

from ledger.config.settings import Settings
from ledger.store.database import create_database, database_for, drop_database, migrate


def test_migrating_a_fresh_database_prints_nothing(
    server_conninfo: str, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"ledger_test_{secrets.token_hex(6)}"
    database = database_for(create_database(server_conninfo, name), settings)
    try:
        capsys.readouterr()
        applied = migrate(database)
        printed = capsys.readouterr().out
    finally:
        drop_database(server_conninfo, name)
    assert "0026_rating_tallies" in applied
    assert "0027_failure_records_without_values" in applied
    assert "0028_insert_lock_advisory" in applied
    assert printed == ""
