"""What the e2e tests share about a `ledger serve` subprocess."""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx


def wait_healthy(
    url: str, server: subprocess.Popen[bytes], log: Path, *, timeout: float = 60.0
) -> None:
    """Until GET /health answers 200; fails with the server's log if it exits or takes longer."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert server.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "ledger serve did not become healthy"
        time.sleep(0.2)


def logged_events(output: str) -> list[str]:
    """The `event` of every JSON line a process printed (its other lines are skipped)."""
    events = []
    for line in output.splitlines():
        with contextlib.suppress(ValueError):
            record = json.loads(line)
            if isinstance(record, dict) and "event" in record:
                events.append(str(record["event"]))
    return events


def wait_for(what: str, check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """`check()`'s first truthy answer, polled; fails naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.2)
    return result
