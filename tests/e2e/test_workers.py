"""`ledger serve --workers 2`: two API worker processes and a background one (notary,
projections, timers) on one embedded PostgreSQL, as an operator runs it: writers in parallel,
workers killed under them, the parent stopped or killed.

"Exactly once" is checked against each case's history; "no gap a projection skips" from outside,
the way a projection reads: a reader polls the events table for positions after the last it saw,
and at the end every stored position must have been seen that way (a position committed after a
higher one was visible would be missing), and the cases view must count every case and event."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import psycopg
import pytest

from ledger.application.tokens import create_token
from ledger.cli.processes import listening_socket
from ledger.config.settings import Settings
from ledger.domain.values import Role
from tests.conftest import registration
from tests.e2e.serving import wait_for
from tests.e2e.test_supervision import (
    LEDGER,
    Served,
    embedded_env,
    port_is_free,
    postgres_of,
    start,
)

WORKERS = 2
WRITERS = 8
DEADLINE = 60.0
"""Seconds one write may take, retries included, before the test fails."""


def serve_workers(data_dir: Path) -> Served:
    return start(data_dir, [LEDGER, "serve", "--workers", str(WORKERS)])


def children(served: Served) -> tuple[list[psutil.Process], psutil.Process]:
    """The API workers and the background process of a `serve --workers` parent."""
    api, background = [], []
    for child in psutil.Process(served.process.pid).children():
        command = child.cmdline()
        (api if "serve" in command else background).append(child)
    return api, background[0]


def log_events(served: Served, event: str) -> list[dict[str, Any]]:
    found = []
    for line in served.log_text().splitlines():
        if line.startswith("{") and f'"{event}"' in line:
            found.append(json.loads(line))
    return found


class Client:
    """One writer's keep-alive connection (http.client); any failure means a new connection."""

    def __init__(self, served: Served) -> None:
        self.port = served.port
        self.headers = {
            "Authorization": served.http.headers["Authorization"],
            "Content-Type": "application/json",
        }
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], Any]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            payload = None if body is None else json.dumps(body)
            self.conn.request(method, path, payload, {**self.headers, **(headers or {})})
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        answer = {k.lower(): v for k, v in response.getheaders()}
        if answer.get("connection") == "close":
            self.close()
        return response.status, answer, json.loads(data) if data else None

    def write(self, path: str, body: Any, key: str) -> dict[str, Any]:
        """POST until it is acknowledged (201), retrying with the same Idempotency-Key through
        dropped connections (a killed worker), 503 and 409."""
        deadline = time.monotonic() + DEADLINE
        while True:
            try:
                status, _, answer = self.request("POST", path, body, {"Idempotency-Key": key})
                if status == 201:
                    return answer  # type: ignore[no-any-return]
                assert status in (409, 503), (status, answer)
            except (OSError, http.client.HTTPException):
                pass
            assert time.monotonic() < deadline, f"{path} {key} not acknowledged"
            time.sleep(0.05)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@dataclass
