"""Tokens tried as an attacker would: every claim the ledger relies on is required (a subject, an
id, centres, a lifetime within the maximum), a revoked token answers 401 as soon as the serving
process hears of it, and the application's own database role can neither revoke nor un-revoke.
Real PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt
import psycopg
import pytest
from litestar.testing import TestClient

from ledger.application.service import Ledger
from ledger.application.tokens import ISSUER, create_token
from ledger.config.settings import Settings
from ledger.domain.values import Role
from ledger.store.database import Database
from ledger.store.revocations import revoke
from tests.api.support import assert_problem, register

Headers = dict[str, str]


def bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


def signed(settings: Settings, **changes: Any) -> str:
    """A token signed with the ledger's own secret (what a leaked-secret holder or a buggy
    issuer could make), from valid claims with `changes` applied (None: claim removed)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": ISSUER, "sub": "clerk-t", "jti": "t-" + str(now), "iat": now, "exp": now + 600,
        "roles": ["clerk"], "unit": "人社", "centres": ["huoshan"],
    }  # fmt: skip
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, settings.token_secret, algorithm="HS256")


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"sub": ""}, "empty subject"),
        ({"sub": "   "}, "empty subject"),
        ({"jti": None}, "jti"),
        ({"jti": ""}, "no id"),
        ({"centres": None}, "names no centre"),
        ({"centres": []}, "names no centre"),
        ({"centres": None, "jurisdictions": ["nowhere"]}, "not configured"),
        ({"roles": ["emperor"]}, "claims are not valid"),
        ({"iat": int(time.time()) + 3600, "exp": int(time.time()) + 4000}, "not yet valid"),
        ({"exp": int(time.time()) + 8 * 24 * 3600}, "past the maximum"),
    ],
)
def test_a_token_missing_or_overreaching_a_claim_is_refused(
    client: TestClient[Any], settings: Settings, changes: dict[str, Any], says: str
) -> None:
    response = client.get("/cases", headers=bearer(signed(settings, **changes)))
    problem = assert_problem(response, 401)
    assert says in problem["detail"], problem


def test_a_token_accepted_once_is_refused_once_it_expires(
    client: TestClient[Any], settings: Settings
) -> None:
    """A process checks a token's signature and claims once (`tokens._signed_claims`), but its
    times on every request: a remembered token still expires, and one already expired when
    first seen is refused."""
    now = int(time.time())
    short = signed(settings, jti="t-short", iat=now - 10, exp=now + 2)
    assert client.get("/cases", headers=bearer(short)).status_code == 200
    time.sleep(max(0.0, now + 2.1 - time.time()))
    assert "expired" in assert_problem(client.get("/cases", headers=bearer(short)), 401)["detail"]

    stale = signed(settings, jti="t-stale", iat=now - 600, exp=now - 1)
    assert "expired" in assert_problem(client.get("/cases", headers=bearer(stale)), 401)["detail"]


def test_a_token_from_before_tenancy_is_refused(
    client: TestClient[Any], settings: Settings
) -> None:
    """0.1.0 tokens carried no centre and no id; they must not read every centre now."""
    old = signed(settings, jti=None, centres=None)
    assert_problem(client.get("/cases", headers=bearer(old)), 401)


def test_create_token_refuses_what_verification_refuses(settings: Settings) -> None:
    secret = settings.token_secret
    with pytest.raises(ValueError, match="empty"):
        create_token(secret, " ", [Role.CLERK], None, 60, centres=["huoshan"])
    with pytest.raises(ValueError, match="centres"):
        create_token(secret, "clerk-t", [Role.CLERK], None, 60)
    with pytest.raises(ValueError, match="maximum"):
        create_token(secret, "clerk-t", [Role.CLERK], None, 61, centres=["*"], max_ttl_seconds=60)


