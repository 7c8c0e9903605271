"""Snapshots the application seals for itself, and trusts only when the seal and the log agree.

A snapshot is a cache: auditors never read one (bundles carry events), and the application can
always rebuild the aggregate from its events. So a snapshot row is believed only if it carries a
MAC under `snapshot_key`, a key that lives outside the database (settings: `LEDGER_SNAPSHOT_KEY`
or `$LEDGER_DATA_DIR/secrets/snapshot.key`), over the snapshot AND the stored event it folds up
to (the event at the snapshot's version, with its position). A database role, even the owner,
cannot make one without the key; a snapshot left over after the events under it changed or
vanished (a rollback) names an event that is no longer there, and fails.

On load, a snapshot whose MAC is missing or wrong, whose event is gone or changed, or that does
not decode, is skipped and logged (`snapshot.rejected`); the repository then replays the
aggregate from its events. Never served, never a 500.

Writes go through `ledger_put_snapshots()` (migrations/0008_snapshot_macs.sql): the application
role cannot INSERT snapshot rows itself, and the function takes only rows that name a stored
event. It cannot check the MAC (the key is not in the database); the reader does.
"""

from __future__ import annotations

import hmac
import struct
from collections.abc import Iterator, Sequence
from hashlib import sha256
from typing import Any
from uuid import UUID

import msgspec
import structlog
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import (
    EventStore,
    Mapper,
    Notification,
    Recording,
    StoredEvent,
)
from eventsourcing.postgres import PostgresAggregateRecorder, PostgresDatastore
from psycopg.sql import SQL, Identifier

from ledger.domain.state import STATE_SHAPE

log = structlog.get_logger("ledger")

MAC_DOMAIN = b"case-ledger/snapshot-mac/v1"
"""Domain separation: no other MAC this application computes starts with these bytes."""

MAC_SIZE = sha256().digest_size


def snapshot_mac(key: bytes, snapshot: StoredEvent, head: Notification) -> bytes:
    """HMAC-SHA256 under `key` over the snapshot row and the event it folds up to.

    The message is `MAC_DOMAIN`, then nine fields, each as an 8-byte big-endian length and its
    bytes: the snapshot's originator id (16 bytes), version (8 bytes, big-endian), topic (UTF-8)
    and state; the head event's position (notification id, 8 bytes), version, topic and state;
    and the fold's `STATE_SHAPE` (UTF-8), so a snapshot this code's fold would not have produced
    (an older release's: it decodes, with defaults for what that fold never derived) fails.
    Length prefixes keep any two different tuples from encoding to the same message.
    """
    if (head.originator_id, head.originator_version) != (
        snapshot.originator_id,
        snapshot.originator_version,
    ):
        raise ValueError("a snapshot is sealed with the event at its own version")
    originator_id = snapshot.originator_id
    assert isinstance(originator_id, UUID)
    mac = hmac.new(key, MAC_DOMAIN, sha256)
    for field in (
        originator_id.bytes,
        _u64(snapshot.originator_version),
        snapshot.topic.encode(),
        snapshot.state,
        _u64(head.id),
        _u64(head.originator_version),
        head.topic.encode(),
        head.state,
        STATE_SHAPE.encode(),
    ):
        mac.update(_u64(len(field)))
        mac.update(field)
    return mac.digest()


def _u64(value: int) -> bytes:
    return struct.pack(">Q", value)


class SealedRow(msgspec.Struct, frozen=True):
    """A stored snapshot as read: its MAC (None if the row has none) and the stored event at its
    version (None if there is no such event)."""

    snapshot: StoredEvent
    mac: bytes | None
    head: Notification | None


