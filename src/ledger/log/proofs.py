"""Approval proofs: one exception's decisions and checks, with its case's events as evidence.

`build_approval_proof` answers `GET /exceptions/{id}/proof`: the case's bundle (every event as
stored, each with its inclusion proof against one signed checkpoint), and what the pure functions
of `ledger.domain.exceptions.proof` derive from those very events. `verify_approval_proof` is what
`ledger verify PROOF.json` runs offline: it checks the bundle against the log's public key, decodes
the stored payloads itself, and recomputes the description and every check, so an auditor trusts
only the key, never the server's verdicts.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import StoredEvent

from ledger.domain.exceptions.proof import ExceptionDescription, describe_exception, involves
from ledger.domain.exceptions.proof_checks import CHECKS_V1, Check, check_exception
from ledger.domain.permissions import require_read
from ledger.domain.values import Actor
from ledger.log.bundles import CaseBundle
from ledger.log.errors import AuditNotFound, NotSealedYet
from ledger.log.verify import PinnedVerifiers, Report, Witnesses, check_bundle
from ledger.store.events import MsgspecMapper

PROOF_FORMAT = "case-ledger-approval-proof/2"
PROOF_FORMAT_V1 = "case-ledger-approval-proof/1"
"""Release 0.1.0's format: ten checks (`CHECKS_V1`), without executor_not_approver, acting_for and
after_the_fact; a proof an auditor holds in it is verified against those ten."""
CASE_TOPIC = "ledger.domain.case:Case."
"""The only topics a proof's events may name: the verifier resolves nothing else."""


class ExceptionNotFound(AuditNotFound):
    """No such exception (on this case, or in the exceptions view)."""


class Evidence(msgspec.Struct, kw_only=True):
    bundle: CaseBundle
    versions: list[int]
    """The case versions that concern the exception (all of the case's events are in `bundle`,
    since the description needs the registration and the order of events)."""


class ApprovalProof(msgspec.Struct, kw_only=True):
    format: str
    exception_id: UUID
    case_id: UUID
    checked_at: datetime
    """The moment the checks were made (open commitments past it count as not kept)."""
    passed: bool
    checks: list[Check]
    exception: ExceptionDescription
    evidence: Evidence


_mapper = MsgspecMapper()


def decode_events(bundle: CaseBundle) -> list[Any]:
    """The bundle's stored payloads as domain events; ValueError naming the event that fails."""
    events = []
    for event in bundle.events:
        where = f"version {event.version} (leaf {event.leaf_index}, position {event.position})"
        if event.payload is None or event.topic is None:
            raise ValueError(f"{where}: the stored event is missing")
        if not event.topic.startswith(CASE_TOPIC):
            raise ValueError(f"{where}: topic {event.topic!r} is not a case event")
        try:
            payload = base64.b64decode(event.payload, validate=True)
            stored = StoredEvent(
                originator_id=bundle.case_id,
                originator_version=event.version,
                topic=event.topic,
                state=payload,
            )
            events.append(_mapper.to_domain_event(stored))
        except (binascii.Error, msgspec.DecodeError, ValueError, TypeError) as e:
            raise ValueError(f"{where}: the payload does not decode as {event.topic} ({e})") from e
        except Exception as e:  # an unresolvable topic is a failure, not a crash
            raise ValueError(f"{where}: topic {event.topic!r} does not resolve ({e})") from e
    return events


def build_approval_proof(
    ledger: Any, case_id: UUID, exception_id: UUID, actor: Actor, now: datetime
) -> ApprovalProof:
    """The proof of `exception_id` on case `case_id` (`ledger`: the application's `Ledger`).

    NotSealedYet when the notary has not yet sealed every event that concerns the exception;
    ExceptionNotFound when the case holds no such exception.
    """
    require_read(actor.roles)
    bundle = ledger.bundle(case_id, actor)
    events = decode_events(bundle)
    history = ledger.history(case_id, actor)
    involved = [e.originator_version for _, e in history if involves(e, exception_id)]
    if not involved:
        raise ExceptionNotFound(f"no exception {exception_id} on case {case_id}")
    sealed = max((e.version for e in bundle.events), default=0)
    if max(involved) > sealed:
        raise NotSealedYet(
            f"case {case_id} version {max(involved)} is not in a signed checkpoint yet"
        )
    description = describe_exception(events, exception_id)
    checks = check_exception(events, exception_id, now)
    return ApprovalProof(
        format=PROOF_FORMAT,
        exception_id=exception_id,
        case_id=case_id,
        checked_at=now,
        passed=all(c.passed for c in checks),
        checks=checks,
        exception=description,
        evidence=Evidence(bundle=bundle, versions=description.versions),
    )


