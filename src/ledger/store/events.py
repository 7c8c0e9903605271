"""How events are stored: msgspec payloads, the insert lock, and same-transaction write receipts."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Sequence
from functools import cache
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, ProgrammingError, StoredEvent, Transcoder
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import get_topic, resolve_topic
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from ledger.store.json_rows import bytea, json_rows
from ledger.store.statements import rendered

_ENVELOPE = ("originator_id", "originator_version")


class MsgspecMapper(Mapper[UUID]):
    """Stores event state as msgspec JSON and decodes it against the event class's own field types.

    Decoding is typed (UUIDs, datetimes, enums and value Structs come back as themselves) and
    strict: a stored payload that no longer fits its class fails loudly instead of half-loading.
    New fields must have defaults, so old payloads still decode (house style rule 6).
    """

    def __init__(self) -> None:
        super().__init__(transcoder=_NoTranscoder())
        self._encoder = msgspec.json.Encoder()

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=get_topic(type(domain_event)),
            state=self._encoder.encode(state),
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        cls = resolve_topic(stored_event.topic)
        decoded = _decoder_for(cls).decode(stored_event.state)
        state = msgspec.structs.asdict(decoded)
        state["originator_id"] = stored_event.originator_id
        state["originator_version"] = stored_event.originator_version
        domain_event = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", state)
        return typing.cast("DomainEventProtocol[UUID]", domain_event)


@cache
def _decoder_for(cls: type) -> msgspec.json.Decoder[Any]:
    """A Struct mirroring the event dataclass's fields (envelope excluded), built once per class."""
    hints = typing.get_type_hints(cls)
    fields: list[tuple[str, Any] | tuple[str, Any, Any]] = []
    for field in dataclasses.fields(cls):
        if field.name in _ENVELOPE:
            continue
        if field.default is not dataclasses.MISSING:
            fields.append((field.name, hints[field.name], field.default))
        elif field.default_factory is not dataclasses.MISSING:
            fields.append(
                (
                    field.name,
                    hints[field.name],
                    msgspec.field(default_factory=field.default_factory),
                )
            )
        else:
            fields.append((field.name, hints[field.name]))
    required = [f for f in fields if len(f) == 2]
    optional = [f for f in fields if len(f) == 3]
    struct = msgspec.defstruct(f"{cls.__qualname__}Stored", [*required, *optional], kw_only=True)
    return msgspec.json.Decoder(struct)


class _NoTranscoder(Transcoder):
    def encode(self, obj: Any) -> bytes:  # pragma: no cover - the mapper never calls it
        raise NotImplementedError

    def decode(self, data: bytes) -> Any:  # pragma: no cover
        raise NotImplementedError


class Receipt(msgspec.Struct, frozen=True, kw_only=True):
    """What one write produced: replayed verbatim when the same request comes again."""

    case_id: UUID
    version: int
    position: int = 0
    case_no: str | None = None
    ids: dict[str, UUID] = msgspec.field(default_factory=dict)
    replayed: bool = False
    """True when this answers a repeated Idempotency-Key; never stored as true."""


class PendingReceipt(msgspec.Struct, frozen=True, kw_only=True):
    actor_id: str
    key: str
    digest: str
    receipt: Receipt
    last_event: tuple[UUID, int]
    """(originator id, version) of the write's last event: its notification id is the position."""


class StoredReceipt(msgspec.Struct, frozen=True, kw_only=True):
    digest: str
    receipt: Receipt


class HistoryRow(msgspec.Struct, frozen=True):
    position: int
    stored: StoredEvent


_receipt_encoder = msgspec.json.Encoder()
_receipt_decoder = msgspec.json.Decoder(Receipt)


