"""The case page, `/ui/cases/{id}`, without a browser: a case built over the API (a hand-off, a
pause, a 容缺受理 with two layers) read back as the page shows it, now and in the past (by
version and by business time), its bundle for verify.js, and what a credential may not see."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape
from typing import Any

import pytest

from ledger.application.tokens import create_token
from ledger.domain.values import Role
from ledger.log.keys import load_signer
from ledger.log.notary import Notary

DAY = "2026-11-10"
"""A Tuesday (a working day at huoshan), in the past of every run from December 2026 on."""
ID_NUMBER, PHONE = "341525197001010020", "13800000000"


def at(clock: str) -> str:
    return f"{DAY}T{clock}:00+08:00"


def staff_of(headers: Any) -> dict[str, dict[str, str]]:
    """The people of the story, as Authorization headers (`headers(actor, *roles, unit=)`)."""
    return {
        "clerk": headers("hs-rs-clerk", "clerk", unit="人社"),
        "lead": headers("hs-rs-lead", "window_lead", unit="人社"),
        "head": headers("hs-rs-head", "department_head", unit="人社"),
        "sw_clerk": headers("hs-sw-clerk", "clerk", unit="税务"),
        "sw_head": headers("hs-sw-head", "department_head", unit="税务"),
    }


def build_case(client: Any, staff: dict[str, dict[str, str]]) -> str:
    """李女士's case at huoshan, over the API: 容缺受理 approved by two layers, acceptance, a
    hand-off 人社 → 税务 signed for, a pause for the data push and its resumption. `client`: a
    Litestar TestClient or an httpx client (the same calls)."""
    body = {
        "channel": "window",
        "matter": {"code": "SI-ARREARS", "name": "养老保险费补缴"},
        "centre": "huoshan",
        "department": "人社",
        "window": "2F-07",
        "applicant": {"name": "李某", "id_number": ID_NUMBER, "phone": PHONE},
        "priority": "normal",
        "occurred_at": at("09:00"),
    }
    created = client.post("/cases", json=body, headers=staff["clerk"])
    assert created.status_code == 201, created.text
    case_id = str(created.json()["case_id"])

    def append(who: str, event: dict[str, Any]) -> dict[str, Any]:
        response = client.post(f"/cases/{case_id}/events", json=event, headers=staff[who])
        assert response.status_code == 201, response.text
        return dict(response.json())

    append("clerk", {"type": "VisitRecorded", "ticket": "A012", "occurred_at": at("09:00")})
    exception_id = append(
        "clerk",
        {
            "type": "ExceptionRequested",
            "kind": "missing_materials",
            "rule_waived": "材料齐全方可受理",
            "basis": "霍山县容缺受理事项清单",
            "justification": "申请人在外地，银行卡复印件后补",
            "waived_items": ["银行卡复印件"],
            "credit_check": {"result": "clear", "source": "信用中国", "checked_at": at("09:04")},
            "occurred_at": at("09:05"),
        },
    )["exception_id"]
    for layer, who, clock in ((1, "lead", "09:10"), (2, "head", "09:20")):
        append(
            who,
            {
                "type": "ExceptionLayerDecided",
                "exception_id": exception_id,
                "layer": layer,
                "decision": "approve",
                "opinion": "同意容缺受理",
                "occurred_at": at(clock),
            },
        )
    append("clerk", {"type": "Accepted", "note": "容缺受理", "occurred_at": at("09:30")})
    handoff_id = append(
        "clerk",
        {
            "type": "HandedOff",
            "to_department": "税务",
            "to_window": "2F-09",
            "reason": "社税联办：绑卡缴费",
            "occurred_at": at("09:40"),
        },
    )["handoff_id"]
    append(
        "sw_clerk",
        {"type": "HandOffSignedFor", "handoff_id": handoff_id, "occurred_at": at("09:45")},
    )
    append(
        "sw_head",
        {
            "type": "ClockPaused",
            "reason": "awaiting_data_push",
            "note": "人社数据因网络卡顿未推送",
            "evidence": "窗口系统查询记录",
            "occurred_at": at("10:00"),
        },
    )
    append("sw_clerk", {"type": "ClockResumed", "note": "数据已推送", "occurred_at": at("14:00")})
    return case_id


@pytest.fixture(scope="module")
def notary(settings: Any, database: Any) -> Iterator[Notary]:
    signer = load_signer(settings.notary_key_path, settings.origin)
    sealer = Notary(database.notary_conninfo, signer, settings.origin)
    yield sealer
    sealer.close()


@pytest.fixture(scope="module")
def story(client: Any, token_for: Any, notary: Notary) -> str:
    case_id = build_case(client, staff_of(token_for))
    notary.catch_up()
    return case_id


def signed_in(client: Any, settings: Any, *roles: str, centres: tuple[str, ...] = ("*",)) -> Any:
    token = create_token(
        settings.token_secret, "auditor-page", [Role(r) for r in roles], None, 600, centres=centres
    )
    client.cookies.set("ledger_session", token)
    return client


@pytest.fixture
def auditor(client: Any, settings: Any) -> Iterator[Any]:
    yield signed_in(client, settings, "auditor")
    client.cookies.clear()


def page(client: Any, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    return unescape(response.text)


def text_of(html: str) -> str:
    """The page's words, tags removed, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_page_shows_the_case_its_clock_hand_offs_pause_exception_and_history(
    auditor: Any, story: str
) -> None:
    html = page(auditor, f"/ui/cases/{story}")
    words = text_of(html)

    assert "养老保险费补缴" in words and "HUOSHAN-" in words
    assert "税务 / 2F-09" in words  # the holder after the signed hand-off
    assert "李*" in words and ID_NUMBER not in html and PHONE not in html  # masked only
    assert "已受理" in words
    # The clock: five working days from acceptance, met or running, never unlabelled.
    assert "5个工作日" in words and "起算 2026-11-10 09:30" in words
    assert re.search(r"办理时限 (正常|临期|超时)( 计时中| 暂停)? · (剩余|超时) \d+个工作日", words)
    # The pause: why, from–to, who paused it, what ended it.
    assert (
        "等待数据推送 2026-11-10 10:00 2026-11-10 14:00 hs-sw-head（税务） 恢复计时，hs-sw-clerk"
        in (words)
    )
    assert "窗口系统查询记录" in words
    # The hand-off chain.
    assert "人社 2F-07 税务 2F-09 社税联办：绑卡缴费 hs-rs-clerk，2026-11-10 09:40 已签收" in words
    # The exception, layer by layer, and its proof's checks recomputed from the verified bundle.
    assert "容缺受理 · 已批准" in words
    assert "1 窗口负责人（窗口负责人） 同意 hs-rs-lead（窗口负责人，人社） 同意容缺受理" in words
    assert "2 部门负责人（首席代表）（部门负责人） 同意 hs-rs-head" in words
    assert "证明包已核验" in words
    assert "逐层按序审批 layer_order 通过" in words
    # The whole history: each event in Chinese, who, business and recorded time.
    for name in ("登记收件", "到场（跑动）", "申请破例办理", "逐级审批", "受理", "移交"):
        assert f"{name} 版本" in words, name
    assert "签收移交 版本" in words and "暂停计时 版本" in words and "恢复计时 版本" in words
    assert "经办：hs-sw-head（税务） · 部门负责人" in words
    assert "业务时间 2026-11-10 10:00:00" in words and "记录时间 20" in words
    assert "日志叶 #" in words
    # The verification panel: the pinned-key field, the button, the bundle download.
    assert 'id="pinned-key"' in html and "固定公钥" in words and "校验" in words
    assert f'href="/ui/cases/{story}/bundle?download=1"' in html
    assert 'data-result="idle"' in html and 'src="/ui/static/verify.js"' in html


