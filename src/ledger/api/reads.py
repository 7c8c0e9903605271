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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from functools import partial
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from uuid import UUID

import anyio
import msgspec
import psycopg
from eventsourcing.persistence import PersistenceError
from litestar import Request
from litestar.params import Parameter, QueryParameter
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from psycopg.rows import DictRow

from ledger.api.errors import BadRequest
from ledger.api.read_transaction import ViewStatus, read_only
from ledger.api.schemas.fields import PLAIN
from ledger.api.schemas.view_reads import Lag
from ledger.projections.stopped import refuse_if_stopped
from ledger.projections.waiter import PositionWaiter
from ledger.store.replicas import EVENTS, ReplicaLost

if TYPE_CHECKING:
    from ledger.application.service import Ledger
    from ledger.store.replicas import Replica

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
ReplayedPosition = Annotated[
    int | None,
    Parameter(
        ge=0,
        le=2**62,
        required=False,
        description="Read from a replica only once it has replayed this log position (a write's "
        "`position`; the Ledger-Position header does the same); else the primary answers",
    ),
]
"""The `?min_position=` query parameter of case reads (`read_routed`)."""
READ_WAIT = 5.0
"""Seconds a read waits for its view to catch up before answering 503."""
MAX_LIMIT = 500
"""The most rows a page may ask for."""

Shape = TypeVar("Shape", bound=msgspec.Struct)
Answer = TypeVar("Answer")

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
    route = _ROUTE.get()
    ledger: Ledger | None = getattr(request.app.state, "ledger", None)
    if route is not None and route.served_by != PRIMARY and ledger is not None and ledger.replicas:
        choose = partial(ledger.replicas.choose, target, name, only=route.replica)
        if (choice := await anyio.to_thread.run_sync(choose)) is not None:
            route.to_replica(choice.replica, choice.target)
            return int(choice.position)
    if route is not None:
        route.to_primary()
    if target is None:
        return waiter.position(name)
    await refuse_if_stopped(waiter, name, target)  # a stopped view: 503 at once, no wait
    return await waiter.wait(name, target, timeout)


@contextmanager
def snapshot(ledger: Ledger) -> Iterator[Conn]:
    """A pooled connection in one REPEATABLE READ, READ ONLY transaction: on the replica this
    request's view reads were routed to (`wait_for_view`), else on the primary. A replica whose
    connection fails is left out for a while and the primary serves the read: at once when the
    connection fails to open, by `ReplicaLost` when it fails under the read."""
    with _routed(ledger, None) as (conn, _, _status):
        yield conn


@contextmanager
def sourced_snapshot(ledger: Ledger) -> Iterator[tuple[Conn, Ledger]]:
    """`snapshot`, with the ledger whose pool lent its connection (the primary's, or the reader
    of the replica it reads), so that more connections can join it on the same server
    (`shared_snapshot`)."""
    with _routed(ledger, None) as (conn, source, _status):
        yield conn, source


@contextmanager
def view_snapshot(ledger: Ledger, view: str) -> Iterator[tuple[Conn, int, Lag]]:
    """A `snapshot`, with `view`'s position and lag as of it (so what is read and the position it
    is reported at agree), read with its BEGIN."""
    with _routed(ledger, view) as (conn, _, status):
        assert status is not None
        yield conn, *status


@contextmanager
def _routed(ledger: Ledger, view: str | None) -> Iterator[tuple[Conn, Ledger, ViewStatus | None]]:
    route = _ROUTE.get()
    if route is not None and (replica := route.replica) and (reader := route.reader):
        try:
            stack, conn, status = read_only(reader, view)
        except (psycopg.Error, PersistenceError) as e:
            ledger.replicas.failed(replica, e)
            route.to_primary()
        else:
            try:
                with stack:
                    yield conn, reader, status
            except (psycopg.Error, PersistenceError) as e:
                ledger.replicas.failed(replica, e)
                route.to_primary()
                raise ReplicaLost(f"replica {replica.name} failed during a read: {e}") from e
            return
    stack, conn, status = read_only(ledger, view)
    with stack:
        yield conn, ledger, status


