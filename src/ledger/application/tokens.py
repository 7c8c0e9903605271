"""Bearer tokens: signed (HS256), expiring credentials that name the actor, their roles and unit,
the centres they act in, and an id a revocation can name."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING
from uuid import uuid4

import jwt
import msgspec

from ledger.domain.tenancy import EVERY_CENTRE, Scope
from ledger.domain.values import Actor, Role

if TYPE_CHECKING:
    from ledger.config.settings import Settings
    from ledger.rules.time_limits import Policies

ISSUER = "case-ledger"
CLOCK_SKEW = 60
"""Seconds a token's `iat` may lie in the future: the issuer's and the server's clocks differ.
(`exp` gets no such slack: an expired token is refused at once.)"""


class InvalidToken(Exception):
    """The bearer token is missing, malformed, forged, expired, revoked or claims too much; the
    message says which."""


class Credential(msgspec.Struct, frozen=True):
    """A verified token: who acts (recorded in events), where they may act, and its id."""

    actor: Actor
    scope: Scope
    token_id: str
    expires_at: int


class TokenClaims(msgspec.Struct, frozen=True, kw_only=True):
    """What `ledger token create` signs; a token lacking any of these is refused, so tokens from
    before tenancy (no centres, no id) stop working rather than reading every centre."""

    iss: str
    sub: str
    jti: str
    iat: int
    exp: int
    roles: list[Role]
    unit: str | None = None
    centres: list[str] = []
    jurisdictions: list[str] = []


def create_token(
    secret: bytes,
    actor_id: str,
    roles: Sequence[Role],
    unit: str | None,
    ttl_seconds: int,
    *,
    centres: Sequence[str] = (),
    jurisdictions: Sequence[str] = (),
    max_ttl_seconds: int | None = None,
) -> str:
    """A signed token; refuses what verification would refuse (an empty subject, no centre, a
    lifetime past the maximum), so a bad token is never handed out. (A non-positive lifetime
    makes an expired token: the CLI refuses it, tests use it.)"""
    if not actor_id.strip():
        raise ValueError("the actor id (token subject) must not be empty")
    if not centres and not jurisdictions:
        raise ValueError(f"name the centres (or {EVERY_CENTRE!r}) or jurisdictions it acts in")
    if max_ttl_seconds is not None and ttl_seconds > max_ttl_seconds:
        raise ValueError(f"a lifetime of {ttl_seconds} s is past the maximum {max_ttl_seconds} s")
    now = int(time.time())
    claims = TokenClaims(
        iss=ISSUER,
        sub=actor_id,
        jti=uuid4().hex,
        iat=now,
        exp=now + ttl_seconds,
        roles=list(roles),
        unit=unit,
        centres=list(centres),
        jurisdictions=list(jurisdictions),
    )
    return jwt.encode(msgspec.to_builtins(claims), secret, algorithm="HS256")


def read_authorization(header: str) -> str:
    """The token of an `Authorization: Bearer <token>` header value."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("send Authorization: Bearer <token> (see `ledger token create`)")
    return token.strip()


def verify_token(secret: bytes, token: str, max_ttl_seconds: int) -> TokenClaims:
    """The token's claims once its signature, expiry, subject, id, centres and lifetime hold.
    Revocation is the caller's check: it needs the database."""
    claims = _signed_claims(secret, token, max_ttl_seconds)
    now = time.time()
    if claims.exp <= now:
        raise InvalidToken("the token has expired")
    if claims.iat > now + CLOCK_SKEW:
        raise InvalidToken("the token is not yet valid: issued in the future")
    return claims


@functools.lru_cache(maxsize=4096)
def _signed_claims(secret: bytes, token: str, max_ttl_seconds: int) -> TokenClaims:
    """What holds of a token whatever the time: signature, issuer, claims, lifetime. A client
    sends the same token with every request, and this took about 90 µs of each (measured), so a
    process checks it once; the times are checked on every call. A refused token raises, and is
    not kept."""
    try:
        raw = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            issuer=ISSUER,
            # `exp` and `iat` are checked by the caller, on every request.
            options={
                "require": ["exp", "iat", "sub", "iss", "jti"],
                "verify_exp": False,
                "verify_iat": False,
            },
        )
    except jwt.PyJWTError as e:
        raise InvalidToken(f"the token is not valid: {e}") from None
    try:
        claims = msgspec.convert(raw, TokenClaims)
    except msgspec.ValidationError as e:
        raise InvalidToken(f"the token's claims are not valid: {e}") from None
    if not claims.sub.strip():
        raise InvalidToken("the token names no actor (empty subject)")
    if not claims.jti.strip():
        raise InvalidToken("the token has no id (jti)")
    if not claims.centres and not claims.jurisdictions:
        raise InvalidToken("the token names no centre; create a new one with --centre")
    if claims.exp - claims.iat > max_ttl_seconds:
        raise InvalidToken(
            f"the token lives {claims.exp - claims.iat} s, past the maximum of {max_ttl_seconds} s"
        )
    return claims


def authenticate(
    authorization: str,
    settings: Settings,
    policies: Policies,
    revoked: Callable[[str], bool],
) -> Credential:
    """The credential of an `Authorization` header: its signature, lifetime and claims, its
    jurisdictions as centres, and then the revocation list, on every request."""
    found = verified_credential(authorization, settings, policies)
    if revoked(found.token_id):
        raise InvalidToken("the token has been revoked")
    return found


def verified_credential(authorization: str, settings: Settings, policies: Policies) -> Credential:
    """`authenticate` short of the revocation list: signature, lifetime, claims, centres; no I/O."""
    token = read_authorization(authorization)
    claims = verify_token(settings.token_secret, token, settings.token_max_ttl_seconds)
    centres = set(claims.centres)
    for name in claims.jurisdictions:
        if name not in policies.jurisdictions:
            raise InvalidToken(f"the token's jurisdiction {name!r} is not configured")
        centres.update(policies.jurisdiction(name).policy.centres)
    return Credential(
        actor=Actor(id=claims.sub, roles=tuple(claims.roles), unit=claims.unit),
        scope=Scope.of(centres),
        token_id=claims.jti,
        expires_at=claims.exp,
    )
