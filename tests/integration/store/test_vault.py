"""The personal-data vault on PostgreSQL: registration seals the raw identifiers under the
subject's key (reused, idempotent), the application role can neither erase, nor un-erase, nor
rewrite the read log, and an erasure waits for the retention rule unless overridden with a reason.
"""

from __future__ import annotations

import functools
import random
from datetime import datetime, timezone
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest

from ledger.application.erasure import ErasureRefused, erase_subject, subject_of_case
from ledger.application.service import Ledger, WriteKey
from ledger.domain.personal_data import id_check_digit
from ledger.domain.values import Channel, Matter, Outcome, Priority
from ledger.store.vault import Vault, reads, stage, subject_of, take_staged
from ledger.store.vault_records import NoPersonalData, PersonalDataErased, Reader
from tests.conftest import actor
from tests.views_support import module_scoped_ledger

database, ledger = module_scoped_ledger()

CLERK = actor("clerk-vault", "clerk", unit="人社")
READER = Reader(actor_id="clerk-vault", roles=("clerk",), unit="人社", purpose="回电核实")
PHONE = "13912345678"
CARD = "6222020200112233445"
LONG_AGO = datetime(2012, 3, 1, 2, 0, tzinfo=timezone.utc)  # noqa: UP017


def new_id_number() -> str:
    """A valid 身份证号 no other test uses (random birth date and sequence)."""
    first17 = (
        f"340104{random.randint(1950, 1999)}{random.randint(1, 12):02d}"
        f"{random.randint(1, 28):02d}{random.randint(0, 999):03d}"
    )
    return first17 + id_check_digit(first17)


def register(
    ledger: Ledger,
    id_number: str | None,
    *,
    at: datetime | None = None,
    key: WriteKey | None = None,
    **raw: str,
) -> UUID:
    applicant = ledger.protect_applicant(name=raw.pop("name", "李四"), id_number=id_number, **raw)
    return ledger.register_case(
        CLERK,
        centre="huoshan",
        occurred_at=at,
        write_key=key,
        channel=Channel.WINDOW,
        matter=Matter(code="SI-ARREARS", name="养老保险费补缴"),
        department="人社",
        window="2F-07",
        applicant=applicant,
        priority=Priority.NORMAL,
        statutory_limit=None,
        promised_limit=None,
        parent_case_id=None,
    ).case_id


def complete(ledger: Ledger, case_id: UUID, at: datetime | None = None) -> None:
    ledger.append(case_id, CLERK, "Accepted", occurred_at=at)
    ledger.append(case_id, CLERK, "Completed", occurred_at=at, outcome=Outcome.GRANTED)


def vault(ledger: Ledger) -> Vault:
    return Vault(ledger.store.datastore.get_connection, ledger.settings.vault_key)


