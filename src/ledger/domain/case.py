"""A case (办件) and everything recorded against it; each change is one event below.

Public methods decide (guards, ids, clock) and trigger one event; each event's `fold` is the only
code that changes state, and it runs again on every replay, so replaying the stored events
rebuilds exactly the state the decisions saw. (Events carry `fold` rather than `@event` methods so
that one generic wire dispatch can serve every event type without repeating parameter lists.)
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4  # runtime import: events are decoded against these types

import msgspec
from eventsourcing.domain import Aggregate, event

from ledger.domain import clock, hotline, ratings, unresolved
from ledger.domain.approval import check_decision, post_audit_selection
from ledger.domain.errors import RuleViolation
from ledger.domain.events import CaseEvent
from ledger.domain.hotline import HotlineCommands
from ledger.domain.permissions import CENTRE_WIDE_ROLES
from ledger.domain.policy import ApprovalPolicy, Timing
from ledger.domain.ratings import RatingCommands
from ledger.domain.snapshots import TypedSnapshot
from ledger.domain.unresolved import UnresolvedCommands
from ledger.domain.values import (
    Actor,
    ApplicantRef,
    Attendee,
    AuditFinding,
    BreachConsequence,
    CaseState,
    CaseStatus,
    Channel,
    Clock,
    ClockUpdate,
    Commitment,
    CommitmentStatus,
    CreditCheck,
    CreditResult,
    Decision,
    EscalationThreat,
    ExceptionKind,
    ExceptionRecord,
    ExceptionStatus,
    Extension,
    ExtensionStatus,
    HandOff,
    HandOffStatus,
    LayerDecision,
    LimitUnit,
    Matter,
    NoticeChannel,
    Outcome,
    PauseReason,
    PostAudit,
    PostAuditSelection,
    Priority,
    Role,
    SuppliedVia,
    TimeLimit,
)

MAX_CLOCK_SKEW = timedelta(minutes=5)
"""How far ahead of the server clock a client's `occurred_at` may be."""
EARLIEST_OCCURRED_AT = datetime(1990, 1, 1, tzinfo=timezone(timedelta(hours=8)))
"""No service-centre record is older (the first 政务服务中心 opened in the 1990s); anything earlier
is a client bug, and dates near year 1 would overflow time-zone arithmetic."""


class CaseSnapshot(msgspec.Struct, kw_only=True):
    """Typed snapshot state, so snapshots decode to the same values that events fold to."""

    _created_on: datetime
    _modified_on: datetime
    state: CaseState


