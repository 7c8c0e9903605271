"""`get_case_as_of` finds the version by migration 0024's recorded-time index and loads the
snapshot at or below it plus the few events after: the same answers as reading every event of
the case and stopping at the first recorded later, on a case of 1,000 events."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
import pytest

from ledger.application.reads import _RECORDED_BY
from ledger.application.service import Ledger
from ledger.domain.errors import CaseNotFoundError
from ledger.store.database import Database
from tests.conftest import actor, register
from tests.views_support import module_scoped_ledger

database, ledger = module_scoped_ledger()
EVENTS = 1_000
AUDITOR = actor("asof-auditor", "auditor")


@pytest.fixture(scope="module")
def long_case(ledger: Ledger) -> UUID:
    clerk = actor("asof-clerk", "clerk", unit="人社")
    case_id = register(ledger, clerk).case_id
    for _ in range(EVENTS - 1):
        ledger.append(case_id, clerk, "VisitRecorded")
    return case_id


def scanned_version(ledger: Ledger, case_id: UUID, as_of: datetime) -> int:
    """The previous release's answer: every event, up to the first recorded after `as_of`."""
    version = 0
    for _, event in ledger.history(case_id, AUDITOR):
        if event.timestamp > as_of:  # type: ignore[attr-defined]
            break
        version = event.originator_version
    return version


def test_as_of_by_index_gives_the_scanned_answers_on_a_1000_event_case(
    ledger: Ledger, long_case: UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = ledger.history(long_case, AUDITOR)
    assert len(history) == EVENTS
    stamps = [e.timestamp for _, e in history]  # type: ignore[attr-defined]
    micro = timedelta(microseconds=1)
    moments = [stamps[0], stamps[-1], stamps[-1] + timedelta(days=1)]
    for i in (1, 9, 10, 11, 499, 500, 998):
        moments += [stamps[i] - micro, stamps[i], stamps[i] + micro]
    decoded = 0
    to_domain_event = ledger.mapper.to_domain_event

    def counting(stored: Any) -> Any:
        nonlocal decoded
        decoded += 1
        return to_domain_event(stored)

    for as_of in moments:
        expected = scanned_version(ledger, long_case, as_of)
        monkeypatch.setattr(ledger.mapper, "to_domain_event", counting)
        decoded = 0
        case = ledger.get_case_as_of(long_case, AUDITOR, as_of)
        monkeypatch.setattr(ledger.mapper, "to_domain_event", to_domain_event)
        assert case.version == expected, as_of
        assert case.state == ledger.get_case(long_case, AUDITOR, expected).state
        # The snapshot at or below the version (every 10 in the tests) and the events after it:
        # never the case's 1,000 events.
        assert decoded <= 10, (as_of, decoded)
    assert {scanned_version(ledger, long_case, m) for m in moments} >= {1, 2, 500, EVENTS}


def test_before_registration_the_case_is_not_found(ledger: Ledger, long_case: UUID) -> None:
    first = ledger.history(long_case, AUDITOR)[0][1].timestamp  # type: ignore[attr-defined]
    with pytest.raises(CaseNotFoundError):
        ledger.get_case_as_of(long_case, AUDITOR, first - timedelta(microseconds=1))


def test_the_version_is_found_on_the_recorded_time_index(
    database: Database, long_case: UUID, ledger: Ledger
) -> None:
    middle = ledger.history(long_case, AUDITOR)[500][1].timestamp  # type: ignore[attr-defined]
    with psycopg.connect(database.app_conninfo, autocommit=True) as conn:
        plan = "\n".join(
            r[0]
            for r in conn.execute(
                "EXPLAIN " + _RECORDED_BY, {"id": long_case, "as_of": middle}
            ).fetchall()
        )
        # Each recorded time the index holds is the payload's own timestamp.
        mismatched = conn.execute(
            "SELECT count(*) FROM ledger_events WHERE originator_id = %s AND "
            "ledger_event_recorded_at(state) IS DISTINCT FROM "
            "(convert_from(state, 'UTF8')::jsonb ->> 'timestamp')::timestamptz",
            (long_case,),
        ).fetchone()
    assert "ledger_events_recorded_idx" in plan, plan
    assert mismatched == (0,)
