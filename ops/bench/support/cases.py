"""Who and where the benches write as, and a case built through the real `Ledger` API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ledger.domain.values import Actor, Channel, Matter, Priority, Role

if TYPE_CHECKING:
    from uuid import UUID

    from ledger.application.service import Ledger

CENTRE = "huoshan"
DEPARTMENT = "人社"
CLERK = Actor(id="clerk-bench", roles=(Role.CLERK,), unit=DEPARTMENT)
AUDITOR = Actor(id="auditor-bench", roles=(Role.AUDITOR,), unit=None)
MATTER = Matter(code="SI-ARREARS", name="养老保险费补缴")


def case_with_events(ledger: Ledger, events: int) -> UUID:
    """Through the public API: register_case, then append until the case has `events` events."""
    registered = ledger.register_case(
        CLERK,
        centre=CENTRE,
        channel=Channel.WINDOW,
        matter=MATTER,
        department=DEPARTMENT,
        window="2F-07",
        applicant=ledger.protect_applicant(name="李某", id_number="341525197001010020"),
        priority=Priority.NORMAL,
        statutory_limit=None,
        promised_limit=None,
        parent_case_id=None,
    )
    for k in range(events - 1):
        ledger.append(registered.case_id, CLERK, "VisitRecorded", ticket=f"G-{k:04d}")
    return registered.case_id
