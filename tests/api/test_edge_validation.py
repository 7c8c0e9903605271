"""Validation at the edge (issue 14 items 1 and 6): control characters in any text, JSON nested too
deep, bodies that are not UTF-8 JSON or too large, dates out of range, unknown query parameters
and unknown centres are each one problem answer naming what was wrong, and record nothing."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from ledger.api.schemas.append import AppendEventRequest
from ledger.api.schemas.registration import RegisterCaseRequest
from ledger.rules.time_limits import Policies
from tests.api.support import PROBLEM_JSON, append, assert_problem, nothing_recorded, register
from tests.conftest import registration

UUID0 = "00000000-0000-4000-8000-000000000000"
CONTROLS = ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\x9f"]
"""NUL, other C0 controls, DEL and C1 controls: refused everywhere in text."""


@pytest.fixture
def staff(token_for: Any) -> dict[str, str]:
    """Front-line, supervisory, duty and 12345 roles: a clean body reaches the domain."""
    roles = ("clerk", "department_head", "duty_officer", "centre_director", "hotline_operator")
    return token_for("edge-1", *roles, unit="人社")


@pytest.fixture
def auditor(token_for: Any) -> dict[str, str]:
    return token_for("auditor-edge", "auditor")


@pytest.fixture
def case_id(client: Any, staff: dict[str, str]) -> str:
    return register(client, staff)


def post_json(client: Any, path: str, body: Any, headers: dict[str, str]) -> Any:
    """POST `body` as JSON with every non-ASCII character escaped (so NUL travels as \\u0000)."""
    content = json.dumps(body).encode()
    return client.post(
        path, content=content, headers={**headers, "content-type": "application/json"}
    )


# --- text: control characters -------------------------------------------------------------------

EVENT_TEXT = [  # (body with {} where the text goes, the field the problem names)
    ({"type": "VisitRecorded", "note": "{}"}, "note"),
    ({"type": "DutyIntervention", "action": "{}"}, "action"),
    ({"type": "HotlineEscalationReceived", "ticket_no": "T-1", "category": "complaint",
      "summary": "{}"}, "summary"),
    ({"type": "ExceptionRequested", "kind": "special_handling", "rule_waived": "{}",
      "basis": "b", "justification": "j"}, "rule_waived"),
    ({"type": "MaterialsSupplied", "items": ["户口簿", "{}"]}, "items[1]"),
    ({"type": "CorrectionRecorded", "corrects_version": 1, "reason": "r",
      "corrected": {"window": "{}"}}, "corrected[...]"),
    ({"type": "CorrectionRecorded", "corrects_version": 1, "reason": "r",
      "corrected": {"win{}dow": "2F-08"}}, "corrected"),
    ({"type": "AcceptanceRefused", "reason": "{}", "legal_basis": "b"}, "reason"),
    ({"type": "HandedOff", "to_department": "{}", "reason": "r"}, "to_department"),
    ({"type": "ExceptionLayerDecided", "exception_id": UUID0, "layer": 1, "decision": "approve",
      "opinion": "o", "attendees": [{"id": "{}", "role": "department_head"}]}, "attendees[0].id"),
    ({"type": "ExceptionRequested", "kind": "missing_materials", "rule_waived": "r", "basis": "b",
      "justification": "j", "credit_check": {"result": "clear", "source": "{}",
      "checked_at": "2026-01-05T09:00:00+08:00"}}, "credit_check.source"),
    ({"type": "SpecialTeamAssigned", "report_id": UUID0, "lead": "l", "members": ["a", "{}"]},
     "members[1]"),
    ({"type": "Rated", "level": 5, "channel": "counter_device", "comment": "{}"}, "comment"),
]  # fmt: skip


def fill(body: Any, text: str) -> Any:
    """`body` with every "{}" inside a key or string replaced by `text`."""
    return json.loads(json.dumps(body).replace("{}", json.dumps(text)[1:-1]))


@pytest.mark.parametrize(("body", "field"), EVENT_TEXT, ids=[f for _, f in EVENT_TEXT])
def test_a_control_character_in_any_event_text_is_400_naming_it_and_records_nothing(
    client, ledger, staff, auditor, case_id, body, field
) -> None:
    for control in CONTROLS:
        with nothing_recorded(client, ledger, auditor, case_id):
            response = post_json(
                client, f"/cases/{case_id}/events", fill(body, f"a{control}b"), staff
            )
        problem = assert_problem(response, 400, slug="malformed-request", field=field)
        assert "control characters" in problem["detail"], problem
    # The same body with ordinary text is not refused for its form.
    clean = post_json(client, f"/cases/{case_id}/events", fill(body, "正常\t文字\r\n第二行"), staff)
    assert clean.status_code != 400, clean.text


REGISTRATION_TEXT = [
    ({"window": "{}"}, "window"),
    ({"department": "{}"}, "department"),
    ({"matter": {"code": "SI-ARREARS", "name": "{}"}}, "matter.name"),
    ({"matter": {"code": "{}", "name": "养老保险费补缴"}}, "matter.code"),
    ({"applicant": {"name": "{}"}}, "applicant.name"),
    ({"applicant": {"name": "李某", "phone": "{}"}}, "applicant.phone"),
]


@pytest.mark.parametrize(
    ("overrides", "field"), REGISTRATION_TEXT, ids=[f for _, f in REGISTRATION_TEXT]
)
def test_a_control_character_in_a_registration_is_400_naming_it_and_records_nothing(
    client, ledger, staff, auditor, overrides, field
) -> None:
    for control in ("\x00", "\x1f", "\x7f"):
        body = registration(**fill(overrides, f"x{control}"))
        with nothing_recorded(client, ledger, auditor):
            response = post_json(client, "/cases", body, staff)
        assert_problem(response, 400, slug="malformed-request", field=field)


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/cases?window=2F%0007", "window"),
        ("/cases?department=%1b", "department"),
        ("/cases?case_no=A%7F", "case_no"),
        ("/cases?matter=%C2%85", "matter"),
        ("/hotline/tickets?unit=%01", "unit"),
        ("/unresolved?centre=%00", "centre"),
        ("/approvals?role=window_lead&centre=%0b", "centre"),
        ("/boards/duty?centre=huo%00shan", "centre"),
    ],
)
def test_a_control_character_in_a_text_query_parameter_is_400_naming_it(
    client, auditor, path, parameter
) -> None:
    assert_problem(client.get(path, headers=auditor), 400, field=parameter)


# --- bodies: depth, encoding, size, media type ----------------------------------------------------


@pytest.mark.parametrize(
    "nested", [b"[" * 1000 + b"]" * 1000, b'{"a":' * 1000 + b"1" + b"}" * 1000]
)
@pytest.mark.parametrize("with_token", [True, False], ids=["token", "no-token"])
def test_json_nested_1000_deep_is_400_with_or_without_a_token(
    client, ledger, staff, auditor, case_id, nested, with_token
) -> None:
    headers = {**(staff if with_token else {}), "content-type": "application/json"}
    for path in ("/cases", f"/cases/{case_id}/events"):
        with nothing_recorded(client, ledger, auditor, case_id):
            response = client.post(path, content=nested, headers=headers)
        problem = assert_problem(response, 400, slug="malformed-request", field="body")
        assert "deeper than 32" in problem["detail"]


def test_depth_counts_brackets_outside_strings_only(client, staff, case_id) -> None:
    note = "[" * 500 + "{" * 500  # text, not structure
    append(client, case_id, staff, {"type": "VisitRecorded", "note": note})
    too_deep = b'{"type": "VisitRecorded", "note": "x", "y": ' + b"[" * 32 + b"]" * 32 + b"}"
    response = client.post(
        f"/cases/{case_id}/events",
        content=too_deep,
        headers={**staff, "content-type": "application/json"},
    )
    assert_problem(response, 400, field="body")


@pytest.mark.parametrize(
    "content",
    [
        b'{"type": "VisitRecorded", "note": "\xff"}',
        b'{"type": "VisitRecorded", "note": "ok\xc3"}',
        b'{"type": "VisitRecorded", "note": "\xed\xa0\x80"}',  # an encoded surrogate
        b'{"type": "VisitRecorded", "no\xfete": "x"}',
    ],
)
def test_a_body_that_is_not_utf8_is_400(client, ledger, staff, auditor, case_id, content) -> None:
    with nothing_recorded(client, ledger, auditor, case_id):
        response = client.post(
            f"/cases/{case_id}/events",
            content=content,
            headers={**staff, "content-type": "application/json"},
        )
    problem = assert_problem(response, 400, slug="malformed-request", field="body")
    assert "UTF-8" in problem["detail"]


def test_a_lone_surrogate_escape_is_400(client, staff, case_id) -> None:
    content = b'{"type": "VisitRecorded", "note": "\\ud800"}'
    response = client.post(
        f"/cases/{case_id}/events",
        content=content,
        headers={**staff, "content-type": "application/json"},
    )
    assert_problem(response, 400, slug="malformed-request")


def test_a_body_over_the_limit_is_413(client, ledger, staff, auditor, settings, case_id) -> None:
    body = {"type": "VisitRecorded", "note": "x" * settings.max_body_bytes}
    with nothing_recorded(client, ledger, auditor, case_id):
        response = post_json(client, f"/cases/{case_id}/events", body, staff)
    assert_problem(response, 413, slug="payload-too-large", field="body")


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
def test_a_body_that_is_not_json_is_415(
    client, ledger, staff, auditor, case_id, content_type
) -> None:
    headers = {**staff, **({"content-type": content_type} if content_type else {})}
    for path, body in (
        ("/cases", registration()),
        (f"/cases/{case_id}/events", {"type": "VisitRecorded"}),
    ):
        with nothing_recorded(client, ledger, auditor, case_id):
            response = client.post(path, content=json.dumps(body).encode(), headers=headers)
        assert_problem(response, 415, slug="unsupported-media-type", field="Content-Type")


def test_json_with_a_utf8_charset_or_a_json_suffix_is_taken(client, staff, case_id) -> None:
    for content_type in ("application/json; charset=UTF-8", "application/vnd.ledger+json"):
        response = client.post(
            f"/cases/{case_id}/events",
            content=json.dumps({"type": "VisitRecorded"}).encode(),
            headers={**staff, "content-type": content_type},
        )
        assert response.status_code == 201, response.text


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["9999-12-31", "2101-01-01", "1989-12-31", "0001-01-01"])
def test_a_date_parameter_out_of_range_is_400_naming_it(
    client, auditor, case_id, token_for, value
) -> None:
    dashboard = token_for("dash-edge", "dashboard")
    for path, parameter, headers in (
        (f"/cases?to={value}", "to", auditor),
        (f"/cases?from={value}", "from", auditor),
        (f"/metrics/timeliness?to={value}", "to", dashboard),
        (f"/metrics/timeliness?from={value}", "from", dashboard),
        (f"/cases/{case_id}?as_of={value}T00:00:00%2B08:00", "as_of", auditor),
    ):
        response = client.get(path, headers=headers)
        problem = assert_problem(response, 400, slug="bad-request", field=parameter)
        assert "1990-01-01 to 2100-12-31" in problem["detail"]


def test_the_range_s_own_ends_are_taken(client, auditor, case_id, token_for) -> None:
    dashboard = token_for("dash-edge", "dashboard")
    assert client.get("/cases?from=1990-01-01&to=2100-12-31", headers=auditor).status_code == 200
    metrics = client.get("/metrics/timeliness?from=2100-12-01&to=2100-12-31", headers=dashboard)
    assert metrics.status_code == 200, metrics.text
    response = client.get(f"/cases/{case_id}?as_of=2100-12-31T23:59:59%2B08:00", headers=auditor)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "CommitmentSigned", "exception_id": UUID0, "items": ["a"],
          "due_at": "9999-12-31T23:59:59-12:00"}, "due_at"),
        ({"type": "ExceptionRequested", "kind": "missing_materials", "rule_waived": "r",
          "basis": "b", "justification": "j", "credit_check": {"result": "clear",
          "source": "信用中国", "checked_at": "0001-01-01T00:00:00+14:00"}},
         "credit_check.checked_at"),
    ],
)  # fmt: skip
def test_a_date_in_a_body_out_of_range_is_400_naming_it(
    client, ledger, staff, auditor, case_id, body, field
) -> None:
    with nothing_recorded(client, ledger, auditor, case_id):
        response = post_json(client, f"/cases/{case_id}/events", body, staff)
    assert_problem(response, 400, slug="malformed-request", field=field)


# --- query parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/cases?id_number=341525197001010020", "id_number"),
        ("/cases?centre=huoshan&stauts=received", "stauts"),
        ("/boards/duty?centre=huoshan&window=2F-07", "window"),
        ("/metrics/timeliness?group=window", "group"),
        ("/hotline/tickets?cursor=x", "cursor"),
        ("/audit/checkpoint?x=1", "x"),
        ("/health?probe=1", "probe"),
    ],
)
def test_an_unknown_query_parameter_is_400_naming_it(client, auditor, path, parameter) -> None:
    problem = assert_problem(
        client.get(path, headers=auditor), 400, slug="bad-request", field=parameter
    )
    assert "unknown query parameter" in problem["detail"]


def test_an_unknown_query_parameter_on_a_write_is_400_and_records_nothing(
    client, ledger, staff, auditor, case_id
) -> None:
    with nothing_recorded(client, ledger, auditor, case_id):
        response = post_json(
            client, f"/cases/{case_id}/events?seal=true", {"type": "VisitRecorded"}, staff
        )
    assert_problem(response, 400, field="seal")


def test_a_query_parameter_given_twice_is_400(client, auditor) -> None:
    response = client.get("/cases?centre=huoshan&centre=wuhai", headers=auditor)
    assert_problem(response, 400, field="centre")


# --- centres -------------------------------------------------------------------------------------


def test_an_unknown_centre_is_422_and_opens_no_case_number_series(
    client, ledger, staff, auditor
) -> None:
    with nothing_recorded(client, ledger, auditor):
        response = post_json(client, "/cases", registration(centre="huoshann"), staff)
    problem = assert_problem(response, 422, slug="rule-violated", rule="centre.unknown")
    assert "huoshann" in problem["detail"]


def test_the_configured_centres_are_the_enum_of_centre_in_the_schema(client, settings) -> None:
    schema = client.get("/schema/openapi.json").json()
    centre = schema["components"]["schemas"]["RegisterCaseRequest"]["properties"]["centre"]
    assert centre["enum"] == Policies(settings.policy_dir).centres
    assert {"huoshan", "qingyuan", "donghuashi", "jieyang", "wuhai", "zhangjiakou"} <= set(
        centre["enum"]
    )


# --- the schemas and the contract ---


def test_every_text_in_a_request_is_plain_and_bounded_and_every_list_is_bounded() -> None:
    """One place, `schemas/fields.py`: a new field of a bare `str` or `list` fails here."""
    seen: set[type] = set()
    loose: list[str] = []

    def walk(info: Any, where: str) -> None:
        match info:
            case msgspec.inspect.StrType(max_length=None) | msgspec.inspect.StrType(pattern=None):
                loose.append(where)
            case msgspec.inspect.ListType(max_length=limit, item_type=item):
                loose.extend([where] if limit is None else [])
                walk(item, f"{where}[]")
            case msgspec.inspect.DictType(max_length=limit, key_type=key, value_type=value):
                bounded = limit is not None or isinstance(key, msgspec.inspect.EnumType)
                loose.extend([] if bounded else [where])
                walk(key, f"{where}{{key}}")
                walk(value, f"{where}{{}}")
            case msgspec.inspect.UnionType(types=types):
                for member in types:
                    walk(member, where)
            case msgspec.inspect.StructType(cls=cls, fields=fields) if cls not in seen:
                seen.add(cls)
                for field in fields:
                    walk(field.type, f"{cls.__name__}.{field.name}")

    for info in msgspec.inspect.multi_type_info([RegisterCaseRequest, AppendEventRequest]):
        walk(info, "body")
    assert not loose, loose
    assert len(seen) > 50  # every event request was walked


# --- the contract --------------------------------------------------------------------------------


def test_every_operation_documents_its_problems_with_the_one_problem_schema(client) -> None:
    schema = client.get("/schema/openapi.json").json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            errors = {int(s) for s in responses if int(s) >= 400}
            assert 400 in errors, (method, path)
            for status in errors:
                content = responses[str(status)]["content"]
                assert list(content) == [PROBLEM_JSON], (method, path, status)
                assert content[PROBLEM_JSON]["schema"] == {"$ref": "#/components/schemas/Problem"}
            if "requestBody" in operation:
                assert {409, 413, 415, 422} <= errors, (method, path)
            if operation.get("security") != [{}]:
                assert {401, 403} <= errors, (method, path)
            if "{" in path:
                assert 404 in errors, (method, path)
    assert 412 in {int(s) for s in schema["paths"]["/cases/{case_id}/events"]["post"]["responses"]}


def test_every_read_documents_ledger_served_by_and_answers_with_it(client, staff) -> None:
    """`Ledger-Served-By` (which server answered: `reads.served_by`) is in the contract of each
    GET that reads the ledger, and a read really carries it; it is never sent as a fixed value."""
    schema = client.get("/schema/openapi.json").json()
    documented = {
        path
        for path, item in schema["paths"].items()
        if "Ledger-Served-By"
        in item.get("get", {}).get("responses", {}).get("200", {}).get("headers", {})
    }
    assert {
        "/cases",
        "/cases/{case_id}",
        "/cases/{case_id}/events",
        "/cases/{case_id}/bundle",
        "/audit/proofs/inclusion",
        "/audit/proofs/consistency",
        "/hotline/tickets",
        "/metrics/timeliness",
    } <= documented, documented
    assert not documented & {"/health", "/metrics", "/audit/checkpoint", "/tile/{tile_path}"}
    case_id = post_json(client, "/cases", registration(), staff).json()["case_id"]
    assert client.get(f"/cases/{case_id}", headers=staff).headers["Ledger-Served-By"] == "primary"
    assert "Ledger-Served-By" not in client.get("/health").headers
