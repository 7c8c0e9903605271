"""The body of `POST /cases`: a registration, with the applicant's raw identifiers."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from msgspec import Meta

from ledger.api.schemas.fields import Name, Strict, Text, When
from ledger.domain.values import Channel, Priority, TimeLimit


class MatterIn(Strict):
    code: Name
    name: Text


class ApplicantIn(Strict):
    """Raw identifiers, accepted only to be masked and tokenised before anything is stored."""

    name: Name
    id_number: Annotated[str, Meta(max_length=32)] | None = None
    phone: Annotated[str, Meta(max_length=32)] | None = None
    bank_card: Annotated[str, Meta(max_length=32)] | None = None


class RegisterCaseRequest(Strict):
    channel: Channel
    matter: MatterIn
    centre: Annotated[str, Meta(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_-]*$")]
    department: Name
    applicant: ApplicantIn
    window: Name | None = None
    priority: Priority = Priority.NORMAL
    statutory_limit: TimeLimit | None = None
    promised_limit: TimeLimit | None = None
    parent_case_id: UUID | None = None
    occurred_at: When | None = None
