"""What the data-subject events build: an identity reconciliation (two ID numbers, one person)
and a consent, each with the evidence it rests on (domain-brief §7, design items 5 to 7)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import msgspec

from ledger.domain.values import MaskedValue


class EvidenceKind(StrEnum):
    SIGNED_STATEMENT = "signed_statement"  # the person's own signature (当事人签字确认)
    CERTIFICATE = "certificate"  # an authority's 证明, e.g. the 户籍地派出所's
    VERBAL = "verbal"  # said to the staff member recording it, nothing signed


class VerifiedVia(StrEnum):
    """How the evidence reached the centre (domain-brief §7 design 7): the fact is recorded, the
    channel's own artefact (a WeChat image, a paper slip) never is."""

    IN_PERSON = "in_person"
    PHONE = "phone"
    WECHAT = "wechat"
    ONLINE = "online"
    MAIL = "mail"
    DATA_SHARING = "data_sharing"


class Evidence(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    kind: EvidenceKind
    issued_by: str  # who signed, issued or said it: 申请人本人, 户籍地乡镇派出所, 配偶
    via: VerifiedVia
    reference: str | None = None  # the document's own number, if it has one


class Relation(StrEnum):
    """The consenting person's relation to the data subject."""

    SELF = "self"
    SPOUSE = "spouse"  # 配偶
    PARENT = "parent"
    CHILD = "child"
    GUARDIAN = "guardian"  # 监护人
    OTHER_RELATIVE = "other_relative"
    AGENT = "agent"  # 受托人, with an authorisation


class IdentityReconciliation(msgspec.Struct, kw_only=True):
    """Two ID numbers found to be one person's: the one kept, and the one retired (e.g. cancelled
    in a 社保 register), as masked values and tokens only."""

    reconciliation_id: UUID
    kept: MaskedValue
    retired: MaskedValue
    evidence: list[Evidence]
    note: str | None
    reconciled_by: str
    reconciled_at: datetime


class Consent(msgspec.Struct, kw_only=True):
    """Consent to one use of the data subject's data, by them or a relative on their behalf."""

    consent_id: UUID
    given_by: str  # masked name, e.g. 赵*
    relation: Relation
    purpose: str
    evidence: list[Evidence]
    recorded_by: str
    recorded_at: datetime
