"""The request's credential: verified once per request (signature, lifetime, claims, revocation)
and handed to handlers as `actor` (who, recorded in events) and `scope` (which centres)."""

from __future__ import annotations

from typing import Any

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
        found = ledger.authenticate(request.headers.get("authorization", ""))
        state[_CREDENTIAL] = found
        note(request, actor=found.actor.id, token_id=found.token_id)
    assert isinstance(found, Credential)
    return found


def provide_actor(request: Request[Any, Any, Any], ledger: NamedDependency[Ledger]) -> Actor:
    return credential(request, ledger).actor


def provide_tenancy(request: Request[Any, Any, Any], ledger: NamedDependency[Ledger]) -> Scope:
    return credential(request, ledger).scope
