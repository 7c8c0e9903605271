"""Group commit: writes that arrive while a commit is in flight share the next transaction.

Every insert into the event store takes one table lock and one commit (DESIGN §3), so on this
hardware one transaction per event caps writes near a thousand a second and, under concurrency,
threads convoy on the lock. Here the first writer to find no commit in flight leads: it commits
everything queued behind it as one batch, and again, until its own write is done, then hands the
lead to the oldest waiting writer. Nothing waits for a timer; batches grow only with load.

A batch that fails on a uniqueness conflict is committed again one write at a time, so only the
conflicting write sees the conflict; it re-decides or answers 409 exactly as it would alone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from eventsourcing.persistence import IntegrityError

Item = TypeVar("Item")
Result = TypeVar("Result")

MAX_BATCH = 64


class _Write(Generic[Item, Result]):
    __slots__ = ("error", "finished", "item", "result", "wake")

    def __init__(self, item: Item) -> None:
        self.item = item
        self.wake = threading.Event()
        self.finished = False
        self.result: Result | None = None
        self.error: BaseException | None = None


class GroupCommitter(Generic[Item, Result]):
    """Runs `commit(items) -> results` (one result per item, in order) for batches of writes."""

    def __init__(self, commit: Callable[[Sequence[Item]], Sequence[Result]]) -> None:
        self._commit = commit
        self._lock = threading.Lock()
        self._queue: list[_Write[Item, Result]] = []
        self._leading = False

    def submit(self, item: Item) -> Result:
        write: _Write[Item, Result] = _Write(item)
        with self._lock:
            self._queue.append(write)
            lead = not self._leading
            self._leading = True
        if not lead:
            write.wake.wait()  # finished by a leader, or promoted to lead
        if not write.finished:
            self._lead(write)
        if write.error is not None:
            raise write.error
        assert write.result is not None
        return write.result

    def _lead(self, own: _Write[Item, Result]) -> None:
        while not own.finished:
            with self._lock:
                batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            self._run(batch)
        with self._lock:
            if self._queue:
                self._queue[0].wake.set()  # the oldest waiter leads next
            else:
                self._leading = False

    def _run(self, batch: list[_Write[Item, Result]]) -> None:
        try:
            results = self._commit([w.item for w in batch])
        except IntegrityError as e:
            if len(batch) == 1:
                _finish(batch[0], error=e)
            else:
                for write in batch:  # isolate the write that conflicts
                    self._run([write])
            return
        except BaseException as e:
            for write in batch:
                _finish(write, error=e)
            return
        for write, result in zip(batch, results, strict=True):
            _finish(write, result=result)


def _finish(
    write: _Write[Item, Result],
    result: Result | None = None,
    error: BaseException | None = None,
) -> None:
    write.result, write.error, write.finished = result, error, True
    write.wake.set()