class Load:
    """Writers appending to their own cases and to shared ones, and what was acknowledged."""

    served: Served
    cases: list[str] = field(default_factory=list)
    acked: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    """case id -> (Idempotency-Key, position) of each acknowledged append."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def register(self, client: Client, key: str) -> str:
        case_id = client.write("/cases", registration(), key)["case_id"]
        with self.lock:
            self.cases.append(case_id)
            self.acked[case_id] = []
        return str(case_id)

    def run(self, seconds: float, during: Callable[[], None] | None = None) -> None:
        setup = Client(self.served)
        shared = [self.register(setup, f"shared-{i}-{random.random()}") for i in range(2)]
        setup.close()
        stop = threading.Event()
        failures: list[BaseException] = []

        def writer(n: int) -> None:
            client = Client(self.served)
            try:
                own = [self.register(client, f"w{n}-case-{i}-{random.random()}") for i in range(3)]
                i = 0
                while not stop.is_set():
                    case_id = random.choice(own + shared)
                    key = f"w{n}-{i}-{random.random()}"
                    answer = client.write(
                        f"/cases/{case_id}/events", {"type": "VisitRecorded"}, key
                    )
                    with self.lock:
                        self.acked[case_id].append((key, answer["position"]))
                    i += 1
                    if i % 20 == 0:  # a new connection: another worker may accept it
                        client.close()
            except BaseException as e:
                failures.append(e)
            finally:
                client.close()

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
        for thread in threads:
            thread.start()
        time.sleep(seconds / 2)
        if during is not None:
            during()
        time.sleep(seconds / 2)
        stop.set()
        for thread in threads:
            thread.join(DEADLINE + 10)
        assert not failures, failures

    @property
    def positions(self) -> list[int]:
        return [p for writes in self.acked.values() for _, p in writes]


class Reader:
    """Reads the events table as a projection does, from outside: positions after the last seen."""

    def __init__(self, served: Served) -> None:
        lines = (served.pgdata / "postmaster.pid").read_text().splitlines()
        self.conninfo = f"host={lines[4]} port={lines[3]} user=postgres dbname=ledger"
        self.seen: list[int] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.poll)

    def poll(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            while True:
                last = self.seen[-1] if self.seen else 0
                rows = conn.execute(
                    "SELECT notification_id FROM ledger_events WHERE notification_id > %s"
                    " ORDER BY notification_id",
                    (last,),
                ).fetchall()
                self.seen.extend(row[0] for row in rows)
                if self.stop.is_set() and not rows:
                    return
                time.sleep(0.002)

    def all_positions(self) -> list[int]:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            rows = conn.execute("SELECT notification_id FROM ledger_events ORDER BY 1").fetchall()
        return [row[0] for row in rows]

    def __enter__(self) -> Reader:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(30)


def assert_exactly_once(load: Load) -> None:
    """Every acknowledged append is in its case's history once, and nothing else is."""
    client = Client(load.served)
    try:
        for case_id in load.cases:
            status, _, history = client.request("GET", f"/cases/{case_id}/events")
            assert status == 200, history
            events = history["events"]
            acked = sorted(p for _, p in load.acked[case_id])
            assert [e["type"] for e in events] == ["Registered"] + ["VisitRecorded"] * len(acked)
            assert [e["version"] for e in events] == list(range(1, len(events) + 1))
            assert sorted(e["position"] for e in events[1:]) == acked
    finally:
        client.close()
    positions = load.positions
    assert len(positions) == len(set(positions))  # no position acknowledged twice


def assert_views_count_everything(load: Load) -> None:
    """Read-your-writes on the last position, then: every case in the cases view, at the version
    its history has (a skipped event would leave a version short)."""
    last = max(load.positions)
    client = Client(load.served)
    versions: dict[str, int] = {}
    cursor = ""
    try:
        deadline = time.monotonic() + DEADLINE
        while True:
            status, _, page = client.request(
                "GET", f"/cases?limit=100{cursor}", headers={"Ledger-Position": str(last)}
            )
            if status == 503 and time.monotonic() < deadline:  # not caught up yet: Retry-After
                time.sleep(0.5)
                continue
            assert status == 200, page
            assert page["as_of_position"] >= last
            versions.update({c["case_id"]: c["version"] for c in page["cases"]})
            if not page["next_cursor"]:
                break
            cursor = f"&cursor={page['next_cursor']}"
    finally:
        client.close()
    expected = {case_id: 1 + len(writes) for case_id, writes in load.acked.items()}
    assert {k: v for k, v in versions.items() if k in expected} == expected


def assert_no_position_skipped(reader: Reader, load: Load) -> None:
    stored = reader.all_positions()
    assert reader.seen == stored, "a position became visible after a higher one had been read"
    assert set(load.positions) <= set(stored)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = serve_workers(tmp_path_factory.mktemp("workers") / "data")
    api, _ = children(served)
    assert len(api) == WORKERS
    try:
        yield served
    finally:
        served.process.send_signal(signal.SIGTERM)
        served.process.wait(timeout=90)


