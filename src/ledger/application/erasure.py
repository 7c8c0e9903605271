"""Erasing a data subject's raw values from the personal-data vault (`ledger pi erase`).

The retention rule comes first: every case whose raw values the vault holds for the subject is
closed (completed or refused), and `Settings.pi_retention_years` have passed since it closed
(PIPL Art. 19: kept no longer than needed; Art. 47: erased once the purpose is met, unless a
legal retention period still runs, the office's 保管期限表). Before that, an erasure is refused,
rule `pi.retention_not_met`, unless an override names why it may not wait: the purpose is met
early (`purpose-met`), or a legal order (`legal-order`); an override needs a reason. Then the
owner role destroys the subject's key and values and records who, when and why
(`ledger.store.vault.erase`). The event log is not touched.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime, timezone
from uuid import UUID

import psycopg
import structlog

from ledger.application.service import Ledger
from ledger.domain.errors import CaseNotFoundError
from ledger.domain.state import CaseState
from ledger.domain.values import Actor, Role
from ledger.store.vault import cases_of, erase, subject_of, subject_record
from ledger.store.vault_records import Erasure

log = structlog.get_logger("ledger.vault")

OVERRIDES = ("purpose-met", "legal-order")
"""Why an erasure may come before the retention rule is met; each needs a reason."""

ERASER = Actor(id="ledger-pi-erase", roles=(Role.AUDITOR,))
"""Who reads the subject's cases for the retention rule: reading, never writing."""


class ErasureRefused(Exception):
    """An erasure refused before anything was destroyed; `rule` names why."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"{rule}: {detail}")
        self.rule = rule
        self.detail = detail


def subject_of_case(ledger: Ledger, case_id: UUID) -> str:
    """The data subject a case was registered for (from its `Registered` event)."""
    try:
        case = ledger.get_case(case_id, ERASER, version=1)
    except CaseNotFoundError:
        raise ErasureRefused("pi.case_unknown", f"no case {case_id}") from None
    if (subject := subject_of(case.state.applicant)) is None:
        raise ErasureRefused(
            "pi.no_subject", f"case {case_id} was registered without an ID number or phone"
        )
    return subject


def retention_ends(closed_at: datetime, years: int) -> datetime:
    """The moment `years` after `closed_at` (29 February moves to 28 February)."""
    try:
        return closed_at.replace(year=closed_at.year + years)
    except ValueError:
        return closed_at.replace(year=closed_at.year + years, day=28)


def retention_refusals(
    cases: Mapping[UUID, CaseState | None], now: datetime, years: int
) -> list[str]:
    """Why the retention rule is not met yet, one line per case holding it back; empty when it
    is. A case the vault names but the log does not (None: its registration failed after its
    values were kept) holds nothing back."""
    refusals = []
    for case_id, state in sorted(cases.items(), key=lambda item: str(item[0])):
        if state is None:
            continue
        if not state.status.is_closed or state.closed_at is None:
            refusals.append(f"case {state.case_no} ({case_id}) is still open ({state.status})")
        elif (ends := retention_ends(state.closed_at, years)) > now:
            refusals.append(
                f"case {state.case_no} ({case_id}) closed on {state.closed_at.date()}: kept "
                f"until {ends.date()} ({years} years, LEDGER_PI_RETENTION_YEARS)"
            )
    return refusals


def erase_subject(
    ledger: Ledger,
    subject: str,
    *,
    erased_by: str,
    reason: str | None = None,
    override: str | None = None,
    now: datetime | None = None,
) -> Erasure:
    """Check the retention rule (or take the override and its reason), then erase as the owner."""
    connect = ledger.store.datastore.get_connection
    record = subject_record(connect, subject)
    if record is None:
        raise ErasureRefused("pi.subject_unknown", f"the vault holds no subject {subject}")
    if record.erased_at is not None:
        raise ErasureRefused(
            "pi.already_erased",
            f"subject {subject} was erased at {record.erased_at.isoformat()} by "
            f"{record.erased_by}: {record.erasure_reason}",
        )
    reason = (reason or "").strip()
    years = ledger.settings.pi_retention_years
    if override is not None:
        if override not in OVERRIDES:
            raise ErasureRefused("pi.override_unknown", f"override must be one of {OVERRIDES}")
        if not reason:
            raise ErasureRefused("pi.reason_required", f"an erasure by {override} needs a reason")
        reason = f"{override}: {reason}"
    else:
        states = {case_id: _state(ledger, case_id) for case_id in cases_of(connect, subject)}
        at = now or datetime.now(timezone.utc)  # noqa: UP017
        if refusals := retention_refusals(states, at, years):
            raise ErasureRefused(
                "pi.retention_not_met",
                "; ".join(refusals) + " (erase earlier only with --override and --reason)",
            )
        reason = reason or f"retention met: every case closed {years}+ years ago"
    owner = functools.partial(psycopg.connect, ledger.database.owner_conninfo)
    erasure = erase(owner, subject, erased_by=erased_by, reason=reason)
    log.info(
        "pi.erased",
        subject=subject,
        erased_by=erased_by,
        reason=reason,
        override=override,
        values_destroyed=erasure.values_destroyed,
    )
    return erasure


def _state(ledger: Ledger, case_id: UUID) -> CaseState | None:
    try:
        return ledger.get_case(case_id, ERASER).state
    except CaseNotFoundError:
        return None
