"""Faults: a lost commit acknowledgement, and a restart, neither lose nor double an event."""

from __future__ import annotations

from typing import Any

from eventsourcing.persistence import OperationalError
from eventsourcing.utils import retry

from ledger.application.service import Ledger, WriteKey
from ledger.store.events import LedgerRecorder, Receipt
from tests.conftest import actor
from tests.conftest import register as register_case

CLERK = actor("clerk-f", "clerk", unit="人社")


class AckLosingRecorder(LedgerRecorder):
    """Commits, then reports the connection lost, once: what a network cut after COMMIT does.

    The retry is eventsourcing's own policy for its recorders (InterfaceError/OperationalError).
    """

    lose_next_ack = False

    @retry((OperationalError,), max_attempts=3, wait=0)
    def insert_events(self, stored_events: Any, **kwargs: Any) -> Any:
        ids = super().insert_events(stored_events, **kwargs)
        if AckLosingRecorder.lose_next_ack:
            AckLosingRecorder.lose_next_ack = False
            raise OperationalError("server closed the connection unexpectedly")
        return ids


class AckLosingLedger(Ledger):
    name = "Ledger"  # same tables as the real one

    def construct_recorder(self) -> LedgerRecorder:
        return AckLosingRecorder(self.factory.datastore, events_table_name="ledger_events")


def register(ledger: Ledger) -> Receipt:
    return register_case(ledger, CLERK, centre="faults", name="谢某")


def test_a_lost_commit_acknowledgement_does_not_double_the_event(settings, database) -> None:
    ledger = AckLosingLedger(settings, database)
    try:
        case_id = register(ledger).case_id
        AckLosingRecorder.lose_next_ack = True

        receipt = ledger.append(case_id, CLERK, "VisitRecorded", note="once")  # no client key

        history = ledger.history(case_id, CLERK)
        assert [type(e).__name__ for _, e in history] == ["Registered", "VisitRecorded"]
        assert receipt.version == 2 and receipt.position == history[-1][0]
    finally:
        ledger.close()


def test_a_restarted_ledger_keeps_history_numbers_and_receipts(settings, database) -> None:
    first = Ledger(settings, database)
    registered = register(first)
    key = WriteKey(key="before-restart", digest="body")
    appended = first.append(registered.case_id, CLERK, "VisitRecorded", write_key=key, note="x")
    first.close()

    second = Ledger(settings, database)
    try:
        replay = second.append(registered.case_id, CLERK, "VisitRecorded", write_key=key, note="x")
        again = register(second)

        assert replay.replayed and replay.position == appended.position
        assert second.get_case(registered.case_id, CLERK).version == 2
        number = int(second.get_case(again.case_id, CLERK).state.case_no.rsplit("-", 1)[1])
        assert number == int(registered.case_no.rsplit("-", 1)[1]) + 1
    finally:
        second.close()
