"""The 12345 and 办不成事 sections summed by PostgreSQL (`summed_hotline`, `summed_unresolved`)
against their definitions (`hotline`, `unresolved`, tallied in Python over the rows).

Orders, dispatches, 办不成事 reports and consultations are written straight into a fresh
database's pushback view, drawn so that every boundary the definitions name occurs many times:
times at the periods' ends and a microsecond before them, at `now`, a closure, reply, contact or
回访 exactly at its deadline, a 退单 or closure exactly at the sign-for deadline, merged orders,
dispatches whose order is not in the view, several lead dispatches of one order by different
units, unknown causes, rows of a stale generation, and a centre whose policy does not count
基本满意 as satisfied. For every grouping, three periods and three `now`s, the report
`GET /metrics/timeliness` serves (summed) equals the one tallied in Python, field for field.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import msgspec
import psycopg
import pytest

from ledger.api.indicator_reads import Fetched, compute, fetch
from ledger.application.service import Ledger
from ledger.config.settings import Settings
from ledger.domain.hotline.records import Satisfaction, TicketClosure, TicketStatus
from ledger.domain.unresolved.records import UnresolvedCause, UnresolvedClosure
from ledger.projections.indicators.grouping import GroupBy
from ledger.projections.indicators.hotline_tally import tally_hotline
from ledger.projections.indicators.period import Period
from ledger.projections.indicators.report import others_grouping
from ledger.projections.indicators.summed_hotline import summed_hotline
from ledger.projections.indicators.summed_unresolved import summed_unresolved
from ledger.projections.indicators.unresolved import tally_unresolved
from ledger.store.database import Database, database_for
from tests.summed_support import CENTRE, NOWS, PERIODS, insert_into, instants

STRICT = "qingyuan"
"""A centre whose policy (rewritten for this test) does not count 基本满意 as satisfied."""
UNITS = ["人社", "医保", "不动产"]


def strict_policies(tmp: Path, source: Path) -> Path:
    """The policies with `STRICT`'s jurisdiction given the national [hotline] section, 基本满意
    not counted."""
    root = tmp / "policies"
    shutil.copytree(source, root)
    national = (source / "time-limits" / "cn.toml").read_text(encoding="utf-8")
    hotline = national[national.index("[hotline]") :]
    hotline = hotline[: hotline.index("\n[", 1)]
    assert "includes_basic = true" in hotline
    local = root / "time-limits" / "bj-daxing.toml"
    text = local.read_text(encoding="utf-8")
    local.write_text(
        text + "\n" + hotline.replace("includes_basic = true", "includes_basic = false"),
        encoding="utf-8",
    )
    return root


def draw_ticket(rng: random.Random, times: list[datetime]) -> dict[str, Any]:
    def maybe() -> datetime | None:
        return rng.choice(times) if rng.random() < 0.7 else None

    def by(due: datetime | None) -> datetime | None:  # often exactly at its deadline
        return rng.choice([maybe(), due, due]) if due is not None else maybe()

    reply_due, order_due, contact_due, follow_up_due = maybe(), maybe(), maybe(), maybe()
    closed = by(order_due)
    merged = rng.random() < 0.15
    return {
        "ticket_id": uuid4(),
        "case_id": uuid4(),
        "case_no": "C",
        "centre": rng.choice([CENTRE, STRICT]),
        "ticket_no": "T",
        "category": "complaint",
        "urgency": "normal",
        "confidential": False,
        "status": TicketStatus.MERGED.value if merged else rng.choice(list(TicketStatus)).value,
        "received_at": rng.choice(times),
        "lead_unit": rng.choice([None, *UNITS]),
        "assist_units": [],
        "rounds": rng.randrange(4),
        "returns_requested": rng.randrange(3),
        "returns_approved": 0,
        "designated": False,
        "reply_due": reply_due,
        "extensions_approved": rng.randrange(3),
        "first_contact_at": by(contact_due),
        "replies": rng.randrange(3),
        "reworks": 0,
        "unit_claims_resolved": rng.choice([None, True, False]),
        "closure": rng.choice([None, *(c.value for c in TicketClosure)]),
        "closed_at": closed,
        "first_closed_at": rng.choice([closed, maybe()]),
        "follow_ups": rng.randrange(3),
        "followed_up_at": maybe(),
        "citizen_resolved": rng.choice([None, True, False]),
        "satisfaction": rng.choice([None, *(s.value for s in Satisfaction)]),
        "reopen_count": rng.randrange(3),
        "merged_into_case": uuid4() if merged and rng.random() < 0.5 else None,
        "supervisions": 0,
        "replied_at": by(reply_due),
        "order_due": order_due,
        "contact_due": contact_due,
        "follow_up_due": follow_up_due,
        "closure_followed_up_at": by(follow_up_due),
    }


def draw_dispatch(
    rng: random.Random, times: list[datetime], ticket: dict[str, Any], seq: int
) -> dict[str, Any]:
    due = rng.choice([None, *NOWS, rng.choice(times), rng.choice(times)])
    at_due = [due, rng.choice(times), None] if due is not None else [rng.choice(times), None]
    return {
        "ticket_id": ticket["ticket_id"],
        "seq": seq,
        "case_id": ticket["case_id"],
        "centre": ticket["centre"],
        "unit": rng.choice(UNITS),
        "role": rng.choice(["lead", "lead", "assist"]),
        "designated": False,
        "dispatched_at": rng.choice(times),
        "sign_for_due": due,
        "signed_for_at": rng.choice([None, None, *at_due]),
        "returned_at": rng.choice([None, *at_due]),
    }


def draw_report(rng: random.Random, times: list[datetime], matters: list[str]) -> dict[str, Any]:
    due = rng.choice([None, rng.choice(times)])
    code = rng.choice(matters)
    return {
        "report_id": uuid4(),
        "case_id": uuid4(),
        "case_no": "C",
        "centre": rng.choice([CENTRE, STRICT]),
        "department": rng.choice(UNITS),
        "matter_code": code,
        "matter_name": rng.choice([f"{code} 事项", f"{code} 事项（新）"]),
        "cause": rng.choice([*(c.value for c in UnresolvedCause), "a-cause-no-longer-listed"]),
        "resolvability": "resolvable",
        "tier": "simple",
        "description": "…",
        "reported_at": rng.choice(times),
        "due_at": due,
        "team_size": 0,
        "closure": rng.choice([None, *(c.value for c in UnresolvedClosure)]),
        "closed_at": rng.choice([None, due, rng.choice(times)]),
        "root_causes": 0,
        "actions_open": 0,
        "actions_completed": 0,
        "window": rng.choice([None, "A01", "B02"]),
        "negative_answer": rng.random() < 0.3,
    }


def draw_consultation(
    rng: random.Random, times: list[datetime], matters: list[str]
) -> dict[str, Any]:
    code = rng.choice(matters)
    return {
        "consultation_id": uuid4(),
        "case_id": uuid4(),
        "centre": CENTRE,
        "unit": rng.choice(UNITS),
        "window": rng.choice([None, "A01", "C03"]),
        "matter_code": code,
        "matter_name": rng.choice([f"{code} 事项", f"{code} 事项（新）"]),
        "recorded_at": rng.choice(times),
    }


@pytest.fixture(scope="module")
def drawn(
    database_factory: Callable[[], Database], settings: Settings, tmp_path_factory: Any
) -> Iterator[Ledger]:
    policies = strict_policies(tmp_path_factory.mktemp("summed"), settings.policy_dir)
    database = database_factory()
    ledger = Ledger(msgspec.structs.replace(settings, policy_dir=policies), database)
    rng = random.Random(20261207)
    times = instants(rng)
    times += [t + timedelta(microseconds=rng.randrange(1, 10**6)) for t in times[-20:]]
    matters = ["M1", "M2", "M3"]
    with psycopg.connect(database.owner_conninfo) as conn:
        conn.execute(
            "INSERT INTO ledger_projections (name, generation) VALUES ('cases', 1), "
            "('pushback', 1) ON CONFLICT (name) DO UPDATE SET generation = 1"
        )
        for n in range(700):
            generation = 0 if n % 10 == 0 else 1  # a stale generation never counts
            ticket = draw_ticket(rng, times)
            if n % 13:  # else its dispatches' order is not in the view
                insert_into(conn, "view_hotline_tickets", {**ticket, "generation": generation})
            for seq in range(rng.choice([0, 1, 1, 2, 3])):
                dispatch = draw_dispatch(rng, times, ticket, seq)
                insert_into(conn, "view_hotline_dispatches", {**dispatch, "generation": generation})
            insert_into(conn, "view_unresolved", {**draw_report(rng, times, matters),
                                                  "generation": generation})  # fmt: skip
            if n % 3 == 0:
                consultation = draw_consultation(rng, times, matters)
                insert_into(conn, "view_consultations", {**consultation, "generation": generation})
    yield ledger
    ledger.close()


def assert_same_tallies(
    tallied: Fetched, summed: Fetched, period: Period, group_by: GroupBy, now: datetime
) -> None:
    """The tallies under the figures are equal too, the waits' exact microseconds included (a
    mean rounded to 0.01 day hides most of a difference in them)."""
    assert summed.pushback_sums is not None
    grouped = group_by is GroupBy.DEPARTMENT
    rows = tallied.pushback
    expected_h = tally_hotline(rows.dispatches, rows.tickets, period, now, grouped=grouped)
    assert summed_hotline(summed.pushback_sums.hotline, grouped=grouped) == expected_h
    others_by = others_grouping(group_by)
    expected_u = tally_unresolved(rows.unresolved, period, now, others_by, rows.consultations)
    sums = summed.pushback_sums
    got_u = summed_unresolved(sums.reports, sums.consultations, sums.names)
    assert got_u[:2] == expected_u[:2]


@pytest.mark.parametrize("group_by", list(GroupBy), ids=str)
def test_the_summed_pushback_sections_are_the_tallied_ones(
    drawn: Ledger, group_by: GroupBy
) -> None:
    for period in PERIODS:
        for now in NOWS:
            tallied = fetch(drawn, period, None)
            summed = fetch(drawn, period, None, (group_by, now))
            assert summed.pushback.tickets == [] and summed.pushback_sums is not None
            expected = msgspec.to_builtins(compute(drawn, tallied, period, group_by, now))
            got = msgspec.to_builtins(compute(drawn, summed, period, group_by, now))
            assert got == expected, (period, now)
            assert_same_tallies(tallied, summed, period, group_by, now)
            scoped = fetch(drawn, period, [STRICT], (group_by, now))
            expected = compute(drawn, fetch(drawn, period, [STRICT]), period, group_by, now)
            got_scoped = compute(drawn, scoped, period, group_by, now)
            assert msgspec.to_builtins(got_scoped) == msgspec.to_builtins(expected), (period, now)


def test_the_draw_meets_every_boundary(drawn: Ledger) -> None:
    """Each figure of both sections is non-zero, and each rate neither 0 nor 1, in the year."""
    year, now = PERIODS[2], NOWS[2]
    total = compute(drawn, fetch(drawn, year, None, (GroupBy.DEPARTMENT, now)), year,
                    GroupBy.DEPARTMENT, now).total  # fmt: skip
    hotline = msgspec.to_builtins(total.hotline)
    for name, value in hotline.items():
        if name == "rounds_per_ticket":  # an average, not a share
            assert value["numerator"] > value["denominator"] > 0
        elif isinstance(value, dict) and "numerator" in value:
            assert 0 < value["numerator"] < value["denominator"], name
        elif isinstance(value, int):
            assert value > 0, name
    assert total.hotline.total_wait.n > 1
    unresolved = total.unresolved
    assert unresolved.received and unresolved.negative_answers and unresolved.consultations
    assert 0 < unresolved.on_time_rate.numerator < unresolved.on_time_rate.denominator
    assert unresolved.by_cause["a-cause-no-longer-listed"] > 0
    assert all(unresolved.by_closure.values())


def test_a_centres_satisfaction_rule_applies_to_its_orders(
    drawn: Ledger, settings: Settings
) -> None:
    """基本满意 counts as content in `CENTRE` and not in `STRICT`: against the same rows under
    the unchanged policies, `STRICT`'s 满意率 numerator is smaller by its 基本满意 answers and
    `CENTRE`'s is the same."""
    year, now = PERIODS[2], NOWS[2]
    unchanged = Ledger(settings, database_for(drawn.database.owner_conninfo, settings))
    try:
        numerators = {}
        for centre in (CENTRE, STRICT):
            for ledger in (drawn, unchanged):
                fetched = fetch(ledger, year, [centre], (GroupBy.DEPARTMENT, now))
                total = compute(ledger, fetched, year, GroupBy.DEPARTMENT, now).total.hotline
                numerators[centre, ledger is drawn] = total.satisfaction_rate.numerator
    finally:
        unchanged.close()
    assert numerators[CENTRE, True] == numerators[CENTRE, False] > 0
    assert 0 < numerators[STRICT, True] < numerators[STRICT, False]
