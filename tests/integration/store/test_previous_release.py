"""What release 0.1.0 wrote still reads, seals and verifies: stored data is a contract.

Stored events, their topics, snapshots and the leaf format are a contract with databases already
written and with bundles auditors already hold: moving a module must not move a topic, change how
a payload decodes or change a leaf's bytes. `tests/fixtures/release-0.1.0/` holds what release
0.1.0 wrote for the five seed stories (its README says how): every row of `ledger_events` and
`ledger_snapshots`, what the API answered for each case, three case bundles, the 低保 case's
approval proof and that notary's public key.

Here the rows go into a fresh database as the owner, this code serves it (`ledger serve`, with a
notary of its own and a new key), and everything is checked only through what outlives a
restructuring: SQL, the `ledger` command and HTTP. No `ledger.*` import.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import psycopg
import pytest

FIXTURE = Path(__file__).parents[2] / "fixtures" / "release-0.1.0"
LEDGER = str(Path(sys.executable).parent / "ledger")
FACTS: dict[str, Any] = json.loads((FIXTURE / "cases.json").read_text())
CASES: dict[str, dict[str, Any]] = {case["key"]: case for case in FACTS["cases"]}
EVENTS = [json.loads(line) for line in (FIXTURE / "events.jsonl").read_text().splitlines()]
SNAPSHOTS = [json.loads(line) for line in (FIXTURE / "snapshots.jsonl").read_text().splitlines()]
BUNDLES = sorted(FIXTURE.glob("bundle-*.json"))
PROOFS = sorted(FIXTURE.glob("proof-*.json"))


@dataclass
class Served:
    """The 0.1.0 rows in a fresh database, served by this code."""

    url: str
    env: dict[str, str]
    http: httpx.Client
    """As an auditor."""
    checkpoint: dict[str, Any]
    """The first checkpoint this code's notary signed: over exactly the 0.1.0 rows."""