def test_the_listening_socket_gives_connections_tcp_nodelay() -> None:
    """uvicorn #3149: asyncio sets TCP_NODELAY only on connections of a socket whose proto says
    TCP; without it a keep-alive response waits ~40 ms for the client's delayed ACK."""
    with listening_socket("127.0.0.1", 0, 8) as sock:
        assert sock.proto == socket.IPPROTO_TCP
        nodelay: list[int] = []

        async def serve_one() -> None:
            accepted = asyncio.Event()

            class Probe(asyncio.Protocol):
                def connection_made(self, transport: asyncio.BaseTransport) -> None:
                    raw = transport.get_extra_info("socket")
                    nodelay.append(raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                    accepted.set()

            server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
            with socket.create_connection(sock.getsockname()[:2]):
                await asyncio.wait_for(accepted.wait(), 5)
            server.close()

        asyncio.run(serve_one())
    assert nodelay and nodelay[0] != 0


def test_concurrent_writers_across_workers_lose_double_and_skip_nothing(served: Served) -> None:
    load = Load(served)
    with Reader(served) as reader:
        load.run(4.0)
    print(f"workers: {len(load.positions)} appends by {WRITERS} writers in 4 s")
    assert len(load.positions) > 50
    assert_exactly_once(load)
    assert_no_position_skipped(reader, load)
    assert_views_count_everything(load)


def test_read_your_writes_holds_whichever_worker_reads(served: Served) -> None:
    writer, reader = Client(served), Client(served)
    try:
        for i in range(20):
            wrote = writer.write("/cases", registration(), f"ryw-{i}-{random.random()}")
            reader.close()  # a fresh connection: either worker may take it
            status, _, page = reader.request(
                "GET",
                f"/cases?case_no={wrote['case_no']}",
                headers={"Ledger-Position": str(wrote["position"])},
            )
            assert status == 200, page
            assert [c["case_id"] for c in page["cases"]] == [wrote["case_id"]]
    finally:
        writer.close()
        reader.close()


def worker_of(served: Served, conn: http.client.HTTPConnection) -> int:
    """The pid of the API worker that accepted `conn` (the server side of its TCP connection)."""
    local = conn.sock.getsockname()[:2]
    api, _ = children(served)
    for worker in api:
        if any(c.raddr and tuple(c.raddr) == local for c in worker.net_connections("tcp")):
            return worker.pid
    raise AssertionError(f"no worker holds the connection from {local}")


def test_a_board_stream_on_one_worker_names_an_append_made_through_the_other(
    served: Served,
) -> None:
    """Each worker follows the views through its own LISTEN: a duty officer's live board, held
    open by one worker, must name an append committed through the other."""
    settings = Settings.from_env(embedded_env(served.data_dir))
    duty = create_token(settings.token_secret, "duty-w", [Role.DUTY_OFFICER], None, 600,
                        centres=["*"])  # fmt: skip
    stream = http.client.HTTPConnection("127.0.0.1", served.port, timeout=20)
    cookie = {"Cookie": f"ledger_session={duty}"}
    stream.request("GET", "/ui/board/stream?centre=huoshan", headers=cookie)
    answer = stream.getresponse()
    assert answer.status == 200, answer.read()
    assert answer.readline().startswith(b":")  # the stream's opening comment
    holder = worker_of(served, stream)
    writer = Client(served)
    for _ in range(40):  # a fresh connection until the other worker accepts one
        assert writer.request("GET", "/health")[0] == 200
        if writer.conn is not None and worker_of(served, writer.conn) != holder:
            break
        writer.close()
    else:
        raise AssertionError("40 connections in a row went to the stream's worker")
    wrote = writer.write("/cases", registration(), f"board-{random.random()}")
    named = []
    while not any(position >= wrote["position"] for position in named):
        line = answer.readline()  # the socket's timeout fails the test if nothing comes
        if line.startswith(b"data:"):
            named.append(json.loads(line.removeprefix(b"data:"))["position"])
    stream.close()
    writer.close()


def test_a_killed_api_worker_is_restarted_and_nothing_is_lost(served: Served) -> None:
    api, _ = children(served)
    victim = api[0]

    def kill() -> None:
        victim.send_signal(signal.SIGKILL)

    load = Load(served)
    load.run(6.0, during=kill)
    died = wait_for("process.died", lambda: log_events(served, "process.died"))
    assert any(d["pid"] == victim.pid and d["exit_code"] == -9 for d in died), died
    restarted = wait_for(
        "process.restarted",
        lambda: [
            r for r in log_events(served, "process.restarted") if r["previous_pid"] == victim.pid
        ],
    )
    assert restarted[0]["name"].startswith("api-") and restarted[0]["exit_code"] == -9
    api_now, _ = children(served)
    assert len(api_now) == WORKERS and victim.pid not in {p.pid for p in api_now}
    assert restarted[0]["pid"] in {p.pid for p in api_now}
    assert_exactly_once(load)
    assert_views_count_everything(load)


def test_a_killed_background_process_is_restarted_and_projections_resume(served: Served) -> None:
    _, background = children(served)
    background.send_signal(signal.SIGKILL)
    wait_for("background killed", lambda: not background.is_running() or _zombie(background))
    load = Load(served)
    load.run(2.0)  # written while the background process is down or restarting
    restarted = wait_for(
        "process.restarted",
        lambda: [
            r
            for r in log_events(served, "process.restarted")
            if r["previous_pid"] == background.pid
        ],
    )
    assert restarted[0]["name"] == "background" and restarted[0]["exit_code"] == -9
    assert_views_count_everything(load)  # the restarted projections caught up
    last = max(load.positions)

    def notary_sealed() -> bool:
        text = served.http.get("/metrics").text
        return "ledger_notary_lag_positions 0.0" in text and _gauge(text, "ledger_log_leaves") > 0

    wait_for("the notary sealed everything", notary_sealed)
    assert last <= _gauge(served.http.get("/metrics").text, "ledger_log_position")


def test_metrics_sum_the_requests_of_every_worker(served: Served) -> None:
    api, _ = children(served)
    owners: dict[int, int] = {}  # client port -> serving worker's pid
    conns: list[http.client.HTTPConnection] = []
    try:
        for _ in range(200):  # connect until each worker has accepted at least one
            conn = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
            conn.connect()
            conns.append(conn)
            time.sleep(0.01)
            owners = _owners(api, served.port)
            if {pid for pid in owners.values()} == {p.pid for p in api}:
                break
        assert {pid for pid in owners.values()} == {p.pid for p in api}, owners
        before = _health_count(served)
        for conn in conns:
            conn.request("GET", "/health")
            response = conn.getresponse()
            response.read()
            assert response.status == 200
    finally:
        for conn in conns:
            conn.close()
    # counted as each response ends: wait until every one is in
    wait_for("all counted", lambda: _health_count(served) - before >= len(conns), 10)
    assert _health_count(served) - before == len(conns)


def test_sigterm_stops_every_child_and_the_embedded_postgresql(tmp_path: Path) -> None:
    served = serve_workers(tmp_path / "data")
    api, background = children(served)
    assert served.http.post("/cases", json=registration()).status_code == 201
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=90) == 0, served.log_text()[-3000:]
    assert not any(_alive(p) for p in [*api, background])
    assert postgres_of(served.pgdata) == []
    assert port_is_free(served.port)
    stopped = {e["name"] for e in log_events(served, "process.stopped")}
    assert stopped == {"api-1", "api-2", "background"}
    assert not log_events(served, "process.died")  # a stop is not a death


