"""Personal identifiers typed into free text: found (never echoed), and the command refused."""

from __future__ import annotations

import typing
from datetime import UTC, date, datetime, timedelta

import pytest
from eventsourcing.application import project_aggregate
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.case import Case, event_classes
from ledger.domain.errors import PersonalDataInText, RuleViolation
from ledger.domain.exceptions.records import Attendee, CreditCheck, CreditResult
from ledger.domain.personal_data import (
    NOT_FREE_TEXT,
    IdentifierKind,
    find_identifier,
    id_check_digit,
    protect_applicant,
    refuse_identifiers_in_text,
)
from ledger.domain.ratings.records import RatingDimension
from ledger.domain.values import Actor, Channel, Matter, Priority, Role

ID = IdentifierKind.ID_NUMBER
PHONE = IdentifierKind.PHONE
CARD = IdentifierKind.BANK_CARD

ID_NUMBER_X = "34010219900307138X"  # check digit X (GB 11643 MOD 11-2)
UNIONPAY = "6222021234561236"  # passes Luhn
UNIONPAY_19 = "6217000000000000004"  # passes Luhn

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
CLERK = Actor(id="clerk-7", roles=(Role.CLERK,), unit="人社")


def with_check_digit(first17: str) -> str:
    return first17 + id_check_digit(first17)


# --- the scanner ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (ID_NUMBER_X, ID),
        (ID_NUMBER_X.lower(), ID),
        ("11010519491231002X", ID),
        ("341525197001010020", ID),
        (f"身份证{ID_NUMBER_X}已核验", ID),
        ("身份证３４０１０２１９９００３０７１３８Ｘ已核验", ID),  # full-width digits and Ｘ
        ("身份证３４０１０２１９９００３０７１３８ｘ", ID),
        (f"申请人 {ID_NUMBER_X}, 电话 13800138000", ID),  # the first kind found is an ID
        ("13800138000", PHONE),
        ("联系电话13800138000请回电", PHONE),
        ("+86 138 0013 8000", PHONE),
        ("+86-138-0013-8000", PHONE),
        ("8613800138000", PHONE),
        ("0086 13800138000", PHONE),
        ("138-0013-8000", PHONE),
        ("138 0013 8000", PHONE),
        ("１３８００１３８０００", PHONE),  # full-width
        ("19912345678", PHONE),
        (UNIONPAY, CARD),
        ("6222 0212 3456 1236", CARD),
        ("6222-0212-3456-1236", CARD),
        (f"退款至银行卡{UNIONPAY}", CARD),
        (UNIONPAY_19, CARD),
        ("6217 0000 0000 0000 004", CARD),
        ("６２２２　０２１２　３４５６　１２３６", CARD),  # full-width digits and spaces
    ],
)
def test_an_identifier_in_text_is_found_by_kind(text: str, kind: IdentifierKind) -> None:
    assert find_identifier(text) is kind


@pytest.mark.parametrize(
    "text",
    [
        "",
        "申请人已补齐户口簿与身份证复印件",
        "340102199003071381",  # the check digit should be X
        "340102199003071231",  # wrong check digit (nor is it taken for a card)
        with_check_digit("34010219900230123"),  # 30 February, check digit right
        with_check_digit("34010219901301123"),  # month 13
        with_check_digit(f"340102{date.today() + timedelta(days=3):%Y%m%d}123"),  # not born yet
        "12345",
        "已转 12345 热线",
        "2024-03-15",
        "2024年03月15日 14:30",
        "20240315",
        "补缴金额 12,345.67 元",
        "¥1234567.89",
        "1380013800",  # 10 digits
        "0551-12345678",  # a landline
        "12800138000",  # 11 digits starting 12
        "10012345678",
        "138001380001",  # 12 digits
        "613800138000",  # a mobile inside a longer run
        "13800138000123",
        "6222021234561234",  # 16 digits failing Luhn
        "6222 0212 3456 1234",
        "62220212345612360",  # 17 digits failing Luhn
        "62220212345612361234",  # 20 digits
        "622202123456123612345678",  # 24 digits
        f"9{UNIONPAY}",  # a card inside a longer run
        f"{ID_NUMBER_X[:17]}1{ID_NUMBER_X[17]}",  # 19 characters around an ID's digits
        f"1{ID_NUMBER_X}",
        "HS2026030200017",  # a 12345 ticket number
        "HUOSHAN-2026-000017",  # a case number
        "会议纪要〔2026〕18号",
        "00000000-0000-4000-8000-000000000000",
        "13 个工作日内办结, 2 份材料",
    ],
)
def test_text_without_an_identifier_finds_nothing(text: str) -> None:
    assert find_identifier(text) is None


