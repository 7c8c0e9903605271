"""Property: whatever text a client sends in a free-text field, the answer is 201, 400 or 422,
never a 500; it is 400 exactly when the text is not 1 to 2,000 characters with no control character
but tab, newline and carriage return (and no lone surrogate); otherwise 422
`personal_data.in_free_text` exactly when the scanner finds a personal identifier in it, else 201;
and what is stored is that text, unchanged, so no stored event can carry a character a view cannot
hold."""

from __future__ import annotations

import json
import re
from typing import Any
from uuid import UUID

import hypothesis
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from ledger.domain.personal_data import find_identifier
from tests.api.support import assert_problem, id_number, register
from tests.conftest import actor

READER = actor("auditor-prop", "auditor")

FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
SETTINGS = hypothesis.settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# Any code point, surrogates and every control included, weighted towards the controls and the
# characters just around them.
CHARACTERS = st.one_of(
    st.characters(codec=None, exclude_categories=()),
    st.sampled_from(["\x00", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\u2028", "\ufeff"]),
)
# Digit runs, some of them identifiers (身份证号, mobile, bank card; full-width too), alone or
# inside other text: the scanner's verdict decides between 201 and 422.
IDENTIFIERS = st.sampled_from(
    [
        id_number("34010219900307138"),
        id_number("11010519491231002"),
        "13800138000",
        "+86 138 0013 8000",
        "6222 0212 3456 1236",
        "６２１７０００００００００００００００４",
    ]
)
DIGITS = st.one_of(
    st.text(st.sampled_from("0123456789０１２３ -+Xx"), min_size=1, max_size=24),
    st.builds(
        lambda before, number, after: before + number + after,
        st.text(st.sampled_from("申请人电话身份证号卡 ,:：\n"), max_size=8),
        IDENTIFIERS,
        st.text(st.sampled_from("申请人电话身份证号卡 ,:：\n"), max_size=8),
    ),
)
TEXT = st.one_of(
    st.text(CHARACTERS, max_size=40), st.text(CHARACTERS, min_size=1995, max_size=2005), DIGITS
)


def expected_status(text: str, *, max_length: int = 2000) -> int:
    if not (1 <= len(text) <= max_length and not FORBIDDEN.search(text)):
        return 400
    return 422 if find_identifier(text) else 201


def post(client: Any, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    # ensure_ascii: a lone surrogate or a NUL travels as a \u escape, as a JSON client sends it.
    content = json.dumps(body, ensure_ascii=True).encode()
    return client.post(
        path, content=content, headers={**headers, "content-type": "application/json"}
    )


@pytest.fixture(scope="module")
def staff(token_for: Any) -> dict[str, str]:
    return token_for("prop-1", "clerk", "duty_officer", unit="人社")


@pytest.fixture(scope="module")
def case_id(client: Any, staff: dict[str, str]) -> str:
    return register(client, staff)


@pytest.mark.parametrize(
    ("event_type", "field", "extra"),
    [
        ("VisitRecorded", "note", {}),
        ("DutyIntervention", "action", {}),
        ("CorrectionRecorded", "reason", {"corrects_version": 1}),
    ],
)
def test_any_text_in_an_event_is_201_400_or_422_and_stored_as_sent(
    client, ledger, staff, case_id, event_type, field, extra
) -> None:
    seen: set[int] = set()

    @SETTINGS
    @given(text=TEXT)
    def run(text: str) -> None:
        body = {"type": event_type, field: text, **extra}
        response = post(client, f"/cases/{case_id}/events", body, staff)
        seen.add(response.status_code)
        assert response.status_code == expected_status(text), (repr(text), response.text)
        if response.status_code == 422:
            assert_problem(response, 422, rule="personal_data.in_free_text", field=field)
        if response.status_code == 201:
            version = response.json()["version"]
            history = ledger.history(UUID(case_id), READER)
            [event] = [e for _, e in history if e.originator_version == version]
            assert getattr(event, field) == text
            assert not FORBIDDEN.search(getattr(event, field))

    run()
    assert seen == {201, 400, 422}


def test_any_text_in_a_registration_is_201_400_or_422_and_stored_as_sent(
    client, ledger, staff
) -> None:
    seen: set[int] = set()

    @SETTINGS
    @given(
        window=st.one_of(
            st.text(CHARACTERS, max_size=20),
            st.text(CHARACTERS, min_size=95, max_size=110),
            DIGITS,
        )
    )
    def run(window: str) -> None:
        body: dict[str, Any] = {
            "channel": "window",
            "matter": {"code": "SI-ARREARS", "name": "养老保险费补缴"},
            "centre": "huoshan",
            "department": "人社",
            "window": window,
            "applicant": {"name": "李某"},
        }
        response = post(client, "/cases", body, staff)
        seen.add(response.status_code)
        expected = expected_status(window, max_length=100)
        assert response.status_code == expected, (repr(window), response.text)
        if response.status_code == 422:
            assert_problem(response, 422, rule="personal_data.in_free_text", field="window")
        if response.status_code == 201:
            case = ledger.get_case(UUID(response.json()["case_id"]), READER)
            assert case.state.window == window

    run()
    assert seen == {201, 400, 422}
