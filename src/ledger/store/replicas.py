"""Read replicas (PostgreSQL streaming replication): how far each has replayed, and which one a
read may use.

A replica is a hot standby of the primary: the same tables, behind by whatever WAL it has not
replayed yet. What a read must see is a log position (a write's `Ledger-Position`): a case read
needs the replica's events to reach it, a view read needs the view's tracking position there (what
`view_status` reports) to reach it. LISTEN does not work on a standby, so instead of waiting for a
NOTIFY, each replica's positions are read with one cheap query and kept for `FRESH` seconds.

`ReplicaSet.choose` picks, round robin, a replica that has replayed past the position asked for
(any healthy one when none is asked for); None means "the primary". A replica whose query or
connection fails is skipped for `RESTING` seconds, so a dead standby costs one failed attempt,
not every read. Writes, idempotency receipts, token revocations and the vault never come here.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import psycopg
import structlog
from psycopg.conninfo import conninfo_to_dict

log = structlog.get_logger("ledger.store")

Target = TypeVar("Target")

EVENTS = ""
"""`choose`'s `view` for case reads: the replica's own events must reach the position."""
FRESH = 0.005
"""Seconds a replica's replayed positions are trusted before they are read again."""
RESTING = 5.0
"""Seconds a replica that failed is left out of the choice."""

_POSITIONS = (
    "SELECT '' AS name, coalesce(max(notification_id), 0) AS position FROM ledger_events "
    "UNION ALL SELECT p.name, coalesce(t.position, 0) FROM ledger_projections p "
    "LEFT JOIN ledger_projection_tracking t ON t.name = p.name AND t.generation = p.generation"
)


class ReplicaLost(Exception):
    """The replica a read was routed to failed in the middle of it: the read is run again on the
    primary (`ledger.api.reads.read_in_thread`). Were one to escape, it answers 503 with
    Retry-After, and the retry goes to the primary: the replica rests meanwhile."""


@dataclass(eq=False)
class Replica(Generic[Target]):
    """One standby: what reads use on it (`target`, made by `open` when first needed, so a
    standby that is down when the ledger starts only costs reads on the primary), and how to get
    one of its connections."""

    name: str
    open: Callable[[], Target]
    connect: Callable[[Target], AbstractContextManager[Any]]
    """A pooled connection to the standby (the target's own pool)."""
    target: Target | None = None
    positions: dict[str, int] = field(default_factory=dict)
    """The log position replayed there: `EVENTS` for the events, else by view name."""
    read_at: float = float("-inf")
    resting_until: float = float("-inf")
    lock: threading.Lock = field(default_factory=threading.Lock)

    def position(self, view: str = EVENTS) -> int:
        return self.positions.get(view, 0)

    @classmethod
    def at(
        cls,
        url: str,
        conninfo: str,
        open_target: Callable[[], Target],
        connect: Callable[[Target], AbstractContextManager[Any]],
    ) -> Replica[Target]:
        """The standby at `url`, read through `conninfo`; its target is opened after a quick
        probe, so a standby that is down costs one short connect, not a pool's 30 s wait."""
        params = conninfo_to_dict(url)
        name = f"{params.get('host', '')}:{params.get('port', '5432')}/{params.get('dbname', '')}"

        def probed() -> Target:
            with psycopg.connect(conninfo) as probe:
                probe.execute("SELECT 1 FROM ledger_events LIMIT 1")
            return open_target()

        return cls(name=name, open=probed, connect=connect)


@dataclass(frozen=True)
class Choice(Generic[Target]):
    replica: Replica[Target]
    target: Target
    position: int
    """How far the chosen replica has replayed what the read needs."""


class ReplicaSet(Generic[Target]):
    """The replicas reads may use (none: every read is the primary's)."""

    def __init__(
        self,
        replicas: Sequence[Replica[Target]] = (),
        *,
        fresh: float = FRESH,
        resting: float = RESTING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.replicas = list(replicas)
        self.fresh = fresh
        self.resting = resting
        self._clock = clock
        self._turn = itertools.count()

    def __bool__(self) -> bool:
        return bool(self.replicas)

    def __iter__(self) -> Iterator[Replica[Target]]:
        return iter(self.replicas)

    def choose(
        self,
        min_position: int | None,
        view: str = EVENTS,
        *,
        only: Replica[Target] | None = None,
    ) -> Choice[Target] | None:
        """A replica that has replayed `view` (or its events) past `min_position` (any healthy one
        when None), round robin; `only` asks about that one replica. None: use the primary."""
        candidates = [only] if only is not None else self.replicas
        if not candidates:
            return None
        start = next(self._turn)
        for i in range(len(candidates)):
            replica = candidates[(start + i) % len(candidates)]
            position = self._replayed(replica, view)
            target = replica.target
            if target is None or position is None:
                continue
            if min_position is None or position >= min_position:
                return Choice(replica, target, position)
        return None

    def failed(self, replica: Replica[Target], error: BaseException) -> None:
        """Leave `replica` out for `resting` seconds (its read goes to the primary instead)."""
        replica.resting_until = self._clock() + self.resting
        log.warning("replica.failed", replica=replica.name, error=str(error) or repr(error))

    def _replayed(self, replica: Replica[Target], view: str) -> int | None:
        """`replica`'s replayed position of `view`, re-read when older than `fresh`; None while it
        rests (or when its read just failed).

        While another thread re-reads them, the positions read before are used: replay only moves
        forward, so an older position is a lower bound, never a promise the replica cannot keep."""
        now = self._clock()
        if now < replica.resting_until:
            return None
        if now - replica.read_at <= self.fresh or not replica.lock.acquire(blocking=False):
            return replica.position(view) if replica.positions else None
        try:
            if replica.target is None:
                replica.target = replica.open()
            with replica.connect(replica.target) as conn:
                rows = conn.execute(_POSITIONS).fetchall()
        except Exception as e:  # down, restarting, unreachable: the primary serves
            self.failed(replica, e)
            return None
        else:
            replica.positions = {_name(r): _position(r) for r in rows}
            replica.read_at = self._clock()
            return replica.position(view)
        finally:
            replica.lock.release()


def _name(row: Any) -> str:
    return str(row["name"] if isinstance(row, dict) else row[0])


def _position(row: Any) -> int:
    return int(row["position"] if isinstance(row, dict) else row[1])
