"""Exception endpoints: the approval proof of one exception (issue 5 item 3).

The exception id is minted by the case aggregate and stored only inside the case's events, so
the case is found through the "exceptions" view (`view_exceptions`, primary key (generation,
exception_id): one index probe), waiting for read-your-writes like the other view reads; a client
that knows the case passes `?case_id=` and skips the view.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import anyio
import psycopg
from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from ledger.api.access_log import note
from ledger.api.approvals import VIEW
from ledger.api.reads import (
    MinPosition,
    live,
    read_in_thread,
    read_routed,
    snapshot,
    utc_now,
    wait_for_view,
)
from ledger.application.service import Ledger
from ledger.domain.errors import CaseNotFoundError
from ledger.domain.permissions import require_read
from ledger.domain.tenancy import Scope
from ledger.domain.values import Actor
from ledger.log.proofs import ApprovalProof, ExceptionNotFound, build_approval_proof
from ledger.projections.waiter import PositionWaiter

_CASE_OF = f"SELECT v.case_id FROM view_exceptions v {live(VIEW)} WHERE v.exception_id = %s"


@get(
    "/exceptions/{exception_id:uuid}/proof",
    tags=["exceptions"],
    summary="Approval proof of one exception, verifiable offline",
    description="The frozen policy, each layer's decision, every check recomputed from the "
    "case's events, and those events with their inclusion proofs against one signed checkpoint; "
    "check it with `ledger verify PROOF --public-key KEY`. 503 not-sealed-yet until the notary "
    "has sealed every event of the exception.",
)
async def approval_proof(
    request: Request[Any, Any, Any],
    exception_id: FromPath[UUID],
    ledger: NamedDependency[Ledger],
    waiter: NamedDependency[PositionWaiter],
    actor: NamedDependency[Actor],
    tenancy: NamedDependency[Scope],
    case_id: Annotated[
        UUID | None,
        QueryParameter(required=False, description="The case, if known (skips the view)"),
    ] = None,
    min_position: MinPosition = None,
) -> ApprovalProof:
    require_read(actor.roles)
    if case_id is None:
        await wait_for_view(request, waiter, VIEW, min_position)
        case_id = await read_in_thread(case_of, ledger, exception_id)
    note(request, case_id=str(case_id), exception_id=str(exception_id))
    await anyio.to_thread.run_sync(_require_in_scope, ledger, case_id, exception_id, tenancy)
    now = utc_now()
    return await anyio.to_thread.run_sync(
        read_routed,
        request,
        ledger,
        lambda reader: build_approval_proof(reader, case_id, exception_id, actor, now),
        min_position,
    )


def _require_in_scope(ledger: Ledger, case_id: UUID, exception_id: UUID, scope: Scope) -> None:
    """Another centre's exception does not exist for the credential, nor does its case's id."""
    try:
        ledger.require_in_scope(case_id, scope)
    except CaseNotFoundError:
        raise ExceptionNotFound(f"no exception {exception_id}") from None


def case_of(ledger: Ledger, exception_id: UUID) -> UUID:
    """The case holding the exception, from the live generation of the exceptions view."""
    try:
        with snapshot(ledger) as conn:  # where wait_for_view routed the request
            row = conn.execute(_CASE_OF, (exception_id,)).fetchone()
    except psycopg.errors.UndefinedTable:  # pragma: no cover - migration 0005 not applied
        row = None
    if row is None:
        raise ExceptionNotFound(f"no exception {exception_id}")
    return UUID(str(row["case_id"]))


PROOF_HANDLERS = [approval_proof]
"""Registered on the app."""
