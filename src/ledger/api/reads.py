"""What view endpoints share: read-your-writes through `?min_position=` or `Ledger-Position`, one
consistent snapshot per read, the live generation, keyset pages and the query parameters.

A write answers with `Ledger-Position: N`; a client that sends it back (or `?min_position=N`) on
a view read is answered only once the view has projected N, or gets 503 `not-caught-up` with
Retry-After after `READ_WAIT` seconds. The wait parks on the process's `PositionWaiter`, so it
holds no database connection.

    @get("/cases", ...)
    async def search(request, waiter: NamedDependency[PositionWaiter], min_position: MinPosition
                     = None):
        as_of = await wait_for_view(request, waiter, "cases", min_position)
        ...  # then query the view (joined on the live generation), in a thread
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast
from uuid import UUID

import msgspec
import psycopg
from litestar import Request
from litestar.params import Parameter, QueryParameter
from psycopg.rows import DictRow, tuple_row

from ledger.api.errors import BadRequest
from ledger.api.schemas.fields import PLAIN
from ledger.api.schemas.view_reads import Lag
from ledger.projections.status import projection_status
from ledger.projections.stopped import refuse_if_stopped
from ledger.projections.waiter import PositionWaiter

if TYPE_CHECKING:
    from ledger.application.service import Ledger

Conn = psycopg.Connection[DictRow]

POSITION_HEADER = "Ledger-Position"
MinPosition = Annotated[
    int | None,
    Parameter(
        ge=0,
        le=2**62,
        required=False,
        description="Answer only once the view has projected this log position (a write's "
        "`position`; the Ledger-Position header does the same)",
    ),
]
"""The `?min_position=` query parameter of every view read."""
READ_WAIT = 5.0
"""Seconds a read waits for its view to catch up before answering 503."""
MAX_LIMIT = 500
"""The most rows a page may ask for."""

Shape = TypeVar("Shape", bound=msgspec.Struct)

Text = Annotated[
    str | None, QueryParameter(required=False, min_length=1, max_length=200, pattern=PLAIN)
]
"""A text filter of a view read."""
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT, required=False)]
"""How many rows a page holds."""
After = Annotated[
    str | None,
    QueryParameter(
        required=False,
        min_length=1,
        max_length=200,
        pattern=PLAIN,
        description="`next_cursor` of the previous page",
    ),
]
"""The keyset cursor of the registers' pages."""


def min_position_from(request: Request[Any, Any, Any], query_value: int | None) -> int | None:
    """The position a read must see: the larger of `?min_position=` and the Ledger-Position
    header, or None when neither is given."""
    raw = request.headers.get(POSITION_HEADER)
    header: int | None = None
    if raw is not None:
        try:
            header = int(raw.strip())
        except ValueError:
            header = -1
        if not 0 <= header <= 2**62:
            raise BadRequest(POSITION_HEADER, f"{POSITION_HEADER} must be a log position")
    given = [p for p in (query_value, header) if p is not None]
    return max(given) if given else None


async def wait_for_view(
    request: Request[Any, Any, Any],
    waiter: PositionWaiter,
    name: str,
    query_value: int | None = None,
    timeout: float = READ_WAIT,
) -> int:
    """Wait (bounded) until view `name` has projected the position the request asks for;
    returns the view's position (raises NotCaughtUp, a 503, on timeout)."""
    target = min_position_from(request, query_value)
    if target is None:
        return waiter.position(name)
    await refuse_if_stopped(waiter, name, target)  # a stopped view: 503 at once, no wait
    return await waiter.wait(name, target, timeout)


@contextmanager
def snapshot(ledger: Ledger) -> Iterator[Conn]:
    """A pooled connection in one REPEATABLE READ, READ ONLY transaction."""
    with ledger.store.datastore.get_connection() as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield conn


def view_status(conn: Conn, view: str) -> tuple[int, Lag]:
    """`view`'s position and lag, read on `conn` (so as of its snapshot)."""
    # projection_status reads tuples: a cursor of the same connection shares the snapshot.
    status = projection_status(cast("Any", conn.cursor(row_factory=tuple_row)), view)
    return status.position, Lag(events=status.lag_events, seconds=status.lag_seconds)


@contextmanager
def view_snapshot(ledger: Ledger, view: str) -> Iterator[tuple[Conn, int, Lag]]:
    """A `snapshot`, with `view`'s position and lag as of it (so what is read and the position it
    is reported at agree)."""
    with snapshot(ledger) as conn:
        yield conn, *view_status(conn, view)


def live(view: str, alias: str = "v") -> str:
    """The join that keeps only the rows of `view`'s live generation (table alias `alias`)."""
    return f"JOIN ledger_projections p ON p.name = '{view}' AND {alias}.generation = p.generation"


def keyset_page(
    conn: Conn,
    select: str,
    where: list[str],
    params: list[Any],
    keyset: tuple[str, str],
    cursor: str | None,
    limit: int,
    *,
    cursor_field: str,
) -> tuple[list[DictRow], str | None]:
    """One page of `select` (a `SELECT ... FROM <table> v <join>`) filtered by `where`, newest
    first by the `keyset` columns (a time, then an id), after `cursor`; with the cursor of the
    next page, None on the last one."""
    at, key = keyset
    conditions, values = list(where), list(params)
    if cursor:
        conditions.append(f"(v.{at}, v.{key}) < (%s, %s)")
        values.extend(decode_cursor(cursor, cursor_field))
    sql = f"{select} WHERE {' AND '.join(conditions)} ORDER BY v.{at} DESC, v.{key} DESC LIMIT %s"
    rows = conn.execute(sql, [*values, limit + 1]).fetchall()
    page = rows[:limit]
    more = len(rows) > limit
    return page, encode_cursor(page[-1][at], page[-1][key]) if more else None


def encode_cursor(at: datetime, item_id: UUID) -> str:
    """A keyset-paging cursor: the last item's sort time and id, opaque to clients."""
    raw = msgspec.json.encode((at, item_id))
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, field: str) -> tuple[datetime, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return msgspec.json.decode(raw, type=tuple[datetime, UUID])
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise BadRequest(field, f"{field} must be a next_cursor this endpoint returned") from None


def from_row(shape: type[Shape], row: DictRow, **computed: Any) -> Shape:
    """The wire shape `shape` from a view row: each field from its column of the same name,
    unless `computed` gives it; enums from their values."""
    return msgspec.convert({**row, **computed}, shape)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)  # noqa: UP017 (house style)
