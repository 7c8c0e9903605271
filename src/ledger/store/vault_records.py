"""What the personal-data vault (`ledger.store.vault`) hands back and refuses with: readers and
disclosures, subject, read and erasure records, and its errors."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from ledger.domain.errors import LedgerError

__all__ = [
    "Disclosure",
    "Erasure",
    "NoPersonalData",
    "PersonalDataErased",
    "ReadRecord",
    "Reader",
    "SubjectRecord",
    "VaultError",
]


class Reader(msgspec.Struct, frozen=True, kw_only=True):
    """Who asks for raw values, and why: from the token and the request, never from a body."""

    actor_id: str
    roles: tuple[str, ...]
    unit: str | None
    purpose: str
    request_id: str | None = None


class Disclosure(msgspec.Struct, frozen=True, kw_only=True):
    case_id: UUID
    subject: str
    values: dict[str, str]
    recorded_at: datetime
    read_id: int
    read_at: datetime


class SubjectRecord(msgspec.Struct, frozen=True, kw_only=True):
    subject: str
    master_key_id: str
    created_at: datetime
    erased_at: datetime | None
    erased_by: str | None
    erasure_reason: str | None


class ReadRecord(msgspec.Struct, frozen=True, kw_only=True):
    read_id: int
    read_at: datetime
    actor_id: str
    roles: list[str]
    unit: str | None
    case_id: UUID
    subject: str | None
    kinds: list[str]
    purpose: str
    request_id: str | None
    outcome: str


class Erasure(msgspec.Struct, frozen=True, kw_only=True):
    subject: str
    erased_at: datetime
    erased_by: str
    reason: str
    values_destroyed: int


class PersonalDataErased(LedgerError):
    """The case's data subject was erased: their raw values are gone for good (410)."""

    def __init__(self, case_id: UUID, erased_at: datetime) -> None:
        super().__init__(f"the raw personal data of case {case_id} was erased")
        self.case_id = case_id
        self.erased_at = erased_at


class NoPersonalData(LedgerError):
    """The vault holds no raw values for the case (registered without them, or before the
    vault existed) (404)."""

    def __init__(self, case_id: UUID) -> None:
        super().__init__(f"the vault holds no raw personal data for case {case_id}")
        self.case_id = case_id


class VaultError(Exception):
    """An erasure the database refused: no such subject, or erased already."""
