"""Errors the ledger raises; the API maps each class to one status code, once."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:  # personal_data raises these errors, so it is imported for typing only
    from ledger.domain.personal_data import IdentifierKind


class LedgerError(Exception):
    """Base of every error the ledger raises on purpose."""


class RuleViolation(LedgerError):
    """A domain rule refused the command; `rule` is the stable name clients match on."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"{rule}: {detail}")
        self.rule = rule
        self.detail = detail


class InvalidField(LedgerError):
    """A well-formed request carried a value that cannot be right (e.g. a bad ID check digit)."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(f"{field}: {detail}")
        self.field = field
        self.detail = detail


class NotPermitted(LedgerError):
    """The credential's roles may not do this."""

    def __init__(self, action: str, roles: tuple[str, ...], allowed: tuple[str, ...]) -> None:
        # str(): a StrEnum's repr in a list would read <Role.CLERK: 'clerk'>
        names, allowed_names = [str(r) for r in roles], [str(r) for r in allowed]
        super().__init__(f"roles {names} may not {action}; allowed: {allowed_names}")
        self.action = action
        self.roles = roles
        self.allowed = allowed


class OutOfScope(LedgerError):
    """A request named a centre its credential does not cover (tenancy)."""

    def __init__(self, field: str, centre: str, scope: list[str]) -> None:
        super().__init__(f"{field} {centre!r} is outside this credential's centres {scope}")
        self.field = field
        self.centre = centre
        self.scope = scope


class CaseNotFoundError(LedgerError):
    def __init__(self, case_id: UUID) -> None:
        super().__init__(f"no case {case_id}")
        self.case_id = case_id


class VersionNotFoundError(LedgerError):
    def __init__(self, case_id: UUID, version: int, current: int) -> None:
        super().__init__(f"case {case_id} has no version {version} (current {current})")
        self.case_id = case_id
        self.version = version
        self.current = current


class PreconditionFailed(LedgerError):
    """If-Match named a version that is no longer current."""

    def __init__(self, case_id: UUID, expected: int, current: int) -> None:
        super().__init__(f"case {case_id} is at version {current}, not {expected}")
        self.case_id = case_id
        self.expected = expected
        self.current = current


class ConcurrencyConflict(LedgerError):
    """Another writer appended to the case between our read and our write."""

    def __init__(self, case_id: UUID | None, current: int | None) -> None:
        super().__init__(f"case {case_id} changed concurrently (now at version {current})")
        self.case_id = case_id
        self.current = current


class IdempotencyKeyReused(LedgerError):
    """The Idempotency-Key was used before for a different request."""

    def __init__(self, key: str) -> None:
        super().__init__(f"Idempotency-Key {key!r} was already used for a different request")
        self.key = key


class PersonalDataInText(RuleViolation):
    """Free text held what looks like a 身份证号, mobile or bank-card number: refused, not masked,
    so the person typing rephrases or uses the applicant's structured fields. Neither the
    message nor any attribute holds the value itself."""

    def __init__(self, field: str, kind: IdentifierKind) -> None:
        super().__init__(
            "personal_data.in_free_text",
            f"{field} holds what looks like a {kind.label}; free text must not carry personal "
            "identifiers: rephrase it, and put identifiers in the applicant's "
            "structured fields (applicant.id_number, applicant.phone, applicant.bank_card), "
            "where they are masked and tokenised",
        )
        self.field = field
        self.kind = kind
