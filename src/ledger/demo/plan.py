"""What the demo loads, as data: each case is a list of HTTP writes by named staff at set times.

Stories and the synthetic month both produce `CasePlan`s; only the loader speaks HTTP. A plan's
steps are deterministic (same input, same bodies), because a step's Idempotency-Key is derived
from the plan's key and the step's index: a second run sends identical requests and gets the
original receipts back. Ids the server mints (a hand-off's, an extension's, an exception's) are
not known in advance, so a body names them with `MINTED` and the loader fills in the one the case
last got; a body names another plan's case (a 12345 duplicate merged into its master order) with
`CaseOf`, filled in from that case's registration. The builders below (`register`, `event`,
`clerk`, `id_number`) are the ones both producers share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from ledger.domain.personal_data import id_check_digit

BEIJING = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class Staff:
    """An actor as their bearer token names them."""

    id: str
    roles: tuple[str, ...]
    unit: str | None


@dataclass(frozen=True)
class Minted:
    """A placeholder for an id the server minted earlier in the same case (e.g. `handoff_id`)."""

    name: str


@dataclass(frozen=True)
class CaseOf:
    """A placeholder for the id of another plan's case, by the plan's key: the loaders register
    a centre's cases in date order, so it names an earlier case of the same centre."""

    key: str


MINTED_HANDOFF = Minted("handoff_id")
MINTED_EXTENSION = Minted("extension_id")
MINTED_EXCEPTION = Minted("exception_id")
MINTED_TICKET = Minted("ticket_id")
MINTED_REPORT = Minted("report_id")
MINTED_ROOT_CAUSE = Minted("root_cause_id")
MINTED_ACTION = Minted("action_id")
MINTED_RATING = Minted("rating_id")
MINTED_NAMES = (
    "handoff_id",
    "extension_id",
    "exception_id",
    "commitment_id",
    "ticket_id",
    "report_id",
    "root_cause_id",
    "action_id",
    "rating_id",
)
"""The ids a write's receipt may carry, by name, for later steps' `Minted` placeholders."""


@dataclass(frozen=True)
class Step:
    """One write: `body` of `POST /cases` (first step) or `POST /cases/{id}/events` (the rest)."""

    by: Staff
    at: datetime
    body: dict[str, Any]


@dataclass(frozen=True)
class CasePlan:
    """A case from registration on; `key` (ASCII) makes its Idempotency-Keys."""

    key: str
    story: str  # "000 霍山" or "synthetic"
    steps: tuple[Step, ...]
    note: str = field(default="", compare=False)  # what the case shows, for humans

    @property
    def registered_at(self) -> datetime:
        return self.steps[0].at

    @property
    def centre(self) -> str:
        return str(self.steps[0].body["centre"])


def at(moment: str) -> datetime:
    """'2026-02-10 10:50' in Beijing time."""
    return datetime.fromisoformat(moment).replace(tzinfo=BEIJING)


def register(by: Staff, moment: datetime | str, **body: Any) -> Step:
    return Step(by, moment if isinstance(moment, datetime) else at(moment), body)


def event(by: Staff, moment: datetime | str, type: str, **body: Any) -> Step:
    when = moment if isinstance(moment, datetime) else at(moment)
    return Step(by, when, {"type": type, **body})


def clerk(actor_id: str, unit: str) -> Staff:
    return Staff(actor_id, ("clerk",), unit)


def id_number(region: str, birth: str, sequence: str) -> str:
    """A valid 18-digit 身份证号: region (6), birth date (8), sequence (3), GB 11643 check digit."""
    first17 = region + birth + sequence
    return first17 + id_check_digit(first17)
