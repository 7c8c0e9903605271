"""The base every case event shares, and what the command mixins may assume of the aggregate.

The 12345, 办不成事 and 好差评 groups live in their own modules as mixins of `Case`; eventsourcing
redefines each mixin's event classes on `Case` itself, so their stored topics are `Case.<Name>`
like every other case event's.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from ledger.domain.values import Actor, CaseState


class CaseEvent(Aggregate.Event):
    actor: Actor
    occurred_at: datetime

    def apply(self, aggregate: Any) -> None:
        self.fold(aggregate.state)

    def fold(self, state: CaseState) -> None:
        """How this event changes the case; runs on every replay, so no I/O and no clock."""


class CaseCommands:
    """A group of `Case` commands and their events, mixed into the aggregate."""

    if TYPE_CHECKING:  # provided by `Case` (and eventsourcing's `Aggregate`)
        state: CaseState

        def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None: ...
