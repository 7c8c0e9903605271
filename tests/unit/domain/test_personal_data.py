"""Personal identifiers: validated, masked and tokenised before any event can hold them."""

from __future__ import annotations

import hashlib
import re

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain.errors import InvalidField
from ledger.domain.personal_data import (
    mask_name,
    normalise_bank_card,
    normalise_id_number,
    normalise_phone,
    protect_applicant,
    token,
)

KEY = b"k" * 32
OTHER_KEY = b"q" * 32
ID_NUMBER = "341525197001010020"
ID_NUMBER_X = "11010519491231002X"
PHONE = "13800000000"
BANK_CARD = "6222021234561234"


# --- 身份证号 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [ID_NUMBER, ID_NUMBER_X])
def test_a_valid_id_number_is_accepted_as_it_is(raw: str) -> None:
    assert normalise_id_number("applicant.id_number", raw) == raw


def test_an_id_number_with_a_lowercase_x_and_spaces_is_normalised() -> None:
    assert normalise_id_number("applicant.id_number", " 11010519491231002x ") == ID_NUMBER_X


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("341525197001010021", "check digit"),
        ("110105194912310021", "check digit"),
        ("341525197001010029", "check digit"),
        ("34152519700230002X", "calendar date"),  # 30 February, check digit right
        ("341525197013010028", "calendar date"),  # month 13, check digit right
        ("34152519700101002", "18 characters"),  # 17 characters
        ("3415251970010100200", "18 characters"),  # 19 characters
        ("041525197001010020", "18 characters"),  # leading zero
        ("34152519700101002Y", "18 characters"),
        ("3415251970O1010020", "18 characters"),  # letter O for zero
        ("", "18 characters"),
    ],
)
def test_an_invalid_id_number_is_refused_naming_the_field(raw: str, why: str) -> None:
    with pytest.raises(InvalidField) as refused:
        protect_applicant(KEY, name="李某", id_number=raw)

    assert refused.value.field == "applicant.id_number"
    assert why in refused.value.detail
    assert raw == "" or raw not in str(refused.value)  # the message does not echo the value


def test_the_refused_field_carries_the_prefix_it_was_given() -> None:
    with pytest.raises(InvalidField) as refused:
        protect_applicant(KEY, name="李某", id_number="341525197001010021", field_prefix="agent")

    assert refused.value.field == "agent.id_number"


# --- phones and bank cards --------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["13800000000", "+86 138-0000-0000", "138 0000 0000"])
def test_a_mainland_mobile_number_is_normalised(raw: str) -> None:
    assert normalise_phone("applicant.phone", raw) == PHONE


@pytest.mark.parametrize("raw", ["12800000000", "1380000000", "138000000000", "0551-1234567"])
def test_an_invalid_phone_is_refused_naming_the_field(raw: str) -> None:
    with pytest.raises(InvalidField) as refused:
        protect_applicant(KEY, name="李某", phone=raw)

    assert refused.value.field == "applicant.phone"


@pytest.mark.parametrize("raw", ["6222 0212 3456 1234", "6222-0212-3456-1234"])
def test_a_bank_card_is_normalised(raw: str) -> None:
    assert normalise_bank_card("applicant.bank_card", raw) == BANK_CARD


@pytest.mark.parametrize("raw", ["62220212345", "62220212345612345678", "6222O21234561234"])
def test_an_invalid_bank_card_is_refused_naming_the_field(raw: str) -> None:
    with pytest.raises(InvalidField) as refused:
        protect_applicant(KEY, name="李某", bank_card=raw)

    assert refused.value.field == "applicant.bank_card"


# --- masking ----------------------------------------------------------------------------------


def test_identifiers_are_masked_to_their_display_forms() -> None:
    applicant = protect_applicant(
        KEY, name="李某", id_number=ID_NUMBER, phone=PHONE, bank_card=BANK_CARD
    )

    assert applicant.name == "李*"
    assert applicant.id_number is not None and applicant.id_number.masked == "3415**********0020"
    assert applicant.phone is not None and applicant.phone.masked == "138****0000"
    assert applicant.bank_card is not None
    assert applicant.bank_card.masked == "6222 **** **** 1234"


