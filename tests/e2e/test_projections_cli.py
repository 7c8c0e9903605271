"""Projections as an operator runs them: `ledger worker` killed mid-batch, `ledger projections
status` and `rebuild`, and a projection stopped before an event it cannot apply: shown by
`status`, passed by `skip`, tried again by `retry`, skipped again by `rebuild`, which stops with a
record on a new one. The test projections reach the subprocess through LEDGER_EXTRA_PROJECTIONS
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

from ledger.application.service import Ledger
from ledger.config.settings import Settings
from ledger.domain.lifecycle import EscalationThreat
from ledger.projections.projector import Projector
from ledger.projections.views.cases import CasesProjection
from ledger.store.database import Database
from tests.conftest import actor, register
from tests.e2e.test_cli import LEDGER, ledger_cmd
from tests.projection_support import (
    FUSSY_ABOUT,
    Counts,
    Fussy,
    failures,
    fill_log,
    log_counts,
    make_view,
    refuse,
    view_counts,
)

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
        "projection", "generation", "position", "head", "lag", "events", "lag", "s", "state",
        "rebuild",
    ]  # fmt: skip
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["test_counts"][:5] == ["test_counts", "1", "1000", "1010", "10"]
    assert rows["test_counts"][6:] == ["ok", "-"]
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


def test_a_stopped_projection_is_shown_skipped_retried_and_rebuilt_from_the_command_line(
    database_factory: Callable[[], Database], settings: Settings, tmp_path: Path
) -> None:
    database = database_factory()
    make_view(database)
    fill_log(database, 100)
    fill_log(database, 1, first=-1)  # position 101: a Ping the buggy view cannot count
    fill_log(database, 20, first=101)
    fussy_file = tmp_path / "fussy"
    refuse(fussy_file, -1)
    Fussy.refused = {-1}
    ledger = Ledger(settings, database)
    try:  # and a NUL in a text field, stored through the service as an old client could
        case_id = register(ledger, actor("clerk-e2e", "clerk", unit="人社")).case_id
        nul = ledger.append(
            case_id,
            actor("duty-e2e", "duty_officer", unit="值班"),
            "DutyIntervention",
            action="nul\x00here",
            escalation_threat=EscalationThreat.NONE,
        ).position
    finally:
        ledger.close()
    for projection in (Fussy(), CasesProjection()):
        projector = Projector(database.app_conninfo, projection)
        projector.catch_up()
        projector.close()
    env = {
        **projection_env(database, tmp_path, "tests.projection_support:Fussy"),
        FUSSY_ABOUT: str(fussy_file),
    }

    try:
        table = ledger_cmd("projections", "status", env=env)
        listed = ledger_cmd("projections", "status", "--json", env=env)
        retried = ledger_cmd("projections", "retry", "test_counts", "--by", "ops-e2e", env=env)
        projector = Projector(database.app_conninfo, Fussy())
        projector.catch_up()  # still broken: stops again, a second attempt
        projector.close()
        skipped = ledger_cmd(
            "projections", "skip", "test_counts", "--reason", "a test ping", "--by", "ops-e2e",
            env=env,
        )  # fmt: skip
        again = ledger_cmd("projections", "skip", "test_counts", "--reason", "twice", env=env)
        rebuilt = ledger_cmd("projections", "rebuild", "test_counts", env=env)
        after = ledger_cmd("projections", "status", env=env)
        refuse(fussy_file, -1, 50)  # a new bug: Ping 50 (position 51)
        stopped = ledger_cmd("projections", "rebuild", "test_counts", env=env)
        unknown = ledger_cmd("projections", "skip", "nope", "--reason", "x", env=env)
    finally:
        Fussy.refused = set()

    assert table.returncode == 0, table.stderr
    rows = {line.split()[0]: line.split() for line in table.stdout.splitlines()[1:5] if line}
    assert rows["test_counts"][:3] == ["test_counts", "1", "100"]
    assert rows["test_counts"][6] == "STOPPED" and rows["cases"][6] == "STOPPED"
    assert (
        "test_counts: generation 1 STOPPED before event 101 (tests.projection_support:Ping"
        in table.stdout
    )
    assert "builtins.ValueError: raised at tests.projection_support:" in table.stdout
    assert f"cases: generation 1 STOPPED before event {nul} " in table.stdout
    assert "ledger.store.json_rows.NulInText: raised at ledger.store.json_rows:" in table.stdout
    assert "ledger projections skip test_counts --reason TEXT" in table.stdout
    assert listed.returncode == 0, listed.stderr
    status = {s["name"]: s for s in json.loads(listed.stdout)}
    assert status["test_counts"]["stopped"]["position"] == 101
    assert status["test_counts"]["stopped"]["error_class"] == "builtins.ValueError"
    assert status["cases"]["stopped"]["position"] == nul
    assert status["exceptions"]["stopped"] is None  # the others go on
    assert retried.returncode == 0 and "retrying event 101" in retried.stdout, retried.stderr
    assert skipped.returncode == 0, skipped.stderr
    assert "test_counts: skipped event 101" in skipped.stdout and "by ops-e2e" in skipped.stdout
    assert again.returncode == 1 and "test_counts is not stopped" in again.stderr
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "skipped 1 event(s) an operator skipped: 101" in rebuilt.stdout
    assert after.returncode == 0, after.stderr
    assert "test_counts: SKIPPED event 101" in after.stdout and "a test ping" in after.stdout
    after_rows = {line.split()[0]: line.split() for line in after.stdout.splitlines()[1:5]}
    assert after_rows["test_counts"][6] == "skipping"
    assert stopped.returncode == 1
    assert "the rebuild of generation 3 stopped before event 51" in stopped.stderr
    assert unknown.returncode == 2 and "unknown projection" in unknown.stderr
    with psycopg.connect(database.owner_conninfo) as conn:
        records = {(f["name"], f["position"]): f for f in failures(conn)}
        assert records[("test_counts", 101)]["attempts"] == 2
        assert records[("test_counts", 101)]["state"] == "skipped"
        assert records[("test_counts", 51)]["generation"] == 3
        live = conn.execute(
            "SELECT generation FROM ledger_projections WHERE name = 'test_counts'"
        ).fetchone()
        assert live == (2,)  # the stopped rebuild left the live view alone
