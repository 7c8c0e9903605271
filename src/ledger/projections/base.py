"""What a projection is, to the runtime that feeds it (`ledger.projections.projector`, `.rebuild`).

A projection turns a batch of stored events into rows of its view tables. The runtime owns the
transaction: it reads the next batch after the projection's tracking position, calls `apply`, moves
the tracking position to the batch's last position and commits, all at once. So a view row and the
position that produced it are never out of step: a crash before the commit redoes the whole batch,
a crash after it redoes nothing.

Every view table has a leading `generation` column. The live view is the generation the registry
row in `ledger_projections` names; `ledger projections rebuild NAME` builds the next generation
from position zero beside it and swaps the registry pointer when it has caught up, so reads keep
working throughout and never see a half-built view.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import psycopg
from eventsourcing.domain import DomainEventProtocol


@dataclass(frozen=True, slots=True)
class ProjectedEvent:
    """One stored event as a projection sees it: its log position and the decoded domain event."""

    position: int
    event: DomainEventProtocol[Any]


class Projection(Protocol):
    name: ClassVar[str]
    """Registry key, e.g. "cases"; also what `ledger projections rebuild NAME` takes."""

    shape: ClassVar[str]
    """What rows a history produces in this view; change it with the view (a new column, a new
    meaning) and every start rebuilds a view built in another shape (`ledger.projections.shapes`).
    A projection without one (an extra projection) is never rebuilt by itself."""

    topics: ClassVar[frozenset[str] | None]
    """Event topics this projection reads (the runtime filters in SQL); None reads every event."""

    def apply(
        self, cur: psycopg.Cursor[Any], generation: int, events: Sequence[ProjectedEvent]
    ) -> None:
        """Write the view rows for these events (in position order) into `generation`.

        Runs inside the runtime's transaction; must not commit. Must be deterministic given the
        events and the rows already in `generation`, so that a rebuild equals the live view.
        """

    def clear(self, cur: psycopg.Cursor[Any], generation: int) -> None:
        """Delete every row of `generation` (a discarded or superseded build)."""