@pytest.mark.parametrize("born", ["18991231", "21000101"])
def test_a_birth_date_outside_1900_to_today_is_no_id_number(born: str) -> None:
    assert find_identifier(with_check_digit(f"340102{born}123")) is not ID


def test_an_id_number_born_today_is_found() -> None:
    today = date.today()
    assert find_identifier(with_check_digit(f"340102{today:%Y%m%d}123")) is ID


@settings(max_examples=200, deadline=None)
@given(
    born=st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)),
    region=st.from_regex(r"[1-8][0-9]{5}", fullmatch=True),
    sequence=st.from_regex(r"[0-9]{3}", fullmatch=True),
    before=st.text(alphabet="申请人身份证号码：已核验 ,", max_size=10),
    after=st.text(alphabet="申请人身份证号码：已核验 ,", max_size=10),
)
def test_any_valid_id_number_in_chinese_text_is_found(
    born: date, region: str, sequence: str, before: str, after: str
) -> None:
    number = with_check_digit(f"{region}{born:%Y%m%d}{sequence}")

    assert find_identifier(before + number + after) is ID
    assert find_identifier(before + number.lower() + after) is ID


@settings(max_examples=200, deadline=None)
@given(run=st.from_regex(r"[0-9]{20,40}", fullmatch=True))
def test_a_digit_run_of_twenty_or_more_is_never_an_identifier(run: str) -> None:
    assert find_identifier(run) is None


@settings(max_examples=200, deadline=None)
@given(text=st.text(st.characters(categories=("L", "P", "Z")), max_size=200))
def test_text_of_letters_punctuation_and_spaces_finds_nothing(text: str) -> None:
    assert find_identifier(text) is None


# --- the rule over a command's fields -------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "kind"),
    [
        ({"note": "电话 13800138000"}, "note", PHONE),
        ({"items": ["户口簿", "结婚证", f"身份证{ID_NUMBER_X}"]}, "items[2]", ID),
        ({"corrected": {"window": f"卡号 {UNIONPAY}"}}, "corrected.window", CARD),
        ({"corrected": {"13800138000": "2F-08"}}, "corrected", PHONE),  # a key: its dict's path
        (
            {
                "credit_check": CreditCheck(
                    result=CreditResult.CLEAR, source=ID_NUMBER_X, checked_at=T0
                )
            },
            "credit_check.source",
            ID,
        ),
        (
            {"attendees": [Attendee(id="a-1", role=Role.DEPARTMENT_HEAD, unit="13800138000")]},
            "attendees[0].unit",
            PHONE,
        ),
        ({"matter": Matter(code="SI-ARREARS", name=f"补缴 {ID_NUMBER_X}")}, "matter.name", ID),
    ],
)
def test_free_text_holding_an_identifier_is_refused_naming_the_field(
    fields: dict[str, object], field: str, kind: IdentifierKind
) -> None:
    with pytest.raises(PersonalDataInText) as refused:
        refuse_identifiers_in_text(fields)

    assert (refused.value.field, refused.value.kind) == (field, kind)
    assert refused.value.rule == "personal_data.in_free_text"
    assert isinstance(refused.value, RuleViolation)
    assert kind.label in refused.value.detail


