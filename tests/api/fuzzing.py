"""The engine of `test_fuzz.py`: its knobs (LEDGER_FUZZ_*, read once here), one operation's
Hypothesis run over its Schemathesis strategy, the runs of many (in turn, or in worker processes
over HTTP), and the tally of every request sent, printed as a table (ops/fuzz/README.md)."""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, given
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

EXAMPLES = int(os.environ.get("LEDGER_FUZZ_EXAMPLES", "40"))
"""Per operation, generation mode and pass; at the default the whole module takes under a minute."""
SEED = os.environ.get("LEDGER_FUZZ_SEED")
"""Set: a random search from this seed (reproducible); unset: Hypothesis' fixed derandomized run."""
MIN_REQUESTS = int(os.environ.get("LEDGER_FUZZ_MIN_REQUESTS", "0"))
"""A run that sent fewer requests fails (a strategy that stopped early is not a big run)."""
TARGET = os.environ.get("LEDGER_FUZZ_TARGET", "asgi")
"""asgi: the app in this process, its waits cut short; serve: a real `ledger serve` (uvicorn,
notary, projections, timers, local witness) on a fresh database, over HTTP."""
PROCESSES = int(os.environ.get("LEDGER_FUZZ_PROCESSES", "6"))
"""Over HTTP, operations fuzzed at once, one worker process each: a request may wait as served
(5 s for a view position beyond the log), the others go on meanwhile. Not threads: Schemathesis'
and Hypothesis' caches broke under them (KeyError, SystemError from `ast`)."""

FUZZ_SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=SEED is None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
CHECKS = [status_code_conformance, content_type_conformance]
"""Every status and media type answered is documented for the operation."""
DOCUMENTED_503 = ("/not-sealed-yet", "/not-caught-up")
"""The one 5xx in the contract: 503, the log or a view has not caught up yet."""


@dataclass(frozen=True)
class Run:
    """One operation fuzzed in one mode: `key` names it in the tally ("real-case negative GET
    /cases/{case_id}"); `expected`, statuses it must reach (a case registered, a real case read)."""

    key: str
    label: str
    mode: GenerationMode
    case_id: str | None = None
    """Pinned as the `case_id` path parameter, when set."""
    expected: frozenset[int] = frozenset()


@dataclass
class Outcome:
    """What one `Run` sent and how it ended."""

    key: str
    statuses: Counter[int] = field(default_factory=Counter)
    seconds: float = 0.0
    failure: str | None = None


@dataclass
class Tally:
    """Every answer's status over the module, per run too: the counts the closing note reports."""

    started: float = field(default_factory=time.monotonic)
    outcomes: list[Outcome] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        statuses: Counter[int] = Counter()
        for outcome in self.outcomes:
            statuses.update(outcome.statuses)
        server_errors = {k: v for k, v in statuses.items() if k >= 500}
        return {
            "requests": statuses.total(),
            "min_requests": MIN_REQUESTS,
            "by_status": {str(k): v for k, v in sorted(statuses.items())},
            "5xx": sum(server_errors.values()),
            "503": server_errors.get(503, 0),
            "500": server_errors.get(500, 0),
            "other_5xx": sum(v for k, v in server_errors.items() if k not in (500, 503)),
            "target": TARGET,
            "processes": PROCESSES if TARGET == "serve" else 1,
            "examples": EXAMPLES,
            "seed": SEED,
            "seconds": round(time.monotonic() - self.started, 1),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "by_operation": {
                o.key: {
                    "requests": o.statuses.total(),
                    "by_status": {str(k): v for k, v in sorted(o.statuses.items())},
                    "seconds": round(o.seconds, 1),
                }
                for o in sorted(self.outcomes, key=lambda o: o.key)
            },
        }


def table(summary: dict[str, Any]) -> list[str]:
    """The summary as the lines printed after the module."""
    rows = [
        ("requests sent", summary["requests"]),
        *((f"  status {k}", v) for k, v in summary["by_status"].items()),
        ("5xx in all", summary["5xx"]),
        ("  503 (documented: not caught up)", summary["503"]),
        ("  500", summary["500"]),
        ("  other 5xx", summary["other_5xx"]),
    ]
    seed = summary["seed"] if summary["seed"] is not None else "derandomized"
    head = f"fuzz ({summary['target']}): {summary['examples']} examples per operation, "
    head += f"seed {seed}, {summary['seconds']} s"
    return [head, *(f"  {name:<36} {count:>8}" for name, count in rows)]


