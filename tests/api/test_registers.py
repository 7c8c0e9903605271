"""The 12345 and 办不成事 registers and the duty board's pushback sections, through HTTP, from the
"pushback" view on a real PostgreSQL: filters, colours, paging, 400s, read-your-writes, and
that no confidential summary, applicant or rater shows."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import msgspec
import psycopg
import pytest
from litestar.testing import TestClient

from ledger.application.service import Ledger
from ledger.store.database import Database
from tests.api.support import append, assert_problem
from tests.conftest import registration
from tests.views_support import module_client_with_views, module_scoped_ledger

database, ledger = module_scoped_ledger()

Headers = dict[str, str]


client = module_client_with_views()


class Staff:
    def __init__(self, token_for: Callable[..., Headers]) -> None:
        self.hotline = token_for("hl-7", "hotline_operator", unit="12345")
        self.clerk = token_for("clerk-rs", "clerk", unit="人社")
        self.head = token_for("head-rs", "department_head", unit="人社")
        self.clerk_yb = token_for("clerk-yb", "clerk", unit="医保")
        self.duty = token_for("duty-7", "duty_officer", unit="值班")
        self.reader = token_for("dash-7", "dashboard")
        self.relay = token_for("haochaping-7", "rating_channel")  # the 好差评 system's relay


@pytest.fixture(scope="module")
def staff(token_for: Callable[..., Headers]) -> Staff:
    return Staff(token_for)


BEIJING = timezone(timedelta(hours=8))


def past_its_day(dispatched_at: str, as_of: str) -> bool:
    """Whether the emergency order's reply, due by the end of its dispatch's Beijing day (紧急类
    当日办结), was overdue when the view was read: so in the minutes before Beijing midnight."""

    def day(moment: str) -> object:
        return datetime.fromisoformat(moment.replace("Z", "+00:00")).astimezone(BEIJING).date()

    return day(as_of) != day(dispatched_at)


def ago(**delta: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(**delta)  # noqa: UP017 (house style)


def duration(text: str) -> timedelta:
    return msgspec.json.decode(msgspec.json.encode(text), type=timedelta)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def new_case(client: TestClient[Any], staff: Staff, centre: str, at: datetime) -> str:
    response = client.post(
        "/cases", json=registration(centre=centre, occurred_at=iso(at)), headers=staff.clerk
    )
    assert response.status_code == 201, response.text
    return str(response.json()["case_id"])


def event(
    client: TestClient[Any], case_id: str, who: Headers, kind: str, at: datetime, **fields: Any
) -> dict[str, Any]:
    return append(client, case_id, who, {"type": kind, "occurred_at": iso(at), **fields})


def new_ticket(
    client: TestClient[Any], staff: Staff, case_id: str, at: datetime, **fields: Any
) -> str:
    body = {"ticket_no": unique("T"), "category": "complaint", "summary": "窗口推诿", **fields}
    written = event(client, case_id, staff.hotline, "HotlineEscalationReceived", at, **body)
    return str(written["ticket_id"])


def position(client: TestClient[Any], ledger: Ledger) -> Headers:
    return {"Ledger-Position": str(ledger.recorder.max_notification_id())}


@pytest.fixture(scope="module")
def hotline_floor(
    client: TestClient[Any], staff: Staff, new_centre: Callable[[str], str]
) -> dict[str, Any]:
    """One centre's orders: red by reply, red by sign-for, amber, green, and closed."""
    centre = new_centre("floor")  # not "hl-": a token starting with 7 would read as actor hl-7
    s = staff
    # Dispatched 40 days ago, signed: its 13 working days are long past. Red, overdue.
    start = ago(days=40)
    late = new_case(client, s, centre, start)
    t_late = new_ticket(client, s, late, start)
    event(client, late, s.hotline, "HotlineDispatched", start, ticket_id=t_late, unit="人社")
    event(
        client, late, s.hotline, "HotlineDispatched", start, ticket_id=t_late,
        unit="医保", role="assist",
    )  # fmt: skip
    event(client, late, s.clerk, "HotlineSignedFor", start + timedelta(hours=1), ticket_id=t_late)
    event(
        client, late, s.hotline, "HotlineSupervised", ago(days=2), ticket_id=t_late,
        level="notice", note="已超期",
    )  # fmt: skip
    # Dispatched 12 days ago, never signed for: its sign-for deadline (1 working day) passed.
    unsigned = new_case(client, s, centre, ago(days=12))
    t_unsigned = new_ticket(client, s, unsigned, ago(days=12), category="consultation")
    event(
        client, unsigned, s.hotline, "HotlineDispatched", ago(days=12), ticket_id=t_unsigned,
        unit="人社",
    )  # fmt: skip
    # 涉及生命财产安全: 15 minutes to sign for; 12 gone, 3 left <= a quarter of 15. Amber.
    urgent = new_case(client, s, centre, ago(minutes=13))
    t_urgent = new_ticket(client, s, urgent, ago(minutes=12), urgency="life_property")
    event(
        client, urgent, s.hotline, "HotlineDispatched", ago(minutes=12), ticket_id=t_urgent,
        unit="人社",
    )  # fmt: skip
    # Dispatched, signed, replied (signed by the head) and closed on review, then followed up.
    done = new_case(client, s, centre, ago(hours=3))
    t_done = new_ticket(client, s, done, ago(hours=3), category="help")
    event(client, done, s.hotline, "HotlineDispatched", ago(hours=3), ticket_id=t_done, unit="人社")
    event(client, done, s.clerk, "HotlineSignedFor", ago(hours=2), ticket_id=t_done)
    event(
        client, done, s.head, "HotlineReplied", ago(hours=1), ticket_id=t_done, text="已办理",
        unit_claims_resolved=True,
    )  # fmt: skip
    event(
        client, done, s.hotline, "HotlineReplyReviewed", ago(minutes=50), ticket_id=t_done,
        result="pass", opinion="通过",
    )  # fmt: skip
    event(
        client, done, s.hotline, "HotlineFollowedUp", ago(minutes=40), ticket_id=t_done,
        reachable=True, resolved=False, satisfaction="basically_satisfied",
    )  # fmt: skip
    # Confidential, answered at intake. Then a fresh order: dispatched just now, green.
    secret = new_case(client, s, centre, ago(hours=1))
    t_secret = new_ticket(
        client, s, secret, ago(hours=1), confidential=True, summary="举报窗口人员索要好处费"
    )
    event(
        client, secret, s.hotline, "HotlineClosed", ago(minutes=55), ticket_id=t_secret,
        closure="answered_at_intake", note="直接答复",
    )  # fmt: skip
    t_fresh = new_ticket(client, s, secret, ago(minutes=5))
    event(
        client, secret, s.hotline, "HotlineDispatched", ago(minutes=4), ticket_id=t_fresh,
        unit="人社",
    )  # fmt: skip
    event(client, secret, s.clerk, "HotlineSignedFor", ago(minutes=3), ticket_id=t_fresh)
    # A duplicate merged into the late order.
    event(
        client, secret, s.hotline, "HotlineMerged", ago(minutes=1),
        ticket_id=new_ticket(client, s, secret, ago(minutes=2)),
        master_case_id=late, master_ticket_no="HS-1",
    )  # fmt: skip
    return {
        "centre": centre,
        "late": t_late,
        "unsigned": t_unsigned,
        "urgent": t_urgent,
        "done": t_done,
        "secret": t_secret,
        "fresh": t_fresh,
    }


