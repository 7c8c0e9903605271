"""Property test from the app's own OpenAPI schema: no generated request gets a 500, and every
answer is one the schema documents (its status, and its media type: problems are
`application/problem+json`), so the contract is honest.

Schemathesis loads /schema/openapi.json from the ASGI app in-process (its own app instance over the
session's ledger and PostgreSQL database) and generates requests for every operation, both valid
(positive) and schema-violating (negative) ones, sent with a bearer token whose roles may do nearly
everything. A second pass pins `case_id` to a real case, so generated events reach the domain
rules instead of stopping at 404.

The same tests are the fuzzing run at scale (ops/fuzz/README.md): LEDGER_FUZZ_EXAMPLES,
LEDGER_FUZZ_SEED and LEDGER_FUZZ_MIN_REQUESTS below. Every request sent is counted by status and
operation; the module ends with a table of them (and LEDGER_FUZZ_REPORT=FILE writes it as JSON).

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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, given
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from ledger.api.app import create_app
from ledger.log.keys import load_signer
from ledger.log.notary import Notary
from ledger.projections.waiter import PositionWaiter
from tests.api.support import register

EXAMPLES = int(os.environ.get("LEDGER_FUZZ_EXAMPLES", "40"))
"""Per operation, generation mode and pass; at the default the whole module takes under a minute."""
SEED = os.environ.get("LEDGER_FUZZ_SEED")
"""Set: a random search from this seed (reproducible); unset: Hypothesis' fixed derandomized run."""
MIN_REQUESTS = int(os.environ.get("LEDGER_FUZZ_MIN_REQUESTS", "0"))
"""A run that sent fewer requests fails (a strategy that stopped early is not a big run)."""
VIEW_WAIT = 0.01
"""Seconds a read waits for its view here (5 under `ledger serve`): see `short_view_waits`."""

FUZZ_SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=SEED is None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
STATUSES: Counter[int] = Counter()
"""Every answer's status, over the module: the request count the closing note reports."""
REQUESTS: Counter[str] = Counter()
"""Requests per pass, mode and operation ("real-case negative GET /cases/{case_id}")."""
SECONDS: Counter[str] = Counter()
"""Wall time per pass, mode and operation, the same keys."""


@pytest.fixture(scope="module", autouse=True)
def tally(request: pytest.FixtureRequest) -> Iterator[None]:
    """After the module: print the table of requests sent by status, write it as JSON to
    LEDGER_FUZZ_REPORT when set, and fail a run that sent fewer than LEDGER_FUZZ_MIN_REQUESTS."""
    started = time.monotonic()
    STATUSES.clear()
    REQUESTS.clear()
    SECONDS.clear()
    yield
    summary = _summary(time.monotonic() - started)
    # Shown under -q and without -s too: past the output capture, as `capsys.disabled()` does.
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is not None and reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            for line in _table(summary):
                reporter.write_line(line)
    if report := os.environ.get("LEDGER_FUZZ_REPORT"):
        Path(report).write_text(
            json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    assert summary["requests"] >= MIN_REQUESTS, _table(summary)


def _summary(seconds: float) -> dict[str, Any]:
    total = sum(STATUSES.values())
    server_errors = {k: v for k, v in STATUSES.items() if k >= 500}
    return {
        "requests": total,
        "min_requests": MIN_REQUESTS,
        "by_status": {str(k): v for k, v in sorted(STATUSES.items())},
        "5xx": sum(server_errors.values()),
        "503": server_errors.get(503, 0),
        "500": server_errors.get(500, 0),
        "other_5xx": sum(v for k, v in server_errors.items() if k not in (500, 503)),
        "examples": EXAMPLES,
        "seed": SEED,
        "seconds": round(seconds, 1),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "by_operation": {
            key: {"requests": REQUESTS[key], "seconds": round(SECONDS[key], 1)}
            for key in sorted(REQUESTS)
        },
    }


def _table(summary: dict[str, Any]) -> list[str]:
    rows = [
        ("requests sent", summary["requests"]),
        *((f"  status {k}", v) for k, v in summary["by_status"].items()),
        ("5xx in all", summary["5xx"]),
        ("  503 (documented: not caught up / busy)", summary["503"]),
        ("  500", summary["500"]),
        ("  other 5xx", summary["other_5xx"]),
    ]
    seed = summary["seed"] if summary["seed"] is not None else "derandomized"
    head = f"fuzz: {summary['examples']} examples per operation, seed {seed}, "
    head += f"{summary['seconds']} s"
    return [head, *(f"  {name:<42} {count:>8}" for name, count in rows)]


@pytest.fixture(scope="module", autouse=True)
def short_view_waits() -> Iterator[None]:
    """A generated `min_position` is mostly beyond the log: 503 at once, not after 5 s each. The
    cap is on the waiter itself, so it holds for every view read, whatever its own timeout."""
    wait = PositionWaiter.wait

    async def short_wait(self: PositionWaiter, name: str, min_position: int, timeout: float) -> int:
        return await wait(self, name, min_position, min(timeout, VIEW_WAIT))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PositionWaiter, "wait", short_wait)
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


