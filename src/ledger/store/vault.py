"""The personal-data vault (migrations/0013_personal_data_vault.sql): an applicant's raw
identifiers, sealed under their data subject's own key; read back only for a stated purpose, each
read recorded in the same transaction; erased by destroying the subject's key (crypto-shredding).

The application role keeps and discloses values (`Vault`); only the owner role erases (`erase`,
through `ledger_pi_erase()`). The cryptography is `vault_crypto`'s. The events never see any of
this: they hold the masked values and HMAC tokens `ledger.domain.personal_data` makes, and the
subject id here is the token of the subject's ID number (of the phone when there is none).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

import msgspec
import psycopg
import structlog
from psycopg.rows import class_row, tuple_row

from ledger.domain.personal_data import (
    normalise_bank_card,
    normalise_id_number,
    normalise_phone,
)
from ledger.domain.values import ApplicantRef
from ledger.store.vault_crypto import (
    VaultKeyError,
    master_key_id,
    new_data_key,
    seal,
    unseal,
    unwrap_key,
    wrap_key,
)
from ledger.store.vault_records import (
    Disclosure,
    Erasure,
    NoPersonalData,
    PersonalDataErased,
    Reader,
    ReadRecord,
    SubjectRecord,
    VaultError,
)

log = structlog.get_logger("ledger.vault")

Connect = Callable[[], AbstractContextManager[psycopg.Connection[Any]]]
"""Where the vault's connections come from: the request pool, or `psycopg.connect(conninfo)`."""

KINDS = ("name", "id_number", "phone", "bank_card", "other_id_number")

_staged = threading.local()


class RawApplicant(msgspec.Struct, frozen=True, kw_only=True):
    """An applicant's raw identifiers, normalised as their tokens were computed."""

    name: str
    id_number: str | None = None
    phone: str | None = None
    bank_card: str | None = None
    other_id_number: str | None = None  # another number of the same person (IdentityReconciled)

    def values(self) -> dict[str, str]:
        return {k: v for k in KINDS if (v := getattr(self, k))}


class Staged(NamedTuple):
    applicant: ApplicantRef
    raw: RawApplicant


def stage(
    applicant: ApplicantRef,
    *,
    name: str,
    id_number: str | None = None,
    phone: str | None = None,
    bank_card: str | None = None,
) -> None:
    """Hold the raw values `applicant` was made from, in this thread, for `take_staged`: the one
    place they wait between masking (`Ledger.protect_applicant`) and the vault (`register_case`).
    Only the latest applicant of a thread is held."""
    _staged.pending = Staged(
        applicant,
        RawApplicant(
            name=name.strip(),
            id_number=id_number and normalise_id_number("applicant.id_number", id_number),
            phone=phone and normalise_phone("applicant.phone", phone),
            bank_card=bank_card and normalise_bank_card("applicant.bank_card", bank_card),
        ),
    )


def take_staged(applicant: object) -> Staged | None:
    """The raw values staged for exactly this `ApplicantRef` object (none for another), and
    forget them."""
    pending: Staged | None = getattr(_staged, "pending", None)
    _staged.pending = None
    return pending if pending is not None and pending.applicant is applicant else None


def subject_of(applicant: ApplicantRef) -> str | None:
    """The data subject: the token of their ID number, else of their phone; None without both."""
    ref = applicant.id_number or applicant.phone
    return ref.token if ref is not None else None


_SUBJECT_KEY = (
    "SELECT wrapped_key, master_key_id, erased_at FROM ledger_pi_subjects WHERE subject = %s"
)
_NEW_SUBJECT = (
    "INSERT INTO ledger_pi_subjects (subject, wrapped_key, master_key_id) VALUES (%s, %s, %s) "
    "ON CONFLICT (subject) DO NOTHING"
)
_KEEP = (
    "INSERT INTO ledger_pi_values (case_id, kind, subject, nonce, ciphertext) "
    "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (case_id, kind) DO NOTHING"
)
# One statement, so one snapshot: the subject's key and the case's values, or the erasure.
_FIND = (
    "SELECT s.wrapped_key, s.master_key_id, s.erased_at, v.kind, v.nonce, v.ciphertext, "
    "v.recorded_at FROM ledger_pi_subjects s LEFT JOIN ledger_pi_values v "
    "ON v.subject = s.subject AND v.case_id = %s WHERE s.subject = %s ORDER BY v.kind"
)
_LOG_READ = (
    "INSERT INTO ledger_pi_reads (actor_id, roles, unit, case_id, subject, kinds, purpose, "
    "request_id, outcome) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING read_id, read_at"
)


