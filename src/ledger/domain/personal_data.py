"""Personal identifiers (身份证号, phone, bank card): validate, mask, tokenise with a keyed HMAC.

Events never hold a raw identifier. They hold a masked display value and an HMAC token, so cases
of one person can be found without the log ever being able to reveal who they are. A plain hash
would not do: an 18-digit ID number has so little entropy that it can be brute-forced.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import date

from ledger.domain.errors import InvalidField
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
        v = normalise_id_number(f"{field_prefix}.id_number", id_number)
        id_ref = protected("id_number", v, v[:4] + "*" * 10 + v[-4:])
    if phone is not None:
        v = normalise_phone(f"{field_prefix}.phone", phone)
        phone_ref = protected("phone", v, v[:3] + "****" + v[-4:])
    if bank_card is not None:
        v = normalise_bank_card(f"{field_prefix}.bank_card", bank_card)
        card_ref = protected("bank_card", v, f"{v[:4]} **** **** {v[-4:]}")
    return ApplicantRef(name=mask_name(name), id_number=id_ref, phone=phone_ref, bank_card=card_ref)
