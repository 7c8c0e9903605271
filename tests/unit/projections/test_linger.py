"""A projector waits for more inserts only while writes come in together (`linger_after`): a
lone writer's next read is never delayed by it, and concurrent writers share batches."""

from __future__ import annotations

from ledger.projections.projector import LINGER, linger_after


def test_a_lone_write_is_projected_without_waiting() -> None:
    assert linger_after(0) == 0.0  # woken by a control NOTIFY or the idle timeout
    assert linger_after(1) == 0.0


def test_writes_that_came_together_make_the_next_batch_wait_for_more() -> None:
    assert linger_after(2) == LINGER
    assert linger_after(500) == LINGER
    assert linger_after(3, linger=0.0) == 0.0  # a projector built with no linger never waits
