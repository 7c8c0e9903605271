"""Asking for an exception and deciding it: the request, each layer's decision, the grant or
refusal that follows (ratified or not, for one asked after the fact: `ratification`), a
withdrawal, and the post-audit of a granted or ratified one (`ExceptionCommands`).

The request freezes the centre's approval policy into its event; `check_decision`
(`approval_rules`) is the one gate a layer decision passes. The lookups below (`find_exception`,
`granted_exception`, `waived_items`, `mark_used`) are the ones every other part of the case uses to
rely on an exception: acceptance and completion (whose actor, the executor, `check_executor`
keeps out of the approvers), and the 承诺书.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4  # runtime import: events are decoded against these types

from ledger.domain.errors import RuleViolation
from ledger.domain.events import CaseCommands, CaseEvent
from ledger.domain.exceptions.approval_rules import (
    check_decision,
    check_executor,
    post_audit_selection,
)
from ledger.domain.exceptions.records import (
    Attendee,
    AuditFinding,
    CommitmentStatus,
    CreditCheck,
    CreditResult,
    ExceptionKind,
    ExceptionRecord,
    ExceptionStatus,
    LayerDecision,
    PostAudit,
    PostAuditSelection,
    requested_fields,
)
from ledger.domain.policy import ApprovalPolicy, Timing
from ledger.domain.state import CaseState
from ledger.domain.values import Actor, Decision, Role


class ExceptionCommands(CaseCommands):
    """特事特办 / 容缺受理 / 告知承诺 / 延时服务: a rule set aside only once every layer of the
    centre's approval chain agreed, each decision on the record."""

    class ExceptionRequested(CaseEvent):
        exception_id: UUID
        kind: ExceptionKind
        rule_waived: str
        basis: str
        justification: str
        waived_items: list[str]
        compensating_controls: list[str]
        credit_check: CreditCheck | None
        policy: ApprovalPolicy  # frozen whole: id, version, the required layers, the rules

        def fold(self, state: CaseState) -> None:
            policy = self.policy
            state.exceptions.append(
                ExceptionRecord(
                    exception_id=self.exception_id,
                    policy_id=policy.id,
                    policy_version=policy.version,
                    required_layers=list(policy.layers),
                    breach_consequence=policy.breach_consequence,
                    supply_within=policy.supply_within.limit if policy.supply_within else None,
                    post_audit_rate=policy.post_audit.rate,
                    post_audit_mandatory=policy.post_audit.mandatory,
                    **requested_fields(self),
                )
            )

    class ExceptionEvent(CaseEvent):
        exception_id: UUID

        def record(self, state: CaseState) -> ExceptionRecord:
            found = state.exception(self.exception_id)
            assert found is not None, "commands check the exception exists"
            return found

    class ExceptionLayerDecided(ExceptionEvent):
        layer: int
        decision: Decision
        role: Role  # the layer's role, which the approver's credential held
        opinion: str
        attendees: list[Attendee]
        minutes_ref: str | None = None
        acting_for: str | None = None  # AB岗: the absent holder the approver stood in for

        def fold(self, state: CaseState) -> None:
            self.record(state).decisions.append(
                LayerDecision(
                    layer=self.layer,
                    decision=self.decision,
                    approver=self.actor.id,
                    role=self.role,
                    unit=self.actor.unit,
                    opinion=self.opinion,
                    decided_at=self.occurred_at,
                    attendees=list(self.attendees),
                    minutes_ref=self.minutes_ref,
                    acting_for=self.acting_for,
                )
            )

    class ExceptionGranted(ExceptionEvent):
        """Recorded by the aggregate with the decision of the last layer."""

        post_audit: PostAuditSelection
        post_audit_draw: float

        def fold(self, state: CaseState) -> None:
            record = self.record(state)
            record.status = ExceptionStatus.GRANTED
            record.closed_at = self.occurred_at
            record.post_audit = self.post_audit
            record.post_audit_draw = self.post_audit_draw

    class ExceptionRefused(ExceptionEvent):
        """Recorded by the aggregate with the decision of the layer that rejected it."""

        layer: int

        def fold(self, state: CaseState) -> None:
            record = self.record(state)
            record.status = ExceptionStatus.REFUSED
            record.closed_at = self.occurred_at

    class ExceptionRatified(ExceptionGranted):
        """Recorded with the last layer's approval of an exception executed before it was asked
        for: approved after the fact, and drawn for post-audit as a grant is."""

        def fold(self, state: CaseState) -> None:
            super().fold(state)
            self.record(state).status = ExceptionStatus.RATIFIED

    class ExceptionNotRatified(ExceptionRefused):
        """Recorded with the rejection of a layer deciding an exception already executed: the act
        stands on the record as not approved."""

        def fold(self, state: CaseState) -> None:
            super().fold(state)
            self.record(state).status = ExceptionStatus.NOT_RATIFIED

    class ExceptionWithdrawn(ExceptionEvent):
        reason: str

        def fold(self, state: CaseState) -> None:
            record = self.record(state)
            record.status = ExceptionStatus.WITHDRAWN
            record.closed_at = self.occurred_at

    class ExceptionPostAudited(ExceptionEvent):
        finding: AuditFinding
        note: str

        def fold(self, state: CaseState) -> None:
            self.record(state).audits.append(
                PostAudit(
                    finding=self.finding,
                    auditor=self.actor.id,
                    audited_at=self.occurred_at,
                    note=self.note,
                )
            )

    def request_exception(self, **fields: Any) -> UUID:
        return self._request(self.ExceptionRequested, **fields)

    def _request(
        self,
        event_class: type[ExceptionRequested],
        *,
        actor: Actor,
        occurred_at: datetime,
        timing: Timing | None,
        kind: ExceptionKind,
        waived_items: list[str],
        credit_check: CreditCheck | None,
        **fields: Any,
    ) -> UUID:
        """Record `event_class` (a request, or one after the fact) once the centre's policy for
        `kind` admits it; the exception's id."""
        self._require_holder(actor)
        policy = timing.policy.approvals.get(kind) if timing is not None else None
        if policy is None:
            raise RuleViolation(
                "exception.kind_not_in_policy", f"no approval policy for {kind} at this centre"
            )
        if policy.require_credit_check and credit_check is None:
            raise RuleViolation(
                "exception.credit_check_missing", f"{policy.title} needs the applicant's credit"
            )
        if (
            policy.exclude_dishonest
            and credit_check is not None
            and credit_check.result is CreditResult.DISHONEST
        ):
            raise RuleViolation(
                "exception.applicant_dishonest", f"{policy.title} is refused to 失信 applicants"
            )
        if policy.waivable_items is not None and (
            unlisted := [i for i in waived_items if i not in policy.waivable_items]
        ):
            raise RuleViolation(
                "exception.item_not_waivable",
                f"not on the {policy.title} list: " + "、".join(unlisted),
            )
        exception_id = uuid4()
        self.trigger_event(
            event_class,
            actor=actor,
            occurred_at=occurred_at,
            exception_id=exception_id,
            kind=kind,
            waived_items=waived_items,
            credit_check=credit_check,
            policy=policy,
            **fields,
        )
        return exception_id

    def decide_exception_layer(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        exception_id: UUID,
        layer: int,
        decision: Decision,
        opinion: str,
        attendees: list[Attendee],
        minutes_ref: str | None = None,
        acting_for: str | None = None,
    ) -> None:
        """One layer's decision; the last approval grants the request (ratifies one asked after
        the fact), any rejection refuses it (does not ratify it)."""
        asked = self.state.exception(exception_id)
        if self.state.status.is_closed and not (asked and asked.after_the_fact):
            raise RuleViolation(
                "case.closed",
                f"the case is {self.state.status}: only a ratification (an exception asked after "
                "the fact) is decided on a closed case",
            )
        record = find_exception(self.state, exception_id)
        check_decision(record, layer, actor, opinion, attendees, minutes_ref, acting_for)
        self.trigger_event(
            self.ExceptionLayerDecided,
            actor=actor,
            occurred_at=occurred_at,
            exception_id=exception_id,
            layer=layer,
            decision=decision,
            role=record.required_layers[layer - 1].role,
            opinion=opinion,
            attendees=attendees,
            minutes_ref=minutes_ref,
            acting_for=acting_for,
        )
        if decision is Decision.REJECT:
            self.trigger_event(
                self.ExceptionNotRatified if record.after_the_fact else self.ExceptionRefused,
                actor=actor,
                occurred_at=occurred_at,
                exception_id=exception_id,
                layer=layer,
            )
        elif layer == len(record.required_layers):
            selection, draw = post_audit_selection(
                record.policy_id,
                record.policy_version,
                record.post_audit_rate,
                record.post_audit_mandatory,
                exception_id,
            )
            self.trigger_event(
                self.ExceptionRatified if record.after_the_fact else self.ExceptionGranted,
                actor=actor,
                occurred_at=occurred_at,
                exception_id=exception_id,
                post_audit=selection,
                post_audit_draw=draw,
            )

    def withdraw_exception(
        self, *, actor: Actor, occurred_at: datetime, exception_id: UUID, **fields: Any
    ) -> None:
        self._require_holder(actor)
        record = find_exception(self.state, exception_id)
        if record.after_the_fact:
            raise RuleViolation(
                "ratification.not_withdrawable",
                "a ratification covers an act already done: its layers ratify it or not",
            )
        if record.status.is_closed and record.status is not ExceptionStatus.GRANTED:
            raise RuleViolation("approval.request_closed", f"the request is {record.status}")
        if record.used_at is not None:
            raise RuleViolation("exception.already_used", "the case already relied on it")
        if any(c.status is CommitmentStatus.OPEN for c in record.commitments):
            raise RuleViolation(
                "exception.commitment_open", "a 承诺书 under it is still open: fulfil or breach it"
            )
        self.trigger_event(
            self.ExceptionWithdrawn,
            actor=actor,
            occurred_at=occurred_at,
            exception_id=exception_id,
            **fields,
        )

    def post_audit(
        self, *, actor: Actor, occurred_at: datetime, exception_id: UUID, **fields: Any
    ) -> None:
        record = find_exception(self.state, exception_id)
        if record.status not in (ExceptionStatus.GRANTED, ExceptionStatus.RATIFIED):
            raise RuleViolation(
                "exception.not_granted", f"the exception is {record.status}, not granted"
            )
        if actor.id in {record.requested_by, *record.deciders, *record.executors}:
            raise RuleViolation(
                "post_audit.not_independent",
                "a post-audit is by someone who neither asked for, approved (or was stood in for "
                "at a layer) nor executed the exception",
            )
        self.trigger_event(
            self.ExceptionPostAudited,
            actor=actor,
            occurred_at=occurred_at,
            exception_id=exception_id,
            **fields,
        )