def closed(node: Any) -> Any:
    """The document with every object closed (`additionalProperties: false` where it says
    nothing). The app refuses unknown fields (400 naming the field), but Litestar writes no
    `additionalProperties` for a Struct, so most positive bodies would carry an unknown field and
    stop at the edge; closed, they reach the domain rules. Negative cases still send unknown
    fields, now as a violation of their own."""
    if isinstance(node, dict):
        if "properties" in node:
            node.setdefault("additionalProperties", False)
        for value in node.values():
            closed(value)
    elif isinstance(node, list):
        for value in node:
            closed(value)
    return node


def fuzz(
    run: Run,
    schema: Any,
    bearer: dict[str, str],
    base_url: str | None,
    settings: hypothesis.settings = FUZZ_SETTINGS,
) -> Outcome:
    """Send what the run's strategy generates, counting every answer; a 500, an undocumented
    status or media type, or a missing expected status is its `failure` (shrunk to a minimal
    example, shown as a curl command)."""
    outcome = Outcome(run.key)
    operation = next(op for op in operations(schema) if op.label == run.label)
    pinned = {"case_id": run.case_id} if run.case_id else None
    strategy = operation.as_strategy(generation_mode=run.mode, path_parameters=pinned)
    session = requests.Session() if base_url else None  # keep-alive over HTTP

    @settings
    @given(case=strategy)
    def send(case: Any) -> None:
        # A copy: the client adds its own default headers to the dict it is given.
        response = case.call(base_url=base_url, session=session, headers=dict(bearer))
        outcome.statuses[response.status_code] += 1
        if response.status_code >= 500:
            assert response.status_code == 503, (case.as_curl_command(), response.text)
            assert response.json()["type"].endswith(DOCUMENTED_503), response.text
            assert response.headers.get("retry-after") == ["1"], response.headers
        case.validate_response(response, checks=CHECKS)

    if SEED is not None:
        send = hypothesis.seed(int(SEED))(send)
    started = time.monotonic()
    try:
        send()
        # The token was accepted: the requests reached the handlers, not just the auth guard.
        assert set(outcome.statuses) - {401}, outcome.statuses
        assert run.expected <= set(outcome.statuses), (run.expected, outcome.statuses)
    except Exception as error:  # a failing example, or an operation that never got through
        outcome.failure = f"{run.key}: {error!r}"
    finally:
        outcome.seconds = time.monotonic() - started
        if session is not None:
            session.close()
    return outcome


def operations(schema: Any) -> list[Any]:
    """Every operation of the document; the core ones must be among them."""
    found = [result.ok() for result in schema.get_all_operations()]
    labels = {operation.label for operation in found}
    assert {
        "POST /cases",
        "POST /cases/{case_id}/events",
        "GET /cases/{case_id}",
        "GET /cases/{case_id}/events",
    } <= labels, labels
    return found


def negatable(operation: Any) -> bool:
    """Whether a negative case exists: GET /health has no parameter and no body to violate."""
    return bool(list(operation.iter_parameters())) or bool(operation.body)


def fuzz_all(
    runs: Iterable[Run],
    schema: Any,
    bearer: dict[str, str],
    base_url: str | None,
    tally: Tally,
) -> list[str]:
    """Fuzz every run (in process: in turn; over HTTP: PROCESSES at once), so one failing
    operation does not keep the others from being fuzzed; their failures."""
    if base_url is None:
        outcomes = [fuzz(run, schema, bearer, None) for run in runs]
    else:
        with ProcessPoolExecutor(
            PROCESSES,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(schema.raw_schema, bearer, base_url),
        ) as pool:
            outcomes = list(pool.map(_work, runs))
    tally.outcomes.extend(outcomes)
    return [o.failure for o in outcomes if o.failure is not None]


_WORKER: dict[str, Any] = {}
"""A worker process's schema (built once from the parent's document), token and URL."""


def _start_worker(document: dict[str, Any], bearer: dict[str, str], base_url: str) -> None:
    _WORKER.update(
        schema=schemathesis.openapi.from_dict(document), bearer=bearer, base_url=base_url
    )


def _work(run: Run) -> Outcome:
    return fuzz(run, _WORKER["schema"], _WORKER["bearer"], _WORKER["base_url"])
