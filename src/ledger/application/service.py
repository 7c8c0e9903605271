"""The ledger application: the only caller of `save()`; one method per command and query."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Any, NamedTuple
from uuid import UUID, uuid4

import msgspec
import structlog
from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
)
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import IntegrityError, Recording
from eventsourcing.utils import get_topic

from ledger.application.reads import EVERY_CENTRE, CaseReads
from ledger.config.settings import Settings
from ledger.domain.case import Case, check_occurred_at
from ledger.domain.case_number import CaseNumber, CaseNumberSeries, series_year
from ledger.domain.data_subject.commands import protect_identifiers
from ledger.domain.errors import (
    CaseNotFoundError,
    ConcurrencyConflict,
    IdempotencyKeyReused,
    PreconditionFailed,
)
from ledger.domain.permissions import require_append
from ledger.domain.personal_data import protect_applicant
from ledger.domain.tenancy import Scope
from ledger.domain.values import Actor, ApplicantRef
from ledger.log.audit import AuditLog
from ledger.rules.time_limits import Policies
from ledger.store.database import Database, database_for, fail_fast, request_pool_env
from ledger.store.events import (
    LedgerRecorder,
    MsgspecMapper,
    PendingReceipt,
    Receipt,
    StoredReceipt,
)
from ledger.store.group_commit import GroupCommitter
from ledger.store.replicas import Replica, ReplicaSet
from ledger.store.snapshots import SealedSnapshotStore, SnapshotRecorder
from ledger.store.vault import RawApplicant, Staged, Vault, stage, take_staged

log = structlog.get_logger("ledger")

MAX_ATTEMPTS = 8
"""Writes without If-Match re-decide on the fresh state this often before answering 409."""

LOCK_STRIPES = 256
"""Writers to one aggregate queue on one of these in-process locks instead of racing in the
database and retrying; conflicts then come only from other processes."""


class WriteKey(msgspec.Struct, frozen=True):
    """An Idempotency-Key and the digest of the request it was sent with."""

    key: str
    digest: str


class Ledger(CaseReads, Application[UUID]):
    """Case ledger: registers cases, appends their events, and reads them back at any moment."""

    name = "Ledger"  # tables: ledger_events, ledger_snapshots

    def __init__(self, settings: Settings, database: Database, *, replica: bool = False) -> None:
        """`replica`: a reader on a hot standby (`database` is the standby's), which never
        writes; a primary's own readers are those of `settings.replica_urls`."""
        self.settings = settings
        self.database = database
        self.policies = Policies(settings.policy_dir)
        self.snapshotting_intervals = {  # type: ignore[misc]
            Case: settings.snapshot_interval,
            CaseNumberSeries: settings.snapshot_interval,
        }
        self._stripes = [threading.Lock() for _ in range(LOCK_STRIPES)]
        self.committed: list[Callable[[Sequence[Recording[UUID]]], object]] = []
        """Called with each commit's recordings (the API's metrics count appends by type); the
        application stays unaware of who listens."""
        self._committer: GroupCommitter[_Write, list[Recording[UUID]]] = GroupCommitter(
            self._commit
        )
        super().__init__(
            env={
                **request_pool_env(database, settings),
                "APPLICATION_RECORDER_TOPIC": get_topic(LedgerRecorder),
                "POSTGRES_POOL_SIZE": str(settings.pool_size),
                # A burst doubles the pool at most (eventsourcing's default adds 10 to any size).
                "POSTGRES_MAX_OVERFLOW": str(settings.pool_size),
                "IS_SNAPSHOTTING_ENABLED": "y",
            }
        )
        fail_fast(self.store.datastore.pool, settings)

        self.audit = AuditLog(
            self.store.datastore,
            database.app_conninfo,
            settings.origin,
            witnesses=int(settings.local_witness) + len(settings.witnesses),
        )
        self.replicas: ReplicaSet[Ledger] = ReplicaSet(
            [] if replica else [self._replica(url) for url in settings.replica_urls]
        )
        """Where reads may go instead (`ledger.store.replicas`; the API routes them)."""

    def _replica(self, url: str) -> Replica[Ledger]:
        """A reader on the standby at `url`, opened on first use (`Replica.at`)."""
        database = database_for(url, self.settings)
        return Replica.at(
            url,
            database.app_conninfo,
            lambda: Ledger(self.settings, database, replica=True),
            lambda reader: reader.store.datastore.get_connection(),
        )

    def close(self) -> None:
        for replica in self.replicas:
            if replica.target is not None:
                replica.target.close()
        super().close()

    @property
    def store(self) -> LedgerRecorder:
        assert isinstance(self.recorder, LedgerRecorder)
        return self.recorder

    def construct_mapper(self) -> MsgspecMapper:
        return MsgspecMapper()

    def construct_snapshot_store(self) -> SealedSnapshotStore:
        """Snapshots sealed under `snapshot_key` and written through `ledger_put_snapshots()`;
        on load, one that fails its checks is skipped and the events replayed."""
        recorder = SnapshotRecorder(
            self.store.datastore,
            events_table_name=f"{self.name.lower()}_snapshots",
            head_table_name=self.store.events_table_name,
        )
        return SealedSnapshotStore(self.mapper, recorder, self.settings.snapshot_key)

    # --- commands ------------------------------------------------------------------------------

    def protect_applicant(
        self,
        name: str,
        id_number: str | None = None,
        phone: str | None = None,
        bank_card: str | None = None,
    ) -> ApplicantRef:
        """Mask and tokenise the applicant's identifiers before anything is decided or stored;
        the raw values wait, in this thread, for `register_case` to seal them into the vault."""
        applicant = protect_applicant(
            self.settings.pii_key, name=name, id_number=id_number, phone=phone, bank_card=bank_card
        )
        stage(applicant, name=name, id_number=id_number, phone=phone, bank_card=bank_card)
        return applicant

    def register_case(
        self,
        actor: Actor,
        *,
        centre: str,
        occurred_at: datetime | None = None,
        write_key: WriteKey | None = None,
        scope: Scope = EVERY_CENTRE,
        **fields: Any,
    ) -> Receipt:
        """Open a case under the next number of its centre's series for the year. The raw
        identifiers `protect_applicant` staged for its applicant are sealed into the personal-data
        vault before the events are saved (`ledger.store.vault`)."""
        staged = take_staged(fields.get("applicant"))
        require_append("Registered", actor.roles)
        scope.require(centre)
        at = occurred_at or _now()
        check_occurred_at(at)  # before the series year is taken from it
        year = series_year(at)
        keeper = Vault(self.store.datastore.get_connection, self.settings.vault_key).keeper(staged)

        def build() -> tuple[list[Aggregate], Receipt]:
            series = self._series(centre, year)
            case_no = series.issue()
            case = Case.register(
                actor=actor, occurred_at=at, case_no=case_no, centre=centre, **fields
            )
            if keeper is not None:  # a retry keeps them again, under its own case id
                keeper.keep(case.id)
            index = CaseNumber(case_no=case_no, case_id=case.id)
            return [series, case, index], Receipt(
                case_id=case.id, version=case.version, case_no=case_no
            )

        series_id = CaseNumberSeries.create_id(centre, year)
        receipt = self._write(actor, write_key, build, series_id, retry_on_conflict=True)
        log.debug(
            "case.registered",
            case_id=str(receipt.case_id),
            case_no=receipt.case_no,
            position=receipt.position,
            actor=actor.id,
            event_type="Registered",
            replayed=receipt.replayed,
        )
        return receipt

    def append(
        self,
        case_id: UUID,
        actor: Actor,
        event_type: str,
        *,
        occurred_at: datetime | None = None,
        expected_version: int | None = None,
        write_key: WriteKey | None = None,
        scope: Scope = EVERY_CENTRE,
        **fields: Any,
    ) -> Receipt:
        """Append one event to a case, if the case's rules admit it.

        `write_key` (the Idempotency-Key) is not named `key`: event fields are passed as keywords
        beside it, and one of them (`RootCauseRecorded.key`) is called that. Raw ID numbers
        (`IdentityReconciled`) are masked and tokenised first; the other number than the
        applicant's is sealed into the vault under the applicant's key once the case admits it."""
        require_append(event_type, actor.roles)
        at = occurred_at or _now()
        fields, raw = protect_identifiers(self.settings.pii_key, fields)

        def build() -> tuple[list[Aggregate], Receipt]:
            case = self._get_case(case_id, scope=scope)
            if expected_version is not None and case.version != expected_version:
                raise PreconditionFailed(case_id, expected_version, case.version)
            timing = self.policies.timing(case.state.centre)
            minted = case.append(event_type, actor, at, timing, **fields)
            if raw:
                self._keep_other_id_number(case, raw)
            return [case], Receipt(case_id=case_id, version=case.version, ids=minted)

        receipt = self._write(
            actor, write_key, build, case_id, retry_on_conflict=expected_version is None
        )
        log.debug(
            "case.appended",
            case_id=str(case_id),
            event_type=event_type,
            version=receipt.version,
            position=receipt.position,
            actor=actor.id,
            replayed=receipt.replayed,
        )
        return receipt

    # --- plumbing ------------------------------------------------------------------------------

    def _keep_other_id_number(self, case: Case, raw: dict[str, str]) -> None:
        """Seal the reconciled number that is not the applicant's registered one (by token) into
        the vault, under the applicant's subject key; a retry keeps nothing twice."""
        applicant = case.state.applicant
        registered = applicant.id_number.token if applicant.id_number else None
        other = next((v for t, v in raw.items() if t != registered), None)
        staged = Staged(applicant, RawApplicant(name="", other_id_number=other))
        vault = Vault(self.store.datastore.get_connection, self.settings.vault_key)
        if other is not None and (keeper := vault.keeper(staged)) is not None:
            keeper.keep(case.id)

    def _series(self, centre: str, year: int) -> CaseNumberSeries:
        try:
            series = self._rebuilt(CaseNumberSeries.create_id(centre, year))
        except AggregateNotFoundError:
            return CaseNumberSeries(centre=centre, year=year)
        assert isinstance(series, CaseNumberSeries)
        return series

    def _write(
        self,
        actor: Actor,
        key: WriteKey | None,
        build: Callable[[], tuple[list[Aggregate], Receipt]],
        contended_id: UUID,
        *,
        retry_on_conflict: bool,
    ) -> Receipt:
        """Decide and save, with a receipt in the same transaction.

        Every write carries a receipt, under the client's Idempotency-Key or a fresh server key.
        So when a commit's acknowledgement is lost and the insert is retried, the receipt tells
        "my own write already landed" apart from "someone else wrote first", and an event is
        never recorded twice.
        """
        if key is not None and (prior := self.store.find_receipt(actor.id, key.key)):
            return _replay(prior, key)
        write_key = key or WriteKey(key=f"server:{uuid4()}", digest="")
        with self._stripes[contended_id.int % LOCK_STRIPES]:
            return self._decide_and_save(actor, write_key, build, retry_on_conflict)

    def _decide_and_save(
        self,
        actor: Actor,
        write_key: WriteKey,
        build: Callable[[], tuple[list[Aggregate], Receipt]],
        retry_on_conflict: bool,
    ) -> Receipt:
        for attempt in range(MAX_ATTEMPTS):
            aggregates, receipt = build()
            events = [e for aggregate in aggregates for e in aggregate.collect_events()]
            pending = PendingReceipt(
                actor_id=actor.id,
                key=write_key.key,
                digest=write_key.digest,
                receipt=receipt,
                last_event=(events[-1].originator_id, events[-1].originator_version),
            )
            try:
                recordings = self._committer.submit(_Write(aggregates, events, pending))
            except IntegrityError:
                if prior := self.store.find_receipt(actor.id, write_key.key):
                    return _replay(prior, write_key)
                if not retry_on_conflict or attempt == MAX_ATTEMPTS - 1:
                    raise ConcurrencyConflict(
                        receipt.case_id, self._current_version(receipt)
                    ) from None
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))  # another process won
                continue
            return msgspec.structs.replace(
                receipt, position=max(r.notification.id for r in recordings)
            )
        raise AssertionError("unreachable")  # pragma: no cover

    def _current_version(self, receipt: Receipt) -> int | None:
        try:
            return self._get_case(receipt.case_id).version
        except CaseNotFoundError:
            return None

    def _commit(self, writes: Sequence[_Write]) -> list[list[Recording[UUID]]]:
        """One transaction for a batch of writes: their events, then all their receipts."""
        events = [e for w in writes for e in w.events]
        recordings = self.save(*events, receipts=[w.receipt for w in writes])
        self._snapshot([a for w in writes for a in w.aggregates], recordings)
        split, start = [], 0
        for write in writes:
            split.append(recordings[start : start + len(write.events)])
            start += len(write.events)
        return split

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        """After each commit (eventsourcing's hook in `save`): tell `committed`. A listener that
        fails is logged, never raised: the events are already committed."""
        for listener in self.committed:
            try:
                listener(recordings)
            except Exception:
                log.warning("commit.listener_failed", exc_info=True)

    def _snapshot(
        self, aggregates: Sequence[Aggregate], recordings: Sequence[Recording[UUID]]
    ) -> None:
        """Snapshot the aggregates just saved, from memory: no reload, and never fail the write.
        Each is sealed with the event it folds up to, as just saved (`ledger.store.snapshots`)."""
        assert isinstance(self.snapshots, SealedSnapshotStore)
        for aggregate in aggregates:
            interval = self.snapshotting_intervals.get(type(aggregate))
            crossed = interval and any(
                r.domain_event.originator_id == aggregate.id
                and r.domain_event.originator_version % interval == 0
                for r in recordings
            )
            if crossed:
                try:
                    snapshot_class = type(aggregate).Snapshot
                    self.snapshots.put(
                        [snapshot_class.take(aggregate)],
                        heads=[r.notification for r in recordings],
                    )
                except Exception:  # a snapshot is a cache; the events are already committed
                    log.warning("snapshot.failed", aggregate_id=str(aggregate.id), exc_info=True)


class _Write(NamedTuple):
    """One request's decided changes, waiting for a group commit."""

    aggregates: list[Aggregate]
    events: Sequence[DomainEventProtocol[UUID]]
    receipt: PendingReceipt


def _replay(prior: StoredReceipt, key: WriteKey) -> Receipt:
    if prior.digest != key.digest:
        raise IdempotencyKeyReused(key.key)
    return msgspec.structs.replace(prior.receipt, replayed=True)


def _now() -> datetime:
    return datetime.now(timezone.utc)  # noqa: UP017