class SnapshotRecorder(PostgresAggregateRecorder):
    """Inserts snapshots through `ledger_put_snapshots()`; reads each with its MAC and the event
    at its version, in one query (`select_sealed_statement`, which `ledger.store.loads` also
    builds on)."""

    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "ledger_snapshots",
        head_table_name: str = "ledger_events",
    ):
        super().__init__(datastore, events_table_name=events_table_name)
        self.head_table_name = head_table_name
        schema = Identifier(self.datastore.schema)
        self._put_sealed = SQL(
            "SELECT {0}.ledger_put_snapshots(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[], "
            "%s::bytea[])"
        ).format(schema)
        self.select_sealed_statement = SQL(
            "SELECT s.originator_version, s.topic, s.state, s.mac, e.notification_id, "
            "e.topic AS head_topic, e.state AS head_state "
            "FROM {0}.{1} s LEFT JOIN {0}.{2} e "
            "ON e.originator_id = s.originator_id AND e.originator_version = s.originator_version "
            "WHERE s.originator_id = %s"
        ).format(schema, Identifier(self.events_table_name), Identifier(head_table_name))
        self._select_head = SQL(
            "SELECT topic, state, notification_id FROM {0}.{1} "
            "WHERE originator_id = %s AND originator_version = %s"
        ).format(schema, Identifier(head_table_name))

    def insert_sealed(self, rows: Sequence[tuple[StoredEvent, bytes]]) -> None:
        if not rows:
            return
        columns: list[list[Any]] = [[] for _ in range(5)]
        for stored, mac in rows:
            values = (stored.originator_id, stored.originator_version, stored.topic, stored.state)
            for column, value in zip(columns, (*values, mac), strict=True):
                column.append(value)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._put_sealed, columns, prepare=True)

    def select_sealed(
        self,
        originator_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> list[SealedRow]:
        statement = self.select_sealed_statement
        params: list[Any] = [originator_id]
        if gt is not None:
            statement += SQL(" AND s.originator_version > %s")
            params.append(gt)
        if lte is not None:
            statement += SQL(" AND s.originator_version <= %s")
            params.append(lte)
        statement += SQL(
            " ORDER BY s.originator_version DESC" if desc else " ORDER BY s.originator_version ASC"
        )
        if limit is not None:
            statement += SQL(" LIMIT %s")
            params.append(limit)
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(statement, params, prepare=True)
            return [sealed_row(originator_id, row) for row in curs.fetchall()]

    def select_head(self, originator_id: UUID, version: int) -> Notification | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_head, (originator_id, version), prepare=True)
            row = curs.fetchone()
        if row is None:
            return None
        return Notification(
            originator_id=originator_id,
            originator_version=version,
            topic=row["topic"],
            state=bytes(row["state"]),
            id=row["notification_id"],
        )


def sealed_row(originator_id: UUID, row: Any) -> SealedRow:
    version = row["originator_version"]
    head = None
    if row["notification_id"] is not None:
        head = Notification(
            originator_id=originator_id,
            originator_version=version,
            topic=row["head_topic"],
            state=bytes(row["head_state"]),
            id=row["notification_id"],
        )
    return SealedRow(
        snapshot=StoredEvent(
            originator_id=originator_id,
            originator_version=version,
            topic=row["topic"] or "",
            state=bytes(row["state"] or b""),
        ),
        mac=None if row["mac"] is None else bytes(row["mac"]),
        head=head,
    )


class SealedSnapshotStore(EventStore[UUID]):
    """The application's snapshot store: seals what it puts, returns only what it can trust."""

    def __init__(self, mapper: Mapper[UUID], recorder: SnapshotRecorder, key: bytes) -> None:
        super().__init__(mapper, recorder)
        self.sealed = recorder
        self._key = key

    def put(
        self,
        domain_events: Sequence[DomainEventProtocol[UUID]],
        *,
        heads: Sequence[Notification] = (),
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        """Seal and insert snapshots. `heads`: the just-recorded events at their versions (as
        `save()` returned them); any snapshot without one is sealed with its event as stored."""
        known = {(h.originator_id, h.originator_version): h for h in heads}
        rows = []
        for snapshot in domain_events:
            stored = self.mapper.to_stored_event(snapshot)
            assert isinstance(stored.originator_id, UUID)
            head = known.get((stored.originator_id, stored.originator_version))
            if head is None:
                head = self.sealed.select_head(stored.originator_id, stored.originator_version)
            if head is None:
                raise ValueError(
                    f"no stored event {stored.originator_id} v{stored.originator_version} "
                    "for the snapshot to fold up to"
                )
            rows.append((stored, snapshot_mac(self._key, stored, head)))
        self.sealed.insert_sealed(rows)
        return []

    def get(
        self,
        originator_id: UUID,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Iterator[DomainEventProtocol[UUID]]:
        """Only snapshots that pass every check; the repository replays events for the rest (with
        `desc=True, limit=1`, as it asks, a rejected newest snapshot means a replay from version 1).
        """
        rows = self.sealed.select_sealed(originator_id, gt=gt, lte=lte, desc=desc, limit=limit)
        return iter([s for row in rows if (s := self.trusted(row)) is not None])

    def trusted(self, row: SealedRow) -> DomainEventProtocol[UUID] | None:
        """The row's snapshot if it passes every check; None, logged, if not."""
        snapshot = row.snapshot
        if row.mac is None:
            reason = "no MAC"
        elif row.head is None:
            reason = "no stored event at its version"
        elif not hmac.compare_digest(row.mac, snapshot_mac(self._key, snapshot, row.head)):
            reason = "MAC does not match"  # another key, altered, or an older fold's shape
        else:
            try:
                return self.mapper.to_domain_event(snapshot)
            except Exception as error:  # sealed under this key, yet not this code's shape
                reason = f"does not decode: {type(error).__name__}"
        log.warning(
            "snapshot.rejected",
            aggregate_id=str(snapshot.originator_id),
            version=snapshot.originator_version,
            reason=reason,
        )
        return None
