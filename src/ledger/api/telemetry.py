"""Prometheus metrics at `GET /metrics`: requests by route, appends by event type, timeliness
reports by the connections they were read on, how far the views and the notary trail the log, the
request pool, and the process.

A registry per app, not prometheus_client's global one: tests build many apps in one process, and
each must count only its own requests. Under `ledger serve --workers N` (N >= 2) each API worker is
its own process and a scrape reaches one of them, so the counters and histograms go to
prometheus_client's multiprocess files, in the directory the parent names in
PROMETHEUS_MULTIPROC_DIR, and every scrape sums all workers' (a dead worker's counts included: they
happened). Read at scrape time and so the scraped worker's own: the request pool's figures and
the database restarts; the log's positions are the database's, the same from any worker. The
process collector is left out there (it would describe only the scraped worker).

Every label is bounded and names no person or case: a route is its template (`/cases/{case_id}`,
never the id; `unmatched` for a 404 or 405 outside any route), an event type its class
(`Case.HandedOff`), a view its projection's name.

Public, like `/health`: it holds counts and positions only (the log's position is on `/health`
already), so a scraper needs no token that could also read cases; keep it off the public
internet at the reverse proxy, as `/health`.

The log's figures are read at scrape time, in one query bounded by a statement timeout, on the
request pool the database supervisor guards. While the database does not answer, the scrape still
answers at once: `ledger_database_up 0`, the log's gauges absent, the pool's and the process's
figures present.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import anyio
import structlog
from eventsourcing.persistence import PersistenceError, Recording
from litestar import Litestar, Request, Response, get
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from psycopg.rows import tuple_row

from ledger.application.service import Ledger
from ledger.config.logs import error_text
from ledger.domain.errors import LedgerError
from ledger.store.supervisor import DatabaseSupervisor

log = structlog.get_logger("ledger.http")

SCRAPE_TIMEOUT_MS = 500
"""The statement timeout of the scrape's one query: a slow database leaves gauges out, it does
not hold the scrape (or a pool connection) for long."""

UNMATCHED = "unmatched"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""Set (by `ledger.cli.processes`) before this process starts: counters go to shared files."""

_POSITIONS = (
    "SELECT 'log', '', (SELECT coalesce(max(notification_id), 0) FROM ledger_events) "
    "UNION ALL SELECT 'view', p.name, coalesce(t.position, 0) FROM ledger_projections p "
    "  LEFT JOIN ledger_projection_tracking t ON t.name = p.name AND t.generation = p.generation "
    "UNION ALL SELECT 'sealed', '', last_position FROM ledger_notary_state "
    "UNION ALL SELECT 'leaves', '', tree_size FROM ledger_notary_state "
    "UNION ALL SELECT 'checkpoint', '', (SELECT coalesce(max(tree_size), 0) "
    "  FROM ledger_checkpoints)"
)
"""Each figure by index: the log's head, each live view's position, the notary's last sealed
position and tree size, the newest signed checkpoint's size."""

_POOL_GAUGES = {
    "size": ("pool_size", "Connections the request pool holds"),
    "available": ("pool_available", "Idle connections in the request pool"),
    "min": ("pool_min", "The request pool's minimum size"),
    "max": ("pool_max", "The request pool's maximum size"),
    "requests_waiting": ("requests_waiting", "Requests queued for a connection now"),
}
_POOL_COUNTERS = {
    "requests": ("requests_num", "Connections asked of the request pool"),
    "requests_queued": ("requests_queued", "Requests that had to queue for a connection"),
    "request_errors": ("requests_errors", "Requests for a connection that failed"),
    "connections": ("connections_num", "Connections the request pool opened"),
    "connection_errors": ("connections_errors", "Connection attempts that failed"),
    "connections_lost": ("connections_lost", "Connections found broken and dropped"),
}
"""psycopg_pool's `get_stats()` keys, as `ledger_db_pool_<name>`."""