def test_a_jurisdiction_token_acts_in_that_jurisdictions_centres_only(
    client: TestClient[Any], settings: Settings, token_for: Callable[..., Headers]
) -> None:
    clerk = bearer(
        create_token(
            settings.token_secret, "clerk-j", [Role.CLERK], "人社", 600,
            jurisdictions=["ah-huoshan"],
        )
    )  # fmt: skip
    register(client, clerk, centre="huoshan")
    response = client.post("/cases", json=_registration("zhangjiakou"), headers=clerk)
    assert_problem(response, 403, rule="auth.centre_not_in_scope", field="centre")


def test_a_revoked_token_answers_401_once_the_process_hears_of_it(
    client: TestClient[Any], settings: Settings, database: Database
) -> None:
    """The serving process hears a revocation's NOTIFY within milliseconds
    (`ledger.store.revocations.RevocationCache`); from then on every request is refused."""
    token = create_token(settings.token_secret, "clerk-r", [Role.CLERK], "人社", 600,
                         centres=["huoshan"])  # fmt: skip
    other = create_token(settings.token_secret, "clerk-r", [Role.CLERK], "人社", 600,
                         centres=["huoshan"])  # fmt: skip
    case_id = register(client, bearer(token))
    assert client.get(f"/cases/{case_id}", headers=bearer(token)).status_code == 200

    token_id = jwt.decode(token, options={"verify_signature": False})["jti"]
    revoke(database.owner_conninfo, token_id, subject="clerk-r", expires_at=None,
           revoked_by="test", reason="laptop stolen")  # fmt: skip

    deadline = time.monotonic() + 2.0
    while client.get(f"/cases/{case_id}", headers=bearer(token)).status_code == 200:
        assert time.monotonic() < deadline, "the revocation was not heard within 2 s"
        time.sleep(0.01)
    for response in (
        client.get(f"/cases/{case_id}", headers=bearer(token)),
        client.post(
            f"/cases/{case_id}/events", json={"type": "VisitRecorded"}, headers=bearer(token)
        ),
    ):
        problem = assert_problem(response, 401)
        assert "revoked" in problem["detail"]
    assert client.get(f"/cases/{case_id}", headers=bearer(other)).status_code == 200


def test_revoking_twice_keeps_the_first_record(database: Database) -> None:
    first = revoke(database.owner_conninfo, "twice-1", subject="s", expires_at=None,
                   revoked_by="alice", reason="first")  # fmt: skip
    again = revoke(database.owner_conninfo, "twice-1", subject="s", expires_at=None,
                   revoked_by="mallory", reason="cover-up")  # fmt: skip
    assert again == first


@pytest.mark.parametrize(
    "statement",
    [
        "DELETE FROM ledger_revoked_tokens",
        "UPDATE ledger_revoked_tokens SET token_id = token_id || '-x'",
        "INSERT INTO ledger_revoked_tokens (token_id, subject, revoked_by, reason) "
        "VALUES ('by-app', '', 'app', 'x')",
        "TRUNCATE ledger_revoked_tokens",
    ],
)
def test_the_application_role_cannot_revoke_or_unrevoke(
    database: Database, ledger: Ledger, statement: str
) -> None:
    revoke(database.owner_conninfo, "kept-1", subject="s", expires_at=None, revoked_by="a",
           reason="r")  # fmt: skip
    with (
        psycopg.connect(database.app_conninfo) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(statement)
    with psycopg.connect(database.app_conninfo) as conn:
        kept = conn.execute(
            "SELECT count(*) FROM ledger_revoked_tokens WHERE token_id = 'kept-1'"
        ).fetchone()
    assert kept == (1,)


def _registration(centre: str) -> dict[str, Any]:
    from tests.conftest import registration

    return registration(centre=centre)


def test_a_role_refusal_names_the_roles_plainly(
    client: TestClient[Any], token_for: Callable[..., Headers]
) -> None:
    response = client.post(
        "/cases", json=_registration("huoshan"), headers=token_for("d", "dashboard")
    )
    problem = assert_problem(response, 403, rule="auth.role_not_permitted")
    assert "roles ['dashboard'] may not append Registered" in problem["detail"], problem
    assert "<Role" not in problem["detail"]
