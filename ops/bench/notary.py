"""Notary benchmark: sealing rate on a pre-filled log, proof latency, bundle verification time.

    uv run python ops/bench/notary.py [--quick] [--events N]

One run makes a fresh database (embedded PostgreSQL in a temp dir, or a new database on the
server in LEDGER_BENCH_DATABASE_URL), fills ledger_events with 1,000,000 realistic events
(--quick: 100,000) by COPY, measures (1) to (3) below, prints a table with the baselines, ratios
and budgets, and drops the database. Nothing is written to the repository.

(1) `Notary.catch_up()` from an empty tree over the whole log, at batch sizes 10,000 (the
    default) and 50,000; against the same run's baselines: raw batched reads of the same rows,
    the notary's own hashing loop without I/O, and raw COPY of the leaf and node rows it writes.
    cProfile over the first 100,000 events shows where the notary's time goes.
(2) `AuditLog.inclusion_proof(position)` latency for 2,000 random positions at ~1M leaves, in
    process and over HTTP (`GET /audit/proofs/inclusion`, `ledger serve --no-notary`).
(3) `verify_bundle` of a 50-event case made through the real `Ledger` API.

It reuses append.py's machinery (embedded server, CPU accounting, teardown): run it from the
repository root as above, so that ops/bench is on sys.path. See ops/bench/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import http.client
import itertools
import os
import pstats
import random
import secrets
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import msgspec
import psycopg
from append import (
    Cpu,
    Ours,
    Result,
    Run,
    case_with_events,
    checkpointer,
    free_port,
    fresh_database,
    log,
    machine_fact,
    percentile,
    quiet_ledger_logging,
    run_and_print,
    server_facts,
    start_server,
    stop_server,
    verdict,
)
from eventsourcing.persistence import StoredEvent
from psycopg import sql

from ledger.application.service import Ledger
from ledger.config.settings import Settings
from ledger.domain.values import Actor, Channel, Priority, Role
from ledger.log.keys import load_signer
from ledger.log.leaf import encode_leaf
from ledger.log.merkle.frontier import Frontier
from ledger.log.merkle.proofs import verify_inclusion
from ledger.log.merkle.tree import leaf_hash
from ledger.log.notary import Notary
from ledger.log.signed_note import Signer, Verifier
from ledger.log.verify import verify_bundle
from ledger.store.database import Database
from ledger.store.events import MsgspecMapper

CENTRE = "huoshan"
DEPARTMENT = "人社"
CLERK = Actor(id="clerk-bench", roles=(Role.CLERK,), unit=DEPARTMENT)
AUDITOR = Actor(id="auditor-bench", roles=(Role.AUDITOR,), unit=None)

EVENTS_PER_CASE = 50
CASES_IN_FLIGHT = 1_000  # the pre-fill interleaves this many open cases, as a centre's day does
COPY_CHUNK = 100_000  # pre-fill rows per COPY (one transaction each)
BATCH_SIZES = (10_000, 50_000)  # the notary's default first: the budget applies to it
DEFAULT_BATCH = BATCH_SIZES[0]
PROOF_WARMUP = 200  # every pooled connection has prepared its statements by then
BUNDLE_BUILDS = 20
VERIFY_WARMUP = 10

BUDGET_SEAL_RATE = 50_000.0  # events/s, Notary.catch_up at its default batch size
BUDGET_PROOF_P99_MS = 2.0
BUDGET_VERIFY_P99_MS = 10.0

SELECT_EVENTS = (  # the notary's own query
    "SELECT notification_id, originator_id, originator_version, topic, state "
    "FROM ledger_events WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
)
COPY_LEAVES = (
    "COPY {} (leaf_index, position, originator_id, originator_version, leaf_hash) "
    "FROM STDIN (FORMAT BINARY)"
)
LEAF_TYPES = ["int8", "int8", "uuid", "int8", "bytea"]
COPY_NODES = "COPY {} (level, idx, hash) FROM STDIN (FORMAT BINARY)"
NODE_TYPES = ["int2", "int8", "bytea"]


@dataclass(frozen=True)
class Plan:
    mode: str
    events: int  # pre-filled events
    profile_events: int  # the cProfile slice
    proofs: int  # (2) in process and over HTTP, each
    verify_runs: int  # (3)
    custom_events: bool = False

    @classmethod
    def for_mode(cls, quick: bool, events: int | None) -> Plan:
        n = events or (100_000 if quick else 1_000_000)
        mode = "quick" if quick else "full"
        return cls(mode, n, min(100_000, n), 2_000, 200, custom_events=events is not None)


# --- the pre-fill: rows shaped like the ledger's own ----------------------------------------------

REGISTERED_TOPIC = "ledger.domain.case:Case.Registered"
VISIT_TOPIC = "ledger.domain.case:Case.VisitRecorded"
NOTES = (  # what clerks write on a visit: VisitRecorded payloads of 290-315 bytes
    "申请人补交了缴费凭证和身份证复印件，材料齐全，已转后台复核，预计五个工作日内办结并短信通知",
    "电话回访：申请人确认补缴月份为2019年3月至2020年8月，待原单位盖章后再来窗口提交",
    "材料缺少原单位出具的劳动关系证明，已按清单一次性告知需补正的全部材料及办理时限",
    "取号后等候超过三十分钟，已引导至综合窗口优先办理，并在意见簿上登记申请人的意见",
)


class _ActorPayload(msgspec.Struct):
    id: str
    roles: list[str]
    unit: str | None


class _VisitPayload(msgspec.Struct):
    """Field for field what MsgspecMapper stores for Case.VisitRecorded."""

    timestamp: datetime
    actor: _ActorPayload
    occurred_at: datetime
    ticket: str
    note: str | None


class _Masked(msgspec.Struct):
    masked: str
    token: str


class _Applicant(msgspec.Struct):
    name: str
    id_number: _Masked | None
    phone: _Masked | None
    bank_card: _Masked | None


class _MatterPayload(msgspec.Struct):
    code: str
    name: str


class _RegisteredPayload(msgspec.Struct):
    """Field for field what MsgspecMapper stores for Case.Registered."""

    timestamp: datetime
    originator_topic: str
    case_no: str
    channel: str
    matter: _MatterPayload
    centre: str
    department: str
    window: str
    applicant: _Applicant
    priority: str
    statutory_limit: int | None
    promised_limit: int | None
    parent_case_id: UUID | None
    actor: _ActorPayload
    occurred_at: datetime


def prefill_rows(events: int) -> Iterator[tuple[UUID, int, str, bytes]]:
    """`events` rows: cases of EVENTS_PER_CASE events (Registered, then VisitRecorded), opened
    CASES_IN_FLIGHT at a time and interleaved; recorded times spread over the past year."""
    encode = msgspec.json.Encoder().encode
    actor = _ActorPayload(id=CLERK.id, roles=[r.value for r in CLERK.roles], unit=CLERK.unit)
    matter = _MatterPayload(code="SI-ARREARS", name="养老保险费补缴")
    start = datetime.now(timezone.utc) - timedelta(days=365)  # noqa: UP017 (house style)
    step = timedelta(days=365) / events
    rng = random.Random(20_26)
    written = 0
    case_no = 0
    while written < events:
        cases = [uuid4() for _ in range(CASES_IN_FLIGHT)]
        for version in range(1, EVENTS_PER_CASE + 1):
            for case_id in cases:
                if written == events:
                    return
                at = start + step * written
                occurred = at - timedelta(milliseconds=rng.randrange(2, 900))
                if version == 1:
                    case_no += 1
                    state = encode(
                        _RegisteredPayload(
                            timestamp=at,
                            originator_topic="ledger.domain.case:Case",
                            case_no=f"HUOSHAN-{at.year}-{case_no:06d}",
                            channel=Channel.WINDOW.value,
                            matter=matter,
                            centre=CENTRE,
                            department=DEPARTMENT,
                            window="2F-07",
                            applicant=_Applicant(
                                name="李*",
                                id_number=_Masked("3415**********0020", secrets.token_hex(32)),
                                phone=None,
                                bank_card=None,
                            ),
                            priority=Priority.NORMAL.value,
                            statutory_limit=None,
                            promised_limit=None,
                            parent_case_id=None,
                            actor=actor,
                            occurred_at=occurred,
                        )
                    )
                    yield case_id, 1, REGISTERED_TOPIC, state
                else:
                    state = encode(
                        _VisitPayload(
                            timestamp=at,
                            actor=actor,
                            occurred_at=occurred,
                            ticket=f"A-{rng.randrange(10_000):04d}",
                            note=rng.choice(NOTES),
                        )
                    )
                    yield case_id, version, VISIT_TOPIC, state
                written += 1


@dataclass
class Prefill:
    events: int
    cases: int
    seconds: float
    payload_bytes: int
    table_mb: float


def prefill(owner: str, events: int) -> Prefill:
    """COPY the rows in as the owner role; notification_id comes from its sequence."""
    started = time.perf_counter()
    rows = prefill_rows(events)
    payload = 0
    with psycopg.connect(owner, autocommit=True) as conn:
        for chunk_start in range(0, events, COPY_CHUNK):
            with (
                conn.cursor() as cur,
                cur.copy(
                    "COPY ledger_events (originator_id, originator_version, topic, state) "
                    "FROM STDIN (FORMAT BINARY)"
                ) as copy,
            ):
                copy.set_types(["uuid", "int8", "text", "bytea"])
                for row in itertools.islice(rows, COPY_CHUNK):
                    payload += len(row[3])
                    copy.write_row(row)
            done = min(chunk_start + COPY_CHUNK, events)
            if done % (5 * COPY_CHUNK) == 0 or done == events:
                log(f"  pre-filled {done:,} events")
        conn.execute("VACUUM (ANALYZE) ledger_events")  # hint bits set: no reader pays for them
        size = conn.execute("SELECT pg_total_relation_size('ledger_events')").fetchone()
    assert size is not None
    return Prefill(
        events=events,
        cases=-(-events // EVENTS_PER_CASE),
        seconds=time.perf_counter() - started,
        payload_bytes=payload,
        table_mb=int(size[0]) / 2**20,
    )


def check_shape(owner: str) -> str:
    """The pre-filled rows decode through the ledger's own mapper into its own event classes."""
    mapper = MsgspecMapper()
    with psycopg.connect(owner) as conn:
        rows = conn.execute(
            "SELECT originator_id, originator_version, topic, state FROM ledger_events "
            "WHERE notification_id <= %s ORDER BY notification_id",
            (2 * CASES_IN_FLIGHT,),
        ).fetchall()
    kinds = set()
    for originator_id, version, topic, state in rows:
        event = mapper.to_domain_event(
            StoredEvent(
                originator_id=originator_id,
                originator_version=version,
                topic=topic,
                state=bytes(state),
            )
        )
        kinds.add(type(event).__qualname__)
    return f"{len(rows):,} of them decode through MsgspecMapper ({', '.join(sorted(kinds))})"