def is_approval_proof(data: bytes) -> bool:
    class _Format(msgspec.Struct):
        format: str = ""

    try:
        return msgspec.json.decode(data, type=_Format).format in (PROOF_FORMAT, PROOF_FORMAT_V1)
    except msgspec.DecodeError:
        return False


@dataclass
class ProofReport(Report):
    """A bundle report, plus the recomputed checks; `failed_checks` do not make it unverified."""

    checks: list[Check] = field(default_factory=list)

    @property
    def failed_checks(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]


def verify_approval_proof(
    data: bytes,
    verifier: PinnedVerifiers,
    *,
    witnesses: Witnesses | None = None,
    since: str | None = None,
) -> ProofReport:
    """Check the proof's bundle as `ledger verify` checks any bundle (keys, witnesses, `since`,
    completeness), then recompute the exception's checks from its events."""
    report = ProofReport()
    try:
        proof = msgspec.json.decode(data, type=ApprovalProof)
    except msgspec.DecodeError as e:
        report.failures.append(f"proof: not an approval proof ({e})")
        return report
    if proof.format not in (PROOF_FORMAT, PROOF_FORMAT_V1):
        report.failures.append(f"proof: unknown format {proof.format!r}")
        return report
    bundle = proof.evidence.bundle
    check_bundle(bundle, verifier, report, witnesses=witnesses, since=since)
    if bundle.case_id != proof.case_id or proof.exception.case_id != proof.case_id:
        report.failures.append("proof: its case differs from the bundle's")
    try:
        events = decode_events(bundle)
        description = describe_exception(events, proof.exception_id)
        checks = check_exception(events, proof.exception_id, proof.checked_at)
    except (ValueError, LookupError) as e:
        report.failures.append(f"proof: {e}")
        return report
    if proof.format == PROOF_FORMAT_V1:
        checks = [c for c in checks if c.name in CHECKS_V1]
        if newer := _newer_than_v1(description):
            report.failures.append(
                f"proof: format /1 (release 0.1.0) cannot hold {newer}, which the checks it "
                "leaves out judge"
            )
    report.checks = checks
    _compare(report, proof, description, checks)
    report.checked.append(
        f"exception {proof.exception_id}: {len(checks)} checks recomputed from "
        f"{len(events)} events (versions {description.versions})"
    )
    return report


def _newer_than_v1(description: ExceptionDescription) -> str | None:
    """What release 0.1.0 could not have written about an exception, if the events hold it: a
    request after the fact, or a layer decided by a deputy (AB岗)."""
    if description.after_the_fact:
        return "an exception asked after the fact"
    if any(d.acting_for for d in description.decisions):
        return "a layer decided acting for another (AB岗)"
    return None


def _compare(
    report: ProofReport,
    proof: ApprovalProof,
    description: ExceptionDescription,
    checks: list[Check],
) -> None:
    claimed = {c.name: c for c in proof.checks}
    for check in checks:
        said = claimed.pop(check.name, None)
        if said is None:
            report.failures.append(f"check {check.name}: missing from the proof")
        elif (said.passed, said.reason) != (check.passed, check.reason):
            report.failures.append(
                f"check {check.name}: the proof claims passed={said.passed} ({said.reason}), "
                f"the events give passed={check.passed} ({check.reason})"
            )
    for name in claimed:
        report.failures.append(f"check {name}: claimed by the proof but not a check")
    if proof.passed != all(c.passed for c in checks):
        report.failures.append(f"proof: claims passed={proof.passed}, the checks say otherwise")
    encode = msgspec.json.encode
    if encode(proof.exception) != encode(description):
        report.failures.append("proof: its description of the exception differs from the events")
    if proof.evidence.versions != description.versions:
        report.failures.append(
            f"proof: lists versions {proof.evidence.versions}, the events {description.versions}"
        )
