"""Loading an aggregate in one round trip: its newest snapshot and the events after it.

eventsourcing's repository asks twice, each on a connection of its own from the pool: the
newest snapshot at or below the version, then the events after it. Every append loads its case
first, so that second round trip was paid on every write. Here one statement returns both, read
in one snapshot of the database. The snapshot is still believed only if it passes every check
(`SealedSnapshotStore.trusted`); when it does not, the events are read again from version 1, as
eventsourcing's repository would, and the rejection is logged there.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import chain
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProjectorFunction, Repository
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import EventStore, StoredEvent
from psycopg.sql import SQL, Identifier

from ledger.store.snapshots import SealedSnapshotStore, sealed_row
from ledger.store.statements import rendered

# The snapshot as `SnapshotRecorder` selects it (its MAC and the event it folds up to), the
# newest at or below the version; then the events after it. Positional parameters, as that
# statement's: the id, [the version], the id, [the version].
_LOAD = """
WITH s AS ({sealed} {snapshot_bound} ORDER BY s.originator_version DESC LIMIT 1)
SELECT true AS is_snapshot, originator_version, topic, state, mac, notification_id, head_topic,
       head_state FROM s
UNION ALL
SELECT false, originator_version, topic, state, NULL, NULL, NULL, NULL FROM {schema}.{events}
 WHERE originator_id = %s
   AND originator_version > coalesce((SELECT originator_version FROM s), 0) {event_bound}
ORDER BY is_snapshot DESC, originator_version
"""


class OneTripRepository(Repository[UUID]):
    """eventsourcing's repository, with `_reconstruct_aggregate` in one statement."""

    def __init__(
        self, event_store: EventStore[UUID], *, snapshot_store: SealedSnapshotStore, **kwargs: Any
    ) -> None:
        super().__init__(event_store, snapshot_store=snapshot_store, **kwargs)
        self.sealed = snapshot_store
        recorder = snapshot_store.sealed
        self._datastore = recorder.datastore
        self._load = {
            bounded: rendered(
                SQL(_LOAD).format(
                    sealed=recorder.select_sealed_statement,
                    schema=Identifier(recorder.datastore.schema),
                    events=Identifier(recorder.head_table_name),
                    snapshot_bound=SQL("AND s.originator_version <= %s" if bounded else ""),
                    event_bound=SQL("AND originator_version <= %s" if bounded else ""),
                )
            )
            for bounded in (False, True)
        }

    def _reconstruct_aggregate(
        self,
        aggregate_id: UUID,
        version: int | None,
        projector_func: ProjectorFunction[Any, Any],
    ) -> Any:
        bound = () if version is None else (version,)
        with self._datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._load[version is not None], (aggregate_id, *bound) * 2, prepare=True)
            rows = curs.fetchall()
        snapshots: list[DomainEventProtocol[UUID]] = []
        if rows and rows[0]["is_snapshot"]:
            trusted = self.sealed.trusted(sealed_row(aggregate_id, rows.pop(0)))
            if trusted is None:  # replay from version 1, as eventsourcing's repository would
                events: Iterable[Any] = self.event_store.get(aggregate_id, lte=version)
                return self._project(aggregate_id, version, projector_func, events)
            snapshots.append(trusted)
        mapper = self.event_store.mapper
        events = (
            mapper.to_domain_event(
                StoredEvent(
                    originator_id=aggregate_id,
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
            )
            for row in rows
        )
        return self._project(aggregate_id, version, projector_func, chain(snapshots, events))

    @staticmethod
    def _project(
        aggregate_id: UUID,
        version: int | None,
        projector_func: ProjectorFunction[Any, Any],
        events: Iterable[Any],
    ) -> Any:
        aggregate = projector_func(None, events)
        if aggregate is None:
            msg = f"Aggregate {aggregate_id!r} version {version!r} not found."
            raise AggregateNotFoundError(msg)
        return aggregate