def test_version_travel_shows_the_case_and_history_as_of_that_version(
    auditor: Any, story: str
) -> None:
    words = text_of(page(auditor, f"/ui/cases/{story}?version=2"))

    assert "正在查看版本 2" in words and "回到当前" in words
    assert "办理历史（2 个事件，截至版本 2）" in words
    assert "已收件" in words and "尚未受理" in words  # no clock yet
    assert "没有移交" in words and "没有破例申请" in words
    assert "申请破例办理 版本" not in words


def test_business_time_travel_shows_the_case_as_it_stood_then(auditor: Any, story: str) -> None:
    picked = text_of(page(auditor, f"/ui/cases/{story}?occurred_at={DAY}T09:42"))  # the picker
    offset = text_of(page(auditor, f"/ui/cases/{story}?occurred_at={DAY}T09:42:00%2B08:00"))

    for words in (picked, offset):
        assert "正在查看业务时间 2026-11-10 09:42:00 时案件的状态" in words
        assert "人社 / 2F-07" in words  # handed off, not yet signed for
        assert "待签收" in words and "签收移交 版本" not in words
        assert "读数时刻 2026-11-10 09:42:00" in words


def test_business_time_before_registration_is_a_404_page_saying_so(
    auditor: Any, story: str
) -> None:
    words = text_of(page(auditor, f"/ui/cases/{story}?occurred_at={DAY}T08:59", 404))

    assert "所选业务时间案件尚未登记" in words


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("version=abc", "版本应为正整数"),
        ("version=0", "版本应为正整数"),
        (f"version=2&occurred_at={DAY}T09:42", "只能选一个"),
        ("occurred_at=yesterday", "不是有效的时间"),
        ("as_of=2101-01-01T00:00", "超出范围"),
    ],
)
def test_a_bad_time_travel_is_a_400_page(auditor: Any, story: str, query: str, says: str) -> None:
    assert says in text_of(page(auditor, f"/ui/cases/{story}?{query}", 400))