COMMANDS: dict[str, tuple[str, str | None]] = {
    "ExceptionRequested": ("request_exception", "exception_id"),
    "ExceptionLayerDecided": ("decide_exception_layer", None),
    "ExceptionWithdrawn": ("withdraw_exception", None),
    "ExceptionPostAudited": ("post_audit", None),
}
TIMED = frozenset({"ExceptionRequested"})
ADMISSIBLE_WHEN_CLOSED = frozenset({"ExceptionLayerDecided", "ExceptionPostAudited"})
"""A ratification's layers decide on a closed case (it is asked after the fact), and a granted or
ratified exception is post-audited once its case is done; `decide_exception_layer` refuses any
other request's layer there (`case.closed`, as before)."""


def find_exception(state: CaseState, exception_id: UUID) -> ExceptionRecord:
    record = state.exception(exception_id)
    if record is None:
        raise RuleViolation("exception.unknown", f"no exception {exception_id} on this case")
    return record


def granted_exception(state: CaseState, exception_id: UUID) -> ExceptionRecord:
    record = find_exception(state, exception_id)
    if record.status is not ExceptionStatus.GRANTED:
        raise RuleViolation(
            "exception.not_granted", f"the exception is {record.status}, not granted"
        )
    return record


def waived_items(state: CaseState, exception_id: UUID | None, executor: Actor) -> list[str]:
    """The items a granted exception lets the case go on without (none without one), for
    `executor` to rely on: never one of its approvers (`check_executor`)."""
    if exception_id is None:
        return []
    record = granted_exception(state, exception_id)
    check_executor(record, executor)
    return record.waived_items


def mark_used(state: CaseState, exception_id: UUID | None, at: datetime, by: str) -> None:
    """Fold the first acceptance or completion that relied on the exception into its record."""
    record = state.exception(exception_id) if exception_id is not None else None
    if record is not None and record.used_at is None:
        record.used_at = at
        record.used_by = by