def rows(conninfo: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(conninfo) as conn:
        return conn.execute(sql, params).fetchall()


def subject_of_id(ledger: Ledger, case_id: UUID) -> str:
    return subject_of_case(ledger, case_id)


# --- the write path -----------------------------------------------------------------------------


def test_registering_seals_the_raw_identifiers_under_the_subjects_key(ledger: Ledger) -> None:
    id_number = new_id_number()

    case_id = register(ledger, id_number, name="李四", phone=PHONE, bank_card=CARD)

    owner = ledger.database.owner_conninfo
    stored = rows(
        owner, "SELECT kind, ciphertext FROM ledger_pi_values WHERE case_id = %s", case_id
    )
    assert sorted(kind for kind, _ in stored) == ["bank_card", "id_number", "name", "phone"]
    for _, ciphertext in stored:
        assert id_number.encode() not in ciphertext and PHONE.encode() not in ciphertext
    events = rows(owner, "SELECT state FROM ledger_events WHERE originator_id = %s", case_id)
    assert all(
        id_number.encode() not in bytes(s) and CARD.encode() not in bytes(s) for (s,) in events
    )
    disclosed = vault(ledger).disclose(case_id, subject_of_id(ledger, case_id), READER)
    assert disclosed.values == {
        "name": "李四",
        "id_number": id_number,
        "phone": PHONE,
        "bank_card": CARD,
    }


def test_the_vault_keeps_values_as_normalised_for_their_tokens(ledger: Ledger) -> None:
    id_number = new_id_number()

    case_id = register(ledger, id_number.lower(), phone="+86 139-1234-5678")

    disclosed = vault(ledger).disclose(case_id, subject_of_id(ledger, case_id), READER)
    assert disclosed.values["id_number"] == id_number.upper()
    assert disclosed.values["phone"] == PHONE


def test_a_subject_seen_before_reuses_its_key(ledger: Ledger) -> None:
    id_number = new_id_number()
    first = register(ledger, id_number)
    subject = subject_of_id(ledger, first)
    owner = ledger.database.owner_conninfo
    [(key_before,)] = rows(
        owner, "SELECT wrapped_key FROM ledger_pi_subjects WHERE subject = %s", subject
    )

    second = register(ledger, id_number, phone=PHONE)

    [(key_after,)] = rows(
        owner, "SELECT wrapped_key FROM ledger_pi_subjects WHERE subject = %s", subject
    )
    assert key_after == key_before
    assert subject_of_id(ledger, second) == subject
    assert vault(ledger).disclose(second, subject, READER).values["phone"] == PHONE


def test_a_phone_is_the_subject_when_there_is_no_id_number(ledger: Ledger) -> None:
    case_id = register(ledger, None, phone=f"137{random.randint(0, 99_999_999):08d}")

    registered = ledger.get_case(case_id, CLERK, version=1).state.applicant

    assert subject_of(registered) == registered.phone.token  # type: ignore[union-attr]
    assert vault(ledger).disclose(case_id, subject_of(registered), READER).values["phone"]


def test_a_case_registered_with_a_name_only_has_nothing_in_the_vault(ledger: Ledger) -> None:
    case_id = register(ledger, None)

    with pytest.raises(NoPersonalData):
        vault(ledger).disclose(case_id, None, READER)
    [last] = reads(ledger.store.datastore.get_connection, case_id=case_id)
    assert last.outcome == "none" and last.purpose == "回电核实"


def test_keeping_again_for_the_same_case_changes_nothing(ledger: Ledger) -> None:
    applicant = ledger.protect_applicant(name="王五", id_number=new_id_number())
    keeper = vault(ledger).keeper(take_staged(applicant))
    assert keeper is not None
    case_id = uuid4()
    keeper.keep(case_id)
    owner = ledger.database.owner_conninfo
    query = "SELECT kind, nonce, ciphertext FROM ledger_pi_values WHERE case_id = %s ORDER BY kind"
    before = rows(owner, query, case_id)

    keeper.keep(case_id)

    assert rows(owner, query, case_id) == before


def test_a_retried_registration_with_its_idempotency_key_keeps_one_set_of_values(
    ledger: Ledger,
) -> None:
    id_number = new_id_number()
    key = WriteKey(key=f"vault-{uuid4()}", digest="d")

    first = register(ledger, id_number, key=key)
    again = register(ledger, id_number, key=key)

    assert again == first
    subject = subject_of_id(ledger, first)
    kept = rows(
        ledger.database.owner_conninfo,
        "SELECT DISTINCT case_id FROM ledger_pi_values WHERE subject = %s",
        subject,
    )
    assert kept == [(first,)]


def test_values_staged_for_another_applicant_are_not_kept(ledger: Ledger) -> None:
    other = ledger.protect_applicant(name="赵六", id_number=new_id_number())
    stage(other, name="赵六")
    applicant = ledger.protect_applicant(name="钱七", id_number=new_id_number())
    stage(other, name="赵六")  # the thread's slot now holds another applicant's values

    assert take_staged(applicant) is None
    assert take_staged(other) is None  # taken once: the slot is empty


# --- the grants, as an attacker holding the application role -----------------------------------


@pytest.fixture(scope="module")
def erased(ledger: Ledger) -> tuple[UUID, str, str]:
    """A case whose subject was erased (by override, its case still open), and their ID number."""
    id_number = new_id_number()
    case_id = register(ledger, id_number, phone=PHONE)
    subject = subject_of_id(ledger, case_id)
    erase_subject(
        ledger, subject, erased_by="dpo", reason="court order 2026-7", override="legal-order"
    )
    return case_id, subject, id_number


@pytest.fixture(scope="module")
def live(ledger: Ledger) -> tuple[UUID, str]:
    """A case with values in the vault, read once."""
    case_id = register(ledger, new_id_number())
    subject = subject_of_id(ledger, case_id)
    vault(ledger).disclose(case_id, subject, READER)
    return case_id, subject


@pytest.mark.parametrize(
    "attack",
    [
        "UPDATE ledger_pi_reads SET purpose = 'nothing to see'",
        "DELETE FROM ledger_pi_reads",
        "TRUNCATE ledger_pi_reads",
        "UPDATE ledger_pi_subjects SET erased_at = NULL, erased_by = NULL, erasure_reason = NULL",
        "DELETE FROM ledger_pi_values",
        "DELETE FROM ledger_pi_subjects",
        "SELECT * FROM ledger_pi_erase(repeat('a', 64), 'app', 'because')",
    ],
)
def test_the_application_role_cannot_rewrite_the_vault(
    ledger: Ledger, erased: tuple[UUID, str, str], live: tuple[UUID, str], attack: str
) -> None:
    with (
        psycopg.connect(ledger.database.app_conninfo) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(attack)


def test_the_application_role_cannot_restore_an_erased_key(
    ledger: Ledger, erased: tuple[UUID, str, str]
) -> None:
    _, subject, _ = erased
    with (
        psycopg.connect(ledger.database.app_conninfo) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(
            "UPDATE ledger_pi_subjects SET wrapped_key = %s, erased_at = NULL, erased_by = NULL, "
            "erasure_reason = NULL WHERE subject = %s",
            (bytes(60), subject),
        )
    with (
        psycopg.connect(ledger.database.app_conninfo) as conn,
        pytest.raises(psycopg.errors.UniqueViolation),
    ):
        conn.execute(
            "INSERT INTO ledger_pi_subjects (subject, wrapped_key, master_key_id) "
            "VALUES (%s, %s, %s)",
            (subject, bytes(60), "0" * 16),
        )


def test_nobody_adds_values_under_an_erased_subject(
    ledger: Ledger, erased: tuple[UUID, str, str]
) -> None:
    _, subject, _ = erased
    with (
        psycopg.connect(ledger.database.app_conninfo) as conn,
        pytest.raises(psycopg.errors.ObjectNotInPrerequisiteState),
    ):
        conn.execute(
            "INSERT INTO ledger_pi_values (case_id, kind, subject, nonce, ciphertext) "
            "VALUES (%s, 'phone', %s, %s, %s)",
            (uuid4(), subject, bytes(12), bytes(32)),
        )


def test_even_the_owner_cannot_undo_an_erasure_or_delete_a_live_value(
    ledger: Ledger, erased: tuple[UUID, str, str], live: tuple[UUID, str]
) -> None:
    _, subject, _ = erased
    live_case, live_subject = live
    owner = ledger.database.owner_conninfo
    with psycopg.connect(owner) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(
            "UPDATE ledger_pi_subjects SET wrapped_key = %s, erased_at = NULL, erased_by = NULL, "
            "erasure_reason = NULL WHERE subject = %s",
            (bytes(60), subject),
        )
    with psycopg.connect(owner) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("DELETE FROM ledger_pi_values WHERE case_id = %s", (live_case,))
    with psycopg.connect(owner) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(
            "UPDATE ledger_pi_subjects SET wrapped_key = %s WHERE subject = %s",
            (bytes(60), live_subject),
        )


def test_a_read_is_stamped_with_the_servers_time_not_the_callers(ledger: Ledger) -> None:
    with psycopg.connect(ledger.database.app_conninfo) as conn:
        (read_at,) = conn.execute(
            "INSERT INTO ledger_pi_reads (read_at, actor_id, roles, case_id, purpose, outcome) "
            "VALUES ('2001-01-01Z', 'x', '{clerk}', %s, 'p', 'none') RETURNING read_at",
            (uuid4(),),
        ).fetchone()

    assert read_at.year >= 2026


# --- erasure and the retention rule -------------------------------------------------------------


def test_an_erased_subjects_values_are_gone_and_a_read_says_when(
    ledger: Ledger, erased: tuple[UUID, str, str]
) -> None:
    case_id, subject, _ = erased

    with pytest.raises(PersonalDataErased) as gone:
        vault(ledger).disclose(case_id, subject, READER)

    record = vault(ledger).subject(subject)
    assert record is not None and record.erased_at == gone.value.erased_at
    assert (record.erased_by, record.erasure_reason) == ("dpo", "legal-order: court order 2026-7")
    owner = ledger.database.owner_conninfo
    assert rows(owner, "SELECT 1 FROM ledger_pi_values WHERE subject = %s", subject) == []
    assert rows(
        owner, "SELECT wrapped_key FROM ledger_pi_subjects WHERE subject = %s", subject
    ) == [(None,)]
    assert reads(ledger.store.datastore.get_connection, case_id=case_id)[-1].outcome == "erased"
    assert ledger.get_case(case_id, CLERK).state.applicant.phone is not None  # masked, kept


def test_an_erased_subjects_new_case_is_registered_without_keeping_values(
    ledger: Ledger, erased: tuple[UUID, str, str]
) -> None:
    _, subject, id_number = erased

    case_id = register(ledger, id_number, phone=PHONE)

    assert subject_of_id(ledger, case_id) == subject
    owner = ledger.database.owner_conninfo
    assert rows(owner, "SELECT 1 FROM ledger_pi_values WHERE case_id = %s", case_id) == []
    with pytest.raises(PersonalDataErased):
        vault(ledger).disclose(case_id, subject, READER)


def test_erasure_waits_until_every_case_closed_the_retention_years_ago(ledger: Ledger) -> None:
    id_number = new_id_number()
    old = register(ledger, id_number, at=LONG_AGO)
    complete(ledger, old, LONG_AGO)
    recent = register(ledger, id_number)
    subject = subject_of_id(ledger, old)

    with pytest.raises(ErasureRefused) as still_open:
        erase_subject(ledger, subject, erased_by="dpo")
    complete(ledger, recent)
    with pytest.raises(ErasureRefused) as too_recent:
        erase_subject(ledger, subject, erased_by="dpo")
    years_later = datetime(datetime.now().year + 11, 1, 1, tzinfo=timezone.utc)  # noqa: UP017
    erasure = erase_subject(ledger, subject, erased_by="dpo", now=years_later)

    assert still_open.value.rule == "pi.retention_not_met"
    assert "still open" in still_open.value.detail and str(recent) in still_open.value.detail
    assert str(old) not in still_open.value.detail  # closed in 2012: past its 10 years
    assert too_recent.value.rule == "pi.retention_not_met"
    assert "10 years" in too_recent.value.detail
    assert erasure.values_destroyed == 4  # the name and the ID number of each case
    assert erasure.reason == "retention met: every case closed 10+ years ago"


def test_an_early_erasure_needs_an_override_and_a_reason(ledger: Ledger) -> None:
    case_id = register(ledger, new_id_number())
    subject = subject_of_id(ledger, case_id)

    with pytest.raises(ErasureRefused) as no_reason:
        erase_subject(ledger, subject, erased_by="dpo", override="purpose-met", reason=" ")
    erasure = erase_subject(
        ledger, subject, erased_by="dpo", override="purpose-met", reason="applicant withdrew"
    )
    with pytest.raises(ErasureRefused) as twice:
        erase_subject(ledger, subject, erased_by="dpo", override="purpose-met", reason="again")

    assert no_reason.value.rule == "pi.reason_required"
    assert erasure.reason == "purpose-met: applicant withdrew" and erasure.values_destroyed == 2
    assert twice.value.rule == "pi.already_erased"


def test_the_owner_function_records_who_and_why_or_refuses(ledger: Ledger) -> None:
    owner = functools.partial(psycopg.connect, ledger.database.owner_conninfo)
    with owner() as conn, pytest.raises(psycopg.errors.InvalidParameterValue):
        conn.execute("SELECT * FROM ledger_pi_erase(%s, 'dpo', '  ')", ("c" * 64,))
    with owner() as conn, pytest.raises(psycopg.errors.NoDataFound):
        conn.execute("SELECT * FROM ledger_pi_erase(%s, 'dpo', 'why')", ("c" * 64,))
