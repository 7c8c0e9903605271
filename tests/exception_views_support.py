"""Exceptions written through `Ledger` in process, for the exceptions view, /approvals and the
breach timer tests: 容缺受理 at huoshan (window_lead, then department_head)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

from ledger.application.service import Ledger
from ledger.domain.exceptions.records import CreditCheck, CreditResult, ExceptionKind
from ledger.domain.values import Decision
from tests.conftest import actor

CLERK = actor("clerk-hs", "clerk", unit="人社")
LEAD = actor("lead-hs", "window_lead", unit="人社")
HEAD = actor("head-hs", "department_head", unit="人社")
ITEM = "银行卡复印件"


def ago(**delta: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(**delta)  # noqa: UP017 (house style)


def register_at(ledger: Ledger, at: datetime, centre: str = "huoshan") -> UUID:
    return ledger.register_case(
        CLERK,
        occurred_at=at,
        **_registration(ledger, centre),
    ).case_id


def _registration(ledger: Ledger, centre: str) -> dict[str, Any]:
    from ledger.domain.values import Channel, Matter, Priority

    return {
        "centre": centre,
        "channel": Channel.WINDOW,
        "matter": Matter(code="SI-ARREARS", name="养老保险费补缴"),
        "department": "人社",
        "window": "2F-07",
        "applicant": ledger.protect_applicant(name="李某"),
        "priority": Priority.NORMAL,
        "statutory_limit": None,
        "promised_limit": None,
        "parent_case_id": None,
    }


def request(ledger: Ledger, case_id: UUID, at: datetime, item: str = ITEM) -> UUID:
    receipt = ledger.append(
        case_id,
        CLERK,
        "ExceptionRequested",
        occurred_at=at,
        kind=ExceptionKind.MISSING_MATERIALS,
        rule_waived="材料齐全方可受理",
        basis="容缺受理事项清单",
        justification="申请人在外地，次要材料后补",
        waived_items=[item],
        compensating_controls=[],
        credit_check=CreditCheck(result=CreditResult.CLEAR, source="信用中国", checked_at=at),
    )
    return receipt.ids["exception_id"]


def decide(
    ledger: Ledger,
    case_id: UUID,
    exception_id: UUID,
    layer: int,
    at: datetime,
    approve: bool = True,
) -> None:
    ledger.append(
        case_id,
        LEAD if layer == 1 else HEAD,
        "ExceptionLayerDecided",
        occurred_at=at,
        exception_id=exception_id,
        layer=layer,
        decision=Decision.APPROVE if approve else Decision.REJECT,
        opinion="同意" if approve else "不同意",
        attendees=[],
    )


def granted_with_commitment(
    ledger: Ledger, requested: datetime, due: datetime, item: str = ITEM
) -> tuple[UUID, UUID, UUID]:
    """A case whose exception is granted and whose 承诺书 falls due at `due` (not accepted, so
    no clock bounds it); (case id, exception id, commitment id)."""
    case_id = register_at(ledger, requested)
    exception_id = request(ledger, case_id, requested)
    decide(ledger, case_id, exception_id, 1, requested + timedelta(minutes=1))
    decide(ledger, case_id, exception_id, 2, requested + timedelta(minutes=2))
    receipt = ledger.append(
        case_id,
        CLERK,
        "CommitmentSigned",
        occurred_at=requested + timedelta(minutes=3),
        exception_id=exception_id,
        items=[item],
        due_at=due,
    )
    return case_id, exception_id, receipt.ids["commitment_id"]