# --- (1) baselines: the notary's parts, one at a time -------------------------------------------


@dataclass
class Parts:
    """What the notary does per batch, each part timed on its own over the whole log."""

    read_seconds: float = 0.0
    read_binary_seconds: float = 0.0
    hash_seconds: float = 0.0
    copy_leaves_seconds: float = 0.0
    copy_nodes_seconds: float = 0.0  # and the COMMIT that ends each batch
    events: int = 0
    nodes: int = 0
    root: bytes = b""
    read_note: str = ""

    @property
    def serial_seconds(self) -> float:
        """Read, hash, write: what a notary doing them one after another cannot beat."""
        return (
            self.read_seconds
            + self.hash_seconds
            + self.copy_leaves_seconds
            + self.copy_nodes_seconds
        )


Batch = tuple[list[tuple[Any, ...]], list[tuple[int, int, bytes]]]  # leaf rows, node rows


def read_baseline(app_conninfo: str, batch: int, ours: Ours, *, binary: bool) -> tuple[float, Cpu]:
    """The notary's SELECT, batch after batch (one transaction each), rows fetched and dropped."""
    last = 0
    with psycopg.connect(app_conninfo, autocommit=True) as conn, Cpu(os.getpid(), ours) as cpu:
        t0 = time.perf_counter()
        while True:
            with conn.transaction(), conn.cursor(binary=binary) as cur:
                rows = cur.execute(SELECT_EVENTS, (last, batch)).fetchall()
            if not rows:
                break
            last = rows[-1][0]
        seconds = time.perf_counter() - t0
    return seconds, cpu


