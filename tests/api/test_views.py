"""Case search and the duty board, read from the "cases" view on a real PostgreSQL.

The board's rules (colours, remaining working time, grouping) are checked on `duty_board` with a
fixed `now` and hand-built cases whose expected values are worked out below from the 2026
national calendar; the endpoints are checked for shape, read-your-writes, 400, 403 and 503.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from litestar.testing import TestClient

from ledger.api import case_view as views
from ledger.api.app import create_app
from ledger.api.board import duty_board
from ledger.application.service import Ledger
from ledger.config.settings import Settings
from ledger.domain.calendar import SHANGHAI
from ledger.domain.clock import Colour, PauseReason
from ledger.domain.lifecycle import EscalationThreat
from ledger.domain.values import Actor, Channel, LimitUnit, Matter, Outcome, Priority, TimeLimit
from ledger.projections.projector import Projector
from ledger.projections.views.cases import CasesProjection
from ledger.projections.views.exceptions import ExceptionsProjection
from ledger.projections.views.pushback import PushbackProjection
from ledger.projections.worker import ProjectionWorker
from ledger.store.database import Database
from tests.api.support import assert_problem, id_number
from tests.conftest import actor, registration
from tests.views_support import module_scoped_ledger

database, ledger = module_scoped_ledger()

CLERK_HR = actor("clerk-hr", "clerk", unit="人社")
CLERK_POLICE = actor("clerk-police", "clerk", unit="公安")
CLERK_TAX = actor("clerk-tax", "clerk", unit="税务")
DUTY = actor("duty-1", "duty_officer", unit="值班")
MICROSECOND = timedelta(microseconds=1)


class Projecting:
    """The projections the board reads ("cases", "exceptions", "pushback") running in threads,
    stoppable and restartable."""

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.worker: ProjectionWorker | None = None

    def start(self) -> None:
        self.worker = ProjectionWorker(
            self.conninfo,
            [CasesProjection, ExceptionsProjection, PushbackProjection],
            idle_timeout=0.5,
        ).start()

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker = None


@pytest.fixture(scope="module")
def projecting(database: Database) -> Iterator[Projecting]:
    running = Projecting(database.app_conninfo)
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def client(settings: Settings, ledger: Ledger, projecting: Projecting) -> Iterator[TestClient[Any]]:
    with TestClient(create_app(settings, ledger)) as test_client:
        yield test_client


def at(moment: str) -> datetime:
    return datetime.fromisoformat(moment).replace(tzinfo=SHANGHAI)


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


# --- the board's rules, at a fixed moment -------------------------------------------------------

NOW = at("2026-09-18 10:00")  # a Friday; Sunday 2026-09-20 is a make-up working day (调休)


def register(
    ledger: Ledger,
    by: Actor,
    centre: str,
    when: str,
    window: str | None,
    limit: int | None = None,
) -> UUID:
    return ledger.register_case(
        by,
        centre=centre,
        occurred_at=at(when),
        channel=Channel.WINDOW,
        matter=Matter(code="SI-ARREARS", name="养老保险费补缴"),
        department=by.unit,
        window=window,
        applicant=ledger.protect_applicant(name="王某"),
        priority=Priority.NORMAL,
        statutory_limit=None,
        promised_limit=TimeLimit(value=limit, unit=LimitUnit.WORKING_DAYS) if limit else None,
        parent_case_id=None,
    ).case_id


def test_duty_board_colours_remaining_time_and_groupings(
    ledger: Ledger, database: Database, projecting: Projecting
) -> None:
    centre = unique("board")
    h = CLERK_HR

    def accepted(when: str, window: str, limit: int) -> UUID:
        case_id = register(ledger, h, centre, when, window, limit)
        ledger.append(case_id, h, "Accepted", occurred_at=at(when) + timedelta(hours=1))
        return case_id

    # Accepted Mon 09-07: 4 working days from Tue 09-08 end Fri 09-11. Overdue: red.
    red = accepted("2026-09-07 09:00", "2F-07", 4)
    # Accepted Mon 09-14: due Fri 09-18, 14 h left <= 0.25 x 4 days: amber.
    amber = accepted("2026-09-14 09:00", "2F-07", 4)
    # Accepted Thu 09-17, 2 working days: Fri 09-18 and the make-up Sunday 09-20 (not Monday).
    # Left: 14 h on Friday + 24 h on Sunday; Saturday counts nothing. > 0.25 x 2 days: green.
    green = accepted("2026-09-17 09:00", "2F-07", 2)
    # Due Fri 09-18 too, but paused since Wed 09-16 12:00: 12 + 24 + 24 h were left then.
    paused = accepted("2026-09-14 09:00", "2F-08", 4)
    ledger.append(
        paused, h, "ClockPaused", occurred_at=at("2026-09-16 12:00"),
        reason=PauseReason.APPLICANT_SUPPLEMENT,
    )  # fmt: skip
    waiting = register(ledger, h, centre, "2026-09-16 09:30", "2F-08")  # not accepted: no clock
    held = register(ledger, CLERK_POLICE, centre, "2026-09-17 14:00", None)
    handoff_id = ledger.append(
        held, CLERK_POLICE, "HandedOff", occurred_at=at("2026-09-17 15:00"),
        to_department="税务", to_window="1F-03", to_officer=None, reason="社税联办",
    ).ids["handoff_id"]  # fmt: skip
    done = accepted("2026-09-01 09:00", "2F-07", 4)
    for case_id, when, threat in (
        (done, "2026-09-01 11:00", EscalationThreat.NONE),  # older than 7 days
        (red, "2026-09-15 11:00", EscalationThreat.DEFUSED),
        (amber, "2026-09-16 09:00", EscalationThreat.NONE),
    ):
        ledger.append(
            case_id, DUTY, "DutyIntervention", occurred_at=at(when), action="走流程",
            escalation_threat=threat,
            threatened_channel="12345" if threat is EscalationThreat.DEFUSED else None,
        )  # fmt: skip
    ledger.append(done, h, "Completed", occurred_at=at("2026-09-02 10:00"), outcome=Outcome.GRANTED)
    register(ledger, h, unique("elsewhere"), "2026-09-16 09:00", "2F-07")  # another centre
    Projector(database.app_conninfo, CasesProjection()).catch_up()

    board = duty_board(ledger, centre, NOW)

    assert board.centre == centre
    assert board.as_of == NOW
    assert board.as_of_position > 0
    assert [d.department for d in board.open_cases] == ["人社", "公安"]
    hr, police = board.open_cases
    assert (hr.counts.red, hr.counts.amber, hr.counts.green, hr.counts.none) == (1, 1, 2, 1)
    assert (police.counts.red, police.counts.green, police.counts.none) == (0, 0, 1)
    assert [w.window for w in hr.windows] == ["2F-07", "2F-08"]
    front, back = hr.windows
    assert [c.case_id for c in front.cases] == [red, amber, green]  # worst first
    assert [c.case_id for c in back.cases] == [paused, waiting]
    assert [c.colour for c in front.cases + back.cases] == [
        Colour.RED, Colour.AMBER, Colour.GREEN, Colour.GREEN, Colour.NONE,
    ]  # fmt: skip
    by_id = {c.case_id: c for w in hr.windows + police.windows for c in w.cases}

    def clock_of(case_id: UUID) -> Any:
        found = by_id[case_id].clock
        assert found is not None
        return found

    overdue = clock_of(red)
    assert overdue.status == "overdue"
    assert overdue.due_at == at("2026-09-11 23:59:59.999999")
    # Past due: Mon-Thu 09-14..17 (4 x 24 h) and Friday to 10:00, plus the deadline's last µs.
    assert overdue.remaining == -(timedelta(hours=4 * 24 + 10) + MICROSECOND)
    assert clock_of(amber).remaining == timedelta(hours=14) - MICROSECOND
    assert clock_of(green).due_at == at("2026-09-20 23:59:59.999999")
    assert clock_of(green).remaining == timedelta(hours=14 + 24) - MICROSECOND
    assert (clock_of(paused).status, clock_of(paused).remaining) == (
        "paused",
        timedelta(hours=12 + 24 + 24) - MICROSECOND,
    )
    assert not any(clock_of(c).provisional for c in (red, amber, green, paused))
    assert by_id[waiting].clock is None
    assert by_id[waiting].waiting == timedelta(days=2, minutes=30)
    assert (police.windows[0].window, police.windows[0].cases[0].case_id) == (None, held)
    assert by_id[held].handoff_pending
    assert by_id[held].waiting_since == at("2026-09-17 15:00")
    assert by_id[held].waiting == timedelta(hours=19)
    assert done not in by_id

    assert [(p.handoff_id, p.from_department, p.to_department) for p in board.handoffs_pending] == [
        (handoff_id, "公安", "税务")
    ]
    assert board.handoffs_pending[0].waiting == timedelta(hours=19)
    assert [(i.case_id, i.escalation_threat) for i in board.interventions] == [
        (amber, EscalationThreat.NONE),
        (red, EscalationThreat.DEFUSED),
    ]
    assert board.interventions[1].threatened_channel == "12345"
    assert board.interventions[1].department == "人社"


def test_the_board_lists_the_weeks_returned_hand_offs_with_each_cases_rounds_so_far(
    ledger: Ledger, database: Database, projecting: Projecting, monkeypatch: pytest.MonkeyPatch
) -> None:
    centre = unique("returns")
    police, tax = CLERK_POLICE, CLERK_TAX

    def hand_off(case_id: UUID, when: str, reason: str) -> UUID:
        return ledger.append(
            case_id, police, "HandedOff", occurred_at=at(when), to_department="税务",
            to_window="1F-03", to_officer=None, reason=reason,
        ).ids["handoff_id"]  # fmt: skip

    def give_back(case_id: UUID, handoff_id: UUID, when: str, reason: str) -> None:
        ledger.append(
            case_id, tax, "HandOffReturned", occurred_at=at(when), handoff_id=handoff_id,
            reason=reason,
        )  # fmt: skip

    # Bouncing: handed to 税务 and returned twice this week, then handed off again (pending).
    bouncing = register(ledger, police, centre, "2026-09-14 09:00", "1F-01")
    first = hand_off(bouncing, "2026-09-14 10:00", "社税联办")
    give_back(bouncing, first, "2026-09-14 11:00", "缺户籍证明")
    second = hand_off(bouncing, "2026-09-15 09:00", "补齐户籍证明")
    give_back(bouncing, second, "2026-09-16 09:00", "非本窗口事项")
    hand_off(bouncing, "2026-09-17 09:00", "第三次移交")
    # Returned once before the week (09-02: not listed, but a round) and once in it (09-17).
    older = register(ledger, police, centre, "2026-09-01 09:00", None)
    before = hand_off(older, "2026-09-01 10:00", "社税联办")
    give_back(older, before, "2026-09-02 10:00", "材料不全")
    latest = hand_off(older, "2026-09-16 10:00", "社税联办")
    give_back(older, latest, "2026-09-17 16:00", "仍缺材料")
    # Signed for: not returned. Elsewhere: another centre's.
    signed = register(ledger, police, centre, "2026-09-15 09:00", None)
    ledger.append(
        signed, tax, "HandOffSignedFor", occurred_at=at("2026-09-15 11:00"),
        handoff_id=hand_off(signed, "2026-09-15 10:00", "社税联办"),
    )  # fmt: skip
    away = register(ledger, police, unique("elsewhere"), "2026-09-15 09:00", None)
    give_back(away, hand_off(away, "2026-09-15 10:00", "社税联办"), "2026-09-15 11:00", "不收")
    Projector(database.app_conninfo, CasesProjection()).catch_up()

    returned = duty_board(ledger, centre, NOW).handoffs_returned

    assert returned.count == 3
    assert [(r.case_id, r.handoff_id, r.rounds) for r in returned.handoffs] == [
        (older, latest, 2),  # newest first; its 09-02 return is a round, not listed
        (bouncing, second, 2),
        (bouncing, first, 1),
    ]
    top = returned.handoffs[1]
    assert (top.from_department, top.from_window, top.to_department, top.to_window) == (
        "公安", "1F-01", "税务", "1F-03",
    )  # fmt: skip
    assert (top.reason, top.return_reason, top.returned_by) == (
        "补齐户籍证明", "非本窗口事项", "clerk-tax",
    )  # fmt: skip
    assert (top.handed_off_at, top.returned_at) == (at("2026-09-15 09:00"), at("2026-09-16 09:00"))
    assert top.case_no and top.case_no == returned.handoffs[2].case_no

    monkeypatch.setattr("ledger.api.board.BOARD_MAX", 1)
    capped = duty_board(ledger, centre, NOW).handoffs_returned
    assert (capped.count, [r.handoff_id for r in capped.handoffs]) == (3, [latest])


# --- the endpoints ------------------------------------------------------------------------------


def test_the_board_reads_its_own_writes_and_has_its_documented_shape(
    client: TestClient[Any],
    token_for: Callable[..., dict[str, str]],
    new_centre: Callable[[str], str],
) -> None:
    centre = new_centre("floor")
    clerk = token_for("clerk-9", "clerk", unit="人社")
    written = client.post("/cases", json=registration(centre=centre), headers=clerk)
    position = written.headers["Ledger-Position"]

    response = client.get(
        f"/boards/duty?centre={centre}", headers={**clerk, "Ledger-Position": position}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "centre", "as_of", "as_of_position", "lag", "open_cases", "handoffs_pending",
        "handoffs_returned", "interventions", "exceptions_waiting", "hotline_tickets",
        "unresolved_reports",
    }  # fmt: skip
    assert body["handoffs_returned"] == {"count": 0, "handoffs": []}
    assert body["as_of_position"] >= int(position)
    assert set(body["lag"]) == {"events", "seconds"}
    [department] = body["open_cases"]
    assert department["department"] == "人社"
    assert department["counts"] == {"red": 0, "amber": 0, "green": 0, "none": 1}
    [case] = department["windows"][0]["cases"]
    assert case["case_id"] == written.json()["case_id"]
    assert case["colour"] == "none" and case["clock"] is None
    assert case["waiting"].startswith("PT")  # ISO 8601, as msgspec writes a timedelta
    dashboard = client.get(f"/boards/duty?centre={centre}", headers=token_for("d", "dashboard"))
    assert dashboard.status_code == 200


def test_the_board_needs_a_centre(
    client: TestClient[Any], token_for: Callable[..., dict[str, str]]
) -> None:
    response = client.get("/boards/duty", headers=token_for("duty-2", "duty_officer"))
    assert_problem(response, 400, slug="bad-request", field="centre")


def test_search_is_refused_to_dashboards_and_anonymous_callers(
    client: TestClient[Any], token_for: Callable[..., dict[str, str]]
) -> None:
    assert_problem(client.get("/cases", headers=token_for("d", "dashboard")), 403)
    assert client.get("/cases").status_code == 401
    assert client.get("/boards/duty?centre=x").status_code == 401


def test_a_read_answers_503_when_the_view_cannot_catch_up_in_time(
    client: TestClient[Any],
    projecting: Projecting,
    token_for: Callable[..., dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    new_centre: Callable[[str], str],
) -> None:
    monkeypatch.setattr(views, "VIEW_WAIT", 0.3)
    clerk = token_for("clerk-8", "clerk", unit="人社")
    centre = new_centre("stopped")
    projecting.stop()
    try:
        written = client.post("/cases", json=registration(centre=centre), headers=clerk)
        position = written.headers["Ledger-Position"]
        board = client.get(
            f"/boards/duty?centre={centre}", headers={**clerk, "Ledger-Position": position}
        )
        search = client.get(f"/cases?min_position={position}", headers=clerk)
    finally:
        projecting.start()

    for response in (board, search):
        problem = assert_problem(response, 503, slug="not-caught-up")
        assert response.headers["Retry-After"] == "1"
        assert problem["min_position"] == int(position)
    later = client.get(f"/cases?min_position={position}&centre={centre}", headers=clerk)
    assert later.status_code == 200
    assert [c["case_id"] for c in later.json()["cases"]] == [written.json()["case_id"]]


def test_search_filters_dates_in_beijing_time_and_pages_by_cursor(
    client: TestClient[Any],
    token_for: Callable[..., dict[str, str]],
    new_centre: Callable[[str], str],
) -> None:
    centre = new_centre("search")
    auditor = token_for("auditor-1", "auditor")
    people = [id_number(f"3415251970010100{n}") for n in range(1, 5)]
    cases: dict[int, str] = {}
    position = "0"
    for n, (when, department, window, matter, person) in enumerate(
        [
            ("2026-09-02T07:30:00+08:00", "人社", "2F-07", "SI-ARREARS", 0),  # 09-01 in UTC
            ("2026-09-02T09:00:00+08:00", "人社", "2F-08", "SI-ARREARS", 1),
            ("2026-09-03T09:00:00+08:00", "税务", "1F-01", "TAX-1", 0),
            ("2026-09-04T09:00:00+08:00", "人社", "2F-07", "SI-ARREARS", 2),
            ("2026-09-05T09:00:00+08:00", "人社", "2F-07", "SI-ARREARS", 1),
            ("2026-09-07T09:00:00+08:00", "人社", "2F-07", "SI-ARREARS", 2),
            ("2026-09-08T09:00:00+08:00", "公安", None, "ID-CARD", 3),
        ],
        start=1,
    ):
        clerk = token_for(f"clerk-{department}", "clerk", unit=department)
        body = registration(
            centre=centre,
            department=department,
            window=window,
            matter={"code": matter, "name": matter},
            applicant={"name": "张某", "id_number": people[person]},
            occurred_at=when,
        )
        written = client.post("/cases", json=body, headers=clerk)
        assert written.status_code == 201, written.text
        cases[n] = written.json()["case_id"]
        position = written.headers["Ledger-Position"]
    tax = token_for("clerk-tax", "clerk", unit="税务")
    accepted = client.post(
        f"/cases/{cases[3]}/events",
        json={"type": "Accepted", "occurred_at": "2026-09-03T10:00:00+08:00"},
        headers=tax,
    )
    position = accepted.headers["Ledger-Position"]
    token = client.get(f"/cases/{cases[1]}", headers=auditor).json()["state"]["applicant"]
    case_no_4 = client.get(f"/cases/{cases[4]}", headers=auditor).json()["state"]["case_no"]

    def found(query: str) -> list[int]:
        response = client.get(
            f"/cases?centre={centre}&{query}", headers={**auditor, "Ledger-Position": position}
        )
        assert response.status_code == 200, response.text
        numbers = {case_id: n for n, case_id in cases.items()}
        return [numbers[c["case_id"]] for c in response.json()["cases"]]

    assert found("") == [7, 6, 5, 4, 3, 2, 1]  # newest first
    assert found("status=accepted") == [3]
    assert found("department=人社") == [6, 5, 4, 2, 1]
    assert found("department=人社&window=2F-07") == [6, 5, 4, 1]
    assert found("matter=TAX-1") == [3]
    assert found(f"applicant_token={token['id_number']['token']}") == [3, 1]
    assert found(f"case_no={case_no_4}") == [4]
    assert found("from=2026-09-02&to=2026-09-02") == [2, 1]  # Beijing dates, both ends inclusive
    assert found("to=2026-09-01") == []
    assert found("from=2026-09-07") == [7, 6]
    assert found("status=received&department=人社&from=2026-09-05") == [6, 5]

    pages, cursor = [], ""
    while True:
        response = client.get(f"/cases?centre={centre}&limit=3{cursor}", headers=auditor)
        body = response.json()
        pages.append([c["case_no"] for c in body["cases"]])
        if body["next_cursor"] is None:
            break
        cursor = f"&cursor={body['next_cursor']}"
    assert [len(p) for p in pages] == [3, 3, 1]
    assert len({n for p in pages for n in p}) == 7

    summary = client.get(f"/cases?case_no={case_no_4}", headers=auditor).json()
    assert set(summary) == {"cases", "next_cursor", "as_of_position", "lag"}
    [row] = summary["cases"]
    assert row["applicant_name"] == "张*"
    assert (row["department"], row["window"], row["status"]) == ("人社", "2F-07", "received")
    tax_case = client.get(f"/cases?centre={centre}&matter=TAX-1", headers=auditor).json()
    assert tax_case["cases"][0]["clock"]["status"] == "overdue"  # 20 working days, long past
    due_at = datetime.fromisoformat(tax_case["cases"][0]["clock"]["due_at"])
    assert due_at == at("2026-10-08 23:59:59.999999")  # over the Mid-Autumn and National Day

    for query, field in [
        ("cursor=not-a-cursor", "cursor"),
        ("from=2026-09-05&to=2026-09-01", "from"),
    ]:
        assert_problem(client.get(f"/cases?{query}", headers=auditor), 400, field=field)
    for query in ("limit=0", "limit=501", "from=2026-13-01", "status=lost", "centre=%00"):
        assert_problem(client.get(f"/cases?{query}", headers=auditor), 400)
