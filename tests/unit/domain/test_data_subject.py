"""The data subject of a case: two ID numbers found to be one person's (seed 000: 王女士's father,
different 身份证号 in the 合肥 and 霍山 social-security records), and a family's consent (seed 004:
赵先生 agreed to his wife being photographed for her pension certification).

Given a case, when an identity reconciliation or a consent is appended, then it is recorded with
its evidence, holding no raw ID number, or the named rule refuses it and nothing changes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from ledger.domain.case import Case
from ledger.domain.data_subject.commands import protect_identifiers
from ledger.domain.data_subject.records import Evidence, EvidenceKind, Relation, VerifiedVia
from ledger.domain.errors import InvalidField, PersonalDataInText, RuleViolation
from ledger.domain.personal_data import protect_applicant, protect_id_number
from ledger.domain.values import Actor, Channel, Matter, Priority, Role
from ledger.store.events import MsgspecMapper

KEY = b"k" * 32
T0 = datetime(2025, 9, 16, 3, 30, tzinfo=UTC)
"""11:30 in 霍山, the day 王女士's family came (seed 000, "去年的一天")."""
HEFEI = "340102196503120316"  # the father's number in 合肥's records: registered, kept
HUOSHAN = "34152519650312033X"  # his number in 霍山's records: retired (注销)
SOMEONE_ELSE = "341525197001010020"

CLERK = Actor(id="rs-clerk-07", roles=(Role.CLERK,), unit="人社")
ELSEWHERE = Actor(id="sw-clerk-sun", roles=(Role.CLERK,), unit="税务")

STATEMENT = Evidence(
    kind=EvidenceKind.SIGNED_STATEMENT, issued_by="申请人本人", via=VerifiedVia.IN_PERSON
)
CERTIFICATE = Evidence(
    kind=EvidenceKind.CERTIFICATE,
    issued_by="户籍地乡镇派出所",
    via=VerifiedVia.WECHAT,
    reference="两个身份证号码系同一人的证明",
)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def new_case(id_number: str | None = HEFEI) -> Case:
    return Case.register(
        actor=CLERK,
        occurred_at=T0,
        case_no="HUOSHAN-2025-000031",
        channel=Channel.WINDOW,
        matter=Matter(code="SI-INFO-CANCEL", name="社会保险参保信息注销(身份信息有误)"),
        centre="huoshan",
        department="人社",
        window="2F-05",
        applicant=protect_applicant(KEY, name="王某", id_number=id_number, phone="13800000000"),
        priority=Priority.NORMAL,
        statutory_limit=None,
        promised_limit=None,
        parent_case_id=None,
    )


def reconciliation(kept: str = HEFEI, retired: str = HUOSHAN, **more: Any) -> dict[str, Any]:
    """The command's fields as `Ledger.append` passes them: the raw numbers protected."""
    fields, _ = protect_identifiers(
        KEY,
        {
            "kept_id_number": kept,
            "retired_id_number": retired,
            "evidence": [CERTIFICATE, STATEMENT],
            "note": "霍山社保记录的身份证号码有误, 已注销",
            **more,
        },
    )
    return fields


def refused(case: Case, event_type: str, actor: Actor = CLERK, **fields: Any) -> str:
    version, state = case.version, msgspec.json.encode(case.state)
    with pytest.raises(RuleViolation) as refusal:
        case.append(event_type, actor, at(20), **fields)
    assert (case.version, msgspec.json.encode(case.state)) == (version, state)
    return refusal.value.rule


# --- two ID numbers, one person -----------------------------------------------------------------


def test_a_reconciliation_records_both_numbers_masked_with_its_evidence() -> None:
    case = new_case()

    case.append("IdentityReconciled", CLERK, at(20), **reconciliation())

    [reconciled] = case.state.identities
    assert (reconciled.kept.masked, reconciled.retired.masked) == (
        "3401**********0316",
        "3415**********033X",
    )
    assert reconciled.kept.token == case.state.applicant.id_number.token  # type: ignore[union-attr]
    assert reconciled.retired == protect_id_number(KEY, "retired", HUOSHAN)[1]
    assert [e.kind for e in reconciled.evidence] == ["certificate", "signed_statement"]
    assert reconciled.reconciled_by == "rs-clerk-07"


def test_no_raw_id_number_is_in_the_stored_event() -> None:
    case = new_case()
    case.append("IdentityReconciled", CLERK, at(20), **reconciliation())
    [_, reconciled] = case.collect_events()

    stored = MsgspecMapper().to_stored_event(reconciled).state

    for raw in (HEFEI, HUOSHAN, HEFEI[6:14]):  # the whole numbers, and a birth date
        assert raw.encode() not in stored