def test_children_exit_when_the_parent_is_killed(tmp_path: Path) -> None:
    served = serve_workers(tmp_path / "data")
    api, background = children(served)
    os.kill(served.process.pid, signal.SIGKILL)
    served.process.wait(timeout=10)
    wait_for("children gone", lambda: not any(_alive(p) for p in [*api, background]), 60)
    wait_for("postgres gone", lambda: postgres_of(served.pgdata) == [], 60)
    assert port_is_free(served.port)


def test_a_child_whose_parent_died_while_it_started_exits(tmp_path: Path) -> None:
    """The parent a child exits with is the one that started it, passed down: read from
    `getppid()` once the child was up, a parent killed meanwhile read as 1 (or a subreaper) and
    the child ran on for ever, holding the database (a CI run of the test above)."""
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, subprocess, sys; print(subprocess.Popen(sys.argv[1:], env={**os.environ,"
            " 'LEDGER_PARENT_PID': str(os.getpid())}, start_new_session=True,"
            " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).pid)",
            LEDGER,
            "worker",
            "--no-notary",
            "--no-projections",
        ],  # the parent exits at once: the child is still importing
        env=embedded_env(tmp_path / "data", LEDGER_EXIT_WITH_PARENT="1"),
        capture_output=True,
        check=True,
    )
    child = psutil.Process(int(started.stdout))
    wait_for("the orphaned child gone", lambda: not _alive(child), 60)
    wait_for("postgres gone", lambda: postgres_of((tmp_path / "data/pgdata").resolve()) == [], 60)


def _alive(process: psutil.Process) -> bool:
    return process.is_running() and not _zombie(process)


def _zombie(process: psutil.Process) -> bool:
    try:
        return bool(process.status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def _owners(api: list[psutil.Process], port: int) -> dict[int, int]:
    owners = {}
    for worker in api:
        for conn in worker.net_connections(kind="tcp"):
            if conn.status == psutil.CONN_ESTABLISHED and conn.laddr.port == port and conn.raddr:
                owners[conn.raddr.port] = worker.pid
    return owners


def _health_count(served: Served) -> float:
    text = served.http.get("/metrics").text
    return _gauge(text, 'ledger_http_requests_total{method="GET",route="/health",status="200"}')


def _gauge(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0