@pytest.mark.parametrize(
    ("name", "masked"),
    [("李某", "李*"), ("欧阳娜娜", "欧***"), ("李", "李*"), (" 王小明 ", "王**"), ("", "")],
)
def test_a_name_keeps_only_its_surname(name: str, masked: str) -> None:
    assert mask_name(name) == masked


def test_identifiers_not_given_are_absent() -> None:
    applicant = protect_applicant(KEY, name="李某")

    assert (applicant.id_number, applicant.phone, applicant.bank_card) == (None, None, None)


# --- tokens -----------------------------------------------------------------------------------


def test_a_token_is_a_keyed_sha256_hex_digest() -> None:
    assert re.fullmatch(r"[0-9a-f]{64}", token(KEY, "id_number", ID_NUMBER))


def test_the_same_key_and_value_give_the_same_token() -> None:
    first = protect_applicant(KEY, name="李某", id_number=ID_NUMBER, phone=PHONE)
    again = protect_applicant(KEY, name="李女士", id_number=ID_NUMBER, phone="+86 138 0000 0000")

    assert first.id_number is not None and again.id_number is not None
    assert first.id_number.token == again.id_number.token
    assert first.phone is not None and again.phone is not None
    assert first.phone.token == again.phone.token


def test_a_different_key_gives_a_different_token() -> None:
    assert token(KEY, "id_number", ID_NUMBER) != token(OTHER_KEY, "id_number", ID_NUMBER)


def test_a_token_is_not_a_plain_hash_of_the_value() -> None:
    plain = {
        hashlib.sha256(ID_NUMBER.encode()).hexdigest(),
        hashlib.sha256(f"id_number:{ID_NUMBER}".encode()).hexdigest(),
    }

    assert token(KEY, "id_number", ID_NUMBER) not in plain


def test_kinds_of_identifier_are_tokenised_apart() -> None:
    assert token(KEY, "id_number", "13800000000") != token(KEY, "phone", "13800000000")
    assert token(KEY, "phone", "622202123456") != token(KEY, "bank_card", "622202123456")


def test_an_id_number_written_with_a_lowercase_x_gets_the_same_token() -> None:
    upper = protect_applicant(KEY, name="张某", id_number=ID_NUMBER_X)
    lower = protect_applicant(KEY, name="张某", id_number=ID_NUMBER_X.lower())

    assert upper.id_number is not None and lower.id_number is not None
    assert upper.id_number.token == lower.id_number.token
    assert upper.id_number.token == token(KEY, "id_number", ID_NUMBER_X)


def test_different_people_get_different_tokens() -> None:
    li = protect_applicant(KEY, name="李某", id_number=ID_NUMBER)
    zhang = protect_applicant(KEY, name="张某", id_number=ID_NUMBER_X)

    assert li.id_number is not None and zhang.id_number is not None
    assert li.id_number.token != zhang.id_number.token


# --- nothing raw reaches the log --------------------------------------------------------------


def test_no_raw_identifier_appears_in_the_encoded_applicant() -> None:
    encoded = msgspec.json.encode(
        protect_applicant(KEY, name="李某某", id_number=ID_NUMBER, phone=PHONE, bank_card=BANK_CARD)
    ).decode()

    for raw in ("李某某", "某", ID_NUMBER, "19700101", PHONE, BANK_CARD, "02123456"):
        assert raw not in encoded


@settings(max_examples=100, deadline=None)
@given(
    phone=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
    card=st.from_regex(r"[0-9]{12,19}", fullmatch=True),
    given_name=st.text(alphabet="明华国建军丽娟", min_size=1, max_size=3),
)
def test_no_raw_phone_card_or_given_name_survives_encoding(
    phone: str, card: str, given_name: str
) -> None:
    encoded = msgspec.json.encode(
        protect_applicant(KEY, name="王" + given_name, phone=phone, bank_card=card)
    ).decode()

    assert phone not in encoded
    assert card not in encoded
    assert given_name not in encoded
