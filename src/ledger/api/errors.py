"""Every error becomes one RFC 9457 problem response; this is the only place statuses are chosen."""

from __future__ import annotations

import re
from typing import Any

import psycopg
import structlog
from eventsourcing.persistence import InterfaceError as StoreInterfaceError
from eventsourcing.persistence import OperationalError as StoreOperationalError
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from ledger.api.schemas.fields import PLAIN, PLAIN_MESSAGE
from ledger.api.schemas.problems import FieldError, Problem
from ledger.application.tokens import InvalidToken
from ledger.config.logs import error_text
from ledger.domain.errors import (
    CaseNotFoundError,
    ConcurrencyConflict,
    IdempotencyKeyReused,
    InvalidField,
    LedgerError,
    NotPermitted,
    OutOfScope,
    PersonalDataInText,
    PreconditionFailed,
    RuleViolation,
    VersionNotFoundError,
)
from ledger.log.errors import AuditNotFound, NotSealedYet
from ledger.projections.stopped import ProjectionStopped
from ledger.projections.waiter import NotCaughtUp, TooManyWaits
from ledger.store.replicas import ReplicaLost
from ledger.store.supervisor import DatabaseUnavailable
from ledger.store.vault_records import NoPersonalData, PersonalDataErased

PROBLEM_BASE = "https://case-ledger.example/problems/"
PROBLEM_JSON = "application/problem+json"

log = structlog.get_logger("ledger.api")


class BadRequest(LedgerError):
    """A request that is malformed in a way the body schema cannot say (headers, query)."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail


class UnsupportedMediaType(LedgerError):
    """A body the API cannot read: not JSON, or not UTF-8 (415)."""


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        content=problem, status_code=problem.status, media_type=PROBLEM_JSON, headers=headers
    )


def _problem(slug: str, title: str, status: int, **members: Any) -> Problem:
    return Problem(type=PROBLEM_BASE + slug, title=title, status=status, **members)


def ledger_error_to_problem(exc: LedgerError) -> Problem:  # noqa: PLR0911, PLR0912
    match exc:
        case PersonalDataInText(rule=rule, field=field, detail=detail):  # names no value
            return _problem(
                "rule-violated",
                "Rule violated",
                422,
                rule=rule,
                field=field,
                detail=detail,
                errors=[FieldError(field=field, message=detail)],
            )
        case RuleViolation(rule=rule, detail=detail):
            return _problem("rule-violated", "Rule violated", 422, rule=rule, detail=detail)
        case InvalidField(field=field, detail=detail):
            return _problem(
                "invalid-field",
                "Invalid field",
                400,
                field=field,
                detail=detail,
                errors=[FieldError(field=field, message=detail)],
            )
        case BadRequest(field=field, detail=detail):
            return _problem("bad-request", "Bad request", 400, field=field, detail=detail)
        case UnsupportedMediaType():
            return _problem(
                "unsupported-media-type",
                "Unsupported media type",
                415,
                field="Content-Type",
                detail=str(exc),
            )
        case NotPermitted():
            return _problem(
                "forbidden", "Forbidden", 403, rule="auth.role_not_permitted", detail=str(exc)
            )
        case OutOfScope(field=field):
            return _problem(
                "forbidden",
                "Forbidden",
                403,
                rule="auth.centre_not_in_scope",
                field=field,
                detail=str(exc),
            )
        case CaseNotFoundError() | VersionNotFoundError():
            return _problem("not-found", "Not found", 404, detail=str(exc))
        case NoPersonalData():
            return _problem(
                "not-found", "Not found", 404, rule="personal_data.none", detail=str(exc)
            )
        case PersonalDataErased(erased_at=erased_at):
            return _problem(
                "personal-data-erased",
                "Gone",
                410,
                rule="personal_data.erased",
                detail=f"{exc} at {erased_at.isoformat()}",
                erased_at=erased_at,
            )
        case PreconditionFailed(current=current):
            return _problem(
                "precondition-failed",
                "Precondition failed",
                412,
                detail=str(exc),
                current_version=current,
            )
        case ConcurrencyConflict(current=current):
            return _problem(
                "conflict", "Concurrent write", 409, detail=str(exc), current_version=current
            )
        case AuditNotFound():
            return _problem("not-found", "Not found", 404, detail=str(exc))
        case NotSealedYet():
            return _problem("not-sealed-yet", "Not sealed yet", 503, detail=str(exc))
        case ProjectionStopped():
            return _problem(
                "projection-stopped",
                "View stopped",
                503,
                rule=exc.rule,
                detail=str(exc),
                position=exc.position,
                min_position=exc.min_position,
            )
        case NotCaughtUp():
            return _problem(
                "not-caught-up",
                "View not caught up",
                503,
                detail=str(exc),
                position=exc.position,
                min_position=exc.min_position,
                lag_events=exc.lag_events,
                lag_seconds=None if exc.lag_seconds is None else round(exc.lag_seconds, 3),
            )
        case IdempotencyKeyReused():
            return _problem(
                "idempotency-key-reused",
                "Idempotency-Key reused",
                409,
                field="Idempotency-Key",
                detail=str(exc),
            )
    return _problem("error", "Error", 400, detail=str(exc))


_MSGSPEC_PATH = re.compile(r" - at (`key` in )?`\$\.?([^`]*)`$")
_PLAIN_EXPECTED = f"Expected `str` matching regex {PLAIN!r}"
_QUOTED_FIELD = re.compile(r"field `([^`]+)`")
_MISSING_PARAMETER = re.compile(r"^Missing required \w+ parameter '([^']+)'")
"""Litestar's message for a required query parameter (or header) that is absent: name it."""


