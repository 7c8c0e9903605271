"""12345 work orders, 办不成事 reports and 好差评 ratings written over HTTP: a full ticket with its
clocks against the calendar, and every bad input a precise problem that records nothing.

Dates are in November 2026, which has no holiday in the calendar: working days are Mon-Fri.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.support import append, assert_problem, nothing_recorded, register

CST = "+08:00"


def at(day: int, clock: str) -> str:
    return f"2026-11-{day:02d}T{clock}:00{CST}"


def end_of(day: int) -> str:
    """A working-day deadline falls at the end of its day, Asia/Shanghai."""
    return f"2026-11-{day:02d}T23:59:59.999999{CST}"


@pytest.fixture
def hotline(token_for: Any) -> dict[str, str]:
    return token_for("op-12345", "hotline_operator", unit="12345热线")


@pytest.fixture
def staff(token_for: Any) -> Any:
    def make(unit: str, role: str = "clerk") -> dict[str, str]:
        return token_for(f"{role}-{unit}", role, unit=unit)

    return make


@pytest.fixture
def auditor(token_for: Any) -> dict[str, str]:
    return token_for("auditor-1", "auditor")


@pytest.fixture
def unchanged(client: Any, ledger: Any, auditor: dict[str, str]) -> Any:
    def make(case_id: str) -> Any:
        return nothing_recorded(client, ledger, auditor, case_id)

    return make


def post(client: Any, case_id: str, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return client.post(f"/cases/{case_id}/events", json=body, headers=headers)


def ticket_of(client: Any, case_id: str, reader: dict[str, str]) -> dict[str, Any]:
    response = client.get(f"/cases/{case_id}", headers=reader)
    assert response.status_code == 200, response.text
    [ticket] = response.json()["state"]["tickets"]
    return dict(ticket)


def received(client: Any, hotline: dict[str, str], category: str = "complaint") -> tuple[str, str]:
    """A 12345 case with one order received on 11-02: (case_id, ticket_id)."""
    case_id = register(
        client,
        hotline,
        channel="hotline_12345",
        department="12345热线",
        window=None,
        occurred_at=at(2, "09:00"),
    )
    receipt = append(
        client,
        case_id,
        hotline,
        {
            "type": "HotlineEscalationReceived",
            "ticket_no": "HS20261102-0001",
            "category": category,
            "summary": "社保窗口要求往返开证明",
            "occurred_at": at(2, "09:00"),
        },
    )
    return case_id, str(receipt["ticket_id"])


def dispatch(ticket_id: str, unit: str, when: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": "HotlineDispatched",
        "ticket_id": ticket_id,
        "unit": unit,
        "occurred_at": when,
        **extra,
    }


def returned(
    client: Any, case_id: str, ticket_id: str, unit_staff: dict[str, str], hotline: Any, when: str
) -> None:
    append(
        client,
        case_id,
        unit_staff,
        {
            "type": "HotlineReturnRequested",
            "ticket_id": ticket_id,
            "reason": "不属本单位职责",
            "legal_basis": "三定方案",
            "occurred_at": when,
        },
    )
    append(
        client,
        case_id,
        hotline,
        {
            "type": "HotlineReturnDecided",
            "ticket_id": ticket_id,
            "decision": "approve",
            "opinion": "同意改派",
            "occurred_at": when.replace(":00+", ":30+"),
        },
    )


def test_a_full_ticket_two_returns_designation_extension_rework_and_reopening(
    client: Any, hotline: dict[str, str], staff: Any, auditor: dict[str, str], unchanged: Any
) -> None:
    case_id, ticket_id = received(client, hotline)
    rs, rs_head = staff("人社"), staff("人社", "department_head")

    # Round 1: 人社. Sign-for: 1 working day, next-day counting: end of Tue 11-03. Reply
    # (complaint): 13 working days from Mon 11-02: 11-03..06 (4), 09..13 (9), 16..19 (13).
    append(client, case_id, hotline, dispatch(ticket_id, "人社", at(2, "09:30")))
    ticket = ticket_of(client, case_id, auditor)
    assert ticket["dispatches"][0]["sign_for_due"] == end_of(3)
    assert ticket["reply_clock"]["due_at"] == end_of(19)
    assert ticket["reply_clock"]["limit"] == {"value": 13, "unit": "working_days"}
    returned(client, case_id, ticket_id, rs, hotline, at(2, "14:00"))

    # Round 2: 医保, returned; round 3: 税务, returned.
    append(client, case_id, hotline, dispatch(ticket_id, "医保", at(2, "16:00")))
    returned(client, case_id, ticket_id, staff("医保"), hotline, at(3, "10:00"))
    append(client, case_id, hotline, dispatch(ticket_id, "税务", at(3, "14:00")))
    returned(client, case_id, ticket_id, staff("税务"), hotline, at(4, "09:00"))

    # After three rounds the hotline must designate the unit (指定承办)...
    assert_problem(
        post(client, case_id, hotline, dispatch(ticket_id, "民政", at(4, "10:30"))),
        422,
        rule="hotline.designation_required",
    )
    append(client, case_id, hotline, dispatch(ticket_id, "人社", at(4, "10:30"), designated=True))
    # ...which cannot send it back.
    with unchanged(case_id):
        assert_problem(
            post(
                client,
                case_id,
                rs,
                {
                    "type": "HotlineReturnRequested",
                    "ticket_id": ticket_id,
                    "reason": "不属本单位职责",
                    "legal_basis": "三定方案",
                    "occurred_at": at(4, "10:40"),
                },
            ),
            422,
            rule="hotline.designated_cannot_return",
        )
    append(
        client,
        case_id,
        rs,
        {"type": "HotlineSignedFor", "ticket_id": ticket_id, "occurred_at": at(4, "11:00")},
    )
    append(
        client,
        case_id,
        rs,
        {
            "type": "HotlineApplicantContacted",
            "ticket_id": ticket_id,
            "method": "phone",
            "occurred_at": at(4, "14:00"),
        },
    )
    # The new round's reply clock runs from its dispatch on Wed 11-04: 13 working days from
    # Thu 11-05: 05..06 (2), 09..13 (7), 16..20 (12), 23 (13).
    assert ticket_of(client, case_id, auditor)["reply_clock"]["due_at"] == end_of(23)

    # An extension of 5 working days, asked before expiry: 11-24..27 (4), 30 (5).
    append(
        client,
        case_id,
        rs,
        {
            "type": "HotlineExtensionRequested",
            "ticket_id": ticket_id,
            "working_days": 5,
            "reason": "需调取外省缴费记录",
            "occurred_at": at(5, "09:00"),
        },
    )
    append(
        client,
        case_id,
        hotline,
        {
            "type": "HotlineExtensionDecided",
            "ticket_id": ticket_id,
            "decision": "approve",
            "opinion": "同意延期, 已告知诉求人",
            "occurred_at": at(5, "10:00"),
        },
    )
    assert ticket_of(client, case_id, auditor)["reply_clock"]["due_at"] == end_of(30)

    reply = {
        "type": "HotlineReplied",
        "ticket_id": ticket_id,
        "text": "已联系诉求人, 经核实证明可通过数据共享获取",
        "unit_claims_resolved": True,
        "occurred_at": at(10, "15:00"),
    }
    # The reply is signed by the lead unit's head: a clerk may not, another unit's head may not.
    with unchanged(case_id):
        assert_problem(post(client, case_id, rs, reply), 403)
        assert_problem(
            post(client, case_id, staff("医保", "department_head"), reply),
            422,
            rule="hotline.not_lead_unit",
        )
    append(client, case_id, rs_head, reply)

    def review(result: str, when: str) -> dict[str, Any]:
        return {
            "type": "HotlineReplyReviewed",
            "ticket_id": ticket_id,
            "result": result,
            "opinion": "答复不规范, 请补充办理结果" if result == "rework" else "同意办结",
            "occurred_at": when,
        }

    append(client, case_id, hotline, review("rework", at(11, "09:00")))
    append(client, case_id, rs_head, {**reply, "occurred_at": at(12, "10:00")})
    append(client, case_id, hotline, review("pass", at(13, "09:00")))

    # 回访: dissatisfied, the unit's fault: 重办 on a new clock from Mon 11-16 (to Thu 12-03).
    append(
        client,
        case_id,
        hotline,
        {
            "type": "HotlineFollowedUp",
            "ticket_id": ticket_id,
            "reachable": True,
            "resolved": False,
            "satisfaction": "dissatisfied",
            "cause": "unit",
            "occurred_at": at(16, "09:00"),
        },
    )
    append(
        client,
        case_id,
        hotline,
        {
            "type": "HotlineReopened",
            "ticket_id": ticket_id,
            "reason": "回访不满意: 证明仍未开具",
            "occurred_at": at(16, "10:00"),
        },
    )
    ticket = ticket_of(client, case_id, auditor)
    assert ticket["status"] == "in_progress"
    assert ticket["reopen_count"] == 1
    assert ticket["reply_clock"]["due_at"] == "2026-12-03T23:59:59.999999+08:00"

    append(client, case_id, rs_head, {**reply, "occurred_at": at(17, "10:00")})
    append(client, case_id, hotline, review("pass", at(18, "09:00")))
    append(
        client,
        case_id,
        hotline,
        {
            "type": "HotlineFollowedUp",
            "ticket_id": ticket_id,
            "reachable": True,
            "resolved": True,
            "satisfaction": "satisfied",
            "occurred_at": at(19, "09:00"),
        },
    )

    ticket = ticket_of(client, case_id, auditor)
    assert ticket["status"] == "closed"
    assert ticket["closure"] == "replied"
    assert [d["unit"] for d in ticket["dispatches"]] == ["人社", "医保", "税务", "人社"]
    assert [d["designated"] for d in ticket["dispatches"]] == [False, False, False, True]
    assert [r["unit"] for r in ticket["returns"]] == ["人社", "医保", "税务"]
    assert all(r["decision"] == "approve" for r in ticket["returns"])
    assert [r["review"] for r in ticket["replies"]] == ["rework", "pass", "pass"]
    assert [f["satisfaction"] for f in ticket["follow_ups"]] == ["dissatisfied", "satisfied"]
    assert ticket["first_closed_at"] == at(13, "09:00")
    assert ticket["first_contact_at"] == at(4, "14:00")


def test_an_urgent_order_must_be_signed_for_within_fifteen_minutes(
    client: Any, hotline: dict[str, str], auditor: dict[str, str]
) -> None:
    case_id = register(
        client,
        hotline,
        channel="hotline_12345",
        department="12345热线",
        occurred_at=at(20, "22:00"),
    )
    ticket_id = append(
        client,
        case_id,
        hotline,
        {
            "type": "HotlineEscalationReceived",
            "ticket_no": "HS-URGENT-1",
            "category": "help",
            "urgency": "life_property",
            "summary": "燃气泄漏",
            "occurred_at": at(20, "22:00"),
        },
    )["ticket_id"]
    append(client, case_id, hotline, dispatch(ticket_id, "燃气公司", at(20, "22:01")))
    ticket = ticket_of(client, case_id, auditor)
    assert ticket["dispatches"][0]["sign_for_due"] == at(20, "22:16")
    # Emergencies are answered the same day.
    assert ticket["reply_clock"]["due_at"] == end_of(20)


def test_supervision_notices_wait_for_the_deadline_and_merging_links_a_duplicate(
    client: Any, hotline: dict[str, str], auditor: dict[str, str], unchanged: Any
) -> None:
    case_id, ticket_id = received(client, hotline, category="consultation")
    append(client, case_id, hotline, dispatch(ticket_id, "人社", at(2, "09:30")))
    # Consultation: 3 working days from Mon 11-02, due at the end of Thu 11-05.
    notice = {
        "type": "HotlineSupervised",
        "ticket_id": ticket_id,
        "level": "notice",
        "note": "催办通知书",
        "occurred_at": at(5, "12:00"),
    }
    with unchanged(case_id):
        assert_problem(post(client, case_id, hotline, notice), 422, rule="hotline.not_overdue")
    append(client, case_id, hotline, {**notice, "level": "urge", "note": "电话催办"})
    append(client, case_id, hotline, {**notice, "occurred_at": at(6, "09:00")})

    duplicate, duplicate_ticket = received(client, hotline)
    merge = {
        "type": "HotlineMerged",
        "ticket_id": duplicate_ticket,
        "master_case_id": case_id,
        "master_ticket_no": "HS20261102-0001",
    }
    append(client, duplicate, hotline, merge)
    merged = ticket_of(client, duplicate, auditor)
    assert merged["status"] == "merged"
    assert merged["merged_into_case"] == case_id
    with unchanged(duplicate):
        assert_problem(post(client, duplicate, hotline, merge), 422, rule="hotline.ticket_closed")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "gossip"}, "category"),
        ({"urgency": "soon"}, "urgency"),
        ({"ticket_no": "工单 1"}, "ticket_no"),
        ({"summary": ""}, "summary"),
    ],
)
def test_a_bad_order_is_a_problem_naming_its_field(
    client: Any,
    hotline: dict[str, str],
    unchanged: Any,
    body: dict[str, Any],
    field: str,
) -> None:
    case_id = register(client, hotline, channel="hotline_12345", department="12345热线")
    order = {
        "type": "HotlineEscalationReceived",
        "ticket_no": "HS-1",
        "category": "complaint",
        "summary": "投诉",
        **body,
    }
    with unchanged(case_id):
        problem = assert_problem(post(client, case_id, hotline, order), 400)
    assert field in (problem.get("field") or "") + str(problem.get("errors") or ""), problem


def test_only_the_hotline_receives_and_dispatches_orders(
    client: Any, hotline: dict[str, str], staff: Any, unchanged: Any
) -> None:
    case_id, ticket_id = received(client, hotline)
    with unchanged(case_id):
        assert_problem(
            post(client, case_id, staff("人社"), dispatch(ticket_id, "人社", at(3, "09:00"))), 403
        )
        assert_problem(
            post(
                client,
                case_id,
                staff("人社"),
                {"type": "HotlineSignedFor", "ticket_id": ticket_id},
            ),
            422,
            rule="hotline.not_dispatched_to_unit",
        )


# --- 办不成事 -------------------------------------------------------------------------------


def test_a_refusal_files_its_report_which_closes_after_feedback_and_an_independent_check(
    client: Any, staff: Any, auditor: dict[str, str], unchanged: Any
) -> None:
    window, window_lead = staff("办不成事窗口"), staff("办不成事窗口", "window_lead")
    duty = staff("值班", "duty_officer")
    case_id = register(
        client,
        window,
        channel="unresolved_window",
        department="办不成事窗口",
        window="总受理台",
        occurred_at=at(2, "09:00"),
    )
    refused = append(
        client,
        case_id,
        window,
        {
            "type": "AcceptanceRefused",
            "reason": "社保系统无缴费记录",
            "legal_basis": "《社会保险法》第十六条",
            "occurred_at": at(2, "10:00"),
        },
    )
    report_id = refused["report_id"]  # 否定答复: the refusal filed its report
    state = client.get(f"/cases/{case_id}", headers=auditor).json()["state"]
    [report] = state["unresolved"]
    assert (report["report_id"], report["negative_answer"]) == (report_id, True)
    assert (report["cause"], report["resolvability"], report["tier"]) == (
        "acceptance",
        "cannot_do",
        "complex",
    )
    assert (report["unit"], report["window"]) == ("办不成事窗口", "总受理台")
    # 办不了 3 working days from Mon 11-02 (11-03, 04, 05), before 复杂's 5 (11-09).
    assert report["clock"]["due_at"] == end_of(5)

    again = {
        "type": "UnresolvedReported",
        "cause": "policy",
        "resolvability": "cannot_do",
        "tier": "complex",
        "description": "七旬老人无缴费记录, 要办退休",
    }
    close = {"type": "UnresolvedClosed", "report_id": report_id, "closure": "explained_cannot_do"}
    explained = {**close, "explanation": "拿着相关文件反复解释, 会同区人社局安抚"}
    with unchanged(case_id):
        assert_problem(post(client, case_id, window, again), 422, rule="unresolved.already_open")
        assert_problem(
            post(client, case_id, duty, close), 422, rule="unresolved.explanation_missing"
        )
        assert_problem(
            post(client, case_id, duty, {**close, "closure": "shrugged"}), 400, field="closure"
        )
        assert_problem(
            post(client, case_id, duty, explained), 422, rule="unresolved.feedback_missing"
        )
    feedback = {
        "type": "UnresolvedFeedbackGiven",
        "report_id": report_id,
        "outcome": "explained_cannot_do",
        "method": "in_person",
        "content": "拿着相关文件反复详细解释, 安抚情绪",
        "occurred_at": at(3, "09:00"),
    }
    append(client, case_id, window, feedback)
    check = {
        "type": "UnresolvedVerified",
        "report_id": report_id,
        "confirmed": True,
        "note": "核实",
    }
    with unchanged(case_id):
        assert_problem(post(client, case_id, duty, explained), 422, rule="unresolved.not_verified")
        assert_problem(post(client, case_id, window, check), 403)  # 核查 is above the window
        assert_problem(
            post(client, case_id, window_lead, check),
            422,
            rule="unresolved.verification_not_independent",
        )
    append(client, case_id, duty, {**check, "occurred_at": at(3, "10:00")})
    with unchanged(case_id):
        assert_problem(post(client, case_id, duty, check), 422, rule="unresolved.nothing_to_verify")
        assert_problem(
            post(client, case_id, window, explained),
            422,
            rule="unresolved.closure_not_independent",
        )
        assert_problem(
            post(client, case_id, duty, {**close, "closure": "resolved"}),
            422,
            rule="unresolved.closure_not_as_fed_back",
        )
    append(client, case_id, duty, {**explained, "occurred_at": at(3, "11:00")})
    with unchanged(case_id):
        assert_problem(
            post(client, case_id, duty, {**explained, "explanation": "再次"}),
            422,
            rule="unresolved.already_closed",
        )
    [closed] = client.get(f"/cases/{case_id}", headers=auditor).json()["state"]["unresolved"]
    assert (closed["closure"], closed["closed_by"]) == ("explained_cannot_do", "duty_officer-值班")
    assert [f["given_by"] for f in closed["feedbacks"]] == ["clerk-办不成事窗口"]
    assert [v["verified_by"] for v in closed["verifications"]] == ["duty_officer-值班"]


def test_a_report_is_due_by_the_shorter_of_its_tier_and_resolvability_and_names_its_window(
    client: Any, staff: Any, auditor: dict[str, str]
) -> None:
    window = staff("办不成事窗口")
    case_id = register(client, window, department="办不成事窗口", occurred_at=at(2, "09:00"))
    append(
        client,
        case_id,
        window,
        {
            "type": "UnresolvedReported",
            "cause": "materials",
            "resolvability": "hard_to_do",
            "tier": "special",
            "description": "医保窗口三次往返未办成",
            "unit": "医保",
            "window": "2F-11",
            "occurred_at": at(2, "10:00"),
        },
    )

    [report] = client.get(f"/cases/{case_id}", headers=auditor).json()["state"]["unresolved"]
    # 很难办 7 working days from Mon 11-02 (11-03..06, 09..11), before 特殊's 10 (11-16).
    assert report["clock"]["due_at"] == end_of(11)
    assert report["clock"]["limit"] == {"value": 7, "unit": "working_days"}
    assert (report["unit"], report["window"]) == ("医保", "2F-11")


def test_a_consultation_is_recorded_over_http(
    client: Any, staff: Any, auditor: dict[str, str]
) -> None:
    window = staff("办不成事窗口")
    case_id = register(client, window, department="办不成事窗口", occurred_at=at(2, "09:00"))

    append(
        client,
        case_id,
        window,
        {
            "type": "ConsultationRecorded",
            "question": "退休手续到哪里办",
            "answer": "档案所在的区公服中心受理",
            "referred_to": "区公服中心",
            "occurred_at": at(2, "09:30"),
        },
    )

    state = client.get(f"/cases/{case_id}", headers=auditor).json()["state"]
    [consultation] = state["consultations"]
    assert (consultation["unit"], consultation["referred_to"]) == ("办不成事窗口", "区公服中心")
    assert state["unresolved"] == []


# --- 好差评 ---------------------------------------------------------------------------------


def test_a_bad_review_is_verified_rectified_and_rerated_and_clients_cannot_default(
    client: Any, staff: Any, auditor: dict[str, str], unchanged: Any, token_for: Any
) -> None:
    clerk, lead = staff("人社"), staff("人社", "window_lead")
    relay = token_for("haochaping", "rating_channel")  # the 好差评 system's relay
    case_id = register(client, clerk, occurred_at=at(2, "09:00"))
    rate = {
        "type": "Rated",
        "level": 2,
        "channel": "counter_device",
        "dimensions": {"overall": 2, "attitude": 1},
        "comment": "态度差",
        "occurred_at": at(2, "11:00"),
    }
    with unchanged(case_id):
        assert_problem(post(client, case_id, relay, {**rate, "default": True}), 400)
        assert_problem(post(client, case_id, relay, {**rate, "level": 6}), 400, field="level")
        assert_problem(post(client, case_id, relay, {**rate, "dimensions": {"mood": 3}}), 400)
        # The window whose service is rated may neither key in a device's rating nor phone one.
        assert_problem(post(client, case_id, clerk, rate), 422, rule="rating.channel_not_relayed")
        assert_problem(
            post(client, case_id, lead, {**rate, "channel": "phone"}),
            422,
            rule="rating.self_rating",
        )
    rating_id = append(client, case_id, relay, rate)["rating_id"]
    with unchanged(case_id):
        assert_problem(post(client, case_id, relay, rate), 422, rule="rating.already_rated")
        assert_problem(
            post(
                client,
                case_id,
                clerk,
                {
                    "type": "BadReviewRectified",
                    "rating_id": rating_id,
                    "rectification": "immediate",
                    "action": "批评教育",
                    "feedback": "已致歉",
                },
            ),
            422,
            rule="bad_review.not_verified_valid",
        )
    for body, by in [
        ({"type": "BadReviewVerified", "validity": "valid", "note": "回访核实属实"}, lead),
        (
            {
                "type": "BadReviewRectified",
                "rectification": "immediate",
                "action": "窗口人员批评教育, 立行立改",
                "feedback": "电话致歉并告知整改结果",
            },
            clerk,
        ),
    ]:
        append(client, case_id, by, {**body, "rating_id": rating_id, "occurred_at": at(3, "10:00")})
    rerate = {"type": "ReRated", "rating_id": rating_id, "level": 4, "comment": "整改满意"}
    with unchanged(case_id):
        assert_problem(post(client, case_id, clerk, rerate), 422, rule="rating.self_rating")
    append(client, case_id, relay, {**rerate, "occurred_at": at(3, "11:00")})

    state = client.get(f"/cases/{case_id}", headers=auditor).json()["state"]
    [rating] = state["ratings"]
    assert rating["default"] is False
    # 差评 rectification: 15 working days from Mon 11-02 (cn policy): 11-03..06 (4), 09..13 (9),
    # 16..20 (14), 23 (15).
    assert rating["bad_review"]["rectify_due"] == end_of(23)
    assert rating["bad_review"]["rerated_level"] == 4
    assert "rater" not in str(rating)


def test_a_root_cause_and_its_improvement_are_written_over_http(
    client: Any, staff: Any, auditor: dict[str, str], unchanged: Any
) -> None:
    window, lead = staff("办不成事窗口"), staff("办不成事窗口", "window_lead")
    case_id = register(
        client, window, channel="unresolved_window", department="办不成事窗口", window="总受理台"
    )
    report_id = append(
        client,
        case_id,
        window,
        {
            "type": "UnresolvedReported",
            "cause": "approval_step",
            "resolvability": "hard_to_do",
            "tier": "special",
            "description": "跨省抚恤金一年未领",
        },
    )["report_id"]
    # `key` is an event field here, not the Idempotency-Key (that is a header).
    root_cause_id = append(
        client,
        case_id,
        window,
        {
            "type": "RootCauseRecorded",
            "report_id": report_id,
            "cause": "approval_step",
            "key": "跨省经办协同",
            "description": "省属单位参保人员的待遇由省级经办, 窗口不知",
        },
        **{"Idempotency-Key": "root-cause-1"},
    )["root_cause_id"]
    action = {
        "type": "ImprovementActionOpened",
        "report_id": report_id,
        "root_cause_id": root_cause_id,
        "action": "窗口职能细化调整, 综合柜员制",
        "owner_unit": "市社保服务中心",
    }
    with unchanged(case_id):
        assert_problem(
            post(client, case_id, lead, {**action, "root_cause_id": report_id}),
            422,
            rule="unresolved.unknown_root_cause",
        )
    action_id = append(client, case_id, lead, action)["action_id"]
    append(
        client,
        case_id,
        lead,
        {"type": "ImprovementActionCompleted", "action_id": action_id, "result": "已实施"},
    )
    [report] = client.get(f"/cases/{case_id}", headers=auditor).json()["state"]["unresolved"]
    assert [c["key"] for c in report["root_causes"]] == ["跨省经办协同"]
    assert report["actions"][0]["result"] == "已实施"


def test_after_two_returned_rounds_the_hotline_may_designate_the_third_unit(
    client: Any, hotline: dict[str, str], staff: Any, auditor: dict[str, str]
) -> None:
    case_id, ticket_id = received(client, hotline)
    append(client, case_id, hotline, dispatch(ticket_id, "人社", at(2, "09:30")))
    # One returned round is not enough...
    returned(client, case_id, ticket_id, staff("人社"), hotline, at(2, "14:00"))
    assert_problem(
        post(
            client, case_id, hotline, dispatch(ticket_id, "医保", at(2, "16:00"), designated=True)
        ),
        422,
        rule="hotline.designation_too_early",
    )
    append(client, case_id, hotline, dispatch(ticket_id, "医保", at(2, "16:00")))
    returned(client, case_id, ticket_id, staff("医保"), hotline, at(3, "10:00"))
    # ...two are: the third dispatch designates 税务.
    append(client, case_id, hotline, dispatch(ticket_id, "税务", at(3, "14:00"), designated=True))
    ticket = ticket_of(client, case_id, auditor)
    assert [d["designated"] for d in ticket["dispatches"]] == [False, False, True]
    assert ticket["status"] == "dispatched"
