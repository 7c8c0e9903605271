"""The data-subject events as `POST /cases/{id}/events` takes them: an identity reconciliation
(two ID numbers, one person) and a consent, each with its evidence."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from ledger.api.schemas.case_events import EventRequest
from ledger.api.schemas.fields import Name, RawIdentifier, Strict, Text
from ledger.domain.data_subject.records import Evidence, EvidenceKind, Relation, VerifiedVia


class EvidenceIn(Strict):
    """One piece of evidence (`Evidence` in the event): the fact and its channel, never the
    artefact itself (a WeChat image, a paper slip)."""

    kind: EvidenceKind
    issued_by: Name
    via: VerifiedVia
    reference: Name | None = None

    def to_domain(self) -> Evidence:
        return Evidence(
            kind=self.kind, issued_by=self.issued_by, via=self.via, reference=self.reference
        )


EvidenceList = Annotated[list[EvidenceIn], Meta(min_length=1, max_length=10)]


class IdentityReconciled(EventRequest, tag=True, kw_only=True):
    """The applicant's registered ID number and another are one person's. Both raw numbers are
    masked and tokenised before anything is recorded; the other one is sealed into the
    personal-data vault under the applicant's key (`GET /cases/{id}/personal-data`)."""

    kept_id_number: RawIdentifier  # the number kept
    retired_id_number: RawIdentifier  # the number retired (e.g. cancelled in a 社保 register)
    evidence: EvidenceList  # the applicant's signed statement among it
    note: Text | None = None


class ConsentRecorded(EventRequest, tag=True, kw_only=True):
    """Consent to one use of the applicant's data, by them or a relative; the name is masked."""

    given_by: Name
    relation: Relation
    purpose: Text
    evidence: EvidenceList
