"""The ledger's queries: a case now, at a version, a recorded time or a business time, its history
and bundle, and the credential a request acts with; every one within the credential's centres
(`Scope`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic
from psycopg.rows import tuple_row

from ledger.application.tokens import Credential, authenticate, verified_credential
from ledger.domain.case import Case
from ledger.domain.errors import CaseNotFoundError, LedgerError, VersionNotFoundError
from ledger.domain.permissions import require_read
from ledger.domain.tenancy import Scope
from ledger.domain.values import Actor
from ledger.store.loads import OneTripRepository
from ledger.store.revocations import RevocationCache, is_revoked
from ledger.store.snapshots import SealedSnapshotStore

if TYPE_CHECKING:
    from ledger.config.settings import Settings
    from ledger.log.audit import AuditLog
    from ledger.log.bundles import CaseBundle
    from ledger.rules.time_limits import Policies
    from ledger.store.database import Database
    from ledger.store.events import LedgerRecorder

EVERY_CENTRE = Scope.every_centre()
"""The scope of the ledger's own callers (timers, the demo loader, tests): the API always passes
the credential's."""


_RECORDED_BY = (
    # head: the case's last version; later: its first version recorded after as_of (the
    # OFFSET 0 keeps the planner on the recorded-time index rather than walking the versions);
    # unindexed: an event whose payload does not give its recorded time to the index.
    "SELECT (SELECT max(originator_version) FROM ledger_events WHERE originator_id = %(id)s)"
    " AS head, (SELECT min(originator_version) FROM (SELECT originator_version"
    " FROM ledger_events WHERE originator_id = %(id)s"
    " AND ledger_event_recorded_at(state) > %(as_of)s OFFSET 0) s) AS later,"
    " EXISTS (SELECT 1 FROM ledger_events WHERE originator_id = %(id)s"
    " AND ledger_event_recorded_at(state) IS NULL) AS unindexed"
)


class NotYetOccurred(CaseNotFoundError):
    """Nothing of the case had happened by the business time asked about (a 404 that says so)."""

    def __init__(self, case_id: UUID, asked: datetime, registered_at: datetime) -> None:
        LedgerError.__init__(
            self,
            f"case {case_id} had not been registered by {asked.isoformat()} (business time): "
            f"it was registered at {registered_at.isoformat()}",
        )
        self.case_id = case_id


def occurred_by(events: Iterable[DomainEventProtocol[UUID]], moment: datetime) -> int:
    """The version a case stood at by business time `moment` (0: not registered yet): the longest
    run of its versions, from the first, whose events had all occurred by then.

    A later version whose `occurred_at` is earlier (a late entry) is not folded in out of order,
    and nothing that had not yet happened at `moment` is ever in the state."""
    version = 0
    for event in events:
        if event.occurred_at > moment:  # type: ignore[attr-defined]
            break
        version = event.originator_version
    return version