class LedgerRecorder(PostgresApplicationRecorder):
    """eventsourcing's recorder with three changes, each in the same transaction as the insert.

    - Events are appended through `ledger_append_events()` (migrations/0007_least_privilege.sql,
      0028), the application role's only way to write them: it takes the insert lock, checks
      that each version follows its case's stored head, inserts, NOTIFYs and returns the
      notification ids in input order. A version already taken is a unique violation, as the
      primary key's would be, so eventsourcing's IntegrityError (and the retries) are unchanged.
    - The write's receipt (idempotency key, request digest, result) is inserted in the same
      transaction, so a receipt exists exactly when its events do.
    - Case history is read with notification ids (positions), which `select_events` omits.
    """

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        schema = Identifier(self.datastore.schema)

        def statement(text: str, *tables: str) -> bytes:
            """{0} the schema, {1}... the named tables or types, rendered once."""
            return rendered(SQL(text).format(schema, *map(Identifier, tables)))

        self._lock_timeout = rendered(
            SQL("SET LOCAL lock_timeout = '{0}s'").format(self.datastore.lock_timeout)
        )
        self._append_events = statement(
            "SELECT notification_id FROM {0}.ledger_append_events(ARRAY("
            "SELECT ROW(e.originator_id, e.originator_version, e.topic, e.state)::{0}.{1} "
            "FROM json_populate_recordset(NULL::{0}.{1}, %s::json) WITH ORDINALITY e "
            "ORDER BY e.ordinality))",
            self.stored_event_type_name,
        )
        self._insert_receipts = statement(
            "INSERT INTO {0}.ledger_idempotency (actor_id, idempotency_key, request_digest, "
            "case_id, last_originator_id, last_originator_version, response) "
            "SELECT actor_id, idempotency_key, request_digest, case_id, last_originator_id, "
            "last_originator_version, response "
            "FROM json_populate_recordset(NULL::{0}.ledger_idempotency, %s::json)"
        )
        self._select_receipt = statement(
            "SELECT r.request_digest, r.response, e.notification_id "
            "FROM {0}.ledger_idempotency r JOIN {0}.{1} e "
            "ON e.originator_id = r.last_originator_id "
            "AND e.originator_version = r.last_originator_version "
            "WHERE r.actor_id = %s AND r.idempotency_key = %s",
            self.events_table_name,
        )
        self._select_history = statement(
            "SELECT originator_version, topic, state, notification_id FROM {0}.{1} "
            "WHERE originator_id = %s ORDER BY originator_version",
            self.events_table_name,
        )

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """Runs first in the insert transaction, before the lock is taken, in the same pipeline:
        a duplicate key fails the whole transaction at the insert's sync, as a version clash does.
        """
        super()._insert_events(curs, stored_events, **kwargs)
        pending: list[PendingReceipt] = kwargs.get("receipts") or []
        if pending:
            receipts = [
                {
                    "actor_id": p.actor_id,
                    "idempotency_key": p.key,
                    "request_digest": p.digest,
                    "case_id": p.receipt.case_id,
                    "last_originator_id": p.last_event[0],
                    "last_originator_version": p.last_event[1],
                    "response": bytea(_receipt_encoder.encode(p.receipt)),
                }
                for p in pending
            ]
            curs.execute(self._insert_receipts, (json_rows(receipts),), prepare=True)

    def _insert_stored_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        """The lock timeout and the append function, pipelined with the receipts: one round trip."""
        curs.execute(self._lock_timeout, prepare=True)
        events = [
            {
                "originator_id": e.originator_id,
                "originator_version": e.originator_version,
                "topic": e.topic,
                "state": bytea(e.state),
            }
            for e in stored_events
        ]
        curs.execute(self._append_events, (json_rows(events),), prepare=True)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = [row["notification_id"] for row in curs.fetchall()]
        if len(ids) != len(stored_events):  # pragma: no cover - the function returns one per event
            msg = f"ledger_append_events returned {len(ids)} ids for {len(stored_events)} events"
            raise ProgrammingError(msg)
        return ids

    def find_receipt(self, actor_id: str, key: str) -> StoredReceipt | None:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_receipt, (actor_id, key), prepare=True)
            row = curs.fetchone()
        if row is None:
            return None
        receipt = _receipt_decoder.decode(row["response"])
        return StoredReceipt(
            digest=row["request_digest"],
            receipt=msgspec.structs.replace(receipt, position=row["notification_id"]),
        )

    def select_history(self, case_id: UUID) -> list[HistoryRow]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_history, (case_id,), prepare=True)
            return [
                HistoryRow(
                    position=row["notification_id"],
                    stored=StoredEvent(
                        originator_id=case_id,
                        originator_version=row["originator_version"],
                        topic=row["topic"],
                        state=bytes(row["state"]),
                    ),
                )
                for row in curs.fetchall()
            ]
