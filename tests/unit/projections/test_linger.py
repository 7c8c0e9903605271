"""A projector waits for more inserts only while writes come in together, or after passing only
other topics' writes (`linger_after`): a lone writer's next read is never delayed by it,
concurrent writers share batches, and unrelated writes are passed in bulk."""

from __future__ import annotations

from ledger.projections.projector import LINGER, PASSING_LINGER, linger_after


def test_a_lone_write_is_projected_without_waiting() -> None:
    assert linger_after(0, 0) == 0.0  # woken by a control NOTIFY or the idle timeout
    assert linger_after(1, 1) == 0.0


def test_writes_that_came_together_make_the_next_batch_wait_for_more() -> None:
    assert linger_after(2, 2) == LINGER
    assert linger_after(500, 1) == LINGER
    assert linger_after(3, 3, linger=0.0) == 0.0  # a projector built with no linger never waits


def test_a_batch_that_only_passed_other_topics_waits_longer_for_more() -> None:
    assert PASSING_LINGER > LINGER
    assert linger_after(1, 0) == PASSING_LINGER
    assert linger_after(40, 0) == PASSING_LINGER
    assert linger_after(1, 0, passing=0.0) == 0.0