def test_a_version_beyond_the_case_is_a_404_page(auditor: Any, story: str) -> None:
    assert "案件没有版本 999" in text_of(page(auditor, f"/ui/cases/{story}?version=999", 404))


def test_the_page_s_bundle_is_the_api_s_and_downloads_as_a_file(
    auditor: Any, story: str, token_for: Any
) -> None:
    api = auditor.get(f"/cases/{story}/bundle", headers=token_for("auditor-api", "auditor"))
    shown = auditor.get(f"/ui/cases/{story}/bundle")
    download = auditor.get(f"/ui/cases/{story}/bundle?download=1")

    assert shown.status_code == 200 and shown.json() == api.json()
    assert shown.json()["case_version"] == len(auditor.get(f"/cases/{story}/events",
        headers=token_for("auditor-api", "auditor")).json()["events"])  # fmt: skip
    assert download.headers["content-disposition"] == (
        f'attachment; filename="case-{story}-bundle.json"'
    )
    assert download.json() == api.json()


def test_a_case_of_another_centre_is_a_404_page_and_so_is_its_bundle(
    client: Any, settings: Any, story: str
) -> None:
    signed_in(client, settings, "auditor", centres=("jieyang",))
    try:
        assert "没有这个案件" in text_of(page(client, f"/ui/cases/{story}", 404))
        assert client.get(f"/ui/cases/{story}/bundle").status_code == 404
    finally:
        client.cookies.clear()


def test_a_role_that_may_not_read_cases_gets_a_403_page(
    client: Any, settings: Any, story: str
) -> None:
    signed_in(client, settings, "dashboard")
    try:
        assert "您的角色不能查看案件" in text_of(page(client, f"/ui/cases/{story}", 403))
    finally:
        client.cookies.clear()


def test_without_a_session_the_page_sends_to_the_login(client: Any, story: str) -> None:
    client.cookies.clear()
    response = client.get(f"/ui/cases/{story}?version=2", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"].startswith("/ui/login?next=%2Fui%2Fcases%2F")


def test_an_exception_not_yet_sealed_says_its_checks_come_later(
    auditor: Any, token_for: Any, story: str
) -> None:
    unsealed = build_case(auditor, staff_of(token_for))  # the notary has not run since

    words = text_of(page(auditor, f"/ui/cases/{unsealed}"))

    assert "尚未全部封存进已签名的检查点" in words and "尚未封存" in words


def test_text_written_into_an_event_is_shown_escaped_under_a_policy_that_runs_no_inline_script(
    client: Any, token_for: Any, settings: Any
) -> None:
    """An attacker's words in a duty intervention: shown as text, never markup; and the page's
    Content-Security-Policy would refuse an inline script even if escaping failed."""
    staff = staff_of(token_for)
    created = client.post(
        "/cases",
        json={
            "channel": "window",
            "matter": {"code": "SI-ARREARS", "name": "养老保险费补缴"},
            "centre": "huoshan",
            "department": "人社",
            "window": "2F-07",
            "applicant": {"name": "王某"},
            "occurred_at": at("09:00"),
        },
        headers=staff["clerk"],
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    appended = client.post(
        f"/cases/{case_id}/events",
        json={"type": "VisitRecorded", "ticket": payload, "occurred_at": at("09:01")},
        headers=staff["clerk"],
    )
    assert appended.status_code == 201, appended.text
    signed_in(client, settings, "auditor")
    try:
        response = client.get(f"/ui/cases/{case_id}")
    finally:
        client.cookies.clear()
    assert response.status_code == 200, response.text
    assert payload not in response.text and "<img src=x" not in response.text
    assert "&lt;script&gt;alert(" in response.text  # the words, as words
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
