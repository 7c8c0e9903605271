"""Helpers shared by the HTTP API tests: problem assertions, case setup, "nothing changed"."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from litestar.testing import TestClient

from ledger.application.service import Ledger
from tests.conftest import registration

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://case-ledger.example/problems/"

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(first17: str) -> str:
    """A 身份证号 with a correct GB 11643 check digit for its first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def assert_problem(
    response: Any,
    status: int,
    *,
    slug: str | None = None,
    rule: str | None = None,
    field: str | None = None,
) -> dict[str, Any]:
    """An RFC 9457 problem with the given status (and slug, rule, field when given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    problem = response.json()
    assert problem["status"] == status
    assert isinstance(problem["type"], str)
    assert problem["type"].startswith(PROBLEM_BASE), problem
    assert isinstance(problem["title"], str)
    assert problem["title"]
    if slug is not None:
        assert problem["type"] == PROBLEM_BASE + slug, problem
    if rule is not None:
        assert problem.get("rule") == rule, problem
    if field is not None:
        assert problem.get("field") == field, problem
    return problem


def register(client: TestClient[Any], headers: dict[str, str], **overrides: Any) -> str:
    """Register a case; its id."""
    response = client.post("/cases", json=registration(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["case_id"])


def append(
    client: TestClient[Any],
    case_id: str,
    headers: dict[str, str],
    body: dict[str, Any],
    **extra_headers: str,
) -> dict[str, Any]:
    """Append one event that must be accepted; the write response body."""
    response = client.post(
        f"/cases/{case_id}/events", json=body, headers={**headers, **extra_headers}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _observe(
    client: TestClient[Any], ledger: Ledger, reader: dict[str, str], case_id: str | None
) -> tuple[Any, ...]:
    head = ledger.recorder.max_notification_id()
    if case_id is None:
        return (head,)
    case = client.get(f"/cases/{case_id}", headers=reader)
    events = client.get(f"/cases/{case_id}/events", headers=reader)
    assert case.status_code == 200, case.text
    assert events.status_code == 200, events.text
    return head, case.headers["etag"], case.json(), events.json()


@contextmanager
def nothing_recorded(
    client: TestClient[Any],
    ledger: Ledger,
    reader: dict[str, str],
    case_id: str | None = None,
) -> Iterator[None]:
    """The log's head position (and the case's ETag, state and history) are the same after."""
    before = _observe(client, ledger, reader, case_id)
    yield
    assert _observe(client, ledger, reader, case_id) == before
