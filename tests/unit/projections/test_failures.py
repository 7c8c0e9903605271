"""Which errors stop a projection (the event is at fault) and which are retried (it is not)."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from psycopg import errors

import ledger
from ledger.projections import failures
from ledger.projections.failures import describe_error, is_transient
from ledger.store.json_rows import json_rows


@pytest.mark.parametrize(
    "error",
    [
        errors.SerializationFailure("could not serialize access"),
        errors.DeadlockDetected("deadlock detected"),
        errors.AdminShutdown("terminating connection due to administrator command"),
        errors.QueryCanceled("canceling statement due to statement timeout"),
        errors.LockNotAvailable("could not obtain lock"),
        errors.DiskFull("could not extend file"),
        errors.ConnectionFailure("connection failure"),
        psycopg.OperationalError("consuming input failed: server closed the connection"),
        psycopg.InterfaceError("the connection is closed"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_that_say_nothing_about_the_event_are_transient(error: Exception) -> None:
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes"),
        errors.CharacterNotInRepertoire('invalid byte sequence for encoding "UTF8": 0x00'),
        errors.ProgramLimitExceeded("index row size 2712 exceeds btree version 4 maximum 2704"),
        errors.UniqueViolation("duplicate key value violates unique constraint"),
        errors.UndefinedColumn('column "x" does not exist'),
        ValueError("VisitRecorded before Registered"),
        KeyError("handoff"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_errors_an_event_can_cause_are_not_transient(error: Exception) -> None:
    assert not is_transient(error)


def test_a_description_keeps_the_sqlstate_and_the_frame_not_the_text() -> None:
    try:
        int("13800001234x")
    except ValueError as e:
        raised = describe_error(e)
    unraised = errors.CheckViolation("violates check constraint\nDETAIL:  Failing row (李四)")

    assert raised.startswith(f"raised at {__name__}:")
    assert raised.endswith(" in test_a_description_keeps_the_sqlstate_and_the_frame_not_the_text")
    assert "1380000" not in raised
    assert describe_error(unraised) == "SQLSTATE 23514"
    assert describe_error(KeyError("李四")) == "raised outside any frame"


def test_the_frame_named_is_ours_not_a_librarys_even_with_the_ledger_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    try:
        json.loads("{")  # raised inside the standard library's json.decoder
    except ValueError as e:
        in_stdlib = describe_error(e)
    installed = (*failures.LIBRARIES, str(Path(ledger.__file__).parent))
    monkeypatch.setattr(failures, "LIBRARIES", installed)  # as if pip-installed
    try:
        json_rows([{"note": "\x00"}])
    except psycopg.DataError as e:
        in_ledger = describe_error(e)

    assert in_stdlib.startswith(f"raised at {__name__}:")
    assert in_ledger.startswith("raised at ledger.store.json_rows:")
