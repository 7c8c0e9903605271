"""Signing in to the pages: the same bearer token as the API, held in an HttpOnly cookie.

The login form posts the token once; the cookie is `HttpOnly` (no script reads it), `SameSite=
Strict` (no other site's page sends it) and lives no longer than the token. Every page request
checks it as the API checks the header: signature, lifetime, claims, revocation list. The pages
only read; anything that writes goes through the API with its header, so a cookie never writes.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import anyio
from litestar import Request
from litestar.exceptions import NotAuthorizedException

from ledger.api.access_log import note
from ledger.api.auth import _CREDENTIAL
from ledger.application.service import Ledger
from ledger.application.tokens import Credential, InvalidToken

COOKIE = "ledger_session"


def _check(request: Request[Any, Any, Any], ledger: Ledger, token: str) -> Credential:
    found = ledger.authenticate(f"Bearer {token}")
    request.scope["state"][_CREDENTIAL] = found
    note(request, actor=found.actor.id, token_id=found.token_id)
    return found


async def page_credential(request: Request[Any, Any, Any]) -> Credential:
    """The signed-in person's credential, or 401 (the pages answer it with the login page)."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise NotAuthorizedException("未登录")
    ledger: Ledger = request.app.state.ledger
    try:
        return await anyio.to_thread.run_sync(_check, request, ledger, token)
    except InvalidToken as e:
        raise NotAuthorizedException(str(e)) from None


async def sign_in(ledger: Ledger, token: str) -> Credential:
    """Check a token typed into the login form (raises InvalidToken)."""
    return await anyio.to_thread.run_sync(ledger.authenticate, f"Bearer {token}")


def cookie_lifetime(credential: Credential) -> int:
    """Seconds until the token expires: the cookie does not outlive it."""
    return max(credential.expires_at - int(datetime.now(UTC).timestamp()), 0)
