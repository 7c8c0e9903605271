"""Projections as an operator runs them: `ledger worker` killed mid-batch, `ledger projections
status` and `rebuild`. The test projections reach the subprocess through LEDGER_EXTRA_PROJECTIONS
(with the repository on PYTHONPATH)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from ledger.projections.projector import Projector
from ledger.store.database import Database
from tests.e2e.test_cli import LEDGER, ledger_cmd
from tests.projection_support import Counts, fill_log, log_counts, make_view, view_counts

ROOT = Path(__file__).resolve().parents[2]


def projection_env(database: Database, tmp_path: Path, *projections: str) -> dict[str, str]:
    return {
        "LEDGER_DATABASE_URL": database.owner_conninfo,
        "LEDGER_DATA_DIR": str(tmp_path),
        "LEDGER_EXTRA_PROJECTIONS": ",".join(projections),
        "PYTHONPATH": str(ROOT),
    }


def position(conn: psycopg.Connection[Any], name: str) -> int:
    row = conn.execute(
        "SELECT coalesce(max(position), 0) FROM ledger_projection_tracking WHERE name = %s",
        (name,),
    ).fetchone()
    assert row is not None
    return int(row[0])


def batch_in_flight(conn: psycopg.Connection[Any]) -> bool:
    """The slow projection has written its batch's rows and sleeps (0.3 s) before committing,
    since moments ago: a kill now lands in the middle of that batch."""
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND application_name = 'ledger projection test_slow_counts' "
        "AND state = 'idle in transaction' AND now() - state_change < interval '150 ms'"
    ).fetchone()
    return bool(row and row[0])


def test_a_worker_killed_in_the_middle_of_a_batch_resumes_without_loss_or_doubling(
    database_factory: Callable[[], Database], tmp_path: Path
) -> None:
    database = database_factory()
    make_view(database, "test_slow_counts")
    events = 5_000
    fill_log(database, events, per_originator=7)
    env = projection_env(database, tmp_path, "tests.projection_support:SlowCounts")
    command = [LEDGER, "worker", "--no-notary", "--batch-size", "500"]

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            command,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    with psycopg.connect(database.owner_conninfo, autocommit=True) as conn:
        first = start()
        deadline = time.monotonic() + 60
        in_flight = False
        while not in_flight and time.monotonic() < deadline:
            in_flight = position(conn, "test_slow_counts") > 0 and batch_in_flight(conn)
            time.sleep(0 if in_flight else 0.01)
        first.send_signal(signal.SIGKILL)  # its batch has written rows and not committed
        first.wait()
        killed_at = position(conn, "test_slow_counts")
        counts_at_kill = view_counts(conn, "test_slow_counts")

        second = start()
        deadline = time.monotonic() + 120
        while position(conn, "test_slow_counts") < events and time.monotonic() < deadline:
            time.sleep(0.1)
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0

        assert in_flight, "no batch was caught in flight"
        assert 0 < killed_at < events and killed_at % 500 == 0
        assert counts_at_kill == log_counts(conn, killed_at)  # nothing of the killed batch
        assert view_counts(conn, "test_slow_counts") == log_counts(conn)
        assert sum(view_counts(conn, "test_slow_counts").values()) == events


def test_status_and_rebuild_from_the_command_line(
    database_factory: Callable[[], Database], tmp_path: Path
) -> None:
    database = database_factory()
    make_view(database)
    fill_log(database, 1_000)
    Projector(database.app_conninfo, Counts()).catch_up()
    fill_log(database, 10)
    env = projection_env(
        database,
        tmp_path,
        "tests.projection_support:Counts",
        "tests.projection_support:SlowCounts",
    )

    table = ledger_cmd("projections", "status", env=env)
    before = ledger_cmd("projections", "status", "--json", env=env)
    rebuilt = ledger_cmd("projections", "rebuild", "test_counts", "--batch-size", "300", env=env)
    after = ledger_cmd("projections", "status", "--json", env=env)
    unknown = ledger_cmd("projections", "rebuild", "nope", env=env)

    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == [
        "projection", "generation", "position", "head", "lag", "events", "lag", "s", "rebuild",
    ]  # fmt: skip
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["test_counts"][:5] == ["test_counts", "1", "1000", "1010", "10"]
    assert rows["test_slow_counts"][:5] == ["test_slow_counts", "-", "0", "1010", "1010"]
    assert before.returncode == 0, before.stderr
    counts = next(s for s in json.loads(before.stdout) if s["name"] == "test_counts")
    assert {k: counts[k] for k in ("name", "generation", "position", "head", "lag_events")} == {
        "name": "test_counts",
        "generation": 1,
        "position": 1_000,
        "head": 1_010,
        "lag_events": 10,
    }
    assert counts["lag_seconds"] >= 0 and counts["rebuilding"] is None
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.stdout.splitlines()[-1].startswith(
        "test_counts: generation 2 is live at position 1010 (1010 events in"
    )
    status = next(s for s in json.loads(after.stdout) if s["name"] == "test_counts")
    assert (status["generation"], status["position"], status["lag_events"]) == (2, 1_010, 0)
    assert status["lag_seconds"] == 0
    assert unknown.returncode == 2 and "unknown projection" in unknown.stderr
    with psycopg.connect(database.owner_conninfo) as conn:
        assert view_counts(conn) == log_counts(conn)
