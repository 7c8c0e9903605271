"""The `ledger` command as an operator and an auditor run it: keys, verify, and the worker."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

import msgspec
import psycopg

from ledger.application.service import Ledger
from ledger.log.keys import load_signer
from ledger.log.notary import Notary
from ledger.store.database import Database
from tests.conftest import actor, register

LEDGER = str(Path(sys.executable).parent / "ledger")
CLERK = actor("clerk-cli", "clerk", unit="人社")


def ledger_cmd(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LEDGER, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_keys_generate_writes_a_private_key_only_its_owner_can_read(tmp_path: Path) -> None:
    out = tmp_path / "k" / "notary.key"

    run = ledger_cmd("keys", "generate", "--out", str(out), "--name", "ledger.example/hs", env={})
    again = ledger_cmd("keys", "generate", "--out", str(out), env={})

    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == out.with_suffix(".pub").read_text().strip()
    assert run.stdout.startswith("ledger.example/hs+")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert again.returncode != 0 and "exists" in again.stderr


def test_verify_accepts_a_good_bundle_and_names_what_failed_in_a_bad_one(
    settings, database_factory: Callable[[], Database], tmp_path: Path
) -> None:
    database = database_factory()
    ledger = Ledger(settings, database)
    case_id = register(ledger, CLERK).case_id
    for _ in range(3):
        ledger.append(case_id, CLERK, "VisitRecorded")
    signer = load_signer(tmp_path / "notary.key", settings.origin)
    Notary(database.notary_conninfo, signer, settings.origin).catch_up()
    good = tmp_path / "good.json"
    good.write_bytes(msgspec.json.encode(ledger.bundle(case_id, actor("a", "auditor"))))
    ledger.close()
    bundle = json.loads(good.read_text())
    bundle["events"][2]["payload"] = bundle["events"][1]["payload"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bundle))
    key = str(tmp_path / "notary.pub")

    ok = ledger_cmd("verify", str(good), "--public-key", key, env={})
    failed = ledger_cmd("verify", str(bad), "--public-key", signer.verifier_key, env={})

    assert ok.returncode == 0 and ok.stdout.strip().endswith("OK"), ok.stdout + ok.stderr
    assert failed.returncode == 1
    assert "FAILED: version 3 (leaf" in failed.stdout
    assert "differs from the sealed leaf" in failed.stdout


def test_verify_database_passes_then_catches_a_rewritten_event(
    settings, database_factory: Callable[[], Database], tmp_path: Path
) -> None:
    database = database_factory()
    ledger = Ledger(settings, database)
    case_id = register(ledger, CLERK).case_id
    ledger.close()
    signer = load_signer(tmp_path / "notary.key", settings.origin)
    Notary(database.notary_conninfo, signer, settings.origin).catch_up()
    env = {"LEDGER_DATABASE_URL": database.owner_conninfo, "LEDGER_DATA_DIR": str(tmp_path)}

    before = ledger_cmd("verify", "--database", "--public-key", signer.verifier_key, env=env)
    with psycopg.connect(database.owner_conninfo) as conn:
        conn.execute("ALTER TABLE ledger_events DISABLE TRIGGER USER")
        conn.execute(
            "UPDATE ledger_events SET state = "
            "convert_to(replace(convert_from(state, 'UTF8'), '人社', '公安'), 'UTF8') "
            "WHERE originator_id = %s",
            (case_id,),
        )
        conn.execute("ALTER TABLE ledger_events ENABLE TRIGGER USER")
    after = ledger_cmd("verify", "--database", "--public-key", signer.verifier_key, env=env)

    assert before.returncode == 0, before.stdout + before.stderr
    assert after.returncode == 1 and str(case_id) in after.stdout
    assert "altered after sealing" in after.stdout


def test_a_worker_killed_mid_batch_resumes_without_gap_or_duplicate(
    settings, database_factory: Callable[[], Database], tmp_path: Path
) -> None:
    database = database_factory()
    events = 60_000
    with psycopg.connect(database.owner_conninfo) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY ledger_events (originator_id, originator_version, topic, state) FROM STDIN"
        ) as copy:
            for i in range(events):
                stamp = f'{{"timestamp":"2026-02-10T03:00:{i % 60:02d}Z","n":{i}}}'.encode()
                copy.write_row((uuid4(), 1, "tests:Raw", stamp))
    env = {"LEDGER_DATABASE_URL": database.owner_conninfo, "LEDGER_DATA_DIR": str(tmp_path)}

    def tree_size() -> int:
        with psycopg.connect(database.owner_conninfo) as conn:
            return int(conn.execute("SELECT tree_size FROM ledger_notary_state").fetchone()[0])

    first = subprocess.Popen(
        [LEDGER, "worker"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while tree_size() == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)  # between batches or, likely, in the middle of one
    first.wait()
    killed_at = tree_size()

    second = subprocess.Popen(
        [LEDGER, "worker"],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while tree_size() < events and time.monotonic() < deadline:
        time.sleep(0.1)
    second.send_signal(signal.SIGTERM)
    second.wait(timeout=30)

    with psycopg.connect(database.owner_conninfo) as conn:
        leaves = conn.execute(
            "SELECT leaf_index, position FROM ledger_leaves ORDER BY 1"
        ).fetchall()
        positions = [
            r[0] for r in conn.execute("SELECT notification_id FROM ledger_events ORDER BY 1")
        ]
    assert 0 < killed_at < events
    assert [leaf[0] for leaf in leaves] == list(range(events))
    assert [leaf[1] for leaf in leaves] == positions
