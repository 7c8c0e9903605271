"""Cases are rebuilt by `reads.replay`, not eventsourcing's `project_aggregate` (which asserts a
runtime protocol on every event, about 10 µs each on Python 3.11): the same case either way, at
every version, across the snapshots the session's settings take every 10 events."""

from __future__ import annotations

from eventsourcing.application import project_aggregate

from ledger.application.service import Ledger
from tests.conftest import actor, register

CLERK = actor("replay-clerk", "clerk", unit="人社")


def test_a_case_replayed_is_the_case_the_library_projects(ledger: Ledger) -> None:
    case_id = register(ledger, CLERK).case_id
    for n in range(23):  # past two snapshots (snapshot_interval=10 in the tests' settings)
        ledger.append(case_id, CLERK, "VisitRecorded", ticket=f"R-{n:03d}")
    for version in (1, 9, 10, 11, 20, 24, None):
        ours = ledger.get_case(case_id, CLERK, version)
        library = ledger.repository.get(case_id, version=version, projector_func=project_aggregate)
        assert ours.version == library.version == (version or 24)
        assert ours.state == library.state
