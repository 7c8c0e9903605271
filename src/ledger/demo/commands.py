"""A plan's steps as the ledger's commands, without HTTP: the conversion the API handlers do.

Each body goes through the same wire schema (`RegisterCaseRequest`, the `AppendEventRequest`
union) and the same field mapping as `ledger.api.cases`, so code that writes plans in process (the
view tests through `Ledger`, the projection benchmark through bare `Case` aggregates) records what
the API would have recorded for the same requests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from ledger.api.schemas.append import AppendEventRequest, command_fields
from ledger.api.schemas.registration import RegisterCaseRequest
from ledger.demo.plan import CaseOf, Minted, Staff, Step
from ledger.domain.values import Actor, ApplicantRef, Matter, Role


def as_actor(staff: Staff) -> Actor:
    return Actor(id=staff.id, roles=tuple(Role(r) for r in staff.roles), unit=staff.unit)


def registration(step: Step, protect: Callable[..., ApplicantRef]) -> dict[str, Any]:
    """A plan's first step as `Ledger.register_case`'s keyword arguments (`centre` and
    `occurred_at` among them); `protect` masks the applicant (`Ledger.protect_applicant`)."""
    data = msgspec.convert({**step.body, "occurred_at": step.at}, RegisterCaseRequest, strict=False)
    fields = msgspec.structs.asdict(data)
    fields["applicant"] = protect(**msgspec.structs.asdict(data.applicant))
    fields["matter"] = Matter(code=data.matter.code, name=data.matter.name)
    return fields


@dataclass(frozen=True)
class Command:
    """A later step as `Ledger.append` (and `Case.append`) take it."""

    actor: Actor
    event_type: str
    occurred_at: datetime
    fields: dict[str, Any]


def command(step: Step, minted: Mapping[str, Any]) -> Command:
    """A later step, its `Minted` placeholders filled from the ids the case got earlier (the
    receipts' `ids`, by name), its `CaseOf` ones from `minted["case:<plan key>"]`."""
    body = {k: _fill(v, minted) for k, v in step.body.items()}
    request = msgspec.convert(
        {**body, "occurred_at": step.at},
        AppendEventRequest,  # a union of tagged Structs
        strict=False,
    )
    assert request.occurred_at is not None  # every step has its time
    return Command(
        as_actor(step.by), type(request).__name__, request.occurred_at, command_fields(request)
    )


def _fill(value: Any, minted: Mapping[str, Any]) -> Any:
    if isinstance(value, CaseOf):
        return minted[f"case:{value.key}"]
    return minted[value.name] if isinstance(value, Minted) else value
