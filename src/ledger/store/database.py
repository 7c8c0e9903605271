"""Where the ledger's PostgreSQL is: the configured server, or a private embedded one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.postgres import PostgresFactory
from eventsourcing.utils import get_topic
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from yoyo import get_backend, read_migrations

from ledger.config.settings import Settings
from ledger.store import embedded

MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"
EMBEDDED_DATABASE = "ledger"
RECONNECT_GIVE_UP = 5.0
"""Seconds the request pool retries one lost connection before giving its slot up."""


@dataclass(frozen=True)
class Database:
    owner_conninfo: str
    """Owns the schema: migrations, tests that act as a superuser would."""
    app_conninfo: str
    """What the ledger runs as: the application role on the same database."""
    notary_conninfo: str
    """What the notary runs as: its own role, which may append to the verifiable log only."""
    pgdata: Path | None = None
    """The embedded server's data directory, which the ledger restarts if it dies; None when
    the server is configured (LEDGER_DATABASE_URL) and only reconnected to."""

    def eventsourcing_env(self) -> dict[str, str]:
        return {**eventsourcing_env(self.app_conninfo), "CREATE_TABLE": "false"}


def eventsourcing_env(conninfo: str) -> dict[str, str]:
    """eventsourcing's PostgreSQL settings for a libpq connection string."""
    params = conninfo_to_dict(conninfo)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(params.get("dbname", "")),
        "POSTGRES_HOST": str(params.get("host", "127.0.0.1")),
        "POSTGRES_PORT": str(params.get("port", "5432")),
        "POSTGRES_USER": str(params.get("user", "")),
        "POSTGRES_PASSWORD": str(params.get("password", "")),
    }


def open_database(settings: Settings) -> Database:
    """Resolve the configured server, or start (or join) the embedded one in the data dir."""
    if settings.database_url:
        return database_for(settings.database_url, settings)
    owner = _embedded_owner_conninfo(settings.data_dir)
    return database_for(owner, settings, pgdata=embedded_pgdata(settings.data_dir))


def release_database(settings: Settings) -> bool:
    """This process is done with the database: stop the embedded server if it was its last
    user (a configured server is left alone). Call it once the server and workers stopped."""
    return bool(not settings.database_url and embedded.release(embedded_pgdata(settings.data_dir)))


def embedded_pgdata(data_dir: Path) -> Path:
    return data_dir.resolve() / "pgdata"


def database_for(owner_conninfo: str, settings: Settings, pgdata: Path | None = None) -> Database:
    owner = _with_timeouts(owner_conninfo, settings.db_connect_timeout)
    return Database(
        owner_conninfo=owner,
        app_conninfo=_role_conninfo(owner, settings.app_role, settings.app_password),
        notary_conninfo=_role_conninfo(owner, settings.notary_role, settings.notary_password),
        pgdata=pgdata,
    )


class LedgerFactory(PostgresFactory):
    """eventsourcing's PostgreSQL factory whose pool connects with `POSTGRES_OPTIONS` (libpq's
    `options`, `session_options`) from its very first connection. eventsourcing opens the pool
    while it builds the recorder, so options set on the pool afterwards reached only connections
    made later: the first `pool_size` ran without a statement timeout for their whole life."""

    def __init__(self, env: Any) -> None:
        super().__init__(env)
        kwargs = self.datastore.pool.kwargs
        assert isinstance(kwargs, dict), kwargs  # eventsourcing passes a dict
        if options := self.env.get("POSTGRES_OPTIONS"):
            kwargs["options"] = options


def session_options(settings: Settings) -> str:
    """The request pool's session settings (libpq `options`): a bound on each statement (a stuck
    lock, a runaway query), and no JIT compilation. Once statistics priced the indicators' month
    of 85,000 cases past `jit_above_cost`, PostgreSQL spent 930 ms compiling a query that then ran
    in 290 ms (EXPLAIN ANALYZE on the indicators bench's database); no request here scans long
    enough to win that back."""
    return f"-c statement_timeout={int(settings.statement_timeout * 1000)} -c jit=off"


