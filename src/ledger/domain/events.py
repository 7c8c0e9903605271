"""The base every case event shares, and the base of every group of commands `Case` mixes in.

Each group (lifecycle, hand-offs, pauses and extensions, exceptions, 12345, 办不成事, 好差评) lives
in its own module as a subclass of `CaseCommands` with its events nested in it. When `Case` is
defined, `CaseCommands.__init_subclass__` puts every group's event classes into `Case`'s own
namespace, base classes first, before eventsourcing processes it; eventsourcing then redefines
each one as `Case.<Name>` (its stored topic stays `ledger.domain.case:Case.<Name>`) and keeps the
families whole: `Case.HandOffSignedFor` is a `Case.HandOffSettled`, every exception event a
`Case.ExceptionEvent`, as when they were all written inside `Case`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate

from ledger.domain.errors import RuleViolation
from ledger.domain.permissions import CENTRE_WIDE_ROLES
from ledger.domain.state import CaseState
from ledger.domain.values import Actor


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
        version: int

        def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None: ...

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if issubclass(cls, Aggregate):
            for name, value in _group_events(cls):
                if name not in vars(cls):
                    setattr(cls, name, value)
        super().__init_subclass__(**kwargs)

    def _require_holder(self, actor: Actor) -> None:
        """Staff act only on cases their unit holds, unless they hold a centre-wide role."""
        if not CENTRE_WIDE_ROLES.intersection(actor.roles) and actor.unit != self.state.department:
            raise RuleViolation(
                "case.not_held_by_unit",
                f"the case is held by {self.state.department}, not {actor.unit}",
            )


def _group_events(aggregate: type) -> list[tuple[str, type[CaseEvent]]]:
    """The event classes nested in the command groups `aggregate` mixes in, each base before its
    subclasses (a subclass's MRO is longer), so eventsourcing can redefine the bases first."""
    found: dict[str, type[CaseEvent]] = {}
    for group in aggregate.__mro__[1:]:
        if issubclass(group, CaseCommands) and not issubclass(group, Aggregate):
            for name, value in vars(group).items():
                if isinstance(value, type) and issubclass(value, CaseEvent):
                    found.setdefault(name, value)
    return sorted(found.items(), key=lambda item: len(item[1].__mro__))