class CaseReads:
    """Mixed into `Ledger` (`ledger.application.service`), which provides the attributes below."""

    settings: Settings
    database: Database
    policies: Policies
    audit: AuditLog
    repository: Any
    mapper: Any
    events: Any
    snapshots: Any

    @property
    def store(self) -> LedgerRecorder:
        raise NotImplementedError  # Ledger's

    revocations: RevocationCache | None = None
    """Set by a serving process (`watch_revocations`): tokens it has found not revoked, while
    it hears every revocation; without it, every request looks its token up."""

    def construct_repository(self) -> OneTripRepository:
        """eventsourcing's repository, loading a case and its snapshot in one round trip."""
        assert isinstance(self.snapshots, SealedSnapshotStore)
        return OneTripRepository(self.events, snapshot_store=self.snapshots)

    def watch_revocations(self) -> RevocationCache:
        """Remember tokens found not revoked while this process hears every revocation (a
        serving process calls it once, and closes what it returns when it stops)."""
        self.revocations = RevocationCache(self.database.app_conninfo).start()
        return self.revocations

    def authenticate(self, authorization: str) -> Credential:
        """The credential of an `Authorization` header, checked against the revocation list."""

        def look_up(token_id: str) -> bool:
            with self.store.datastore.get_connection() as conn:
                return is_revoked(conn, token_id)

        def revoked(token_id: str) -> bool:
            cache = self.revocations
            return cache.is_revoked(token_id, look_up) if cache else look_up(token_id)

        return authenticate(authorization, self.settings, self.policies, revoked)

    def authenticate_known(self, authorization: str) -> Credential | None:
        """`authenticate` without I/O: None when only the revocation list can tell (the token is
        new to this process, or it does not hear revocations now), so the caller may run on an
        event loop and go off it only then."""
        if (cache := self.revocations) is None:
            return None
        found = verified_credential(authorization, self.settings, self.policies)
        return found if cache.vouches(found.token_id) else None

    def get_case(
        self,
        case_id: UUID,
        actor: Actor,
        version: int | None = None,
        *,
        scope: Scope = EVERY_CENTRE,
    ) -> Case:
        require_read(actor.roles)
        case = self._get_case(case_id, version, scope=scope)
        if version is not None and case.version != version:
            raise VersionNotFoundError(case_id, version, case.version)
        return case

    def get_case_as_of(
        self, case_id: UUID, actor: Actor, as_of: datetime, *, scope: Scope = EVERY_CENTRE
    ) -> Case:
        """The case as it was recorded at `as_of` (recorded time, not business time): the
        versions before its first event recorded later, found by migration 0024's index, then
        loaded as any version is (the snapshot at or below it and the events after)."""
        require_read(actor.roles)
        version = self._version_recorded_by(case_id, as_of)
        if version is None:  # an event whose recorded time the index cannot read: replay
            version = 0
            for _, event in self.history(case_id, actor, scope=scope):
                if event.timestamp > as_of:  # type: ignore[attr-defined]
                    break
                version = event.originator_version
        if version == 0:
            raise CaseNotFoundError(case_id)
        return self._get_case(case_id, version, scope=scope)

    def _version_recorded_by(self, case_id: UUID, as_of: datetime) -> int | None:
        """The longest run of the case's versions, from the first, all recorded by `as_of` (0:
        none, or no such case); None when some event's recorded time is not indexed."""
        with (
            self.store.datastore.get_connection() as conn,
            conn.cursor(row_factory=tuple_row) as cur,
        ):
            cur.execute(_RECORDED_BY, {"id": case_id, "as_of": as_of}, prepare=True)
            head, later, unindexed = cur.fetchone() or (None, None, False)
        if unindexed:
            return None
        return (later - 1) if later is not None else (head or 0)

    def get_case_at_business_time(
        self, case_id: UUID, actor: Actor, occurred_at: datetime, *, scope: Scope = EVERY_CENTRE
    ) -> Case:
        """The case as it stood at business time `occurred_at` (`occurred_by`), where `as_of`
        asks what had been recorded by then."""
        history = self.history(case_id, actor, scope=scope)
        version = occurred_by((event for _, event in history), occurred_at)
        if version == 0:
            registered_at = history[0][1].occurred_at  # type: ignore[attr-defined]
            raise NotYetOccurred(case_id, occurred_at, registered_at)
        return self._get_case(case_id, version)

    def bundle(
        self,
        case_id: UUID,
        actor: Actor,
        since: int | None = None,
        *,
        witnessed: bool = False,
        scope: Scope = EVERY_CENTRE,
    ) -> CaseBundle:
        """The case's events as stored with their inclusion proofs and the proof they are all
        of them: checkable offline; with `since`, also proves the log grew from that size;
        `witnessed` waits for the witnesses' cosignatures on the checkpoint."""
        require_read(actor.roles)
        self.require_in_scope(case_id, scope)
        return self.audit.bundle(case_id, since, witnessed=witnessed)

    def history(
        self, case_id: UUID, actor: Actor, *, scope: Scope = EVERY_CENTRE
    ) -> list[tuple[int, DomainEventProtocol[UUID]]]:
        """Every event of the case with its position in the notification log."""
        require_read(actor.roles)
        rows = self.store.select_history(case_id)
        if not rows or rows[0].stored.topic != get_topic(Case.Registered):
            raise CaseNotFoundError(case_id)
        events = [(row.position, self.mapper.to_domain_event(row.stored)) for row in rows]
        registered = events[0][1]
        assert isinstance(registered, Case.Registered)
        if not scope.admits(registered.centre):
            raise CaseNotFoundError(case_id)
        return events

    def require_in_scope(self, case_id: UUID, scope: Scope) -> None:
        """A case outside the scope does not exist for the credential (404, not 403: whether
        another centre has a case is itself not disclosed)."""
        if scope.centres is not None:
            self._get_case(case_id, version=1, scope=scope)

    def _get_case(
        self, case_id: UUID, version: int | None = None, *, scope: Scope = EVERY_CENTRE
    ) -> Case:
        try:
            case = self._rebuilt(case_id, version)
        except AggregateNotFoundError:
            raise CaseNotFoundError(case_id) from None
        if not isinstance(case, Case) or not scope.admits(case.state.centre):
            raise CaseNotFoundError(case_id)
        return case

    def _rebuilt(self, aggregate_id: UUID, version: int | None = None) -> object:
        """An aggregate (a case, a case-number series) from its snapshot and events, by `replay`."""
        return self.repository.get(aggregate_id, version=version, projector_func=replay)


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """An aggregate from its snapshot and events: eventsourcing's `project_aggregate` without its
    `assert isinstance(event, CanMutateProtocol)` per event. On Python 3.11 that runtime-protocol
    check walks the protocol's members every time, about 10 µs an event: 6% of an append to a
    6-event case (py-spy, docs/PROFILE.md). Every stored event of ours is a domain event."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate
