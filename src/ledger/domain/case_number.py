"""Human-readable case numbers (HUOSHAN-2026-000123): gapless per centre and year, and unique.

A `CaseNumberSeries` per centre and year issues the next number; a `CaseNumber` index aggregate,
whose id is uuid5 of the number, is saved in the same transaction as the case. Two registrations
that race for one number collide on the series' version or on the index id, and one retries:
no number is skipped and none is issued twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from uuid import UUID, uuid5

import msgspec
from eventsourcing.domain import Aggregate, event

from ledger.domain.snapshots import TypedSnapshot

NAMESPACE = UUID("5d1c8a52-3f0e-4b8e-9a59-2f3c3b6f8e11")
CHINA_STANDARD_TIME = timezone(timedelta(hours=8))


def series_year(occurred_at: datetime) -> int:
    """Case numbers follow the centre's (Beijing-time) calendar year."""
    return occurred_at.astimezone(CHINA_STANDARD_TIME).year


class SeriesSnapshot(msgspec.Struct, kw_only=True):
    _created_on: datetime
    _modified_on: datetime
    centre: str
    year: int
    last_number: int


class CaseNumberSeries(Aggregate):
    class Snapshot(TypedSnapshot):
        state: SeriesSnapshot  # type: ignore[assignment]

    class Started(Aggregate.Created):
        centre: str
        year: int

    class NumberIssued(Aggregate.Event):
        number: int

    @staticmethod
    def create_id(centre: str, year: int) -> UUID:
        return uuid5(NAMESPACE, f"series/{centre}/{year}")

    @event(Started)
    def __init__(self, centre: str, year: int) -> None:
        self.centre = centre
        self.year = year
        self.last_number = 0

    def issue(self) -> str:
        self._issue(number=self.last_number + 1)
        return f"{self.centre.upper()}-{self.year}-{self.last_number:06d}"

    @event(NumberIssued)
    def _issue(self, number: int) -> None:
        self.last_number = number


class CaseNumber(Aggregate):
    class Assigned(Aggregate.Created):
        case_no: str
        case_id: UUID

    @staticmethod
    def create_id(case_no: str, case_id: UUID) -> UUID:
        return uuid5(NAMESPACE, f"case-no/{case_no}")

    @event(Assigned)
    def __init__(self, case_no: str, case_id: UUID) -> None:
        self.case_no = case_no
        self.case_id = case_id
