"""What the batched views share: writing a table in one go, clearing a generation, and pausing
the cyclic collector.

A view's batch writes each of its tables once (`ViewTable`): one `INSERT ... SELECT FROM
json_populate_recordset` for the handful of rows of a live batch (one round trip, one parameter),
binary COPY into a temporary twin and one `INSERT ... SELECT` for a catch-up batch. Figures in
docs/DECISIONS.md and ops/bench/README.md.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Sequence
from typing import Any

import psycopg

from ledger.store.json_rows import bytea, json_rows


def subclasses(cls: type) -> list[type]:
    """Every subclass, however deep: a view reads the topics of a whole event family."""
    found: list[type] = []
    direct: list[type] = cls.__subclasses__()
    for sub in direct:
        found += [sub, *subclasses(sub)]
    return found


SMALL_BATCH = 200
"""Up to this many rows a table is written by one `INSERT ... SELECT FROM
json_populate_recordset(...)`; more, by COPY. A live batch is a handful of rows, and round trips,
each also a wait for the GIL in a busy process, are most of its time: one statement instead of
four. The rows go as one JSON document that msgspec encodes in C: as one array per column
(`unnest`), psycopg dumped them element by element in Python, 0.5-0.6 ms of the projector's CPU
for one `view_cases` row against 0.13 ms as JSON (docs/DECISIONS.md, "Live view batches as one
JSON parameter")."""


class ViewTable:
    """A view table written by one INSERT ... SELECT from a JSON parameter (small batches), or by
    binary COPY into a temporary twin and then one INSERT ... SELECT (with `key`, replacing rows
    with the same key; without, a duplicate fails: a batch is applied once, so one would be a
    bug)."""

    def __init__(self, name: str, columns: Sequence[tuple[str, str]], key: str | None = None):
        names = ", ".join(column for column, _ in columns)
        stage = f"{name}_batch"
        self.types = ["int4", *(kind for _, kind in columns)]
        self.create = f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {name})"
        self.copy = f"COPY {stage} (generation, {names}) FROM STDIN (FORMAT BINARY)"
        self.insert = f"INSERT INTO {name} SELECT * FROM {stage}"
        # The table's own row type types the JSON's fields: PostgreSQL parses each with its
        # column's input function (a JSON array into an array column), as COPY's twin does.
        self.insert_json = (
            f"INSERT INTO {name} (generation, {names}) SELECT %s::int4, {names} "
            f"FROM json_populate_recordset(NULL::{name}, %s::json)"
        )
        if key is not None:
            keys = {k.strip() for k in key.split(",")}
            updates = ", ".join(f"{c} = excluded.{c}" for c, _ in columns if c not in keys)
            self.insert += f" ON CONFLICT ({key}) DO UPDATE SET {updates}"
            self.insert_json += f" ON CONFLICT ({key}) DO UPDATE SET {updates}"
        self.empty = f"DELETE FROM {stage}"
        self._fields = [column.strip('"') for column, _ in columns]
        self._bytea = [i for i, (_, kind) in enumerate(columns) if kind == "bytea"]

    def write(self, cur: psycopg.Cursor[Any], generation: int, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if len(rows) <= SMALL_BATCH:
            cur.execute(self.insert_json, (generation, self._json(rows)))
            return
        cur.execute(self.create)
        with cur.copy(self.copy) as copy:
            copy.set_types(self.types)
            for row in rows:
                copy.write_row((generation, *row))
        cur.execute(self.insert)
        cur.execute(self.empty)

    def _json(self, rows: list[tuple[Any, ...]]) -> str:
        """The rows as a JSON array of objects keyed by column; bytes as bytea's hex input. (The
        views' float columns are durations, always finite: JSON has no NaN.)"""
        fields, in_hex = self._fields, self._bytea
        objects = []
        for row in rows:
            values = list(row)
            for i in in_hex:
                values[i] = bytea(values[i])
            objects.append(dict(zip(fields, values, strict=True)))
        return json_rows(objects)


def clear_tables(cur: psycopg.Cursor[Any], generation: int, tables: Sequence[str]) -> None:
    """Delete every row of `generation` from a view's tables (`Projection.clear`)."""
    for table in tables:
        cur.execute(f"DELETE FROM {table} WHERE generation = %s", (generation,))


class GcPaused:
    """Python's cyclic collector off while a batch runs, then on again if it was on.

    A batch allocates tens of thousands of container objects (decoded and folded states, rows)
    that reference counting frees; the collector's passes over them while they live cost time
    and find next to nothing (8 unreachable objects over a 50,000-event catch-up). Pausing it
    here cut the projector thread's CPU by about a tenth on the synthetic mix (figures in
    ops/bench/README.md). Counted under a lock, so batches overlapping in other threads (a
    rebuild beside the live projector) never leave it off; a batch is bounded, so is what waits.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._was_enabled = False

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._depth += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0 and self._was_enabled:
                gc.enable()


GC_PAUSED = GcPaused()
