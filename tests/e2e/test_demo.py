"""`ledger demo` against a live `ledger serve`: stories land as told; a rerun adds nothing."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ledger.application.tokens import create_token
from ledger.config.settings import Settings
from ledger.demo import run
from ledger.demo.stories import stories
from ledger.domain.values import Role
from tests.e2e.test_readme import live_ledger  # noqa: F401 (the fixture)

LEDGER = str(Path(sys.executable).parent / "ledger")

STORY_CASES = {  # key: (status, holder, visits, interventions)
    "000-li": ("completed", "税务", 1, 1),
    "000-wang": ("completed", "人社", 1, 1),
    "001-xie": ("completed", "东城区人力资源公共服务中心", 1, 1),
    "001-elder": ("refused", "办不成事窗口", 1, 0),
    "001-dibao": ("completed", "民政", 1, 0),
    "002-gjj-online": ("completed", "公积金", 0, 0),
    "003-li": ("completed", "人社", 2, 0),
    "004-lao-li": ("completed", "省社保服务中心", 1, 1),
    "004-zhao": ("completed", "办不成事反映窗口", 1, 0),
    "000-hotline": ("completed", "人社", 0, 0),
    "000-hotline-dup": ("completed", "人社", 0, 0),
}

STORY_PUSHBACK = {  # key: (ratings (level, channel), reports (closure), tickets (status))
    "000-li": ([(5, "phone")], [], []),
    "000-wang": ([(5, "counter_device")], [], []),
    "001-xie": ([], ["resolved"], []),  # his thanks were his answer to the 专班, not a rating
    "001-elder": ([], ["explained_cannot_do"], []),
    "001-dibao": ([], ["resolved"], []),
    "004-lao-li": ([], ["resolved"], []),
    "000-hotline": ([], [], ["closed"]),
    "000-hotline-dup": ([], [], ["merged"]),
}
"""The seeds' 好差评 ratings and 办不成事 reports, and the 示例 12345 orders, as told."""


