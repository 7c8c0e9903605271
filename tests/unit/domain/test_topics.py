"""Stored topics are a contract with data already written: every event class keeps the topic the
previous release (0.1.0) stored it under, and every topic that release wrote still resolves.

Modules may move (issue 12 moved most of them); the `Case` aggregate stays in
`ledger.domain.case` and its mixins' events are redefined on it, so the topics do not change.
A class that must move after all keeps its old topic resolving with eventsourcing's
`register_topic`, and this test says which.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from eventsourcing.domain import CanMutateAggregate, Snapshot
from eventsourcing.utils import get_topic, resolve_topic

from ledger.domain.case import Case
from ledger.domain.case_number import CaseNumber, CaseNumberSeries

RELEASE_0_1_0 = Path(__file__).parents[2] / "fixtures" / "release-0.1.0" / "topics.txt"


def stored_classes() -> dict[str, type]:
    """Every event and snapshot class the aggregates can store, by the topic it is stored under."""
    found: dict[str, type] = {}
    for aggregate in (Case, CaseNumberSeries, CaseNumber):
        for name in dir(aggregate):
            value = getattr(aggregate, name)
            if inspect.isclass(value) and issubclass(value, CanMutateAggregate | Snapshot):
                found[get_topic(value)] = value
    return found


ADDED_SINCE_0_1_0 = frozenset(
    f"ledger.domain.case:Case.{name}"
    for name in (
        # issue 17: ratification after the fact; the data subject
        "ExceptionRatificationRequested",
        "ExceptionRatified",
        "ExceptionNotRatified",
        "IdentityReconciled",
        "ConsentRecorded",
        # issue 17: 办不成事 反馈 and 核查, consultations
        "UnresolvedFeedbackGiven",
        "UnresolvedVerified",
        "ConsultationRecorded",
        # issue 16: a hand-off across jurisdictions, an event in both ledgers' logs
        "HandedOffAcross",
        "HandOffReceived",
        "HandOffAcknowledged",
    )
)
"""Event classes added after 0.1.0: new topics, each listed where it was added, so that no class
can take a new topic unnoticed (a moved class would appear here instead of resolving)."""


def released_topics() -> list[str]:
    return RELEASE_0_1_0.read_text().split()


def test_every_topic_the_previous_release_wrote_resolves_to_the_same_class() -> None:
    current = stored_classes()
    for topic in released_topics():
        assert resolve_topic(topic) is current[topic], topic


def test_no_event_class_is_stored_under_a_new_topic() -> None:
    assert sorted(stored_classes()) == sorted([*released_topics(), *ADDED_SINCE_0_1_0])