def _fuzz(key: str, strategy: Any, bearer: dict[str, str]) -> set[int]:
    """Run the operation's strategy (counting every request under `key`); the statuses seen."""
    statuses: set[int] = set()

    @FUZZ_SETTINGS
    @given(case=strategy)
    def run(case: Any) -> None:
        # A copy: the client adds its own default headers to the dict it is given.
        response = case.call(headers=dict(bearer))
        STATUSES[response.status_code] += 1
        REQUESTS[key] += 1
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
    started = time.monotonic()
    try:
        run()
    finally:
        SECONDS[key] += time.monotonic() - started
    # The token was accepted: the requests reached the handlers, not just the auth guard.
    assert statuses - {401}, (key, statuses)
    return statuses


def _fuzz_all(runs: list[tuple[str, Any, set[int]]], bearer: dict[str, str]) -> None:
    """Fuzz every (key, strategy, statuses it must include) in turn, so one failing operation
    does not keep the others from being fuzzed; fails with all of their failures."""
    failures: list[str] = []
    for key, strategy, expected in runs:
        try:
            statuses = _fuzz(key, strategy, bearer)
            assert expected <= statuses, (key, statuses)
        except Exception as error:  # a failing example, or an operation that never got through
            failures.append(f"{key}: {error!r}")
    assert not failures, "\n\n".join(failures)


def _must_see(mode: GenerationMode, operation: Any, *, real_case: bool) -> set[int]:
    """Statuses a positive pass must reach: a case registered, a real case read."""
    if mode is not GenerationMode.POSITIVE:
        return set()
    if real_case:
        return {200} if operation.method.upper() == "GET" else set()
    return {201} if operation.label == "POST /cases" else set()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_gets_a_server_error(
    api_schema: Any, bearer: dict[str, str], mode: GenerationMode
) -> None:
    runs = [
        (
            f"{mode.value} {operation.label}",
            operation.as_strategy(generation_mode=mode),
            _must_see(mode, operation, real_case=False),
        )
        for operation in _operations(api_schema)
        if mode is GenerationMode.POSITIVE or _negatable(operation)
    ]
    _fuzz_all(runs, bearer)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_on_a_real_case_gets_a_server_error(
    api_schema: Any, bearer: dict[str, str], fuzz_case_id: str, mode: GenerationMode
) -> None:
    pinned = {"case_id": fuzz_case_id}
    runs = [
        (
            f"real-case {mode.value} {operation.label}",
            operation.as_strategy(generation_mode=mode, path_parameters=pinned),
            _must_see(mode, operation, real_case=True),
        )
        for operation in _operations(api_schema)
        if "{case_id}" in operation.path
    ]
    _fuzz_all(runs, bearer)
