"""A ledger on its own database with a notary the test drives, for the verifiable log's tests."""

from __future__ import annotations

from uuid import UUID

import msgspec
import psycopg

from ledger.application.service import Ledger
from ledger.log.notary import Notary
from ledger.log.signed_note import Verifier
from tests.conftest import actor, register

CLERK = actor("clerk-v", "clerk", unit="人社")


class Log:
    """A ledger on its own database, with a notary driven by the test."""

    def __init__(self, ledger: Ledger, notary: Notary, owner: str, verifier: Verifier) -> None:
        self.ledger, self.notary, self.owner, self.verifier = ledger, notary, owner, verifier

    def case_with_events(self, visits: int) -> UUID:
        case_id = register(self.ledger, CLERK).case_id
        for i in range(visits):
            self.ledger.append(case_id, CLERK, "VisitRecorded", note=f"visit {i}")
        return case_id

    def bundle(self, case_id: UUID) -> bytes:
        return msgspec.json.encode(self.ledger.bundle(case_id, actor("auditor-1", "auditor")))

    def tamper(self, *statements: str) -> None:
        """What a superuser can do: switch the immutability trigger off and rewrite history."""
        with psycopg.connect(self.owner) as conn:
            conn.execute("ALTER TABLE ledger_events DISABLE TRIGGER ledger_events_no_update_delete")
            for statement in statements:
                conn.execute(statement)
            conn.execute("ALTER TABLE ledger_events ENABLE TRIGGER ledger_events_no_update_delete")