def hash_baseline(app_conninfo: str, batch: int, parts: Parts) -> list[Batch]:
    """The notary's own loop over each batch (encode_leaf, leaf_hash, Frontier.append), timed
    alone: the reads are not counted. The rows it makes are kept for the COPY baseline, frozen
    out of the garbage collector's sight so that a growing heap does not slow the loop down."""
    frontier = Frontier()
    batches: list[Batch] = []
    last = 0
    with psycopg.connect(app_conninfo, autocommit=True) as conn:
        while True:
            with conn.transaction():
                rows = conn.execute(SELECT_EVENTS, (last, batch)).fetchall()
            if not rows:
                break
            t0 = time.perf_counter()
            leaves: list[tuple[Any, ...]] = []
            nodes: list[tuple[int, int, bytes]] = []
            for position, originator_id, version, topic, state in rows:
                index = frontier.size
                hashed = leaf_hash(
                    encode_leaf(position, originator_id, version, topic, bytes(state))
                )
                nodes.extend(
                    (level, idx, digest)
                    for (level, idx), digest in frontier.append(hashed)
                    if level
                )
                leaves.append((index, position, originator_id, version, hashed))
            parts.hash_seconds += time.perf_counter() - t0
            batches.append((leaves, nodes))
            last = rows[-1][0]
            del rows
            gc.freeze()
    parts.events = sum(len(leaves) for leaves, _ in batches)
    parts.nodes = sum(len(nodes) for _, nodes in batches)
    parts.root = frontier.root()
    return batches


