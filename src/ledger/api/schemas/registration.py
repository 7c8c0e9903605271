"""The body of `POST /cases`: a registration, with the applicant's raw identifiers."""

from __future__ import annotations

from uuid import UUID

from ledger.api.schemas.fields import Centre, Name, RawIdentifier, Strict, Text, When
from ledger.domain.values import Channel, Priority, TimeLimit


class MatterIn(Strict):
    code: Name
    name: Text


class ApplicantIn(Strict):
    """Raw identifiers, accepted only to be masked and tokenised before anything is stored."""

    name: Name
    id_number: RawIdentifier | None = None
    phone: RawIdentifier | None = None
    bank_card: RawIdentifier | None = None


class RegisterCaseRequest(Strict):
    channel: Channel
    matter: MatterIn
    centre: Centre  # one the policies configure, else 422 centre.unknown
    department: Name
    applicant: ApplicantIn
    window: Name | None = None
    priority: Priority = Priority.NORMAL
    statutory_limit: TimeLimit | None = None
    promised_limit: TimeLimit | None = None
    parent_case_id: UUID | None = None
    occurred_at: When | None = None  # bounded by the domain (occurred_at.too_early / .in_future)