class Telemetry:
    """One app's metrics: the registry, its counters, and the ledger it watches once started."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        """What /metrics exposes."""
        shared = os.environ.get(MULTIPROC_ENV)  # prometheus_client chose its files on import
        own = None if shared else self.registry  # shared: the files' sums, not this process's
        self.requests = Counter(
            "ledger_http_requests",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=own,
        )
        self.latency = Histogram(
            "ledger_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template, method and status",
            ["route", "method", "status"],
            registry=own,
        )
        self.appends = Counter(
            "ledger_events_appended",
            "Events committed to the log by the serving processes, by event type",
            ["event_type"],
            registry=own,
        )
        self.reports = Counter(
            "ledger_report_reads",
            "Timeliness reports read, by the connections their snapshot was read on (1: no "
            "second connection of the pool was free at once, so the queries ran one by one)",
            ["connections"],
            registry=own,
        )
        if shared:
            MultiProcessCollector(self.registry, path=shared)  # type: ignore[no-untyped-call]
        else:
            ProcessCollector(registry=self.registry)
        self.registry.register(_LedgerCollector(self))
        self.ledger: Ledger | None = None
        self.supervisor: DatabaseSupervisor | None = None

    def count_appends(self, recordings: Sequence[Recording[Any]]) -> None:
        for recording in recordings:
            self.appends.labels(recording.notification.topic.rpartition(":")[2]).inc()

    @asynccontextmanager
    async def watching(self, app: Litestar) -> AsyncIterator[None]:
        """A lifespan after the app's own: watch its ledger while it serves."""
        self.ledger, self.supervisor = app.state.ledger, app.state.supervisor
        self.ledger.committed.append(self.count_appends)
        try:
            yield
        finally:
            self.ledger.committed.remove(self.count_appends)
            self.ledger = self.supervisor = None

    def count_report(self, connections: int) -> None:
        """A timeliness report was read on `connections` connections (`Fetched.connections`)."""
        self.reports.labels(str(connections)).inc()

    def exposition(self) -> bytes:
        """The text format (0.0.4: every Prometheus reads it). Blocking: the log's figures."""
        return generate_latest(self.registry)

    def instrument(self, app: ASGIApp) -> ASGIApp:
        """Count and time every HTTP request around the whole app, labelled by the route template
        the router matched (set in the scope as it routes)."""

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":  # type: ignore[comparison-overlap]
                await app(scope, receive, send)
                return
            started = time.perf_counter()
            status = 500

            async def send_status(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            try:
                await app(scope, receive, send_status)
            finally:
                labels = (
                    scope.get("path_template") or UNMATCHED,  # set by the router once matched
                    scope.get("method", ""),
                    str(status),
                )
                self.requests.labels(*labels).inc()
                self.latency.labels(*labels).observe(time.perf_counter() - started)

        return middleware


class _LedgerCollector(Collector):
    """The figures read at scrape time: the pool's, the supervisor's, and the log's positions."""

    def __init__(self, telemetry: Telemetry) -> None:
        self.telemetry = telemetry

    def collect(self) -> Iterator[Metric]:
        ledger, supervisor = self.telemetry.ledger, self.telemetry.supervisor
        if ledger is None:  # not serving yet (or any more)
            return
        yield from _pool_metrics(ledger.store.datastore.pool.get_stats())
        if supervisor is not None:
            yield CounterMetricFamily(
                "ledger_database_restarts",
                "Times this process restarted the embedded PostgreSQL",
                supervisor.status().restarts,
            )
        figures = _read_positions(ledger)
        yield GaugeMetricFamily(
            "ledger_database_up",
            "1 if the database answered this scrape's query, 0 if not (down, or too slow)",
            int(figures is not None),
        )
        if figures is not None:
            yield from _position_metrics(figures)


def _read_positions(ledger: Ledger) -> list[tuple[str, str, int]] | None:
    try:
        with ledger.store.datastore.get_connection() as conn, conn.transaction():
            cursor = conn.cursor(row_factory=tuple_row)
            cursor.execute(f"SET LOCAL statement_timeout = {SCRAPE_TIMEOUT_MS}")
            return cursor.execute(_POSITIONS).fetchall()
    except (PersistenceError, LedgerError) as e:  # down, refused while down, or too slow
        log.warning("metrics.database_unanswered", error=error_text(e, 200))
        return None


def _position_metrics(figures: list[tuple[str, str, int]]) -> Iterator[Metric]:
    head = next(value for kind, _, value in figures if kind == "log")
    one = {kind: value for kind, _, value in figures if kind != "view"}
    yield GaugeMetricFamily(
        "ledger_log_position", "The newest event's position in the log (notification id)", head
    )
    position = GaugeMetricFamily(
        "ledger_projection_position", "The last log position each view has passed", labels=["view"]
    )
    lag = GaugeMetricFamily(
        "ledger_projection_lag_positions",
        "Log positions each view trails the newest event by (positions may have gaps: at most "
        "this many events)",
        labels=["view"],
    )
    for kind, name, value in figures:
        if kind == "view":
            position.add_metric([name], value)
            lag.add_metric([name], max(head - value, 0))
    yield position
    yield lag
    yield GaugeMetricFamily(
        "ledger_notary_lag_positions",
        "Log positions the notary trails the newest event by (events not yet sealed as leaves)",
        max(head - one["sealed"], 0),
    )
    yield GaugeMetricFamily(
        "ledger_log_leaves", "Leaves the notary has sealed into the Merkle tree", one["leaves"]
    )
    yield GaugeMetricFamily(
        "ledger_checkpoint_tree_size",
        "The tree size of the newest signed checkpoint",
        one["checkpoint"],
    )


def _pool_metrics(stats: dict[str, int]) -> Iterator[Metric]:
    for name, (key, documentation) in _POOL_GAUGES.items():
        yield GaugeMetricFamily(f"ledger_db_pool_{name}", documentation, stats.get(key, 0))
    for name, (key, documentation) in _POOL_COUNTERS.items():
        yield CounterMetricFamily(f"ledger_db_pool_{name}", documentation, stats.get(key, 0))
    yield CounterMetricFamily(
        "ledger_db_pool_requests_wait_seconds",
        "Time requests spent waiting for a connection",
        stats.get("requests_wait_ms", 0) / 1000,
    )


@get(
    "/metrics",
    tags=["operations"],
    security=[{}],
    summary="Prometheus metrics",
    description="The Prometheus text format (0.0.4): requests by route template, method and "
    "status; events appended by type; timeliness reports by the connections they were read on; "
    "each view's and the notary's lag behind the log; the newest checkpoint's tree size; the "
    "request pool; the process. Public, like /health: counts and positions only, no case ids or "
    "personal data.",
    media_type="text/plain",
)
async def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
    telemetry: Telemetry = request.app.state.telemetry
    body = await anyio.to_thread.run_sync(telemetry.exposition)
    return Response(body, media_type=CONTENT_TYPE_PLAIN_0_0_4)
