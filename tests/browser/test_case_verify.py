"""The case page in a real browser: an auditor pins the log's key, clicks 校验 and gets 已验证 from
the page's own JavaScript (Ed25519 by WebCrypto, RFC 9162 proofs, the head map); a bundle with one
byte changed on its way, or a key other than the log's, gets 校验失败; the downloaded bundle is one
`ledger verify` accepts."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, Route, expect

from ledger.log.signed_note import generate_key
from tests.api.ui.test_case_page import build_case, staff_of
from tests.browser.conftest import Served, screenshot

CHECK = 15_000
"""Milliseconds the in-browser check may take (it is well under one on an idle machine)."""


def sealed(http: httpx.Client, case_id: str, headers: dict[str, str]) -> int:
    """The case's version once the notary has sealed all of it into a signed checkpoint."""
    events = http.get(f"/cases/{case_id}/events", headers=headers).json()["events"]
    deadline = time.monotonic() + 30
    while True:
        response = http.get(f"/cases/{case_id}/bundle", headers=headers)
        if response.status_code == 200 and response.json()["case_version"] == len(events):
            return len(events)
        assert time.monotonic() < deadline, (response.status_code, response.text)
        time.sleep(0.2)


def tampered(change: Callable[[dict[str, Any]], None]) -> Callable[[Route], None]:
    """A route handler serving the real bundle with `change` applied to it."""

    def handle(route: Route) -> None:
        response = route.fetch()
        bundle = response.json()
        change(bundle)
        route.fulfill(response=response, body=json.dumps(bundle))

    return handle


def flip_leaf_hash_digit(bundle: dict[str, Any]) -> None:
    event = bundle["events"][2]
    digit = event["leaf_hash"][0]
    event["leaf_hash"] = ("0" if digit != "0" else "1") + event["leaf_hash"][1:]


def change_the_ticket(bundle: dict[str, Any]) -> None:
    """One character of an event's field, as stored: the visit's ticket A012 becomes A013."""
    event = next(e for e in bundle["events"] if e["version"] == 2)
    payload = base64.b64decode(event["payload"])
    assert b'"A012"' in payload
    event["payload"] = base64.b64encode(payload.replace(b'"A012"', b'"A013"')).decode()


def verify(page: Page) -> Any:
    page.get_by_role("button", name="校验", exact=True).click()
    result = page.locator(".verify-result")
    expect(result).not_to_have_attribute("data-result", "running", timeout=CHECK)
    expect(result).not_to_have_attribute("data-result", "idle")
    return result


def test_an_auditor_verifies_a_case_in_the_browser_and_a_changed_byte_fails(
    served: Served, sign_in: Callable[[str], Any], tmp_path: Path
) -> None:
    http = served.http()
    case_id = build_case(http, staff_of(served.headers))
    reader = served.headers("auditor-verify", "auditor")
    version = sealed(http, case_id, reader)
    key = http.get("/audit/public-key").text.strip()  # the test's own trusted channel
    page: Page = sign_in(served.token("auditor-verify", "auditor"))

    page.goto(f"{served.url}/ui/cases/{case_id}")
    field = page.get_by_label("固定公钥")
    expect(field).to_have_value(key)  # prefilled from this server, and marked so
    expect(page.locator("#key-note")).to_contain_text("取自本服务器")
    field.fill(key)
    expect(page.locator("#key-note")).to_contain_text("已固定")
    result = verify(page)

    expect(result).to_have_attribute("data-result", "verified")
    expect(result).to_contain_text("已验证")
    expect(result).to_contain_text(f"{version} 个事件（版本 1..{version}）的叶哈希与包含证明均通过")
    expect(result).to_contain_text("案件头证明版本完整")
    assert page.evaluate("localStorage.getItem('ledger.pinnedKeys')") == key
    page.locator("#verify-details summary").click()
    screenshot(page, "case")

    for change, says in (
        (flip_leaf_hash_digit, "存储的事件与封存的叶不符"),
        (change_the_ticket, "版本 2"),
    ):
        page.route(f"**/ui/cases/{case_id}/bundle", tampered(change))
        result = verify(page)
        expect(result).to_have_attribute("data-result", "failed")
        expect(result).to_contain_text("校验失败")
        expect(result).to_contain_text(says)
        page.unroute(f"**/ui/cases/{case_id}/bundle")

    page.reload()  # the pinned key survives a reload (localStorage)
    expect(page.get_by_label("固定公钥")).to_have_value(key)
    expect(verify(page)).to_have_attribute("data-result", "verified")


def test_a_bundle_checked_against_another_key_fails(
    served: Served, sign_in: Callable[[str], Any]
) -> None:
    http = served.http()
    case_id = build_case(http, staff_of(served.headers))
    sealed(http, case_id, served.headers("auditor-other", "auditor"))
    _, impostor = generate_key(served.settings.origin)  # same name as the log's, another key
    page: Page = sign_in(served.token("auditor-other", "auditor"))

    page.goto(f"{served.url}/ui/cases/{case_id}")
    page.get_by_label("固定公钥").fill(impostor)
    result = verify(page)

    expect(result).to_have_attribute("data-result", "failed")
    expect(result).to_contain_text("校验失败：检查点：没有密钥")


def test_the_downloaded_bundle_is_one_ledger_verify_accepts(
    served: Served, sign_in: Callable[[str], Any], tmp_path: Path
) -> None:
    http = served.http()
    case_id = build_case(http, staff_of(served.headers))
    sealed(http, case_id, served.headers("auditor-dl", "auditor"))
    key_file = tmp_path / "ledger.pub"
    key_file.write_text(http.get("/audit/public-key").text)
    page: Page = sign_in(served.token("auditor-dl", "auditor"))
    page.goto(f"{served.url}/ui/cases/{case_id}")

    with page.expect_download() as download:
        page.get_by_role("link", name="下载证明包").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)

    assert saved.name == f"case-{case_id}-bundle.json"
    checked = subprocess.run(
        [str(Path(sys.executable).parent / "ledger"), "verify", str(saved), "--public-key",
         str(key_file)],
        capture_output=True, text=True, env=served.env, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.strip().endswith("OK")
