"""The pages' router: signing in and out, the home redirect, the centre a page shows, and how a
page answers an error (the login page for 401, a zh-CN error page for the rest, never JSON).

Pages live under `/ui/` (the API keeps `/cases`, `/boards`, …); `/` sends people to the board.
Each page module adds its handlers to `PAGES`; `router()` mounts them with the templates' and the
static assets' configuration, all served from this package (no CDN: the pages work offline).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from litestar import Request, Response, Router, get, post
from litestar.datastructures import ResponseHeader
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.status_codes import HTTP_303_SEE_OTHER

from ledger.api.errors import EXCEPTION_HANDLERS
from ledger.api.ui.session import COOKIE, cookie_lifetime, page_credential, sign_in
from ledger.application.tokens import Credential, InvalidToken
from ledger.domain.errors import LedgerError

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

HOME = "/ui/board"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'"
)
"""Pages run only their own files: no inline script or style, nothing from another origin (an
event field that got past the templates' escaping still could not run), never framed."""
SECURITY_HEADERS = [
    ResponseHeader(name="Content-Security-Policy", value=CSP),
    ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
    ResponseHeader(name="Referrer-Policy", value="same-origin"),
    ResponseHeader(name="X-Frame-Options", value="DENY"),
]


def centre_of(credential: Credential, asked: str | None, known: list[str]) -> str:
    """The centre a page shows: the one asked for (known and in scope), else the credential's
    first. A mistyped centre is an error page naming it, never an empty floor."""
    scope = credential.scope
    if asked:
        if asked not in known:
            raise PageError(
                404, f"没有名为 “{asked}” 的服务中心", f"已配置的服务中心：{'、'.join(known)}"
            )
        scope.require(asked)
        return asked
    mine = [c for c in known if scope.admits(c)]
    if not mine:
        raise PageError(403, "没有可查看的服务中心", "您的令牌未授权任何已配置的服务中心。")
    return mine[0]


class PageError(LedgerError):
    """An error a page shows as such (status, title, detail)."""

    def __init__(self, status: int, title: str, detail: str = "") -> None:
        super().__init__(title)
        self.status, self.title, self.detail = status, title, detail


def page_context(
    request: Request[Any, Any, Any], credential: Credential | None, **more: Any
) -> dict[str, Any]:
    """What every page's layout needs: who is signed in, which page is current."""
    return {"credential": credential, "path": request.url.path, **more}


@get("/", include_in_schema=False)
async def home() -> Redirect:
    return Redirect(path=HOME)


@get("/ui", include_in_schema=False)
async def ui_home() -> Redirect:
    return Redirect(path=HOME)


@get("/ui/login", include_in_schema=False)
async def login_page(
    request: Request[Any, Any, Any], next: FromQuery[str | None] = None
) -> Template:
    return Template("login.html", context=page_context(request, None, next=_safe_next(next)))


@post("/ui/login", include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def login(request: Request[Any, Any, Any]) -> Response[Any]:
    """Takes the form's token; a good one sets the session cookie and goes on to `next`."""
    form = await request.form()
    token = str(form.get("token") or "").strip()
    target = _safe_next(str(form.get("next") or "")) or HOME
    try:
        credential = await sign_in(request.app.state.ledger, token)
    except InvalidToken as e:
        context = page_context(request, None, next=target, error=f"令牌无效：{e}")
        return Template("login.html", context=context, status_code=401)
    response: Response[Any] = Redirect(path=target, status_code=HTTP_303_SEE_OTHER)
    response.set_cookie(
        COOKIE,
        token,
        max_age=cookie_lifetime(credential),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return response


@post("/ui/logout", include_in_schema=False, status_code=HTTP_303_SEE_OTHER)
async def logout() -> Response[Any]:
    response: Response[Any] = Redirect(path="/ui/login", status_code=HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE, path="/")
    return response


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (not `//host`, not a URL): no open redirect from the login."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


def _unauthorised(request: Request[Any, Any, Any], _: Exception) -> Response[Any]:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Redirect(path=f"/ui/login?next={quote(target, safe='')}", status_code=HTTP_303_SEE_OTHER)


def _error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Any other error as a page: the API's own mapping decides the status and the words, so a
    page and the API never disagree on what went wrong."""
    if isinstance(exc, PageError):
        status, title, detail = exc.status, exc.title, exc.detail
    else:
        problem = _problem_of(request, exc)
        status = problem.status_code or 500
        title = getattr(problem.content, "title", "出错了")
        detail = getattr(problem.content, "detail", "") or ""
    context = page_context(request, None, status=status, title=title, detail=detail)
    return Template("error.html", context=context, status_code=status)


def _problem_of(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The API's problem response for `exc` (its most specific handler)."""
    kind = next(k for k in type(exc).__mro__ if k in EXCEPTION_HANDLERS)
    response: Response[Any] = EXCEPTION_HANDLERS[kind](request, exc)
    return response


PAGES: list[Any] = [home, ui_home, login_page, login, logout]
"""Every page handler; page modules append theirs (see `router`)."""


def router() -> Router:
    """The pages and their assets, mounted beside the API by `create_app`."""
    from ledger.api.ui import registered  # noqa: F401  (the page modules add to PAGES)

    return Router(
        path="/",
        route_handlers=[
            *PAGES,
            create_static_files_router(
                path="/ui/static", directories=[STATIC], include_in_schema=False
            ),
        ],
        exception_handlers={
            **dict.fromkeys(
                EXCEPTION_HANDLERS, _error_page
            ),  # the API's keys, so none answers JSON
            PageError: _error_page,
            NotAuthorizedException: _unauthorised,
            InvalidToken: _unauthorised,
        },
        include_in_schema=False,
        response_headers=SECURITY_HEADERS,
    )


__all__ = ["PAGES", "PageError", "centre_of", "page_context", "page_credential", "router"]
