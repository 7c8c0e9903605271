"""Validation at the edge: what every request must be before any handler, token or database sees it.

`check_request` is the app's `before_request` hook, so it runs once the route is known and before
the token is read or the body decoded: a malformed request is refused even without a token, and
the same way on every route.

- **Query parameters**: a name the operation does not declare (`contract.Contract` recorded them)
  is a 400 naming it, and so is a parameter given twice; a misspelt filter must not silently
  widen a search (`GET /cases?id_number=...` used to answer every case).
- **Bodies** (operations that take one): `Content-Type` must be `application/json` (or
  `application/*+json`; a charset other than UTF-8 too is refused): 415. Larger than
  `max_body_bytes`: 413 (Litestar's `request_max_body_size`, while reading). Not UTF-8: 400. JSON
  nested deeper than `MAX_JSON_DEPTH`: 400, counted on the raw bytes in one pass, before msgspec
  recurses (1,000 nested arrays used to exhaust Python's recursion limit: a 500).

Text values and sizes are then the schemas' (`schemas/fields.py`); dates in query parameters are
bounded with `bounded` below, the same range as in bodies.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, TypeVar

from litestar import Request
from litestar.exceptions import ClientException

from ledger.api.contract import QUERY_PARAMETERS
from ledger.api.errors import BadRequest, UnsupportedMediaType
from ledger.api.schemas.fields import out_of_range

MAX_JSON_DEPTH = 32
"""Arrays and objects inside each other; the deepest request the API takes nests 3 deep."""

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
"""A JSON string, escapes included (the unrolled loop: linear, no backtracking)."""
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_JSON = re.compile(r"^application/(?:[\w.+-]+\+)?json$")

Day = TypeVar("Day", date, datetime)


async def check_request(request: Request[Any, Any, Any]) -> None:
    """The app's `before_request`: raises the problem of the first check the request fails."""
    handler = request.route_handler
    declared = handler.opt.get(QUERY_PARAMETERS)
    if declared is not None:
        _check_query(request, declared)
    if "data" in handler.parsed_fn_signature.parameters:
        _check_media_type(request)
        _check_body(await request.body())


def _check_query(request: Request[Any, Any, Any], declared: frozenset[str]) -> None:
    params = request.query_params
    for name in params:
        if name not in declared:
            known = ", ".join(sorted(declared)) or "none"
            detail = f"unknown query parameter {name!r} (this endpoint takes: {known})"
            raise BadRequest(name, detail)
        if len(params.getall(name)) > 1:
            raise BadRequest(name, f"query parameter {name!r} is given more than once")


def _check_media_type(request: Request[Any, Any, Any]) -> None:
    media_type, options = request.content_type
    charset = options.get("charset", "utf-8").lower()
    if not _JSON.match(media_type.lower()) or charset not in ("utf-8", "utf8"):
        given = request.headers.get("content-type") or "none"
        raise UnsupportedMediaType(f"the body must be application/json in UTF-8, not {given}")


def _check_body(body: bytes) -> None:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ClientException(f"not valid UTF-8 (byte {e.start})") from None
    if json_depth(body) > MAX_JSON_DEPTH:
        raise ClientException(f"arrays and objects nest deeper than {MAX_JSON_DEPTH}")


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest in `body`, counting brackets outside strings; a body that
    is not JSON gets some number, and the decoder refuses it anyway."""
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    depth = deepest = 0
    for byte in brackets:
        if byte in b"[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    break
        else:
            depth -= 1
    return deepest


def bounded(parameter: str, value: Day | None) -> Day | None:
    """`value` of query parameter `parameter`, or a 400 naming it when outside `DATE_RANGE`."""
    if value is not None and (why := out_of_range(value)):
        raise BadRequest(parameter, f"{parameter} {why}")
    return value
