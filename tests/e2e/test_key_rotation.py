"""`ledger keys rotate`: an explicit, logged rotation; the restarted notary signs with the new key;
what the old key signed stays verifiable with both keys pinned, and only with them (issue 13,
item 3)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
from litestar.testing import TestClient

from ledger.api.app import create_app
from ledger.application.service import Ledger
from ledger.log.keys import load_signer
from ledger.log.notary import Notary
from ledger.log.signed_note import Verifier
from ledger.store.database import Database
from tests.conftest import actor, register
from tests.e2e.test_cli import ledger_cmd

CLERK = actor("clerk-rot", "clerk", unit="人社")
AUDITOR = actor("auditor-rot", "auditor")


def seal(database: Database, key: Path, origin: str) -> int:
    """One run of a notary process: it loads the key file as it is when it starts."""
    notary = Notary(database.notary_conninfo, load_signer(key, origin), origin)
    try:
        return notary.catch_up()
    finally:
        notary.close()


def test_a_rotated_key_signs_new_checkpoints_and_old_ones_verify_only_with_the_old_key_pinned(
    settings: Any, database_factory: Callable[[], Database], tmp_path: Path
) -> None:
    database = database_factory()
    key = tmp_path / "keys" / "notary.key"
    pinned = msgspec.structs.replace(settings, notary_key=key)
    ledger = Ledger(pinned, database)
    env = {
        "LEDGER_DATA_DIR": str(tmp_path),
        "LEDGER_NOTARY_KEY": str(key),
        "LEDGER_ORIGIN": settings.origin,
        "LEDGER_DATABASE_URL": database.owner_conninfo,
    }
    old_case = register(ledger, CLERK).case_id
    ledger.append(old_case, CLERK, "VisitRecorded")
    old_size = seal(database, key, settings.origin)
    old_key = key.with_suffix(".pub").read_text().strip()
    old_bundle = tmp_path / "old.json"
    old_bundle.write_bytes(msgspec.json.encode(ledger.bundle(old_case, AUDITOR)))

    rotated = ledger_cmd("keys", "rotate", env=env)

    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    lines = rotated.stdout.splitlines()
    logged = [json.loads(line) for line in lines if line.startswith("{")]
    new_key = key.with_suffix(".pub").read_text().strip()
    old, new = Verifier(old_key), Verifier(new_key)
    assert [e["event"] for e in logged] == ["keys.rotated"]
    assert logged[0]["old_key_id"] == f"{old.key_id:08x}" != logged[0]["new_key_id"]
    assert logged[0]["new_key_id"] == f"{new.key_id:08x}"
    assert logged[0]["old_name"] == logged[0]["new_name"] == settings.origin == new.name
    assert f"retired: {old_key}" in lines and f"current: {new_key}" in lines
    retired_file = key.parent / "retired" / f"{old.key_id:08x}.pub"
    assert retired_file.read_text().strip() == old_key
    assert "PRIVATE+KEY" not in retired_file.read_text()

    # The notary restarts and signs what arrived since with the new key.
    new_case = register(ledger, CLERK).case_id
    new_size = seal(database, key, settings.origin)
    latest = ledger.audit.checkpoint()
    new_bundle = tmp_path / "new.json"
    new_bundle.write_bytes(msgspec.json.encode(ledger.bundle(new_case, AUDITOR)))
    with TestClient(create_app(pinned, ledger)) as client:
        served = client.get("/audit/public-key").text.strip()
        listed = client.get("/audit/public-keys").json()
    ledger.close()

    assert new_size > old_size and latest.tree_size == new_size
    assert new.verify(latest.note) and "no signature" in _refusal(old, latest.note)
    assert served == new_key
    assert [(k["key"], k["key_id"], k["status"]) for k in listed] == [
        (new_key, f"{new.key_id:08x}", "current"),
        (old_key, f"{old.key_id:08x}", "retired"),
    ]
    assert listed[0]["since"] == listed[1]["retired_at"] and listed[0]["retired_at"] is None
    both = ["--public-key", new_key, "--public-key", str(retired_file)]
    only_new = ["--public-key", new_key]
    for bundle in (old_bundle, new_bundle):
        ok = ledger_cmd("verify", str(bundle), *both, env={})
        assert ok.returncode == 0 and ok.stdout.strip().endswith("OK"), ok.stdout + ok.stderr
    assert ledger_cmd("verify", str(new_bundle), *only_new, env={}).returncode == 0
    refused = ledger_cmd("verify", str(old_bundle), *only_new, env={})
    assert refused.returncode == 1 and "no signature by key" in refused.stdout
    database_ok = ledger_cmd("verify", "--database", *both, env=env)
    assert database_ok.returncode == 0, database_ok.stdout + database_ok.stderr
    assert f"signed by {settings.origin}+{old.key_id:08x}" in database_ok.stdout
    assert f"signed by {settings.origin}+{new.key_id:08x}" in database_ok.stdout
    database_new_only = ledger_cmd("verify", "--database", *only_new, env=env)
    assert database_new_only.returncode == 1
    assert f"checkpoint of size {old_size}: note has no signature" in database_new_only.stdout


def test_rotating_without_a_key_file_is_refused(tmp_path: Path) -> None:
    key = tmp_path / "keys" / "notary.key"

    run = ledger_cmd("keys", "rotate", "--key", str(key), env={"LEDGER_DATA_DIR": str(tmp_path)})

    assert run.returncode != 0 and "no signer key" in run.stderr
    assert not key.parent.exists()


def _refusal(verifier: Verifier, note: str) -> str:
    try:
        verifier.verify(note)
    except ValueError as e:
        return str(e)
    return "verified"
