"""Views rebuilt by themselves when a release changes their shape.

A projection's `shape` names what rows a history produces in its view. A release that adds a
column or changes a meaning changes it; the registry (`ledger_projections.shape`) records the shape
the live generation was built in (set when the view is first created and at every rebuild's swap).
At start, `ledger serve` and `ledger worker` rebuild, beside the live view, every view whose
recorded shape differs: reads keep the old view until the swap, and no operator has to remember
`ledger projections rebuild` after an upgrade. Several processes may start at once: the rebuild's
advisory lock lets one build, the others leave it to that one.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import psycopg
import structlog

from ledger.projections.base import Projection
from ledger.projections.rebuild import RebuildInProgress, RebuildStopped, rebuild

log = structlog.get_logger("ledger.projections")


def shape_of(projection: Projection) -> str | None:
    """The projection's shape; None for one that does not name one (never rebuilt by itself)."""
    shape = getattr(projection, "shape", None)
    return None if shape is None else str(shape)


def stale(conninfo: str, projections: Sequence[Projection]) -> list[Projection]:
    """The projections whose live view was built in another shape than theirs (a view not yet
    created is not stale: it is created in the current shape)."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        recorded: dict[str, str | None] = dict(
            conn.execute("SELECT name, shape FROM ledger_projections").fetchall()
        )
    return [
        p
        for p in projections
        if (shape := shape_of(p)) is not None and p.name in recorded and recorded[p.name] != shape
    ]


def reshape(conninfo: str, projections: Sequence[Projection]) -> list[str]:
    """Rebuild every stale view; returns the names rebuilt here. A view another process is
    rebuilding is left to it; one whose rebuild stops on an event is recorded as stopped (as
    `ledger projections rebuild` records it) and left live in its old shape."""
    done = []
    for projection in stale(conninfo, projections):
        log.warning("projection.reshaping", projection=projection.name, shape=shape_of(projection))
        try:
            rebuild(conninfo, projection)
        except RebuildInProgress:
            log.info("projection.reshaping_elsewhere", projection=projection.name)
            continue
        except RebuildStopped as e:
            log.error("projection.reshape_stopped", projection=projection.name, error=str(e))
            continue
        done.append(projection.name)
    return done


def reshape_in_background(conninfo: str, projections: Sequence[Projection]) -> threading.Thread:
    """`reshape` in a daemon thread (a rebuild of a large view takes minutes; serving goes on)."""

    def run() -> None:
        try:
            reshape(conninfo, projections)
        except Exception:  # the server must not die of it; the next start tries again
            log.exception("projection.reshape_failed")

    thread = threading.Thread(target=run, name="projection-shapes", daemon=True)
    thread.start()
    return thread
