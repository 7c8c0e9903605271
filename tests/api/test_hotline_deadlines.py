"""The 12345 order's own deadlines through HTTP (issue 17): a premature 通报批评 refused with its
rule, the order's clock and total wait across a 退单 in the register, an overdue 回访, and the
indicators that count them, from the "pushback" view on a real PostgreSQL.

November 2026 has no holiday in the calendar (policies/calendars/cn.toml): working days are
Mon-Fri, counted from the day after the event, ending at 23:59:59.999999 +08:00.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import msgspec
import pytest
from litestar.testing import TestClient

from ledger.application.service import Ledger
from tests.api.support import append, assert_problem, nothing_recorded, register
from tests.views_support import module_client_with_views, module_scoped_ledger

database, ledger = module_scoped_ledger()
client = module_client_with_views()

Headers = dict[str, str]


def at(day: int, clock: str) -> str:
    return f"2026-11-{day:02d}T{clock}:00+08:00"


def end_of(day: int) -> str:
    return f"2026-11-{day:02d}T23:59:59.999999+08:00"


def same(served: str, expected: str) -> bool:
    """The register answers in UTC; the comments count in Beijing time."""
    return datetime.fromisoformat(served.replace("Z", "+00:00")) == datetime.fromisoformat(expected)


class Staff:
    def __init__(self, token_for: Callable[..., Headers]) -> None:
        self.hotline = token_for("op-12345", "hotline_operator", unit="12345热线")
        self.rs = token_for("clerk-rs", "clerk", unit="人社")
        self.ga = token_for("clerk-ga", "clerk", unit="公安")
        self.ga_head = token_for("head-ga", "department_head", unit="公安")
        self.auditor = token_for("auditor-1", "auditor")
        self.reader = token_for("dash-1", "dashboard")


@pytest.fixture(scope="module")
def staff(token_for: Callable[..., Headers]) -> Staff:
    return Staff(token_for)


def post(client: TestClient[Any], case_id: str, who: Headers, body: dict[str, Any]) -> Any:
    return client.post(f"/cases/{case_id}/events", json=body, headers=who)


def order(client: TestClient[Any], s: Staff, centre: str, category: str) -> tuple[str, str]:
    """A 12345 case at `centre` with one order received Mon 11-02 09:00: (case_id, ticket_id)."""
    case_id = register(
        client,
        s.hotline,
        centre=centre,
        channel="hotline_12345",
        department="12345热线",
        window=None,
        occurred_at=at(2, "09:00"),
    )
    receipt = append(
        client,
        case_id,
        s.hotline,
        {
            "type": "HotlineEscalationReceived",
            "ticket_no": "HS20261102-0001",
            "category": category,
            "summary": "社保窗口要求往返开证明",
            "occurred_at": at(2, "09:00"),
        },
    )
    return case_id, str(receipt["ticket_id"])


def caught_up(ledger: Ledger, who: Headers) -> Headers:
    return {**who, "Ledger-Position": str(ledger.recorder.max_notification_id())}


def test_a_premature_criticism_is_refused_naming_its_rule(
    client: TestClient[Any], ledger: Ledger, staff: Staff, new_centre: Callable[[str], str]
) -> None:
    s = staff
    case_id, ticket_id = order(client, s, new_centre("crit"), "consultation")
    # Consultation: 3 working days from Mon 11-02, due at the end of Thu 11-05.
    append(
        client,
        case_id,
        s.hotline,
        {"type": "HotlineDispatched", "ticket_id": ticket_id, "unit": "人社",
         "occurred_at": at(2, "09:30")},
    )  # fmt: skip
    supervised = {"type": "HotlineSupervised", "ticket_id": ticket_id, "note": "督办"}
    circulated = {**supervised, "level": "circulated", "occurred_at": at(13, "16:00")}
    with nothing_recorded(client, ledger, s.auditor, case_id):
        assert_problem(
            post(client, case_id, s.hotline, circulated),
            422,
            rule="hotline.criticism_without_notice",
        )
    # The 催办通知书 the day after expiry, Fri 11-06; 5 working days from it: 9, 10, 11, 12, 13.
    append(
        client, case_id, s.hotline, {**supervised, "level": "notice", "occurred_at": at(6, "09:00")}
    )
    with nothing_recorded(client, ledger, s.auditor, case_id):
        response = post(client, case_id, s.hotline, circulated)
        assert_problem(response, 422, rule="hotline.criticism_too_early")
    assert end_of(13) in response.json()["detail"]
    append(client, case_id, s.hotline, {**circulated, "occurred_at": at(16, "09:00")})

    state = client.get(f"/cases/{case_id}", headers=s.auditor).json()["state"]
    [ticket] = state["tickets"]
    assert [level for level, _ in ticket["supervisions"]] == ["notice", "circulated"]


@pytest.fixture(scope="module")
def returned_then_closed(
    client: TestClient[Any], ledger: Ledger, staff: Staff, new_centre: Callable[[str], str]
) -> dict[str, Any]:
    """A 求助 order returned by 人社, re-dispatched to 公安 and closed; the register read between
    the rounds, and the centre."""
    s, centre = staff, new_centre("wait")
    case_id, ticket_id = order(client, s, centre, "help")

    def step(who: Headers, kind: str, when: str, **fields: Any) -> None:
        body = {"type": kind, "ticket_id": ticket_id, "occurred_at": when, **fields}
        append(client, case_id, who, body)

    step(s.hotline, "HotlineDispatched", at(2, "09:30"), unit="人社")
    step(s.rs, "HotlineReturnRequested", at(2, "10:00"), reason="不属本单位职责",
         legal_basis="三定方案")  # fmt: skip
    step(s.hotline, "HotlineReturnDecided", at(2, "10:30"), decision="approve", opinion="改派")
    between = client.get(
        "/hotline/tickets", params={"centre": centre}, headers=caught_up(ledger, s.reader)
    ).json()["tickets"]
    step(s.hotline, "HotlineDispatched", at(3, "09:00"), unit="公安")
    step(s.ga, "HotlineSignedFor", at(3, "10:00"))
    step(s.ga_head, "HotlineReplied", at(6, "10:00"), text="已办理", unit_claims_resolved=True)
    step(s.hotline, "HotlineReplyReviewed", at(6, "15:00"), result="pass", opinion="同意办结")
    return {"centre": centre, "between": between, "ticket_id": ticket_id}


def test_the_register_keeps_the_orders_clock_across_a_return_and_the_whole_wait(
    client: TestClient[Any], ledger: Ledger, staff: Staff, returned_then_closed: dict[str, Any]
) -> None:
    f = returned_then_closed
    # Between the rounds: no unit's clock, the order's still runs. Help: 3 working days from the
    # first dispatch, Mon 11-02: 3, 4, 5 → end of Thu 11-05.
    [waiting] = f["between"]
    assert (waiting["status"], waiting["reply"], waiting["lead_unit"]) == (
        "pending_dispatch", None, None,
    )  # fmt: skip
    assert same(waiting["order"]["due_at"], end_of(5))
    assert waiting["order"]["limit"] == {"value": 3, "unit": "working_days"}
    assert same(waiting["contact_due"], end_of(3))  # 1 working day from the first dispatch

    body = client.get(
        "/hotline/tickets",
        params={"centre": f["centre"]},
        headers=caught_up(ledger, staff.reader),
    ).json()
    [done] = body["tickets"]
    # 公安's round from Tue 11-03: 4, 5, 6 → end of Fri 11-06; replied 11-06 10:00: met. The
    # order, due Thu 11-05, closed Fri 11-06 15:00: missed.
    assert same(done["reply"]["due_at"], end_of(6)) and done["reply"]["status"] == "met"
    assert same(done["order"]["due_at"], end_of(5)) and done["order"]["status"] == "overdue"
    assert same(done["order"]["ended_at"], at(6, "15:00"))
    # From the call (Mon 11-02 09:00) to the closure (Fri 11-06 15:00): 4 days 6 hours.
    wait = msgspec.json.decode(msgspec.json.encode(done["total_wait"]), type=timedelta)
    assert wait == timedelta(days=4, hours=6)
    # 回访 the day after closure: by the end of Sat 11-07; none was made.
    assert same(done["follow_up"]["due"]["due_at"], end_of(7))
    assert done["follow_up"]["due"]["status"] == "overdue"
    overdue = client.get(
        "/hotline/tickets",
        params={"centre": f["centre"], "status": "follow_up_overdue"},
        headers=caught_up(ledger, staff.reader),
    ).json()["tickets"]
    assert [t["ticket_id"] for t in overdue] == [f["ticket_id"]]


def test_the_indicators_count_the_order_late_and_the_unit_on_time(
    client: TestClient[Any], ledger: Ledger, staff: Staff, returned_then_closed: dict[str, Any]
) -> None:
    response = client.get(
        "/metrics/timeliness",
        params={"from": "2026-11-01", "to": "2026-11-30", "centre": returned_then_closed["centre"]},
        headers=caught_up(ledger, staff.reader),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["definitions_version"] == "3"
    hotline = body["total"]["hotline"]

    def rate(value: float | None, numerator: int, denominator: int) -> dict[str, Any]:
        return {"value": value, "numerator": numerator, "denominator": denominator}

    assert hotline["on_time_rate"] == rate(0.0, 0, 1)  # the order: due 11-05, closed 11-06
    assert hotline["unit_on_time_rate"] == rate(1.0, 1, 1)  # 公安: due 11-06, replied 11-06
    # 人社's dispatch ended by the 退单 before its due; 公安 signed for on the day: in time.
    assert hotline["sign_for_rate"] == rate(1.0, 1, 1)
    assert hotline["contact_rate"] == rate(0.0, 0, 1)  # nobody called by the end of 11-03
    assert hotline["follow_up_on_time_rate"] == rate(0.0, 0, 1)
    assert hotline["extension_rate"] == rate(0.0, 0, 1)
    assert hotline["first_call_rate"] == rate(0.0, 0, 1)
    # 4 days 6 hours = 4.25 days.
    assert hotline["total_wait"] == {"mean": 4.25, "max": 4.25, "n": 1}


def test_a_complex_order_is_returned_within_two_working_days_not_one(
    client: TestClient[Any], ledger: Ledger, staff: Staff, new_centre: Callable[[str], str]
) -> None:
    s, centre = staff, new_centre("complex")
    plain, plain_ticket = order(client, s, centre, "complaint")
    hard, hard_ticket = order(client, s, centre, "complaint")
    for case_id, ticket_id, complex_ in ((plain, plain_ticket, False), (hard, hard_ticket, True)):
        append(
            client,
            case_id,
            s.hotline,
            {"type": "HotlineDispatched", "ticket_id": ticket_id, "unit": "人社",
             "complex": complex_, "occurred_at": at(2, "09:30")},
        )  # fmt: skip
    # From Mon 11-02: 1 working day ends Tue 11-03, 2 end Wed 11-04.
    asked = {
        "type": "HotlineReturnRequested",
        "reason": "不属本单位职责",
        "legal_basis": "三定方案",
        "occurred_at": at(4, "10:00"),
    }
    with nothing_recorded(client, ledger, s.auditor, plain):
        response = post(client, plain, s.rs, {**asked, "ticket_id": plain_ticket})
        assert_problem(response, 422, rule="hotline.return_window_passed")
    append(client, hard, s.rs, {**asked, "ticket_id": hard_ticket})
    assisting = {"type": "HotlineDispatched", "ticket_id": plain_ticket, "unit": "公安",
                 "role": "assist", "complex": True, "occurred_at": at(4, "11:00")}  # fmt: skip
    with nothing_recorded(client, ledger, s.auditor, plain):
        response = post(client, plain, s.hotline, assisting)
        assert_problem(response, 422, rule="hotline.complex_needs_lead")
