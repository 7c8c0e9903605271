"""`ledger token create | revoke | revoked` as an operator runs them, against a real database: a
token names where it acts and lives at most the maximum; a revoked one is refused by a server
reading the same database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jwt
from litestar.testing import TestClient

from ledger.api.app import create_app
from ledger.application.service import Ledger
from ledger.config.settings import Settings
from ledger.store.database import Database
from tests.e2e.test_cli import ledger_cmd


def _env(settings: Settings, database: Database, tmp_path: Path) -> dict[str, str]:
    return {
        "LEDGER_DATABASE_URL": database.owner_conninfo,
        "LEDGER_DATA_DIR": str(tmp_path),
        "LEDGER_TOKEN_SECRET": settings.token_secret.hex(),
    }


def test_create_names_centres_and_refuses_what_it_must(
    settings: Settings, database: Database, tmp_path: Path
) -> None:
    env = _env(settings, database, tmp_path)
    base = ("token", "create", "--actor", "clerk-1", "--role", "clerk", "--unit", "人社")

    made = ledger_cmd(*base, "--centre", "huoshan", env=env)
    assert made.returncode == 0, made.stderr
    claims = jwt.decode(made.stdout.strip(), settings.token_secret, algorithms=["HS256"])
    assert claims["centres"] == ["huoshan"] and claims["sub"] == "clerk-1"
    assert claims["exp"] - claims["iat"] == settings.token_ttl_seconds
    assert f"token id: {claims['jti']}" in made.stderr

    everywhere = ledger_cmd(*base[:-2], "--role", "auditor", "--all-centres", env=env)
    assert jwt.decode(everywhere.stdout.strip(), options={"verify_signature": False})[
        "centres"
    ] == ["*"]

    refusals = {
        "name where it acts": base,
        "no centre 'atlantis'": (*base, "--centre", "atlantis"),
        "no jurisdiction 'nowhere'": (*base, "--jurisdiction", "nowhere"),
        "must be 1..": (*base, "--centre", "huoshan", "--ttl", str(8 * 24 * 3600)),
        "must not be empty": (
            "token",
            "create",
            "--actor",
            " ",
            "--role",
            "clerk",
            "--centre",
            "huoshan",
        ),
    }
    for says, args in refusals.items():
        run = ledger_cmd(*args, env=env)
        assert run.returncode != 0 and says in run.stderr, (args, run.stderr)
        assert run.stdout == ""


def test_a_revoked_token_is_refused_and_listed(
    settings: Settings, database: Database, ledger: Ledger, tmp_path: Path
) -> None:
    env = _env(settings, database, tmp_path)
    made = ledger_cmd("token", "create", "--actor", "clerk-2", "--role", "clerk",
                      "--centre", "huoshan", env=env)  # fmt: skip
    token = made.stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(settings, ledger)) as client:
        assert client.get("/cases", headers=headers).status_code == 200

        revoked = ledger_cmd("token", "revoke", "--token", token, "--reason", "离职",
                             "--by", "admin-1", env=env)  # fmt: skip
        assert revoked.returncode == 0, revoked.stderr

        response: Any = client.get("/cases", headers=headers)
        assert response.status_code == 401 and "revoked" in response.json()["detail"]

    listed = ledger_cmd("token", "revoked", env=env)
    token_id = jwt.decode(token, options={"verify_signature": False})["jti"]
    line = next(row for row in listed.stdout.splitlines() if row.startswith(token_id))
    assert "clerk-2" in line and "admin-1" in line and "离职" in line

    neither = ledger_cmd("token", "revoke", "--reason", "x", env=env)
    assert neither.returncode != 0 and "one of them" in neither.stderr


def test_login_url_prints_a_one_time_link_that_signs_in_as_the_token_it_names(
    settings: Settings, database: Database, ledger: Ledger, tmp_path: Path
) -> None:
    env = _env(settings, database, tmp_path)
    base = ("token", "create", "--actor", "duty-cli", "--role", "duty_officer",
            "--centre", "huoshan", "--ttl", "600", "--login-url")  # fmt: skip

    made = ledger_cmd(*base, "--base-url", "https://ledger.example.gov.cn/", env=env)
    assert made.returncode == 0, made.stderr
    url = made.stdout.strip()
    prefix = "https://ledger.example.gov.cn/ui/login/link?code="
    assert url.startswith(prefix) and "\n" not in url
    assert "valid once, for 15 minutes" in made.stderr
    token_id = made.stderr.split("token id: ")[1].split()[0]

    with TestClient(create_app(settings, ledger)) as client:
        path = url.removeprefix("https://ledger.example.gov.cn")
        opened = client.get(path, follow_redirects=False)
        assert opened.status_code == 303, opened.text
        session = client.cookies["ledger_session"]
        claims = jwt.decode(session, settings.token_secret, algorithms=["HS256"])
        assert (claims["jti"], claims["sub"], claims["exp"] - claims["iat"]) == (
            token_id,
            "duty-cli",
            600,
        )
        client.cookies.clear()
        assert client.get(path, follow_redirects=False).status_code == 410

    refused = ledger_cmd(*base, "--base-url", "ledger.example.gov.cn", env=env)
    assert refused.returncode != 0 and "--base-url" in refused.stderr and refused.stdout == ""
