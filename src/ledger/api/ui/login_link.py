"""One-time login links: `ledger token create … --login-url` prints `<base>/ui/login/link?code=…`,
which signs its holder in once, within 15 minutes, without anyone pasting a token.

The code is a JWT under the token secret that carries the session token's claims (never the token
itself: a link seen later, in a chat log or browser history, must not still be a credential) and
its own id. It is told apart from a bearer token both ways: its `typ` header and `aud` claim are
its own, so `verify_token` refuses it (a token with an audience it does not expect) and
`read_login_code` refuses a bearer token (no audience). Opening it signs the claims into the
session token (the very one `ledger token create` would have printed: same id, same expiry, so
`ledger token revoke <id>` cuts it), checks that as every request does (revocation too), records
the code's id (`ledger_login_links`, migration 0020; the primary key makes a second use fail) and
sets the session cookie.

Why `SameSite=Lax` for this cookie, where the login form sets `Strict`: the link is opened from
another app (mail, chat, an OA system's page), and the 303 to the board continues a navigation
another site started, so a browser withholds a `Strict` cookie from it and the person lands on
the login page. `Lax` is sent on top-level GET navigations only, never on another site's POST,
fetch or frame; the pages only read, and every write needs the `Authorization` header, so what
`Lax` allows changes nothing.

The code never reaches a log: the access log records the path without its query string, and the
redirect's `Referrer-Policy: no-referrer` keeps it from the next page's requests.
"""

from __future__ import annotations

import time
from typing import Annotated, Any
from uuid import uuid4

import anyio
import jwt
import msgspec
from litestar import Request, Response, get
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER

from ledger.api.ui.pages import HOME, PAGES, page_context
from ledger.api.ui.session import COOKIE, cookie_lifetime, sign_in
from ledger.application.service import Ledger
from ledger.application.tokens import CLOCK_SKEW, ISSUER, InvalidToken, TokenClaims, verify_token

LINK_TTL = 15 * 60
"""Seconds a link lives at most (less when its session token expires sooner)."""
AUDIENCE = "case-ledger/login-link"
CODE_TYPE = "login-link+jwt"
PATH = "/ui/login/link"

_USE = (
    "INSERT INTO ledger_login_links (code_id, subject, token_id, expires_at) "
    "VALUES (%s, %s, %s, to_timestamp(%s)) ON CONFLICT (code_id) DO NOTHING"
)


class LinkExpired(InvalidToken):
    """The link's 15 minutes are over."""


class LoginCode(msgspec.Struct, frozen=True, kw_only=True):
    """What a link's code signs: its own id and lifetime, and the session token's claims."""

    iss: str
    aud: str
    jti: str
    iat: int
    exp: int
    session: TokenClaims


def create_login_code(
    secret: bytes, session_token: str, max_ttl_seconds: int, ttl: int = LINK_TTL
) -> str:
    """A code for a link that signs in as `session_token` (checked first: a bad token never
    becomes a link); it expires with the token if that comes sooner."""
    session = verify_token(secret, session_token, max_ttl_seconds)
    now = int(time.time())
    code = LoginCode(
        iss=ISSUER,
        aud=AUDIENCE,
        jti=uuid4().hex,
        iat=now,
        exp=min(now + min(ttl, LINK_TTL), session.exp),
        session=session,
    )
    return jwt.encode(
        msgspec.to_builtins(code), secret, algorithm="HS256", headers={"typ": CODE_TYPE}
    )


def read_login_code(secret: bytes, code: str) -> LoginCode:
    """The code's claims once its type, signature, audience and lifetime hold."""
    try:
        if jwt.get_unverified_header(code).get("typ") != CODE_TYPE:
            raise InvalidToken("not a login link's code")
        raw = jwt.decode(
            code,
            secret,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "jti", "aud", "iss"], "verify_iat": False},
        )
        read = msgspec.convert(raw, LoginCode)
    except jwt.ExpiredSignatureError:
        raise LinkExpired("the link has expired") from None
    except (jwt.PyJWTError, msgspec.ValidationError) as e:
        raise InvalidToken(f"the link is not valid: {e}") from None
    if read.exp - read.iat > LINK_TTL or read.iat > time.time() + CLOCK_SKEW:
        raise InvalidToken("the link's lifetime is not one this server issues")
    return read


def session_token(secret: bytes, code: LoginCode) -> str:
    """The bearer token the code's claims describe."""
    return jwt.encode(msgspec.to_builtins(code.session), secret, algorithm="HS256")


def _use(ledger: Ledger, code: LoginCode) -> bool:
    """Record the code's id; False if it was recorded before (a second use)."""
    with ledger.store.datastore.get_connection() as conn, conn.transaction():
        used = conn.execute(_USE, (code.jti, code.session.sub, code.session.jti, code.exp))
        return used.rowcount == 1


@get(PATH, include_in_schema=False)
async def login_link(
    request: Request[Any, Any, Any],
    code: Annotated[str | None, QueryParameter(required=False, max_length=4096)] = None,
) -> Response[Any]:
    """Signs in once with a link's code, then goes to the board."""
    ledger: Ledger = request.app.state.ledger
    secret = ledger.settings.token_secret
    try:
        read = read_login_code(secret, (code or "").strip())
        token = session_token(secret, read)
        credential = await sign_in(ledger, token)  # lifetime, claims, revocation: as every request
    except LinkExpired:
        return _refused(request, 401, "登录链接已过期", "登录链接仅在生成后 15 分钟内有效。")
    except InvalidToken:
        return _refused(request, 401, "登录链接无效", "链接不完整、已被改动，或它的令牌已失效。")
    if not await anyio.to_thread.run_sync(_use, ledger, read):
        return _refused(request, 410, "链接已使用", "每个登录链接只能使用一次。")
    response: Response[Any] = Redirect(path=HOME, status_code=HTTP_303_SEE_OTHER, headers=_PRIVATE)
    response.set_cookie(
        COOKIE,
        token,
        max_age=cookie_lifetime(credential),
        httponly=True,
        samesite="lax",  # opened from another app: see the module's docstring
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


_PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
"""The link's answers: not cached, and the URL (its code) not sent on as the Referer of the
page's own requests."""


def _refused(request: Request[Any, Any, Any], status: int, title: str, detail: str) -> Template:
    """The error page, as `PageError` shows it, with the link's private headers."""
    detail += "请向管理员重新申请登录链接，或用令牌登录。"
    context = page_context(request, None, status=status, title=title, detail=detail)
    return Template("error.html", context=context, status_code=status, headers=_PRIVATE)


PAGES.append(login_link)
