"""Pages in a real browser: Debian's Chromium (installed here from the package manager when it is
missing, as the README's test command promises), driven by Playwright, against a real
`ledger serve` on a fresh database.

Chromium starts headless with the flags this machine's closed network needs (no background
networking, no component updates: otherwise it keeps dialling Google). A developer without root
and without Chromium gets a skip; under CI (`CI=true`) a missing browser fails instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ledger.application.tokens import create_token
from ledger.config.settings import Settings
from ledger.domain.values import Role
from ledger.store.database import Database
from tests.e2e.serving import wait_healthy
from tests.e2e.test_readme import free_port

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PACKAGES = ["chromium", "fonts-noto-cjk"]
"""The browser, and a CJK font so screenshots show Chinese, not boxes."""


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _install() -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", *PACKAGES], check=True, env=env, capture_output=True
    )


@pytest.fixture(scope="session")
def chromium_path() -> str:
    found = _chromium()
    if found is None and shutil.which("apt-get") and os.geteuid() == 0:
        _install()
        found = _chromium()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing and could not be installed (apt-get install chromium)")
        pytest.skip("no Chromium, and not root to install it (apt-get install chromium)")
    return found


@dataclass
class Served:
    """A running `ledger serve`: its URL, environment and a way to mint tokens for it."""

    url: str
    env: dict[str, str]
    settings: Settings
    log: Path

    def token(
        self,
        actor: str,
        *roles: str,
        unit: str | None = None,
        centres: tuple[str, ...] = ("*",),
        ttl: int = 3600,
    ) -> str:
        return create_token(
            self.settings.token_secret, actor, [Role(r) for r in roles], unit, ttl, centres=centres
        )

    def headers(self, actor: str, *roles: str, **claims: object) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(actor, *roles, **claims)}"}  # type: ignore[arg-type]

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)


@pytest.fixture(scope="session")
def served(
    database_factory: Callable[[], Database], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("served")
    port = free_port()
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": database_factory().owner_conninfo,
        "LEDGER_DATA_DIR": str(data_dir),
        "LEDGER_URL": f"http://127.0.0.1:{port}",
    }
    log = data_dir / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "ledger"), "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_healthy(env["LEDGER_URL"], server, log)
        yield Served(env["LEDGER_URL"], env, Settings.from_env(env), log)
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="package")
def browser(chromium_path: str) -> Iterator[object]:
    """Playwright's sync API runs an event loop in this thread while it is open: package scope
    closes it when the browser tests end, so later tests may call `asyncio.run` again."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def sign_in(browser: object, served: Served) -> Iterator[Callable[[str], object]]:
    """sign_in(token) → a Playwright page signed in through the login form (zh-CN, Beijing)."""
    contexts: list[object] = []

    def open_page(token: str) -> object:
        context = browser.new_context(  # type: ignore[attr-defined]
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport={"width": 1366, "height": 768},
            accept_downloads=True,
        )
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{served.url}/ui/login")
        page.get_by_label("令牌").fill(token)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(lambda url: "/ui/login" not in url)
        return page

    yield open_page
    for context in contexts:
        context.close()  # type: ignore[attr-defined]


def screenshot(page: object, name: str) -> None:
    """Save a full-page screenshot as `<LEDGER_SCREENSHOTS>/<name>.png` when that variable is set
    (how the README's pictures under docs/screenshots/ are made); otherwise nothing."""
    where = os.environ.get("LEDGER_SCREENSHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(where) / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]
