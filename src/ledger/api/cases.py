"""Case endpoints: thin handlers that parse, authorise via the credential, and call `Ledger`."""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, Parameter, QueryParameter

from ledger.api import search as case_search
from ledger.api.access_log import note
from ledger.api.edge import bounded
from ledger.api.errors import BadRequest
from ledger.api.reads import ReplayedPosition, read_routed, utc_now
from ledger.api.schemas.append import AppendEventRequest, command_fields
from ledger.api.schemas.case_responses import (
    CaseHistoryResponse,
    CaseResponse,
    EventEntry,
    ProvedBy,
    WriteResponse,
)
from ledger.api.schemas.registration import RegisterCaseRequest
from ledger.application.service import Ledger, WriteKey
from ledger.domain import clock
from ledger.domain.case import Case
from ledger.domain.errors import RuleViolation
from ledger.domain.tenancy import Scope
from ledger.domain.values import Actor, Matter
from ledger.log.audit import Leaf
from ledger.log.bundles import CaseBundle
from ledger.store.events import Receipt

_ENVELOPE = {
    "originator_id",
    "originator_version",
    "timestamp",
    "originator_topic",
    "actor",
    "occurred_at",
}
_ETAG = re.compile(r'^(?:W/)?"?(\d{1,18})"?$')
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_canonical = msgspec.json.Encoder(order="sorted")

SEAL_WAIT = 5.0
"""How long a write with ?sealed=true waits for the notary before answering without a leaf."""

SealedParam = Annotated[
    bool,
    QueryParameter(
        name="sealed",
        required=False,
        description="Wait (up to 5 s) until the notary has sealed the write; returns leaf_index",
    ),
]

IdempotencyKeyHeader = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        description="Retry-safe writes: the same key and body return the original result",
    ),
]


