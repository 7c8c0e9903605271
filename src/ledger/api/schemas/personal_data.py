"""What `GET /cases/{id}/personal-data` answers: the raw identifiers, and the read's record."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec


class PersonalDataResponse(msgspec.Struct, kw_only=True):
    case_id: UUID
    subject: str
    """The data subject: the HMAC token of their ID number (else phone), as the events hold it."""
    name: str | None
    id_number: str | None
    phone: str | None
    bank_card: str | None
    other_id_number: str | None = None
    """Another ID number of the same person, from an identity reconciliation."""
    recorded_at: datetime
    """When the vault sealed these values (the case's registration)."""
    read_id: int
    """This read's row in the access log (`ledger pi reads`)."""
    read_at: datetime
    purpose: str
