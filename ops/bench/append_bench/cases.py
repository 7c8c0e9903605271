"""(b) to (d): the ledger's cases of 6 events, seeded without the API but exactly as it records
them."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from support.cases import CENTRE, CLERK, DEPARTMENT, MATTER

from append_bench.baseline import SEED_BATCH
from ledger.domain.case import Case
from ledger.domain.case_number import CaseNumber, CaseNumberSeries, series_year
from ledger.domain.values import Channel, Priority

if TYPE_CHECKING:
    from uuid import UUID

    from eventsourcing.domain import Aggregate

    from ledger.application.service import Ledger


def seed_cases(ledger: Ledger, count: int) -> list[UUID]:
    """Registered + 5 VisitRecorded per case, exactly the events `register_case` and `append`
    record (case number from the centre's series, CaseNumber index), saved 100 cases at a time."""
    at = datetime.now(timezone.utc)  # noqa: UP017 (house style, as ledger.application)
    series = CaseNumberSeries(centre=CENTRE, year=series_year(at))
    applicant = ledger.protect_applicant(
        name="李某", id_number="341525197001010020", phone="13800000000"
    )
    ids: list[UUID] = []
    for start in range(0, count, SEED_BATCH):
        batch: list[Aggregate] = []
        for _ in range(min(SEED_BATCH, count - start)):
            case_no = series.issue()
            case = Case.register(
                actor=CLERK,
                occurred_at=at,
                case_no=case_no,
                channel=Channel.WINDOW,
                matter=MATTER,
                centre=CENTRE,
                department=DEPARTMENT,
                window="2F-07",
                applicant=applicant,
                priority=Priority.NORMAL,
                statutory_limit=None,
                promised_limit=None,
                parent_case_id=None,
            )
            for k in range(5):
                case.append("VisitRecorded", CLERK, at, ticket=f"A-{k:04d}")
            batch += [case, CaseNumber(case_no=case_no, case_id=case.id)]
            ids.append(case.id)
        ledger.save(series, *batch)
    return ids
