"""Signing in to the pages with a token, in a real browser."""

from __future__ import annotations

from tests.browser.conftest import Served


def test_a_bad_token_is_refused_on_the_login_page(browser: object, served: Served) -> None:
    page = browser.new_page(locale="zh-CN")  # type: ignore[attr-defined]
    try:
        page.goto(f"{served.url}/ui/board")
        assert "/ui/login?next=" in page.url  # not signed in: the login page, then back here
        page.get_by_label("令牌").fill("not-a-token")
        page.get_by_role("button", name="登录").click()
        assert "令牌无效" in page.get_by_role("alert").inner_text()
        assert page.context.cookies() == []
    finally:
        page.close()


def test_the_session_cookie_is_httponly_strict_and_ends_with_the_token(
    browser: object, served: Served
) -> None:
    context = browser.new_context()  # type: ignore[attr-defined]
    try:
        page = context.new_page()
        page.goto(f"{served.url}/ui/login")
        page.get_by_label("令牌").fill(served.token("duty-l", "duty_officer", ttl=600))
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(lambda url: "/ui/login" not in url)
        (cookie,) = context.cookies()
        assert cookie["name"] == "ledger_session"
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Strict"
        assert page.evaluate("document.cookie") == ""  # no script on the page can read it
        assert 0 < cookie["expires"] - __import__("time").time() <= 600
    finally:
        context.close()