def read(client: TestClient[Any], ledger: Ledger, staff: Staff, path: str) -> httpx.Response:
    """GET `path` as the dashboard reader, once the views have caught up; it must answer 200."""
    response = client.get(path, headers={**staff.reader, **position(client, ledger)})
    assert response.status_code == 200, response.text
    return response


def tickets(client: TestClient[Any], ledger: Ledger, staff: Staff, query: str) -> dict[str, Any]:
    return dict(read(client, ledger, staff, f"/hotline/tickets?{query}").json())


def test_the_hotline_register_by_status_unit_and_colour(
    client: TestClient[Any], ledger: Ledger, staff: Staff, hotline_floor: dict[str, Any]
) -> None:
    f = hotline_floor
    body = tickets(client, ledger, staff, f"centre={f['centre']}")
    assert set(body) == {"as_of", "tickets", "next_cursor", "as_of_position", "lag"}
    by_id = {t["ticket_id"]: t for t in body["tickets"]}
    assert len(by_id) == 7 and body["next_cursor"] is None
    received = [t["received_at"] for t in body["tickets"]]
    assert received == sorted(received, reverse=True)  # newest first

    late = by_id[f["late"]]
    assert (late["status"], late["colour"], late["lead_unit"], late["assist_units"]) == (
        "in_progress", "red", "人社", ["医保"],
    )  # fmt: skip
    assert late["reply"]["status"] == "overdue" and late["reply"]["remaining"].startswith("-P")
    assert late["reply"]["limit"] == {"value": 13, "unit": "working_days"}
    assert late["sign_for"]["status"] == "met" and late["sign_for"]["colour"] == "green"
    assert (late["supervisions"], late["last_supervision"], late["rounds"]) == (1, "notice", 1)
    assert by_id[f["unsigned"]]["colour"] == "red"
    assert by_id[f["unsigned"]]["sign_for"]["status"] == "overdue"
    urgent = by_id[f["urgent"]]
    overdue = past_its_day(urgent["dispatched_at"], body["as_of"])
    assert urgent["sign_for"]["colour"] == "amber"
    assert urgent["colour"] == ("red" if overdue else "amber")
    assert urgent["sign_for"]["limit"] == {"value": 15, "unit": "minutes"}
    assert by_id[f["fresh"]]["colour"] == "green"

    done = by_id[f["done"]]
    assert (done["status"], done["closure"], done["colour"]) == ("closed", "replied", "green")
    assert done["reply"]["status"] == "met" and done["reply"]["ended_at"] is not None
    assert done["unit_claims_resolved"] is True  # the unit's claim ...
    assert done["follow_up"] == {
        "follow_ups": 1,
        "followed_up_at": done["follow_up"]["followed_up_at"],
        "reachable": True,
        "citizen_resolved": False,  # ... and the citizen's word, kept apart
        "satisfaction": "basically_satisfied",
        "due": done["follow_up"]["due"],
    }
    assert done["follow_up"]["due"]["status"] == "met"  # followed up the day of the closure
    closed_at = datetime.fromisoformat(done["closed_at"])
    received_at = datetime.fromisoformat(done["received_at"])
    assert duration(done["total_wait"]) == closed_at - received_at

    secret = by_id[f["secret"]]
    assert secret["confidential"] is True and secret["summary"] is None
    assert secret["colour"] == "none" and secret["reply"] is None
    merged = [t for t in body["tickets"] if t["status"] == "merged"]
    assert merged[0]["merged_into"]["ticket_no"] == "HS-1" and merged[0]["colour"] == "none"

    def ids(query: str) -> set[str]:
        found = tickets(client, ledger, staff, f"centre={f['centre']}&{query}")["tickets"]
        return {t["ticket_id"] for t in found}

    late_urgent = {f["urgent"]} if overdue else set()  # its same-day reply, past Beijing midnight
    assert ids("status=overdue") == {f["late"], f["unsigned"]} | late_urgent
    assert ids("status=open") == {f["late"], f["unsigned"], f["urgent"], f["fresh"]}
    assert ids("status=closed") == {f["done"], f["secret"]}
    assert ids("status=dispatched") == {f["unsigned"], f["urgent"]}
    assert ids("unit=医保") == {f["late"]}
    assert ids("status=open&unit=人社") == {f["late"], f["unsigned"], f["urgent"], f["fresh"]}