class CaseController(Controller):
    path = "/cases"
    tags = ["cases"]  # noqa: RUF012 (Litestar declares it as an instance attribute)

    search = case_search.search  # GET /cases: case search, from the "cases" view

    @post(
        sync_to_thread=True,
        status_code=201,
        summary="Register a case",
        description="Records `Registered`; returns its number.",
    )
    def register_case(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[RegisterCaseRequest],
        ledger: NamedDependency[Ledger],
        actor: NamedDependency[Actor],
        tenancy: NamedDependency[Scope],
        idempotency_key: IdempotencyKeyHeader = None,
        sealed: SealedParam = False,
    ) -> Response[WriteResponse]:
        if not ledger.policies.knows(data.centre):
            raise RuleViolation(
                "centre.unknown",
                f"no centre {data.centre!r} is configured (policies/time-limits/*.toml `centres`)",
            )
        key = _write_key(ledger, request, data, idempotency_key)
        fields = msgspec.structs.asdict(data)
        fields["applicant"] = ledger.protect_applicant(**msgspec.structs.asdict(data.applicant))
        fields["matter"] = Matter(code=data.matter.code, name=data.matter.name)
        receipt = ledger.register_case(actor, write_key=key, scope=tenancy, **fields)
        _note_write(request, receipt, "Registered")
        return _written(ledger, receipt, sealed, location=f"/cases/{receipt.case_id}")

    @post(
        "/{case_id:uuid}/events",
        sync_to_thread=True,
        status_code=201,
        summary="Append one event",
        description='`If-Match: "<version>"` for optimistic concurrency (412 when stale).',
    )
    def append_event(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[UUID],
        data: JSONBody[AppendEventRequest],
        ledger: NamedDependency[Ledger],
        actor: NamedDependency[Actor],
        tenancy: NamedDependency[Scope],
        idempotency_key: IdempotencyKeyHeader = None,
        if_match: Annotated[str | None, HeaderParameter(name="If-Match", required=False)] = None,
        sealed: SealedParam = False,
    ) -> Response[WriteResponse]:
        event_type = type(data).__name__
        receipt = ledger.append(
            case_id,
            actor,
            event_type,
            occurred_at=data.occurred_at,
            expected_version=_expected_version(if_match),
            write_key=_write_key(ledger, request, data, idempotency_key),
            scope=tenancy,
            **command_fields(data),
        )
        _note_write(request, receipt, event_type)
        return _written(ledger, receipt, sealed)

    @get(
        "/{case_id:uuid}",
        sync_to_thread=True,
        summary="A case's state, now or in the past",
        description="At most one of: `version` (the state after that version); `as_of`, "
        "recorded time (what the ledger had recorded by that moment: the events' "
        "`recorded_at`); `occurred_at`, business time (how the case stood at that moment by "
        "the events' `occurred_at`: the longest run of versions from the first whose events had "
        "all occurred by then, so a late entry is not folded in out of order). `as_of` and "
        "`occurred_at` before the case existed are 404; both answer with `proved_by`, the "
        "checkpoint that proves the state's last event, once the notary has sealed it.",
    )
    def get_case(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[UUID],
        ledger: NamedDependency[Ledger],
        actor: NamedDependency[Actor],
        tenancy: NamedDependency[Scope],
        version: Annotated[int | None, Parameter(ge=1, required=False)] = None,
        as_of: Annotated[
            datetime | None,
            Parameter(required=False, description="RFC 3339; the state as recorded at that moment"),
        ] = None,
        occurred_at: Annotated[
            datetime | None,
            Parameter(
                required=False,
                description="RFC 3339; the state as it stood at that business time",
            ),
        ] = None,
        min_position: ReplayedPosition = None,
    ) -> Response[CaseResponse]:
        if version is not None and as_of is not None:
            raise BadRequest("as_of", "give either version or as_of, not both")
        if occurred_at is not None and (version is not None or as_of is not None):
            raise BadRequest("occurred_at", "give one of version, as_of and occurred_at")
        for name, moment in (("as_of", as_of), ("occurred_at", occurred_at)):
            if moment is not None and moment.tzinfo is None:
                raise BadRequest(name, f"{name} needs a time zone offset (RFC 3339)")
            bounded(name, moment)
        past = as_of is not None or occurred_at is not None

        def read(reader: Ledger) -> tuple[Case, ProvedBy | None]:
            case = read_case(reader, case_id, actor, tenancy, version, as_of, occurred_at)
            return case, _proved_by(reader, case) if past else None

        case, proved_by = read_routed(request, ledger, read, min_position)
        note(request, case_id=str(case_id), version=case.version)
        moment = as_of or occurred_at or (case.modified_on if version is not None else utc_now())
        response = case_response(case, ledger, moment)
        if past:
            response.proved_by = proved_by
        return Response(response, headers={"ETag": f'"{case.version}"'})

    @get("/{case_id:uuid}/events", sync_to_thread=True, summary="A case's full history")
    def case_events(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[UUID],
        ledger: NamedDependency[Ledger],
        actor: NamedDependency[Actor],
        tenancy: NamedDependency[Scope],
        min_position: ReplayedPosition = None,
    ) -> CaseHistoryResponse:
        def read(reader: Ledger) -> tuple[list[tuple[int, Any]], dict[int, Leaf]]:
            history = reader.history(case_id, actor, scope=tenancy)
            return history, reader.audit.leaves(position for position, _ in history)

        history, leaves = read_routed(request, ledger, read, min_position)
        note(request, case_id=str(case_id), events=len(history))
        return CaseHistoryResponse(
            case_id=case_id,
            events=[
                event_entry(position, event, leaves.get(position)) for position, event in history
            ],
        )

    @get(
        "/{case_id:uuid}/bundle",
        sync_to_thread=True,
        summary="Offline-verifiable audit bundle",
        description="The case's events as stored, each with its RFC 9162 inclusion proof "
        "against one signed checkpoint (with its witnesses' cosignatures), and the checkpoint's "
        "head map bucket proving they are all of the case's events; with `since`, the "
        "consistency proof from a checkpoint the auditor holds. Check it with "
        "`ledger verify BUNDLE --public-key KEY [--witness-key W] [--since OLD]`.",
    )
    def bundle(
        self,
        request: Request[Any, Any, Any],
        case_id: FromPath[UUID],
        ledger: NamedDependency[Ledger],
        actor: NamedDependency[Actor],
        tenancy: NamedDependency[Scope],
        since: Annotated[
            int | None,
            QueryParameter(
                name="since",
                required=False,
                ge=0,
                le=2**62,
                description="Tree size of a checkpoint you hold: adds the consistency proof",
            ),
        ] = None,
        witnessed: Annotated[
            bool,
            QueryParameter(
                name="witnessed",
                required=False,
                description="Wait (up to 2 s) until the checkpoint carries every configured "
                "witness's cosignature (GET /audit/witnesses)",
            ),
        ] = False,
        min_position: ReplayedPosition = None,
    ) -> CaseBundle:
        note(request, case_id=str(case_id))

        def read(reader: Ledger) -> CaseBundle:
            return reader.bundle(case_id, actor, since, witnessed=witnessed, scope=tenancy)

        # A witnessed bundle waits on a LISTEN, which a standby does not serve.
        return read_routed(request, ledger, read, min_position, replica_ok=not witnessed)