def copy_baseline(database: Database, app_role: str, parts: Parts, batches: list[Batch]) -> None:
    """COPY the same leaf and node rows as the app role, one transaction per batch as the notary
    does, into scratch tables with the columns and indexes of ledger_leaves / ledger_tree_nodes."""
    with psycopg.connect(database.owner_conninfo, autocommit=True) as owner:
        owner.execute("CREATE TABLE bench_leaves (LIKE ledger_leaves INCLUDING ALL)")
        owner.execute("CREATE TABLE bench_nodes (LIKE ledger_tree_nodes INCLUDING ALL)")
        owner.execute(
            sql.SQL("GRANT SELECT, INSERT ON bench_leaves, bench_nodes TO {}").format(
                sql.Identifier(app_role)
            )
        )
    copy_leaves = sql.SQL(COPY_LEAVES).format(sql.Identifier("bench_leaves"))
    copy_nodes = sql.SQL(COPY_NODES).format(sql.Identifier("bench_nodes"))
    checkpointer(database.owner_conninfo)()
    with psycopg.connect(database.app_conninfo, autocommit=True) as conn:
        for leaves, nodes in batches:
            t0 = time.perf_counter()
            with conn.transaction():
                with conn.cursor() as cur, cur.copy(copy_leaves) as copy:
                    copy.set_types(LEAF_TYPES)
                    for leaf in leaves:
                        copy.write_row(leaf)
                t1 = time.perf_counter()
                with conn.cursor() as cur, cur.copy(copy_nodes) as copy:
                    copy.set_types(NODE_TYPES)
                    for node in nodes:
                        copy.write_row(node)
            t2 = time.perf_counter()
            parts.copy_leaves_seconds += t1 - t0
            parts.copy_nodes_seconds += t2 - t1
    with psycopg.connect(database.owner_conninfo, autocommit=True) as owner:
        owner.execute("DROP TABLE bench_leaves, bench_nodes")


def baselines(
    database: Database, app_role: str, ours: Ours, checkpoint: Callable[[], None]
) -> Parts:
    parts = Parts()
    log("(1) baselines: raw read ...")
    checkpoint()
    parts.read_seconds, cpu = read_baseline(
        database.app_conninfo, DEFAULT_BATCH, ours, binary=False
    )
    parts.read_note = cpu_note(cpu)
    parts.read_binary_seconds, _ = read_baseline(
        database.app_conninfo, DEFAULT_BATCH, ours, binary=True
    )
    log("(1) baselines: the notary's hashing loop ...")
    batches = hash_baseline(database.app_conninfo, DEFAULT_BATCH, parts)
    log("(1) baselines: raw COPY of the leaf and node rows ...")
    try:
        copy_baseline(database, app_role, parts, batches)
    finally:
        del batches
        gc.unfreeze()
        gc.collect()
    return parts


# --- (1) the notary -----------------------------------------------------------------------------


