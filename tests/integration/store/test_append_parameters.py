"""The append sends its events and receipts as one JSON parameter each (`ledger.store.json_rows`):
PostgreSQL stores exactly the rows sent, in the order sent, and a value it cannot store is refused
before anything is sent, in words that quote none of it."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest
from eventsourcing.persistence import DataError

from ledger.application.service import Ledger, WriteKey
from ledger.domain.case_number import CaseNumberSeries, series_year
from tests.conftest import actor, register

CLERK = actor("clerk-json", "clerk", unit="人社")


def stored(ledger: Ledger, originator_id: UUID) -> list[tuple[int, int, str, bytes]]:
    """(notification id, version, topic, state) of each stored event, by version."""
    with ledger.store.datastore.get_connection() as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT notification_id, originator_version, topic, state FROM ledger_events "
            "WHERE originator_id = %s ORDER BY originator_version",
            (originator_id,),
        )
        return [
            (r["notification_id"], r["originator_version"], r["topic"], bytes(r["state"]))
            for r in cur.fetchall()
        ]


def test_a_save_of_several_aggregates_is_stored_as_sent_in_input_order(ledger: Ledger) -> None:
    case = ledger.get_case(register(ledger, CLERK).case_id, CLERK)
    at = datetime.now(UTC)
    for k in range(5):  # quotes, a backslash, an emoji, U+2028: JSON's escapes, stored as sent
        case.append("VisitRecorded", CLERK, at, ticket=f'A-{k}"\\\U0001f600\u2028')
    series = CaseNumberSeries(centre="huoshan-json", year=series_year(at))
    series.issue()
    series.issue()

    recordings = ledger.save(case, series)

    assert len(recordings) == 5 + 3  # the case's visits; the series starts and issues twice
    for recording in recordings:
        event = recording.domain_event
        sent = ledger.mapper.to_stored_event(event)
        version = event.originator_version
        (row,) = [r for r in stored(ledger, event.originator_id) if r[1] == version]
        # The id each recording got back is its own row's: the ids came back in input order.
        assert row == (recording.notification.id, sent.originator_version, sent.topic, sent.state)
    positions = [r.notification.id for r in recordings]
    assert positions == sorted(positions)
    assert [r[1] for r in stored(ledger, case.id)] == [1, 2, 3, 4, 5, 6]


def test_a_receipt_with_a_nul_is_refused_before_it_is_sent_and_nothing_is_stored(
    ledger: Ledger,
) -> None:
    case_id = register(ledger, CLERK).case_id
    before = stored(ledger, case_id)
    key = WriteKey(key="retry-\x00-申请人李某", digest="d" * 64)

    with pytest.raises(DataError) as refused:  # psycopg's, as eventsourcing wraps it
        ledger.append(case_id, CLERK, "VisitRecorded", write_key=key, ticket="A-0001")

    assert str(refused.value) == "PostgreSQL text fields cannot contain NUL (0x00) bytes"
    assert stored(ledger, case_id) == before
    receipt = ledger.append(case_id, CLERK, "VisitRecorded", write_key=WriteKey("k", "d" * 64))
    assert receipt.version == before[-1][1] + 1
