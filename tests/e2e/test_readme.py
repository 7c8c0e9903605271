"""The README's seed-000 walk-through, run as written against a live `ledger serve`."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ledger.store.database import Database
from tests.e2e.serving import wait_healthy

ROOT = Path(__file__).parents[2]


def walkthrough() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Walk-through", 1)[1]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, "the README has no bash block in its walk-through"
    return match.group(1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def live_ledger(
    database_factory: Callable[[], Database], tmp_path: Path
) -> Iterator[tuple[str, dict[str, str]]]:
    port = free_port()
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": database_factory().owner_conninfo,
        "LEDGER_DATA_DIR": str(tmp_path),
        "LEDGER_URL": f"http://127.0.0.1:{port}",
    }
    ledger_cmd = Path(sys.executable).parent / "ledger"
    # A file, not a pipe: nobody drains a pipe, and a full one blocks the server's logging.
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(ledger_cmd), "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_healthy(env["LEDGER_URL"], server, log)
        yield env["LEDGER_URL"], env
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_readme_walk_through_runs_as_written(live_ledger, tmp_path: Path) -> None:
    _, env = live_ledger
    script = tmp_path / "walkthrough.sh"
    script.write_text("set -euo pipefail\n" + walkthrough())

    run = subprocess.run(
        ["bash", str(script)],
        check=False,
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    out = run.stdout
    assert re.search(r'(?im)^etag: "10"', out)
    history = [line for line in out.splitlines() if re.match(r"^\d+ \d+ [A-Z]", line)]
    assert [line.split()[2] for line in history] == [
        "Registered",
        "VisitRecorded",
        "HandedOff",
        "HandOffSignedFor",
        "ClockPaused",
        "DutyIntervention",
        "MaterialsSupplied",
        "ClockResumed",
        "Accepted",
        "Completed",
    ]
    assert '"rule":"case.closed"' in out
    assert "checked: case" in out and "10 events, versions 1..10" in out
    assert out.rstrip().endswith("OK")
    assert "341525197001010020" not in out and "13800000000" not in out
