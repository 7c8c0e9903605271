"""The PostgreSQL a run measures on: the embedded server or LEDGER_BENCH_DATABASE_URL's, a fresh
migrated database on it, CHECKPOINT between phases, and what autovacuum did meanwhile."""

from __future__ import annotations

import os
import secrets
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ledger.config.settings import Settings
from ledger.store.database import (
    Database,
    _embedded_owner_conninfo,
    create_database,
    database_for,
    migrate,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from support.run import Run


def open_server(run: Run) -> tuple[str, str]:
    """The server to make the bench database on, and how to describe it."""
    if url := os.environ.get("LEDGER_BENCH_DATABASE_URL"):
        return url, "LEDGER_BENCH_DATABASE_URL"
    run.embedded_pgdata = (run.tmp / "embedded" / "pgdata").resolve()
    owner = _embedded_owner_conninfo(run.tmp / "embedded")
    params = conninfo_to_dict(owner)
    return make_conninfo(owner, dbname="postgres"), f"embedded (unix socket {params.get('host')})"


def server_facts(conninfo: str) -> str:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        facts = [
            f"{name}={conn.execute(f'SHOW {name}').fetchone()[0]}"  # type: ignore[index]
            for name in ("server_version", "shared_buffers", "synchronous_commit", "fsync")
        ]
    return ", ".join(facts)


def fresh_database(run: Run) -> tuple[str, str, Settings, Database]:
    """A new, migrated bench database on the run's server: owner conninfo, where the server is,
    settings, and the database (dropped by the run's cleanup)."""
    run.server_conninfo, where = open_server(run)
    run.db_name = f"ledger_bench_{secrets.token_hex(4)}"
    owner = create_database(run.server_conninfo, run.db_name)
    settings = Settings(
        database_url=owner,
        data_dir=run.tmp / "data",
        token_secret=secrets.token_bytes(32),
        pii_key=secrets.token_bytes(32),
    )
    database = database_for(owner, settings)
    migrate(database)
    return owner, where, settings, database


def database_facts(run: Run, owner: str, where: str) -> list[tuple[str, str]]:
    """The report's lines on the server and the bench database."""
    return [
        ("PostgreSQL", f"{where}; {server_facts(owner)}"),
        ("database", f"{run.db_name} (fresh, migrated; dropped at the end)"),
    ]


def checkpointer(conninfo: str) -> Callable[[], None]:
    """CHECKPOINT before a phase, when the role may run it."""

    def checkpoint() -> None:
        with suppress(psycopg.Error), psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("CHECKPOINT")

    return checkpoint


def autovacuum_runs(conninfo: str, tables: Sequence[str], *, since: str = "") -> str:
    """How often auto-ANALYZE and auto-VACUUM ran on `tables` over the whole run. Each takes a
    lock that conflicts with the writers' EXCLUSIVE insert lock and competes for the same 2
    cores: a lead for p99 outliers."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT relname, autoanalyze_count, autovacuum_count FROM pg_stat_user_tables "
            "WHERE relname = ANY(%s) ORDER BY relname",
            (list(tables),),
        ).fetchall()
    counts = ", ".join(f"{name} {analyze}/{vacuum}" for name, analyze, vacuum in rows)
    return f"autoanalyze/autovacuum runs over the whole run{since}: {counts}"


class Autovacuum:
    """Which autovacuum or autoanalyze runs on the log tables overlapped a phase (they count as
    `postgres` CPU in the notes): a lead when a phase runs slower than usual."""

    TABLES: tuple[str, ...] = ("ledger_events", "ledger_leaves", "ledger_tree_nodes")

    def __init__(self, conninfo: str, tables: Sequence[str] | None = None) -> None:
        self.conninfo = conninfo
        self.tables = tuple(tables) if tables is not None else self.TABLES
        self.ran: list[str] = []
        self._since: datetime | None = None

    def __enter__(self) -> Autovacuum:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            row = conn.execute("SELECT clock_timestamp()").fetchone()
        assert row is not None
        self._since = row[0]
        return self

    def __exit__(self, *exc: object) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            done = conn.execute(
                "SELECT relname, coalesce(last_autovacuum >= %s, false), "
                "coalesce(last_autoanalyze >= %s, false) FROM pg_stat_user_tables "
                "WHERE relname = ANY(%s) ORDER BY relname",
                (self._since, self._since, list(self.tables)),
            ).fetchall()
            running = conn.execute(
                "SELECT query FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' "
                "AND datname = current_database()"
            ).fetchall()
        for name, vacuumed, analysed in done:
            kinds = [k for k, ran in (("vacuum", vacuumed), ("analyze", analysed)) if ran]
            if kinds:
                self.ran.append(f"{name} {'+'.join(kinds)}")
        self.ran += [f"running: {str(q).removeprefix('autovacuum: ')}" for (q,) in running]

    def describe(self) -> str:
        return f"; AUTOVACUUM meanwhile: {', '.join(self.ran)}" if self.ran else ""


def analyze(owner: str, tables: Sequence[str]) -> None:
    """VACUUM (ANALYZE) the view tables, as autovacuum soon does to a live view. A view table
    that was never analysed plans the load of a batch's states (`case_id = ANY(...)`) on the
    wrong index: 8.5 ms instead of 0.25 ms for 6 cases among 46,000 rows here."""
    with psycopg.connect(owner, autocommit=True) as conn:
        for table in tables:
            conn.execute(f"VACUUM (ANALYZE) {table}")


def all_view_tables(conninfo: str) -> list[str]:
    """Every view table of the bench database (`view_…`)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename LIKE 'view\\_%' ORDER BY 1"
        ).fetchall()
    return [name for (name,) in rows]


def settle(conninfo: str, tables: Sequence[str]) -> None:
    """VACUUM (ANALYZE) `tables`, then CHECKPOINT: after a bulk load and a catch-up, autovacuum
    soon does the first to a live view, and the first timed phase would otherwise share the
    cores with it and with flushing what the catch-up wrote."""
    analyze(conninfo, tables)
    checkpointer(conninfo)()
