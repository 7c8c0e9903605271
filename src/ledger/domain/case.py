"""A case (办件), the aggregate root: its registration, the one wire dispatch every command goes
through, the guards every command passes, and its snapshot.

The commands and their events live in groups `Case` mixes in, one module per part of the work:
`lifecycle` (notice, acceptance, completion …), `pauses_and_extensions`, `handoffs`, `exceptions`
(requests and approvals, ratifications, 承诺书), `data_subject` (identity reconciliation, consent),
and the public's pushback (`hotline`, `unresolved`, `ratings`).
Their events are redefined on `Case` (see `ledger.domain.events`), so every stored topic is
`ledger.domain.case:Case.<Name>`; this module must keep defining `Case`.

Public methods decide (guards, ids, clock) and trigger one event; each event's `fold` is the only
code that changes state, and it runs again on every replay, so replaying the stored events
rebuilds exactly the state the decisions saw. (Events carry `fold` rather than `@event` methods so
that one generic wire dispatch can serve every event type without repeating parameter lists.)
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID  # runtime import: events are decoded against these types

import msgspec
from eventsourcing.domain import Aggregate, event

from ledger.domain import lifecycle, pauses_and_extensions
from ledger.domain.data_subject import commands as data_subject
from ledger.domain.data_subject.commands import DataSubjectCommands
from ledger.domain.errors import RuleViolation
from ledger.domain.events import CaseEvent
from ledger.domain.exceptions import approvals, commitments, ratification
from ledger.domain.exceptions.approvals import ExceptionCommands
from ledger.domain.exceptions.commitments import CommitmentCommands
from ledger.domain.exceptions.ratification import RatificationCommands
from ledger.domain.handoffs import commands as handoffs
from ledger.domain.handoffs.commands import HandOffCommands
from ledger.domain.hotline import commands as hotline
from ledger.domain.hotline.commands import HotlineCommands
from ledger.domain.lifecycle import LifecycleCommands
from ledger.domain.pauses_and_extensions import PauseAndExtensionCommands
from ledger.domain.personal_data import refuse_identifiers_in_text
from ledger.domain.policy import Timing
from ledger.domain.ratings import commands as ratings
from ledger.domain.ratings.commands import RatingCommands
from ledger.domain.snapshots import TypedSnapshot
from ledger.domain.state import CaseState
from ledger.domain.unresolved import commands as unresolved
from ledger.domain.unresolved.commands import UnresolvedCommands
from ledger.domain.values import (
    Actor,
    ApplicantRef,
    Channel,
    Matter,
    Priority,
    TimeLimit,
)

MAX_CLOCK_SKEW = timedelta(minutes=5)
"""How far ahead of the server clock a client's `occurred_at` may be."""
EARLIEST_OCCURRED_AT = datetime(1990, 1, 1, tzinfo=timezone(timedelta(hours=8)))
"""No service-centre record is older (the first 政务服务中心 opened in the 1990s); anything earlier
is a client bug, and dates near year 1 would overflow time-zone arithmetic."""


class CaseSnapshot(msgspec.Struct, kw_only=True):
    """Typed snapshot state, so snapshots decode to the same values that events fold to."""

    _created_on: datetime
    _modified_on: datetime
    state: CaseState


