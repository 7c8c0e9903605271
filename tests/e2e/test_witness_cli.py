"""`ledger witness init` and `ledger witness serve` as an operator runs them: a key only its owner
reads, a server that cosigns a log's checkpoint over HTTP and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ledger.log.cosignature import CosignatureVerifier
from ledger.log.merkle.tree import mth
from ledger.log.signed_note import Signer, checkpoint_body, generate_key
from ledger.log.witnessing import add_checkpoint_body
from tests.e2e.serving import logged_events

WITNESS = [str(Path(sys.executable).parent / "ledger"), "witness"]
ORIGIN = "ledger.example/cases"


def witness_cmd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*WITNESS, *args], capture_output=True, text=True, timeout=60, check=False
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_init_writes_a_key_only_its_owner_reads_and_never_overwrites_it(tmp_path: Path) -> None:
    directory = tmp_path / "w"

    run = witness_cmd("init", "--dir", str(directory), "--name", "witness.example/w1")
    again = witness_cmd("init", "--dir", str(directory), "--name", "witness.example/w1")

    assert run.returncode == 0, run.stderr
    vkey = run.stdout.strip()
    assert vkey == (directory / "witness.pub").read_text().strip()
    assert CosignatureVerifier(vkey).name == "witness.example/w1"
    assert stat.S_IMODE((directory / "witness.key").stat().st_mode) == 0o600
    assert again.returncode != 0 and "exists" in again.stderr


def test_serve_cosigns_a_consistent_checkpoint_over_http_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "w"
    vkey = witness_cmd("init", "--dir", str(directory), "--name", "witness.example/w1").stdout
    log_skey, log_vkey = generate_key(ORIGIN)
    keys = tmp_path / "log-keys.txt"
    keys.write_text(log_vkey + "\n")
    port = free_port()
    serve = ["serve", "--dir", str(directory), "--log", f"{ORIGIN}={keys}", "--port", str(port)]
    output = tmp_path / "serve.log"
    with output.open("wb") as out:
        server = subprocess.Popen(
            [*WITNESS, *serve],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=os.environ,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, output.read_text()
            try:
                if httpx.get(f"{url}/", timeout=1).text.strip() == vkey.strip():
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, output.read_text()
            time.sleep(0.1)
        entries = [f"entry {i}".encode() for i in range(5)]
        note = Signer(log_skey).sign(checkpoint_body(ORIGIN, 5, mth(entries)))

        cosigned = httpx.post(f"{url}/add-checkpoint", content=add_checkpoint_body(0, [], note))
        stale = httpx.post(f"{url}/add-checkpoint", content=add_checkpoint_body(0, [], note))

        assert cosigned.status_code == 200, cosigned.text
        assert CosignatureVerifier(vkey.strip()).verify(note + cosigned.text) > 0
        assert stale.status_code == 409 and stale.text == "5\n"
        assert stale.headers["content-type"] == "text/x.tlog.size"
    finally:
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=30)
    logged = output.read_text()
    assert code in (0, -signal.SIGTERM), logged  # uvicorn re-raises the signal once shut down
    assert "Finished server process" in logged and "witness.cosigned" in logged_events(logged)


def test_serve_refuses_a_log_option_without_a_usable_key(tmp_path: Path) -> None:
    directory = tmp_path / "w"
    witness_cmd("init", "--dir", str(directory), "--name", "witness.example/w1")
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")

    for option in ("no-equals-sign", f"{ORIGIN}=not+a+key", f"{ORIGIN}={empty}"):
        run = witness_cmd("serve", "--dir", str(directory), "--log", option)
        assert run.returncode == 2 and "--log" in run.stderr, (option, run.stderr)
