"""The steps the seed stories are told in: one builder per kind of write they repeat.

A story module then reads as its report does (who registered what, who handed it to whom, who
set a rule aside and who approved it) rather than as request bodies. Each builder writes the
body's fields in one fixed order, the order the stories have always sent, so the plans stay
byte-for-byte the same and a rerun of `ledger demo` meets its own Idempotency-Keys.
"""

from __future__ import annotations

from ledger.demo.plan import (
    MINTED_EXCEPTION,
    MINTED_HANDOFF,
    MINTED_REPORT,
    CasePlan,
    Staff,
    Step,
    at,
    event,
    id_number,
    register,
)


def case(key: str, story: str, note: str, *steps: Step) -> CasePlan:
    return CasePlan(key=key, story=story, steps=steps, note=note)


def matter(code: str, name: str) -> dict[str, str]:
    return {"code": code, "name": name}


def person(name: str, region: str, birth: str, sequence: str) -> dict[str, str]:
    """An applicant with a valid made-up 身份证号 (see `id_number`)."""
    return {"name": name, "id_number": id_number(region, birth, sequence)}


def limit(working_days: int) -> dict[str, object]:
    return {"value": working_days, "unit": "working_days"}


def registered(
    by: Staff,
    moment: str,
    centre: str,
    matter: dict[str, str],
    applicant: dict[str, str],
    *,
    channel: str = "window",
    department: str | None = None,
    window: str | None = None,
    **more: object,
) -> Step:
    """The case's first step; its department is the registering clerk's unit unless named."""
    body: dict[str, object] = {
        "channel": channel,
        "matter": matter,
        "centre": centre,
        "department": department or by.unit,
    }
    if window is not None:
        body["window"] = window
    return register(by, moment, **body, applicant=applicant, **more)


def visit(by: Staff, moment: str, ticket: str | None = None, note: str | None = None) -> Step:
    fields = ({"ticket": ticket} if ticket else {}) | ({"note": note} if note else {})
    return event(by, moment, "VisitRecorded", **fields)


def handed_off(
    by: Staff,
    moment: str,
    to_department: str,
    reason: str,
    *,
    signed: tuple[Staff, str],
    to_window: str | None = None,
) -> list[Step]:
    """A hand-off and the receiving window's signature (`signed`: who, when)."""
    window = {"to_window": to_window} if to_window else {}
    receiver, signed_at = signed
    return [
        event(by, moment, "HandedOff", to_department=to_department, **window, reason=reason),
        event(receiver, signed_at, "HandOffSignedFor", handoff_id=MINTED_HANDOFF),
    ]


def notice(by: Staff, moment: str, items: list[str], channel: str = "written") -> Step:
    """一次性告知; a written notice is signed for."""
    receipt = {"signed_receipt": True} if channel == "written" else {}
    return event(by, moment, "OneTimeNoticeIssued", items=items, channel=channel, **receipt)


def completed(
    by: Staff, moment: str, summary: str | None = None, *, outcome: str = "granted", **more: object
) -> Step:
    fields = {"summary": summary} if summary else {}
    return event(by, moment, "Completed", outcome=outcome, **fields, **more)


def special_handling(
    by: Staff,
    moment: str,
    *,
    rule_waived: str,
    basis: str,
    justification: str,
    compensating_controls: list[str],
    waived_items: list[str] | None = None,
) -> Step:
    """A 特事特办 exception asked for: the rule set aside, why, and what stands in its place."""
    return event(
        by,
        moment,
        "ExceptionRequested",
        kind="special_handling",
        rule_waived=rule_waived,
        basis=basis,
        justification=justification,
        waived_items=waived_items or [],
        compensating_controls=compensating_controls,
    )


def extended_hours(
    by: Staff, moment: str, *, rule_waived: str, basis: str, justification: str
) -> Step:
    """A 延时服务 exception asked for: service past the window's hours, and why."""
    return event(
        by,
        moment,
        "ExceptionRequested",
        kind="extended_hours",
        rule_waived=rule_waived,
        basis=basis,
        justification=justification,
    )


def after_the_fact(
    by: Staff,
    moment: str,
    *,
    executed: tuple[Staff, str],
    execution: str,
    rule_waived: str,
    basis: str,
    justification: str,
    compensating_controls: list[str],
) -> Step:
    """A 特事特办 already executed (`executed`: who, when), asked after the fact for its layers to
    ratify: how a report's 破例 is told when it names nobody who approved it."""
    executor, executed_at = executed
    return event(
        by,
        moment,
        "ExceptionRatificationRequested",
        kind="special_handling",
        rule_waived=rule_waived,
        basis=basis,
        justification=justification,
        executed_by=executor.id,
        executed_at=at(executed_at),
        execution=execution,
        compensating_controls=compensating_controls,
    )


def evidence(kind: str, issued_by: str, via: str, reference: str | None = None) -> dict[str, str]:
    """A piece of evidence: the fact and its channel (the artefact itself is never recorded)."""
    found = {"kind": kind, "issued_by": issued_by, "via": via}
    return found | ({"reference": reference} if reference else {})


def layer(by: Staff, moment: str, layer: int, opinion: str, **joint: object) -> Step:
    """One layer's approval of the case's exception (the one it last requested)."""
    return event(
        by,
        moment,
        "ExceptionLayerDecided",
        exception_id=MINTED_EXCEPTION,
        layer=layer,
        decision="approve",
        opinion=opinion,
        **joint,
    )


def unresolved(
    by: Staff, moment: str, cause: str, resolvability: str, tier: str, description: str
) -> Step:
    """A 办不成事 report entered in the 登记簿."""
    return event(
        by,
        moment,
        "UnresolvedReported",
        cause=cause,
        resolvability=resolvability,
        tier=tier,
        description=description,
    )


def special_team(by: Staff, moment: str, lead: str, members: list[str]) -> Step:
    """The 专班 that takes the case's 办不成事 report up."""
    return event(
        by, moment, "SpecialTeamAssigned", report_id=MINTED_REPORT, lead=lead, members=members
    )


def fed_back(
    by: Staff, moment: str, outcome: str, method: str, content: str, response: str | None = None
) -> Step:
    """反馈: the applicant told the report's outcome (what it will close as), and how."""
    answer = {"response": response} if response else {}
    return event(
        by,
        moment,
        "UnresolvedFeedbackGiven",
        report_id=MINTED_REPORT,
        outcome=outcome,
        method=method,
        content=content,
        **answer,
    )


def verified(by: Staff, moment: str, note: str) -> Step:
    """核查: someone outside the unit the report concerns confirms the outcome fed back."""
    return event(
        by, moment, "UnresolvedVerified", report_id=MINTED_REPORT, confirmed=True, note=note
    )


def consulted(
    by: Staff, moment: str, question: str, answer: str, referred_to: str | None = None
) -> Step:
    """A question the window answered (咨询), counted, no report."""
    referral = {"referred_to": referred_to} if referred_to else {}
    return event(by, moment, "ConsultationRecorded", question=question, answer=answer, **referral)


def unresolved_closed(by: Staff, moment: str, closure: str, explanation: str) -> Step:
    return event(
        by,
        moment,
        "UnresolvedClosed",
        report_id=MINTED_REPORT,
        closure=closure,
        explanation=explanation,
    )