@pytest.mark.parametrize("value", [ID_NUMBER_X, "13800138000", UNIONPAY])
def test_a_refusal_never_echoes_the_identifier(value: str) -> None:
    with pytest.raises(PersonalDataInText) as refused:
        refuse_identifiers_in_text({"note": f"见 {value}"})

    said = " ".join([str(refused.value), refused.value.detail, refused.value.field])
    assert value not in said
    assert value[-4:] not in said


def test_structured_identifiers_are_not_scanned() -> None:
    refuse_identifiers_in_text(
        {
            "case_no": "HUOSHAN-2026-000017",
            "centre": "huoshan",
            "matter": Matter(code=UNIONPAY, name="养老保险费补缴"),
            "applicant": protect_applicant(b"k" * 32, name="李某", id_number=ID_NUMBER_X),
            "ticket": UNIONPAY,
            "ticket_no": UNIONPAY_19,
            "master_ticket_no": "13800138000",
            "minutes_ref": UNIONPAY,
            "attendees": [Attendee(id="13800138000", role=Role.DEPARTMENT_HEAD)],
            "dimensions": {RatingDimension.OVERALL: 5},
            "channel": Channel.WINDOW,
            "priority": Priority.NORMAL,
            "note": "工单 HS2026030200017 于 2026-03-02 受理, 办件 HUOSHAN-2026-000017",
        }
    )


def test_an_exempt_name_is_exempt_only_where_it_is_listed() -> None:
    with pytest.raises(PersonalDataInText) as refused:
        refuse_identifiers_in_text({"corrected": {"ticket_no": "13800138000"}})

    assert refused.value.field == "corrected.ticket_no"


def test_every_exempt_path_names_a_field_some_event_has() -> None:
    fields = {
        name for cls in [Case.Registered, *event_classes()] for name in typing.get_type_hints(cls)
    }

    for path in NOT_FREE_TEXT:
        assert path.split(".")[0].removesuffix("[]") in fields, path


# --- where the rule applies: commands, never replay -----------------------------------------


def register(**overrides: object) -> Case:
    fields: dict[str, object] = {
        "case_no": "HUOSHAN-2026-000001",
        "channel": Channel.WINDOW,
        "matter": Matter(code="SI-ARREARS", name="养老保险费补缴"),
        "centre": "huoshan",
        "department": "人社",
        "window": "2F-07",
        "applicant": protect_applicant(b"k" * 32, name="李某", id_number="341525197001010020"),
        "priority": Priority.NORMAL,
        "statutory_limit": None,
        "promised_limit": None,
        "parent_case_id": None,
    }
    return Case.register(actor=CLERK, occurred_at=T0, **{**fields, **overrides})


def test_a_registration_with_an_identifier_in_its_window_is_refused() -> None:
    with pytest.raises(PersonalDataInText) as refused:
        register(window="13800138000")

    assert refused.value.field == "window"


def test_an_appended_command_with_an_identifier_records_nothing() -> None:
    case = register()
    case.collect_events()

    with pytest.raises(PersonalDataInText):
        case.append("MaterialsSupplied", CLERK, T0, items=["户口簿", f"身份证 {ID_NUMBER_X}"])

    assert case.version == 1
    assert case.collect_events() == []


def test_an_event_already_stored_with_an_identifier_still_replays() -> None:
    case = register()
    # as recorded before the rule: the command method itself, not the wire dispatch
    case.record_visit(
        actor=CLERK,
        occurred_at=T0 + timedelta(minutes=1),
        ticket=None,
        note=f"身份证 {ID_NUMBER_X}",
    )
    events = case.collect_events()

    replayed = project_aggregate(None, events)

    assert replayed is not None and replayed.version == 2
    assert replayed.state.visits == 1