def test_the_raw_numbers_come_back_only_for_the_vault_keyed_by_their_tokens() -> None:
    fields, raw = protect_identifiers(
        KEY, {"kept_id_number": HEFEI, "retired_id_number": "34152519650312033x", "note": None}
    )

    assert set(fields) == {"kept", "retired", "note"}
    assert raw == {
        fields["kept"].token: HEFEI,
        fields["retired"].token: HUOSHAN,  # canonical: the check character upper-cased
    }


def test_a_number_that_is_not_an_id_number_is_refused_naming_its_field() -> None:
    with pytest.raises(InvalidField) as refused_field:
        protect_identifiers(KEY, {"kept_id_number": HEFEI, "retired_id_number": "341525196503"})

    assert refused_field.value.field == "retired_id_number"


def test_a_raw_number_reaching_the_aggregate_is_refused() -> None:
    case = new_case()
    raw = {"kept": HEFEI, "retired": HUOSHAN, "evidence": [STATEMENT], "note": None}

    with pytest.raises(PersonalDataInText):
        case.append("IdentityReconciled", CLERK, at(20), **raw)
    assert refused(
        case,
        "IdentityReconciled",
        kept="3401",
        retired=protect_id_number(KEY, "r", HUOSHAN)[1],
        evidence=[STATEMENT],
    ) == ("identity.raw_id_number")


def test_a_reconciliation_needs_the_applicants_signed_statement() -> None:
    case = new_case()

    assert refused(case, "IdentityReconciled", **reconciliation(evidence=[CERTIFICATE])) == (
        "identity.statement_missing"
    )


def test_a_reconciliation_concerns_the_applicants_registered_number() -> None:
    case = new_case()

    assert refused(
        case, "IdentityReconciled", **reconciliation(kept=SOMEONE_ELSE, retired=HUOSHAN)
    ) == ("identity.not_the_applicant")


def test_the_registered_number_may_be_the_one_retired() -> None:
    case = new_case(id_number=HUOSHAN)

    case.append("IdentityReconciled", CLERK, at(20), **reconciliation())

    assert case.state.identities[0].retired.token == case.state.applicant.id_number.token  # type: ignore[union-attr]


def test_two_different_numbers_are_reconciled() -> None:
    case = new_case()

    assert refused(case, "IdentityReconciled", **reconciliation(retired=HEFEI)) == (
        "identity.same_number"
    )


def test_an_applicant_registered_without_an_id_number_has_nothing_to_reconcile() -> None:
    case = new_case(id_number=None)

    assert refused(case, "IdentityReconciled", **reconciliation()) == (
        "identity.applicant_without_id_number"
    )


def test_a_case_reconciles_its_applicant_once() -> None:
    case = new_case()
    case.append("IdentityReconciled", CLERK, at(20), **reconciliation())

    assert refused(case, "IdentityReconciled", **reconciliation(retired=SOMEONE_ELSE)) == (
        "identity.already_reconciled"
    )


def test_a_reconciliation_is_recorded_by_the_unit_holding_the_case() -> None:
    case = new_case()

    assert refused(case, "IdentityReconciled", ELSEWHERE, **reconciliation()) == (
        "case.not_held_by_unit"
    )


# --- consent ------------------------------------------------------------------------------------

SAID_BY_SPOUSE = Evidence(kind=EvidenceKind.VERBAL, issued_by="配偶", via=VerifiedVia.IN_PERSON)


def consent(**overrides: Any) -> dict[str, Any]:
    return {
        "given_by": "赵某",
        "relation": Relation.SPOUSE,
        "purpose": "为其妻养老保险待遇领取资格认证拍摄照片",
        "evidence": [
            Evidence(kind=EvidenceKind.VERBAL, issued_by="配偶", via=VerifiedVia.IN_PERSON)
        ],
        **overrides,
    }


def test_a_consent_records_who_their_relation_the_purpose_and_how_it_was_given() -> None:
    case = new_case()

    case.append("ConsentRecorded", CLERK, at(20), **consent())

    [given] = case.state.consents
    assert (given.given_by, given.relation, given.purpose) == (
        "赵*",  # masked: the surname only
        Relation.SPOUSE,
        "为其妻养老保险待遇领取资格认证拍摄照片",
    )
    assert [(e.kind, e.via) for e in given.evidence] == [("verbal", "in_person")]
    assert (given.recorded_by, given.recorded_at) == ("rs-clerk-07", at(20))


@pytest.mark.parametrize(
    ("overrides", "rule"),
    [
        ({"evidence": []}, "consent.evidence_missing"),
        ({"purpose": "  "}, "consent.purpose_missing"),
        ({"given_by": " "}, "consent.giver_missing"),
    ],
    ids=["no-evidence", "no-purpose", "no-giver"],
)
def test_a_consent_without_its_evidence_purpose_or_giver_is_refused(
    overrides: dict[str, Any], rule: str
) -> None:
    case = new_case()

    assert refused(case, "ConsentRecorded", **consent(**overrides)) == rule
