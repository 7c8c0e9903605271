"""`ReplicaSet`'s choice against real databases: positions read from the tables, round robin,
resting after a failure. The test database stands in for a standby here (a standby has the same
tables); `tests/e2e/test_replicas.py` runs a real one."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import psycopg
import pytest

from ledger.application.service import Ledger
from ledger.store.database import Database
from ledger.store.replicas import EVENTS, Replica, ReplicaSet
from tests.conftest import actor, register

CLERK = actor("rs-clerk-07", "clerk", unit="人社")


def connect_to(conninfo: str) -> Callable[[str], AbstractContextManager[Any]]:
    return lambda _: psycopg.connect(conninfo)


def head(database: Database) -> int:
    with psycopg.connect(database.app_conninfo) as conn:
        row = conn.execute("SELECT coalesce(max(notification_id), 0) FROM ledger_events").fetchone()
        assert row is not None
        return int(row[0])


def test_a_replica_is_chosen_only_once_it_has_reached_the_position(
    ledger: Ledger, database: Database
) -> None:
    register(ledger, CLERK)
    replica = Replica(name="r", open=lambda: "r", connect=connect_to(database.app_conninfo))
    replicas = ReplicaSet([replica], fresh=0.0)
    position = head(database)

    reached = replicas.choose(position)
    beyond = replicas.choose(position + 1)
    no_position = replicas.choose(None)
    view = replicas.choose(0, "cases")

    assert reached is not None and (reached.target, reached.position) == ("r", position)
    assert beyond is None
    assert no_position is not None and no_position.replica is replica
    assert view is not None and replica.positions[EVENTS] == position


def test_replicas_take_turns(database: Database) -> None:
    connect = connect_to(database.app_conninfo)
    a = Replica(name="a", open=lambda: "a", connect=connect)
    b = Replica(name="b", open=lambda: "b", connect=connect)
    replicas = ReplicaSet([a, b])
    chosen = [c.target for c in (replicas.choose(None) for _ in range(4)) if c is not None]
    assert chosen == ["a", "b", "a", "b"]


def test_a_replica_that_fails_rests_and_is_not_asked_meanwhile(database: Database) -> None:
    opened: list[str] = []

    def refuse() -> str:
        opened.append("tried")
        raise psycopg.OperationalError("connection refused")

    now = [100.0]
    down = Replica(name="down", open=refuse, connect=connect_to(database.app_conninfo))
    up = Replica(name="up", open=lambda: "up", connect=connect_to(database.app_conninfo))
    replicas = ReplicaSet([down, up], resting=5.0, clock=lambda: now[0])

    first = [replicas.choose(None) for _ in range(3)]
    now[0] += 6.0  # rested: asked again
    replicas.choose(None)
    replicas.choose(None)

    assert [c.target for c in first if c is not None] == ["up", "up", "up"]
    assert opened == ["tried", "tried"]
    assert down.resting_until == pytest.approx(111.0)


def test_no_replica_means_the_primary() -> None:
    assert ReplicaSet[str]().choose(None) is None
