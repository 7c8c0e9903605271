"""Property test from the app's own OpenAPI schema: no generated request gets a 5xx, and every
answer is one the schema documents (its status, and its media type: problems are
`application/problem+json`), so the contract is honest.

Schemathesis loads /schema/openapi.json from the ASGI app in-process (its own app instance over the
session's ledger and PostgreSQL database) and generates requests for every operation, both valid
(positive) and schema-violating (negative) ones, sent with a bearer token whose roles may do nearly
everything. A second pass pins `case_id` to a real case, so generated events reach the domain
rules instead of stopping at 404.

(Schemathesis' own pytest integration, `schemathesis.pytest.from_fixture(...).parametrize()`, does
not run under pytest 9.2: it sets `request.node._nodeid`, which pytest 9.2 no longer has. So each
operation's strategy is driven with plain Hypothesis `@given` here.)
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from ledger.api import case_view as views
from ledger.api import metrics
from ledger.api.app import create_app
from ledger.log.keys import load_signer
from ledger.log.notary import Notary
from tests.api.support import register

EXAMPLES = int(os.environ.get("LEDGER_FUZZ_EXAMPLES", "40"))
"""Per operation and generation mode; at the default the whole module runs in a few seconds.
At scale (ops/fuzz/README.md): LEDGER_FUZZ_EXAMPLES=400 LEDGER_FUZZ_SEED=N sends ~50k requests."""
SEED = os.environ.get("LEDGER_FUZZ_SEED")
"""Set: a random search from this seed (reproducible); unset: Hypothesis' fixed derandomized run."""

FUZZ_SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=SEED is None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
TALLY: Counter[int] = Counter()
"""Every answer's status, over the module: the request count the closing note reports."""


@pytest.fixture(scope="module", autouse=True)
def tally() -> Iterator[None]:
    """Print the requests sent and the answers by status; LEDGER_FUZZ_REPORT=FILE writes them as
    JSON; LEDGER_FUZZ_MIN_REQUESTS=N fails a run that sent fewer (a strategy that stopped early)."""
    started = time.monotonic()
    TALLY.clear()
    yield
    total = sum(TALLY.values())
    summary = {
        "requests": total,
        "by_status": {str(k): v for k, v in sorted(TALLY.items())},
        "server_errors_500": sum(v for k, v in TALLY.items() if k >= 500 and k != 503),
        "seed": SEED,
        "examples": EXAMPLES,
        "seconds": round(time.monotonic() - started, 1),
    }
    print("\nfuzz:", json.dumps(summary))
    if report := os.environ.get("LEDGER_FUZZ_REPORT"):
        Path(report).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    assert total >= int(os.environ.get("LEDGER_FUZZ_MIN_REQUESTS", "0")), summary


@pytest.fixture(scope="module", autouse=True)
def short_view_waits() -> Iterator[None]:
    """A generated `min_position` is mostly beyond the log: 503 at once, not after 5 s each."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(metrics, "VIEW_WAIT", 0.01)
        patch.setattr(views, "VIEW_WAIT", 0.01)
        yield


@pytest.fixture(scope="module")
def api_schema(settings: Any, ledger: Any, fuzz_case_id: str) -> Any:
    # A sealed and checkpointed case exists first (so the notary's key too, as under `ledger
    # serve`), whichever module ran before: the audit routes answer 200 and their media types
    # are checked, not a 503.
    return schemathesis.openapi.from_asgi("/schema/openapi.json", create_app(settings, ledger))


@pytest.fixture(scope="module")
def bearer(token_for: Any) -> dict[str, str]:
    """Front-line, supervisory and duty roles: most generated writes pass the role check."""
    return token_for(
        "fuzz-1", "clerk", "department_head", "duty_officer", "centre_director", unit="人社"
    )


@pytest.fixture(scope="module")
def fuzz_case_id(client: Any, bearer: dict[str, str], settings: Any, database: Any) -> str:
    """A real case, sealed and checkpointed, so its bundle and proofs exist."""
    case_id = register(client, bearer)
    signer = load_signer(settings.notary_key_path, settings.origin)
    notary = Notary(database.notary_conninfo, signer, settings.origin)
    notary.catch_up()
    notary.close()
    return case_id


def _operations(api_schema: Any) -> list[Any]:
    operations = [result.ok() for result in api_schema.get_all_operations()]
    labels = {operation.label for operation in operations}
    assert {
        "POST /cases",
        "POST /cases/{case_id}/events",
        "GET /cases/{case_id}",
        "GET /cases/{case_id}/events",
    } <= labels, labels
    return operations


def _negatable(operation: Any) -> bool:
    """Whether a negative case exists: GET /health has no parameter and no body to violate."""
    return bool(list(operation.iter_parameters())) or bool(operation.body)


def _fuzz(operation: Any, strategy: Any, bearer: dict[str, str]) -> set[int]:
    """Run the operation's strategy; the statuses seen."""
    statuses: set[int] = set()

    @FUZZ_SETTINGS
    @given(case=strategy)
    def run(case: Any) -> None:
        # A copy: the client adds its own default headers to the dict it is given.
        response = case.call(headers=dict(bearer))
        TALLY[response.status_code] += 1
        if response.status_code >= 500:
            # The one 5xx in the contract: 503, the log or a view has not caught up yet.
            problem = response.json()
            assert response.status_code == 503, (case.as_curl_command(), response.text)
            assert problem["type"].endswith(("/not-sealed-yet", "/not-caught-up")), response.text
            assert response.headers.get("retry-after") == ["1"], response.headers
        # Every status and media type answered is documented for the operation.
        case.validate_response(response, checks=[status_code_conformance, content_type_conformance])
        statuses.add(response.status_code)

    if SEED is not None:
        run = hypothesis.seed(int(SEED))(run)
    try:
        run()
    except Exception as error:
        raise AssertionError(f"{operation.label}: {error}") from error
    # The token was accepted: the requests reached the handlers, not just the auth guard.
    assert statuses - {401}, (operation.label, statuses)
    return statuses


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_gets_a_server_error(
    api_schema: Any, bearer: dict[str, str], mode: GenerationMode
) -> None:
    for operation in _operations(api_schema):
        if mode is GenerationMode.NEGATIVE and not _negatable(operation):
            continue
        statuses = _fuzz(operation, operation.as_strategy(generation_mode=mode), bearer)
        if mode is GenerationMode.POSITIVE and operation.label == "POST /cases":
            assert 201 in statuses, statuses


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_on_a_real_case_gets_a_server_error(
    api_schema: Any, bearer: dict[str, str], fuzz_case_id: str, mode: GenerationMode
) -> None:
    for operation in _operations(api_schema):
        if "{case_id}" in operation.path:
            strategy = operation.as_strategy(
                generation_mode=mode, path_parameters={"case_id": fuzz_case_id}
            )
            statuses = _fuzz(operation, strategy, bearer)
            if mode is GenerationMode.POSITIVE and operation.method.upper() == "GET":
                assert 200 in statuses, (operation.label, statuses)
