"""The approval proof's checks, a pure function of a case's events: the 低保 story of 清源 (seed
001) passes every check; crafted histories the domain would refuse fail the named check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec

from ledger.domain.case import Case
from ledger.domain.exceptions.proof import describe_exception
from ledger.domain.exceptions.proof_checks import CHECKS, check_exception
from ledger.domain.exceptions.records import (
    Attendee,
    ExceptionKind,
    ExceptionStatus,
    PostAuditSelection,
)
from ledger.domain.personal_data import protect_applicant
from ledger.domain.values import Actor, Channel, Decision, Matter, Priority, Role
from ledger.rules.time_limits import Policies

TIMING = Policies().timing("qingyuan")
T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
CLERK = Actor(id="qy-mz-clerk", roles=(Role.CLERK,), unit="民政")
LEAD = Actor(id="qy-lead", roles=(Role.WINDOW_LEAD,), unit="民政")
HEAD = Actor(id="qy-mz-head", roles=(Role.DEPARTMENT_HEAD,), unit="民政")
DIRECTOR = Actor(id="qy-director", roles=(Role.CENTRE_DIRECTOR,), unit="中心")
AUDITOR = Actor(id="qy-sj-head", roles=(Role.DEPARTMENT_HEAD,), unit="审计")
ATTENDEES = [
    Attendee(id="qy-mz-head", role=Role.DEPARTMENT_HEAD, unit="民政"),
    Attendee(id="qy-sf-head", role=Role.DEPARTMENT_HEAD, unit="司法"),
]


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def dibao_case(*, reject_at: int | None = None) -> tuple[list[Any], UUID]:
    """The 低保 application decided by three layers (the second a joint meeting), accepted on the
    granted exception and post-audited; or refused by layer `reject_at`."""
    case = Case.register(
        actor=CLERK,
        occurred_at=T0,
        case_no="QINGYUAN-2026-000001",
        channel=Channel.WINDOW,
        matter=Matter(code="MZ-DIBAO", name="最低生活保障申请"),
        centre="qingyuan",
        department="民政",
        window="综合窗口",
        applicant=protect_applicant(b"k" * 32, name="陈某", id_number="341525197001010020"),
        priority=Priority.NORMAL,
        statutory_limit=None,
        promised_limit=None,
        parent_case_id=None,
    )
    exception_id = case.append(
        "ExceptionRequested",
        CLERK,
        at(1),
        TIMING,
        kind=ExceptionKind.SPECIAL_HANDLING,
        rule_waived="离婚协议书或法院离婚判决书",
        basis="层层把关",
        justification="the divorce agreement cannot be had",
        waived_items=["离婚协议书"],
        compensating_controls=["入户核查"],
        credit_check=None,
    )["exception_id"]
    layers = [
        (LEAD, {}),
        (HEAD, {"attendees": ATTENDEES, "minutes_ref": "清源会纪〔2026〕3号"}),
        (DIRECTOR, {}),
    ]
    for layer, (approver, extra) in enumerate(layers, start=1):
        rejected = layer == reject_at
        case.append(
            "ExceptionLayerDecided",
            approver,
            at(1 + layer),
            exception_id=exception_id,
            layer=layer,
            decision=Decision.REJECT if rejected else Decision.APPROVE,
            opinion="同意" if not rejected else "不同意",
            attendees=extra.get("attendees", []),
            minutes_ref=extra.get("minutes_ref"),
        )
        if rejected:
            return list(case.collect_events()), exception_id
    case.append("Accepted", CLERK, at(5), TIMING, exception_id=exception_id)
    case.append(
        "ExceptionPostAudited",
        AUDITOR,
        at(6),
        exception_id=exception_id,
        finding="compliant",
        note="核查属实",
    )
    return list(case.collect_events()), exception_id


def verdicts(events: list[Any], exception_id: UUID) -> dict[str, bool]:
    return {c.name: c.passed for c in check_exception(events, exception_id, at(10))}


def test_the_dibao_exception_passes_every_check() -> None:
    events, exception_id = dibao_case()

    checks = check_exception(events, exception_id, at(10))

    assert [c.name for c in checks] == list(CHECKS)
    assert all(c.passed for c in checks), [c for c in checks if not c.passed]
    described = describe_exception(events, exception_id)
    assert described.status is ExceptionStatus.GRANTED
    assert [d.layer for d in described.decisions] == [1, 2, 3]
    assert described.post_audit is PostAuditSelection.MANDATORY
    assert [u.type for u in described.uses] == ["Accepted"]
    assert described.case_no == "QINGYUAN-2026-000001"


def test_a_refused_exception_shows_its_status_and_passes_its_checks() -> None:
    events, exception_id = dibao_case(reject_at=2)

    described = describe_exception(events, exception_id)

    assert described.status is ExceptionStatus.REFUSED and described.refused_at_layer == 2
    assert all(verdicts(events, exception_id).values())


def test_a_use_before_the_grant_fails_decided_before_use() -> None:
    events, exception_id = dibao_case()
    accepted = next(e for e in events if type(e).__name__ == "Accepted")
    crafted = [e for e in events if e is not accepted]
    crafted.insert(2, accepted)  # right after the request, before any layer decided

    assert verdicts(crafted, exception_id)["decided_before_use"] is False


def test_a_self_approval_by_a_second_layer_fails_three_checks() -> None:
    events, exception_id = dibao_case()
    first = next(e for e in events if type(e).__name__ == "ExceptionLayerDecided")
    third = [e for e in events if type(e).__name__ == "ExceptionLayerDecided"][2]
    forged = dict(vars(third))
    forged["actor"] = msgspec.structs.replace(first.actor, id=CLERK.id)
    crafted = [_copy(e, forged) if e is third else e for e in events]

    result = verdicts(crafted, exception_id)

    assert result["no_self_approval"] is False
    assert result["roles"] is False  # the clerk held no centre_director role
    assert result["distinct_approvers"] is True


def test_a_tampered_post_audit_draw_fails_post_audit() -> None:
    events, exception_id = dibao_case()
    granted = next(e for e in events if type(e).__name__ == "ExceptionGranted")
    forged = {**vars(granted), "post_audit": PostAuditSelection.NOT_SAMPLED}
    crafted = [_copy(e, forged) if e is granted else e for e in events]

    assert verdicts(crafted, exception_id)["post_audit"] is False


def _copy(event: Any, state: dict[str, Any]) -> Any:
    copied = object.__new__(type(event))
    object.__setattr__(copied, "__dict__", state)
    return copied
