"""The commitment breach timer on a real PostgreSQL: an overdue 承诺书 is recorded breached once,
whether two timers sweep at the same moment or a timer sweeps again (before or after the view
has caught up); one not yet due is left alone."""

from __future__ import annotations

from ledger.application.service import Ledger
from ledger.application.timers import SYSTEM_ACTOR, CommitmentTimer
from ledger.config.settings import Settings
from ledger.domain.case import Case
from ledger.domain.exceptions.records import CommitmentStatus
from ledger.domain.values import CaseStatus, Outcome
from ledger.projections.views.exceptions import ExceptionsProjection
from ledger.store.database import Database
from tests.exception_views_support import CLERK, ago, granted_with_commitment
from tests.timer_support import catch_up, sweep_at_once
from tests.views_support import module_scoped_ledger

database, ledger = module_scoped_ledger()


def project(database: Database) -> None:
    catch_up(database, ExceptionsProjection())


def test_an_overdue_commitment_is_breached_exactly_once(
    ledger: Ledger, database: Database, settings: Settings
) -> None:
    requested = ago(hours=3)
    overdue_case, _, overdue = granted_with_commitment(ledger, requested, ago(hours=1))
    later_case, _, later = granted_with_commitment(ledger, requested, ago(hours=-24))
    project(database)
    other = Ledger(settings, database)  # a second process's timer
    try:
        timers = [CommitmentTimer(ledger, every=60), CommitmentTimer(other, every=60)]
        assert [c for _, c in timers[0].overdue(ago())] == [overdue]
        assert sweep_at_once(timers) == [0, 1]
        assert timers[0].sweep() == 0  # the view still shows it open: the key replays
        project(database)
        assert timers[1].overdue(ago()) == []
        assert timers[1].sweep() == 0
    finally:
        other.close()

    history = [e for _, e in ledger.history(overdue_case, CLERK)]
    breaches = [e for e in history if isinstance(e, Case.CommitmentBreached)]
    assert len(breaches) == 1
    assert breaches[0].actor == SYSTEM_ACTOR  # type: ignore[attr-defined]
    state = ledger.get_case(overdue_case, CLERK).state
    assert state.status is CaseStatus.COMPLETED and state.outcome is Outcome.WITHDRAWN  # 退办
    [commitment] = state.exceptions[0].commitments
    assert commitment.status is CommitmentStatus.BREACHED
    not_due = ledger.get_case(later_case, CLERK).state
    assert not_due.exceptions[0].commitments[0].commitment_id == later
    assert not_due.exceptions[0].commitments[0].status is CommitmentStatus.OPEN
    assert not_due.status is CaseStatus.RECEIVED


def test_a_commitment_settled_meanwhile_is_taken_as_done(
    ledger: Ledger, database: Database
) -> None:
    case_id, _, commitment = granted_with_commitment(ledger, ago(hours=3), ago(minutes=30))
    project(database)
    ledger.append(
        case_id, CLERK, "CommitmentFulfilled", occurred_at=ago(minutes=10), commitment_id=commitment
    )  # recorded late, before the view saw it: the timer still finds it open
    timer = CommitmentTimer(ledger, every=60)
    assert commitment in [c for _, c in timer.overdue(ago())]
    assert timer.sweep() == 0
    assert not any(
        isinstance(e, Case.CommitmentBreached) for _, e in ledger.history(case_id, CLERK)
    )
