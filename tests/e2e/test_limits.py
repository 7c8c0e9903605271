"""`ledger serve` under abuse: thousands of idle connections, a connection cap, requests that
never finish arriving, a flood of read-your-writes waits."""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import psutil

from ledger.application.tokens import create_token
from ledger.config.settings import Settings
from ledger.domain.values import Role
from ledger.store.database import Database
from tests.e2e.serving import wait_healthy
from tests.e2e.test_readme import free_port

LEDGER = str(Path(sys.executable).parent / "ledger")
IDLE = 2_000


@contextmanager
def serving(
    database: Database, tmp_path: Path, nofile: int | None = None, **settings: str
) -> Iterator[tuple[str, dict[str, str], subprocess.Popen[bytes]]]:
    """`ledger serve` on a fresh database with `LEDGER_<NAME>` settings; its soft open-files
    limit set to `nofile` (the common default 1024) before it starts, if given."""
    port = free_port()
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": database.owner_conninfo,
        "LEDGER_DATA_DIR": str(tmp_path),
        "LEDGER_WORKERS": "1",  # the limits are each process's: this one serves and is measured
        **{f"LEDGER_{k.upper()}": v for k, v in settings.items()},
    }
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]

    def limit() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, hard))

    url = f"http://127.0.0.1:{port}"
    log = tmp_path / f"serve-{port}.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [LEDGER, "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=limit,  # noqa: PLW1509 (only setrlimit: safe before exec)
        )
    try:
        wait_healthy(url, server, log)
        yield url, env, server
    finally:
        server.terminate()
        server.wait(timeout=60)


def idle_connections(port: int, count: int, stack: ExitStack) -> list[socket.socket]:
    """`count` TCP connections that never send a byte."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 512:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 512), hard))
    sockets = []
    for _ in range(count):
        s = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
        sockets.append(s)
    return sockets


def established(server: subprocess.Popen[bytes], port: int) -> int:
    conns = psutil.Process(server.pid).net_connections(kind="tcp")
    return sum(1 for c in conns if c.laddr and c.laddr.port == port and c.status == "ESTABLISHED")


def test_health_answers_while_two_thousand_idle_connections_are_open(
    database_factory: Callable[[], Database], tmp_path: Path
) -> None:
    # Started with the usual soft limit of 1024 open files: the server must raise its own.
    with (
        serving(database_factory(), tmp_path, nofile=1024, request_timeout="120") as (url, _, srv),
        ExitStack() as stack,
    ):
        port = int(url.rsplit(":", 1)[1])
        idle_connections(port, IDLE, stack)
        deadline = time.monotonic() + 30
        while established(srv, port) < IDLE and time.monotonic() < deadline:
            time.sleep(0.2)  # every idle connection accepted, each holding a descriptor
        assert established(srv, port) >= IDLE

        began = time.monotonic()
        health = httpx.get(f"{url}/health", timeout=5.0)
        took = time.monotonic() - began

        assert health.status_code == 200, health.text
        print(f"/health with {IDLE} idle connections open: {took * 1000:.0f} ms")


def test_past_the_connection_cap_a_request_answers_503_problem_json_and_is_closed(
    database_factory: Callable[[], Database], tmp_path: Path
) -> None:
    with serving(database_factory(), tmp_path, max_connections="40") as (url, _, _pid):
        port = int(url.rsplit(":", 1)[1])
        with ExitStack() as stack:
            idle_connections(port, 40, stack)
            time.sleep(0.5)
            with httpx.Client(base_url=url, timeout=5.0) as client:
                refused = client.get("/health")

        assert refused.status_code == 503
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["retry-after"] == "1"
        assert refused.headers["connection"] == "close"
        assert refused.json()["type"].endswith("/too-many-connections")
        time.sleep(0.5)  # the idle ones closed: room again
        assert httpx.get(f"{url}/health", timeout=5.0).status_code == 200


def test_a_request_that_never_finishes_arriving_is_cut_off_and_a_huge_head_refused(
    database_factory: Callable[[], Database], tmp_path: Path
) -> None:
    limits = {"request_timeout": "1", "max_header_bytes": "4096"}
    with serving(database_factory(), tmp_path, **limits) as (url, _, _pid):
        port = int(url.rsplit(":", 1)[1])
        silent = socket.create_connection(("127.0.0.1", port), timeout=10)
        slow = socket.create_connection(("127.0.0.1", port), timeout=10)
        slow.sendall(b"GET /health HTTP/1.1\r\nHost: ledger\r\n")  # the head never ends
        began = time.monotonic()
        for _ in range(3):  # a byte a while (slowloris) does not extend the deadline
            time.sleep(0.4)
            try:
                slow.sendall(b"X")
            except OSError:
                break

        closed = [s.recv(1024) for s in (silent, slow)]  # b"": the server closed them
        took = time.monotonic() - began
        silent.close()
        slow.close()

        with socket.create_connection(("127.0.0.1", port), timeout=10) as huge:
            huge.sendall(b"GET /health HTTP/1.1\r\nHost: ledger\r\nX-Filler: " + b"x" * 5000)
            refused = huge.recv(1024)  # a head past LEDGER_MAX_HEADER_BYTES, still unfinished

        assert closed == [b"", b""]
        assert took < 5
        assert refused.startswith(b"HTTP/1.1 431 ")
        assert httpx.get(f"{url}/health", timeout=5.0).status_code == 200  # whole requests pass


def test_past_the_parked_waits_cap_a_read_answers_503_at_once(
    database_factory: Callable[[], Database], tmp_path: Path
) -> None:
    with serving(database_factory(), tmp_path, max_parked_waits="20") as (url, env, _pid):
        settings = Settings.from_env(env)
        clerk = create_token(
            settings.token_secret, "clerk-w", [Role.CLERK], "人社", 600, centres=["*"]
        )
        headers = {"Authorization": f"Bearer {clerk}"}
        ahead = {"min_position": str(10**12)}  # a position no view has reached

        async def flood() -> tuple[list[httpx.Response], httpx.Response, float, bool]:
            limits = httpx.Limits(max_connections=100)
            async with httpx.AsyncClient(
                base_url=url, headers=headers, timeout=30.0, limits=limits
            ) as client:
                parked = [
                    asyncio.create_task(client.get("/cases", params=ahead)) for _ in range(20)
                ]
                await asyncio.sleep(1.5)  # all twenty parked
                began = time.monotonic()
                refused = await client.get("/cases", params=ahead)
                took = time.monotonic() - began
                still_parked = not any(task.done() for task in parked)
                return await asyncio.gather(*parked), refused, took, still_parked

        waited, refused, took, still_parked = asyncio.run(flood())

        assert still_parked  # the refusal came while the twenty were still waiting
        assert refused.status_code == 503
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["retry-after"] == "1"
        assert refused.json()["type"].endswith("/too-many-waits")
        assert {r.status_code for r in waited} == {503}
        assert {r.json()["type"].rsplit("/", 1)[1] for r in waited} == {"not-caught-up"}
        print(f"refused past the cap in {took * 1000:.0f} ms")
