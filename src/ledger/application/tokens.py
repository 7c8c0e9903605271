"""Bearer tokens: signed (HS256), expiring credentials that name the actor, their roles and unit."""

from __future__ import annotations

import time

import jwt
import msgspec

from ledger.domain.values import Actor, Role

ISSUER = "case-ledger"


class InvalidToken(Exception):
    """The bearer token is missing, malformed, forged or expired; the message says which."""


def create_token(
    secret: bytes, actor_id: str, roles: list[Role], unit: str | None, ttl_seconds: int
) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": actor_id,
        "roles": [str(r) for r in roles],
        "unit": unit,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_authorization(secret: bytes, header: str) -> Actor:
    """The actor of an `Authorization: Bearer <token>` header value."""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("send Authorization: Bearer <token> (see `ledger token create`)")
    return verify_token(secret, token.strip())


def verify_token(secret: bytes, token: str) -> Actor:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("the token has expired") from None
    except jwt.PyJWTError as e:
        raise InvalidToken(f"the token is not valid: {e}") from None
    try:
        return msgspec.convert(
            {"id": claims["sub"], "roles": claims.get("roles", []), "unit": claims.get("unit")},
            Actor,
        )
    except msgspec.ValidationError as e:
        raise InvalidToken(f"the token's claims are not valid: {e}") from None