class Keeper:
    """Seals one applicant's raw values under their subject's key, for the case registered."""

    def __init__(self, connect: Connect, subject: str, data_key: bytes, raw: RawApplicant) -> None:
        self._connect = connect
        self.subject = subject
        self._data_key = data_key
        self._raw = raw

    def keep(self, case_id: UUID) -> int:
        """Store the values for `case_id` (a retry for the same case adds nothing); the number
        of values stored, 0 when the subject was erased meanwhile."""
        rows = [
            (case_id, kind, self.subject, *seal(self._data_key, self.subject, kind, case_id, value))
            for kind, value in self._raw.values().items()
        ]
        try:
            with self._connect() as conn, conn.transaction(), conn.cursor() as cur:
                cur.executemany(_KEEP, rows)
        except psycopg.errors.ObjectNotInPrerequisiteState:
            log.warning("pi.not_kept", case_id=str(case_id), reason="subject erased")
            return 0
        log.debug("pi.kept", case_id=str(case_id), kinds=[row[1] for row in rows])
        return len(rows)


class Vault:
    """The application role's side of the vault: keep values, disclose them (logged)."""

    def __init__(self, connect: Connect, master_key: bytes) -> None:
        self._connect = connect
        self._master = master_key
        self._key_id = master_key_id(master_key)

    def keeper(self, staged: Staged | None) -> Keeper | None:
        """A keeper for the staged applicant's values under their subject's key (made on first
        sight, reused after); None when nothing is to be kept: no raw values, no subject (no ID
        number and no phone), or a subject erased (an erasure is final, see docs/DECISIONS.md)."""
        subject = subject_of(staged.applicant) if staged else None
        if staged is None or subject is None or not staged.raw.values():
            return None
        with self._connect() as conn, conn.cursor(row_factory=tuple_row) as cur:
            row = cur.execute(_SUBJECT_KEY, (subject,)).fetchone()
            if row is None:
                wrapped = wrap_key(self._master, subject, new_data_key())
                cur.execute(_NEW_SUBJECT, (subject, wrapped, self._key_id))
                row = cur.execute(_SUBJECT_KEY, (subject,)).fetchone()
        assert row is not None
        wrapped_key, key_id, erased_at = row
        if erased_at is not None:
            log.warning("pi.not_kept", subject=subject[:12], reason="subject erased")
            return None
        return Keeper(
            self._connect, subject, self._unwrap(subject, wrapped_key, key_id), staged.raw
        )

    def disclose(self, case_id: UUID, subject: str | None, reader: Reader) -> Disclosure:
        """The case's raw values, decrypted, with the read recorded in the same transaction.
        A read of an erased subject (`PersonalDataErased`) or of none (`NoPersonalData`) is
        recorded too before it is refused."""
        with self._connect() as conn, conn.transaction(), conn.cursor(row_factory=tuple_row) as cur:
            rows = cur.execute(_FIND, (case_id, subject)).fetchall() if subject else []
            erased_at = rows[0][2] if rows else None
            values: dict[str, str] = {}
            if rows and erased_at is None:
                key = self._unwrap(subject or "", rows[0][0], rows[0][1])
                for *_, kind, nonce, ciphertext, _at in rows:
                    if kind is not None:
                        values[kind] = unseal(key, subject or "", kind, case_id, nonce, ciphertext)
            outcome = "erased" if erased_at else "disclosed" if values else "none"
            read_id, read_at = self._log(cur, case_id, subject, reader, outcome, sorted(values))
        self._note(read_id, case_id, subject, reader, outcome, sorted(values))
        if erased_at is not None:
            raise PersonalDataErased(case_id, erased_at)
        if not values:
            raise NoPersonalData(case_id)
        assert subject is not None
        return Disclosure(
            case_id=case_id,
            subject=subject,
            values=values,
            recorded_at=max(row[6] for row in rows if row[6] is not None),
            read_id=read_id,
            read_at=read_at,
        )

    def refuse(self, case_id: UUID, reader: Reader) -> int:
        """Record a read refused to the reader's roles; its read id."""
        with self._connect() as conn, conn.transaction(), conn.cursor(row_factory=tuple_row) as cur:
            read_id = self._log(cur, case_id, None, reader, "refused", [])[0]
        self._note(read_id, case_id, None, reader, "refused", [])
        return read_id

    def subject(self, subject: str) -> SubjectRecord | None:
        return subject_record(self._connect, subject)

    def _unwrap(self, subject: str, wrapped: bytes, key_id: str) -> bytes:
        if key_id != self._key_id:
            raise VaultKeyError(
                f"subject {subject[:12]}…'s key was wrapped under master key {key_id}; this "
                f"process has {self._key_id} (LEDGER_VAULT_KEY / secrets/vault.key)"
            )
        return unwrap_key(self._master, subject, bytes(wrapped))

    @staticmethod
    def _log(
        cur: psycopg.Cursor[Any],
        case_id: UUID,
        subject: str | None,
        reader: Reader,
        outcome: str,
        kinds: Sequence[str],
    ) -> tuple[int, datetime]:
        row = cur.execute(
            _LOG_READ,
            (
                reader.actor_id,
                list(reader.roles),
                reader.unit,
                case_id,
                subject,
                list(kinds),
                reader.purpose,
                reader.request_id,
                outcome,
            ),
        ).fetchone()
        assert row is not None
        return row[0], row[1]

    @staticmethod
    def _note(
        read_id: int,
        case_id: UUID,
        subject: str | None,
        reader: Reader,
        outcome: str,
        kinds: Sequence[str],
    ) -> None:
        """The `pi.read` line, once the read's record is committed."""
        log.info(
            "pi.read",
            read_id=read_id,
            outcome=outcome,
            case_id=str(case_id),
            subject=subject,
            kinds=list(kinds),
            actor=reader.actor_id,
            roles=list(reader.roles),
            unit=reader.unit,
            purpose=reader.purpose,
        )


