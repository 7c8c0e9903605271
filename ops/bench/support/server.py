"""`ledger serve` as a subprocess on 127.0.0.1 for the HTTP phases, and stopping it again."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
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
    timers: bool = True,
    workers: int | None = None,
    extra_env: dict[str, str] | None = None,
) -> Path:
    """`ledger serve` on the bench database (`--workers N` when given, else its default); JSON
    logs go to a file. With the notary on, it returns once the notary has sealed what is already
    stored."""
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
    if not timers:
        command.append("--no-timers")
    if workers is not None:
        command += ["--workers", str(workers)]
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
    _until_caught_up(
        owner_conninfo,
        "SELECT (SELECT last_position FROM ledger_notary_state), "
        "(SELECT coalesce(max(notification_id), 0) FROM ledger_events)",
        "the notary did not catch up with the seeded log in time",
        timeout,
        every=0.5,
    )


def wait_for_views(owner: str, timeout: float = 600) -> None:
    """Until every projection has projected the whole log (the server catches them up), and the
    server's drainer has emptied the queue of the cases view's tallies (docs/DECISIONS.md, "The
    cases' section from per-day tallies"): a catch-up leaves it a backlog that reads would
    otherwise add up per request, which is not the steady state a report is timed in."""
    _until_caught_up(
        owner,
        "SELECT (SELECT min(coalesce(t.position, 0)) FROM ledger_projections p "
        " LEFT JOIN ledger_projection_tracking t "
        " ON t.name = p.name AND t.generation = p.generation), "
        "(SELECT coalesce(max(notification_id), 0) FROM ledger_events)",
        "the projections did not catch up with the log in time",
        timeout,
        every=1.0,
    )
    _until_caught_up(
        owner,
        "SELECT -(SELECT count(*) FROM view_case_pending), 0",
        "the tallies' queue was not drained in time",
        timeout,
        every=1.0,
    )


def _until_caught_up(owner: str, query: str, failure: str, timeout: float, every: float) -> None:
    """Poll `query` (a position reached, then the log's head) until the first is at the head."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(owner, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(query).fetchone()
            if row is not None and row[0] is not None and row[0] >= row[1]:
                return
            time.sleep(every)
    raise RuntimeError(failure)


_LAGS = (
    "SELECT p.name, (SELECT coalesce(max(notification_id), 0) FROM ledger_events) - t.position "
    "FROM ledger_projections p JOIN ledger_projection_tracking t "
    "ON t.name = p.name AND t.generation = p.generation"
)


class ViewLag:
    """During a phase, each view's distance behind the log (events), sampled every `every`
    seconds on a connection of its own: what a read-your-writes read waits out."""

    def __init__(self, owner: str, every: float = 0.1) -> None:
        self.owner, self.every = owner, every
        self.samples: dict[str, list[int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> ViewLag:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        with psycopg.connect(self.owner, autocommit=True) as conn:
            while not self._stop.wait(self.every):
                for name, lag in conn.execute(_LAGS).fetchall():
                    self.samples.setdefault(str(name), []).append(int(lag))

    def describe(self) -> str:
        """`view lag p50/max events: cases 3/40, ...`, the views in name order."""
        parts = []
        for name, lags in sorted(self.samples.items()):
            ordered = sorted(lags)
            parts.append(f"{name} {ordered[len(ordered) // 2]}/{ordered[-1]}")
        return "view lag p50/max events: " + ", ".join(parts) if parts else ""


def stop_server(run: Run) -> None:
    proc, run.server = run.server, None
    run.ours.server_pid = None
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