def insert_release_rows(owner: str) -> None:
    """As the owner, every stored row with its own position; new appends continue after it."""
    with psycopg.connect(owner) as conn, conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO ledger_events "
            "(notification_id, originator_id, originator_version, topic, state) "
            "VALUES (%s, %s, %s, %s, %s)",
            [
                (
                    row["notification_id"],
                    UUID(row["originator_id"]),
                    row["originator_version"],
                    row["topic"],
                    base64.b64decode(row["state"]),
                )
                for row in EVENTS
            ],
        )
        cursor.executemany(
            "INSERT INTO ledger_snapshots (originator_id, originator_version, topic, state) "
            "VALUES (%s, %s, %s, %s)",
            [
                (
                    UUID(row["originator_id"]),
                    row["originator_version"],
                    row["topic"],
                    base64.b64decode(row["state"]),
                )
                for row in SNAPSHOTS
            ],
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('ledger_events', 'notification_id'), "
            "(SELECT max(notification_id) FROM ledger_events))"
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ledger_command(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LEDGER, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def release(
    database_factory: Callable[[], Any],
    settings: Any,
    token_for: Callable[..., dict[str, str]],
    tmp_path: Path,
) -> Iterator[Served]:
    """A fresh database holding the 0.1.0 rows, `ledger serve` on it (no timers: nothing but the
    test writes), once its notary has sealed them."""
    owner = database_factory().owner_conninfo
    insert_release_rows(owner)
    port = free_port()
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": owner,
        "LEDGER_DATA_DIR": str(tmp_path),
        "LEDGER_TOKEN_SECRET": settings.token_secret.hex(),
        "LEDGER_PII_KEY": settings.pii_key.hex(),
        "LEDGER_SNAPSHOT_INTERVAL": "5",
    }
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [LEDGER, "serve", "--port", str(port), "--no-timers"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    http = httpx.Client(base_url=url, headers=token_for("auditor-0.1.0", "auditor"), timeout=30)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                checkpoint = http.get("/audit/checkpoint", headers={"Accept": "application/json"})
                if checkpoint.status_code == 200 and checkpoint.json()["tree_size"] >= len(EVENTS):
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the notary did not seal the 0.1.0 rows"
            time.sleep(0.2)
        yield Served(url=url, env=env, http=http, checkpoint=checkpoint.json())
    finally:
        http.close()
        server.terminate()
        server.wait(timeout=30)


def test_the_fixture_is_what_0_1_0_wrote_for_the_seed_stories() -> None:
    assert FACTS["release"] == "0.1.0" and len(EVENTS) == FACTS["events"]
    assert len(SNAPSHOTS) == FACTS["snapshots"] > 0
    assert [row["notification_id"] for row in EVENTS] == sorted(
        {row["notification_id"] for row in EVENTS}
    )
    assert "001-dibao" in CASES and [p.name for p in PROOFS] == ["proof-001-dibao.json"]
    assert "bundle-001-dibao.json" in [p.name for p in BUNDLES]


def test_a_database_written_by_0_1_0_reads_back_case_by_case(release: Served) -> None:
    http = release.http
    for case in FACTS["cases"]:
        case_id, key = case["case_id"], case["key"]
        got = http.get(f"/cases/{case_id}")
        assert got.status_code == 200, (key, got.text)
        state = got.json()["state"]
        assert got.json()["version"] == case["version"] and got.headers["ETag"] == case["etag"]
        assert (state["status"], state["department"], state["outcome"]) == (
            case["status"],
            case["department"],
            case["outcome"],
        ), key
        assert (state["case_no"], state["centre"], state["matter"]["code"]) == (
            case["case_no"],
            case["centre"],
            case["matter_code"],
        ), key
        assert (state["visits"], state["interventions"]) == (
            case["visits"],
            case["interventions"],
        ), key
        assert state["applicant"]["name"] == case["applicant_name"], key
        assert [
            {"exception_id": x["exception_id"], "kind": x["kind"], "status": x["status"]}
            for x in state["exceptions"]
        ] == case["exceptions"], key
        assert [{"level": r["level"], "channel": r["channel"]} for r in state["ratings"]] == case[
            "ratings"
        ], key
        # Every earlier version too: from the 0.1.0 snapshots (every 5th version) and events.
        for version in range(1, case["version"]):
            past = http.get(f"/cases/{case_id}", params={"version": version})
            assert past.status_code == 200, (key, version, past.text)
            assert past.json()["version"] == version, (key, version)
        # The history: every stored event of the case, its topic resolved and payload decoded.
        history = http.get(f"/cases/{case_id}/events")
        assert history.status_code == 200, (key, history.text)
        events = history.json()["events"]
        stored = [row for row in EVENTS if row["originator_id"] == case_id]
        assert [(e["position"], e["version"]) for e in events] == [
            (row["notification_id"], row["originator_version"]) for row in stored
        ], key
        assert [e["type"] for e in events] == case["event_types"], key
        assert [e["type"] for e in events] == [row["topic"].rsplit(".", 1)[-1] for row in stored]
        assert all(e["actor"]["id"] and e["occurred_at"] for e in events), key

    # The views, built afresh by this code's projections from the 0.1.0 events, list every case.
    head = str(EVENTS[-1]["notification_id"])
    deadline = time.monotonic() + 60
    while (
        listed := http.get("/cases", params={"limit": 500}, headers={"Ledger-Position": head})
    ).status_code == 503 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert listed.status_code == 200, listed.text
    assert {
        c["case_id"]: (c["status"], c["department"], c["version"]) for c in listed.json()["cases"]
    } == {c["case_id"]: (c["status"], c["department"], c["version"]) for c in FACTS["cases"]}


def test_this_notary_seals_the_0_1_0_rows_into_the_very_tree_0_1_0_signed(
    release: Served,
) -> None:
    # Same rows, same leaves, same root: the leaf format has not moved.
    assert release.checkpoint["tree_size"] == FACTS["checkpoint"]["tree_size"] == len(EVENTS)
    assert release.checkpoint["root_hash"] == FACTS["checkpoint"]["root_hash"]
    for path in BUNDLES:
        bundle = json.loads(path.read_bytes())
        assert bundle["root_hash"] == FACTS["checkpoint"]["root_hash"], path.name
        history = release.http.get(f"/cases/{bundle['case_id']}/events").json()["events"]
        assert [(e["position"], e["leaf_index"], e["leaf_hash"]) for e in history] == [
            (e["position"], e["leaf_index"], e["leaf_hash"]) for e in bundle["events"]
        ], path.name
    # And the operator's check of the whole log, against this notary's own key, passes.
    public_key = release.http.get("/audit/public-key")
    assert public_key.status_code == 200
    verified = ledger_command(
        "verify", "--database", "--public-key", public_key.text.strip(), env=release.env
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.rstrip().endswith("OK")


@pytest.mark.parametrize("held", BUNDLES + PROOFS, ids=lambda p: p.name)
def test_a_bundle_or_proof_an_auditor_got_from_0_1_0_still_verifies(held: Path) -> None:
    verified = ledger_command("verify", str(held), "--public-key", str(FIXTURE / "notary.pub"))

    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.rstrip().endswith("OK")
    # Its checkpoint signs no head map: completeness is not claimed, and the report says so.
    assert "warning: checkpoint of size 202 predates head maps" in verified.stdout


def test_a_0_1_0_bundle_with_one_byte_of_a_payload_changed_fails_to_verify(
    tmp_path: Path,
) -> None:
    bundle = json.loads((FIXTURE / "bundle-001-dibao.json").read_bytes())
    event = bundle["events"][len(bundle["events"]) // 2]
    payload = bytearray(base64.b64decode(event["payload"]))
    payload[len(payload) // 2] ^= 0x01
    event["payload"] = base64.b64encode(bytes(payload)).decode()
    altered = tmp_path / "bundle-001-dibao.json"
    altered.write_text(json.dumps(bundle, ensure_ascii=False))

    verified = ledger_command("verify", str(altered), "--public-key", str(FIXTURE / "notary.pub"))

    assert verified.returncode == 1, verified.stdout + verified.stderr
    failed = [line for line in verified.stdout.splitlines() if line.startswith("FAILED")]
    assert failed and all(f"version {event['version']} " in line for line in failed), failed


def test_a_case_written_by_0_1_0_takes_new_events_after_its_old_ones(
    release: Served, token_for: Callable[..., dict[str, str]], tmp_path: Path
) -> None:
    dibao = CASES["001-dibao"]
    clerk = token_for("mz-clerk-0.1.0", "clerk", unit=dibao["department"])

    corrected = httpx.post(
        f"{release.url}/cases/{dibao['case_id']}/events",
        params={"sealed": "true"},
        headers={**clerk, "If-Match": dibao["etag"]},
        json={
            "type": "CorrectionRecorded",
            "corrects_version": 2,
            "reason": "升级后补正: 核对 0.1.0 写入的记录",
        },
        timeout=30,
    )

    assert corrected.status_code == 201, corrected.text
    assert corrected.headers["ETag"] == f'"{dibao["version"] + 1}"'
    assert int(corrected.headers["Ledger-Position"]) > EVENTS[-1]["notification_id"]
    assert corrected.headers["Ledger-Leaf-Index"] == str(len(EVENTS))  # the next dense leaf
    history = release.http.get(f"/cases/{dibao['case_id']}/events").json()["events"]
    assert [e["type"] for e in history] == [*dibao["event_types"], "CorrectionRecorded"]
    assert [e["version"] for e in history] == list(range(1, dibao["version"] + 2))
    now = release.http.get(f"/cases/{dibao['case_id']}").json()
    assert (now["version"], now["state"]["status"]) == (dibao["version"] + 1, dibao["status"])

    # A new case in the 0.1.0 series with the most numbers gets the next one: the numbering
    # aggregates' stored events and snapshots load too.
    series = Counter((c["centre"], c["case_no"].rsplit("-", 2)[1]) for c in FACTS["cases"])
    (centre, year), issued = series.most_common(1)[0]
    registered = httpx.post(
        f"{release.url}/cases",
        headers=token_for("clerk-0.1.0", "clerk", unit="人社"),
        json={
            "channel": "window",
            "matter": {"code": "SI-ARREARS", "name": "养老保险费补缴"},
            "centre": centre,
            "department": "人社",
            "window": "1F-01",
            "applicant": {"name": "张某"},
            "occurred_at": f"{year}-06-01T10:00:00+08:00",
        },
        timeout=30,
    )

    assert registered.status_code == 201, registered.text
    assert registered.json()["case_no"] == f"{centre.upper()}-{year}-{issued + 1:06d}"

    # The first checkpoint after the upgrade folds the whole 0.1.0 log into a head map: a fresh
    # bundle of the old case is proven complete, and the whole log still verifies.
    deadline = time.monotonic() + 30
    while True:  # the notary checkpoints within a second of the new events
        bundle = release.http.get(f"/cases/{dibao['case_id']}/bundle")
        assert bundle.status_code == 200, bundle.text
        if bundle.json()["tree_size"] > len(EVENTS) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    held = tmp_path / "dibao-after-upgrade.json"
    held.write_bytes(bundle.content)
    key = release.http.get("/audit/public-key").text.strip()
    verified = ledger_command("verify", str(held), "--public-key", key)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "complete as of tree size" in verified.stdout
    whole = ledger_command("verify", "--database", "--public-key", key, env=release.env)
    assert whole.returncode == 0, whole.stdout + whole.stderr
