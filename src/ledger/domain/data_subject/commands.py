"""The data-subject commands and events of a case (`DataSubjectCommands`): an identity
reconciliation, and a consent.

**Two ID numbers, one person** (seed 000: 王女士's father had different 身份证号 in the 合肥 and
霍山 social-security records). `IdentityReconciled` records that the applicant's registered number
and another are one person's, which one is kept, and the evidence: the applicant's signed
statement always, and whatever certificate the centre had (the 户籍地派出所's 证明 sent over
WeChat). Like the applicant on registration, both numbers reach the event only as masked values
and HMAC tokens; `protect_identifiers` makes them from the raw numbers the request carried, in the
application, which seals the raw other number into the personal-data vault under the applicant's
own key (kind `other_id_number`), so one erasure shreds both.

**Consent** (seed 004: 赵先生 agreed that the window photograph his wife, who could not come to
the counter, for her pension certification). `ConsentRecorded` says who consented (masked name),
their relation to the applicant, for what purpose, and how it was given: the record domain-brief
§7 design item 6 asks for, so the use it covers is not left to memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4  # runtime import: events are decoded against these types

from ledger.domain.data_subject.records import (
    Consent,
    Evidence,
    EvidenceKind,
    IdentityReconciliation,
    Relation,
)
from ledger.domain.errors import RuleViolation
from ledger.domain.events import CaseCommands, CaseEvent
from ledger.domain.personal_data import mask_name, protect_id_number
from ledger.domain.state import CaseState
from ledger.domain.values import Actor, MaskedValue

RAW_ID_NUMBERS = {"kept_id_number": "kept", "retired_id_number": "retired"}
"""The request fields of `IdentityReconciled` that carry raw numbers, and the event field each
becomes once masked and tokenised."""


class DataSubjectCommands(CaseCommands):
    """Who the applicant is (identity reconciliation) and what was agreed for them (consent)."""

    class IdentityReconciled(CaseEvent):
        reconciliation_id: UUID
        kept: MaskedValue
        retired: MaskedValue
        evidence: list[Evidence]
        note: str | None = None

        def fold(self, state: CaseState) -> None:
            state.identities.append(
                IdentityReconciliation(
                    reconciliation_id=self.reconciliation_id,
                    kept=self.kept,
                    retired=self.retired,
                    evidence=list(self.evidence),
                    note=self.note,
                    reconciled_by=self.actor.id,
                    reconciled_at=self.occurred_at,
                )
            )

    class ConsentRecorded(CaseEvent):
        consent_id: UUID
        given_by: str  # masked
        relation: Relation
        purpose: str
        evidence: list[Evidence]

        def fold(self, state: CaseState) -> None:
            state.consents.append(
                Consent(
                    consent_id=self.consent_id,
                    given_by=self.given_by,
                    relation=self.relation,
                    purpose=self.purpose,
                    evidence=list(self.evidence),
                    recorded_by=self.actor.id,
                    recorded_at=self.occurred_at,
                )
            )

    def reconcile_identity(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        kept: MaskedValue,
        retired: MaskedValue,
        evidence: list[Evidence],
        **fields: Any,
    ) -> None:
        """Record that the applicant's registered number and another are one person's."""
        self._require_holder(actor)
        if not (isinstance(kept, MaskedValue) and isinstance(retired, MaskedValue)):
            raise RuleViolation(
                "identity.raw_id_number",
                "kept and retired are masked values with tokens (protect_identifiers makes them); "
                "a raw ID number is never recorded",
            )
        registered = self.state.applicant.id_number
        if registered is None:
            raise RuleViolation(
                "identity.applicant_without_id_number",
                "the applicant was registered without an ID number: nothing to reconcile with",
            )
        if kept.token == retired.token:
            raise RuleViolation("identity.same_number", "kept and retired are the same number")
        if registered.token not in (kept.token, retired.token):
            raise RuleViolation(
                "identity.not_the_applicant",
                "neither number is the applicant's registered one: reconcile on that person's case",
            )
        if self.state.identities:
            raise RuleViolation(
                "identity.already_reconciled",
                "this case already reconciled its applicant's number with another",
            )
        if not any(e.kind is EvidenceKind.SIGNED_STATEMENT for e in evidence):
            raise RuleViolation(
                "identity.statement_missing",
                "a reconciliation rests on the applicant's signed statement "
                f"(evidence of kind {EvidenceKind.SIGNED_STATEMENT}), whatever certificate is "
                "added to it",
            )
        self.trigger_event(
            self.IdentityReconciled,
            actor=actor,
            occurred_at=occurred_at,
            reconciliation_id=uuid4(),
            kept=kept,
            retired=retired,
            evidence=evidence,
            **fields,
        )

    def record_consent(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        given_by: str,
        purpose: str,
        evidence: list[Evidence],
        **fields: Any,
    ) -> None:
        """Record a consent; the giver's name is kept masked (the surname only)."""
        self._require_holder(actor)
        if not purpose.strip():
            raise RuleViolation("consent.purpose_missing", "a consent is to one stated purpose")
        if not given_by.strip():
            raise RuleViolation("consent.giver_missing", "given_by names who consented")
        if not evidence:
            raise RuleViolation(
                "consent.evidence_missing",
                "say how the consent was given (signed, or said to whom, in person or by phone)",
            )
        self.trigger_event(
            self.ConsentRecorded,
            actor=actor,
            occurred_at=occurred_at,
            consent_id=uuid4(),
            given_by=mask_name(given_by),
            purpose=purpose,
            evidence=evidence,
            **fields,
        )


def protect_identifiers(
    key: bytes, fields: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """An `IdentityReconciled` request's fields with its raw ID numbers replaced by masked values
    and tokens, and the raw numbers (canonical form) by token, for the vault. Other fields pass
    through; InvalidField names a number that is not one."""
    protected = dict(fields)
    raw: dict[str, str] = {}
    for field, name in RAW_ID_NUMBERS.items():
        if isinstance(value := protected.pop(field, None), str):
            canonical, masked = protect_id_number(key, field, value)
            protected[name] = masked
            raw[masked.token] = canonical
    return protected, raw


COMMANDS: dict[str, tuple[str, str | None]] = {
    "IdentityReconciled": ("reconcile_identity", None),
    "ConsentRecorded": ("record_consent", None),
}
TIMED: frozenset[str] = frozenset()