def _proved_by(ledger: Ledger, case: Case) -> ProvedBy | None:
    leaf = ledger.audit.leaf_of(case.id, case.version)
    checkpoint = ledger.audit.checkpoint_covering(leaf.leaf_index) if leaf else None
    if leaf is None or checkpoint is None:
        return None
    return ProvedBy(
        leaf_index=leaf.leaf_index,
        tree_size=checkpoint.tree_size,
        root_hash=checkpoint.root_hash.hex(),
        checkpoint=checkpoint.note,
    )


def read_case(
    ledger: Ledger,
    case_id: UUID,
    actor: Actor,
    scope: Scope,
    version: int | None = None,
    as_of: datetime | None = None,
    occurred_at: datetime | None = None,
) -> Case:
    """The case now, or at a version, a recorded time or a business time (at most one given)."""
    if as_of is not None:
        return ledger.get_case_as_of(case_id, actor, as_of, scope=scope)
    if occurred_at is not None:
        return ledger.get_case_at_business_time(case_id, actor, occurred_at, scope=scope)
    return ledger.get_case(case_id, actor, version, scope=scope)


def case_response(case: Case, ledger: Ledger, now: datetime) -> CaseResponse:
    """The case, its clock read at `now` (for the past: the moment asked about, or when the
    version was recorded)."""
    state = case.state
    reading = None
    if state.clock is not None:
        reading = clock.reading(
            state.clock,
            ledger.policies.timing(state.centre).calendar,
            now=now,
            paused_since=state.paused_since,
            closed_at=state.closed_at,
        )
    return CaseResponse(
        case_id=case.id,
        version=case.version,
        registered_recorded_at=case.created_on,
        last_recorded_at=case.modified_on,
        state=state,
        clock=reading,
    )


def event_entry(position: int, event: Any, leaf: Leaf | None) -> EventEntry:
    """One event of a case's history as the API shows it (and the case page too)."""
    state = vars(event)
    return EventEntry(
        leaf_index=leaf.leaf_index if leaf else None,
        leaf_hash=leaf.leaf_hash.hex() if leaf else None,
        position=position,
        version=event.originator_version,
        type=type(event).__name__,
        occurred_at=state["occurred_at"],
        recorded_at=event.timestamp,
        actor=state["actor"],
        data={k: v for k, v in state.items() if k not in _ENVELOPE},
    )


def _written(
    ledger: Ledger, receipt: Receipt, sealed: bool, location: str | None = None
) -> Response[WriteResponse]:
    headers = {"ETag": f'"{receipt.version}"', "Ledger-Position": str(receipt.position)}
    leaf = ledger.audit.wait_until_sealed(receipt.position, SEAL_WAIT) if sealed else None
    if leaf is not None:
        headers["Ledger-Leaf-Index"] = str(leaf.leaf_index)
    elif sealed:
        headers["Ledger-Sealed"] = "pending"
    if location:
        headers["Location"] = location
    if receipt.replayed:
        headers["Idempotent-Replayed"] = "true"
    body = WriteResponse(
        case_id=receipt.case_id,
        version=receipt.version,
        position=receipt.position,
        case_no=receipt.case_no,
        leaf_index=leaf.leaf_index if leaf else None,
        **receipt.ids,  # the id the event minted, by name (handoff_id, ticket_id, ...)
    )
    return Response(body, status_code=201, headers=headers)


def _expected_version(if_match: str | None) -> int | None:
    if if_match is None or if_match.strip() == "*":
        return None
    if not (match := _ETAG.match(if_match.strip())):
        raise BadRequest("If-Match", 'If-Match must be a case version as an ETag, e.g. "3"')
    return int(match.group(1))


def _write_key(
    ledger: Ledger, request: Request[Any, Any, Any], data: msgspec.Struct, key: str | None
) -> WriteKey | None:
    """The key, and an HMAC of the request it came with: bodies carry raw personal data."""
    if key is None:
        return None
    if not _KEY.match(key):
        raise BadRequest(
            "Idempotency-Key", "Idempotency-Key must be 1-200 visible ASCII characters"
        )
    message = f"{request.method} {request.url.path}\n".encode() + _canonical.encode(data)
    digest = hmac.new(ledger.settings.pii_key, message, hashlib.sha256).hexdigest()
    return WriteKey(key=key, digest=digest)


def _note_write(request: Request[Any, Any, Any], receipt: Receipt, event_type: str) -> None:
    note(
        request,
        case_id=str(receipt.case_id),
        event_type=event_type,
        position=receipt.position,
        version=receipt.version,
        replayed=receipt.replayed,
    )
