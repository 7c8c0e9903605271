"""The request's credential: verified once per request (signature, lifetime, claims, revocation)
and handed to handlers as `actor` (who, recorded in events) and `scope` (which centres)."""

from __future__ import annotations

from typing import Any

import anyio
from litestar import Request
from litestar.di import NamedDependency

from ledger.api.access_log import note
from ledger.application.service import Ledger
from ledger.application.tokens import Credential
from ledger.domain.tenancy import Scope
from ledger.domain.values import Actor

_CREDENTIAL = "ledger.credential"


def credential(request: Request[Any, Any, Any], ledger: Ledger) -> Credential:
    """Blocking (the revocation list is in the database): call it off the event loop."""
    state = request.scope["state"]
    if (found := state.get(_CREDENTIAL)) is None:
        found = _remember(request, ledger.authenticate(request.headers.get("authorization", "")))
    assert isinstance(found, Credential)
    return found


async def request_credential(request: Request[Any, Any, Any], ledger: Ledger) -> Credential:
    """`credential` on the event loop when this process can vouch that the token is not revoked
    (the usual case), off it only when the database must be asked: two hand-offs to a thread per
    request (the `actor` and `tenancy` dependencies) cost each API worker time on every call."""
    state = request.scope["state"]
    if (found := state.get(_CREDENTIAL)) is None:
        authorization = request.headers.get("authorization", "")
        known = ledger.authenticate_known(authorization)
        if known is None:
            known = await anyio.to_thread.run_sync(ledger.authenticate, authorization)
        found = _remember(request, known)
    assert isinstance(found, Credential)
    return found


def _remember(request: Request[Any, Any, Any], found: Credential) -> Credential:
    request.scope["state"][_CREDENTIAL] = found
    note(request, actor=found.actor.id, token_id=found.token_id)
    return found


async def provide_actor(request: Request[Any, Any, Any], ledger: NamedDependency[Ledger]) -> Actor:
    return (await request_credential(request, ledger)).actor


def provide_tenancy(request: Request[Any, Any, Any], actor: NamedDependency[Actor]) -> Scope:
    """After `actor`, which found the credential. Litestar runs the providers of one level of the
    dependency graph together in an anyio task group, a cost on every request; chained, each
    level has one provider and is simply awaited (docs/PROFILE.md, "Framework costs")."""
    del actor  # asked for only to come after it
    found = request.scope["state"][_CREDENTIAL]
    assert isinstance(found, Credential)
    return found.scope
