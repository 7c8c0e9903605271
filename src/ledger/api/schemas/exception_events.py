"""Exception requests beyond those of `case_events`: one asked after the fact, as
`POST /cases/{id}/events` takes it (`ExceptionRatificationRequested`)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from ledger.api.schemas.case_events import CreditCheckIn, EventRequest
from ledger.api.schemas.fields import Item, Name, Text, When, check_range
from ledger.domain.exceptions.records import ExceptionKind


class ExceptionRatificationRequested(EventRequest, tag=True, kw_only=True):
    """An exception already executed without prior approval (破例), for its kind's layers to
    ratify or not; admitted on a closed case too."""

    kind: ExceptionKind
    rule_waived: Text
    basis: Text
    justification: Text
    executed_by: Name  # the staff id of whoever set the rule aside
    executed_at: When
    execution: Text  # what was done
    waived_items: Annotated[list[Item], Meta(max_length=100)] = msgspec.field(default_factory=list)
    compensating_controls: Annotated[list[Text], Meta(max_length=20)] = msgspec.field(
        default_factory=list
    )
    credit_check: CreditCheckIn | None = None

    def __post_init__(self) -> None:
        check_range(executed_at=self.executed_at)
