"""(d) GET /cases/{id} latency: sequential requests on one keep-alive connection."""

from __future__ import annotations

import http.client
import json
import time
from typing import TYPE_CHECKING

from support.timing import latency

if TYPE_CHECKING:
    from uuid import UUID

    from support.timing import Result

WARM_UP = 20  # requests not counted


def get_latency(port: int, token: str, case_id: UUID, events: int, requests: int) -> Result:
    """Sequential GET /cases/{id} on one keep-alive connection; checks status and version."""
    headers = {"Authorization": f"Bearer {token}"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    latencies = []
    for i in range(WARM_UP + requests):
        t0 = time.perf_counter()
        conn.request("GET", f"/cases/{case_id}", headers=headers)
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - t0
        if response.status != 200 or json.loads(body)["version"] != events:
            raise RuntimeError(f"GET /cases/{case_id}: {response.status} {body[:300]!r}")
        if i >= WARM_UP:
            latencies.append(elapsed)
    conn.close()
    return latency(f"(d) HTTP GET, {events:,} events", latencies, non2xx=0)
