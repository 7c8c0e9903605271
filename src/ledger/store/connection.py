"""One autocommit connection, opened on first use and again after it was closed or lost: what a
long-running follower (the notary, the witness collector) holds between its transactions."""

from __future__ import annotations

from typing import Any

import psycopg


class LazyConnection:
    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self._conn: psycopg.Connection[tuple[Any, ...]] | None = None

    def get(self) -> psycopg.Connection[tuple[Any, ...]]:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.conninfo, autocommit=True)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