def subject_record(connect: Connect, subject: str) -> SubjectRecord | None:
    with connect() as conn, conn.cursor(row_factory=class_row(SubjectRecord)) as cur:
        return cur.execute(
            "SELECT subject, master_key_id, created_at, erased_at, erased_by, erasure_reason "
            "FROM ledger_pi_subjects WHERE subject = %s",
            (subject,),
        ).fetchone()


def cases_of(connect: Connect, subject: str) -> list[UUID]:
    """The cases whose raw values the vault holds for the subject."""
    with connect() as conn, conn.cursor(row_factory=tuple_row) as cur:
        rows = cur.execute(
            "SELECT DISTINCT case_id FROM ledger_pi_values WHERE subject = %s ORDER BY case_id",
            (subject,),
        ).fetchall()
    return [row[0] for row in rows]


def reads(
    connect: Connect, *, case_id: UUID | None = None, subject: str | None = None
) -> list[ReadRecord]:
    """The access log, oldest first: of one case, of one subject, or both filters at once."""
    with connect() as conn, conn.cursor(row_factory=class_row(ReadRecord)) as cur:
        return cur.execute(
            "SELECT read_id, read_at, actor_id, roles, unit, case_id, subject, kinds, purpose, "
            "request_id, outcome FROM ledger_pi_reads "
            "WHERE (%(case)s::uuid IS NULL OR case_id = %(case)s::uuid) "
            "AND (%(subject)s::text IS NULL OR subject = %(subject)s::text) ORDER BY read_id",
            {"case": case_id, "subject": subject},
        ).fetchall()


def erase(owner: Connect, subject: str, *, erased_by: str, reason: str) -> Erasure:
    """Destroy the subject's wrapped key and values, recording who and why (the owner's
    `ledger_pi_erase()`); the application role cannot."""
    try:
        with owner() as conn, conn.cursor(row_factory=tuple_row) as cur:
            row = cur.execute(
                "SELECT erased_at, values_destroyed FROM ledger_pi_erase(%s, %s, %s)",
                (subject, erased_by, reason),
            ).fetchone()
    except (
        psycopg.errors.NoDataFound,
        psycopg.errors.ObjectNotInPrerequisiteState,
        psycopg.errors.InvalidParameterValue,
    ) as e:
        raise VaultError(e.diag.message_primary or str(e)) from None
    assert row is not None
    return Erasure(
        subject=subject,
        erased_at=row[0],
        erased_by=erased_by,
        reason=reason,
        values_destroyed=row[1],
    )
