"""What the e2e tests share about a `ledger serve` subprocess."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

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
