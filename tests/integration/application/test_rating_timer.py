"""The default-rating timer on a real PostgreSQL: a 揭阳 case completed more than 7 calendar days
ago with no rating is rated 基本满意 (level 3, tagged default) exactly once, whether two timers
sweep at the same moment or a timer sweeps again before the view has caught up; a rated case, a
case still inside its window and a case of a centre without a default rule (霍山) are left alone."""

from __future__ import annotations

import time
from datetime import datetime
from uuid import UUID

import psycopg

from ledger.application.service import Ledger
from ledger.application.timers import SYSTEM_ACTOR, RatingTimer
from ledger.config.settings import Settings
from ledger.domain.case import Case
from ledger.domain.ratings.records import RatingChannel
from ledger.domain.values import Outcome
from ledger.projections.views.cases import CasesProjection
from ledger.projections.views.pushback import PushbackProjection
from ledger.store.database import Database
from tests.conftest import actor
from tests.exception_views_support import _registration, ago
from tests.timer_support import catch_up, sweep_at_once
from tests.views_support import module_scoped_ledger

database, ledger = module_scoped_ledger()

JY_CLERK = actor("jy-clerk", "clerk", unit="人社")
JY_RELAY = actor("jy-haochaping", "rating_channel")  # the 好差评 system's relay


def project(database: Database) -> None:
    catch_up(database, CasesProjection(), PushbackProjection())


def completed(ledger: Ledger, centre: str, at: datetime) -> UUID:
    """A case of `centre` registered, accepted and completed (granted) at `at`."""
    case_id = ledger.register_case(
        JY_CLERK, occurred_at=at, **_registration(ledger, centre)
    ).case_id
    ledger.append(case_id, JY_CLERK, "Accepted", occurred_at=at)
    ledger.append(case_id, JY_CLERK, "Completed", occurred_at=at, outcome=Outcome.GRANTED)
    return case_id


def ratings(ledger: Ledger, case_id: UUID) -> list[Case.Rated]:
    return [e for _, e in ledger.history(case_id, JY_CLERK) if isinstance(e, Case.Rated)]


def test_an_unrated_case_past_its_window_is_rated_by_default_exactly_once(
    ledger: Ledger, database: Database, settings: Settings
) -> None:
    unrated = completed(ledger, "jieyang", ago(days=9))
    rated = completed(ledger, "jieyang", ago(days=9))
    ledger.append(
        rated,
        JY_RELAY,
        "Rated",
        occurred_at=ago(days=9),
        level=4,
        channel=RatingChannel.COUNTER_DEVICE,
    )
    recent = completed(ledger, "jieyang", ago(days=2))
    huoshan = completed(ledger, "huoshan", ago(days=30))
    project(database)
    other = Ledger(settings, database)  # a second process's timer
    try:
        timers = [RatingTimer(ledger, every=60), RatingTimer(other, every=60)]
        assert timers[0].centres == ["jieyang"]
        assert timers[0].due(ago()) == [unrated]
        assert sweep_at_once(timers) == [0, 1]
        assert timers[0].sweep() == 0  # the view does not show it yet: the key replays
        project(database)
        assert timers[1].due(ago()) == []
        assert timers[1].sweep() == 0
    finally:
        other.close()

    [default] = ratings(ledger, unrated)
    assert (default.level, default.default, default.channel) == (3, True, None)
    assert default.actor == SYSTEM_ACTOR
    state = ledger.get_case(unrated, JY_CLERK).state
    [rating] = state.ratings
    assert (rating.level, rating.default, rating.real_name) == (3, True, False)
    [kept] = ratings(ledger, rated)
    assert (kept.level, kept.default) == (4, False)
    assert ratings(ledger, recent) == []
    assert ratings(ledger, huoshan) == []
    with psycopg.connect(database.app_conninfo) as conn:  # the view shows it, tagged default
        row = conn.execute(
            "SELECT r.level, r.is_default, r.channel FROM view_ratings r "
            "JOIN ledger_projections p ON p.name = 'pushback' AND r.generation = p.generation "
            "WHERE r.case_id = %s",
            (unrated,),
        ).fetchone()
    assert row == (3, True, None)


def test_a_case_rated_meanwhile_is_taken_as_done(ledger: Ledger, database: Database) -> None:
    case_id = completed(ledger, "jieyang", ago(days=8))
    project(database)
    ledger.append(
        case_id, JY_RELAY, "Rated", occurred_at=ago(hours=1), level=5, channel=RatingChannel.APP
    )  # rated late (after its window), before the view saw it: the timer still finds it unrated
    timer = RatingTimer(ledger, every=60)
    assert case_id in timer.due(ago())
    assert timer.sweep() == 0
    [rating] = ratings(ledger, case_id)
    assert (rating.level, rating.default) == (5, False)


def test_a_running_timer_paces_its_sweep_and_a_stop_leaves_the_rest_to_the_next(
    ledger: Ledger, database: Database
) -> None:
    """The thread's sweep writes one case, then waits its pace before the next (here a minute);
    a stop ends that wait at once, and the next sweep writes the rest, nothing twice."""
    mine = {completed(ledger, "jieyang", ago(days=10)) for _ in range(3)}
    project(database)
    timer = RatingTimer(ledger, every=0.01)
    due = timer.due(ago())
    assert mine <= set(due)
    timer.pace = 60.0
    thread = timer.start()._thread
    assert thread is not None
    deadline = time.monotonic() + 30
    while not any(ratings(ledger, case_id) for case_id in due) and time.monotonic() < deadline:
        time.sleep(0.01)
    timer.stop()
    assert not thread.is_alive()  # the pace's wait ended with the stop, not after a minute
    assert sum(len(ratings(ledger, case_id)) for case_id in due) == 1
    project(database)
    assert RatingTimer(ledger, every=60).sweep() == len(due) - 1
    assert all(len(ratings(ledger, case_id)) == 1 for case_id in due)
