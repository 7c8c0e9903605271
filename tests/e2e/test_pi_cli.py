"""`ledger pi erase | reads` as a DPO runs them: an erasure waits for the retention rule or takes
an override with a reason, leaves the case and its proofs intact, and the access log says who read
what, when and why."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import msgspec
import pytest

from ledger.application.erasure import subject_of_case
from ledger.application.service import Ledger
from ledger.config.settings import Settings
from ledger.domain.personal_data import id_check_digit
from ledger.domain.values import Channel, Matter, Outcome, Priority
from ledger.log.keys import load_signer
from ledger.log.notary import Notary
from ledger.store.database import Database
from ledger.store.vault import Vault
from ledger.store.vault_records import PersonalDataErased, Reader
from tests.conftest import actor
from tests.e2e.test_cli import ledger_cmd

CLERK = actor("clerk-pi-cli", "clerk", unit="人社")
LONG_AGO = datetime(2012, 3, 1, 2, 0, tzinfo=UTC)


def new_id_number() -> str:
    first17 = (
        f"340104{random.randint(1950, 1999)}{random.randint(1, 12):02d}"
        f"{random.randint(1, 28):02d}{random.randint(0, 999):03d}"
    )
    return first17 + id_check_digit(first17)


def register(ledger: Ledger, id_number: str, at: datetime | None = None) -> UUID:
    case_id = ledger.register_case(
        CLERK,
        centre="huoshan",
        occurred_at=at,
        channel=Channel.WINDOW,
        matter=Matter(code="SI-ARREARS", name="养老保险费补缴"),
        department="人社",
        window="2F-07",
        applicant=ledger.protect_applicant(name="李某", id_number=id_number, phone="13800003333"),
        priority=Priority.NORMAL,
        statutory_limit=None,
        promised_limit=None,
        parent_case_id=None,
    ).case_id
    if at is not None:  # closed the same day, long ago
        ledger.append(case_id, CLERK, "Accepted", occurred_at=at)
        ledger.append(case_id, CLERK, "Completed", occurred_at=at, outcome=Outcome.GRANTED)
    return case_id


@pytest.fixture
def setup(
    settings: Settings, database_factory: Callable[[], Database], tmp_path: Path
) -> Iterator[tuple[Ledger, Database, dict[str, str]]]:
    database = database_factory()
    ledger = Ledger(settings, database)
    env = {"LEDGER_DATABASE_URL": database.owner_conninfo, "LEDGER_DATA_DIR": str(tmp_path)}
    yield ledger, database, env
    ledger.close()


def test_erase_refuses_before_retention_then_erases_by_override_and_the_bundle_verifies(
    setup, settings: Settings, tmp_path: Path
) -> None:
    ledger, database, env = setup
    id_number = new_id_number()
    register(ledger, id_number, at=LONG_AGO)
    open_case = register(ledger, id_number)  # still open
    case_id = str(open_case)
    vault = Vault(ledger.store.datastore.get_connection, settings.vault_key)
    subject = subject_of_case(ledger, open_case)
    reader = Reader(actor_id="clerk-pi-cli", roles=("clerk",), unit="人社", purpose="核对身份")
    vault.disclose(open_case, subject, reader)

    early = ledger_cmd("pi", "erase", "--case", case_id, env=env)
    no_reason = ledger_cmd("pi", "erase", "--case", case_id, "--override", "legal-order", env=env)
    erased = ledger_cmd(
        "pi", "erase", "--case", case_id, "--override", "legal-order",
        "--reason", "法院裁定 (2026) 皖01", "--by", "dpo-1", env=env,
    )  # fmt: skip
    again = ledger_cmd("pi", "erase", "--subject", subject, env=env)

    assert early.returncode == 1, early.stdout + early.stderr
    assert "pi.retention_not_met" in early.stderr and "still open" in early.stderr
    assert no_reason.returncode == 2 and "needs a reason" in no_reason.stderr
    assert erased.returncode == 0, erased.stdout + erased.stderr
    assert f"erased subject {subject}" in erased.stdout and "6 values destroyed" in erased.stdout
    assert again.returncode == 1 and "pi.already_erased" in again.stderr
    with pytest.raises(PersonalDataErased):
        vault.disclose(open_case, subject, reader)
    record = vault.subject(subject)
    assert record is not None
    assert (record.erased_by, record.erasure_reason) == (
        "dpo-1",
        "legal-order: 法院裁定 (2026) 皖01",
    )

    # The case still reads, and its bundle (the log untouched) still verifies offline.
    auditor = actor("aud-pi-cli", "auditor")
    assert ledger.get_case(open_case, auditor).state.applicant.id_number
    signer = load_signer(tmp_path / "notary.key", settings.origin)
    notary = Notary(database.notary_conninfo, signer, settings.origin)
    notary.catch_up()
    notary.close()
    bundle = tmp_path / "bundle.json"
    bundle.write_bytes(msgspec.json.encode(ledger.bundle(open_case, auditor)))
    verified = ledger_cmd("verify", str(bundle), "--public-key", signer.verifier_key, env={})
    assert verified.returncode == 0 and verified.stdout.strip().endswith("OK"), verified.stdout

    listed = ledger_cmd("pi", "reads", "--subject", subject, "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    assert [(r["actor_id"], r["outcome"], r["purpose"]) for r in json.loads(listed.stdout)] == [
        ("clerk-pi-cli", "disclosed", "核对身份"),
        ("clerk-pi-cli", "erased", "核对身份"),
    ]
    by_case = ledger_cmd("pi", "reads", "--case", case_id, env=env)
    lines = by_case.stdout.strip().splitlines()
    assert len(lines) == 2 and all("\tclerk-pi-cli\tclerk\t人社\t" in line for line in lines)
    assert lines[0].endswith("\t核对身份") and "\tdisclosed\t" in lines[0]


def test_erase_goes_ahead_once_every_case_closed_the_retention_years_ago(setup) -> None:
    ledger, _, env = setup
    case_id = str(register(ledger, new_id_number(), at=LONG_AGO))
    other = str(register(ledger, new_id_number(), at=LONG_AGO))

    erased = ledger_cmd("pi", "erase", "--case", case_id, "--by", "dpo-2", env=env)
    stricter_env = {**env, "LEDGER_PI_RETENTION_YEARS": "30"}
    stricter = ledger_cmd("pi", "erase", "--case", other, env=stricter_env)

    assert erased.returncode == 0, erased.stdout + erased.stderr
    assert "retention met: every case closed 10+ years ago" in erased.stdout
    assert stricter.returncode == 1 and "30 years" in stricter.stderr


def test_erase_and_reads_need_to_be_told_whom(setup) -> None:
    _, _, env = setup

    both = ledger_cmd("pi", "erase", "--case", str(uuid4()), "--subject", "a" * 64, env=env)
    neither = ledger_cmd("pi", "reads", env=env)
    unknown = ledger_cmd("pi", "erase", "--subject", "a" * 64, env=env)

    assert both.returncode == 2 and "one of them" in both.stderr
    assert neither.returncode == 2
    assert unknown.returncode == 1 and "pi.subject_unknown" in unknown.stderr
