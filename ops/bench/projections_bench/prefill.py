"""The projections bench's pre-fill: the demo's synthetic months, each case decided by a bare
`Case` aggregate in memory, encoded by the mapper and COPYed in the order things happened."""

from __future__ import annotations

import functools
import itertools
import math
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

import psycopg
from support.events import copy_events, vacuum_events
from support.report import log

from ledger.demo import last_full_month
from ledger.demo.commands import as_actor, command, registration
from ledger.demo.plan import BEIJING, CasePlan
from ledger.demo.synthetic.calendar import WorkingDays, national_calendar
from ledger.demo.synthetic.draw import CaseDraw
from ledger.domain.case import Case
from ledger.domain.case_number import series_year
from ledger.domain.personal_data import protect_applicant
from ledger.rules.calendars import policy_dir
from ledger.rules.time_limits import Policies
from ledger.store.events import MsgspecMapper
from projections_bench.plan import CASES_PER_MONTH

if TYPE_CHECKING:
    from collections.abc import Iterator

    from support.events import Row

EVENTS_PER_CASE = 4.4  # the synthetic mix's mean, to choose the first month
PREFILL_SEED = 1
COPY_CHUNK = 50_000  # pre-fill rows per COPY (one transaction each)


@dataclass
class Mix:
    """What the pre-fill wrote."""

    events: int = 0
    months: list[str] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)
    dropped: int = 0
    """Steps later than now, never decided (as the view tests drop them)."""
    payload_bytes: int = 0
    decide_seconds: float = 0.0
    copy_seconds: float = 0.0
    per_month: int = CASES_PER_MONTH

    def describe(self) -> list[str]:
        cases = self.kinds["Registered"]
        share = ", ".join(
            f"{kind} {100 * n / self.events:.1f}%" for kind, n in self.kinds.most_common()
        )
        months = f"{self.months[0]}..{self.months[-1]}" if len(self.months) > 1 else self.months[0]
        return [
            f"pre-fill: {self.events:,} events of {cases:,} synthetic cases ({months}, "
            f"{self.per_month:,} cases a month, seed {PREFILL_SEED}; {self.dropped:,} steps "
            f"later than now dropped), {self.payload_bytes / self.events:.0f} bytes a payload: "
            f"decided by Case aggregates and encoded {self.decide_seconds:.1f} s, "
            f"COPY + VACUUM ANALYZE {self.copy_seconds:.1f} s",
            f"mix: {share}",
        ]


class SyntheticCases:
    """Synthetic plans decided by bare `Case` aggregates, step by step as `Ledger` decides them
    (the centre's `Timing` for clocks, ids minted by earlier steps filled in), no database."""

    def __init__(self, pii_key: bytes, now: datetime) -> None:
        self.now = now
        self.days = WorkingDays(national_calendar())
        self.policies = Policies(policy_dir())
        self.protect = functools.partial(protect_applicant, pii_key)
        self.mapper = MsgspecMapper()
        self.numbers: Counter[tuple[str, int]] = Counter()

    def decide(self, plan: CasePlan, mix: Mix) -> list[tuple[datetime, Row]]:
        """The case's events as rows, each with when the case had got that far (the latest
        `occurred_at` so far: a case's events keep their order when sorted by it)."""
        first, *rest = plan.steps
        fields = registration(first, self.protect)
        series = (fields["centre"], series_year(first.at))
        self.numbers[series] += 1  # the series' own format: HUOSHAN-2026-000123
        case = Case.register(
            actor=as_actor(first.by),
            case_no=f"{series[0].upper()}-{series[1]}-{self.numbers[series]:06d}",
            **fields,
        )
        timing = self.policies.timing(case.state.centre)
        minted: dict[str, Any] = {}
        for i, step in enumerate(rest):
            if step.at > self.now:
                mix.dropped += len(rest) - i
                break
            c = command(step, minted)
            minted.update(case.append(c.event_type, c.actor, c.occurred_at, timing, **c.fields))
        rows: list[tuple[datetime, Row]] = []
        latest = first.at
        for event in case.collect_events():
            stored = self.mapper.to_stored_event(event)
            latest = max(latest, event.occurred_at)  # type: ignore[attr-defined]
            row = (stored.originator_id, stored.originator_version, stored.topic, stored.state)
            rows.append((latest, row))
        return rows


def add_months(first: date, n: int) -> date:
    year, month = divmod(first.year * 12 + first.month - 1 + n, 12)
    return date(year, month + 1, 1)


def synthetic_rows(
    events: int, pii_key: bytes, mix: Mix, per_month: int = CASES_PER_MONTH
) -> Iterator[Row]:
    """The first `events` events of whole synthetic months of `per_month` cases each, ending near
    the last full month, in the order they happened. A month's cases are merged with whatever
    earlier months' cases did after it began, so a case that goes on into the next month
    interleaves with its cases."""
    now = datetime.now(timezone.utc)  # noqa: UP017 (house style)
    cases = SyntheticCases(pii_key, now)
    last = date.fromisoformat(last_full_month(now.astimezone(BEIJING).date()) + "-01")
    month = add_months(last, 1 - max(1, math.ceil(events / (per_month * EVENTS_PER_CASE))))
    pending: list[tuple[datetime, int, Row]] = []
    sequence = itertools.count()  # ties keep the order they were decided in
    while True:
        begins = datetime(month.year, month.month, 1, tzinfo=BEIJING)
        if begins <= now:
            name = f"{month:%Y-%m}"
            mix.months.append(name)
            plans = [CaseDraw(name, PREFILL_SEED, n, cases.days).plan() for n in range(per_month)]
            plans.sort(key=lambda p: p.registered_at)  # numbers in registration order
            for plan in plans:
                if plan.registered_at > now:
                    mix.dropped += len(plan.steps)
                    continue
                pending += [(at, next(sequence), row) for at, row in cases.decide(plan, mix)]
        month = add_months(month, 1)
        pending.sort()
        ends = datetime(month.year, month.month, 1, tzinfo=BEIJING)
        ready = (
            len(pending)
            if begins > now
            else next((i for i, (at, _, _) in enumerate(pending) if at >= ends), len(pending))
        )
        for _, _, row in pending[:ready]:
            yield row
            mix.events += 1
            mix.kinds[row[2].rpartition(".")[2]] += 1
            mix.payload_bytes += len(row[3])
            if mix.events == events:
                return
        del pending[:ready]
        if begins > now and not pending:
            return  # the log is shorter than asked: every case until now is in


def prefill(owner: str, events: int, pii_key: bytes, per_month: int = CASES_PER_MONTH) -> Mix:
    """COPY the synthetic rows in as the owner role; notification_id comes from its sequence."""
    mix = Mix(per_month=per_month)
    rows = synthetic_rows(events, pii_key, mix, per_month)
    with psycopg.connect(owner, autocommit=True) as conn:
        while True:
            t0 = time.perf_counter()
            chunk = list(itertools.islice(rows, COPY_CHUNK))
            t1 = time.perf_counter()
            mix.decide_seconds += t1 - t0
            if not chunk:
                break
            copy_events(conn, chunk)
            mix.copy_seconds += time.perf_counter() - t1
            log(f"  pre-filled {mix.events:,} events")
        mix.copy_seconds += vacuum_events(conn)
    return mix
