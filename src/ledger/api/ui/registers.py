"""The registers as pages: 12345 orders, 办不成事 reports, 差评 follow-ups, the approvals waiting on
the signed-in person's roles, and case search.

Each page is its JSON endpoint's own read (the same query struct, register function, keyset
cursor, role check and tenancy), shown in zh-CN: filters as a GET form (an empty field is no
filter), 下一页 by the register's cursor, each row linking to its case page, and export links
carrying the same filters. A page honours `Ledger-Position` as the API does (read-your-writes).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from litestar import Request, get
from litestar.params import QueryParameter
from litestar.response import Template

from ledger.api import approvals, case_view, pushback_view
from ledger.api.edge import bounded
from ledger.api.errors import BadRequest
from ledger.api.hotline_register import TICKET_STATUSES, TicketQuery, ticket_register
from ledger.api.ratings_register import STATUSES as BAD_REVIEW_STATUSES
from ledger.api.ratings_register import BadReviewQuery, bad_review_register
from ledger.api.reads import MAX_LIMIT, decode_cursor, read_in_thread, utc_now, wait_for_view
from ledger.api.schemas.fields import PLAIN
from ledger.api.search import CaseQuery, search_cases
from ledger.api.ui.labels import yes_no, zh
from ledger.api.ui.pages import PAGES, PageError, centre_of, page_context, page_credential
from ledger.api.unresolved_register import ReportQuery, report_register
from ledger.application.service import Ledger
from ledger.application.tokens import Credential
from ledger.domain.permissions import APPEND_ROLES, require_read, require_view_read
from ledger.domain.unresolved.records import (
    Resolvability,
    UnresolvedCause,
    UnresolvedClosure,
    UnresolvedTier,
)
from ledger.domain.values import CaseStatus, Role

PAGE_SIZE = 50
PageSize = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, required=False)]
Filter = Annotated[str | None, QueryParameter(required=False)]
E = TypeVar("E", bound=StrEnum)

APPROVER_ROLES = APPEND_ROLES["ExceptionLayerDecided"]
"""The roles that decide an exception's layers: the ones "待我审批" lists requests for."""
APPROVALS_SHOWN = 200
"""Requests shown per role, oldest waiting first (the API's list has no cursor)."""

_PLAIN = re.compile(PLAIN)


