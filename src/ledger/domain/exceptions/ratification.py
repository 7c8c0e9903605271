"""An exception asked for after the fact (`RatificationCommands`): a rule was already set aside
(破例) without approval, and the centre's approval layers for its kind now decide whether to ratify
it.

Seed 000's teller took 李女士's ID and bank-card numbers by phone and bound the card later, "破个
例", with nobody's prior approval. Recording that as an ordinary request decided before the act
would invent approvals; refusing to record it would hide it. So the request says what was done, by
whom and when (`executed_by`, `executed_at`, `execution`), and may be made once the case is closed;
its layers then decide as any request's do (`check_decision`, the executor never among them), and
the last approval records `ExceptionRatified`, a rejection `ExceptionNotRatified`. Nothing relies
on a ratified exception afterwards: the act it covers is already on the record.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from ledger.domain.errors import RuleViolation
from ledger.domain.exceptions.approvals import ExceptionCommands
from ledger.domain.policy import Timing
from ledger.domain.state import CaseState
from ledger.domain.values import Actor


class RatificationCommands(ExceptionCommands):
    """Exceptions recorded as already executed, then ratified (or not) layer by layer."""

    class ExceptionRatificationRequested(ExceptionCommands.ExceptionRequested):
        executed_by: str  # the staff id of whoever set the rule aside
        executed_at: datetime
        execution: str  # what was done, e.g. "电话报号, 数据推送后代为绑卡"

        def fold(self, state: CaseState) -> None:
            super().fold(state)
            record = state.exceptions[-1]
            record.after_the_fact = True
            record.executed_by = self.executed_by
            record.executed_at = self.executed_at
            record.execution = self.execution

    def request_ratification(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        timing: Timing | None,
        executed_by: str,
        executed_at: datetime,
        **fields: Any,
    ) -> UUID:
        """Record an exception already executed and ask its kind's layers to ratify it; on an
        open or a closed case, by the unit holding it or a centre-wide role."""
        if not executed_by.strip():
            raise RuleViolation("ratification.executor_missing", "executed_by names who did it")
        if executed_at > occurred_at:
            raise RuleViolation(
                "ratification.not_after_the_fact",
                "executed_at is later than the request: ask before acting (ExceptionRequested)",
            )
        if executed_at < self.state.registered_at:
            raise RuleViolation(
                "ratification.before_registration",
                "executed_at precedes the case's registration",
            )
        return self._request(
            self.ExceptionRatificationRequested,
            actor=actor,
            occurred_at=occurred_at,
            timing=timing,
            executed_by=executed_by,
            executed_at=executed_at,
            **fields,
        )


COMMANDS: dict[str, tuple[str, str | None]] = {
    "ExceptionRatificationRequested": ("request_ratification", "exception_id"),
}
TIMED = frozenset({"ExceptionRatificationRequested"})
ADMISSIBLE_WHEN_CLOSED = frozenset({"ExceptionRatificationRequested"})
