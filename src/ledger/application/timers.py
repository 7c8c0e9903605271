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

`RatingTimer` does the same for 好差评 default ratings: a completed case that got no rating by the
time its centre's policy gives the rater (`rating.default_after`; 广东: 7 calendar days → level
3, 基本满意) is rated by default (`Rated`, `default=True`; the aggregate computes the level and
refuses one not due). Candidates are the live "cases" view's completed cases with no rating in
the live "pushback" view (`view_ratings`), in the centres whose policy has a default; until the
pushback view exists the timer records nothing (it would take every rated case for unrated).
Each is written under `timer:rating:<case id>` with a fixed digest, and `rating.already_rated`
(rated meanwhile, or by the other timer under another path) is taken as done. The default is
recorded when the timer finds it due: its `occurred_at` is the sweep's time, after the window.

`LedgerTimers` starts and stops both; `ledger serve` and `ledger worker` run it (`--no-timers`).

Paced: a running timer spaces a sweep's writes over half its interval (`Timer.pace`), so a
backlog (after an outage or a bulk import, up to `SWEEP_LIMIT` writes a sweep) is written at the
same rate per interval but not in one burst that readers queue behind. A stop ends a sweep
between two writes; what it left is the next sweep's, and the write keys make that exact.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar
from uuid import UUID

import structlog

from ledger.application.service import Ledger, WriteKey
from ledger.domain import policy_clocks
from ledger.domain.errors import RuleViolation
from ledger.domain.values import Actor, LimitUnit, Role

log = structlog.get_logger("ledger.timers")

SYSTEM_ACTOR = Actor(id="ledger-timer", roles=(Role.SYSTEM,), unit=None)
BREACH_DIGEST = "timer:breach:v1"
"""The digest of every breach write: the request is the commitment id alone, already the key."""
DONE_RULES = frozenset({"commitment.already_settled", "case.closed"})
SWEEP_LIMIT = 1000
"""Most writes one sweep makes: a larger backlog is the next sweeps'."""
T = TypeVar("T")

_OVERDUE = (
    "SELECT c.case_id, c.commitment_id FROM view_commitments c "
    "JOIN ledger_projections p ON p.name = 'exceptions' AND c.generation = p.generation "
    "JOIN view_exceptions x ON x.generation = c.generation AND x.exception_id = c.exception_id "
    "WHERE c.status = 'open' AND NOT x.case_closed AND c.due_at < %s "
    "ORDER BY c.due_at, c.commitment_id LIMIT %s"
)


def breach_key(commitment_id: UUID) -> WriteKey:
    return WriteKey(key=f"timer:breach:{commitment_id}", digest=BREACH_DIGEST)


