"""`GET /metrics/timeliness` end to end: cases written over HTTP in October 2026, projected by the
"cases" projection, read back as JSON and CSV.

The expected values are worked out by hand below from Huoshan's promised limit for SI-ARREARS and
ID-CORRECTION (5 and 3 working days) and the 2026 national calendar (10-01..10-07 National Day
holidays; Saturday 10-10 a make-up working day). A working-day clock starts counting the day after
acceptance and falls due at the end (23:59:59.999999) of its last working day. "Now" is the real
clock, long after every deadline here, so every deadline in October has passed.

Cases (centre huoshan, all times +08:00):

A 人社 2F-07 SI-ARREARS: registered 10-08 09:00, visit, accepted 10-08 10:00; due 10-14 (10-09,
  10-10, 10-12, 10-13, 10-14); completed granted 10-12 16:00: on time. Working time from 10-08
  10:00: 14 h + 24 (10-09) + 24 (10-10) + 0 (Sun) + 16 (10-12) = 78 h = 3.25 days.
B 人社 2F-07 SI-ARREARS: registered 10-09 09:00, two visits, accepted 10-09 09:30; due 10-15
  (10-10, 10-12..10-15); 3 working days' extension approved 10-13: due 10-20 (10-16, 10-19, 10-20);
  completed granted 10-21 10:00: late. Working time: 14.5 h (10-09) + 24 (10-10) + 5 × 24
  (10-12..10-16) + 48 (10-19, 10-20) + 10 (10-21) = 216.5 h = 9.0208… days.
C 人社 → 公安: registered 10-20 09:00, accepted 10-20 09:10; due 10-27 (10-21, 10-22, 10-23,
  10-26, 10-27); handed off to 公安 1F-02 and signed for 10-20: held by 公安, open, overdue.
D 公安 1F-02 ID-CORRECTION: registered 10-15 09:00, acceptance refused 10-15 10:00 citing a material
  no notice listed (one notice violation flag).
E 公安 1F-02 ID-CORRECTION: registered 10-16 09:00, accepted 10-16 09:30; due 10-21 (10-19, 10-20,
  10-21; 10-17 is a Saturday); withdrawn 10-19 11:00, before its deadline: not due, not completed.
F 人社 2F-07 SI-ARREARS: registered 09-28 09:00, accepted 09-28 09:30; due 10-10 (09-29, 09-30,
  10-08, 10-09, 10-10); completed granted 10-09 15:00: on time. Working time: 14.5 h (09-28) + 24
  + 24 (09-29, 09-30) + 24 (10-08) + 15 (10-09) = 101.5 h = 4.2291… days.
G 人社 in centre donghuashi: registered 10-12 09:00 (only without the centre filter).

October, centre huoshan, by department:
人社 (A, B, F): received 2 (A B), accepted 2, completed 3 (A B F), cohort 2 → 办结率 2/2 = 1.0;
  due 3 (A B F), on time 2 (A F), overdue 1 → 2/3 = 0.6667; extended 1 (B) → 1/2 = 0.5;
  one visit 2/3 (A 1, F 0; B 2) = 0.6667; hand-offs 0/2 = 0.0; visits 3/2 = 1.5;
  working days 3.25, 4.2292, 9.0208: median 4.23, p90 (rank ceil(2.7) = 3) 9.02.
公安 (C, D, E): received 3, accepted 2 (C E), completed 0, 办结率 0/2 = 0.0; due 1 (C), on time
  0, overdue 1 → 0.0; extended 0/2; one visit 0/0 = null; hand-offs 1/3 = 0.33 (C); visits 0/3;
  working days none; notice violations 1 (D) in 1 case.
Total: received 5, accepted 4, completed 3, 办结率 2/4 = 0.5, due 4, on time 2, overdue 2 → 0.5,
  extended 1/4 = 0.25, one visit 2/3, hand-offs 1/5 = 0.2, visits 3/5 = 0.6, notice 1 in 1.
零跑动率: 人社 1/3 (F; A 1 visit, B 2); no 补正 notice; 承诺时限压缩率 null (neither SI-ARREARS
nor ID-CORRECTION lists a statutory limit in Huoshan's policy).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from litestar.testing import TestClient

from ledger.api.app import create_app
from ledger.application.service import Ledger
from ledger.config.settings import Settings
from ledger.projections.views.cases import CasesProjection
from ledger.projections.views.pushback import PushbackProjection
from tests.api.support import append, assert_problem, register
from tests.views_support import module_scoped_ledger

database, ledger = module_scoped_ledger()

OCTOBER = "/metrics/timeliness?from=2026-10-01&to=2026-10-31"


@pytest.fixture(scope="module")
def client(settings: Settings, ledger: Ledger) -> Iterator[TestClient[Any]]:
    app = create_app(
        settings, ledger, run_projections=True, projections=[CasesProjection, PushbackProjection]
    )
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def staff(token_for: Callable[..., dict[str, str]]) -> dict[str, dict[str, str]]:
    return {
        "hr": token_for("clerk-hr", "clerk", unit="人社"),
        "hr_head": token_for("head-hr", "department_head", unit="人社"),
        "police": token_for("clerk-police", "clerk", unit="公安"),
        "dashboard": token_for("screen-1", "dashboard"),
        "hr_lead": token_for("lead-hr", "window_lead", unit="人社"),
        "police_head": token_for("head-police", "department_head", unit="公安"),
        "hotline": token_for("op-12345", "hotline_operator", unit="12345热线"),
        "duty": token_for("duty-1", "duty_officer", unit="值班"),
        "relay": token_for("haochaping-1", "rating_channel"),  # the 好差评 system's relay
    }


def t(day: str, hhmm: str) -> str:
    return f"2026-{day}T{hhmm}:00+08:00"


@pytest.fixture(scope="module")
def october(client: TestClient[Any], staff: dict[str, dict[str, str]]) -> int:
    """Cases A..G of the module docstring; the Ledger-Position of the last write."""
    hr, head, police = staff["hr"], staff["hr_head"], staff["police"]

    def event(case_id: str, by: dict[str, str], kind: str, when: str, **body: Any) -> Any:
        return append(client, case_id, by, {"type": kind, "occurred_at": when, **body})

    a = register(client, hr, occurred_at=t("10-08", "09:00"))
    event(a, hr, "VisitRecorded", t("10-08", "09:05"))
    event(a, hr, "Accepted", t("10-08", "10:00"))
    event(a, hr, "Completed", t("10-12", "16:00"), outcome="granted")

    b = register(client, hr, occurred_at=t("10-09", "09:00"))
    event(b, hr, "VisitRecorded", t("10-09", "09:05"))
    event(b, hr, "Accepted", t("10-09", "09:30"))
    ext = event(b, hr, "ExtensionRequested", t("10-13", "10:00"), working_days=3, reason="核查")
    event(
        b,
        head,
        "ExtensionDecided",
        t("10-13", "11:00"),
        extension_id=ext["extension_id"],
        decision="approve",
        notified_via="written",
    )
    event(b, hr, "VisitRecorded", t("10-20", "09:00"))
    event(b, hr, "Completed", t("10-21", "10:00"), outcome="granted")

    c = register(client, hr, occurred_at=t("10-20", "09:00"))
    event(c, hr, "Accepted", t("10-20", "09:10"))
    handoff = event(
        c,
        hr,
        "HandedOff",
        t("10-20", "10:00"),
        to_department="公安",
        to_window="1F-02",
        reason="户籍",
    )
    event(c, police, "HandOffSignedFor", t("10-20", "11:00"), handoff_id=handoff["handoff_id"])

    correction = {"matter": {"code": "ID-CORRECTION", "name": "居民身份信息更正"}}
    d = register(
        client,
        police,
        department="公安",
        window="1F-02",
        occurred_at=t("10-15", "09:00"),
        **correction,
    )
    event(
        d,
        police,
        "AcceptanceRefused",
        t("10-15", "10:00"),
        reason="材料不全",
        legal_basis="《居民身份证法》",
        missing_materials=["户口簿"],
    )

    e = register(
        client,
        police,
        department="公安",
        window="1F-02",
        occurred_at=t("10-16", "09:00"),
        **correction,
    )
    event(e, police, "Accepted", t("10-16", "09:30"))
    event(e, police, "Completed", t("10-19", "11:00"), outcome="withdrawn")

    f = register(client, hr, occurred_at=t("09-28", "09:00"))
    event(f, hr, "Accepted", t("09-28", "09:30"))
    event(f, hr, "Completed", t("10-09", "15:00"), outcome="granted")

    g = register(client, hr, centre="donghuashi", occurred_at=t("10-12", "09:00"))
    return int(event(g, hr, "VisitRecorded", t("10-12", "09:10"))["position"])


def rate(value: float | None, numerator: int, denominator: int) -> dict[str, Any]:
    return {"value": value, "numerator": numerator, "denominator": denominator}


def test_the_indicators_read_by_department(
    client: TestClient[Any], staff: dict[str, dict[str, str]], october: int
) -> None:
    response = client.get(
        OCTOBER + "&centre=huoshan", headers={**staff["hr"], "Ledger-Position": str(october)}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["from"] == "2026-10-01"
    assert body["to"] == "2026-10-31"
    assert body["group_by"] == "department"
    assert body["centre"] == "huoshan"
    assert body["as_of_position"] >= october
    assert set(body["lag"]) == {"events", "seconds"}
    assert isinstance(body["definitions_version"], str)

    renshe, gongan = body["groups"]
    assert renshe["key"] == "人社"
    assert renshe["received"] == 2
    assert renshe["accepted"] == 2
    assert renshe["completed"] == 3
    assert renshe["completion_rate"] == rate(1.0, 2, 2)
    assert (renshe["due"], renshe["on_time"], renshe["overdue"]) == (3, 2, 1)
    assert renshe["on_time_rate"] == rate(0.6667, 2, 3)
    assert renshe["extension_rate"] == rate(0.5, 1, 2)
    assert renshe["one_visit_rate"] == rate(0.6667, 2, 3)
    assert renshe["handoffs_per_case"] == rate(0.0, 0, 2)
    assert renshe["visits_per_case"] == rate(1.5, 3, 2)
    assert renshe["working_days"] == {"median": 4.23, "p90": 9.02, "n": 3}

    assert gongan["key"] == "公安"
    assert (gongan["received"], gongan["accepted"], gongan["completed"]) == (3, 2, 0)
    assert gongan["completion_rate"] == rate(0.0, 0, 2)
    assert (gongan["due"], gongan["on_time"], gongan["overdue"]) == (1, 0, 1)
    assert gongan["one_visit_rate"] == rate(None, 0, 0)
    assert gongan["handoffs_per_case"] == rate(0.33, 1, 3)
    assert gongan["working_days"] == {"median": None, "p90": None, "n": 0}
    assert (gongan["notice_violations"], gongan["cases_with_notice_violations"]) == (1, 1)

    total = body["total"]
    assert (total["received"], total["accepted"], total["completed"]) == (5, 4, 3)
    assert total["completion_rate"] == rate(0.5, 2, 4)
    assert total["on_time_rate"] == rate(0.5, 2, 4)
    assert total["overdue"] == 2
    assert renshe["zero_visit_rate"] == rate(0.3333, 1, 3)
    assert (total["notices"], total["deemed_accepted"]) == (0, 0)
    assert total["notice_in_time_rate"] == rate(None, 0, 0)
    assert total["promise_compression"] == rate(None, 0, 0)
    assert total["extension_rate"] == rate(0.25, 1, 4)
    assert total["visits_per_case"] == rate(0.6, 3, 5)
    assert total["handoffs_per_case"] == rate(0.2, 1, 5)


def test_groups_by_window_and_matter_and_every_centre(
    client: TestClient[Any], staff: dict[str, dict[str, str]], october: int
) -> None:
    reader = {**staff["dashboard"], "Ledger-Position": str(october)}  # dashboards read metrics
    by_window = client.get(OCTOBER + "&centre=huoshan&group_by=window", headers=reader).json()
    # C moved to 公安's window 1F-02 when 公安 signed for it.
    assert [(g["key"], g["received"]) for g in by_window["groups"]] == [("1F-02", 3), ("2F-07", 2)]

    by_matter = client.get(OCTOBER + "&centre=huoshan&group_by=matter", headers=reader).json()
    assert [(g["key"], g["matter_name"], g["received"]) for g in by_matter["groups"]] == [
        ("ID-CORRECTION", "居民身份信息更正", 2),  # D E
        ("SI-ARREARS", "养老保险费补缴", 3),  # A B C
    ]

    # To 10-30: the read-your-writes test adds a case on 10-31.
    everywhere = client.get(OCTOBER.replace("10-31", "10-30"), headers=reader).json()
    assert everywhere["centre"] is None
    assert everywhere["total"]["received"] == 6  # and G, in donghuashi
    assert [g["key"] for g in everywhere["groups"]] == ["人社", "公安"]


def test_the_indicators_download_as_csv_with_a_column_per_figure(
    client: TestClient[Any], staff: dict[str, dict[str, str]], october: int
) -> None:
    response = client.get(
        OCTOBER + "&centre=huoshan",
        headers={**staff["hr"], "Accept": "text/csv", "Ledger-Position": str(october)},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="timeliness_2026-10-01_2026-10-31_department_huoshan.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))
    header = next(csv.reader(io.StringIO(response.text)))
    assert header[:6] == ["row", "key", "matter_name", "received", "accepted", "completed"]
    assert {"on_time_rate", "on_time_rate_numerator", "on_time_rate_denominator"} <= set(header)
    assert {"working_days_median", "working_days_p90", "working_days_n"} <= set(header)
    assert [(r["row"], r["key"]) for r in rows] == [
        ("group", "人社"),
        ("group", "公安"),
        ("total", ""),
    ]
    renshe, gongan, total = rows
    assert renshe["on_time_rate"] == "0.6667"
    assert (renshe["on_time_rate_numerator"], renshe["on_time_rate_denominator"]) == ("2", "3")
    assert renshe["working_days_median"] == "4.23"
    assert gongan["one_visit_rate"] == ""  # null: nothing completed
    assert total["completion_rate"] == "0.5"
    assert total["received"] == "5"


def test_read_your_writes_with_the_writes_position(
    client: TestClient[Any], staff: dict[str, dict[str, str]], october: int
) -> None:
    hr = staff["hr"]
    query = "/metrics/timeliness?from=2026-10-31&to=2026-10-31&centre=jieyang"
    case_id = register(client, hr, centre="jieyang", occurred_at=t("10-31", "23:59"))
    written = append(client, case_id, hr, {"type": "VisitRecorded"})
    position = written["position"]

    by_header = client.get(query, headers={**hr, "Ledger-Position": str(position)})
    assert by_header.status_code == 200, by_header.text
    assert by_header.json()["as_of_position"] >= position
    assert by_header.json()["total"]["received"] == 1
    assert by_header.json()["total"]["visits_per_case"] == rate(1.0, 1, 1)

    by_query = client.get(f"{query}&min_position={position}", headers=hr)
    assert by_query.json()["total"]["received"] == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-10-32", "from"),
        ("from=20261001", "from"),
        ("to=yesterday", "to"),
        ("from=2026-10-31&to=2026-10-01", "from"),  # from after to
        ("from=2025-10-30&to=2026-10-31", "from"),  # 367 days
        ("group_by=centre", "group_by"),
        ("group_by=", "group_by"),
        ("centre=Huo%00shan", "centre"),  # a centre id as registration takes it, or nothing
    ],
)
def test_bad_queries_are_400_naming_the_field(
    client: TestClient[Any], staff: dict[str, dict[str, str]], query: str, field: str
) -> None:
    response = client.get(f"/metrics/timeliness?{query}", headers=staff["hr"])
    assert_problem(response, 400, field=field)


def test_a_year_is_allowed_and_defaults_are_this_month(
    client: TestClient[Any], staff: dict[str, dict[str, str]]
) -> None:
    year = client.get("/metrics/timeliness?from=2026-01-01&to=2027-01-01", headers=staff["hr"])
    assert year.status_code == 200, year.text  # 366 days
    default = client.get("/metrics/timeliness", headers=staff["hr"]).json()
    assert default["from"][8:] == "01"
    assert default["from"][:7] == default["to"][:7]


def test_needs_a_token(client: TestClient[Any]) -> None:
    assert_problem(client.get("/metrics/timeliness"), 401)


# --- 12345, 办不成事 and 好差评 (definitions version 2) ------------------------------------------

NOVEMBER = "/metrics/timeliness?from=2026-11-01&to=2026-11-13&centre=huoshan"


def n(day: int, hhmm: str) -> str:
    return f"2026-11-{day:02d}T{hhmm}:00+08:00"


@pytest.fixture(scope="module")
def november(client: TestClient[Any], staff: dict[str, dict[str, str]]) -> int:
    """Two 12345 orders and a duplicate, a 办不成事 report and two ratings, 11-02..11-10 in
    huoshan (November 2026 has no holiday: working days are Mon-Fri; policy limits: sign-for 1
    working day, 求助 reply 3 working days, complex 办不成事 5, 差评 rectification 15), all long
    past by the real clock. The Ledger-Position of the last write.

    T1 help: dispatched to 人社 11-02 09:30 (sign-for due 11-03 END, reply due 11-05 END), signed
       10:00 (in time), replied by 人社's head 11-04 10:00 claiming it resolved, review passed
       11-04 15:00 (on time); 回访 11-05: reached, resolved, satisfied.
    T2 help: dispatched to 人社 11-03 09:00, 退单 requested 09:30 and approved 10:00 (人社 never
       signed: ended before its due, not counted); dispatched to 公安 11-03 11:00 (sign-for due
       11-04 END; new reply clock, due 11-06 END), signed 11-06 09:00 (late), replied 11-09 10:00
       claiming not resolved, passed 11-09 15:00 (late); 回访 11-10: unreachable.
    T3: received 11-04, merged into T1 (并单) at once: no unit holds it (group null).
    U 人社 SI-ARREARS 办不成事: materials, complex, reported 11-02 10:30 (due 11-09 END), 反馈 11-06
       09:00, 核查 by the duty officer, closed resolved 11-06 10:00 (on time).
    A 人社 completed 11-02 11:00, rated 5 at the counter (through the 好差评 relay, as every rating
       here); B completed 11-03 10:00, rated 2: a 差评,
       rectify due 11-24 END, verified valid and rectified 11-04 (rectified in P, in time);
       C completed 11-05, not rated.

    Expected, 11-01..11-13, by department:
    人社: dispatches 2 (T1, T2's first), sign-for decided 1, in time 1 → 1.0; orders T1: received
      1, merged 0, dispatched 1, 退单 0 → 0.0, rounds 1/1, due 1, on time 1 → 1.0; closed 1,
      回访 1/1; unit claims 1/1; satisfied 1/1. 办不成事: received 1 (materials; resolved),
      closed 1, on time 1/1. Ratings A B: 好评率 1/2 = 0.5 (without defaults the same);
      主动评价率: 办结 A B C, rated A B → 2/3 = 0.6667; 整改按时 1/1.
    公安: dispatches 1, decided 1, in time 0 → 0.0; T2: dispatched 1, 退单 1/1, rounds 2/1 = 2.0,
      due 1, on time 0; closed 1, 回访 1/1; unit claims 0/1; 回访 unreachable 1, answered 0.
    null: T3: received 1, merged 1 → 1/1.
    Total: dispatches 3, sign-for 1/2 = 0.5; received 3, merged 1 → 0.3333; dispatched 2, 退单
      1/2 = 0.5, rounds 3/2 = 1.5; due 2, on time 1 → 0.5; closed 2, 回访 2/2; followed up 2,
      unreachable 1, 满意率 1/1, 解决率 (citizen) 1/1, (unit) 1/2 = 0.5.
    """
    hotline, hr, hr_head = staff["hotline"], staff["hr"], staff["hr_head"]
    police, police_head, hr_lead = staff["police"], staff["police_head"], staff["hr_lead"]

    def event(case_id: str, by: dict[str, str], kind: str, when: str, **body: Any) -> Any:
        return append(client, case_id, by, {"type": kind, "occurred_at": when, **body})

    def order(day: int, number: str) -> tuple[str, str]:
        case_id = register(
            client,
            hotline,
            channel="hotline_12345",
            department="12345热线",
            window=None,
            occurred_at=n(day, "09:00"),
        )
        receipt = event(
            case_id,
            hotline,
            "HotlineEscalationReceived",
            n(day, "09:00"),
            ticket_no=number,
            category="help",
            summary="求助",
        )
        return case_id, str(receipt["ticket_id"])

    def close(case_id: str, ticket: str, head: dict[str, str], day: int, resolved: bool) -> None:
        reply = {"ticket_id": ticket, "text": "已办理", "unit_claims_resolved": resolved}
        event(case_id, head, "HotlineReplied", n(day, "10:00"), **reply)
        event(
            case_id,
            hotline,
            "HotlineReplyReviewed",
            n(day, "15:00"),
            ticket_id=ticket,
            result="pass",
            opinion="同意办结",
        )

    t1_case, t1 = order(2, "HS20261102-0001")
    event(t1_case, hotline, "HotlineDispatched", n(2, "09:30"), ticket_id=t1, unit="人社")
    event(t1_case, hr, "HotlineSignedFor", n(2, "10:00"), ticket_id=t1)
    close(t1_case, t1, hr_head, 4, resolved=True)
    event(
        t1_case,
        hotline,
        "HotlineFollowedUp",
        n(5, "09:00"),
        ticket_id=t1,
        reachable=True,
        resolved=True,
        satisfaction="satisfied",
    )

    t2_case, t2 = order(3, "HS20261103-0001")
    event(t2_case, hotline, "HotlineDispatched", n(3, "09:00"), ticket_id=t2, unit="人社")
    event(
        t2_case,
        hr,
        "HotlineReturnRequested",
        n(3, "09:30"),
        ticket_id=t2,
        reason="不属本单位职责",
        legal_basis="三定方案",
    )
    event(
        t2_case,
        hotline,
        "HotlineReturnDecided",
        n(3, "10:00"),
        ticket_id=t2,
        decision="approve",
        opinion="同意改派",
    )
    event(t2_case, hotline, "HotlineDispatched", n(3, "11:00"), ticket_id=t2, unit="公安")
    event(t2_case, police, "HotlineSignedFor", n(6, "09:00"), ticket_id=t2)
    close(t2_case, t2, police_head, 9, resolved=False)
    event(t2_case, hotline, "HotlineFollowedUp", n(10, "09:00"), ticket_id=t2, reachable=False)

    t3_case, t3 = order(4, "HS20261104-0001")
    event(
        t3_case,
        hotline,
        "HotlineMerged",
        n(4, "10:00"),
        ticket_id=t3,
        master_case_id=t1_case,
        master_ticket_no="HS20261102-0001",
    )

    u = register(client, hr, occurred_at=n(2, "10:00"))
    report = event(
        u,
        hr,
        "UnresolvedReported",
        n(2, "10:30"),
        cause="materials",
        resolvability="hard_to_do",
        tier="complex",
        description="材料要件反复要求补充",
    )
    told = {"outcome": "resolved", "method": "phone", "content": "材料已一次性告知, 办成"}
    event(u, hr, "UnresolvedFeedbackGiven", n(6, "09:00"), report_id=report["report_id"], **told)
    event(
        u,
        staff["duty"],
        "UnresolvedVerified",
        n(6, "09:30"),
        report_id=report["report_id"],
        confirmed=True,
        note="回访核实",
    )
    event(
        u,
        staff["duty"],
        "UnresolvedClosed",
        n(6, "10:00"),
        report_id=report["report_id"],
        closure="resolved",
    )

    def completed(day: int, level: int | None) -> tuple[str, str | None, int]:
        """A 人社 case completed on `day` (rated `level`): its id, rating id, last position."""
        case_id = register(client, hr, occurred_at=n(day, "09:00"))
        event(case_id, hr, "Accepted", n(day, "09:30"))
        done = event(case_id, hr, "Completed", n(day, "10:00"), outcome="granted")
        if level is None:
            return case_id, None, int(done["position"])
        rated = event(
            case_id, staff["relay"], "Rated", n(day, "10:05"), level=level, channel="counter_device"
        )
        return case_id, str(rated["rating_id"]), int(rated["position"])

    completed(2, 5)
    b_case, b_rating, _ = completed(3, 2)
    event(
        b_case,
        hr_lead,
        "BadReviewVerified",
        n(3, "11:00"),
        rating_id=b_rating,
        validity="valid",
        note="回访核实属实",
    )
    event(
        b_case,
        hr,
        "BadReviewRectified",
        n(4, "10:00"),
        rating_id=b_rating,
        rectification="immediate",
        action="立行立改",
        feedback="电话致歉并告知整改结果",
    )
    return completed(5, None)[2]


def test_the_pushback_indicators_read_by_department(
    client: TestClient[Any], staff: dict[str, dict[str, str]], november: int
) -> None:
    response = client.get(
        NOVEMBER, headers={**staff["dashboard"], "Ledger-Position": str(november)}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["definitions_version"] == "3"
    assert body["pushback"]["as_of_position"] >= november
    groups = {g["key"]: g for g in body["groups"]}
    assert list(groups) == ["12345热线", "人社", "公安", None]

    hr, police, nobody = groups["人社"], groups["公安"], groups[None]
    assert hr["hotline"]["dispatches"] == 2
    assert hr["hotline"]["sign_for_rate"] == rate(1.0, 1, 1)
    assert (hr["hotline"]["received"], hr["hotline"]["return_rate"]) == (1, rate(0.0, 0, 1))
    assert hr["hotline"]["on_time_rate"] == rate(1.0, 1, 1)
    assert hr["hotline"]["follow_up_rate"] == rate(1.0, 1, 1)
    assert hr["hotline"]["satisfaction_rate"] == rate(1.0, 1, 1)
    assert hr["hotline"]["unit_resolved_rate"] == rate(1.0, 1, 1)
    assert hr["unresolved"]["received"] == 1
    assert hr["unresolved"]["by_cause"]["materials"] == 1
    assert hr["unresolved"]["by_closure"]["resolved"] == 1
    assert hr["unresolved"]["on_time_rate"] == rate(1.0, 1, 1)
    assert hr["ratings"]["good_rate"] == rate(0.5, 1, 2)
    assert hr["ratings"]["good_rate_without_default"] == rate(0.5, 1, 2)
    assert hr["ratings"]["active_rate"] == rate(0.6667, 2, 3)
    assert hr["ratings"]["rectify_on_time_rate"] == rate(1.0, 1, 1)
    # B's 差评: rectified (差评整改率 1/1) and, real-name, called back to verify (回访 1/1).
    assert hr["ratings"]["rectify_rate"] == rate(1.0, 1, 1)
    assert hr["ratings"]["real_name_follow_up_rate"] == rate(1.0, 1, 1)
    assert (hr["unresolved"]["negative_answers"], hr["unresolved"]["consultations"]) == (0, 0)

    assert police["hotline"]["sign_for_rate"] == rate(0.0, 0, 1)
    assert police["hotline"]["return_rate"] == rate(1.0, 1, 1)
    assert police["hotline"]["rounds_per_ticket"] == rate(2.0, 2, 1)
    assert police["hotline"]["on_time_rate"] == rate(0.0, 0, 1)
    assert police["hotline"]["unit_resolved_rate"] == rate(0.0, 0, 1)
    assert (police["hotline"]["followed_up"], police["hotline"]["unreachable"]) == (1, 1)
    assert police["hotline"]["satisfaction_rate"] == rate(None, 0, 0)

    assert (nobody["hotline"]["received"], nobody["hotline"]["merged"]) == (1, 1)
    assert nobody["received"] == 0  # no case of its own

    total = body["total"]["hotline"]
    assert (total["dispatches"], total["sign_for_rate"]) == (3, rate(0.5, 1, 2))
    assert total["repeat_rate"] == rate(0.3333, 1, 3)
    assert (total["return_rate"], total["rounds_per_ticket"]) == (rate(0.5, 1, 2), rate(1.5, 3, 2))
    assert total["on_time_rate"] == rate(0.5, 1, 2)
    assert total["follow_up_rate"] == rate(1.0, 2, 2)
    assert (total["followed_up"], total["unreachable"]) == (2, 1)
    assert total["satisfaction_rate"] == rate(1.0, 1, 1)
    assert total["citizen_resolved_rate"] == rate(1.0, 1, 1)
    assert total["unit_resolved_rate"] == rate(0.5, 1, 2)
    assert body["total"]["ratings"]["active_rate"] == rate(0.6667, 2, 3)


def test_pushback_columns_in_csv_and_sections_by_window(
    client: TestClient[Any], staff: dict[str, dict[str, str]], november: int
) -> None:
    reader = {**staff["dashboard"], "Ledger-Position": str(november)}
    response = client.get(NOVEMBER + "&group_by=window", headers={**reader, "Accept": "text/csv"})
    assert response.status_code == 200, response.text
    header = next(csv.reader(io.StringIO(response.text)))
    assert header[3] == "received"  # the case columns first, as before
    for column in (
        "hotline_sign_for_rate",
        "hotline_sign_for_rate_numerator",
        "unresolved_by_cause_materials",
        "unresolved_by_closure_open",
        "unresolved_by_closure_consultation_only",
        "unresolved_consultations",
        "unresolved_negative_answers",
        "ratings_good_rate_without_default_denominator",
        "ratings_rectify_rate_numerator",
        "ratings_real_name_follow_up_rate",
    ):
        assert column in header
    rows = list(csv.DictReader(io.StringIO(response.text)))
    total = rows[-1]
    assert total["row"] == "total"
    assert (total["hotline_sign_for_rate"], total["hotline_repeat_rate_numerator"]) == ("0.5", "1")
    window = next(r for r in rows if r["key"] == "2F-07")
    assert window["hotline_on_time_rate"] == ""  # 12345 orders are not grouped by window
    assert window["ratings_good_rate"] == "0.5"

    by_window = client.get(NOVEMBER + "&group_by=window", headers=reader).json()
    hall = next(g for g in by_window["groups"] if g["key"] == "2F-07")
    assert hall["hotline"] is None  # 12345 orders are not grouped by window
    # U concerns 2F-07 (its case's window when reported): the 通报's count for that window.
    assert hall["unresolved"]["received"] == by_window["total"]["unresolved"]["received"] == 1
