"""What the pages bench asks for: each page beside the JSON endpoint it renders, the same
centre and case, timed over one keep-alive connection."""

from __future__ import annotations

import http.client
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg
from support.report import log

if TYPE_CHECKING:
    from support.timing import Result


@dataclass(frozen=True)
class Pair:
    """A page and the JSON API read of the same data (its baseline in the same run)."""

    label: str
    page: str
    api: str


def busiest(owner: str) -> tuple[str, str]:
    """The centre with most cases, and its case with most events (the heaviest page of each)."""
    with psycopg.connect(owner) as conn:
        row = conn.execute(
            "SELECT centre FROM view_cases GROUP BY centre ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
        assert row is not None, "the views are empty: did the projections catch up?"
        centre = row[0]
        case = conn.execute(
            "SELECT originator_id FROM ledger_events GROUP BY originator_id "
            "ORDER BY count(*) DESC LIMIT 1"
        ).fetchone()
    assert case is not None
    return centre, str(case[0])


def pairs(centre: str, case_id: str, month: str) -> list[Pair]:
    period = f"from={month}-01&to={month}-28"
    return [
        Pair("duty board", f"/ui/board?centre={centre}", f"/boards/duty?centre={centre}"),
        Pair("case page", f"/ui/cases/{case_id}", f"/cases/{case_id}"),
        Pair(
            "indicators (a month, by department)",
            f"/ui/indicators?centre={centre}&{period}&group_by=department",
            f"/metrics/timeliness?centre={centre}&{period}&group_by=department",
        ),
        Pair(
            "12345 register",
            f"/ui/registers/hotline?centre={centre}",
            f"/hotline/tickets?centre={centre}",
        ),
        Pair("case search", f"/ui/cases?centre={centre}", f"/cases?centre={centre}"),
    ]


def timed(port: int, path: str, headers: dict[str, str], n: int) -> tuple[list[float], int]:
    """`n` sequential GETs (after two untimed warm-ups) on one connection: latencies in
    seconds, and how many answered other than 200."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    samples: list[float] = []
    bad = 0
    try:
        for i in range(n + 2):
            t0 = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = response_of(conn)
            took = time.perf_counter() - t0
            if response != 200:
                bad += 1
                if i == 0:
                    log(f"  {path}: HTTP {response}")
            if i >= 2:
                samples.append(took)
    finally:
        conn.close()
    return samples, bad


def response_of(conn: http.client.HTTPConnection) -> int:
    response = conn.getresponse()
    response.read()
    return response.status


def ratio(page: Result, api: Result) -> float:
    return page.p99_ms / api.p99_ms if api.p99_ms else float("nan")
