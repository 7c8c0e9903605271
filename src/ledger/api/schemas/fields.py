"""The constrained scalars every request shares, and `Strict`: a request refuses unknown fields.

Every free-text value a request carries (bodies and query parameters alike) is `PLAIN`: no control
character but tab, newline and carriage return. A NUL cannot be stored in a PostgreSQL text column,
so one that reached the log would stop every view that folds it, for ever; the other controls
(C0, DEL, C1) have no place in a name, a note or an opinion either. The check is msgspec's
`pattern`, so it is in the OpenAPI document too, and a refusal is a 400 naming the field's path.

Dates are bounded the same way for every request: `FIRST_DAY`..`LAST_DAY` (`DATE_RANGE`), the
domain's earliest business time up to the end of 2100; a date outside is a 400 naming the field or
parameter, never an overflow deeper down.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from ledger.domain.case import EARLIEST_OCCURRED_AT

PLAIN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
"""Any text without control characters (Unicode Cc) other than tab, newline and carriage return."""
PLAIN_MESSAGE = "must not contain control characters (tab, newline and carriage return are allowed)"
"""What a client is told when a value breaks `PLAIN` (instead of msgspec's regex)."""

Text = Annotated[str, Meta(min_length=1, max_length=2000, pattern=PLAIN)]
Name = Annotated[str, Meta(min_length=1, max_length=100, pattern=PLAIN)]
Item = Annotated[str, Meta(min_length=1, max_length=200, pattern=PLAIN)]
Items = Annotated[list[Item], Meta(min_length=1, max_length=100)]
RawIdentifier = Annotated[str, Meta(max_length=32, pattern=PLAIN)]
"""An applicant's raw 身份证号, phone or bank card: checked and tokenised, never stored."""
When = Annotated[datetime, Meta(tz=True)]


class ConfiguredCentre:
    """Marks `Centre` so the OpenAPI document lists the configured centres as its enum."""


CENTRE_PATTERN = r"^[a-z][a-z0-9_-]*$"
Centre = Annotated[
    str, Meta(min_length=1, max_length=40, pattern=CENTRE_PATTERN), ConfiguredCentre()
]
"""A centre id: one a policy file lists (`policies/time-limits/*.toml` `centres`)."""

FIRST_DAY = EARLIEST_OCCURRED_AT.date()
"""1990-01-01: no service-centre record is older (the domain refuses an earlier occurred_at)."""
LAST_DAY = date(2100, 12, 31)
DATE_RANGE = (FIRST_DAY, LAST_DAY)
"""The one range every date and time a request gives must fall in (Beijing dates)."""
_FIRST_MOMENT = EARLIEST_OCCURRED_AT
_AFTER_LAST_MOMENT = datetime(2101, 1, 1, tzinfo=EARLIEST_OCCURRED_AT.tzinfo)


def out_of_range(value: date | datetime) -> str | None:
    """Why `value` is outside `DATE_RANGE`, or None. Aware times compare without converting, so
    year 1 in any offset cannot overflow here."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            inside = FIRST_DAY <= value.date() <= LAST_DAY
        else:
            inside = _FIRST_MOMENT <= value < _AFTER_LAST_MOMENT
    else:
        inside = FIRST_DAY <= value <= LAST_DAY
    if inside:
        return None
    return f"must be from {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}"


def check_range(**values: date | datetime | None) -> None:
    """For a wire struct's `__post_init__`: a ValueError naming the first field out of range
    (msgspec reports it as a validation error at the struct's path)."""
    for name, value in values.items():
        if value is not None and (why := out_of_range(value)):
            raise ValueError(f"field `{name}` {why}")


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Unknown fields are refused: a misspelt field must not silently vanish."""
