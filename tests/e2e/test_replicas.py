"""Read replicas against a real hot standby of an embedded PostgreSQL (`ledger.store.replicas`).

The module starts its own embedded primary (so the last test may kill it), makes a standby of it
with `pg_basebackup -R` from the same binaries, and starts that on another port. Reads are then
served by the standby while it keeps up, by the primary while its replay is paused, and after the
primary is killed and the standby promoted, the standby holds every acknowledged event and its
log verifies.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import pytest
import structlog.testing
from litestar.testing import TestClient
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ledger.api.app import create_app
from ledger.api.shared_snapshot import shared_snapshot
from ledger.application.service import Ledger
from ledger.application.tokens import create_token
from ledger.config.settings import Settings
from ledger.domain.values import Role
from ledger.log.keys import load_signer
from ledger.log.notary import Notary
from ledger.store import embedded
from ledger.store.database import Database, create_database, database_for, migrate
from tests.conftest import actor, register, registration
from tests.e2e.test_readme import free_port

LEDGER = str(Path(sys.executable).parent / "ledger")
SYSTEM_USER = "embedded_postgres" if os.geteuid() == 0 else None
"""The embedded server runs as this user when the tests run as root (PostgreSQL refuses root)."""
CLERK = actor("rs-clerk-07", "clerk", unit="人社")
T = TypeVar("T")


@dataclass
class Cluster:
    primary_pgdata: Path
    primary_owner: str
    standby_dir: Path
    standby_owner: str
    settings: Settings
    database: Database


def pg(tool: str, *args: str) -> str:
    """A PostgreSQL program from the embedded server's own binaries, as the server's user."""
    binaries = Path(embedded.library().__file__).parent / "pginstall" / "bin"
    done = subprocess.run(
        [str(binaries / tool), *args],
        user=SYSTEM_USER,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"{tool} {args}: {done.stdout}{done.stderr}"
    return done.stdout


def until(read: Callable[[], T], done: Callable[[T], bool], timeout: float = 15.0) -> T:
    """`read()` again until `done` holds of its answer (or the time is up: the last answer)."""
    deadline = time.monotonic() + timeout
    while not done(answer := read()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return answer


def on_standby(cluster: Cluster, sql: str) -> Any:
    with psycopg.connect(cluster.standby_owner, autocommit=True) as conn:
        row = conn.execute(sql).fetchone()
        return row[0] if row else None


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("replicas")
    primary_pgdata = root / "primary" / "pgdata"
    standby_dir = root / "standby"
    try:
        yield make_cluster(primary_pgdata, standby_dir)
    finally:
        embedded.stop(standby_dir, SYSTEM_USER)
        embedded.release(primary_pgdata)
        embedded.stop(primary_pgdata, SYSTEM_USER)


def make_cluster(primary_pgdata: Path, standby_dir: Path) -> Cluster:
    """An embedded primary with a migrated ledger database, and a streaming standby of it."""
    root = standby_dir.parent
    primary_owner = create_database(embedded.start(primary_pgdata), "ledger")
    settings = Settings(
        database_url=primary_owner,
        data_dir=root / "data",
        token_secret=secrets.token_bytes(32),
        pii_key=secrets.token_bytes(32),
        local_witness=False,
        checkpoint_every=0.2,
    )
    database = database_for(primary_owner, settings)
    migrate(database)

    standby_dir.mkdir(mode=0o700)
    if SYSTEM_USER is not None:
        shutil.chown(standby_dir, SYSTEM_USER, SYSTEM_USER)
        embedded.library().utils.ensure_prefix_permissions(standby_dir)
    primary = conninfo_to_dict(primary_owner)
    pg(
        "pg_basebackup",
        *("-D", str(standby_dir), "-R", "-X", "stream", "-c", "fast"),
        *("-h", str(primary["host"]), "-p", str(primary.get("port", 5432)), "-U", "postgres"),
    )
    port = free_port()
    pg(
        "pg_ctl",
        *("-D", str(standby_dir), "-w", "-t", "60", "-l", str(standby_dir / "log")),
        *("-o", '-h ""', "-o", f"-k {standby_dir}", "-o", f"-p {port}", "start"),
    )
    standby_owner = make_conninfo(
        host=str(standby_dir), port=port, dbname="ledger", user="postgres", connect_timeout=2
    )
    assert on_standby_raw(standby_owner, "SELECT pg_is_in_recovery()") is True
    return Cluster(
        primary_pgdata=primary_pgdata,
        primary_owner=primary_owner,
        standby_dir=standby_dir,
        standby_owner=standby_owner,
        settings=msgspec_replace(settings, replica_urls=(standby_owner,)),
        database=database,
    )


def on_standby_raw(conninfo: str, sql: str) -> Any:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute(sql).fetchone()
        return row[0] if row else None


def msgspec_replace(settings: Settings, **changes: Any) -> Settings:
    import msgspec

    return msgspec.structs.replace(settings, **changes)


@pytest.fixture(scope="module")
def ledger(cluster: Cluster) -> Iterator[Ledger]:
    app = Ledger(cluster.settings, cluster.database)
    yield app
    app.close()


@pytest.fixture(scope="module")
def client(cluster: Cluster, ledger: Ledger) -> Iterator[TestClient[Any]]:
    app = create_app(cluster.settings, ledger, notary=True, run_projections=True, timers=False)
    with TestClient(app) as test_client:
        yield test_client


def headers(settings: Settings, *roles: str, unit: str | None = "人社") -> dict[str, str]:
    token = create_token(
        settings.token_secret, f"{roles[0]}-1", [Role(r) for r in roles], unit, 3600, centres=("*",)
    )
    return {"Authorization": f"Bearer {token}"}


def served_by(response: Any) -> str | None:
    return response.headers.get("Ledger-Served-By")  # type: ignore[no-any-return]


def test_reads_are_served_by_the_standby_once_it_has_replayed_the_write(
    cluster: Cluster, client: TestClient[Any]
) -> None:
    clerk = headers(cluster.settings, "clerk")
    duty = headers(cluster.settings, "duty_officer", unit="数据局")
    written = client.post("/cases", json=registration(), headers=clerk)
    assert written.status_code == 201, written.text
    assert served_by(written) is None  # a write reads nothing from a replica
    case_id, position = written.json()["case_id"], int(written.headers["Ledger-Position"])
    at = {"Ledger-Position": str(position)}

    case = until(
        lambda: client.get(f"/cases/{case_id}", headers={**clerk, **at}),
        lambda r: served_by(r) == "replica",
    )
    history = client.get(f"/cases/{case_id}/events?min_position={position}", headers=clerk)
    search = until(
        lambda: client.get(f"/cases?min_position={position}", headers=clerk),
        lambda r: served_by(r) == "replica",
    )
    board = until(
        lambda: client.get(f"/boards/duty?centre=huoshan&min_position={position}", headers=duty),
        lambda r: served_by(r) == "replica",
    )
    register = until(
        lambda: client.get(f"/hotline/tickets?min_position={position}", headers=duty),
        lambda r: served_by(r) == "replica",
    )
    indicators = until(
        lambda: client.get(f"/metrics/timeliness?min_position={position}", headers=duty),
        lambda r: served_by(r) == "replica",
    )
    proof = until(
        lambda: client.get(f"/audit/proofs/inclusion?position={position}"),
        lambda r: r.status_code == 200 and served_by(r) == "replica",
    )

    assert (case.status_code, served_by(case), case.json()["version"]) == (200, "replica", 1)
    assert (history.status_code, served_by(history)) == (200, "replica")
    assert [e["type"] for e in history.json()["events"]] == ["Registered"]
    assert (search.status_code, served_by(search)) == (200, "replica")
    assert case_id in {row["case_id"] for row in search.json()["cases"]}
    assert search.json()["as_of_position"] >= position
    assert (board.status_code, served_by(board)) == (200, "replica"), board.text
    assert (register.status_code, served_by(register)) == (200, "replica"), register.text
    assert (indicators.status_code, served_by(indicators)) == (200, "replica"), indicators.text
    assert (proof.status_code, served_by(proof)) == (200, "replica"), proof.text


def test_a_read_on_the_standby_shares_one_snapshot_with_a_second_connection(
    cluster: Cluster, ledger: Ledger, client: TestClient[Any]
) -> None:
    """A timeliness report routed to the standby runs its completions beside its other queries
    there (`shared_snapshot`: PostgreSQL exports snapshots on a standby since 10); the second
    connection reads what the first does even after the standby replayed a later write."""
    clerk = headers(cluster.settings, "clerk")
    written = client.post("/cases", json=registration(), headers=clerk)
    position = int(written.headers["Ledger-Position"])
    until(
        lambda: client.get(f"/cases?min_position={position}", headers=clerk),
        lambda r: served_by(r) == "replica",
    )
    reader = next(replica.target for replica in ledger.replicas if replica.target is not None)
    events = "SELECT count(*) AS n FROM ledger_events"
    with shared_snapshot(reader) as (conn, beside):
        assert on_standby(cluster, "SELECT pg_is_in_recovery()") is True
        before = conn.execute(events).fetchall()
        assert client.post("/cases", json=registration(), headers=clerk).status_code == 201
        until(lambda: on_standby(cluster, events), lambda n: n > before[0]["n"])  # replayed
        assert beside.parallel
        assert beside.start(events, {})() == before == conn.execute(events).fetchall()


def test_a_read_past_what_the_paused_standby_replayed_is_served_by_the_primary(
    cluster: Cluster, client: TestClient[Any]
) -> None:
    clerk = headers(cluster.settings, "clerk")
    written = client.post("/cases", json=registration(), headers=clerk)
    case_id, registered = written.json()["case_id"], int(written.headers["Ledger-Position"])
    until(
        lambda: client.get(
            f"/cases/{case_id}", headers={**clerk, "Ledger-Position": str(registered)}
        ),
        lambda r: served_by(r) == "replica",
    )
    on_standby(cluster, "SELECT pg_wal_replay_pause()")
    try:
        until(
            lambda: on_standby(cluster, "SELECT pg_get_wal_replay_pause_state()"),
            lambda state: state == "paused",
        )
        appended = client.post(
            f"/cases/{case_id}/events",
            json={"type": "VisitRecorded", "ticket": "A012"},
            headers={**clerk, "If-Match": '"1"'},
        )
        assert appended.status_code == 201, appended.text
        position = int(appended.headers["Ledger-Position"])
        at = {"Ledger-Position": str(position)}

        with structlog.testing.capture_logs() as logged:
            fresh = client.get(f"/cases/{case_id}", headers={**clerk, **at})
        stale = client.get(f"/cases/{case_id}", headers=clerk)  # no position: any replica
        search = client.get(f"/cases?min_position={position}", headers=clerk)
        history = client.get(f"/cases/{case_id}/events?min_position={position}", headers=clerk)
        stale_search = client.get("/cases", headers=clerk)  # the primary's view has passed it

        assert (served_by(fresh), fresh.json()["version"]) == ("primary", 2)
        lines = [e for e in logged if e["event"] == "http.request"]
        assert [e.get("served_by") for e in lines] == ["primary"]  # the access log says so too
        assert (served_by(stale), stale.json()["version"]) == ("replica", 1)
        assert (search.status_code, served_by(search)) == (200, "primary")
        assert search.json()["as_of_position"] >= position
        assert served_by(history) == "primary"
        assert (stale_search.status_code, served_by(stale_search)) == (200, "replica")
        assert stale_search.json()["as_of_position"] < position  # read there, not on the primary
        assert [e["version"] for e in history.json()["events"]] == [1, 2]
    finally:
        on_standby(cluster, "SELECT pg_wal_replay_resume()")
    caught_up = until(
        lambda: client.get(f"/cases/{case_id}", headers={**clerk, **at}),
        lambda r: served_by(r) == "replica",
    )
    assert (served_by(caught_up), caught_up.json()["version"]) == ("replica", 2)


def test_a_replica_that_cannot_be_reached_leaves_every_read_to_the_primary(
    cluster: Cluster, ledger: Ledger
) -> None:
    nowhere = make_conninfo(host=str(cluster.standby_dir / "gone"), port=1, dbname="ledger")
    settings = msgspec_replace(cluster.settings, replica_urls=(nowhere,))
    broken = Ledger(settings, cluster.database)
    try:
        with TestClient(create_app(settings, broken)) as c:
            case_id = register(broken, CLERK).case_id
            clerk = headers(settings, "clerk")
            first = c.get(f"/cases/{case_id}", headers=clerk)
            resting_until = broken.replicas.replicas[0].resting_until
            started = time.monotonic()
            second = c.get(f"/cases/{case_id}", headers=clerk)
    finally:
        broken.close()

    assert (first.status_code, served_by(first)) == (200, "primary")
    assert (second.status_code, served_by(second)) == (200, "primary")
    assert resting_until > time.monotonic()  # skipped for a while: no second attempt
    assert time.monotonic() - started < 1.0


def test_a_standby_that_fails_in_the_middle_of_a_read_leaves_that_read_to_the_primary(
    cluster: Cluster, ledger: Ledger, client: TestClient[Any]
) -> None:
    clerk = headers(cluster.settings, "clerk")
    written = client.post("/cases", json=registration(), headers=clerk)
    case_id, position = written.json()["case_id"], int(written.headers["Ledger-Position"])
    search = f"/cases?min_position={position}"
    until(lambda: client.get(search, headers=clerk), lambda r: served_by(r) == "replica")
    replica = ledger.replicas.replicas[0]
    answers: list[Any] = []
    # The primary's lock on the view is replayed on the standby: the standby's read of the view
    # waits there, after its snapshot opened, until it is terminated, as a standby that dies is.
    with psycopg.connect(cluster.primary_owner) as locker:
        locker.execute("LOCK TABLE view_cases IN ACCESS EXCLUSIVE MODE")
        register(ledger, CLERK)  # a commit flushes the lock's WAL record to the standby
        until(
            lambda: on_standby(
                cluster,
                "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' "
                "AND relation = 'view_cases'::regclass",
            ),
            lambda n: n == 1,
        )
        reading = threading.Thread(target=lambda: answers.append(client.get(search, headers=clerk)))
        reading.start()
        blocked = until(
            lambda: on_standby(
                cluster,
                "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = 'ledger'",
            ),
            lambda pid: pid is not None,
        )
        assert blocked is not None, "the standby's read never reached the view"
        assert on_standby(cluster, f"SELECT pg_terminate_backend({blocked})") is True
        locker.commit()  # the primary's read, which the answer must come from, may go on
    reading.join(timeout=30)
    try:
        assert answers, "the read did not answer"
        (answer,) = answers
        assert (answer.status_code, served_by(answer)) == (200, "primary"), answer.text
        assert case_id in {row["case_id"] for row in answer.json()["cases"]}
        assert replica.resting_until > time.monotonic()  # left out for a while
    finally:
        replica.resting_until = float("-inf")  # the next test reads from it again


def test_the_promoted_standby_holds_every_acknowledged_event_and_verifies(
    cluster: Cluster, ledger: Ledger, client: TestClient[Any]
) -> None:
    with psycopg.connect(cluster.primary_owner, autocommit=True) as conn:
        conn.execute("ALTER SYSTEM SET synchronous_standby_names = '*'")
        conn.execute("SELECT pg_reload_conf()")
        state = until(
            lambda: conn.execute("SELECT sync_state FROM pg_stat_replication").fetchone(),
            lambda row: row is not None and row[0] == "sync",
        )
    assert state is not None and state[0] == "sync"
    acknowledged = []
    for _ in range(4):
        acknowledged.append(register(ledger, CLERK))
        for ticket in ("A1", "A2", "A3", "A4"):
            acknowledged.append(
                ledger.append(acknowledged[-1].case_id, CLERK, "VisitRecorded", ticket=ticket)
            )

    postmaster = embedded.postmaster(cluster.primary_pgdata)
    assert postmaster is not None
    postmaster.kill()  # kill -9: no shutdown checkpoint, nothing flushed on the way out
    embedded.kill_all(cluster.primary_pgdata)
    pg("pg_ctl", "-D", str(cluster.standby_dir), "-w", "-t", "60", "promote")

    settings = msgspec_replace(cluster.settings, replica_urls=())
    promoted = database_for(cluster.standby_owner, settings)
    survivor = Ledger(settings, promoted)
    try:
        for receipt in acknowledged:
            history = survivor.history(receipt.case_id, CLERK)
            assert (history[-1][1].originator_version, history[-1][0]) >= (
                receipt.version,
                receipt.position,
            ), receipt
        assert register(survivor, CLERK).position > acknowledged[-1].position  # takes writes
    finally:
        survivor.close()
    signer = load_signer(cluster.settings.notary_key_path, cluster.settings.origin)
    Notary(promoted.notary_conninfo, signer, cluster.settings.origin).catch_up()
    verified = subprocess.run(
        [LEDGER, "verify", "--database", "--public-key", signer.verifier_key],
        env={
            **os.environ,
            "LEDGER_DATABASE_URL": cluster.standby_owner,
            "LEDGER_DATA_DIR": str(cluster.settings.data_dir),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.strip().endswith("OK")
