"""What a case's events fold to: `CaseState`, the one record the rules, guards and read models read.

It sits above the concept records (clock, exceptions, hand-offs, 12345 tickets, 办不成事 reports,
好差评 ratings, identity reconciliations and consents) because it holds a list of each; none of
them needs it.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from ledger.domain.clock import Clock, Extension, PauseReason
from ledger.domain.data_subject.records import Consent, IdentityReconciliation
from ledger.domain.exceptions.records import ExceptionRecord
from ledger.domain.handoffs.records import HandOff, HandOffStatus
from ledger.domain.hotline.records import HotlineTicket
from ledger.domain.ratings.records import Rating
from ledger.domain.unresolved.records import Consultation, UnresolvedReport
from ledger.domain.values import (
    ApplicantRef,
    CaseStatus,
    Channel,
    Matter,
    Outcome,
    Priority,
    TimeLimit,
)

STATE_SHAPE = "3: reports keep the units whose refusals they record"
"""What a history folds to: change it with any change to the fold (a new derived field, a new
meaning), so a snapshot sealed by the code before (which would decode, with defaults standing in
for what that code never derived) is no longer believed and the case is replayed instead
(`ledger.store.snapshots` seals this with every snapshot)."""


class CaseState(msgspec.Struct, kw_only=True):
    """Everything the rules need to know about a case, folded from its events."""

    case_no: str
    channel: Channel
    matter: Matter
    centre: str
    department: str  # the unit that holds the case now
    window: str | None
    applicant: ApplicantRef
    priority: Priority
    statutory_limit: TimeLimit | None
    promised_limit: TimeLimit | None
    parent_case_id: UUID | None
    registered_at: datetime
    status: CaseStatus = CaseStatus.RECEIVED
    accepted_at: datetime | None = None
    closed_at: datetime | None = None
    outcome: Outcome | None = None
    visits: int = 0  # 跑动次数
    notice_items: list[str] = msgspec.field(default_factory=list)
    first_notice_at: datetime | None = None  # the first 补正 notice, if it recorded its limit
    notice_due_at: datetime | None = None  # that notice's limit (行政许可法 第三十二条: 5 days)
    supplied_items: list[str] = msgspec.field(default_factory=list)
    refusal_reason: str | None = None
    paused_since: datetime | None = None
    pause_reason: PauseReason | None = None
    pauses: list[tuple[datetime, datetime]] = msgspec.field(default_factory=list)  # finished ones
    clock: Clock | None = None
    exceptions: list[ExceptionRecord] = msgspec.field(default_factory=list)
    handoffs: list[HandOff] = msgspec.field(default_factory=list)
    extensions: list[Extension] = msgspec.field(default_factory=list)
    interventions: int = 0
    reopen_count: int = 0
    corrected_versions: list[int] = msgspec.field(default_factory=list)
    flags: list[str] = msgspec.field(default_factory=list)
    tickets: list[HotlineTicket] = msgspec.field(default_factory=list)
    unresolved: list[UnresolvedReport] = msgspec.field(default_factory=list)
    consultations: list[Consultation] = msgspec.field(default_factory=list)  # 咨询 answered
    ratings: list[Rating] = msgspec.field(default_factory=list)
    identities: list[IdentityReconciliation] = msgspec.field(default_factory=list)
    consents: list[Consent] = msgspec.field(default_factory=list)

    @property
    def outstanding_items(self) -> list[str]:
        return [item for item in self.notice_items if item not in self.supplied_items]

    def end_pause(self, at: datetime) -> None:
        """Close the running pause, if any, at `at` (never before it began)."""
        if self.paused_since is not None:
            self.pauses.append((self.paused_since, max(at, self.paused_since)))
        self.paused_since = None
        self.pause_reason = None

    @property
    def pending_handoffs(self) -> list[HandOff]:
        """Hand-offs awaiting signing or return: at most one, since a case has one holder."""
        return [h for h in self.handoffs if h.status is HandOffStatus.PENDING]

    def extension(self, extension_id: UUID) -> Extension | None:
        return next((e for e in self.extensions if e.extension_id == extension_id), None)

    def handoff(self, handoff_id: UUID) -> HandOff | None:
        return next((h for h in self.handoffs if h.handoff_id == handoff_id), None)

    def exception(self, exception_id: UUID) -> ExceptionRecord | None:
        return next((x for x in self.exceptions if x.exception_id == exception_id), None)

    def ticket(self, ticket_id: UUID) -> HotlineTicket | None:
        return next((t for t in self.tickets if t.ticket_id == ticket_id), None)

    def report(self, report_id: UUID) -> UnresolvedReport | None:
        return next((r for r in self.unresolved if r.report_id == report_id), None)

    def rating(self, rating_id: UUID) -> Rating | None:
        return next((r for r in self.ratings if r.rating_id == rating_id), None)