def _given(value: str | None, label: str) -> str | None:
    """A text filter as typed: blank is no filter; control characters or 200+ characters are a
    400 page (the API's `Text` rule)."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > 200 or not _PLAIN.match(text):
        raise PageError(400, "筛选条件有误", f"“{label}”不能含控制字符，且不超过 200 个字。")
    return text


def _choice(value: str | None, allowed: Iterable[str], label: str) -> str | None:
    chosen = _given(value, label)
    if chosen is not None and chosen not in allowed:
        raise PageError(400, "筛选条件有误", f"“{label}”没有 “{chosen}” 这一项。")
    return chosen


def _enum(kind: type[E], value: str | None, label: str) -> E | None:
    chosen = _choice(value, [e.value for e in kind], label)
    return None if chosen is None else kind(chosen)


def _day(value: str | None, field: str, label: str) -> date | None:
    chosen = _given(value, label)
    if chosen is None:
        return None
    try:
        return bounded(field, date.fromisoformat(chosen))
    except (ValueError, BadRequest):
        raise PageError(400, "筛选条件有误", f"“{label}”应为日期，如 2026-02-10。") from None


def _cursor(value: str | None, field: str) -> str | None:
    cursor = _given(value, "翻页")
    if cursor is not None:
        try:
            decode_cursor(cursor, field)
        except BadRequest:
            raise PageError(400, "翻页链接无效", "请回到第一页重新浏览。") from None
    return cursor


def link(path: str, **params: Any) -> str:
    """`path` with the non-empty `params` as its query string."""
    given = {k: str(v) for k, v in params.items() if v is not None and v != ""}
    return f"{path}?{urlencode(given)}" if given else path


def _centres(request: Request[Any, Any, Any]) -> list[str]:
    ledger: Ledger = request.app.state.ledger
    return ledger.policies.centres


def _page(
    request: Request[Any, Any, Any],
    credential: Credential,
    template: str,
    centre: str,
    filters: dict[str, Any],
    **more: Any,
) -> Template:
    """A register page: its filters (for the form, the pager and the exports), the centres the
    credential may switch to, and the label helpers."""
    mine = [c for c in _centres(request) if credential.scope.admits(c)]
    context = page_context(
        request,
        credential,
        centre=centre,
        centres=mine,
        filters=filters,
        zh=zh,
        yes_no=yes_no,
        link=link,
        **more,
    )
    return Template(template, context=context)


async def _signed_in(
    request: Request[Any, Any, Any], centre: str | None, check: Callable[[Credential], None]
) -> tuple[Credential, str]:
    """The credential (after the API's role check for this read) and the centre shown."""
    credential = await page_credential(request)
    check(credential)
    return credential, centre_of(credential, _given(centre, "服务中心"), _centres(request))


def _viewer(what: str) -> Callable[[Credential], None]:
    return lambda c: require_view_read(c.actor.roles, what)


@get("/ui/registers/hotline", include_in_schema=False)
async def hotline_page(
    request: Request[Any, Any, Any],
    centre: Filter = None,
    status: Filter = None,
    unit: Filter = None,
    after: Filter = None,
    limit: PageSize = PAGE_SIZE,
) -> Template:
    """12345 orders (`GET /hotline/tickets`)."""
    credential, shown = await _signed_in(request, centre, _viewer("read the 12345 register"))
    filters = {
        "status": _choice(status, TICKET_STATUSES, "状态"),
        "unit": _given(unit, "承办单位"),
    }
    query = TicketQuery(centres=[shown], limit=limit, after=_cursor(after, "after"), **filters)
    answer = await pushback_view.read(
        request, request.app.state.waiter, None, ticket_register, request.app.state.ledger, query
    )
    return _page(
        request,
        credential,
        "registers/hotline.html",
        shown,
        filters,
        answer=answer,
        statuses=TICKET_STATUSES,
        limit=limit if limit != PAGE_SIZE else None,
        paged=after is not None,
    )


@get("/ui/registers/unresolved", include_in_schema=False)
async def unresolved_page(
    request: Request[Any, Any, Any],
    centre: Filter = None,
    status: Filter = None,
    cause: Filter = None,
    resolvability: Filter = None,
    tier: Filter = None,
    closure: Filter = None,
    window: Filter = None,
    after: Filter = None,
    limit: PageSize = PAGE_SIZE,
) -> Template:
    """办不成事 reports (`GET /unresolved`)."""
    credential, shown = await _signed_in(request, centre, _viewer("read the 办不成事 register"))
    query = ReportQuery(
        centres=[shown],
        status=_choice(status, ("open", "closed"), "状态"),
        cause=_enum(UnresolvedCause, cause, "原因"),
        resolvability=_enum(Resolvability, resolvability, "可办性"),
        tier=_enum(UnresolvedTier, tier, "层级"),
        closure=_enum(UnresolvedClosure, closure, "办结方式"),
        window=_given(window, "窗口"),
        limit=limit,
        after=_cursor(after, "after"),
    )
    answer = await pushback_view.read(
        request, request.app.state.waiter, None, report_register, request.app.state.ledger, query
    )
    filters = {
        name: getattr(query, name)
        for name in ("status", "cause", "resolvability", "tier", "closure", "window")
    }
    return _page(
        request,
        credential,
        "registers/unresolved.html",
        shown,
        filters,
        answer=answer,
        enums={
            "cause": ("unresolved_cause", UnresolvedCause),
            "resolvability": ("resolvability", Resolvability),
            "tier": ("unresolved_tier", UnresolvedTier),
            "closure": ("unresolved_closure", UnresolvedClosure),
        },
        limit=limit if limit != PAGE_SIZE else None,
        paged=after is not None,
    )


@get("/ui/registers/ratings", include_in_schema=False)
async def ratings_page(
    request: Request[Any, Any, Any],
    centre: Filter = None,
    status: Filter = None,
    department: Filter = None,
    real_name: Filter = None,
    after: Filter = None,
    limit: PageSize = PAGE_SIZE,
) -> Template:
    """差评 follow-ups (`GET /ratings`)."""
    credential, shown = await _signed_in(request, centre, _viewer("read the 差评 register"))
    named = _choice(real_name, ("true", "false"), "实名")
    filters = {
        "status": _choice(status, BAD_REVIEW_STATUSES, "处理阶段"),
        "department": _given(department, "部门"),
        "real_name": named,
    }
    query = BadReviewQuery(
        centres=[shown],
        status=filters["status"],
        department=filters["department"],
        real_name=None if named is None else named == "true",
        limit=limit,
        after=_cursor(after, "after"),
    )
    answer = await pushback_view.read(
        request,
        request.app.state.waiter,
        None,
        bad_review_register,
        request.app.state.ledger,
        query,
    )
    return _page(
        request,
        credential,
        "registers/ratings.html",
        shown,
        filters,
        answer=answer,
        statuses=BAD_REVIEW_STATUSES,
        limit=limit if limit != PAGE_SIZE else None,
        paged=after is not None,
    )


@get("/ui/registers/approvals", include_in_schema=False)
async def approvals_page(request: Request[Any, Any, Any], centre: Filter = None) -> Template:
    """Exception requests and ratifications waiting on a layer one of my roles decides
    (`GET /approvals`, once per role)."""
    credential, shown = await _signed_in(request, centre, _viewer("read pending approvals"))
    ledger: Ledger = request.app.state.ledger
    await wait_for_view(
        request, request.app.state.waiter, approvals.VIEW, None, timeout=approvals.VIEW_WAIT
    )
    roles = [r for r in Role if r in APPROVER_ROLES and r in credential.actor.roles]
    now = utc_now()
    answers = [
        await read_in_thread(
            approvals.pending_approvals, ledger, role, shown, [shown], APPROVALS_SHOWN, now
        )
        for role in roles
    ]
    return _page(
        request,
        credential,
        "registers/approvals.html",
        shown,
        {},
        answers=answers,
        approver_roles=[r for r in Role if r in APPROVER_ROLES],
        shown_at_most=APPROVALS_SHOWN,
    )


@get("/ui/cases", include_in_schema=False)
async def cases_page(
    request: Request[Any, Any, Any],
    centre: Filter = None,
    case_no: Filter = None,
    status: Filter = None,
    department: Filter = None,
    window: Filter = None,
    matter: Filter = None,
    registered_from: Annotated[str | None, QueryParameter(name="from", required=False)] = None,
    registered_to: Annotated[str | None, QueryParameter(name="to", required=False)] = None,
    cursor: Filter = None,
    limit: PageSize = PAGE_SIZE,
) -> Template:
    """Case search (`GET /cases`): rows show the masked applicant, so not for dashboards."""
    credential, shown = await _signed_in(request, centre, lambda c: require_read(c.actor.roles))
    start = _day(registered_from, "from", "登记日期自")
    end = _day(registered_to, "to", "登记日期至")
    if start and end and start > end:
        raise PageError(400, "筛选条件有误", "登记日期的起始日晚于截止日。")
    query = CaseQuery(
        status=_enum(CaseStatus, status, "状态"),
        centres=[shown],
        department=_given(department, "部门"),
        window=_given(window, "窗口"),
        matter=_given(matter, "事项编码"),
        case_no=_given(case_no, "案件编号"),
        registered_from=start,
        registered_to=end,
        limit=limit,
        cursor=_cursor(cursor, "cursor"),
    )
    await wait_for_view(
        request, request.app.state.waiter, case_view.VIEW, None, timeout=case_view.VIEW_WAIT
    )
    answer = await read_in_thread(search_cases, request.app.state.ledger, query, utc_now())
    filters = {
        "case_no": query.case_no,
        "status": query.status,
        "department": query.department,
        "window": query.window,
        "matter": query.matter,
        "from": start,
        "to": end,
    }
    return _page(
        request,
        credential,
        "cases.html",
        shown,
        filters,
        answer=answer,
        statuses=list(CaseStatus),
        limit=limit if limit != PAGE_SIZE else None,
        paged=cursor is not None,
    )


PAGES.extend([hotline_page, unresolved_page, ratings_page, approvals_page, cases_page])
