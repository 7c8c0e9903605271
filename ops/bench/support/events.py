"""Pre-filling ledger_events by COPY, and the check that the pre-filled rows are the ledger's."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING
from uuid import UUID

import psycopg
from eventsourcing.persistence import StoredEvent

from ledger.store.events import MsgspecMapper

if TYPE_CHECKING:
    from collections.abc import Iterable

Row = tuple[UUID, int, str, bytes]
"""originator_id, originator_version, topic, state: what a pre-fill COPYs."""

COPY_EVENTS = (
    "COPY ledger_events (originator_id, originator_version, topic, state) "
    "FROM STDIN (FORMAT BINARY)"
)


def copy_events(conn: psycopg.Connection[tuple[object, ...]], rows: Iterable[Row]) -> int:
    """One COPY of `rows` (one transaction on an autocommit connection); notification_id comes
    from the table's sequence. Returns the payload bytes written."""
    payload = 0
    with conn.cursor() as cur, cur.copy(COPY_EVENTS) as copy:
        copy.set_types(["uuid", "int8", "text", "bytea"])
        for row in rows:
            payload += len(row[3])
            copy.write_row(row)
    return payload


def vacuum_events(conn: psycopg.Connection[tuple[object, ...]]) -> float:
    """VACUUM (ANALYZE) after a pre-fill: hint bits set, so no timed reader pays for them.
    Returns the seconds it took."""
    t0 = time.perf_counter()
    conn.execute("VACUUM (ANALYZE) ledger_events")
    return time.perf_counter() - t0


def check_shape(owner: str, first: int = 2_000) -> str:
    """The first pre-filled rows decode through the ledger's own mapper into its own event
    classes."""
    mapper = MsgspecMapper()
    with psycopg.connect(owner) as conn:
        rows = conn.execute(
            "SELECT originator_id, originator_version, topic, state FROM ledger_events "
            "WHERE notification_id <= %s ORDER BY notification_id",
            (first,),
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