def _field_errors(exc: ValidationException) -> list[FieldError]:
    """Name the member each of msgspec's messages is about.

    Litestar passes msgspec's message ("Expected `int`, got `str` - at `$.matter.code`") and keys
    errors at the top of the body with its own parameter name, `data`, which means nothing to a
    client: there the member is the one the message quotes ("unknown field `actor`").
    """
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        message = str(item.get("message", exc.detail)) if isinstance(item, dict) else str(item)
        key = str(item.get("key", "")) if isinstance(item, dict) else ""
        path = ""
        if match := _MSGSPEC_PATH.search(message):
            path = match.group(2)
            message = message[: match.start()]
            if match.group(1):  # a key of the object at `path`
                message = f"a key: {message}"
        if message.endswith(_PLAIN_EXPECTED):
            message = message.removesuffix(_PLAIN_EXPECTED) + PLAIN_MESSAGE
        base = path or (key if key not in ("", "data", "body") else "")
        if quoted := _QUOTED_FIELD.search(message):
            base = f"{base}.{quoted.group(1)}" if base else quoted.group(1)
        errors.append(FieldError(field=base or "body", message=message))
    return errors


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, ValidationException):
        missing = _MISSING_PARAMETER.match(exc.detail)
        unnamed = FieldError(field=missing.group(1) if missing else "body", message=exc.detail)
        errors = _field_errors(exc) or [unnamed]
        problem = _problem(
            "malformed-request",
            "Malformed request",
            400,
            detail="; ".join(f"{e.field}: {e.message}" for e in errors),
            field=errors[0].field,
            errors=errors,
        )
    elif exc.status_code == 400:  # the body could not be decoded at all
        problem = _problem(
            "malformed-request",
            "Malformed request",
            400,
            field="body",
            detail=f"body: {exc.detail}",
            errors=[FieldError(field="body", message=exc.detail)],
        )
    elif exc.status_code == 413:
        problem = _problem(
            "payload-too-large",
            "Payload too large",
            413,
            field="body",
            detail="the body is larger than this server takes (its max_body_bytes)",
        )
    else:
        status = exc.status_code
        slug = "not-found" if isinstance(exc, NotFoundException) else f"http-{status}"
        problem = _problem(slug, _title(status), status, detail=exc.detail)
    return problem_response(_with_request_id(request, problem), exc.headers)


def ledger_exception_handler(request: Request[Any, Any, Any], exc: LedgerError) -> Response[Any]:
    headers = (
        {"Retry-After": str(exc.retry_after)}
        if isinstance(exc, ProjectionStopped)
        else {"Retry-After": "1"}
        if isinstance(exc, NotSealedYet | NotCaughtUp)
        else None
    )
    return problem_response(_with_request_id(request, ledger_error_to_problem(exc)), headers)


def unavailable_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """503 with Retry-After: too many reads parked (`TooManyWaits`), or the database did not
    answer: down or restarting (`DatabaseUnavailable`, `ledger.store.supervisor`), no pooled
    connection within LEDGER_DB_ACQUIRE_TIMEOUT, LEDGER_STATEMENT_TIMEOUT hit (driver errors)."""
    if isinstance(exc, TooManyWaits):
        problem = _problem("too-many-waits", "Too many waiting reads", 503, detail=str(exc))
    else:
        detail = str(exc) if isinstance(exc, DatabaseUnavailable) else _DB_DETAIL
        log.warning("http.database_unavailable", error=error_text(exc))
        problem = _problem("database-unavailable", "Database unavailable", 503, detail=detail)
    retry = str(getattr(exc, "retry_after", 2))
    return problem_response(_with_request_id(request, problem), {"Retry-After": retry})


_DB_DETAIL = (
    "the database did not answer (down, restarting or overloaded); retry: with the same "
    "Idempotency-Key a write is recorded at most once"
)


def invalid_token_handler(request: Request[Any, Any, Any], exc: InvalidToken) -> Response[Any]:
    problem = _problem("unauthorized", "Unauthorized", 401, detail=str(exc))
    return problem_response(
        _with_request_id(request, problem), {"WWW-Authenticate": 'Bearer realm="ledger"'}
    )


def unexpected_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error("http.unhandled", exc_info=exc)
    problem = _problem(
        "internal",
        "Internal error",
        HTTP_500_INTERNAL_SERVER_ERROR,
        detail="the ledger failed; nothing was recorded unless a receipt says so",
    )
    return problem_response(_with_request_id(request, problem))


def _with_request_id(request: Request[Any, Any, Any], problem: Problem) -> Problem:
    request_id = request.scope.get("state", {}).get("request_id")
    return Problem(**{**_asdict(problem), "request_id": request_id})


def _asdict(problem: Problem) -> dict[str, Any]:
    return {f: getattr(problem, f) for f in problem.__struct_fields__}


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    HTTPException: http_exception_handler,
    LedgerError: ledger_exception_handler,
    InvalidToken: invalid_token_handler,
    TooManyWaits: unavailable_handler,
    DatabaseUnavailable: unavailable_handler,
    ReplicaLost: unavailable_handler,  # escaped `read_in_thread`: the retry is the primary's
    StoreOperationalError: unavailable_handler,  # eventsourcing's wrapping of psycopg's
    StoreInterfaceError: unavailable_handler,
    psycopg.OperationalError: unavailable_handler,  # pool timeouts, direct connections
    psycopg.InterfaceError: unavailable_handler,
    Exception: unexpected_handler,
}