def test_the_hotline_register_pages_by_cursor(
    client: TestClient[Any], ledger: Ledger, staff: Staff, hotline_floor: dict[str, Any]
) -> None:
    seen: list[str] = []
    query = f"centre={hotline_floor['centre']}&limit=3"
    while True:
        page = tickets(client, ledger, staff, query)
        seen += [t["ticket_id"] for t in page["tickets"]]
        if page["next_cursor"] is None:
            break
        assert len(page["tickets"]) == 3
        query = f"centre={hotline_floor['centre']}&limit=3&after={page['next_cursor']}"
    assert len(seen) == len(set(seen)) == 7


def test_no_register_row_or_response_shows_an_applicant_or_a_rater(
    client: TestClient[Any],
    ledger: Ledger,
    staff: Staff,
    database: Database,
    hotline_floor: dict[str, Any],
    new_centre: Callable[[str], str],
) -> None:
    centre = hotline_floor["centre"]
    elsewhere = new_centre("rated")
    rated = new_case(client, staff, elsewhere, ago(hours=2))
    rating = event(
        client, rated, staff.relay, "Rated", ago(hours=1), level=2, channel="counter_device",
        comment="等太久", real_name=True,
    )["rating_id"]  # fmt: skip
    event(client, rated, staff.duty, "UnresolvedReported", ago(minutes=30), cause="attitude",
          resolvability="refused_to_do", tier="simple", description="窗口不给办")  # fmt: skip
    applicant = registration()["applicant"]
    secrets_ = [applicant["name"], applicant["id_number"], applicant["phone"], "李*", "索要好处费"]
    for path in (
        f"/hotline/tickets?centre={centre}",
        f"/unresolved?centre={elsewhere}",
        f"/boards/duty?centre={centre}",
        f"/boards/duty?centre={elsewhere}",
    ):
        response = read(client, ledger, staff, path)
        assert not [s for s in secrets_ if s in response.text], path
        assert "applicant" not in response.text
    with psycopg.connect(database.app_conninfo) as conn:
        row = conn.execute("SELECT * FROM view_ratings WHERE rating_id = %s", (rating,)).fetchone()
        tickets_ = conn.execute(
            "SELECT * FROM view_hotline_tickets WHERE centre = %s", (centre,)
        ).fetchall()
    assert row is not None and row[7:9] == (2, "counter_device")
    actors = {"clerk-rs", "hl-7", "head-rs", "duty-7"}
    for values in [row, *tickets_]:
        text = " ".join(str(v) for v in values)
        assert not [s for s in [*secrets_, *actors] if s in text]


