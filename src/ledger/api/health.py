"""`GET /health`: the database answers, the log's head, and any view that is stopped.

Why 200 when a view is stopped: the process is healthy (writes, proofs and the other views
work), and restarting it would not help: a stopped projection waits for an operator, not for a
new process. A load balancer that took the API out on a 503 would turn one frozen view into an
outage. So the answer stays 200, with `status: "degraded"` and `degraded` naming each stopped
projection, the event it stopped before and why; monitoring alerts on `status != "ok"`.
503 remains the answer when the database does not answer.
"""

from __future__ import annotations

from typing import Any, cast

import psycopg
import structlog
from eventsourcing.persistence import PersistenceError
from litestar import get
from litestar.di import NamedDependency
from litestar.exceptions import ServiceUnavailableException
from psycopg.rows import tuple_row

from ledger.api.schemas.health import Health, StoppedView
from ledger.application.service import Ledger
from ledger.config.logs import error_text
from ledger.projections.status import StoppedProjection, stopped_projections

log = structlog.get_logger("ledger.http")


@get("/health", sync_to_thread=True, tags=["operations"], security=[{}])
def health(ledger: NamedDependency[Ledger]) -> Health:
    """Liveness and readiness: the database answers, the log's head position, and whether any
    view is stopped before an event it cannot apply (`status: degraded`, still 200)."""
    try:
        position = ledger.recorder.max_notification_id()
        with ledger.store.datastore.get_connection() as conn:
            stopped = stopped_projections(cast("Any", conn.cursor(row_factory=tuple_row)))
    except (PersistenceError, psycopg.Error) as e:
        # The driver's words name hosts, ports and paths: the log has them, not the answer.
        log.warning("health.database_unanswered", error=error_text(e))
        raise ServiceUnavailableException("the database does not answer") from None
    degraded = [_stopped_view(s) for s in stopped]
    return Health(
        status="degraded" if degraded else "ok",
        database="ok",
        position=position,
        degraded=degraded,
    )


def _stopped_view(stopped: StoppedProjection) -> StoppedView:
    f = stopped.failure
    return StoppedView(
        projection=stopped.name,
        position=stopped.position,
        event_position=f.position,
        originator_id=f.originator_id,
        originator_version=f.originator_version,
        topic=f.topic,
        error_class=f.error_class,
        error=f.error,
        failed_at=f.failed_at,
        attempts=f.attempts,
        detail=f"the {stopped.name} view is stopped before {f.describe()}; reads that wait for "
        "a later position answer 503 at once (ledger projections status | skip | retry)",
    )