def reset_log(owner: str) -> None:
    """Back to an empty tree (bench database only): the log tables refuse TRUNCATE through a
    trigger, which the owner switches off for the moment."""
    tables = ("ledger_leaves", "ledger_tree_nodes", "ledger_checkpoints")
    with psycopg.connect(owner) as conn:
        for table in tables:
            conn.execute(
                sql.SQL("ALTER TABLE {} DISABLE TRIGGER USER").format(sql.Identifier(table))
            )
        conn.execute("TRUNCATE ledger_leaves, ledger_tree_nodes, ledger_checkpoints")
        for table in tables:
            conn.execute(
                sql.SQL("ALTER TABLE {} ENABLE TRIGGER USER").format(sql.Identifier(table))
            )
        conn.execute(
            "UPDATE ledger_notary_state SET tree_size = 0, last_position = 0, frontier = %s",
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
    notary = Notary(database.app_conninfo, signer, origin, batch_size=batch)
    try:
        with Autovacuum(database.owner_conninfo) as autovacuum, Cpu(os.getpid(), ours) as cpu:
            t0 = time.perf_counter()
            size = notary.catch_up()
            seconds = time.perf_counter() - t0
    finally:
        notary.close()
    return Result(
        label=f"Notary.catch_up(), batch {batch:,}",
        ops=size,
        seconds=seconds,
        p50_ms=float("nan"),
        p99_ms=float("nan"),
        note=cpu_note(cpu) + autovacuum.describe(),
        others_pct=cpu.others_pct,
    )


class Autovacuum:
    """Which autovacuum or autoanalyze runs on the log tables overlapped a phase (they count as
    `postgres` CPU in the notes): a lead when a phase runs slower than usual."""

    TABLES = ("ledger_events", "ledger_leaves", "ledger_tree_nodes")

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        self.ran: list[str] = []
        self._since: datetime | None = None

    def __enter__(self) -> Autovacuum:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            row = conn.execute("SELECT clock_timestamp()").fetchone()
        assert row is not None
        self._since = row[0]
        return self

    def __exit__(self, *exc: object) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            done = conn.execute(
                "SELECT relname, coalesce(last_autovacuum >= %s, false), "
                "coalesce(last_autoanalyze >= %s, false) FROM pg_stat_user_tables "
                "WHERE relname = ANY(%s) ORDER BY relname",
                (self._since, self._since, list(self.TABLES)),
            ).fetchall()
            running = conn.execute(
                "SELECT query FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' "
                "AND datname = current_database()"
            ).fetchall()
        for name, vacuumed, analysed in done:
            kinds = [k for k, ran in (("vacuum", vacuumed), ("analyze", analysed)) if ran]
            if kinds:
                self.ran.append(f"{name} {'+'.join(kinds)}")
        self.ran += [f"running: {str(q).removeprefix('autovacuum: ')}" for (q,) in running]

    def describe(self) -> str:
        return f"; AUTOVACUUM meanwhile: {', '.join(self.ran)}" if self.ran else ""


def profile_slice(database: Database, signer: Signer, origin: str, events: int) -> list[str]:
    """cProfile over `seal()` at the default batch size until `events` are sealed."""
    notary = Notary(database.app_conninfo, signer, origin, batch_size=DEFAULT_BATCH)
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

    lines = [
        f"cProfile of Notary.seal() over the first {sealed:,} events, batch {DEFAULT_BATCH:,}: "
        f"{seconds:.2f} s under the profiler ({sealed / seconds:,.0f} events/s)",
        *rows(lambda kv: kv[1][3], "  top 10 by cumulative time:"),
        *rows(lambda kv: kv[1][2], "  top 10 by own time:"),
    ]
    return lines


def name(func: tuple[str, int, str]) -> str:
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


def cpu_note(cpu: Cpu) -> str:
    main = 100 * cpu.main_seconds / max(cpu.wall, 1e-9)
    postgres = 100 * (cpu.ours_seconds - cpu.main_seconds) / max(cpu.wall, 1e-9)
    return (
        f"bench {main:.0f}% + postgres {postgres:.0f}% of a core; machine "
        f"{cpu.machine_pct:.0f}% busy, others {cpu.others_pct:.0f}%"
    )


# --- (2) inclusion proofs, (3) bundles ----------------------------------------------------------


def latency(label: str, samples: list[float], note: str = "") -> Result:
    ordered = sorted(samples)
    return Result(
        label=label,
        ops=len(ordered),
        seconds=sum(ordered),
        p50_ms=percentile(ordered, 50) * 1000,
        p99_ms=percentile(ordered, 99) * 1000,
        note=note,
    )


def queries_per_proof(ledger: Ledger, position: int) -> int:
    """How many statements one (warm) inclusion proof sends, counted, not assumed."""
    audit = ledger.audit
    fetch = audit._fetch
    count = 0

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal count
        count += 1
        return fetch(*args, **kwargs)

    audit._fetch = counting  # type: ignore[method-assign]
    try:
        audit.inclusion_proof(position)
    finally:
        del audit._fetch
    return count


def proofs_in_process(
    ledger: Ledger, positions: list[int], ours: Ours, conninfo: str
) -> tuple[Result, int]:
    """`AuditLog.inclusion_proof`, sequential; every proof is then checked (untimed)."""
    for position in positions[:PROOF_WARMUP]:
        ledger.audit.inclusion_proof(position)
    samples: list[float] = []
    proofs = []
    with Autovacuum(conninfo) as autovacuum, Cpu(os.getpid(), ours) as cpu:
        for position in positions[PROOF_WARMUP:]:
            t0 = time.perf_counter()
            proof = ledger.audit.inclusion_proof(position)
            samples.append(time.perf_counter() - t0)
            proofs.append(proof)
    bad = sum(
        not verify_inclusion(
            p.leaf_hash, p.leaf_index, p.tree_size, p.audit_path, p.checkpoint.root_hash
        )
        for p in proofs
    )
    depth = max(len(p.audit_path) for p in proofs)
    queries = queries_per_proof(ledger, positions[-1])
    note = f"{len(proofs) - bad:,}/{len(proofs):,} verify; {depth} hashes; {queries} queries; "
    note += cpu_note(cpu) + autovacuum.describe()
    result = latency("AuditLog.inclusion_proof, in process", samples, note)
    result.others_pct = cpu.others_pct
    return result, proofs[0].tree_size


def pool_round_trip(ledger: Ledger, count: int) -> Result:
    """The floor under each of inclusion_proof's queries: one prepared `SELECT 1` through the
    same pool and the same code path as AuditLog's queries."""
    samples: list[float] = []
    for i in range(PROOF_WARMUP + count):
        t0 = time.perf_counter()
        with ledger.audit.datastore.get_connection() as conn, conn.cursor() as cur:
            cur.execute("SELECT 1", prepare=True)
            cur.fetchall()
        if i >= PROOF_WARMUP:
            samples.append(time.perf_counter() - t0)
    return latency("baseline: one pooled round trip (SELECT 1)", samples, "same pool and path")


def start_proof_server(run: Run, database: Database, settings: Settings, key: Path) -> int:
    """`ledger serve --no-notary` on the bench database (the notary here is the script's)."""
    port = free_port()
    start_server(
        run,
        database.owner_conninfo,
        settings,
        port,
        notary=False,
        extra_env={"LEDGER_NOTARY_KEY": str(key)},
    )
    return port


class _ProofResponse(msgspec.Struct):
    leaf_index: int
    tree_size: int


def proofs_over_http(run: Run, port: int, positions: list[int], tree_size: int) -> Result:
    """Sequential GET /audit/proofs/inclusion on one keep-alive connection; checks each answer."""
    decoder = msgspec.json.Decoder(_ProofResponse)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    samples: list[float] = []
    assert run.server is not None
    with Cpu(run.server.pid, run.ours) as cpu:
        for i, position in enumerate(positions):
            t0 = time.perf_counter()
            conn.request("GET", f"/audit/proofs/inclusion?position={position}")
            response = conn.getresponse()
            body = response.read()
            elapsed = time.perf_counter() - t0
            if response.status != 200 or decoder.decode(body).tree_size != tree_size:
                raise RuntimeError(f"proof of {position}: {response.status} {body[:300]!r}")
            if i >= PROOF_WARMUP:
                samples.append(elapsed)
    conn.close()
    result = latency(
        "GET /audit/proofs/inclusion, keep-alive",
        samples,
        f"{cpu.describe('server')}; {len(body):,} B per answer",
    )
    result.others_pct = cpu.others_pct
    return result


def bundles(ledger: Ledger, case_id: UUID, verifier_key: str, runs: int) -> list[Result]:
    builds: list[float] = []
    for _ in range(BUNDLE_BUILDS):
        t0 = time.perf_counter()
        data = msgspec.json.encode(ledger.bundle(case_id, AUDITOR))
        builds.append(time.perf_counter() - t0)
    samples: list[float] = []
    for i in range(VERIFY_WARMUP + runs):
        t0 = time.perf_counter()
        report = verify_bundle(data, Verifier(verifier_key))
        elapsed = time.perf_counter() - t0
        if not report.ok or not any(f"{EVENTS_PER_CASE} events" in c for c in report.checked):
            raise RuntimeError(
                f"the bundle does not verify: {report.failures[:3]} {report.checked}"
            )
        if i >= VERIFY_WARMUP:
            samples.append(elapsed)
    return [
        latency(
            f"ledger.bundle + msgspec encode, {EVENTS_PER_CASE} events",
            builds,
            f"{len(data):,} B",
        ),
        latency(
            "verify_bundle(bytes, Verifier(key))",
            samples,
            f"{len(data):,} B bundle; all {runs} reports ok",
        ),
    ]


# --- the run ------------------------------------------------------------------------------------


@dataclass
class Report:
    plan: Plan
    facts: list[tuple[str, str]] = field(default_factory=list)
    parts: Parts = field(default_factory=Parts)
    seal: dict[int, Result] = field(default_factory=dict)
    proofs: list[Result] = field(default_factory=list)
    bundle: list[Result] = field(default_factory=list)
    profile: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    tree_size: int = 0


@dataclass
class Bench:
    """What the phases share: the database, the settings and the notary's key."""

    run: Run
    report: Report
    database: Database
    settings: Settings
    key_path: Path
    signer: Signer
    checkpoint: Callable[[], None]


def bench(run: Run, plan: Plan, report: Report) -> None:
    started = time.perf_counter()
    owner, where, settings, database = fresh_database(run)
    key_path = run.tmp / "keys" / "notary.key"
    b = Bench(
        run,
        report,
        database,
        settings,
        key_path,
        load_signer(key_path, settings.origin),
        checkpointer(owner),
    )
    report.facts += [
        ("PostgreSQL", f"{where}; {server_facts(owner)}"),
        ("database", f"{run.db_name} (fresh, migrated; dropped at the end)"),
    ]
    run.ours.watch(owner)

    log(f"pre-filling {plan.events:,} events by COPY ...")
    filled = prefill(owner, plan.events)
    report.extra.append(
        f"pre-fill: {filled.events:,} events in {filled.cases:,} cases of {EVENTS_PER_CASE} "
        f"({CASES_IN_FLIGHT:,} interleaved), payload {filled.payload_bytes / filled.events:.0f} B "
        f"on average, ledger_events {filled.table_mb:,.0f} MB with indexes; COPY + VACUUM "
        f"ANALYZE took {filled.seconds:.1f} s; {check_shape(owner)}"
    )
    sealing_phase(b, plan)
    ledger = Ledger(settings, database)
    run.apps.append(ledger)
    case_id = bundle_case(b, ledger)
    proof_phase(b, plan, ledger)
    log(f"(3) bundle: build x{BUNDLE_BUILDS}, verify_bundle x{plan.verify_runs} ...")
    report.bundle = bundles(ledger, case_id, b.signer.verifier_key, plan.verify_runs)
    report.extra.append(autovacuum_activity(owner))
    report.extra.append(f"total run time {time.perf_counter() - started:.0f} s")


def sealing_phase(b: Bench, plan: Plan) -> None:
    owner, origin = b.database.owner_conninfo, b.settings.origin
    b.report.parts = parts = baselines(b.database, b.settings.app_role, b.run.ours, b.checkpoint)
    log(f"(1) cProfile over {plan.profile_events:,} events ...")
    b.checkpoint()
    b.report.profile = profile_slice(b.database, b.signer, origin, plan.profile_events)
    roots: dict[int, bytes] = {}
    for batch in BATCH_SIZES:
        reset_log(owner)
        b.checkpoint()
        log(f"(1) Notary.catch_up() from zero, batch {batch:,} ...")
        b.report.seal[batch] = timed_catch_up(b.database, b.signer, origin, batch, b.run.ours)
        roots[batch] = latest_root(owner)
    agree = set(roots.values()) == {(parts.events, parts.root)}
    b.report.extra.append(
        f"tree at {parts.events:,} leaves: both notary runs and the baseline's Frontier give "
        + ("the same size and root" if agree else f"DIFFERENT trees: {roots}")
    )


def bundle_case(b: Bench, ledger: Ledger) -> UUID:
    log(f"(3) a case of {EVENTS_PER_CASE} events through the Ledger API, then catch_up ...")
    case_id = case_with_events(ledger, EVENTS_PER_CASE)
    notary = Notary(b.database.app_conninfo, b.signer, b.settings.origin)
    try:
        b.report.tree_size = notary.catch_up()
    finally:
        notary.close()
    # A live log's leaves were vacuumed (hint bits, visibility map) and analysed long ago; here
    # they are minutes old, and an autovacuum would otherwise land in the middle of (2).
    t0 = time.perf_counter()
    with psycopg.connect(b.database.owner_conninfo, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) ledger_leaves, ledger_tree_nodes, ledger_checkpoints")
        sizes = conn.execute(
            "SELECT pg_total_relation_size('ledger_leaves'), "
            "pg_total_relation_size('ledger_tree_nodes')"
        ).fetchone()
    assert sizes is not None
    b.report.extra.append(
        f"VACUUM (ANALYZE) of the log tables before (2): {time.perf_counter() - t0:.1f} s; "
        f"ledger_leaves {sizes[0] / 2**20:,.0f} MB, ledger_tree_nodes {sizes[1] / 2**20:,.0f} MB "
        "with indexes"
    )
    return case_id


def proof_phase(b: Bench, plan: Plan, ledger: Ledger) -> None:
    log(f"(2) {plan.proofs:,} inclusion proofs in process ...")
    b.checkpoint()
    rng = random.Random(9162)
    positions = rng.sample(range(1, plan.events + 1), plan.proofs + PROOF_WARMUP)
    in_process, tree_size = proofs_in_process(
        ledger, positions, b.run.ours, b.database.owner_conninfo
    )
    b.report.proofs += [in_process, pool_round_trip(ledger, plan.proofs)]
    log("(2) ... and over HTTP (`ledger serve --no-notary`) ...")
    try:
        port = start_proof_server(b.run, b.database, b.settings, b.key_path)
        b.report.proofs.append(proofs_over_http(b.run, port, positions, tree_size))
    except Exception as e:  # optional: report it and go on
        b.report.extra.append(f"HTTP proofs skipped: {e!r}"[:300])
    finally:
        stop_server(b.run)


def autovacuum_activity(conninfo: str) -> str:
    """An auto-ANALYZE or auto-VACUUM during a timed phase competes for the same 2 cores."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT relname, autoanalyze_count, autovacuum_count FROM pg_stat_user_tables "
            "WHERE relname IN ('ledger_events', 'ledger_leaves', 'ledger_tree_nodes') "
            "ORDER BY relname"
        ).fetchall()
    counts = ", ".join(f"{name} {analyze}/{vacuum}" for name, analyze, vacuum in rows)
    return f"autoanalyze/autovacuum runs over the whole run: {counts}"


# --- the report ---------------------------------------------------------------------------------


def sealing_lines(report: Report) -> list[str]:
    p = report.parts
    n = p.events
    notary = report.seal[DEFAULT_BATCH].rate
    lines = [f"(1) sealing {n:,} events{'':<31}{'events/s':>10}{'seconds':>9}{'ratio':>7}  notes"]

    def row(label: str, seconds: float, note: str) -> str:
        rate = n / seconds
        return f"  {label:<52}{rate:>10,.0f}{seconds:>9.2f}{notary / rate:>7.2f}  {note}"

    lines += [
        row(
            f"baseline: raw read, the notary's SELECT, {DEFAULT_BATCH:,}/batch",
            p.read_seconds,
            p.read_note,
        ),
        row(
            "baseline: raw read as above, binary format",
            p.read_binary_seconds,
            "not what the notary does: shown for comparison",
        ),
        row(
            "baseline: the notary's hashing loop alone",
            p.hash_seconds,
            "encode_leaf + leaf_hash + Frontier.append, no I/O",
        ),
        row(
            f"baseline: raw COPY of the {n:,} leaf rows",
            p.copy_leaves_seconds,
            "primary key + 2 indexes, as ledger_leaves",
        ),
        row(
            f"baseline: raw COPY of the {p.nodes:,} node rows",
            p.copy_nodes_seconds,
            "primary key, as ledger_tree_nodes; + COMMIT per batch",
        ),
        row(
            "baseline: read + hash + both COPYs, back to back",
            p.serial_seconds,
            "sum of the text read, hash and COPY rows",
        ),
    ]
    for batch, result in report.seal.items():
        lines.append(
            row(f"Notary.catch_up() from zero, batch {batch:,}", result.seconds, result.note)
        )
    lines.append(
        f"  ratio: the notary's rate at batch {DEFAULT_BATCH:,} / that row's rate "
        "(1.00 = as fast as that part alone)"
    )
    return lines


def latency_lines(title: str, results: list[Result]) -> list[str]:
    lines = [f"{title:<54}{'p50 ms':>10}{'p99 ms':>9}{'n':>7}  notes"]
    for x in results:
        lines.append(f"  {x.label:<52}{x.p50_ms:>10.3f}{x.p99_ms:>9.3f}{x.ops:>7,}  {x.note}")
    return lines


def budget_line(label: str, value: str, budget: str, ok: bool | None) -> str:
    return f"{label:<54}{value:>10}  {budget:<12}{'info' if ok is None else verdict(ok)}"


def contention_warning(results: list[Result]) -> list[str]:
    worst = max((x.others_pct or 0.0 for x in results), default=0.0)
    if worst <= 10:
        return []
    return [
        f"  WARNING: other processes took up to {worst:.0f}% of the machine during a timed "
        "phase (see 'others' in the notes).",
        "  The figures are depressed and noisy: rerun on a quiet machine before trusting them.",
    ]


def render(report: Report) -> str:
    p = report.parts
    notary = report.seal[DEFAULT_BATCH].rate
    proof_p99 = report.proofs[0].p99_ms
    verify_p99 = report.bundle[-1].p99_ms
    budgets = [
        budget_line(
            f"sealing rate, batch {DEFAULT_BATCH:,} (events/s)",
            f"{notary:,.0f}",
            f">= {BUDGET_SEAL_RATE:,.0f}",
            notary >= BUDGET_SEAL_RATE,
        ),
        *(
            budget_line(f"sealing rate, batch {batch:,} (events/s)", f"{x.rate:,.0f}", "-", None)
            for batch, x in report.seal.items()
            if batch != DEFAULT_BATCH
        ),
        budget_line("notary / raw read", f"{notary * p.read_seconds / p.events:.2f}", "-", None),
        budget_line(
            "notary / raw COPY of the leaf rows",
            f"{notary * p.copy_leaves_seconds / p.events:.2f}",
            "-",
            None,
        ),
        budget_line(
            "notary / read + hash + COPYs back to back",
            f"{notary * p.serial_seconds / p.events:.2f}",
            "-",
            None,
        ),
        budget_line(
            "inclusion proof p99, in process (ms)",
            f"{proof_p99:.3f}",
            f"<= {BUDGET_PROOF_P99_MS:g}",
            proof_p99 <= BUDGET_PROOF_P99_MS,
        ),
        budget_line(
            f"verify_bundle p99, {EVENTS_PER_CASE} events (ms)",
            f"{verify_p99:.3f}",
            f"<= {BUDGET_VERIFY_P99_MS:g}",
            verify_p99 <= BUDGET_VERIFY_P99_MS,
        ),
    ]
    mode = report.plan.mode + (
        f" (--events {report.plan.events:,})" if report.plan.custom_events else ""
    )
    return "\n".join(
        [
            f"ledger notary benchmark — {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}, "
            f"mode={mode}",
            *(f"  {k}: {v}" for k, v in report.facts),
            "",
            *sealing_lines(report),
            "",
            *latency_lines(f"(2) inclusion proofs at {report.tree_size:,} leaves", report.proofs),
            "",
            *latency_lines(f"(3) bundle of a {EVENTS_PER_CASE}-event case", report.bundle),
            "",
            f"{'ratio / budget':<54}{'value':>10}  {'budget':<12}verdict",
            *budgets,
            "",
            "where the notary's time goes",
            *(f"  {line}" for line in report.profile),
            "",
            *(f"  {line}" for line in report.extra),
            *contention_warning([*report.seal.values(), *report.proofs]),
        ]
    )


def source_revision() -> str:
    """The commit measured, and whether src/ or migrations/ differ from it."""
    root = Path(__file__).resolve().parents[2]
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "src", "migrations"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"git {head}" + (" + uncommitted changes in src/ or migrations/" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="100,000 events (under a minute)")
    parser.add_argument("--events", type=int, help="pre-fill this many events instead")
    args = parser.parse_args(argv)
    plan = Plan.for_mode(args.quick, args.events)
    if plan.events < plan.proofs + PROOF_WARMUP:
        parser.error(f"--events must be at least {plan.proofs + PROOF_WARMUP:,}")
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    quiet_ledger_logging()
    report = Report(plan)
    report.facts.append(machine_fact("msgspec"))
    report.facts.append(("source", source_revision()))
    return run_and_print(bench, plan, report, render)


if __name__ == "__main__":
    sys.exit(main())
