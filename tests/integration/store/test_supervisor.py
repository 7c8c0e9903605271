"""The database supervisor against a configured server that goes away and comes back (a TCP
relay in front of the test server, cut and restored), and the embedded server's stale files."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path

import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ledger.application.service import Ledger
from ledger.config.settings import Settings
from ledger.store import embedded
from ledger.store.database import Database, database_for
from ledger.store.supervisor import DatabaseSupervisor, DatabaseUnavailable


class Relay:
    """Forwards 127.0.0.1:<port> to the test server; `cut()` drops the listener and every
    connection (the server is gone), `restore()` listens again on the same port."""

    def __init__(self, target_conninfo: str) -> None:
        params = conninfo_to_dict(target_conninfo)
        host, port = str(params.get("host") or "127.0.0.1"), int(params.get("port") or 5432)
        self._target: tuple[int, str | tuple[str, int]] = (
            (socket.AF_UNIX, f"{host}/.s.PGSQL.{port}")
            if host.startswith("/")
            else (socket.AF_INET, (host, port))
        )
        self.port = 0
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self._lock = threading.Lock()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            if self._listener is not None:
                # shutdown() first: close() alone does not wake a thread blocked in accept() on
                # Linux, and the port would stay bound (restore: "Address already in use").
                with suppress(OSError):
                    self._listener.shutdown(socket.SHUT_RDWR)
                self._listener.close()
                self._listener = None
            for s in self._sockets:
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                if self._listener is not listener:  # accepted just as it was cut
                    client.close()
                    return
                family, address = self._target
                server = socket.socket(family)
                server.connect(address)
                self._sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with suppress(OSError):
            sink.shutdown(socket.SHUT_WR)


@pytest.fixture
def relay(database: Database) -> Iterator[Relay]:
    relay = Relay(database.owner_conninfo)
    relay.restore()
    yield relay
    relay.cut()


def eventually(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_configured_server_that_vanishes_is_refused_at_once_and_used_again_on_return(
    settings: Settings, database: Database, relay: Relay
) -> None:
    relayed = database_for(
        make_conninfo(database.owner_conninfo, host="127.0.0.1", port=relay.port), settings
    )
    ledger = Ledger(settings, relayed)
    supervisor = DatabaseSupervisor(relayed, every=0.1)
    supervisor.guard(ledger.store.datastore.pool)
    supervisor.start()
    try:
        before = ledger.recorder.max_notification_id()

        relay.cut()
        eventually(lambda: supervisor.status().state == "down")
        began = time.monotonic()
        with pytest.raises(DatabaseUnavailable) as refused:
            ledger.recorder.max_notification_id()  # eventsourcing retries this ten times
        took = time.monotonic() - began

        relay.restore()
        eventually(lambda: supervisor.status().up)
        after = ledger.recorder.max_notification_id()
    finally:
        supervisor.close()
        ledger.close()

    assert took < 0.5
    assert "unreachable since" in str(refused.value)
    assert supervisor.status().last_error
    assert after == before


def test_a_stale_postmaster_pid_naming_another_program_is_removed(tmp_path: Path) -> None:
    pgdata = tmp_path / "pgdata"
    pgdata.mkdir()
    squatter = subprocess.Popen(["sleep", "60"])  # the dead postmaster's pid, reused
    try:
        lines = [str(squatter.pid), str(pgdata), "1700000000", "5432", str(pgdata), "", "1 2"]
        (pgdata / "postmaster.pid").write_text("\n".join([*lines, "ready"]) + "\n")
        (pgdata / ".s.PGSQL.5432.lock").write_text(f"{squatter.pid}\n")

        assert embedded.postmaster(pgdata) is None
        embedded.clear_stale(pgdata)

        assert not (pgdata / "postmaster.pid").exists()
        assert not (pgdata / ".s.PGSQL.5432.lock").exists()
        assert squatter.poll() is None  # not a postgres of this data directory: left alone
    finally:
        squatter.kill()
        squatter.wait()
