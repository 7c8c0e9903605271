"""The `log` fixture: a ledger on its own database, with a notary driven by the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.application.service import Ledger
from ledger.log.keys import load_signer
from ledger.log.notary import Notary
from ledger.log.signed_note import Verifier
from tests.integration.log.support import Log


@pytest.fixture
def log(settings, database_factory, tmp_path: Path) -> Iterator[Log]:
    database = database_factory()
    ledger = Ledger(settings, database)
    signer = load_signer(tmp_path / "notary.key", settings.origin)
    notary = Notary(database.notary_conninfo, signer, settings.origin, batch_size=7)
    yield Log(ledger, notary, database.owner_conninfo, Verifier(signer.verifier_key))
    notary.close()
    ledger.close()
