"""The ledger's own timers: a commitment (承诺书) not kept by its due date is recorded breached.

`CommitmentTimer` sweeps every `Settings.timer_every` seconds (default 60): it reads the open
commitments past due from the live "exceptions" view (`view_commitments`) and appends
`CommitmentBreached` to each case as `SYSTEM_ACTOR`. The aggregate decides as for any write (the
commitment must still be open and past due; the case must be open) and records the policy's
consequence (退办 closes the case as withdrawn).

Exactly once, whatever runs it: every breach is written under the write key
`timer:breach:<commitment id>` with a fixed digest, so a retry, a restart, a lagging view that
still shows the commitment open, or a second timer in another process (`ledger serve` and
`ledger worker` both run one by default) gets the first write's receipt back instead of a second
event; and when the first write landed under another path (a person settled it, the case closed)
the aggregate refuses with `commitment.already_settled` / `case.closed`, which the timer takes
as done. Other refusals are logged as warnings and retried on the next sweep.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from uuid import UUID

import structlog

from ledger.application import Ledger, WriteKey
from ledger.domain.errors import RuleViolation
from ledger.domain.values import Actor, Role

log = structlog.get_logger("ledger.timers")

SYSTEM_ACTOR = Actor(id="ledger-timer", roles=(Role.SYSTEM,), unit=None)
BREACH_DIGEST = "timer:breach:v1"
"""The digest of every breach write: the request is the commitment id alone, already the key."""
DONE_RULES = frozenset({"commitment.already_settled", "case.closed"})
SWEEP_LIMIT = 1000

_OVERDUE = (
    "SELECT c.case_id, c.commitment_id FROM view_commitments c "
    "JOIN ledger_projections p ON p.name = 'exceptions' AND c.generation = p.generation "
    "JOIN view_exceptions x ON x.generation = c.generation AND x.exception_id = c.exception_id "
    "WHERE c.status = 'open' AND NOT x.case_closed AND c.due_at < %s "
    "ORDER BY c.due_at, c.commitment_id LIMIT %s"
)


def breach_key(commitment_id: UUID) -> WriteKey:
    return WriteKey(key=f"timer:breach:{commitment_id}", digest=BREACH_DIGEST)


class CommitmentTimer:
    """Records overdue commitments breached; `sweep` once, or `start` a thread that sweeps."""

    def __init__(self, ledger: Ledger, every: float | None = None) -> None:
        self.ledger = ledger
        self.every = ledger.settings.timer_every if every is None else every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def overdue(self, now: datetime) -> list[tuple[UUID, UUID]]:
        """(case id, commitment id) of open commitments due before `now`, per the live view."""
        with self.ledger.store.datastore.get_connection() as conn:
            rows = conn.execute(_OVERDUE, (now, SWEEP_LIMIT)).fetchall()
        return [(row["case_id"], row["commitment_id"]) for row in rows]

    def sweep(self, now: datetime | None = None) -> int:
        """One pass; the number of breaches this pass recorded (replays and refusals not)."""
        recorded = 0
        for case_id, commitment_id in self.overdue(now or _now()):
            try:
                receipt = self.ledger.append(
                    case_id,
                    SYSTEM_ACTOR,
                    "CommitmentBreached",
                    commitment_id=commitment_id,
                    key=breach_key(commitment_id),
                )
            except RuleViolation as e:
                done = e.rule in DONE_RULES
                (log.info if done else log.warning)(
                    "timer.breach_refused",
                    case_id=str(case_id),
                    commitment_id=str(commitment_id),
                    rule=e.rule,
                )
                continue
            if not receipt.replayed:
                recorded += 1
                log.info(
                    "timer.breached",
                    case_id=str(case_id),
                    commitment_id=str(commitment_id),
                    position=receipt.position,
                )
        return recorded

    def run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.sweep()
            except Exception:  # a sweep's failure (database away) must not end the timer
                log.exception("timer.sweep_failed")

    def start(self) -> CommitmentTimer:
        self._thread = threading.Thread(target=self.run, name="commitment-timer", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


def _now() -> datetime:
    return datetime.now(timezone.utc)  # noqa: UP017 (house style)