class Timer:
    """A sweep run every `every` seconds on a thread of its own; `sweep` once, or `start`."""

    name = "timer"

    def __init__(self, ledger: Ledger, every: float | None = None) -> None:
        self.ledger = ledger
        self.every = ledger.settings.timer_every if every is None else every
        self.pace = self.every / (2 * SWEEP_LIMIT)
        """Seconds between two writes of a sweep the running timer makes (none when `sweep` is
        called directly): a full sweep takes half the interval."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep(self, now: datetime | None = None, *, pace: float = 0.0) -> int:
        """One pass, its writes `pace` seconds apart; the number of events it recorded (replays
        and refusals not)."""
        raise NotImplementedError

    def paced(self, items: Iterable[T], pace: float) -> Iterator[T]:
        """`items`, `pace` seconds apart, until the timer is stopped."""
        for n, item in enumerate(items):
            if n and pace and self._stop.wait(pace):
                return
            yield item

    def record(
        self,
        case_id: UUID,
        event_type: str,
        key: WriteKey,
        done_rules: frozenset[str],
        **fields: Any,
    ) -> bool:
        """Append one of the timer's events; True when this call recorded it. A replay (another
        timer, or a restart, got there first) or a refusal records nothing; a refusal naming one
        of `done_rules` means it is done already, any other is worth a warning."""
        ids = {k: str(v) for k, v in fields.items() if isinstance(v, UUID)}
        try:
            receipt = self.ledger.append(case_id, SYSTEM_ACTOR, event_type, write_key=key, **fields)
        except RuleViolation as e:
            (log.info if e.rule in done_rules else log.warning)(
                "timer.refused", timer=self.name, case_id=str(case_id), rule=e.rule, **ids
            )
            return False
        if receipt.replayed:
            return False
        log.info(
            "timer.recorded",
            timer=self.name,
            event_type=event_type,
            case_id=str(case_id),
            position=receipt.position,
            **ids,
            **{k: str(v) for k, v in receipt.ids.items()},
        )
        return True

    def run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.sweep(pace=self.pace)
            except Exception:  # a sweep's failure (database away) must not end the timer
                log.exception("timer.sweep_failed", timer=self.name)

    def start(self) -> Timer:
        self._thread = threading.Thread(target=self.run, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


class CommitmentTimer(Timer):
    """Records overdue commitments breached; `sweep` once, or `start` a thread that sweeps."""

    name = "commitment-timer"

    def overdue(self, now: datetime) -> list[tuple[UUID, UUID]]:
        """(case id, commitment id) of open commitments due before `now`, per the live view."""
        with self.ledger.store.datastore.get_connection() as conn:
            rows = conn.execute(_OVERDUE, (now, SWEEP_LIMIT)).fetchall()
        return [(row["case_id"], row["commitment_id"]) for row in rows]

    def sweep(self, now: datetime | None = None, *, pace: float = 0.0) -> int:
        """One pass; the number of breaches this pass recorded (replays and refusals not)."""
        return sum(
            self.record(
                case_id,
                "CommitmentBreached",
                breach_key(commitment_id),
                DONE_RULES,
                commitment_id=commitment_id,
            )
            for case_id, commitment_id in self.paced(self.overdue(now or _now()), pace)
        )


RATING_DIGEST = "timer:rating:v1"
"""The digest of every default-rating write: the request is the case id alone, already the key."""
RATING_DONE_RULES = frozenset({"rating.already_rated"})

_UNRATED = (
    "SELECT c.case_id, c.centre, c.closed_at FROM view_cases c "
    "JOIN ledger_projections p ON p.name = 'cases' AND c.generation = p.generation "
    "JOIN ledger_projections q ON q.name = 'pushback' "
    "LEFT JOIN view_ratings r ON r.generation = q.generation AND r.case_id = c.case_id "
    "WHERE c.status = 'completed' AND r.rating_id IS NULL AND c.centre = ANY(%s) "
    "AND c.closed_at < %s "
    "ORDER BY c.closed_at, c.case_id LIMIT %s"
)


def rating_key(case_id: UUID) -> WriteKey:
    return WriteKey(key=f"timer:rating:{case_id}", digest=RATING_DIGEST)


class RatingTimer(Timer):
    """Rates completed cases by default once their centre's rating window has passed."""

    name = "rating-timer"

    def __init__(self, ledger: Ledger, every: float | None = None) -> None:
        super().__init__(ledger, every)
        policies = ledger.policies
        # The centres whose policy sets a default rating (the national policy sets none).
        self.centres = sorted(
            centre
            for name in policies.jurisdictions
            for centre in policies.jurisdiction(name).policy.centres
            if policies.timing(centre).policy.rating.default_after is not None
        )

    def due(self, now: datetime) -> list[UUID]:
        """Completed, unrated cases of those centres whose window has passed, per the views."""
        if not self.centres:
            return []
        # A bound for the query (no window is shorter), made exact per case below.
        shortest = min(self._window_days(c) for c in self.centres)
        with self.ledger.store.datastore.get_connection() as conn:
            rows = conn.execute(
                _UNRATED, (self.centres, now - timedelta(days=shortest), SWEEP_LIMIT)
            ).fetchall()
        due: list[UUID] = []
        for row in rows:
            timing = self.ledger.policies.timing(row["centre"])
            rule = timing.policy.rating.default_after
            assert rule is not None
            if policy_clocks.due_at(timing, rule.limit, row["closed_at"]) < now:
                due.append(row["case_id"])
        return due

    def sweep(self, now: datetime | None = None, *, pace: float = 0.0) -> int:
        """One pass; the number of default ratings this pass recorded (replays, refusals not)."""
        now = now or _now()
        return sum(
            self.record(
                case_id,
                "Rated",
                rating_key(case_id),
                RATING_DONE_RULES,
                occurred_at=now,
                default=True,
            )
            for case_id in self.paced(self.due(now), pace)
        )

    def _window_days(self, centre: str) -> int:
        """Whole days the window surely lasts: N days (calendar or working) end no earlier than
        N - 1 days after the completion; an hours or minutes window, none."""
        rule = self.ledger.policies.timing(centre).policy.rating.default_after
        assert rule is not None
        if rule.limit.unit in (LimitUnit.CALENDAR_DAYS, LimitUnit.WORKING_DAYS):
            return max(rule.limit.value - 1, 0)
        return 0


class LedgerTimers:
    """Every timer of the ledger (commitment breaches, default ratings), started and stopped
    together: what `ledger serve` and `ledger worker` run unless `--no-timers`."""

    def __init__(self, ledger: Ledger, every: float | None = None) -> None:
        self.timers: tuple[Timer, ...] = (
            CommitmentTimer(ledger, every),
            RatingTimer(ledger, every),
        )

    def start(self) -> LedgerTimers:
        for timer in self.timers:
            timer.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        for timer in self.timers:
            timer.stop(timeout)


def _now() -> datetime:
    return datetime.now(timezone.utc)  # noqa: UP017 (house style)
