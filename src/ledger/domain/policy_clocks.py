"""Clocks and due dates read off a centre's policy, the one way every 12345, 办不成事 and 好差评
command freezes a limit into its event: started now, counted on the policy's own calendar."""

from __future__ import annotations

from datetime import datetime

from ledger.domain import clock
from ledger.domain.clock import Clock
from ledger.domain.policy import LimitRule, Timing
from ledger.domain.values import TimeLimit


def started(timing: Timing, rule: LimitRule, at: datetime) -> Clock:
    """A clock on `rule`, started `at`, citing the policy version it was frozen from."""
    policy = timing.policy
    return clock.start(timing.calendar, rule.limit, policy.cite(rule), policy.version, at)


def due_at(timing: Timing, limit: TimeLimit, at: datetime) -> datetime:
    """When `limit`, counted from `at` with nothing paused, runs out."""
    return clock.due(timing.calendar, limit, at, ()).due_at