class Case(HotlineCommands, UnresolvedCommands, RatingCommands, Aggregate):
    # Events that may still be recorded once a case is completed or refused: its reopening and
    # corrections, and the public's pushback on it (12345 orders, 办不成事 reports, ratings),
    # which typically arrives after the service ended or was refused.
    ADMISSIBLE_WHEN_CLOSED = frozenset(
        {"Reopened", "CorrectionRecorded", *hotline.COMMANDS, *unresolved.COMMANDS}
        | set(ratings.COMMANDS)
    )

    class Snapshot(TypedSnapshot):
        state: CaseSnapshot  # type: ignore[assignment]

    class Registered(Aggregate.Created):
        case_no: str
        channel: Channel
        matter: Matter
        centre: str
        department: str
        window: str | None
        applicant: ApplicantRef
        priority: Priority
        statutory_limit: TimeLimit | None
        promised_limit: TimeLimit | None
        parent_case_id: UUID | None
        actor: Actor
        occurred_at: datetime

    class VisitRecorded(CaseEvent):
        ticket: str | None = None
        note: str | None = None

        def fold(self, state: CaseState) -> None:
            state.visits += 1

    class OneTimeNoticeIssued(CaseEvent):
        items: list[str]
        channel: NoticeChannel
        signed_receipt: bool
        flags: list[str]

        def fold(self, state: CaseState) -> None:
            state.notice_items += [i for i in self.items if i not in state.notice_items]
            state.flags += self.flags
            if state.outstanding_items:
                state.status = CaseStatus.AWAITING_MATERIALS

    class MaterialsSupplied(CaseEvent):
        items: list[str]
        via: SuppliedVia

        def fold(self, state: CaseState) -> None:
            state.supplied_items += [i for i in self.items if i not in state.supplied_items]
            if state.status is CaseStatus.AWAITING_MATERIALS and not state.outstanding_items:
                state.status = CaseStatus.RECEIVED

    class Accepted(CaseEvent):
        note: str | None = None
        clock: Clock | None = None  # the promised limit starts here (受理)
        exception_id: UUID | None = None  # a granted exception it relies on (e.g. 容缺受理)

        def fold(self, state: CaseState) -> None:
            state.status = CaseStatus.ACCEPTED
            state.accepted_at = self.occurred_at
            _mark_used(state, self.exception_id, self.occurred_at)
            if self.clock is not None:
                state.clock = clock.copied(self.clock)

    class AcceptanceRefused(CaseEvent):
        reason: str
        legal_basis: str
        missing_materials: list[str]
        flags: list[str]

        def fold(self, state: CaseState) -> None:
            state.status = CaseStatus.REFUSED
            state.closed_at = self.occurred_at
            state.refusal_reason = self.reason
            state.flags += self.flags
            _end_pause(state, self.occurred_at)

    class ClockPaused(CaseEvent):
        reason: PauseReason
        note: str | None = None

        def fold(self, state: CaseState) -> None:
            state.paused_since = self.occurred_at
            state.pause_reason = self.reason

    class ClockResumed(CaseEvent):
        note: str | None = None
        clock: ClockUpdate | None = None  # the deadline moved by the pause's working time

        def fold(self, state: CaseState) -> None:
            _end_pause(state, self.occurred_at)
            clock.move(state.clock, self.clock)

    class ExtensionRequested(CaseEvent):
        extension_id: UUID
        working_days: int
        reason: str

        def fold(self, state: CaseState) -> None:
            state.extensions.append(
                Extension(
                    extension_id=self.extension_id,
                    working_days=self.working_days,
                    reason=self.reason,
                    requested_by=self.actor.id,
                    requested_at=self.occurred_at,
                )
            )

    class ExtensionDecided(CaseEvent):
        extension_id: UUID
        decision: Decision
        opinion: str | None = None
        clock: ClockUpdate | None = None  # an approved extension lengthens the limit

        def fold(self, state: CaseState) -> None:
            extension = next(e for e in state.extensions if e.extension_id == self.extension_id)
            extension.status = (
                ExtensionStatus.APPROVED
                if self.decision is Decision.APPROVE
                else ExtensionStatus.REJECTED
            )
            extension.decided_by = self.actor.id
            extension.decided_at = self.occurred_at
            extension.opinion = self.opinion
            clock.move(state.clock, self.clock)

    class Completed(CaseEvent):
        outcome: Outcome
        summary: str | None = None
        exception_id: UUID | None = None  # a granted exception it relies on (e.g. 特事特办)

        def fold(self, state: CaseState) -> None:
            _mark_used(state, self.exception_id, self.occurred_at)
            state.status = CaseStatus.COMPLETED
            state.closed_at = self.occurred_at
            state.outcome = self.outcome
            _end_pause(state, self.occurred_at)

    class Reopened(CaseEvent):
        reason: str

        def fold(self, state: CaseState) -> None:
            state.status = CaseStatus.ACCEPTED if state.accepted_at else CaseStatus.RECEIVED
            state.closed_at = None
            state.outcome = None
            state.refusal_reason = None
            state.reopen_count += 1

    class CorrectionRecorded(CaseEvent):
        corrects_version: int
        reason: str
        corrected: dict[str, str]

        def fold(self, state: CaseState) -> None:
            state.corrected_versions.append(self.corrects_version)

    class HandedOff(CaseEvent):
        handoff_id: UUID
        from_department: str
        from_window: str | None
        to_department: str
        to_window: str | None
        to_officer: str | None
        reason: str

        def fold(self, state: CaseState) -> None:
            state.handoffs.append(
                HandOff(
                    handoff_id=self.handoff_id,
                    from_department=self.from_department,
                    from_window=self.from_window,
                    to_department=self.to_department,
                    to_window=self.to_window,
                    to_officer=self.to_officer,
                    reason=self.reason,
                    handed_off_by=self.actor.id,
                    handed_off_at=self.occurred_at,
                )
            )

    class HandOffSettled(CaseEvent):
        handoff_id: UUID

        def settle(self, state: CaseState, status: HandOffStatus) -> HandOff:
            handoff = next(h for h in state.handoffs if h.handoff_id == self.handoff_id)
            handoff.status = status
            handoff.settled_by = self.actor.id
            handoff.settled_at = self.occurred_at
            return handoff

    class HandOffSignedFor(HandOffSettled):
        def fold(self, state: CaseState) -> None:
            handoff = self.settle(state, HandOffStatus.SIGNED_FOR)
            state.department = handoff.to_department
            state.window = handoff.to_window

    class HandOffReturned(HandOffSettled):
        reason: str
        basis: str | None = None

        def fold(self, state: CaseState) -> None:
            self.settle(state, HandOffStatus.RETURNED).return_reason = self.reason

    class DutyIntervention(CaseEvent):
        action: str
        escalation_threat: EscalationThreat
        threatened_channel: str | None = None
        note: str | None = None

        def fold(self, state: CaseState) -> None:
            state.interventions += 1

    # --- exceptions (特事特办 / 容缺受理 / 告知承诺 / 延时服务) ------------------------------

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
                    kind=self.kind,
                    rule_waived=self.rule_waived,
                    basis=self.basis,
                    justification=self.justification,
                    waived_items=list(self.waived_items),
                    compensating_controls=list(self.compensating_controls),
                    policy_id=policy.id,
                    policy_version=policy.version,
                    required_layers=list(policy.layers),
                    breach_consequence=policy.breach_consequence,
                    supply_within=policy.supply_within.limit if policy.supply_within else None,
                    post_audit_rate=policy.post_audit.rate,
                    post_audit_mandatory=policy.post_audit.mandatory,
                    requested_by=self.actor.id,
                    requested_at=self.occurred_at,
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

    class ExceptionWithdrawn(ExceptionEvent):
        reason: str

        def fold(self, state: CaseState) -> None:
            record = self.record(state)
            record.status = ExceptionStatus.WITHDRAWN
            record.closed_at = self.occurred_at

    class CommitmentSigned(ExceptionEvent):
        commitment_id: UUID
        items: list[str]
        due_at: datetime

        def fold(self, state: CaseState) -> None:
            self.record(state).commitments.append(
                Commitment(
                    commitment_id=self.commitment_id,
                    items=list(self.items),
                    due_at=self.due_at,
                    signed_by=self.actor.id,
                    signed_at=self.occurred_at,
                )
            )

    class CommitmentSettled(ExceptionEvent):
        commitment_id: UUID

        def settle(self, state: CaseState, status: CommitmentStatus) -> Commitment:
            commitment = next(
                c for c in self.record(state).commitments if c.commitment_id == self.commitment_id
            )
            commitment.status = status
            commitment.settled_at = self.occurred_at
            return commitment

    class CommitmentFulfilled(CommitmentSettled):
        note: str | None = None

        def fold(self, state: CaseState) -> None:
            self.settle(state, CommitmentStatus.FULFILLED)

    class CommitmentBreached(CommitmentSettled):
        """Recorded once the due date has passed (the worker's timer); the consequence is the
        one the policy froze into the request: 退办 ends the case as withdrawn."""

        consequence: BreachConsequence

        def fold(self, state: CaseState) -> None:
            self.settle(state, CommitmentStatus.BREACHED).consequence = self.consequence
            if self.consequence is BreachConsequence.WITHDRAW_CASE and not state.status.is_closed:
                state.status = CaseStatus.COMPLETED
                state.outcome = Outcome.WITHDRAWN
                state.closed_at = self.occurred_at
                _end_pause(state, self.occurred_at)

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

    @event(Registered)
    def __init__(
        self,
        case_no: str,
        channel: Channel,
        matter: Matter,
        centre: str,
        department: str,
        window: str | None,
        applicant: ApplicantRef,
        priority: Priority,
        statutory_limit: TimeLimit | None,
        promised_limit: TimeLimit | None,
        parent_case_id: UUID | None,
        actor: Actor,
        occurred_at: datetime,
    ) -> None:
        self.state = _registered_state(locals())

    @staticmethod
    def fold_any(state: CaseState | None, event: Any) -> CaseState:
        """The state after `event`, for read models that keep `CaseState` without the aggregate.

        These are the aggregate's own folds, so a view built with them cannot disagree with it.
        """
        if isinstance(event, Case.Registered):
            return _registered_state(vars(event))
        if state is None:
            raise ValueError(f"{type(event).__name__} before Registered")
        event.fold(state)
        return state

    @classmethod
    def register(cls, *, actor: Actor, occurred_at: datetime, **fields: Any) -> Case:
        check_occurred_at(occurred_at)
        return cls(actor=actor, occurred_at=occurred_at, **fields)

    # --- commands: decide, then record -------------------------------------------------------

    def append(
        self,
        event_type: str,
        actor: Actor,
        occurred_at: datetime,
        timing: Timing | None = None,
        **fields: Any,
    ) -> dict[str, UUID]:
        """Dispatch one wire command by event type name; returns the ids it minted, by name.

        `timing` (the centre's policy and calendar) reaches the commands that start or move a
        clock; without it they record no clock.
        """
        self._guard(event_type, occurred_at)
        method_name, minted_name = _COMMANDS[event_type]
        if event_type in _TIMED:
            fields["timing"] = timing
        minted = getattr(self, method_name)(actor=actor, occurred_at=occurred_at, **fields)
        return {minted_name: minted} if minted_name else {}

    def record_visit(self, *, actor: Actor, occurred_at: datetime, **fields: Any) -> None:
        self.trigger_event(self.VisitRecorded, actor=actor, occurred_at=occurred_at, **fields)

    def issue_one_time_notice(
        self, *, actor: Actor, occurred_at: datetime, items: list[str], **fields: Any
    ) -> None:
        self._require_holder(actor)
        if self.state.status is CaseStatus.ACCEPTED:
            raise RuleViolation("notice.case_already_accepted", "the case was already accepted")
        listed = set(self.state.notice_items)
        flags = []
        if listed and set(items) - listed:
            # 一次性告知: a second notice adding items is the very failure the rule forbids.
            flags.append("one_time_notice.reissued_with_new_items")
        self.trigger_event(
            self.OneTimeNoticeIssued,
            actor=actor,
            occurred_at=occurred_at,
            items=items,
            flags=flags,
            **fields,
        )

    def supply_materials(self, *, actor: Actor, occurred_at: datetime, **fields: Any) -> None:
        self._require_holder(actor)
        self.trigger_event(self.MaterialsSupplied, actor=actor, occurred_at=occurred_at, **fields)

    def accept(
        self, *, actor: Actor, occurred_at: datetime, timing: Timing | None, **fields: Any
    ) -> None:
        self._require_holder(actor)
        if self.state.status is CaseStatus.ACCEPTED:
            raise RuleViolation("acceptance.already_accepted", "the case was already accepted")
        covered = self._granted_for_use(fields.get("exception_id"))
        if outstanding := [i for i in self.state.outstanding_items if i not in covered]:
            raise RuleViolation(
                "acceptance.materials_outstanding",
                f"{len(outstanding)} item(s) of the one-time notice are not supplied: "
                + "、".join(outstanding),
            )
        started = None
        if timing is not None:
            # A limit promised at registration is the centre's own promise; else the policy's.
            limit, source = timing.policy.promised_for(self.state.matter.code)
            if self.state.promised_limit is not None:
                limit, source = self.state.promised_limit, "promised at registration (version 1)"
            started = clock.start(
                timing.calendar, limit, source, timing.policy.version, occurred_at
            )
        self.trigger_event(
            self.Accepted, actor=actor, occurred_at=occurred_at, clock=started, **fields
        )

    def refuse_acceptance(
        self, *, actor: Actor, occurred_at: datetime, missing_materials: list[str], **fields: Any
    ) -> None:
        self._require_holder(actor)
        if self.state.status is CaseStatus.ACCEPTED:
            raise RuleViolation("acceptance.already_accepted", "the case was already accepted")
        unlisted = [m for m in missing_materials if m not in self.state.notice_items]
        flags = ["one_time_notice.unlisted_material"] if unlisted else []
        self.trigger_event(
            self.AcceptanceRefused,
            actor=actor,
            occurred_at=occurred_at,
            missing_materials=missing_materials,
            flags=flags,
            **fields,
        )

    def pause_clock(self, *, actor: Actor, occurred_at: datetime, **fields: Any) -> None:
        self._require_holder(actor)
        if self.state.paused_since is not None:
            raise RuleViolation("clock.already_paused", "the clock is already paused")
        self.trigger_event(self.ClockPaused, actor=actor, occurred_at=occurred_at, **fields)

    def resume_clock(
        self, *, actor: Actor, occurred_at: datetime, timing: Timing | None, **fields: Any
    ) -> None:
        self._require_holder(actor)
        paused_since = self.state.paused_since
        if paused_since is None:
            raise RuleViolation("clock.not_paused", "the clock is not paused")
        if occurred_at < paused_since:
            raise RuleViolation("clock.resumed_before_pause", "resumption precedes the pause")
        update = None
        if timing is not None and self.state.clock is not None:
            pauses = [*self.state.pauses, (paused_since, occurred_at)]
            update = clock.moved(self.state.clock, timing.calendar, pauses)
        self.trigger_event(
            self.ClockResumed, actor=actor, occurred_at=occurred_at, clock=update, **fields
        )

    def request_extension(self, *, actor: Actor, occurred_at: datetime, **fields: Any) -> UUID:
        self._require_holder(actor)
        if self.state.status is not CaseStatus.ACCEPTED:
            raise RuleViolation("extension.case_not_accepted", "only an accepted case can extend")
        if any(e.status is ExtensionStatus.PENDING for e in self.state.extensions):
            raise RuleViolation("extension.already_pending", "an extension awaits a decision")
        extension_id = uuid4()
        self.trigger_event(
            self.ExtensionRequested,
            actor=actor,
            occurred_at=occurred_at,
            extension_id=extension_id,
            **fields,
        )
        return extension_id

    def decide_extension(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        extension_id: UUID,
        timing: Timing | None,
        decision: Decision,
        **fields: Any,
    ) -> None:
        self._require_holder(actor)
        extension = next((e for e in self.state.extensions if e.extension_id == extension_id), None)
        if extension is None:
            raise RuleViolation("extension.unknown", f"no extension {extension_id} on this case")
        if extension.status is not ExtensionStatus.PENDING:
            raise RuleViolation("extension.already_decided", "that extension was decided")
        if extension.requested_by == actor.id:
            raise RuleViolation("extension.self_decision", "the requester cannot decide it")
        update = None
        running = self.state.clock
        if decision is Decision.APPROVE and timing is not None and running is not None:
            if running.limit.unit is not LimitUnit.WORKING_DAYS:
                raise RuleViolation(
                    "extension.unit_mismatch",
                    f"extensions are in working days; this clock runs in {running.limit.unit}",
                )
            longer = TimeLimit(
                value=running.limit.value + extension.working_days, unit=running.limit.unit
            )
            update = clock.moved(running, timing.calendar, self.state.pauses, longer)
        self.trigger_event(
            self.ExtensionDecided,
            actor=actor,
            occurred_at=occurred_at,
            extension_id=extension_id,
            decision=decision,
            clock=update,
            **fields,
        )

    def complete(
        self, *, actor: Actor, occurred_at: datetime, outcome: Outcome, **fields: Any
    ) -> None:
        self._require_holder(actor)
        self._granted_for_use(fields.get("exception_id"))
        if outcome is not Outcome.WITHDRAWN and self.state.status is not CaseStatus.ACCEPTED:
            raise RuleViolation("completion.not_accepted", "a case is accepted before completion")
        if pending := [h for h in self.state.handoffs if h.status is HandOffStatus.PENDING]:
            raise RuleViolation(
                "completion.handoff_pending",
                f"hand-off to {pending[0].to_department} is not yet signed for",
            )
        self.trigger_event(
            self.Completed, actor=actor, occurred_at=occurred_at, outcome=outcome, **fields
        )

    def reopen(self, *, actor: Actor, occurred_at: datetime, **fields: Any) -> None:
        self._require_holder(actor)
        if not self.state.status.is_closed:
            raise RuleViolation("reopen.not_closed", "only a completed or refused case reopens")
        self.trigger_event(self.Reopened, actor=actor, occurred_at=occurred_at, **fields)

    def record_correction(
        self, *, actor: Actor, occurred_at: datetime, corrects_version: int, **fields: Any
    ) -> None:
        if not 1 <= corrects_version <= self.version:
            raise RuleViolation(
                "correction.unknown_version",
                f"version {corrects_version} is not in 1..{self.version}",
            )
        self.trigger_event(
            self.CorrectionRecorded,
            actor=actor,
            occurred_at=occurred_at,
            corrects_version=corrects_version,
            **fields,
        )

    def hand_off(
        self, *, actor: Actor, occurred_at: datetime, to_department: str, **fields: Any
    ) -> UUID:
        self._require_holder(actor)
        to_window = fields.get("to_window")
        if to_department == self.state.department and to_window == self.state.window:
            raise RuleViolation("handoff.same_unit", "the case is already held there")
        # A hand-off moves custody; one at a time, so the case always has exactly one holder.
        if pending := [h for h in self.state.handoffs if h.status is HandOffStatus.PENDING]:
            raise RuleViolation(
                "handoff.already_pending",
                f"the hand-off to {pending[0].to_department} awaits signing or return",
            )
        handoff_id = uuid4()
        self.trigger_event(
            self.HandedOff,
            actor=actor,
            occurred_at=occurred_at,
            handoff_id=handoff_id,
            from_department=self.state.department,
            from_window=self.state.window,
            to_department=to_department,
            **fields,
        )
        return handoff_id

    def sign_for_handoff(self, *, actor: Actor, occurred_at: datetime, handoff_id: UUID) -> None:
        self._pending_handoff_for(actor, handoff_id, "sign for")
        self.trigger_event(
            self.HandOffSignedFor, actor=actor, occurred_at=occurred_at, handoff_id=handoff_id
        )

    def return_handoff(
        self, *, actor: Actor, occurred_at: datetime, handoff_id: UUID, **fields: Any
    ) -> None:
        self._pending_handoff_for(actor, handoff_id, "return")
        self.trigger_event(
            self.HandOffReturned,
            actor=actor,
            occurred_at=occurred_at,
            handoff_id=handoff_id,
            **fields,
        )

    def record_intervention(self, *, actor: Actor, occurred_at: datetime, **fields: Any) -> None:
        self.trigger_event(self.DutyIntervention, actor=actor, occurred_at=occurred_at, **fields)

    def request_exception(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        timing: Timing | None,
        kind: ExceptionKind,
        waived_items: list[str],
        credit_check: CreditCheck | None,
        **fields: Any,
    ) -> UUID:
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
            self.ExceptionRequested,
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
    ) -> None:
        """One layer's decision; the last approval grants the request, any rejection refuses it."""
        record = self._exception(exception_id)
        check_decision(record, layer, actor, opinion, attendees, minutes_ref)
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
        )
        if decision is Decision.REJECT:
            self.trigger_event(
                self.ExceptionRefused,
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
                self.ExceptionGranted,
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
        record = self._exception(exception_id)
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

    def sign_commitment(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        timing: Timing | None,
        exception_id: UUID,
        due_at: datetime,
        **fields: Any,
    ) -> UUID:
        """承诺书: due no later than the policy's supply limit and the case's own deadline."""
        self._require_holder(actor)
        record = self._granted(exception_id)
        if record.kind not in (ExceptionKind.MISSING_MATERIALS, ExceptionKind.COMMITMENT):
            raise RuleViolation(
                "commitment.kind_without_commitment", f"a {record.kind} takes no 承诺书"
            )
        limits = [self.state.clock.due_at] if self.state.clock else []
        if record.supply_within is not None and timing is not None:
            limits.append(clock.due(timing.calendar, record.supply_within, occurred_at, ()).due_at)
        if due_at <= occurred_at or any(due_at > limit for limit in limits):
            raise RuleViolation(
                "commitment.due_beyond_limit",
                "the due date must be after signing and no later than "
                + (min(limits).isoformat() if limits else "signing"),
            )
        commitment_id = uuid4()
        self.trigger_event(
            self.CommitmentSigned,
            actor=actor,
            occurred_at=occurred_at,
            exception_id=exception_id,
            commitment_id=commitment_id,
            due_at=due_at,
            **fields,
        )
        return commitment_id

    def fulfil_commitment(
        self, *, actor: Actor, occurred_at: datetime, commitment_id: UUID, **fields: Any
    ) -> None:
        self._require_holder(actor)
        record, _ = self._open_commitment(commitment_id)
        self.trigger_event(
            self.CommitmentFulfilled,
            actor=actor,
            occurred_at=occurred_at,
            exception_id=record.exception_id,
            commitment_id=commitment_id,
            **fields,
        )

    def breach_commitment(
        self, *, actor: Actor, occurred_at: datetime, commitment_id: UUID
    ) -> None:
        record, commitment = self._open_commitment(commitment_id)
        if occurred_at <= commitment.due_at:
            raise RuleViolation(
                "commitment.not_yet_due", f"the commitment is due {commitment.due_at.isoformat()}"
            )
        self.trigger_event(
            self.CommitmentBreached,
            actor=actor,
            occurred_at=occurred_at,
            exception_id=record.exception_id,
            commitment_id=commitment_id,
            consequence=record.breach_consequence,
        )

    def post_audit(
        self, *, actor: Actor, occurred_at: datetime, exception_id: UUID, **fields: Any
    ) -> None:
        record = self._granted(exception_id)
        involved = {record.requested_by, *(d.approver for d in record.decisions)}
        if actor.id in involved:
            raise RuleViolation(
                "post_audit.not_independent",
                "a post-audit is by someone who neither asked for nor approved the exception",
            )
        self.trigger_event(
            self.ExceptionPostAudited,
            actor=actor,
            occurred_at=occurred_at,
            exception_id=exception_id,
            **fields,
        )

    # --- guards ------------------------------------------------------------------------------

    def _exception(self, exception_id: UUID) -> ExceptionRecord:
        record = self.state.exception(exception_id)
        if record is None:
            raise RuleViolation("exception.unknown", f"no exception {exception_id} on this case")
        return record

    def _granted(self, exception_id: UUID) -> ExceptionRecord:
        record = self._exception(exception_id)
        if record.status is not ExceptionStatus.GRANTED:
            raise RuleViolation(
                "exception.not_granted", f"the exception is {record.status}, not granted"
            )
        return record

    def _granted_for_use(self, exception_id: UUID | None) -> list[str]:
        """The items a granted exception lets the case go on without (none without one)."""
        return [] if exception_id is None else self._granted(exception_id).waived_items

    def _open_commitment(self, commitment_id: UUID) -> tuple[ExceptionRecord, Commitment]:
        for record in self.state.exceptions:
            for commitment in record.commitments:
                if commitment.commitment_id == commitment_id:
                    if commitment.status is not CommitmentStatus.OPEN:
                        raise RuleViolation(
                            "commitment.already_settled", f"the commitment is {commitment.status}"
                        )
                    return record, commitment
        raise RuleViolation("commitment.unknown", f"no commitment {commitment_id} on this case")

    def _guard(self, event_type: str, occurred_at: datetime) -> None:
        if self.state.status.is_closed and event_type not in self.ADMISSIBLE_WHEN_CLOSED:
            raise RuleViolation(
                "case.closed",
                f"the case is {self.state.status}: only "
                + ", ".join(sorted(self.ADMISSIBLE_WHEN_CLOSED))
                + " may follow",
            )
        check_occurred_at(occurred_at)
        if occurred_at < self.state.registered_at:
            raise RuleViolation(
                "occurred_at.before_registration", "an event cannot precede the case's registration"
            )

    def _require_holder(self, actor: Actor) -> None:
        """Staff act only on cases their unit holds, unless they hold a centre-wide role."""
        if not CENTRE_WIDE_ROLES.intersection(actor.roles) and actor.unit != self.state.department:
            raise RuleViolation(
                "case.not_held_by_unit",
                f"the case is held by {self.state.department}, not {actor.unit}",
            )

    def _pending_handoff_for(self, actor: Actor, handoff_id: UUID, verb: str) -> HandOff:
        handoff = next((h for h in self.state.handoffs if h.handoff_id == handoff_id), None)
        if handoff is None:
            raise RuleViolation("handoff.unknown", f"no hand-off {handoff_id} on this case")
        if handoff.status is HandOffStatus.SIGNED_FOR:
            raise RuleViolation("handoff.already_signed_for", "the hand-off was signed for")
        if handoff.status is HandOffStatus.RETURNED:
            raise RuleViolation("handoff.already_returned", "the hand-off was returned")
        if actor.unit != handoff.to_department:
            raise RuleViolation(
                "handoff.not_receiving_unit",
                f"only {handoff.to_department} may {verb} this hand-off, not {actor.unit}",
            )
        return handoff


_COMMANDS: dict[str, tuple[str, str | None]] = {
    "VisitRecorded": ("record_visit", None),
    "OneTimeNoticeIssued": ("issue_one_time_notice", None),
    "MaterialsSupplied": ("supply_materials", None),
    "Accepted": ("accept", None),
    "AcceptanceRefused": ("refuse_acceptance", None),
    "ClockPaused": ("pause_clock", None),
    "ClockResumed": ("resume_clock", None),
    "ExtensionRequested": ("request_extension", "extension_id"),
    "ExtensionDecided": ("decide_extension", None),
    "Completed": ("complete", None),
    "Reopened": ("reopen", None),
    "CorrectionRecorded": ("record_correction", None),
    "HandedOff": ("hand_off", "handoff_id"),
    "HandOffSignedFor": ("sign_for_handoff", None),
    "HandOffReturned": ("return_handoff", None),
    "DutyIntervention": ("record_intervention", None),
    "ExceptionRequested": ("request_exception", "exception_id"),
    "ExceptionLayerDecided": ("decide_exception_layer", None),
    "ExceptionWithdrawn": ("withdraw_exception", None),
    "CommitmentSigned": ("sign_commitment", "commitment_id"),
    "CommitmentFulfilled": ("fulfil_commitment", None),
    "CommitmentBreached": ("breach_commitment", None),
    "ExceptionPostAudited": ("post_audit", None),
    **hotline.COMMANDS,
    **unresolved.COMMANDS,
    **ratings.COMMANDS,
}
"""Wire event type -> (command method, name of the id it mints); wire `type` = class name."""


def event_classes() -> list[type[CaseEvent]]:
    """Every event class of `Case`, as stored (`Case.<Name>`), the mixins' groups included."""
    return [v for v in vars(Case).values() if isinstance(v, type) and issubclass(v, CaseEvent)]


_REGISTERED_FIELDS = (
    "case_no",
    "channel",
    "matter",
    "centre",
    "department",
    "window",
    "applicant",
    "priority",
    "statutory_limit",
    "promised_limit",
    "parent_case_id",
)


def _registered_state(fields: dict[str, Any]) -> CaseState:
    """A new case's state, from the constructor's arguments or the stored `Registered` event."""
    return CaseState(
        registered_at=fields["occurred_at"], **{name: fields[name] for name in _REGISTERED_FIELDS}
    )


_TIMED = frozenset(
    {"Accepted", "ClockResumed", "ExtensionDecided", "ExceptionRequested", "CommitmentSigned"}
    | hotline.TIMED
    | unresolved.TIMED
    | ratings.TIMED
)
"""Commands that start or move a clock or apply an approval policy: they take the centre's
`Timing` (policy and calendar)."""


def _end_pause(state: CaseState, at: datetime) -> None:
    if state.paused_since is not None:
        state.pauses.append((state.paused_since, max(at, state.paused_since)))
    state.paused_since = None
    state.pause_reason = None


def _mark_used(state: CaseState, exception_id: UUID | None, at: datetime) -> None:
    record = state.exception(exception_id) if exception_id is not None else None
    if record is not None and record.used_at is None:
        record.used_at = at


def check_occurred_at(occurred_at: datetime) -> None:
    """Business time within bounds: not ahead of the server clock, not before the records era."""
    if occurred_at > datetime.now(timezone.utc) + MAX_CLOCK_SKEW:  # noqa: UP017
        raise RuleViolation(
            "occurred_at.in_future", "occurred_at is later than the server clock allows"
        )
    if occurred_at < EARLIEST_OCCURRED_AT:
        raise RuleViolation(
            "occurred_at.too_early",
            f"occurred_at is before {EARLIEST_OCCURRED_AT.date().isoformat()}",
        )