async def read_in_thread(read: Callable[..., Answer], *args: Any) -> Answer:
    """`read(*args)` (which reads through `snapshot`) off the event loop; run once more, on the
    primary, when the replica it was routed to failed under it. The primary has replayed
    everything a replica has, so what the request waited for (`min_position`) holds there too."""
    return await anyio.to_thread.run_sync(partial(_again_on_primary, read, *args))


def _again_on_primary(read: Callable[..., Answer], *args: Any) -> Answer:
    try:
        return read(*args)
    except ReplicaLost:
        return read(*args)


def live(view: str, alias: str = "v") -> str:
    """The join that keeps only the rows of `view`'s live generation (table alias `alias`).

    The generation is compared with a scalar subquery, not the joined row: PostgreSQL then knows
    it as one value before it scans, so `(generation, …)` indexes serve the filter and the order.
    Joined on `p.generation`, it hashed the whole view and sorted it for every page (30,000 cases:
    `GET /cases?limit=1` took 30.7 ms of PostgreSQL; this way 0.4 ms)."""
    generation = live_generation(view)
    return f"JOIN ledger_projections p ON p.name = '{view}' AND {alias}.generation = {generation}"


def live_generation(view: str) -> str:
    """`view`'s live generation, as a scalar subquery (see `live`)."""
    return f"(SELECT generation FROM ledger_projections WHERE name = '{view}')"


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


# --- read replicas ------------------------------------------------------------------------------

SERVED_BY_HEADER = "Ledger-Served-By"
PRIMARY, REPLICA = "primary", "replica"


class ReadRoute:
    """Where one request's reads went: unset until its first routed read; a request that turned
    to the primary (a replica behind or failing) stays there."""

    def __init__(self) -> None:
        self.replica: Replica[Ledger] | None = None
        self.reader: Ledger | None = None
        """The replica's reader, while the request reads there."""
        self.served_by: str | None = None

    def to_replica(self, replica: Replica[Ledger], reader: Ledger) -> None:
        self.replica, self.reader, self.served_by = replica, reader, REPLICA

    def to_primary(self) -> None:
        self.replica, self.reader, self.served_by = None, None, PRIMARY


_ROUTE: ContextVar[ReadRoute | None] = ContextVar("ledger_read_route", default=None)


def served_by(app: ASGIApp) -> ASGIApp:
    """Give each HTTP request a `ReadRoute`, and say in its response (`Ledger-Served-By`) and its
    access-log line (`served_by`) which server answered its reads, when it read at all."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # type: ignore[comparison-overlap]
            await app(scope, receive, send)
            return
        route = ReadRoute()
        token = _ROUTE.set(route)

        async def send_served_by(message: Message) -> None:
            if message["type"] == "http.response.start" and route.served_by:
                message["headers"] = [
                    *message.get("headers", []),
                    (SERVED_BY_HEADER.lower().encode(), route.served_by.encode()),
                ]
                scope.setdefault("state", {}).setdefault("log", {})["served_by"] = route.served_by
            await send(message)

        try:
            await app(scope, receive, send_served_by)
        finally:
            _ROUTE.reset(token)

    return middleware


def read_routed(
    request: Request[Any, Any, Any],
    ledger: Ledger,
    read: Callable[[Ledger], Answer],
    min_position: int | None = None,
    *,
    replica_ok: bool = True,
) -> Answer:
    """`read(reader)` (a case read, history, a bundle, a proof; off the event loop) on a replica
    whose events have reached the position the request asks for (`?min_position=` or
    Ledger-Position; any replica when it asks for none), else on the primary. Whatever the
    replica cannot answer (it fails, or has not replayed the case, the version or the checkpoint
    yet: a 404 there may not be one on the primary) the primary answers."""
    route = _ROUTE.get()
    target = min_position_from(request, min_position)
    choice = ledger.replicas.choose(target, EVENTS) if replica_ok and route else None
    if choice is not None and route is not None:
        try:
            answer = read(choice.target)
        except (psycopg.Error, PersistenceError) as e:
            ledger.replicas.failed(choice.replica, e)
        except Exception:  # the primary's answer, or its error, is the one given
            pass
        else:
            route.to_replica(choice.replica, choice.target)
            return answer
    if route is not None:
        route.to_primary()
    return read(ledger)