def test_the_hotline_register_refuses_bad_queries(client: TestClient[Any], staff: Staff) -> None:
    for query, field in [
        ("status=lost", "status"),
        ("after=not-a-cursor", "after"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("centre=%00", "centre"),
    ]:
        response = client.get(f"/hotline/tickets?{query}", headers=staff.reader)
        assert_problem(response, 400, field=field)
    assert client.get("/hotline/tickets").status_code == 401


@pytest.fixture(scope="module")
def unresolved_floor(
    client: TestClient[Any], ledger: Ledger, staff: Staff, new_centre: Callable[[str], str]
) -> dict[str, Any]:
    """One centre's reports: open and late, open and fresh, closed on time and late, and a root
    cause recorded on two reports."""
    centre = new_centre("bbcs")
    s = staff

    def reported(at: datetime, **fields: Any) -> tuple[str, str]:
        case_id = new_case(client, s, centre, at)
        body = {"cause": "materials", "resolvability": "hard_to_do", "tier": "complex",
                "description": "材料要求不一致", **fields}  # fmt: skip
        return case_id, str(
            event(client, case_id, s.clerk, "UnresolvedReported", at, **body)["report_id"]
        )

    # complex: 5 working days. Reported 20 days ago and still open: red.
    late_case, late = reported(ago(days=20))
    # special (10 working days) but 办不了 (3), reported an hour ago about window 2F-11: green.
    fresh_case, fresh = reported(ago(hours=1), tier="special", cause="policy",
                                 resolvability="cannot_do", window="2F-11")  # fmt: skip

    def closed(case_id: str, report_id: str, at: datetime, closure: str, **more: Any) -> None:
        """反馈 by the reporting clerk, 核查 and closure by the duty officer (independent)."""
        event(client, case_id, s.clerk, "UnresolvedFeedbackGiven", at - timedelta(minutes=2),
              report_id=report_id, outcome=closure, method="phone", content="电话告知")  # fmt: skip
        event(client, case_id, s.duty, "UnresolvedVerified", at - timedelta(minutes=1),
              report_id=report_id, confirmed=True, note="回访核实")  # fmt: skip
        event(client, case_id, s.duty, "UnresolvedClosed", at, report_id=report_id,
              closure=closure, **more)  # fmt: skip

    # closed the next hour: on time.
    ok_case, ok = reported(ago(days=3))
    event(
        client, ok_case, s.duty, "SpecialTeamAssigned", ago(days=3) + timedelta(minutes=5),
        report_id=ok, lead="王主任", members=["张三", "李四"],
    )  # fmt: skip
    closed(ok_case, ok, ago(days=3) + timedelta(hours=1), "resolved")
    # simple (0 working days: the same day), closed 10 days later: late.
    slow_case, slow = reported(ago(days=12), tier="simple", cause="system")
    closed(slow_case, slow, ago(days=2), "redirected", explanation="属信访事项",
           redirected_to="信访局")  # fmt: skip
    # a consultation the window answered (2F-07): counted, no report
    event(client, ok_case, s.clerk, "ConsultationRecorded", ago(minutes=40),
          question="补缴要带什么材料", answer="身份证和缴费凭证")  # fmt: skip
    # the same root cause on two reports
    for case_id, report_id in ((late_case, late), (ok_case, ok)):
        cause_id = event(
            client, case_id, s.duty, "RootCauseRecorded", ago(hours=1), report_id=report_id,
            cause="materials", key=f"{centre}-清单不一", description="两部门清单不一",
        )["root_cause_id"]  # fmt: skip
    action = event(
        client, ok_case, s.duty, "ImprovementActionOpened", ago(minutes=30), report_id=ok,
        root_cause_id=str(cause_id), action="统一清单", owner_unit="人社",
    )["action_id"]  # fmt: skip
    event(
        client, ok_case, s.duty, "ImprovementActionCompleted", ago(minutes=20),
        action_id=action, result="已统一",
    )  # fmt: skip
    event(
        client, ok_case, s.duty, "ImprovementActionOpened", ago(minutes=10), report_id=ok,
        root_cause_id=str(cause_id), action="培训", owner_unit="人社",
    )  # fmt: skip
    # a root cause under another key, once: not recurring
    event(
        client, fresh_case, s.duty, "RootCauseRecorded", ago(minutes=5), report_id=fresh,
        cause="policy", key=f"{centre}-一次", description="仅一次",
    )  # fmt: skip
    return {"centre": centre, "late": late, "fresh": fresh, "ok": ok, "slow": slow}


def reports(client: TestClient[Any], ledger: Ledger, staff: Staff, query: str) -> dict[str, Any]:
    return dict(read(client, ledger, staff, f"/unresolved?{query}").json())


def test_the_unresolved_register_by_axes_closure_and_colour(
    client: TestClient[Any], ledger: Ledger, staff: Staff, unresolved_floor: dict[str, Any]
) -> None:
    f = unresolved_floor
    centre = f["centre"]
    body = reports(client, ledger, staff, f"centre={centre}")
    assert set(body) == {
        "as_of", "reports", "next_cursor", "counts", "recurring_root_causes",
        "as_of_position", "lag",
    }  # fmt: skip
    by_id = {r["report_id"]: r for r in body["reports"]}
    assert len(by_id) == 4
    late, fresh, ok, slow = (by_id[f[k]] for k in ("late", "fresh", "ok", "slow"))
    assert (late["colour"], late["on_time"], late["due"]["status"]) == ("red", None, "overdue")
    assert late["due"]["limit"] == {"value": 5, "unit": "working_days"}
    assert (fresh["colour"], fresh["tier"], fresh["resolvability"]) == (
        "green", "special", "cannot_do",
    )  # fmt: skip
    assert (ok["closure"], ok["on_time"], ok["colour"]) == ("resolved", True, "green")
    assert ok["team"]["lead"] == "王主任" and ok["team"]["size"] == 3
    assert (ok["root_causes"], ok["actions_open"], ok["actions_completed"]) == (1, 1, 1)
    assert (slow["closure"], slow["on_time"], slow["colour"]) == ("redirected", False, "red")
    assert slow["redirected_to"] == "信访局" and slow["due_source"].startswith("policy ")
    assert body["counts"] == {
        "total": 4,
        "by_cause": {"materials": 2, "policy": 1, "system": 1},
        "by_closure": {"open": 2, "redirected": 1, "resolved": 1},
        "by_window": {"2F-07": 3, "2F-11": 1},  # the window each concerns, most first
        "negative_answers": 0,
        "consultations": 1,
    }
    assert (fresh["window"], fresh["unit"], fresh["due"]["limit"]) == (
        "2F-11", "人社", {"value": 3, "unit": "working_days"},
    )  # fmt: skip
    assert (ok["feedbacks"], ok["verified_at"] is not None, late["feedbacks"]) == (1, True, 0)
    assert body["recurring_root_causes"] == [
        {
            "key": f"{centre}-清单不一",
            "cause": "materials",
            "count": 2,
            "actions_opened": 2,
            "actions_completed": 1,
        }
    ]

    def ids(query: str) -> set[str]:
        return {r["report_id"] for r in reports(client, ledger, staff, f"centre={centre}&{query}")[
            "reports"
        ]}  # fmt: skip

    assert ids("status=open") == {f["late"], f["fresh"]}
    assert ids("status=closed") == {f["ok"], f["slow"]}
    assert ids("cause=materials") == {f["late"], f["ok"]}
    assert ids("cause=materials&status=open") == {f["late"]}
    assert ids("tier=simple") == {f["slow"]}
    assert ids("resolvability=cannot_do") == {f["fresh"]}
    assert ids("closure=resolved") == {f["ok"]}
    assert ids("window=2F-11") == {f["fresh"]}
    by_window = reports(client, ledger, staff, f"centre={centre}&window=2F-11")["counts"]
    assert (by_window["total"], by_window["consultations"]) == (1, 0)
    filtered = reports(client, ledger, staff, f"centre={centre}&status=closed")
    assert filtered["counts"]["by_closure"] == {"redirected": 1, "resolved": 1}
    first = reports(client, ledger, staff, f"centre={centre}&limit=3")
    assert len(first["reports"]) == 3 and first["counts"]["total"] == 4
    rest = reports(client, ledger, staff, f"centre={centre}&limit=3&after={first['next_cursor']}")
    assert [r["report_id"] for r in rest["reports"]] == [
        r["report_id"] for r in body["reports"][3:]
    ] and rest["next_cursor"] is None


def test_the_unresolved_register_refuses_bad_queries(client: TestClient[Any], staff: Staff) -> None:
    for query, field in [
        ("status=pending", "status"),
        ("cause=weather", "cause"),
        ("resolvability=maybe", "resolvability"),
        ("tier=easy", "tier"),
        ("closure=done", "closure"),
        ("after=%%%", "after"),
        ("limit=0", "limit"),
    ]:
        assert_problem(client.get(f"/unresolved?{query}", headers=staff.reader), 400, field=field)


def test_the_duty_board_lists_open_orders_and_reports(
    client: TestClient[Any],
    ledger: Ledger,
    staff: Staff,
    hotline_floor: dict[str, Any],
    unresolved_floor: dict[str, Any],
) -> None:
    f = hotline_floor
    board = read(client, ledger, staff, f"/boards/duty?centre={f['centre']}")
    section = board.json()["hotline_tickets"]
    assert set(section) == {"as_of_position", "lag", "count", "counts", "tickets"}
    listed = [t["ticket_id"] for t in section["tickets"]]
    assert listed == [f["late"], f["unsigned"], f["urgent"], f["fresh"]]  # oldest first
    assert section["count"] == 4
    overdue = past_its_day(section["tickets"][2]["dispatched_at"], board.json()["as_of"])
    red, amber = (3, 0) if overdue else (2, 1)
    assert section["counts"] == {"red": red, "amber": amber, "green": 1, "none": 0}
    first = section["tickets"][0]
    assert first["sign_for"]["due_at"] and first["reply"]["due_at"]
    assert board.json()["unresolved_reports"]["count"] == 0

    u = unresolved_floor
    board = read(client, ledger, staff, f"/boards/duty?centre={u['centre']}")
    section = board.json()["unresolved_reports"]
    assert [r["report_id"] for r in section["reports"]] == [u["late"], u["fresh"]]
    assert [r["colour"] for r in section["reports"]] == ["red", "green"]
    assert section["counts"] == {"red": 1, "amber": 0, "green": 1, "none": 0}
    assert board.json()["hotline_tickets"] == {
        **board.json()["hotline_tickets"], "count": 0, "tickets": [],
    }  # fmt: skip
