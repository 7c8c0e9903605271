"""Runs demo plans against a ledger over its public HTTP API: idempotently, and in parallel.

Nothing here touches the database: every write is a `POST` with a bearer token minted from the
server's own token secret (as `ledger token create` does) and an Idempotency-Key derived from
the plan (`demo:<case key>:<step>`), so a second run gets the original receipts back and adds
nothing. Registrations go first, one centre at a time in date order, so case numbers follow the
calendar; then each case's remaining steps run in order, cases side by side on a pool of
keep-alive connections (the server group-commits concurrent writes). A step dated after now is
left for a later run, as is everything after it in its case: the server refuses future times,
and moving the time would change the request and so its key's meaning.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import msgspec

from ledger.application.tokens import create_token
from ledger.demo.plan import MINTED_NAMES, CaseOf, CasePlan, Minted, Staff, Step
from ledger.domain.tenancy import EVERY_CENTRE
from ledger.domain.values import Role

TOKEN_TTL = 3600
ATTEMPTS = 4  # per request, on a dropped connection; safe because every write carries a key


class DemoError(Exception):
    """A write the ledger refused: the plan and the server disagree."""


@dataclass
class CaseResult:
    plan: CasePlan
    case_id: str | None = None
    created: bool = False
    appended: int = 0
    replayed: int = 0
    deferred: int = 0
    error: str | None = None


@dataclass
class Summary:
    results: list[CaseResult] = field(default_factory=list)
    seconds: float = 0.0

    def cases(self, story: bool) -> list[CaseResult]:
        return [r for r in self.results if (r.plan.story != "synthetic") == story]

    @property
    def errors(self) -> list[str]:
        return [f"{r.plan.key}: {r.error}" for r in self.results if r.error]

    def case_ids(self) -> dict[str, str]:
        return {r.plan.key: r.case_id for r in self.results if r.case_id}

    def lines(self) -> list[str]:
        def cases(story: bool) -> str:
            rs = self.cases(story)
            created = sum(r.created for r in rs)
            present = sum(bool(r.case_id) and not r.created for r in rs)
            return f"{len(rs)} cases: {created} created, {present} already present"

        stories = sorted({r.plan.story for r in self.cases(True)})
        appended = sum(r.appended for r in self.results)
        replayed = sum(r.replayed for r in self.results)
        deferred = sum(r.deferred for r in self.results)
        return [
            f"stories:   {cases(True)} ({', '.join(stories)})",
            f"synthetic: {cases(False)}",
            f"events:    {appended} appended, {replayed} replayed (already recorded)"
            + (f", {deferred} dated after now left for a later run" if deferred else ""),
            f"elapsed:   {self.seconds:.1f} s"
            + (f"; {len(self.errors)} failed" if self.errors else ""),
        ]


class Client:
    """One keep-alive HTTP connection per thread, and one bearer token per actor."""

    def __init__(self, base_url: str, token_secret: bytes) -> None:
        url = urlsplit(base_url)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"not an http(s) URL: {base_url}")
        self.https = url.scheme == "https"
        self.host, self.port = url.hostname, url.port
        self.prefix = url.path.rstrip("/")
        self.secret = token_secret
        self.tokens: dict[Staff, str] = {}
        self.local = threading.local()
        self.lock = threading.Lock()

    def token(self, staff: Staff) -> str:
        with self.lock:
            if staff not in self.tokens:
                roles = [Role(r) for r in staff.roles]
                # The stories span centres; one staff id is one person there, so every centre.
                self.tokens[staff] = create_token(
                    self.secret, staff.id, roles, staff.unit, TOKEN_TTL, centres=[EVERY_CENTRE]
                )
            return self.tokens[staff]

    def post(
        self, path: str, by: Staff, body: bytes, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        headers = {
            "Authorization": f"Bearer {self.token(by)}",
            "Content-Type": "application/json",
            **headers,
        }
        for attempt in range(ATTEMPTS):
            connection = self._connection()
            try:
                connection.request("POST", self.prefix + path, body, headers)
                response = connection.getresponse()
                data = response.read()
            except (http.client.HTTPException, OSError):
                connection.close()
                self.local.connection = None
                if attempt == ATTEMPTS - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))
                continue
            content = msgspec.json.decode(data) if data else None
            return response.status, {k.lower(): v for k, v in response.getheaders()}, content
        raise AssertionError("unreachable")

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self.local, "connection", None)
        if connection is None:
            kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
            connection = kind(self.host, self.port, timeout=60)
            self.local.connection = connection
        return connection


def load(
    client: Client, plans: Iterable[CasePlan], workers: int = 16, now: datetime | None = None
) -> Summary:
    """Register every plan's case, then append its steps; returns what was created or replayed."""
    started = time.monotonic()
    now = now or datetime.now(timezone.utc)  # noqa: UP017
    results = [CaseResult(plan) for plan in plans]
    by_key = {result.plan.key: result for result in results}  # for `CaseOf` placeholders
    by_centre: dict[str, list[CaseResult]] = defaultdict(list)
    for result in sorted(results, key=lambda r: r.plan.registered_at):
        by_centre[result.plan.centre].append(result)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        appending: list[Future[None]] = []

        def register_centre(results: list[CaseResult]) -> None:
            """One centre's cases in date order; each case's events follow as it is registered."""
            for result in results:
                if (version := _register(client, result, now)) is not None:
                    appending.append(pool.submit(_append_all, client, result, version, now, by_key))

        for registering in [pool.submit(register_centre, rs) for rs in by_centre.values()]:
            registering.result()
        for future in appending:
            future.result()
    return Summary(results=results, seconds=time.monotonic() - started)


