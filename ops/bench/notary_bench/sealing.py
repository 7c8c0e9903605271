"""(1) the notary itself: `Notary.catch_up()` from an empty tree, timed, and `seal()` under
cProfile; between runs the log tables go back to empty."""

from __future__ import annotations

import cProfile
import os
import pstats
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import sql
from support.cpu import Cpu, cpu_note
from support.postgres import Autovacuum
from support.timing import throughput

from ledger.log.merkle.frontier import Frontier
from ledger.log.notary import Notary
from notary_bench.plan import DEFAULT_BATCH

if TYPE_CHECKING:
    from collections.abc import Callable

    from support.cpu import Ours
    from support.timing import Result

    from ledger.log.signed_note import Signer
    from ledger.store.database import Database


def reset_log(owner: str) -> None:
    """Back to an empty tree (bench database only): the log tables refuse TRUNCATE through a
    trigger, which the owner switches off for the moment."""
    tables = ("ledger_leaves", "ledger_tree_nodes", "ledger_checkpoints", "ledger_cosignatures")
    with psycopg.connect(owner) as conn:
        for table in tables:
            conn.execute(
                sql.SQL("ALTER TABLE {} DISABLE TRIGGER USER").format(sql.Identifier(table))
            )
        conn.execute(
            "TRUNCATE ledger_leaves, ledger_tree_nodes, ledger_checkpoints, ledger_cosignatures, "
            "ledger_head_buckets"
        )
        for table in tables:
            conn.execute(
                sql.SQL("ALTER TABLE {} ENABLE TRIGGER USER").format(sql.Identifier(table))
            )
        conn.execute(
            "UPDATE ledger_notary_state SET tree_size = 0, last_position = 0, frontier = %s, "
            "heads_size = 0",
            (Frontier().to_bytes(),),
        )


def latest_root(owner: str) -> tuple[int, bytes]:
    """Size and root of the latest checkpoint."""
    with psycopg.connect(owner) as conn:
        row = conn.execute(
            "SELECT tree_size, root_hash FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1"
        ).fetchone()
    assert row is not None
    return int(row[0]), bytes(row[1])


def timed_catch_up(
    database: Database, signer: Signer, origin: str, batch: int, ours: Ours
) -> Result:
    notary = Notary(database.notary_conninfo, signer, origin, batch_size=batch)
    try:
        with Autovacuum(database.owner_conninfo) as autovacuum, Cpu(os.getpid(), ours) as cpu:
            t0 = time.perf_counter()
            size = notary.catch_up()
            seconds = time.perf_counter() - t0
    finally:
        notary.close()
    return throughput(
        f"Notary.catch_up(), batch {batch:,}",
        size,
        seconds,
        cpu_note(cpu) + autovacuum.describe(),
        cpu.others_pct,
    )


def profile_slice(database: Database, signer: Signer, origin: str, events: int) -> list[str]:
    """cProfile over `seal()` at the default batch size until `events` are sealed."""
    notary = Notary(database.notary_conninfo, signer, origin, batch_size=DEFAULT_BATCH)
    profiler = cProfile.Profile()
    sealed = 0
    try:
        t0 = time.perf_counter()
        profiler.enable()
        while sealed < events:
            step = notary.seal().events
            if not step:
                break
            sealed += step
        profiler.disable()
        seconds = time.perf_counter() - t0
    finally:
        notary.close()
    stats = pstats.Stats(profiler)
    table: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = max((ct for _, _, _, ct, _ in table.values()), default=1.0)

    def rows(key: Callable[[Any], float], title: str) -> list[str]:
        out = [
            title,
            f"    {'ncalls':>9} {'own s':>7} {'cum s':>7} {'cum %':>6}  function",
        ]
        for func, (_, nc, tt, ct, _) in sorted(table.items(), key=key, reverse=True)[:10]:
            out.append(
                f"    {nc:>9,} {tt:>7.2f} {ct:>7.2f} {100 * ct / total:>5.0f}%  {name(func)}"
            )
        return out

    return [
        f"cProfile of Notary.seal() over the first {sealed:,} events, batch {DEFAULT_BATCH:,}: "
        f"{seconds:.2f} s under the profiler ({sealed / seconds:,.0f} events/s)",
        *rows(lambda kv: kv[1][3], "  top 10 by cumulative time:"),
        *rows(lambda kv: kv[1][2], "  top 10 by own time:"),
    ]


def name(func: tuple[str, int, str]) -> str:
    """A profiled function as `package/module.py:line(function)`."""
    path, line, function = func
    if path == "~":
        return function
    for marker in ("site-packages/", "/src/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    else:
        path = Path(path).name  # the standard library
    return f"{path}:{line}({function})"
