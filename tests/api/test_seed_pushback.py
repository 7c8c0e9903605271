"""The seed stories' pushback through the HTTP API: each story's writes posted as the demo loader
posts them (its staff's tokens, ids minted by earlier writes filled in), then the 好差评 ratings,
办不成事 reports and 12345 orders read back from the cases as the reports tell them, and from the
registers (GET /hotline/tickets, GET /unresolved) once the views have caught up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from ledger.api.app import create_app
from ledger.application.service import Ledger
from ledger.application.tokens import create_token
from ledger.config.settings import Settings
from ledger.demo.plan import CaseOf, Minted, Staff
from ledger.demo.stories import stories
from ledger.domain.values import Role
from ledger.projections.views.cases import CasesProjection
from ledger.projections.views.pushback import PushbackProjection
from ledger.projections.worker import ProjectionWorker
from ledger.store.database import Database
from tests.views_support import module_scoped_ledger

database, ledger = module_scoped_ledger()

MINTED = ("handoff_id", "exception_id", "ticket_id", "report_id", "root_cause_id", "action_id")
AUDITOR = Staff("auditor-seeds", ("auditor",), None)


@pytest.fixture(scope="module")
def client(settings: Settings, ledger: Ledger, database: Database) -> Iterator[TestClient[Any]]:
    worker = ProjectionWorker(
        database.app_conninfo, [CasesProjection, PushbackProjection], idle_timeout=0.5
    ).start()
    try:
        with TestClient(create_app(settings, ledger)) as test_client:
            yield test_client
    finally:
        worker.stop()


class Seeded:
    """The stories as posted: case ids by plan key, and the first refusal of any case."""

    def __init__(self) -> None:
        self.cases: dict[str, str] = {}
        self.refused: dict[str, str] = {}

    def __getitem__(self, key: str) -> str:
        """The case of a story that loaded whole (a refused write fails only its own tests)."""
        assert key not in self.refused, self.refused[key]
        return self.cases[key]


@pytest.fixture(scope="module")
def seeded(client: TestClient[Any], settings: Settings) -> Seeded:
    """Every story posted in registration order."""

    def headers(staff: Staff) -> dict[str, str]:
        roles = [Role(r) for r in staff.roles]
        token = create_token(settings.token_secret, staff.id, roles, staff.unit, 600, centres=["*"])
        return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    seeded = Seeded()
    for plan in sorted(stories(), key=lambda p: p.registered_at):
        minted: dict[str, str] = {}
        for index, step in enumerate(plan.steps):
            body = {k: fill(v, minted, seeded.cases) for k, v in step.body.items()}
            body["occurred_at"] = step.at
            path = f"/cases/{seeded.cases[plan.key]}/events" if index else "/cases"
            response = client.post(
                path, content=msgspec.json.encode(body), headers=headers(step.by)
            )
            if response.status_code != 201:
                what = step.body.get("type", "Registered")
                seeded.refused[plan.key] = f"step {index} ({what}): {response.text}"
                break
            reply = response.json()
            seeded.cases.setdefault(plan.key, reply["case_id"])
            minted.update({k: reply[k] for k in MINTED if reply.get(k)})
    return seeded


def fill(value: Any, minted: dict[str, str], cases: dict[str, str]) -> Any:
    """A step's placeholder as the loader fills it: an id minted earlier, or another case's."""
    if isinstance(value, CaseOf):
        return cases[value.key]
    return minted[value.name] if isinstance(value, Minted) else value


def read(client: TestClient[Any], settings: Settings, path: str) -> Any:
    token = create_token(
        settings.token_secret, AUDITOR.id, [Role.AUDITOR], None, 600, centres=["*"]
    )
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()


def events(client: TestClient[Any], settings: Settings, case_id: str) -> list[dict[str, Any]]:
    return list(read(client, settings, f"/cases/{case_id}/events")["events"])


def state(client: TestClient[Any], settings: Settings, case_id: str) -> dict[str, Any]:
    return dict(read(client, settings, f"/cases/{case_id}")["state"])


def test_wang_pressed_very_satisfied_on_the_counter_device_and_no_12345_order_exists(
    client: TestClient[Any], settings: Settings, seeded: Seeded
) -> None:
    wang = state(client, settings, seeded["000-wang"])
    [rating] = wang["ratings"]
    assert (rating["level"], rating["channel"], rating["default"]) == (5, "counter_device", False)
    assert wang["tickets"] == []
    history = events(client, settings, seeded["000-wang"])
    types = [e["type"] for e in history]
    assert "HotlineEscalationReceived" not in types
    assert types[-2:] == ["Completed", "Rated"]
    [duty] = [e for e in history if e["type"] == "DutyIntervention"]
    assert duty["data"]["escalation_threat"] == "defused"
    # 李女士 rated by her call to the duty officer the next morning.
    li = state(client, settings, seeded["000-li"])
    [phoned] = li["ratings"]
    assert (phoned["level"], phoned["channel"]) == (5, "phone")
    assert li["tickets"] == []


def test_xie_report_answered_fed_back_checked_and_closed_by_the_special_teams_lead(
    client: TestClient[Any], settings: Settings, seeded: Seeded
) -> None:
    xie = state(client, settings, seeded["001-xie"])
    [report] = xie["unresolved"]
    assert (report["cause"], report["resolvability"], report["tier"]) == (
        "consultation",
        "hard_to_do",
        "complex",
    )
    assert report["closure"] == "resolved"
    assert report["reported_at"][:10] == "2026-01-26"
    assert report["closed_at"][:10] == "2026-01-27"
    assert report["team"]["lead"] == "dhs-director-wan"
    assert "dhs-director-wan" in report["team"]["members"]
    # His question answered by 万丽琴 (a consultation, counted); his thanks are his answer to the
    # 专班's 反馈, not a rating: he rated nothing, and the 专班 may not rate for him.
    [consultation] = xie["consultations"]
    assert consultation["referred_to"] == "东城区人力资源公共服务中心"
    [told] = report["feedbacks"]
    assert (told["outcome"], told["given_by"], told["response"]) == (
        "resolved",
        "dhs-bbcs-clerk",
        "热情周到, 温暖如家",
    )
    [checked] = report["verifications"]
    assert (checked["confirmed"], checked["verified_by"]) == (True, "dhs-director-wan")
    assert report["closed_by"] == "dhs-director-wan" != report["reported_by"]
    assert xie["ratings"] == []
    types = [e["type"] for e in events(client, settings, seeded["001-xie"])]
    assert types.index("SpecialTeamAssigned") < types.index("HandedOff")
    assert (
        types.index("Completed")
        < types.index("UnresolvedFeedbackGiven")
        < types.index("UnresolvedVerified")
        < types.index("UnresolvedClosed")
    )


def test_the_elder_is_explained_why_it_cannot_be_done(
    client: TestClient[Any], settings: Settings, seeded: Seeded
) -> None:
    elder = state(client, settings, seeded["001-elder"])
    assert elder["status"] == "refused"
    [report] = elder["unresolved"]
    assert (report["cause"], report["resolvability"], report["tier"]) == (
        "policy",
        "cannot_do",
        "simple",
    )
    assert report["closure"] == "explained_cannot_do"
    for said in ("无缴费记录", "反复详细解释", "安抚情绪", "东城区人力资源社会保障局"):
        assert said in report["explanation"], said
    # The refusal (否定答复) is recorded in the report already open; no second report.
    [refusal] = [
        e for e in events(client, settings, seeded["001-elder"]) if e["type"] == "AcceptanceRefused"
    ]
    assert refusal["data"]["report_id"] == report["report_id"]
    assert (report["feedbacks"][0]["method"], report["closed_by"]) == (
        "in_person",
        "dhs-director-wan",
    )
    # 清源's 低保: reported (materials) before the 特事特办 request, resolved once granted.
    dibao = events(client, settings, seeded["001-dibao"])
    types = [e["type"] for e in dibao]
    assert types.index("UnresolvedReported") < types.index("ExceptionRequested")
    assert types.index("Completed") < types.index("UnresolvedClosed")
    [report] = state(client, settings, seeded["001-dibao"])["unresolved"]
    assert (report["cause"], report["closure"]) == ("materials", "resolved")
    # Told by 谢素娟 (民政), checked and closed by 王淑环, not by the 民政 window it concerns.
    assert (report["unit"], report["closed_by"]) == ("民政", "qy-director-wang")


def test_lao_li_report_has_its_team_root_cause_and_a_completed_improvement(
    client: TestClient[Any], settings: Settings, seeded: Seeded
) -> None:
    lao_li = state(client, settings, seeded["004-lao-li"])
    [report] = lao_li["unresolved"]
    assert (report["resolvability"], report["tier"], report["closure"]) == (
        "hard_to_do",
        "special",
        "resolved",
    )
    assert report["team"]["lead"] == "zjk-director-li"
    assert set(report["team"]["members"]) == {"zjk-director-li", "zjk-bbcs-lead-yang"}
    [cause] = report["root_causes"]
    assert (cause["cause"], cause["key"]) == ("approval_step", "跨省经办协同")
    [action] = report["actions"]
    assert action["root_cause_id"] == cause["root_cause_id"]
    assert action["owner_unit"] == "市社保服务中心" and "综合柜员制" in action["action"]
    assert action["completed_at"] is not None and action["result"]
    types = [e["type"] for e in events(client, settings, seeded["004-lao-li"])]
    assert types[-5:] == [
        "UnresolvedClosed",
        "ExceptionRatificationRequested",  # the director's 特事特办, told after the fact
        "RootCauseRecorded",
        "ImprovementActionOpened",
        "ImprovementActionCompleted",
    ]


def test_the_example_12345_order_walks_every_step_and_its_duplicate_is_merged(
    client: TestClient[Any], settings: Settings, seeded: Seeded
) -> None:
    master = state(client, settings, seeded["000-hotline"])
    [ticket] = master["tickets"]
    assert ticket["status"] == "closed" and ticket["reopen_count"] == 1
    assert [(d["unit"], d["designated"]) for d in ticket["dispatches"]] == [
        ("数据局", False),
        ("医保", False),
        ("人社", True),  # designated once two rounds were returned
    ]
    assert [r["decision"] for r in ticket["returns"]] == ["approve"] * 2
    [extension] = ticket["extensions"]
    assert extension["decision"] == "approve"
    assert [r["review"] for r in ticket["replies"]] == ["rework", "pass", "pass"]
    assert [(f["satisfaction"], f["cause"]) for f in ticket["follow_ups"]] == [
        ("dissatisfied", "unit"),
        ("satisfied", None),
    ]
    [duplicate] = state(client, settings, seeded["000-hotline-dup"])["tickets"]
    assert duplicate["status"] == "merged"
    assert duplicate["merged_into_case"] == seeded["000-hotline"]
    assert duplicate["merged_into_ticket"] == ticket["ticket_no"]
    # No seed case but this 示例 has a 12345 order.
    for key, case_id in seeded.cases.items():
        if not key.startswith("000-hotline"):
            assert state(client, settings, case_id)["tickets"] == [], key


def caught_up(client: TestClient[Any], settings: Settings) -> dict[str, str]:
    """Reads that wait until the views have seen every write so far."""
    token = create_token(
        settings.token_secret, AUDITOR.id, [Role.AUDITOR], None, 600, centres=["*"]
    )
    head = client.get("/health").json()["position"]
    return {"Authorization": f"Bearer {token}", "Ledger-Position": str(head)}


def test_the_hotline_register_shows_the_example_order_and_its_merged_duplicate(
    client: TestClient[Any], settings: Settings, seeded: Seeded
) -> None:
    response = client.get(
        "/hotline/tickets", params={"centre": "huoshan"}, headers=caught_up(client, settings)
    )
    assert response.status_code == 200, response.text
    tickets = {t["case_id"]: t for t in response.json()["tickets"]}
    assert set(tickets) == {seeded["000-hotline"], seeded["000-hotline-dup"]}
    master = tickets[seeded["000-hotline"]]
    assert (master["status"], master["rounds"], master["designated"]) == ("closed", 3, True)
    assert (master["returns_approved"], master["reworks"], master["reopen_count"]) == (2, 1, 1)
    duplicate = tickets[seeded["000-hotline-dup"]]
    assert duplicate["status"] == "merged"
    assert duplicate["merged_into"] == {
        "case_id": seeded["000-hotline"],
        "ticket_no": master["ticket_no"],
    }


def test_the_unresolved_register_shows_the_seed_reports(
    client: TestClient[Any], settings: Settings, seeded: Seeded
) -> None:
    def reports(centre: str) -> dict[str, dict[str, Any]]:
        response = client.get(
            "/unresolved", params={"centre": centre}, headers=caught_up(client, settings)
        )
        assert response.status_code == 200, response.text
        return {r["case_id"]: r for r in response.json()["reports"]}

    donghuashi = reports("donghuashi")
    xie, elder = donghuashi[seeded["001-xie"]], donghuashi[seeded["001-elder"]]
    assert (xie["closure"], xie["team"]["lead"]) == ("resolved", "dhs-director-wan")
    assert elder["closure"] == "explained_cannot_do" and "无缴费记录" in elder["explanation"]
    [dibao] = reports("qingyuan").values()
    assert (dibao["case_id"], dibao["cause"], dibao["closure"]) == (
        seeded["001-dibao"],
        "materials",
        "resolved",
    )
    lao_li = reports("zhangjiakou")[seeded["004-lao-li"]]
    assert (lao_li["closure"], lao_li["root_causes"]) == ("resolved", 1)
    assert (lao_li["actions_open"], lao_li["actions_completed"]) == (0, 1)
