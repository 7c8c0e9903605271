"""`ledger serve` (and, beside it, `ledger worker`) as subprocesses on 127.0.0.1 for the HTTP
phases, and stopping them again."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

if TYPE_CHECKING:
    from ledger.config.settings import Settings
    from support.run import Run


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    run: Run,
    owner_conninfo: str,
    settings: Settings,
    port: int,
    *,
    notary: bool = True,
    projections: str = "serve",
    extra_env: dict[str, str] | None = None,
) -> Path:
    """`ledger serve` (uvicorn, one worker) on the bench database; JSON logs go to a file.
    With its in-process notary, it returns once the notary has sealed what is already stored.
    `projections="worker"` runs them in a `ledger worker` beside `serve --no-projections`."""
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": owner_conninfo,
        "LEDGER_DATA_DIR": str(run.tmp / "server"),
        "LEDGER_TOKEN_SECRET": settings.token_secret.hex(),
        "LEDGER_PII_KEY": settings.pii_key.hex(),
        "LEDGER_SNAPSHOT_KEY": settings.snapshot_key.hex(),  # reads the bench's own snapshots
        "LEDGER_LOG_LEVEL": "info",
        **(extra_env or {}),
    }
    log_path = run.tmp / "server.log"
    cli = Path(sys.executable).parent / "ledger"
    command = [str(cli), "serve", "--host", "127.0.0.1", "--port", str(port)]
    if not notary:
        command.append("--no-notary")
    if projections == "worker":
        command.append("--no-projections")
        with (run.tmp / "worker.log").open("wb") as worker_log:
            run.worker = subprocess.Popen(
                [str(cli), "worker", "--no-notary", "--no-timers"],
                env=env,
                stdout=worker_log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        run.ours.worker_pid = run.worker.pid
    with log_path.open("wb") as log_file:
        run.server = subprocess.Popen(
            command, env=env, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
        )
    run.ours.server_pid = run.server.pid
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if run.server.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{log_path.read_text()[-3000:]}")
        with suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health")
            if conn.getresponse().status == 200:
                conn.close()
                if notary:
                    wait_for_notary(owner_conninfo)
                return log_path
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer /health within 60 s:\n{log_path.read_text()}")


def wait_for_notary(owner_conninfo: str, timeout: float = 300) -> None:
    """`ledger serve` runs the notary in-process; let it seal the seeded backlog first, so a
    phase measures steady state (sealing the few events each request adds), not a catch-up."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(owner_conninfo, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT (SELECT last_position FROM ledger_notary_state), "
                "(SELECT coalesce(max(notification_id), 0) FROM ledger_events)"
            ).fetchone()
            if row is not None and row[0] >= row[1]:
                return
            time.sleep(0.5)
    raise RuntimeError("the notary did not catch up with the seeded log in time")


def stop_server(run: Run) -> None:
    procs = [run.server, run.worker]
    run.server = run.worker = None
    run.ours.server_pid = run.ours.worker_pid = None
    for proc in procs:
        if proc is None or proc.poll() is not None:
            continue
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
