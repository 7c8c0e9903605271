"""The group committer: batches grow under load, each writer gets its own result or error."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest
from eventsourcing.persistence import IntegrityError

from ledger.store.group_commit import GroupCommitter


class Store:
    """Commits batches of ints; an odd item conflicts, as a stale version would."""

    def __init__(self, delay: float = 0.005) -> None:
        self.delay = delay
        self.batches: list[list[int]] = []
        self.committed: list[int] = []
        self.lock = threading.Lock()

    def commit(self, items: Sequence[int]) -> list[str]:
        time.sleep(self.delay)  # a transaction takes a while; writers queue meanwhile
        if any(i % 2 for i in items):
            raise IntegrityError("duplicate key")
        with self.lock:
            self.batches.append(list(items))
            self.committed.extend(items)
        return [f"ok-{i}" for i in items]


def test_concurrent_writers_share_transactions_and_get_their_own_results() -> None:
    store = Store()
    committer = GroupCommitter(store.commit)

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(committer.submit, range(0, 320, 2)))

    assert results == [f"ok-{i}" for i in range(0, 320, 2)]
    assert sorted(store.committed) == list(range(0, 320, 2))
    assert max(len(b) for b in store.batches) > 1
    assert len(store.batches) < 160


def test_a_conflicting_write_fails_alone_and_the_rest_of_its_batch_commits() -> None:
    store = Store()
    committer = GroupCommitter(store.commit)

    def submit(i: int) -> str:
        try:
            return committer.submit(i)
        except IntegrityError:
            return "conflict"

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(submit, range(64)))

    assert results == ["conflict" if i % 2 else f"ok-{i}" for i in range(64)]
    assert sorted(store.committed) == list(range(0, 64, 2))


def test_an_unexpected_error_reaches_every_writer_of_the_batch() -> None:
    def broken(items: Sequence[int]) -> list[str]:
        raise RuntimeError("database went away")

    committer = GroupCommitter(broken)

    with pytest.raises(RuntimeError, match="went away"):
        committer.submit(2)
    with pytest.raises(RuntimeError):  # and the committer is still usable afterwards
        committer.submit(4)
