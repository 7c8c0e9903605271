"""The indicators summed by PostgreSQL (`summed`) against their definition (`timeliness`).

Cases are written straight into a fresh database's `view_cases`, drawn so that every boundary the
definitions name occurs many times: times exactly at the period's start and end and a microsecond
before them, at `now`, closed exactly at the deadline, withdrawn at it or after, missing times,
ties between a matter's names. For every grouping, three periods and three `now`s, the report
`GET /metrics/timeliness` serves (summed) equals the one tallied in Python over the rows, field
for field: the 好差评 section (ratings drawn for the cases, keyed as their case or elsewhere,
with every boundary, and one of a stale generation), 主动评价率's cases and 承诺时限压缩率's
matters included.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from uuid import uuid4

import msgspec
import psycopg
import pytest

from ledger.api.indicator_reads import compute, fetch
from ledger.api.ui.indicators import daily
from ledger.application.service import Ledger
from ledger.config.settings import Settings
from ledger.domain.ratings.records import BadReviewValidity
from ledger.domain.values import CaseStatus, Outcome
from ledger.projections.indicators.grouping import GroupBy
from ledger.projections.indicators.period import Period
from ledger.store.database import Database
from tests.conftest import all_connections_but_one_lent
from tests.summed_support import CENTRE, NOWS, PERIODS, insert_into, instants
from tests.tally_support import assert_tallies_match_rows


def draw_case(rng: random.Random, times: list[datetime], matters: list[str]) -> dict[str, Any]:
    def maybe() -> datetime | None:
        return rng.choice(times) if rng.random() < 0.7 else None

    registered = rng.choice(times)
    due = maybe()
    closed = rng.choice([maybe(), due, due]) if due is not None else maybe()  # at the deadline
    status = rng.choice([s.value for s in CaseStatus])
    code = rng.choice(matters)
    notice_at = maybe()
    return {
        "case_id": uuid4(),
        "department": rng.choice(["人社", "医保", "不动产"]),
        "window": rng.choice([None, "A01", "B02"]),
        "channel": rng.choice(["window", "online", "hotline_12345"]),
        "matter_code": code,
        "matter_name": rng.choice([f"{code} 事项", f"{code} 事项（新）"]),
        "status": status,
        "outcome": rng.choice([None, *(o.value for o in Outcome)]),
        "registered_at": registered,
        "accepted_at": maybe(),
        "closed_at": closed,
        "due_at": due,
        "working_seconds": rng.choice([None, 0.0, 86_400.0, rng.uniform(0, 30 * 86_400)]),
        "visits": rng.randrange(4),
        "handoffs": rng.randrange(4),
        "extensions_approved": rng.randrange(3),
        "notice_violations": rng.randrange(3),
        "notice_at": notice_at,
        "notice_due_at": rng.choice([None, notice_at, rng.choice(times)]),
    }


def draw_rating(rng: random.Random, times: list[datetime], case: dict[str, Any]) -> dict[str, Any]:
    """A rating of `case`, keyed as the case or (moved since) elsewhere, at every boundary."""

    def maybe() -> datetime | None:
        return rng.choice(times) if rng.random() < 0.6 else None

    due = maybe()
    return {
        "generation": 1,
        "rating_id": uuid4(),
        "case_id": case["case_id"],
        "centre": CENTRE,
        "department": rng.choice([case["department"], "人社", "医保"]),
        "window": rng.choice([case["window"], None, "A01"]),
        "matter_code": rng.choice([case["matter_code"], "OTHER"]),
        "level": rng.randint(1, 5),
        "channel": None,
        "is_default": rng.random() < 0.4,
        "real_name": rng.random() < 0.5,
        "rated_at": rng.choice(times),
        "validity": rng.choice([None, *(v.value for v in BadReviewValidity)]),
        "appeal_upheld": rng.choice([None, True, False]),
        "excluded": rng.random() < 0.2,
        "rectify_due": due,
        "rectification": None,
        "rectified_at": rng.choice([maybe(), due]),
        "rerated_level": None,
    }


def insert(conn: psycopg.Connection[Any], case: dict[str, Any]) -> None:
    insert_into(conn, "view_cases", case_columns(case))


def case_columns(case: dict[str, Any]) -> dict[str, Any]:
    return {
        **case,
        "generation": 1,
        "centre": CENTRE,
        "case_no": str(case["case_id"]),
        "priority": "normal",
        "applicant_name": "李*",
        "handoffs_pending": 0,
        "extensions_requested": case["extensions_approved"],
        "interventions": 0,
        "reopened": 0,
        "version": 1,
        "last_position": 1,
        "last_event_at": case["registered_at"],
        "state": b"{}",
    }


@pytest.fixture(scope="module")
def drawn(database_factory: Callable[[], Database], settings: Settings) -> Iterator[Ledger]:
    database = database_factory()
    ledger = Ledger(settings, database)
    rng = random.Random(20261206)
    policy = ledger.policies.timing(CENTRE).policy
    matters = [*sorted(policy.matters)[:3], "NOT-IN-ANY-POLICY"]
    times = instants(rng)
    with psycopg.connect(database.owner_conninfo) as conn:
        for name in ("cases", "pushback"):
            conn.execute(
                "INSERT INTO ledger_projections (name, generation) VALUES (%s, 1) "
                "ON CONFLICT (name) DO UPDATE SET generation = 1",
                (name,),
            )
        for n in range(800):
            case = draw_case(rng, times, matters)
            insert(conn, case)
            for _ in range(rng.choice([0, 0, 1, 1, 2])):  # none, one, or re-rated
                insert_into(conn, "view_ratings", draw_rating(rng, times, case))
            if n % 4 == 0:  # another generation's rating never counts, nor marks its case rated
                stale = {**draw_rating(rng, times, case), "generation": 0}
                insert_into(conn, "view_ratings", {**stale, "is_default": False, "excluded": False})
    yield ledger
    ledger.close()


@pytest.mark.parametrize("group_by", list(GroupBy), ids=str)
def test_the_summed_report_is_the_same_read_on_one_connection(
    drawn: Ledger, group_by: GroupBy
) -> None:
    """The completions run beside the other queries on a second connection of the same snapshot
    (`shared_snapshot`), and on the first when none is free: the same report either way."""
    period, now = PERIODS[2], NOWS[1]
    beside = compute(drawn, fetch(drawn, period, None, (group_by, now)), period, group_by, now)
    with all_connections_but_one_lent(drawn):
        alone = fetch(drawn, period, None, (group_by, now))
    assert msgspec.to_builtins(compute(drawn, alone, period, group_by, now)) == (
        msgspec.to_builtins(beside)
    )
    assert beside.total.indicators.working_days.n > 1


@pytest.mark.parametrize("group_by", list(GroupBy), ids=str)
def test_the_summed_report_is_the_tallied_one(drawn: Ledger, group_by: GroupBy) -> None:
    compared = 0
    for period in PERIODS:
        for now in NOWS:
            tallied = fetch(drawn, period, None)
            summed = fetch(drawn, period, None, (group_by, now))
            assert summed.rows == [] and summed.sums is not None
            expected = msgspec.to_builtins(compute(drawn, tallied, period, group_by, now))
            got = msgspec.to_builtins(compute(drawn, summed, period, group_by, now))
            assert got == expected, (period, now)
            compared += len(expected["groups"])
            for group in got["groups"]:  # and the figures are not all zero
                assert group["indicators"]["received"] >= 0
    assert compared > 0
    # The draw meets every boundary: each figure is non-zero somewhere.
    year = fetch(drawn, PERIODS[2], None, (group_by, NOWS[2]))
    total = compute(drawn, year, PERIODS[2], group_by, NOWS[2]).total.indicators
    for figure in ("received", "accepted", "completed", "due", "on_time", "extended", "notices"):
        assert getattr(total, figure) > 0, figure
    assert total.promise_compression.denominator, "no matter with both limits was counted"
    assert total.working_days.n > 1
    ratings = compute(drawn, year, PERIODS[2], group_by, NOWS[2]).total.ratings
    for figure in ("ratings", "default", "excluded", "bad"):
        assert getattr(ratings, figure) > 0, figure
    for rate in ("active_rate", "rectify_on_time_rate", "rectify_rate", "real_name_follow_up_rate"):
        assert getattr(ratings, rate).numerator > 0, rate
        assert getattr(ratings, rate).numerator < getattr(ratings, rate).denominator, rate


@pytest.mark.parametrize("period", PERIODS[:2], ids=["month", "day"])
def test_the_daily_trend_is_each_days_report(drawn: Ledger, period: Period) -> None:
    """The 指标 page's trend (`summed.daily_query`): each day's figures are the tallied report's
    for `from=to=that day`."""
    counted = 0
    for now in NOWS:
        fetched = fetch(drawn, period, None, (GroupBy.DEPARTMENT, now), daily=True)
        assert fetched.daily is not None
        for day, figures in daily(fetched.daily, period):
            one = Period(first=day, last=day)
            tallied = compute(drawn, fetch(drawn, one, None), one, GroupBy.DEPARTMENT, now)
            total = tallied.total.indicators
            expected = (total.received, total.accepted, total.completed, total.due)
            got = (figures.received, figures.accepted, figures.completed, figures.due)
            assert got == expected, (day, now)
            assert figures.on_time_rate == total.on_time_rate, (day, now)
            counted += sum(got)
    assert counted > 0


def upsert(conn: psycopg.Connection[Any], cases: list[dict[str, Any]]) -> None:
    """New and changed cases in one statement, as the projector writes a batch."""
    rows = [case_columns(c) for c in cases]
    names = list(rows[0])
    values = ", ".join("(" + ", ".join(["%s"] * len(names)) + ")" for _ in rows)
    columns = ", ".join(f'"{n}"' for n in names)
    updates = ", ".join(f'"{n}" = excluded."{n}"' for n in names)
    conn.execute(
        f"INSERT INTO view_cases ({columns}) VALUES {values} "
        f"ON CONFLICT (generation, case_id) DO UPDATE SET {updates}",
        [value for row in rows for value in row.values()],
    )


@pytest.fixture(scope="module")
def changed(database_factory: Callable[[], Database], settings: Settings) -> Iterator[Ledger]:
    """Cases drawn as in `drawn`, then changed the ways a case row changes, in statements of
    many rows: redrawn whole (hand-offs move the department, reopening unsets the closure, an
    extension moves the deadline, a withdrawal turns 办结 into withdrawn), inserted beside
    updates in one upsert, updated by plain UPDATEs, and deleted."""
    database = database_factory()
    ledger = Ledger(settings, database)
    rng = random.Random(20261207)
    matters = [*sorted(ledger.policies.timing(CENTRE).policy.matters)[:3], "NOT-IN-ANY-POLICY"]
    times = instants(rng)
    with psycopg.connect(database.owner_conninfo) as conn:
        conn.execute(
            "INSERT INTO ledger_projections (name, generation) VALUES ('cases', 1), "
            "('pushback', 1) ON CONFLICT (name) DO UPDATE SET generation = 1"
        )
        cases: dict[Any, dict[str, Any]] = {}
        for _ in range(12):
            redrawn = [
                {**draw_case(rng, times, matters), "case_id": case_id}
                for case_id in rng.sample(sorted(cases), min(len(cases), 40))
            ]
            drawn = [draw_case(rng, times, matters) for _ in range(60)]
            upsert(conn, redrawn + drawn)
            cases |= {c["case_id"]: c for c in redrawn + drawn}
            moved = rng.sample(sorted(cases), 25)
            conn.execute(
                "UPDATE view_cases SET department = (ARRAY['人社', '医保', '不动产'])[1 + "
                "abs(hashtext(case_id::text || %s)) %% 3], visits = visits + 1, "
                "due_at = due_at + interval '1 day' WHERE case_id = ANY(%s)",
                (str(rng.random()), moved),
            )
            gone = rng.sample(sorted(cases), 5)
            conn.execute("DELETE FROM view_cases WHERE case_id = ANY(%s)", (gone,))
            for case_id in gone:
                del cases[case_id]
        assert_tallies_match_rows(conn)
    yield ledger
    ledger.close()


@pytest.mark.parametrize("group_by", list(GroupBy), ids=str)
def test_the_tallies_kept_through_changes_sum_to_the_tallied_report(
    changed: Ledger, group_by: GroupBy
) -> None:
    """The triggers subtract each statement's old rows and add its new ones: after every kind of
    change the tallies equal the rows summed from zero (`changed`), and the report still equals
    the one tallied in Python over the rows."""
    for period in PERIODS:
        for now in NOWS:
            tallied = fetch(changed, period, None)
            summed = fetch(changed, period, None, (group_by, now))
            expected = msgspec.to_builtins(compute(changed, tallied, period, group_by, now))
            got = msgspec.to_builtins(compute(changed, summed, period, group_by, now))
            assert got == expected, (period, now)
