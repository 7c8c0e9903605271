"""Property test from the app's own OpenAPI schema: no generated request gets a 500, and every
answer is one the schema documents (its status, and its media type: problems are
`application/problem+json`), so the contract is honest.

Schemathesis loads /schema/openapi.json from the ASGI app in-process (its own app instance over the
session's ledger and PostgreSQL database) and generates requests for every operation, both valid
(positive) and schema-violating (negative) ones, sent with a bearer token whose roles may do nearly
everything. A second pass pins `case_id` to a real case, so generated events reach the domain
rules instead of stopping at 404. Last, every projection applies what was written and the notary
seals it.

The same tests are the fuzzing run at scale, in process or against a real `ledger serve` over
HTTP (ops/fuzz/README.md; the knobs are in `tests/api/fuzzing.py`). Every request sent is counted
by status and operation; the module ends with a table of them.

(Schemathesis' own pytest integration, `schemathesis.pytest.from_fixture(...).parametrize()`, does
not run under pytest 9.2: it sets `request.node._nodeid`, which pytest 9.2 no longer has. So each
operation's strategy is driven with plain Hypothesis `@given` here.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode

from ledger.api import cases
from ledger.api.app import create_app
from ledger.application.service import Ledger
from ledger.log import audit
from ledger.log.keys import load_signer
from ledger.log.notary import Notary
from ledger.projections import PROJECTIONS
from ledger.projections.configured import instances
from ledger.projections.projector import Projector
from ledger.projections.waiter import PositionWaiter
from tests.api.fuzzing import (
    FUZZ_SETTINGS,
    MIN_REQUESTS,
    TARGET,
    Run,
    Tally,
    closed,
    fuzz,
    fuzz_all,
    negatable,
    operations,
    table,
)
from tests.api.support import register
from tests.e2e.serving import wait_healthy
from tests.e2e.test_readme import free_port

SHORT_WAIT = 0.01
"""Seconds a request waits for a view, cosignatures or the notary in process."""


@pytest.fixture(scope="module")
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    """After the module: print the table of requests sent by status, write it as JSON to
    LEDGER_FUZZ_REPORT when set, and fail a run that sent fewer than LEDGER_FUZZ_MIN_REQUESTS."""
    counted = Tally()
    yield counted
    summary = counted.summary()
    # Shown under -q and without -s too: past the output capture, as `capsys.disabled()` does.
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is not None and reporter is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            for line in table(summary):
                reporter.write_line(line)
    if report := os.environ.get("LEDGER_FUZZ_REPORT"):
        Path(report).write_text(
            json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    assert summary["requests"] >= MIN_REQUESTS, table(summary)


@pytest.fixture(scope="module", autouse=True)
def short_waits() -> Iterator[None]:
    """In process, a generated `min_position` is mostly beyond the log: 503 at once, not after
    5 s each (the cap is on the waiter itself, so it holds for every view read, whatever its own
    timeout). A generated `witnessed=true` bundle is served without cosignatures at once, not
    after 2 s, and a `sealed=true` write without its leaf (no notary runs here), not after 5 s."""
    wait = PositionWaiter.wait

    async def short_wait(self: PositionWaiter, name: str, min_position: int, timeout: float) -> int:
        return await wait(self, name, min_position, min(timeout, SHORT_WAIT))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PositionWaiter, "wait", short_wait)
        patch.setattr(audit, "COSIGN_WAIT", SHORT_WAIT)
        patch.setattr(cases, "SEAL_WAIT", SHORT_WAIT)
        yield


@pytest.fixture(scope="module")
def served(
    settings: Any, database_factory: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str | None]:
    """Under LEDGER_FUZZ_TARGET=serve, the URL of a `ledger serve` of its own (accepting the
    suite's tokens), which must still be running when the module ends; else None."""
    if TARGET != "serve":
        yield None
        return
    data_dir = tmp_path_factory.mktemp("fuzz-serve")
    port = free_port()
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": database_factory().owner_conninfo,
        "LEDGER_DATA_DIR": str(data_dir),
        "LEDGER_TOKEN_SECRET": settings.token_secret.hex(),
    }
    log = data_dir / "serve.log"  # a file, not a pipe nobody drains
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "ledger"), "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", server, log)
        yield f"http://127.0.0.1:{port}"
        assert server.poll() is None, log.read_text()[-3000:]
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture(scope="module")
def bearer(token_for: Any) -> dict[str, str]:
    """Front-line, supervisory and duty roles: most generated writes pass the role check."""
    return token_for(
        "fuzz-1", "clerk", "department_head", "duty_officer", "centre_director", unit="人社"
    )