def request_pool_env(database: Database, settings: Settings) -> dict[str, str]:
    """eventsourcing's settings for the request pool: `database`'s, through `LedgerFactory`
    with `session_options`."""
    return {
        **database.eventsourcing_env(),
        "PERSISTENCE_MODULE": get_topic(LedgerFactory),
        "POSTGRES_OPTIONS": session_options(settings),
    }


def fail_fast(pool: Any, settings: Settings) -> None:
    """Bound the request pool (eventsourcing's, a psycopg_pool.ConnectionPool) for outages: a
    request waits `db_acquire_timeout` seconds for a connection (eventsourcing's default is 30),
    then answers 503; each new connection bounds connecting (its session options are
    `LedgerFactory`'s). A slot whose reconnection keeps failing is given up after
    RECONNECT_GIVE_UP seconds and regrown on demand, so the pool is whole within seconds of the
    database's return (psycopg_pool's back-off would otherwise double its delay for up to 300 s)."""
    pool.timeout = settings.db_acquire_timeout
    pool.reconnect_timeout = RECONNECT_GIVE_UP
    pool.kwargs = {**(pool.kwargs or {}), "connect_timeout": settings.db_connect_timeout}


def _with_timeouts(conninfo: str, connect_timeout: int) -> str:
    """Bound connecting (libpq waits for ever by default) and notice a server that vanished
    from the network within about half a minute (TCP keepalives; ignored on a Unix socket).
    Parameters the conninfo already sets win."""
    params: dict[str, Any] = {
        "connect_timeout": connect_timeout,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
    }
    params.update(conninfo_to_dict(conninfo))
    return make_conninfo(**params)


def _role_conninfo(owner_conninfo: str, role: str, password: str | None) -> str:
    """The owner's server and database, as `role` (with its own password, if it needs one)."""
    params: dict[str, Any] = conninfo_to_dict(owner_conninfo)
    params["user"] = role
    params.pop("password", None)
    if password:
        params["password"] = password
    return make_conninfo(**params)


def migrate(db: Database) -> list[str]:
    """Apply pending migrations under yoyo's lock; returns the ids it applied."""
    backend = get_backend(_yoyo_uri(db.owner_conninfo))
    migrations = read_migrations(str(MIGRATIONS_DIR))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    return [m.id for m in pending]


def create_database(server_conninfo: str, name: str) -> str:
    """Create database `name` on the server if it is missing; returns its conninfo."""
    with psycopg.connect(server_conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return make_conninfo(server_conninfo, dbname=name)


def drop_database(server_conninfo: str, name: str) -> None:
    with psycopg.connect(server_conninfo, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _embedded_owner_conninfo(data_dir: Path) -> str:
    """Start (or join) the embedded server of `data_dir` (`ledger.store.embedded`: a stale
    postmaster.pid is cleared first); its ledger database, created if missing."""
    return create_database(embedded.start(embedded_pgdata(data_dir)), EMBEDDED_DATABASE)


def _yoyo_uri(conninfo: str) -> str:
    """yoyo takes a URI; libpq parameters it does not model go in the query string."""
    params = {k: str(v) for k, v in conninfo_to_dict(conninfo).items() if v is not None}
    user = params.pop("user", "")
    password = params.pop("password", None)
    dbname = params.pop("dbname", "")
    host = params.pop("host", "")
    port = params.pop("port", None)
    netloc = user + (f":{password}" if password else "") + "@"
    if host and not host.startswith("/"):
        netloc += host + (f":{port}" if port else "")
    else:
        if host:
            params["host"] = host
        if port:
            params["port"] = port
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"postgresql+psycopg://{netloc}/{dbname}" + (f"?{query}" if query else "")
