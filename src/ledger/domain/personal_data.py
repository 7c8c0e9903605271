"""Personal identifiers (身份证号, phone, bank card): validate, mask, tokenise with a keyed HMAC.

Events never hold a raw identifier. They hold a masked display value and an HMAC token, so cases
of one person can be found without the log ever being able to reveal who they are. A plain hash
would not do: an 18-digit ID number has so little entropy that it can be brute-forced.

Free text is the other way in: a clerk typing an ID number into a note. `find_identifier` spots
the three kinds in any string and `refuse_identifiers_in_text` refuses a command whose free text
holds one (`PersonalDataInText`, 422 `personal_data.in_free_text`): refused rather than masked,
so nobody's words are silently rewritten into an immutable record, and a false positive is seen
and rephrased by the person typing (docs/DECISIONS.md, "Personal identifiers in free text").
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from enum import Enum, StrEnum

import msgspec

from ledger.domain.errors import InvalidField, PersonalDataInText
from ledger.domain.values import ApplicantRef, MaskedValue

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"  # ISO 7064 MOD 11-2, as GB 11643-1999 prescribes
_ID_PATTERN = re.compile(r"^[1-9]\d{16}[\dX]$")
_PHONE_PATTERN = re.compile(r"^1[3-9]\d{9}$")
_CARD_PATTERN = re.compile(r"^\d{12,19}$")


def normalise_id_number(field: str, raw: str) -> str:
    """Return the canonical 18-character form, or refuse naming the field and what is wrong."""
    value = raw.strip().upper()
    if not _ID_PATTERN.match(value):
        raise InvalidField(field, "must be 18 characters: 17 digits then a digit or X")
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidField(field, "birth date segment is not a calendar date") from None
    if value[17] != id_check_digit(value[:17]):
        raise InvalidField(field, "check digit does not match (GB 11643 MOD 11-2)")
    return value


def id_check_digit(first17: str) -> str:
    """The 18th character of an ID number whose first 17 digits are given (GB 11643 MOD 11-2)."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def normalise_phone(field: str, raw: str) -> str:
    value = re.sub(r"[\s-]", "", raw).removeprefix("+86")
    if not _PHONE_PATTERN.match(value):
        raise InvalidField(field, "must be an 11-digit mainland mobile number")
    return value


def normalise_bank_card(field: str, raw: str) -> str:
    value = re.sub(r"[\s-]", "", raw)
    if not _CARD_PATTERN.match(value):
        raise InvalidField(field, "must be 12 to 19 digits")
    return value


def mask_name(name: str) -> str:
    """Keep the surname only: 李某 -> 李*, 欧阳娜娜 -> 欧***."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def token(key: bytes, kind: str, value: str) -> str:
    """Keyed token for finding one person's cases; `kind` separates ID numbers from phones."""
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def protect_applicant(
    key: bytes,
    *,
    name: str,
    id_number: str | None = None,
    phone: str | None = None,
    bank_card: str | None = None,
    field_prefix: str = "applicant",
) -> ApplicantRef:
    """Turn raw applicant identifiers into the masked-and-tokenised form the log may hold."""

    def protected(kind: str, value: str, masked: str) -> MaskedValue:
        return MaskedValue(masked=masked, token=token(key, kind, value))

    id_ref = phone_ref = card_ref = None
    if id_number is not None:
        id_ref = protect_id_number(key, f"{field_prefix}.id_number", id_number)[1]
    if phone is not None:
        v = normalise_phone(f"{field_prefix}.phone", phone)
        phone_ref = protected("phone", v, v[:3] + "****" + v[-4:])
    if bank_card is not None:
        v = normalise_bank_card(f"{field_prefix}.bank_card", bank_card)
        card_ref = protected("bank_card", v, f"{v[:4]} **** **** {v[-4:]}")
    return ApplicantRef(name=mask_name(name), id_number=id_ref, phone=phone_ref, bank_card=card_ref)


def protect_id_number(key: bytes, field: str, raw: str) -> tuple[str, MaskedValue]:
    """An ID number's canonical form (for the vault) and what the log may hold of it: the masked
    display value and its token, the applicant's and any other number of theirs alike."""
    v = normalise_id_number(field, raw)
    return v, MaskedValue(masked=v[:4] + "*" * 10 + v[-4:], token=token(key, "id_number", v))


# --- identifiers in free text -----------------------------------------------------------------


class IdentifierKind(StrEnum):
    """What `find_identifier` found, named as the applicant's structured field that takes it."""

    ID_NUMBER = "id_number"
    PHONE = "phone"
    BANK_CARD = "bank_card"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    IdentifierKind.ID_NUMBER: "身份证号 (ID number)",
    IdentifierKind.PHONE: "手机号 (mobile number)",
    IdentifierKind.BANK_CARD: "银行卡号 (bank card number)",
}