@pytest.fixture(scope="module")
def fuzz_case_id(
    served: str | None, client: Any, bearer: dict[str, str], settings: Any, database: Any
) -> str:
    """A real case, sealed and checkpointed, so its bundle and proofs exist."""
    if served is not None:
        with httpx.Client(base_url=served) as http:
            case_id = register(http, bearer)
            deadline = time.monotonic() + 30  # the served notary seals within a second
            while http.get(f"/cases/{case_id}/bundle", headers=bearer).status_code != 200:
                assert time.monotonic() < deadline, "the served notary did not seal the case"
                time.sleep(0.2)
        return case_id
    case_id = register(client, bearer)
    signer = load_signer(settings.notary_key_path, settings.origin)
    notary = Notary(database.notary_conninfo, signer, settings.origin)
    notary.catch_up()
    notary.close()
    return case_id


@pytest.fixture(scope="module")
def api_schema(served: str | None, settings: Any, ledger: Any, fuzz_case_id: str) -> Any:
    # A sealed and checkpointed case exists first (so the notary's key too, as under `ledger
    # serve`), whichever module ran before: the audit routes answer 200 and their media types
    # are checked, not a 503.
    if served is not None:
        document = schemathesis.openapi.from_url(f"{served}/schema/openapi.json").raw_schema
        return schemathesis.openapi.from_dict(closed(document))
    app = create_app(settings, ledger)
    document = schemathesis.openapi.from_asgi("/schema/openapi.json", app).raw_schema
    schema = schemathesis.openapi.from_dict(closed(document))
    schema.app = app
    return schema


def _must_see(mode: GenerationMode, operation: Any, *, real_case: bool) -> frozenset[int]:
    """Statuses a positive pass must reach: a case registered, a real case read."""
    if mode is not GenerationMode.POSITIVE:
        return frozenset()
    if real_case:
        return frozenset({200} if operation.method.upper() == "GET" else ())
    return frozenset({201} if operation.label == "POST /cases" else ())


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_gets_a_server_error(
    api_schema: Any, served: str | None, bearer: dict[str, str], tally: Tally, mode: GenerationMode
) -> None:
    runs = [
        Run(
            f"{mode.value} {operation.label}",
            operation.label,
            mode,
            expected=_must_see(mode, operation, real_case=False),
        )
        for operation in operations(api_schema)
        if mode is GenerationMode.POSITIVE or negatable(operation)
    ]
    failures = fuzz_all(runs, api_schema, bearer, served, tally)
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_on_a_real_case_gets_a_server_error(
    api_schema: Any,
    served: str | None,
    bearer: dict[str, str],
    fuzz_case_id: str,
    tally: Tally,
    mode: GenerationMode,
) -> None:
    runs = [
        Run(
            f"real-case {mode.value} {operation.label}",
            operation.label,
            mode,
            case_id=fuzz_case_id,
            expected=_must_see(mode, operation, real_case=True),
        )
        for operation in operations(api_schema)
        if "{case_id}" in operation.path
    ]
    failures = fuzz_all(runs, api_schema, bearer, served, tally)
    assert not failures, "\n\n".join(failures)


def test_every_fuzzed_write_is_projected_and_sealed(
    served: str | None, bearer: dict[str, str], settings: Any, database: Any
) -> None:
    """What the fuzzing wrote (odd text, dates at the edges of their ranges), every view applies
    and the notary seals: no projection stopped before a fuzzed event."""
    if served is not None:  # the served projections ran all along; /health names a stopped one
        health = httpx.get(f"{served}/health", headers=bearer).json()
        assert health["degraded"] == [], health
        return
    for projection in instances(PROJECTIONS):
        projector = Projector(database.app_conninfo, projection)
        try:
            projector.catch_up()
            assert projector.stopped_before is None, (projector.name, projector.stopped_before)
        finally:
            projector.close()
    signer = load_signer(settings.notary_key_path, settings.origin)
    notary = Notary(database.notary_conninfo, signer, settings.origin)
    try:
        notary.catch_up()
    finally:
        notary.close()


def test_a_server_error_fails_the_run_and_is_counted(
    api_schema: Any,
    served: str | None,
    bearer: dict[str, str],
    fuzz_case_id: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The harness itself: a handler that breaks is a failure naming the 500, not a pass."""
    if served is not None:
        pytest.skip("breaks a handler in process")

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(Ledger, "history", broken)
    run = Run("broken", "GET /cases/{case_id}/events", GenerationMode.POSITIVE, fuzz_case_id)
    no_shrinking = hypothesis.settings(FUZZ_SETTINGS, phases=[hypothesis.Phase.generate])
    outcome = fuzz(run, api_schema, bearer, None, no_shrinking)
    assert outcome.statuses[500] >= 1, outcome.statuses
    assert outcome.failure is not None and "500" in outcome.failure, outcome.failure
