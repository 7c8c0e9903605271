"""Personal identifiers typed into free text (issue 14 item 5): a 身份证号, mobile or bank-card
number in any free-text field of any command is a 422 `personal_data.in_free_text` naming the
field and the kind, never the number, and nothing is recorded; structured identifiers (case
numbers, 12345 order numbers, queue tickets, dates) are still accepted."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import pytest

from tests.api.support import append, assert_problem, id_number, nothing_recorded, register
from tests.conftest import registration

ID_NUMBER = id_number("34010219900307138")  # check digit X
PHONE = "13800138000"
CARD = "6222021234561236"  # UnionPay BIN, passes Luhn
LABELS = {"id_number": "身份证号", "phone": "手机号", "bank_card": "银行卡号"}

REFUSED_EVENTS = [  # (body, the field the problem names, the kind it names)
    ({"type": "VisitRecorded", "ticket": "A017", "note": f"申请人电话 {PHONE}, 请回电"},
     "note", "phone"),
    ({"type": "MaterialsSupplied", "items": ["户口簿", "结婚证", f"身份证{ID_NUMBER}已核验"]},
     "items[2]", "id_number"),
    ({"type": "CorrectionRecorded", "corrects_version": 1, "reason": "更正退款账户",
      "corrected": {"refund_account": "6222 0212 3456 1236"}},
     "corrected.refund_account", "bank_card"),
    ({"type": "HotlineEscalationReceived", "ticket_no": "HS2026030200017",
      "category": "complaint", "summary": "来电人 +86 138 0013 8000 反映补缴办理慢"},
     "summary", "phone"),
    ({"type": "DutyIntervention", "action": "值班长联系申请人 138-0013-8000 当场协调"},
     "action", "phone"),
    ({"type": "ExceptionRequested", "kind": "special_handling", "rule_waived": "本人到场",
      "basis": "特事特办制度",
      "justification": f"申请人 {ID_NUMBER.lower()} 患病不能出门, 家属代办"},
     "justification", "id_number"),
    ({"type": "Rated", "level": 2, "channel": "counter_device", "comment": f"退款到{CARD}没到账"},
     "comment", "bank_card"),
    ({"type": "VisitRecorded", "note": "身份证号３４０１０２１９９００３０７１３８Ｘ"},  # 全角
     "note", "id_number"),
]  # fmt: skip


@pytest.fixture
def staff(token_for: Any) -> dict[str, str]:
    """Front-line, duty, 12345 and supervisory roles: every body reaches the domain."""
    roles = ("clerk", "department_head", "duty_officer", "centre_director", "hotline_operator")
    return token_for("pii-text-1", *roles, unit="人社")


@pytest.fixture
def auditor(token_for: Any) -> dict[str, str]:
    return token_for("auditor-pii-text", "auditor")


def assert_names_no_number(problem: dict[str, Any], *numbers: str) -> None:
    """Neither the number nor any 7 of its digits in a row appear anywhere in the problem."""
    said = re.sub(r"\D", "", unicodedata.normalize("NFKC", str(problem)))
    for number in numbers:
        digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", number))
        for start in range(len(digits) - 6):
            assert digits[start : start + 7] not in said, problem


@pytest.mark.parametrize(("body", "field", "kind"), REFUSED_EVENTS)
def test_an_identifier_in_an_event_is_refused_naming_the_field_not_the_number(
    client, ledger, staff, auditor, body, field, kind
) -> None:
    case_id = register(client, staff)

    with nothing_recorded(client, ledger, auditor, case_id):  # the version is unchanged too
        response = client.post(f"/cases/{case_id}/events", json=body, headers=staff)

    problem = assert_problem(
        response, 422, slug="rule-violated", rule="personal_data.in_free_text", field=field
    )
    assert LABELS[kind] in problem["detail"]
    assert "applicant." in problem["detail"]  # the hint: the structured fields
    assert problem["errors"] == [{"field": field, "message": problem["detail"]}]
    assert_names_no_number(problem, ID_NUMBER, PHONE, CARD)


@pytest.mark.parametrize(
    ("overrides", "field", "kind"),
    [
        ({"window": PHONE}, "window", "phone"),
        ({"matter": {"code": "SI-ARREARS", "name": f"养老保险费补缴 {ID_NUMBER}"}},
         "matter.name", "id_number"),
        ({"department": f"人社 {CARD}"}, "department", "bank_card"),
    ],
)  # fmt: skip
def test_an_identifier_in_a_registration_is_refused_and_opens_no_case(
    client, ledger, staff, auditor, overrides, field, kind
) -> None:
    with nothing_recorded(client, ledger, auditor):
        response = client.post("/cases", json=registration(**overrides), headers=staff)

    problem = assert_problem(
        response, 422, slug="rule-violated", rule="personal_data.in_free_text", field=field
    )
    assert LABELS[kind] in problem["detail"]
    assert_names_no_number(problem, ID_NUMBER, PHONE, CARD)


def test_identifiers_in_the_applicants_structured_fields_are_still_taken(
    client, staff, auditor
) -> None:
    applicant = {"name": "李某", "id_number": ID_NUMBER, "phone": PHONE, "bank_card": CARD}
    body = registration(applicant=applicant)
    response = client.post("/cases", json=body, headers=staff)

    assert response.status_code == 201, response.text
    state = client.get(f"/cases/{response.json()['case_id']}", headers=auditor).text
    assert ID_NUMBER not in state and PHONE not in state and CARD not in state


def test_structured_numbers_and_dates_in_text_are_accepted(client, staff, auditor) -> None:
    case_id = register(client, staff)
    case_no = client.get(f"/cases/{case_id}", headers=auditor).json()["state"]["case_no"]
    hotline_no = "2026030212345675"  # 16 digits that pass Luhn: exempt as a 12345 order number
    bodies = [
        {"type": "VisitRecorded", "ticket": "6217000000000000004",  # an appointment number
         "note": f"办件 {case_no} 于 2026-03-02 09:30 叫号, 补缴 12,345.67 元, 5 个工作日"},
        {"type": "HotlineEscalationReceived", "ticket_no": hotline_no, "category": "complaint",
         "summary": f"12345 转来: 工单 HS2026030200017 (原办件 {case_no}), 2026年3月2日来电"},
        {"type": "MaterialsSupplied", "items": ["身份证复印件", "户口簿 (2024-03-15 换发)"]},
        {"type": "CorrectionRecorded", "corrects_version": 1, "reason": "窗口号录错",
         "corrected": {"window": "2F-08"}},
    ]  # fmt: skip
    for body in bodies:
        append(client, case_id, staff, body)

    events = client.get(f"/cases/{case_id}/events", headers=auditor).json()["events"]
    assert len(events) == 1 + len(bodies)
    assert hotline_no in str(events)