# Each is a whole digit run: never preceded or followed by another digit, so a 20-digit run, or
# an 11-digit piece of a longer number, is not taken for an identifier.
_ID_IN_TEXT = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")
_PHONE_IN_TEXT = re.compile(
    r"(?<![0-9])(?:(?:\+|00)?86[ -]?)?1[3-9][0-9](?:[ -]?[0-9]{4}){2}(?![0-9])"
)
_CARD_IN_TEXT = re.compile(
    r"(?<![0-9])(?:[0-9]{16,19}|[0-9]{4}(?:[ -][0-9]{4}){3}(?:[ -][0-9]{1,3})?)(?![0-9])"
)
_ID_SHAPE = re.compile(
    r"[1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]"
)
"""Region, a birth date's shape (year 19xx/20xx, month, day), sequence, check character."""
_GROUPING = re.compile(r"[ -]")
_EARLIEST_BIRTH = date(1900, 1, 1)


def find_identifier(text: str) -> IdentifierKind | None:
    """The kind of personal identifier `text` holds, if any; never the identifier itself.

    The text is NFKC-normalised first, so full-width digits and Ｘ (common in Chinese input) count.
    - 身份证号: 18 characters, a calendar birth date from 1900 to today and the GB 11643 check
      digit (X or x);
    - 手机号: 1[3-9] and 9 more digits, maybe after +86, 86 or 0086, maybe grouped 3-4-4 by spaces
      or hyphens;
    - 银行卡号: 16 to 19 digits, maybe grouped in fours, passing the Luhn check, and not shaped
      like an ID number (18 digits with a 19xx/20xx month and day where the birth date goes are
      judged as an ID number, check digit and all, so a mistyped one is not taken for a card).
    Dates, amounts, ticket numbers, 12345 and runs of other lengths are not identifiers.
    """
    text = unicodedata.normalize("NFKC", text)
    if any(_is_id_number(m.group()) for m in _ID_IN_TEXT.finditer(text)):
        return IdentifierKind.ID_NUMBER
    for m in _CARD_IN_TEXT.finditer(text):
        digits = _GROUPING.sub("", m.group())
        if _passes_luhn(digits) and not _ID_SHAPE.fullmatch(digits):
            return IdentifierKind.BANK_CARD
    if _PHONE_IN_TEXT.search(text):
        return IdentifierKind.PHONE
    return None


def _is_id_number(value: str) -> bool:
    """GB 11643: a calendar birth date from 1900 to today, and the MOD 11-2 check digit."""
    if not _ID_SHAPE.fullmatch(value):
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    # a day's slack: the server's date may still be yesterday in Beijing
    latest = date.today() + timedelta(days=1)
    return _EARLIEST_BIRTH <= born <= latest and value[17].upper() == id_check_digit(value[:17])


def _passes_luhn(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        n = int(digit) * (2 if position % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


NOT_FREE_TEXT = frozenset(
    {
        "applicant",  # Registered: masked name, masked identifiers and their tokens
        "case_no",  # Registered: issued by the centre's series (HUOSHAN-2026-000017)
        "centre",  # Registered: a configured centre id
        "matter.code",  # Registered: the catalogue's 事项 code
        "ticket",  # VisitRecorded: the queue or appointment number (叫号 / 预约号)
        "ticket_no",  # HotlineEscalationReceived: the hotline system's 工单号
        "master_ticket_no",  # HotlineMerged: the master order's 工单号
        "minutes_ref",  # ExceptionLayerDecided: the 会议纪要 number
        "attendees[].id",  # ExceptionLayerDecided: staff ids, as credentials carry them
        "acting_for",  # ExceptionLayerDecided: the staff id of the holder stood in for (AB岗)
        "executed_by",  # ExceptionRatificationRequested: the staff id of who set the rule aside
        "kept.token",  # IdentityReconciled: HMAC tokens (64 hex digits) of the two ID numbers
        "retired.token",
    }
)
"""Command fields that are structured identifiers, not free text, so they are never scanned:
numbers other systems issue can be long digit runs that look like a card or a phone. As paths:
`a.b` a struct's field, `a[]` any item of a list (a dict's keys and values are always scanned).
Enum values are not scanned either, nor are ids, times and numbers (they are not strings); the
actor comes from the credential, not a body."""


def refuse_identifiers_in_text(fields: Mapping[str, object]) -> None:
    """Refuse a command any of whose free-text strings holds a personal identifier.

    `fields` are the command's fields as they enter the aggregate (`Case.register`, `Case.append`);
    every string in them is scanned, through structs, lists and dicts (keys too), except the
    paths in `NOT_FREE_TEXT`. Commands only: replaying stored events never comes here."""
    for name, value in fields.items():
        for path, text in _free_text(value, name, name):
            if kind := find_identifier(text):
                raise PersonalDataInText(path, kind)


def _free_text(value: object, path: str, shape: str) -> Iterator[tuple[str, str]]:
    """Every free-text string in `value` with its path as a problem names it (`items[2]`,
    `credit_check.source`, `corrected.window`; a dict's key by the dict's own path)."""
    if shape in NOT_FREE_TEXT or isinstance(value, Enum):
        return
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, msgspec.Struct):
        for name in value.__struct_fields__:
            yield from _free_text(getattr(value, name), f"{path}.{name}", f"{shape}.{name}")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _free_text(key, path, "")
            yield from _free_text(item, f"{path}.{key}", "")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _free_text(item, f"{path}[{index}]", f"{shape}[]")
