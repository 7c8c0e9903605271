"""What view endpoints share: read-your-writes through `?min_position=` or `Ledger-Position`.

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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated, Any, cast
from uuid import UUID

import msgspec
from litestar import Request
from litestar.params import Parameter
from psycopg.rows import tuple_row

from ledger.api.errors import BadRequest
from ledger.domain.clock import Colour
from ledger.projections.runtime import projection_status
from ledger.projections.waiter import PositionWaiter

if TYPE_CHECKING:
    from ledger.application.service import Ledger

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


class Lag(msgspec.Struct, kw_only=True):
    events: int
    """Events stored after `as_of_position`."""
    seconds: float | None
    """How long ago the oldest of them was recorded (0 when caught up)."""


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
    return await waiter.wait(name, target, timeout)


class ColourCounts(msgspec.Struct, kw_only=True):
    red: int = 0
    amber: int = 0
    green: int = 0
    none: int = 0

    @classmethod
    def of(cls, colours: Iterable[Colour]) -> ColourCounts:
        counts = cls()
        for colour in colours:
            setattr(counts, colour.value, getattr(counts, colour.value) + 1)
        return counts


@contextmanager
def view_snapshot(ledger: Ledger, view: str) -> Iterator[tuple[Any, int, Lag]]:
    """A pooled connection in one REPEATABLE READ, READ ONLY transaction, with `view`'s position
    and lag as of that snapshot (so what is read and the position it is reported at agree)."""
    with ledger.store.datastore.get_connection() as conn, conn.transaction():
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        # projection_status reads tuples: a cursor of the same connection shares the snapshot.
        status = projection_status(cast("Any", conn.cursor(row_factory=tuple_row)), view)
        yield conn, status.position, Lag(events=status.lag_events, seconds=status.lag_seconds)


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


def utc_now() -> datetime:
    return datetime.now(timezone.utc)  # noqa: UP017 (house style)