class Case(
    LifecycleCommands,
    PauseAndExtensionCommands,
    HandOffCommands,
    RatificationCommands,
    ExceptionCommands,
    CommitmentCommands,
    DataSubjectCommands,
    HotlineCommands,
    UnresolvedCommands,
    RatingCommands,
    Aggregate,
):
    # Events that may still be recorded once a case is completed or refused: its reopening and
    # corrections, the public's pushback on it (12345 orders, 办不成事 reports, ratings), which
    # typically arrives after the service ended or was refused, and an exception's ratification
    # after the fact and post-audit (each command refuses what the closed case does not admit).
    ADMISSIBLE_WHEN_CLOSED = frozenset(
        {"Reopened", "CorrectionRecorded", *hotline.COMMANDS, *unresolved.COMMANDS}
        | set(ratings.COMMANDS)
        | approvals.ADMISSIBLE_WHEN_CLOSED
        | ratification.ADMISSIBLE_WHEN_CLOSED
    )

    class Snapshot(TypedSnapshot):
        state: CaseSnapshot  # type: ignore[assignment]

    class Registered(Aggregate.Created):
        case_no: str
        channel: Channel
        matter: Matter
        centre: str
        department: str
        window: str | None
        applicant: ApplicantRef
        priority: Priority
        statutory_limit: TimeLimit | None
        promised_limit: TimeLimit | None
        parent_case_id: UUID | None
        actor: Actor
        occurred_at: datetime

    @event(Registered)
    def __init__(
        self,
        case_no: str,
        channel: Channel,
        matter: Matter,
        centre: str,
        department: str,
        window: str | None,
        applicant: ApplicantRef,
        priority: Priority,
        statutory_limit: TimeLimit | None,
        promised_limit: TimeLimit | None,
        parent_case_id: UUID | None,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.state = _registered_state(locals())

    @staticmethod
    def fold_any(state: CaseState | None, event: Any) -> CaseState:
        """The state after `event`, for read models that keep `CaseState` without the aggregate.

        These are the aggregate's own folds, so a view built with them cannot disagree with it.
        """
        if isinstance(event, Case.Registered):
            return _registered_state(vars(event))
        if state is None:
            raise ValueError(f"{type(event).__name__} before Registered")
        event.fold(state)
        return state

    @classmethod
    def register(cls, *, actor: Actor, occurred_at: datetime, **fields: Any) -> Case:
        check_occurred_at(occurred_at)
        refuse_identifiers_in_text(fields)
        return cls(actor=actor, occurred_at=occurred_at, **fields)

    def append(
        self,
        event_type: str,
        actor: Actor,
        occurred_at: datetime,
        timing: Timing | None = None,
        **fields: Any,
    ) -> dict[str, UUID]:
        """Dispatch one wire command by event type name; returns the ids it minted, by name.

        `timing` (the centre's policy and calendar) reaches the commands that start or move a
        clock; without it they record no clock. Free text holding a personal identifier is
        refused before anything is decided (`refuse_identifiers_in_text`).
        """
        refuse_identifiers_in_text(fields)
        self._guard(event_type, occurred_at)
        method_name, minted_name = _COMMANDS[event_type]
        if event_type in _TIMED:
            fields["timing"] = timing
        minted = getattr(self, method_name)(actor=actor, occurred_at=occurred_at, **fields)
        return {minted_name: minted} if minted_name and minted is not None else {}

    def _guard(self, event_type: str, occurred_at: datetime) -> None:
        if self.state.status.is_closed and event_type not in self.ADMISSIBLE_WHEN_CLOSED:
            raise RuleViolation(
                "case.closed",
                f"the case is {self.state.status}: only "
                + ", ".join(sorted(self.ADMISSIBLE_WHEN_CLOSED))
                + " may follow",
            )
        check_occurred_at(occurred_at)
        if occurred_at < self.state.registered_at:
            raise RuleViolation(
                "occurred_at.before_registration", "an event cannot precede the case's registration"
            )


_COMMANDS: dict[str, tuple[str, str | None]] = {
    **lifecycle.COMMANDS,
    **pauses_and_extensions.COMMANDS,
    **handoffs.COMMANDS,
    **approvals.COMMANDS,
    **ratification.COMMANDS,
    **commitments.COMMANDS,
    **data_subject.COMMANDS,
    **hotline.COMMANDS,
    **unresolved.COMMANDS,
    **ratings.COMMANDS,
}
"""Wire event type -> (command method, name of the id it mints); wire `type` = class name."""

_TIMED = (
    lifecycle.TIMED
    | pauses_and_extensions.TIMED
    | approvals.TIMED
    | ratification.TIMED
    | commitments.TIMED
    | hotline.TIMED
    | unresolved.TIMED
    | ratings.TIMED
)
"""Commands that start or move a clock or apply an approval policy: they take the centre's
`Timing` (policy and calendar)."""


def event_classes() -> list[type[CaseEvent]]:
    """Every event class of `Case`, as stored (`Case.<Name>`), the mixins' groups included."""
    return [v for v in vars(Case).values() if isinstance(v, type) and issubclass(v, CaseEvent)]


_REGISTERED_FIELDS = (
    "case_no",
    "channel",
    "matter",
    "centre",
    "department",
    "window",
    "applicant",
    "priority",
    "statutory_limit",
    "promised_limit",
    "parent_case_id",
)


def _registered_state(fields: dict[str, Any]) -> CaseState:
    """A new case's state, from the constructor's arguments or the stored `Registered` event."""
    return CaseState(
        registered_at=fields["occurred_at"], **{name: fields[name] for name in _REGISTERED_FIELDS}
    )


def check_occurred_at(occurred_at: datetime) -> None:
    """Business time within bounds: not ahead of the server clock, not before the records era."""
    if occurred_at > datetime.now(timezone.utc) + MAX_CLOCK_SKEW:  # noqa: UP017
        raise RuleViolation(
            "occurred_at.in_future", "occurred_at is later than the server clock allows"
        )
    if occurred_at < EARLIEST_OCCURRED_AT:
        raise RuleViolation(
            "occurred_at.too_early",
            f"occurred_at is before {EARLIEST_OCCURRED_AT.date().isoformat()}",
        )