@pytest.fixture(autouse=True)
def quiet_timers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's timers would rate 揭阳's completed cases by default (7 days, 基本满意) between
    the two runs; the rerun must be seen to add nothing, so they sweep once an hour here."""
    monkeypatch.setenv("LEDGER_TIMER_EVERY", "3600")


STORY_EXCEPTIONS = {  # key: (kind, approvers layer by layer, the event type that used it)
    "000-wang": ("extended_hours", ["rs-lead-wang"], "Accepted"),  # 汪主任's 延时服务
    "001-dibao": ("special_handling", ["qy-lead-01", "qy-mz-head", "qy-director-wang"], "Accepted"),
}
"""The seeds' exceptions a report says who approved: each granted after every layer approved, in
order, then used by someone who decided none."""
STORY_RATIFICATIONS = {  # key: who executed the 破例
    "000-li": "sw-clerk-sun",  # 小孙 bound the card on numbers taken by phone
    "004-lao-li": "zjk-director-li",  # 李辉 coordinated the cross-province 抚恤金
    "004-zhao": "zjk-bbcs-clerk",  # the window photographed 赵先生's wife
}
"""The seeds' 破例 done with nobody's approval told: asked after the fact, no layer invented."""
LAYERS = {
    "special_handling": ["window_lead", "department_head", "centre_director"],
    "extended_hours": ["window_lead"],
}


def approval_proof(http: httpx.Client, case_id: str, exception_id: str) -> httpx.Response:
    """The exception's proof, once the notary has sealed its events (503 not-sealed-yet until)."""
    deadline = time.monotonic() + 30
    while True:
        response = http.get(f"/exceptions/{exception_id}/proof", params={"case_id": case_id})
        if response.status_code != 503 or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_demo_loads_the_stories_and_a_month_and_a_second_run_adds_nothing(
    live_ledger,  # noqa: F811
) -> None:
    url, env = live_ledger
    settings = Settings.from_env(env)
    auditor = create_token(
        settings.token_secret, "auditor-demo", [Role.AUDITOR], None, 600, centres=["*"]
    )
    http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {auditor}"})

    first = run(settings, url, cases=30, echo=lambda _: None)

    assert not first.errors
    assert all(r.created for r in first.results if r.case_id)
    ids = first.case_ids()
    for key, (status, holder, visits, interventions) in STORY_CASES.items():
        state = http.get(f"/cases/{ids[key]}").json()["state"]
        assert (state["status"], state["department"]) == (status, holder), key
        assert (state["visits"], state["interventions"]) == (visits, interventions), key
    wang = http.get(f"/cases/{ids['000-wang']}/events").json()["events"]
    duty = next(e for e in wang if e["type"] == "DutyIntervention")
    assert duty["data"]["escalation_threat"] == "defused"
    assert duty["actor"]["roles"] == ["duty_officer"]
    li = http.get(f"/cases/{ids['000-li']}/events").json()["events"]
    assert [e["type"] for e in li][-3:] == [
        "Completed",
        "ExceptionRatificationRequested",
        "Rated",
    ] and len(li) == 10
    for key, (ratings, reports, tickets) in STORY_PUSHBACK.items():
        state = http.get(f"/cases/{ids[key]}").json()["state"]
        assert [(r["level"], r["channel"]) for r in state["ratings"]] == ratings, key
        assert [r["closure"] for r in state["unresolved"]] == reports, key
        assert [t["status"] for t in state["tickets"]] == tickets, key
    for key, (kind, approvers, used_by) in STORY_EXCEPTIONS.items():
        state = http.get(f"/cases/{ids[key]}").json()["state"]
        [granted] = state["exceptions"]
        assert (granted["kind"], granted["status"]) == (kind, "granted"), key
        if kind == "special_handling":  # every 特事特办 is post-audited; 延时服务 is sampled
            assert granted["post_audit"] == "mandatory", key
        decided = [(d["layer"], d["decision"], d["approver"]) for d in granted["decisions"]]
        assert decided == [(n, "approve", a) for n, a in enumerate(approvers, start=1)], key
        assert [layer["role"] for layer in granted["required_layers"]] == LAYERS[kind], key
        assert granted["used_by"] not in approvers, key
        events = http.get(f"/cases/{ids[key]}/events").json()["events"]
        types = [e["type"] for e in events]
        assert types.count("ExceptionLayerDecided") == len(approvers), key
        assert types.count("ExceptionGranted") == 1, key
        assert types.index("ExceptionGranted") < types.index(used_by), key
        use = next(e for e in events if e["type"] == used_by)
        assert use["data"]["exception_id"] == granted["exception_id"], key
    for key, executor in STORY_RATIFICATIONS.items():
        [asked] = http.get(f"/cases/{ids[key]}").json()["state"]["exceptions"]
        assert (asked["kind"], asked["status"], asked["after_the_fact"]) == (
            "special_handling",
            "pending",
            True,
        ), key
        assert (asked["executed_by"], asked["decisions"]) == (executor, []), key
    # Each exception's approval proof: every check passes, and `ledger verify` agrees offline.
    public_key = Path(env["LEDGER_DATA_DIR"]) / "keys" / "notary.pub"
    for key in [*STORY_EXCEPTIONS, *STORY_RATIFICATIONS]:
        [granted] = http.get(f"/cases/{ids[key]}").json()["state"]["exceptions"]
        proof = approval_proof(http, ids[key], granted["exception_id"])
        assert proof.status_code == 200, proof.text
        assert proof.json()["passed"] is True, key
        assert all(c["passed"] for c in proof.json()["checks"]), proof.json()["checks"]
        [after] = [c["reason"] for c in proof.json()["checks"] if c["name"] == "after_the_fact"]
        assert after.startswith("after the fact") == (key in STORY_RATIFICATIONS), after
        exported = Path(env["LEDGER_DATA_DIR"]) / f"proof-{key}.json"
        exported.write_bytes(proof.content)
        verified = subprocess.run(
            [LEDGER, "verify", str(exported), "--public-key", str(public_key)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert verified.returncode == 0, verified.stdout + verified.stderr
    dibao = http.get(f"/cases/{ids['001-dibao']}").json()["state"]
    [meeting] = [d for d in dibao["exceptions"][0]["decisions"] if d["layer"] == 2]
    assert len(meeting["attendees"]) == 3 and meeting["minutes_ref"], meeting
    head = http.get("/health").json()["position"]
    caught_up = {"Ledger-Position": str(head)}

    # 李女士's 破例 waits on the 税务 window's 窗口负责人 for ratification; her case is closed.
    leads = http.get(
        "/approvals", params={"role": "window_lead", "centre": "huoshan"}, headers=caught_up
    ).json()["approvals"]
    [li_waiting] = [a for a in leads if a["case_id"] == ids["000-li"]]
    assert (li_waiting["after_the_fact"], li_waiting["executed_by"]) == (True, "sw-clerk-sun")

    # The views show the stories: 清源's 低保 application, granted by 特事特办, left the board.
    board = http.get("/boards/duty", params={"centre": "qingyuan"}, headers=caught_up).json()
    waiting = [c for d in board["open_cases"] for w in d["windows"] for c in w["cases"]]
    assert waiting == []
    # 李女士's February case in Huoshan's indicators: received, completed, due and on time.
    february = http.get(
        "/metrics/timeliness",
        params={"from": "2026-02-01", "to": "2026-02-28", "centre": "huoshan"},
        headers=caught_up,
    ).json()["total"]
    assert {k: february[k] for k in ("received", "completed", "due", "on_time")} == {
        "received": 1,
        "completed": 1,
        "due": 1,
        "on_time": 1,
    }
    assert february["one_visit_rate"]["value"] == 1.0

    again = subprocess.run(
        [LEDGER, "demo", "--cases", "30"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{len(stories())} cases: 0 created, {len(stories())} already present" in again.stdout
    assert "30 cases: 0 created, 30 already present" in again.stdout
    assert " 0 appended," in again.stdout
    assert http.get("/health").json()["position"] == head
