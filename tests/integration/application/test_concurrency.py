"""Many writers, one log: every acknowledged event is stored once, in a gapless case history."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from ledger.application.service import Ledger, WriteKey
from ledger.domain.case_number import CHINA_STANDARD_TIME
from ledger.domain.errors import ConcurrencyConflict, PreconditionFailed
from tests.conftest import actor
from tests.conftest import register as register_case

CLERK = actor("clerk-c", "clerk", unit="人社")
THREADS = 16


def register(ledger: Ledger, centre: str = "huoshan") -> UUID:
    return register_case(ledger, CLERK, centre).case_id


def notes_in(ledger: Ledger, case_id: UUID) -> list[str]:
    history = ledger.history(case_id, CLERK)
    assert [e.originator_version for _, e in history] == list(range(1, len(history) + 1))
    positions = [p for p, _ in history]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    return [e.note for _, e in history[1:]]  # type: ignore[attr-defined]


def run_threads(work: Callable[[int], list[str]]) -> list[str]:
    with ThreadPoolExecutor(THREADS) as pool:
        return [note for notes in pool.map(work, range(THREADS)) for note in notes]


def test_sixteen_writers_with_if_match_on_one_case_lose_and_double_nothing(ledger) -> None:
    case_id = register(ledger)
    per_thread = 6

    def work(thread: int) -> list[str]:
        acknowledged = []
        for i in range(per_thread):
            note = f"{thread}-{i}"
            while True:
                version = ledger.get_case(case_id, CLERK).version
                try:
                    ledger.append(
                        case_id, CLERK, "VisitRecorded", expected_version=version, note=note
                    )
                except (PreconditionFailed, ConcurrencyConflict):
                    continue  # someone else won this version: re-read and retry
                acknowledged.append(note)
                break
        return acknowledged

    acknowledged = run_threads(work)

    stored = notes_in(ledger, case_id)
    assert len(acknowledged) == THREADS * per_thread
    assert sorted(stored) == sorted(acknowledged)


def test_sixteen_writers_without_if_match_on_one_case_are_all_recorded_once(ledger) -> None:
    case_id = register(ledger)

    def work(thread: int) -> list[str]:
        notes = [f"{thread}-{i}" for i in range(4)]
        for note in notes:
            ledger.append(case_id, CLERK, "VisitRecorded", note=note)
        return notes

    acknowledged = run_threads(work)

    assert sorted(notes_in(ledger, case_id)) == sorted(acknowledged)


def test_sixteen_writers_on_many_cases_each_history_is_exact(ledger) -> None:
    cases = [register(ledger) for _ in range(THREADS)]
    lock = threading.Lock()
    acknowledged: dict[UUID, list[str]] = {c: [] for c in cases}

    def work(thread: int) -> list[str]:
        for i in range(8):
            case_id = cases[(thread + i) % len(cases)]
            note = f"{thread}-{i}"
            ledger.append(case_id, CLERK, "VisitRecorded", note=note)
            with lock:
                acknowledged[case_id].append(note)
        return []

    run_threads(work)

    for case_id, notes in acknowledged.items():
        assert sorted(notes_in(ledger, case_id)) == sorted(notes)


def test_concurrent_registrations_get_distinct_gapless_case_numbers(ledger) -> None:
    centre = f"conc{uuid4().hex[:6]}"
    year = datetime.now(CHINA_STANDARD_TIME).year

    def work(_: int) -> list[str]:
        case_id = register(ledger, centre=centre)
        return [ledger.get_case(case_id, CLERK).state.case_no]

    numbers = run_threads(work)

    assert sorted(numbers) == [f"{centre.upper()}-{year}-{n:06d}" for n in range(1, THREADS + 1)]


def test_the_same_idempotency_key_sent_concurrently_records_one_event(ledger) -> None:
    case_id = register(ledger)
    key = WriteKey(key="retry-storm", digest="same-body")
    before = ledger.get_case(case_id, CLERK).version

    def work(_: int) -> Any:
        return ledger.append(case_id, CLERK, "VisitRecorded", write_key=key, note="once")

    with ThreadPoolExecutor(THREADS) as pool:
        receipts = list(pool.map(work, range(THREADS)))

    assert len({(r.version, r.position) for r in receipts}) == 1
    assert sum(not r.replayed for r in receipts) == 1
    assert ledger.get_case(case_id, CLERK).version == before + 1
