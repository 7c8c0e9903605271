"""`ViewTable` writes a live batch as one JSON parameter and a catch-up batch by binary COPY: on a
real PostgreSQL, both store exactly the same values for every column type the views use, the
awkward ones included, and a NUL is refused before anything is sent, as psycopg refused it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest

from ledger.projections.views import tables
from ledger.projections.views.tables import ViewTable
from ledger.store.database import Database

COLUMNS = (
    ("row_id", "uuid"),
    ("label", "text"),
    ('"window"', "text"),  # a reserved word, quoted in SQL, plain in JSON
    ("tags", "text[]"),
    ("at", "timestamptz"),
    ("small", "int4"),
    ("big", "int8"),
    ("flag", "bool"),
    ("seconds", "float8"),
    ("state", "bytea"),
)
TABLE = "view_table_probe"
AWKWARD = [
    'quote " backslash \\ slash / tab \t newline \n',
    "\\u0000 as six characters, not a NUL",
    "李某 · 人社 😀 \u2028",
    "",
    "{a,b} (1,2) NULL",
]
BEIJING = timezone(timedelta(hours=8))


def rows() -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    for i, text in enumerate(AWKWARD):
        found.append(
            (
                uuid4(),
                text,
                f"2F-{i:02d}",
                [text, "", "a,b", '"q"', "NULL"],
                datetime(2026, 12, 7, 9, 30, 15, 123456 + i, tzinfo=BEIJING),
                -(2**31) if i == 0 else 2**31 - 1,
                2**62 + i,
                i % 2 == 0,
                0.1 + i / 3,
                bytes(range(256)) + bytes([i]),
            )
        )
    found.append((uuid4(), *([None] * (len(COLUMNS) - 1))))  # every column but the key NULL
    return found


@pytest.fixture
def conn(database: Database) -> Iterator[psycopg.Connection[Any]]:
    columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS)
    with psycopg.connect(database.owner_conninfo, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
        conn.execute(f"CREATE TABLE {TABLE} (generation int4, {columns})")
        conn.execute(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (generation, row_id)")
        yield conn
        conn.execute(f"DROP TABLE {TABLE}")


def stored(conn: psycopg.Connection[Any], generation: int) -> dict[UUID, tuple[Any, ...]]:
    found = conn.execute(f"SELECT * FROM {TABLE} WHERE generation = %s", (generation,))
    return {row[1]: row[2:] for row in found}


def test_json_and_copy_store_the_same_values(
    conn: psycopg.Connection[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    table = ViewTable(TABLE, COLUMNS, key="generation, row_id")
    written = rows()
    with conn.cursor() as cur:
        table.write(cur, 1, written)  # a live batch's size: the JSON parameter
        monkeypatch.setattr(tables, "SMALL_BATCH", 0)
        table.write(cur, 2, written)  # the same rows by COPY

    by_json, by_copy = stored(conn, 1), stored(conn, 2)
    assert by_json == by_copy
    assert by_json == {row[0]: row[1:] for row in written}  # aware times equal as instants


def test_a_small_batch_replaces_the_rows_with_its_key(conn: psycopg.Connection[Any]) -> None:
    table = ViewTable(TABLE, COLUMNS, key="generation, row_id")
    first, *_ = rows()
    changed = (first[0], "changed", *first[2:])
    with conn.cursor() as cur:
        table.write(cur, 1, [first])
        table.write(cur, 1, [changed])

    assert stored(conn, 1) == {first[0]: changed[1:]}


@pytest.mark.parametrize("where", ["label", "tags"])
def test_a_nul_is_refused_before_anything_is_sent(
    conn: psycopg.Connection[Any], where: str
) -> None:
    table = ViewTable(TABLE, COLUMNS, key="generation, row_id")
    first, *_ = rows()
    poisoned = list(first)
    secret = "applicant 李某 \x00 341525197001010020"
    poisoned[1 if where == "label" else 3] = secret if where == "label" else ["ok", secret]

    with conn.cursor() as cur, pytest.raises(psycopg.DataError) as refused:
        table.write(cur, 1, [tuple(poisoned)])

    assert str(refused.value) == "PostgreSQL text fields cannot contain NUL (0x00) bytes"
    assert stored(conn, 1) == {}