def _register(client: Client, result: CaseResult, now: datetime) -> int | None:
    """Register the plan's case (or get its receipt back); its version, or None if not now."""
    step = result.plan.steps[0]
    if step.at > now:
        result.deferred = len(result.plan.steps)
        return None
    try:
        reply, replayed = _write(client, "/cases", step, result.plan.key, 0, None)
    except DemoError as e:
        result.error = str(e)
        return None
    result.case_id, result.created = reply["case_id"], not replayed
    result.appended, result.replayed = int(not replayed), int(replayed)
    return int(reply["version"])


def _append_all(
    client: Client,
    result: CaseResult,
    version: int,
    now: datetime,
    by_key: dict[str, CaseResult],
) -> None:
    minted: dict[str, str] = {
        f"case:{key}": other.case_id for key, other in by_key.items() if other.case_id
    }
    for index, step in enumerate(result.plan.steps[1:], start=1):
        if step.at > now:
            result.deferred = len(result.plan.steps) - index
            return
        path = f"/cases/{result.case_id}/events"
        try:
            reply, replayed = _write(client, path, step, result.plan.key, index, version, minted)
        except DemoError as e:
            result.error = str(e)
            return
        version = int(reply["version"])
        minted.update({k: reply[k] for k in MINTED_NAMES if reply.get(k) is not None})
        result.replayed += replayed
        result.appended += not replayed


def _write(
    client: Client,
    path: str,
    step: Step,
    key: str,
    index: int,
    version: int | None,
    minted: dict[str, str] | None = None,
) -> tuple[dict[str, Any], bool]:
    body = {k: _fill(v, minted or {}) for k, v in step.body.items()}
    body["occurred_at"] = step.at
    headers = {"Idempotency-Key": f"demo:{key}:{index:02d}"}
    if version is not None:
        headers["If-Match"] = f'"{version}"'
    status, reply_headers, reply = client.post(path, step.by, msgspec.json.encode(body), headers)
    if status != 201:
        what = step.body.get("type", "Registered")
        problem = reply if isinstance(reply, dict) else {}
        reason = problem.get("rule") or problem.get("field") or problem.get("title")
        raise DemoError(f"step {index} ({what}): {status} {reason}: {problem.get('detail', '')}")
    return reply, reply_headers.get("idempotent-replayed") == "true"


def _fill(value: Any, minted: dict[str, str]) -> Any:
    if isinstance(value, CaseOf):
        if f"case:{value.key}" not in minted:
            raise DemoError(f"case {value.key} is not registered (an earlier case, same centre)")
        return minted[f"case:{value.key}"]
    if isinstance(value, Minted):
        if value.name not in minted:
            raise DemoError(f"no {value.name} was minted earlier in this case")
        return minted[value.name]
    return value
