"""One-time login links: a link signs its holder in once, within its 15 minutes, as the token it
was made for; a code and a bearer token cannot stand in for each other; the code is never
logged."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import jwt
import psycopg
import pytest
from litestar.testing import TestClient
from structlog.testing import capture_logs

from ledger.api.app import create_app
from ledger.api.ui.login_link import LINK_TTL, PATH, create_login_code
from ledger.application.service import Ledger
from ledger.application.tokens import create_token
from ledger.config.settings import Settings
from ledger.domain.values import Role
from ledger.store.database import Database
from ledger.store.revocations import revoke


@pytest.fixture
def browser(settings: Settings, ledger: Ledger) -> Iterator[TestClient[Any]]:
    """A client with a cookie jar of its own (the session client's is shared)."""
    with TestClient(create_app(settings, ledger)) as client:
        yield client


def token(settings: Settings, actor: str = "duty-link", ttl: int = 3600) -> str:
    return create_token(
        settings.token_secret, actor, [Role.DUTY_OFFICER], "数据局", ttl, centres=["huoshan"]
    )


def link(settings: Settings, session: str, ttl: int = LINK_TTL) -> str:
    code = create_login_code(settings.token_secret, session, settings.token_max_ttl_seconds, ttl)
    return f"{PATH}?code={quote(code)}"


def test_a_link_signs_in_once_as_its_token_and_goes_to_the_board(
    browser, settings, database: Database
) -> None:
    session = token(settings, "duty-link-1")
    url = link(settings, session)

    opened = browser.get(url, follow_redirects=False)

    assert opened.status_code == 303 and opened.headers["location"] == "/ui/board"
    assert opened.headers["cache-control"] == "no-store"
    assert opened.headers["referrer-policy"] == "no-referrer"
    cookie = opened.headers["set-cookie"]
    assert cookie.startswith("ledger_session=")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Path=/" in cookie
    max_age = int(cookie.split("Max-Age=")[1].split(";")[0])
    assert 3500 < max_age <= 3600
    signed_in = browser.cookies["ledger_session"]
    claims = jwt.decode(signed_in, settings.token_secret, algorithms=["HS256"])
    assert claims == jwt.decode(session, settings.token_secret, algorithms=["HS256"])
    assert browser.get("/cases", headers={"Authorization": f"Bearer {signed_in}"}).is_success

    browser.cookies.clear()
    again = browser.get(url, follow_redirects=False)
    assert again.status_code == 410 and "链接已使用" in again.text
    assert "set-cookie" not in again.headers
    assert again.headers["referrer-policy"] == "no-referrer"
    with psycopg.connect(database.owner_conninfo) as conn:
        rows = conn.execute(
            "SELECT subject, token_id FROM ledger_login_links WHERE subject = 'duty-link-1'"
        ).fetchall()
    assert rows == [("duty-link-1", claims["jti"])]


def test_an_expired_link_is_refused(browser, settings) -> None:
    opened = browser.get(link(settings, token(settings), ttl=-1), follow_redirects=False)
    assert opened.status_code == 401 and "登录链接已过期" in opened.text
    assert "set-cookie" not in opened.headers


def test_a_forged_or_missing_code_is_refused(browser, settings) -> None:
    forged = jwt.encode(
        jwt.decode(
            link(settings, token(settings)).split("code=")[1], options={"verify_signature": False}
        ),
        secrets.token_bytes(32),
        algorithm="HS256",
        headers={"typ": "login-link+jwt"},
    )
    for url in (f"{PATH}?code={forged}", PATH, f"{PATH}?code=not-a-code"):
        opened = browser.get(url, follow_redirects=False)
        assert opened.status_code == 401 and "登录链接无效" in opened.text, url
        assert "set-cookie" not in opened.headers


def test_a_bearer_token_is_not_a_login_code(browser, settings) -> None:
    opened = browser.get(f"{PATH}?code={token(settings)}", follow_redirects=False)
    assert opened.status_code == 401 and "登录链接无效" in opened.text
    assert "set-cookie" not in opened.headers


def test_a_login_code_is_not_a_bearer_token(browser, settings) -> None:
    code = link(settings, token(settings)).split("code=")[1]
    refused = browser.get("/cases", headers={"Authorization": f"Bearer {code}"})
    assert refused.status_code == 401
    browser.cookies.set("ledger_session", code)
    page = browser.get("/ui/board", follow_redirects=False)  # nor is it a session cookie
    assert page.status_code == 303 and page.headers["location"].startswith("/ui/login?")


def test_the_link_of_a_revoked_token_is_refused(browser, settings, database: Database) -> None:
    session = token(settings, "duty-link-revoked")
    url = link(settings, session)
    token_id = jwt.decode(session, options={"verify_signature": False})["jti"]
    revoke(database.owner_conninfo, token_id, subject="duty-link-revoked", expires_at=None,
           revoked_by="admin", reason="test")  # fmt: skip
    opened = browser.get(url, follow_redirects=False)
    assert opened.status_code == 401 and "set-cookie" not in opened.headers


def test_the_code_is_never_logged(browser, settings) -> None:
    url = link(settings, token(settings, "duty-link-log"))
    code = url.split("code=")[1]
    with capture_logs() as logs:
        assert browser.get(url, follow_redirects=False).status_code == 303
        assert browser.get(url, follow_redirects=False).status_code == 410
    assert [e for e in logs if e.get("event") == "http.request"], logs
    assert code[-20:] not in repr(logs)


def test_the_application_role_cannot_forget_a_used_link(database: Database) -> None:
    with psycopg.connect(database.app_conninfo) as conn:
        for statement in (
            "DELETE FROM ledger_login_links",
            "UPDATE ledger_login_links SET subject = ''",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
            conn.rollback()
