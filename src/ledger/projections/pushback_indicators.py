"""Pushback indicators (domain brief §1.6, §2, §3): 12345 work orders, 办不成事 reports and 好差评
ratings, as pure arithmetic over the "pushback" views' rows (migrations/0006), served beside the
timeliness indicators by `GET /metrics/timeliness` (`report` joins both).

Same conventions as `ledger.projections.timeliness`: the period P, rates with numerator and
denominator rounded half up (null for a zero denominator), `now` as an argument, totals computed
over the rows. Only deadlines already passed (≤ now) make anything due, as for cases.

**Merged children.** A ticket merged into another (并单: `merged_into_case` set, status `merged`)
is left out of every hotline denominator and numerator, its dispatches included; it counts only
in `received`, `merged` and 重复来电率.

**Groups.** Each row has one key per grouping, or none (it then counts in the total only, and
the group's section is null):

| grouping   | cases          | dispatches | tickets                   | 办不成事    | ratings     |
|------------|----------------|------------|---------------------------|-------------|-------------|
| department | department     | unit       | lead_unit (null: no unit) | department  | department  |
| window     | window         | -          | -                         | -           | window      |
| matter     | matter_code    | -          | -                         | matter_code | matter_code |

A dispatch is the unit's own (its 签收 is the unit's); a ticket belongs to its current round's lead
unit (for a closed ticket, the unit whose reply closed it); a ticket no unit holds (answered at
intake, redirected, awaiting dispatch) has key null. A group is listed when anything counts in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

import msgspec

from ledger.domain.values import (
    BadReviewValidity,
    Satisfaction,
    TicketClosure,
    TicketStatus,
    UnresolvedCause,
    UnresolvedClosure,
)
from ledger.projections.timeliness import (
    CaseRow,
    GroupBy,
    Indicators,
    Period,
    Rate,
    is_completed,
    rate,
    timeliness,
)

# --- rows ---------------------------------------------------------------------------------------


class DispatchRow(msgspec.Struct, frozen=True, kw_only=True):
    """One `view_hotline_dispatches` row, with its ticket's merge and current closure."""

    ticket_id: UUID
    unit: str
    role: str
    dispatched_at: datetime
    sign_for_due: datetime | None
    signed_for_at: datetime | None
    returned_at: datetime | None
    merged: bool
    """The ticket was merged into another (并单)."""
    ticket_closed_at: datetime | None
    """The ticket's current closure (null while open or reopened)."""


class TicketRow(msgspec.Struct, frozen=True, kw_only=True):
    """The columns of one `view_hotline_tickets` row that the indicators read."""

    ticket_id: UUID
    lead_unit: str | None
    status: str
    received_at: datetime
    rounds: int
    returns_requested: int
    reply_due: datetime | None
    replies: int
    unit_claims_resolved: bool | None
    closure: str | None
    closed_at: datetime | None
    first_closed_at: datetime | None
    follow_ups: int
    followed_up_at: datetime | None
    citizen_resolved: bool | None
    satisfaction: str | None
    reopen_count: int
    merged_into_case: UUID | None

    @property
    def merged(self) -> bool:
        return self.merged_into_case is not None or self.status == TicketStatus.MERGED.value


class UnresolvedRow(msgspec.Struct, frozen=True, kw_only=True):
    """The columns of one `view_unresolved` row that the indicators read."""

    department: str
    matter_code: str
    matter_name: str
    cause: str
    reported_at: datetime
    due_at: datetime | None
    closure: str | None
    closed_at: datetime | None


class RatingRow(msgspec.Struct, frozen=True, kw_only=True):
    """The columns of one `view_ratings` row that the indicators read."""

    case_id: UUID
    department: str
    window: str | None
    matter_code: str
    level: int
    is_default: bool
    rated_at: datetime
    validity: str | None
    appeal_upheld: bool | None
    excluded: bool
    rectify_due: datetime | None
    rectified_at: datetime | None


class PushbackRows(msgspec.Struct, frozen=True, kw_only=True):
    dispatches: list[DispatchRow] = msgspec.field(default_factory=list)
    tickets: list[TicketRow] = msgspec.field(default_factory=list)
    unresolved: list[UnresolvedRow] = msgspec.field(default_factory=list)
    ratings: list[RatingRow] = msgspec.field(default_factory=list)


# --- indicators ---------------------------------------------------------------------------------


class HotlineIndicators(msgspec.Struct, frozen=True, kw_only=True):
    dispatches: int
    sign_for_rate: Rate
    received: int
    merged: int
    repeat_rate: Rate
    dispatched: int
    return_rate: Rate
    rounds_per_ticket: Rate
    due: int
    on_time: int
    on_time_rate: Rate
    closed: int
    reopened: int
    follow_up_rate: Rate
    followed_up: int
    unreachable: int
    satisfaction_rate: Rate
    citizen_resolved_rate: Rate
    unit_resolved_rate: Rate


class UnresolvedIndicators(msgspec.Struct, frozen=True, kw_only=True):
    received: int
    by_cause: dict[str, int]
    by_closure: dict[str, int]
    closed: int
    on_time_rate: Rate


class RatingIndicators(msgspec.Struct, frozen=True, kw_only=True):
    ratings: int
    default: int
    excluded: int
    bad: int
    good_rate: Rate
    good_rate_without_default: Rate
    active_rate: Rate
    rectify_on_time_rate: Rate


class Group(msgspec.Struct, frozen=True, kw_only=True):
    key: str | None
    matter_name: str | None
    """Only when grouping by matter."""
    indicators: Indicators
    hotline: HotlineIndicators | None
    """Null when the grouping does not apply to 12345 orders (window, matter)."""
    unresolved: UnresolvedIndicators | None
    """Null when grouping by window."""
    ratings: RatingIndicators | None


class Total(msgspec.Struct, frozen=True, kw_only=True):
    indicators: Indicators
    hotline: HotlineIndicators
    unresolved: UnresolvedIndicators
    ratings: RatingIndicators


class Report(msgspec.Struct, frozen=True, kw_only=True):
    groups: list[Group]
    total: Total


# --- what each row counts as --------------------------------------------------------------------

_REDIRECTED = TicketClosure.REDIRECTED.value
_CONTENT = frozenset({Satisfaction.SATISFIED.value, Satisfaction.BASICALLY_SATISFIED.value})
_VALID = BadReviewValidity.VALID.value
OPEN = "open"
"""The `by_closure` key of a 办不成事 report not closed yet."""


def sign_for_outcome(d: DispatchRow, p: Period, now: datetime) -> bool | None:
    """及时签收: True signed in time, False late, None not counted.

    Counted: dispatches (lead or assisting, every round) with dispatched_at in P and a known
    sign_for_due, whose ticket was not merged, once the sign-for is decided:
    - signed (signed_for_at set): in time when signed_for_at ≤ sign_for_due, else late;
    - unsigned with sign_for_due ≤ now: late, unless the dispatch ended unsigned by its due
      (returned_at ≤ sign_for_due: an approved 退单 ended the round; or the ticket's current
      closure ≤ sign_for_due: nothing was left to sign for), which is not counted;
    - unsigned before its due: not decided yet, not counted."""
    if d.merged or d.sign_for_due is None or not p.contains(d.dispatched_at):
        return None
    due = d.sign_for_due
    if d.signed_for_at is not None:
        return d.signed_for_at <= due
    ended = [at for at in (d.returned_at, d.ticket_closed_at) if at is not None]
    if ended and min(ended) <= due:
        return None
    return False if due <= now else None


def ticket_due(t: TicketRow, p: Period, now: datetime) -> bool:
    """应办结: not merged, reply_due (extensions included; a reopened ticket's new clock) in P
    and ≤ now."""
    due = t.reply_due
    return not t.merged and due is not None and p.contains(due) and due <= now


def ticket_on_time(t: TicketRow, p: Period, now: datetime) -> bool:
    """按时办结: due, closed now (any closure) and closed_at ≤ reply_due. A reopened ticket not
    closed again is not; one closed again counts by its latest closure against its new clock."""
    return (
        ticket_due(t, p, now)
        and t.closed_at is not None
        and t.reply_due is not None
        and t.closed_at <= t.reply_due
    )


def ticket_closed(t: TicketRow, p: Period) -> bool:
    """closed (eligible for 回访): not merged, first_closed_at in P (a later 重办 does not move
    it), closure not `redirected` (sent to 110 / a legal channel: no 回访). A reopened ticket
    (closure null now) was closed as `replied`, so it stays eligible."""
    return not t.merged and p.contains(t.first_closed_at) and t.closure != _REDIRECTED


def ticket_followed_up(t: TicketRow, p: Period) -> bool:
    """followed up in P: not merged, its last 回访 (followed_up_at) in P; one answer per ticket,
    its latest reachable one (satisfaction, citizen_resolved)."""
    return not t.merged and p.contains(t.followed_up_at)


def unresolved_on_time(u: UnresolvedRow, p: Period, now: datetime) -> bool | None:
    """办不成事 按时办结: None not counted; counted when due_at is set and either due_at is in P
    and ≤ now, or closed_at is in P; True when closed (any closure) with closed_at ≤ due_at."""
    if u.due_at is None:
        return None
    if not ((p.contains(u.due_at) and u.due_at <= now) or p.contains(u.closed_at)):
        return None
    return u.closed_at is not None and u.closed_at <= u.due_at


def needs_rectification(r: RatingRow) -> bool:
    """A 差评 (level ≤ 2) with a rectify_due, not excluded, and not awaiting an appeal: verified
    valid, or not verified yet (the deadline runs meanwhile), or claimed mistaken / malicious with
    the appeal overturned."""
    if r.level > 2 or r.excluded or r.rectify_due is None:
        return False
    return r.validity is None or r.validity == _VALID or r.appeal_upheld is False


def rectify_outcome(r: RatingRow, p: Period, now: datetime) -> bool | None:
    """差评整改按时: None not counted; counted when it needs rectification and either rectify_due
    is in P and ≤ now, or rectified_at is in P; True when rectified_at ≤ rectify_due."""
    if not needs_rectification(r) or r.rectify_due is None:
        return None
    due = r.rectify_due
    if not ((p.contains(due) and due <= now) or p.contains(r.rectified_at)):
        return None
    return r.rectified_at is not None and r.rectified_at <= due


def is_active(r: RatingRow) -> bool:
    """An active rating (主动评价): not a default one and not excluded."""
    return not r.is_default and not r.excluded


# --- tallies ------------------------------------------------------------------------------------


@dataclass
class _Hotline:
    dispatches: int = 0
    signed_in_time: int = 0
    sign_for_decided: int = 0
    received: int = 0
    merged: int = 0
    dispatched: int = 0
    returned: int = 0
    rounds: int = 0
    due: int = 0
    on_time: int = 0
    closed: int = 0
    reopened: int = 0
    closed_followed_up: int = 0
    closed_replied: int = 0
    unit_resolved: int = 0
    followed_up: int = 0
    answered: int = 0
    content: int = 0
    citizen_resolved: int = 0

    def add_dispatch(self, d: DispatchRow, p: Period, now: datetime) -> bool:
        counted = not d.merged and d.sign_for_due is not None and p.contains(d.dispatched_at)
        self.dispatches += counted
        outcome = sign_for_outcome(d, p, now)
        if outcome is not None:
            self.sign_for_decided += 1
            self.signed_in_time += outcome
        return counted

    def add_ticket(self, t: TicketRow, p: Period, now: datetime) -> bool:
        touched = False
        if p.contains(t.received_at):
            touched = True
            self.received += 1
            self.merged += t.merged
            if not t.merged and t.rounds >= 1:
                self.dispatched += 1
                self.returned += t.returns_requested >= 1
                self.rounds += t.rounds
        if ticket_due(t, p, now):
            touched = True
            self.due += 1
            self.on_time += ticket_on_time(t, p, now)
        if ticket_closed(t, p):
            touched = True
            self.closed += 1
            self.reopened += t.reopen_count >= 1
            self.closed_followed_up += t.follow_ups >= 1
            if t.replies >= 1:
                self.closed_replied += 1
                self.unit_resolved += t.unit_claims_resolved is True
        if ticket_followed_up(t, p):
            touched = True
            self.followed_up += 1
            if t.satisfaction is not None:
                self.answered += 1
                self.content += t.satisfaction in _CONTENT
                self.citizen_resolved += t.citizen_resolved is True
        return touched

    def indicators(self) -> HotlineIndicators:
        return HotlineIndicators(
            dispatches=self.dispatches,
            # 及时签收率: signed in time ÷ sign-for decided (see sign_for_outcome).
            sign_for_rate=rate(self.signed_in_time, self.sign_for_decided),
            # received: tickets received in P, merged children included; merged: of those, the
            # ones merged into another (as of now). 重复来电率 = merged ÷ received.
            received=self.received,
            merged=self.merged,
            repeat_rate=rate(self.merged, self.received),
            # dispatched: received in P, not merged, with ≥ 1 lead dispatch (rounds ≥ 1).
            # 退单率 = those with ≥ 1 退单 request (approved or not) ÷ dispatched; rounds per
            # ticket = sum(rounds) ÷ dispatched, to 2 decimals.
            dispatched=self.dispatched,
            return_rate=rate(self.returned, self.dispatched),
            rounds_per_ticket=rate(self.rounds, self.dispatched, places=2),
            # 按时办结率 = on_time ÷ due (ticket_due, ticket_on_time).
            due=self.due,
            on_time=self.on_time,
            on_time_rate=rate(self.on_time, self.due),
            # closed: ticket_closed; reopened: of those, reopened (重办) at least once.
            # 回访率 = closed with ≥ 1 recorded 回访 (reachable or not) ÷ closed.
            closed=self.closed,
            reopened=self.reopened,
            follow_up_rate=rate(self.closed_followed_up, self.closed),
            # followed_up: ticket_followed_up; unreachable: of those, never reached (no answer);
            # 满意率 = (satisfied + basically_satisfied) ÷ answered (followed_up − unreachable);
            # 解决率 (citizen) = citizen_resolved true ÷ answered.
            followed_up=self.followed_up,
            unreachable=self.followed_up - self.answered,
            satisfaction_rate=rate(self.content, self.answered),
            citizen_resolved_rate=rate(self.citizen_resolved, self.answered),
            # 解决率 (unit-claimed) = closed tickets with ≥ 1 reply whose last reply claims it
            # resolved ÷ closed tickets with ≥ 1 reply.
            unit_resolved_rate=rate(self.unit_resolved, self.closed_replied),
        )


@dataclass
class _Unresolved:
    received: int = 0
    by_cause: dict[str, int] = field(default_factory=lambda: {c.value: 0 for c in UnresolvedCause})
    by_closure: dict[str, int] = field(
        default_factory=lambda: {**{c.value: 0 for c in UnresolvedClosure}, OPEN: 0}
    )
    closed: int = 0
    counted: int = 0
    on_time: int = 0

    def add(self, u: UnresolvedRow, p: Period, now: datetime) -> bool:
        touched = False
        if p.contains(u.reported_at):
            touched = True
            self.received += 1
            self.by_cause[u.cause] = self.by_cause.get(u.cause, 0) + 1
            closure = OPEN if u.closure is None else u.closure
            self.by_closure[closure] = self.by_closure.get(closure, 0) + 1
        if p.contains(u.closed_at):
            touched = True
            self.closed += 1
        outcome = unresolved_on_time(u, p, now)
        if outcome is not None:
            touched = True
            self.counted += 1
            self.on_time += outcome
        return touched

    def indicators(self) -> UnresolvedIndicators:
        return UnresolvedIndicators(
            # received: reported_at in P; by_cause / by_closure: those received, by cause and by
            # current closure (`open` while not closed); every key always present.
            received=self.received,
            by_cause=dict(self.by_cause),
            by_closure=dict(self.by_closure),
            # closed: closed_at in P (any closure).
            closed=self.closed,
            # 按时办结率 (see unresolved_on_time).
            on_time_rate=rate(self.on_time, self.counted),
        )


@dataclass
class _Ratings:
    ratings: int = 0
    default: int = 0
    excluded: int = 0
    bad: int = 0
    good: int = 0
    good_active: int = 0
    completed: int = 0
    completed_rated: int = 0
    rectify_counted: int = 0
    rectified_on_time: int = 0

    def add_rating(self, r: RatingRow, p: Period, now: datetime) -> bool:
        touched = False
        if p.contains(r.rated_at):
            touched = True
            if r.excluded:
                self.excluded += 1
            else:
                self.ratings += 1
                self.default += r.is_default
                self.bad += r.level <= 2
                self.good += r.level >= 3
                self.good_active += r.level >= 3 and not r.is_default
        outcome = rectify_outcome(r, p, now)
        if outcome is not None:
            touched = True
            self.rectify_counted += 1
            self.rectified_on_time += outcome
        return touched

    def add_completed(self, rated: bool) -> None:
        self.completed += 1
        self.completed_rated += rated

    def indicators(self) -> RatingIndicators:
        return RatingIndicators(
            # ratings: rated_at in P, not excluded (an upheld appeal); excluded: rated in P and
            # excluded, counted apart; default: of ratings, recorded by the default timer;
            # bad: of ratings, level ≤ 2 (差评). The original level counts, not a re-rating.
            ratings=self.ratings,
            default=self.default,
            excluded=self.excluded,
            bad=self.bad,
            # 好评率 = levels 3-5 ÷ ratings; without defaults: the same over non-default ones.
            good_rate=rate(self.good, self.ratings),
            good_rate_without_default=rate(self.good_active, self.ratings - self.default),
            # 主动评价率 = 办结 cases completed in P (timeliness.is_completed) with an active
            # rating (is_active, at any time up to now) ÷ 办结 cases completed in P; grouped by
            # the case's key.
            active_rate=rate(self.completed_rated, self.completed),
            # 差评整改按时率 (see rectify_outcome).
            rectify_on_time_rate=rate(self.rectified_on_time, self.rectify_counted),
        )


# --- the report ---------------------------------------------------------------------------------


def report(
    cases: Iterable[CaseRow], rows: PushbackRows, p: Period, group_by: GroupBy, now: datetime
) -> Report:
    """The timeliness indicators (`timeliness.timeliness`) with the pushback sections, per group
    and in total."""
    cases = list(cases)
    base = timeliness(cases, p, group_by, now)
    listed: dict[str | None, str | None] = {g.key: g.matter_name for g in base.groups}
    by_case = {g.key: g.indicators for g in base.groups}
    empty = timeliness((), p, group_by, now).total
    hotline_applies = group_by is GroupBy.DEPARTMENT
    unresolved_applies = group_by is not GroupBy.WINDOW

    total_h, hotline = _tally_hotline(rows, p, now, grouped=hotline_applies)
    total_u, unresolved, names = _tally_unresolved(rows, p, now, group_by)
    total_r, ratings = _tally_ratings(cases, rows, p, now, group_by)
    for key in hotline.keys() | unresolved.keys() | ratings.keys():
        if key not in listed:
            latest = names.get(key) if group_by is GroupBy.MATTER and key else None
            listed[key] = latest[1] if latest else None

    groups = []
    for key, name in sorted(listed.items(), key=lambda kv: (kv[0] is None, kv[0] or "")):
        h = hotline.get(key, _Hotline()) if hotline_applies else None
        u = unresolved.get(key, _Unresolved()) if unresolved_applies else None
        groups.append(
            Group(
                key=key,
                matter_name=name,
                indicators=by_case.get(key, empty),
                hotline=h.indicators() if h is not None else None,
                unresolved=u.indicators() if u is not None else None,
                ratings=ratings.get(key, _Ratings()).indicators(),
            )
        )
    return Report(
        groups=groups,
        total=Total(
            indicators=base.total,
            hotline=total_h.indicators(),
            unresolved=total_u.indicators(),
            ratings=total_r.indicators(),
        ),
    )


def _tally_hotline(
    rows: PushbackRows, p: Period, now: datetime, *, grouped: bool
) -> tuple[_Hotline, dict[str | None, _Hotline]]:
    total, groups = _Hotline(), dict[str | None, _Hotline]()
    for d in rows.dispatches:
        if total.add_dispatch(d, p, now) and grouped:
            groups.setdefault(d.unit, _Hotline()).add_dispatch(d, p, now)
    for t in rows.tickets:
        if total.add_ticket(t, p, now) and grouped:
            groups.setdefault(t.lead_unit, _Hotline()).add_ticket(t, p, now)
    return total, groups


def _tally_unresolved(
    rows: PushbackRows, p: Period, now: datetime, group_by: GroupBy
) -> tuple[_Unresolved, dict[str | None, _Unresolved], dict[str, tuple[datetime, str]]]:
    """Also each matter's latest name (by reported_at) among the reports counted."""
    total, groups = _Unresolved(), dict[str | None, _Unresolved]()
    names: dict[str, tuple[datetime, str]] = {}
    for u in rows.unresolved:
        if not total.add(u, p, now):
            continue
        latest = names.get(u.matter_code)
        if latest is None or (u.reported_at, u.matter_name) > latest:
            names[u.matter_code] = (u.reported_at, u.matter_name)
        if group_by is not GroupBy.WINDOW:
            key = u.department if group_by is GroupBy.DEPARTMENT else u.matter_code
            groups.setdefault(key, _Unresolved()).add(u, p, now)
    return total, groups, names


def _tally_ratings(
    cases: list[CaseRow], rows: PushbackRows, p: Period, now: datetime, group_by: GroupBy
) -> tuple[_Ratings, dict[str | None, _Ratings]]:
    total, groups = _Ratings(), dict[str | None, _Ratings]()
    for r in rows.ratings:
        if total.add_rating(r, p, now):
            groups.setdefault(_rating_key(r, group_by), _Ratings()).add_rating(r, p, now)
    rated = {r.case_id for r in rows.ratings if is_active(r)}
    for case in cases:
        if is_completed(case, p):
            is_rated = case.case_id is not None and case.case_id in rated
            total.add_completed(is_rated)
            groups.setdefault(_case_key(case, group_by), _Ratings()).add_completed(is_rated)
    return total, groups


def _rating_key(r: RatingRow, group_by: GroupBy) -> str | None:
    if group_by is GroupBy.WINDOW:
        return r.window
    if group_by is GroupBy.MATTER:
        return r.matter_code
    return r.department


def _case_key(row: CaseRow, group_by: GroupBy) -> str | None:
    if group_by is GroupBy.WINDOW:
        return row.window
    if group_by is GroupBy.MATTER:
        return row.matter_code
    return row.department


def flat(value: object, prefix: str = "") -> Iterator[tuple[str, object]]:
    """A section as flat (column, value) pairs: nested `x` → `x_part`; a rate's `value` keeps the
    rate's own name (x, x_numerator, x_denominator)."""
    if isinstance(value, dict):
        for part, inner in value.items():
            name = prefix if part == "value" and prefix else f"{prefix}_{part}" if prefix else part
            yield from flat(inner, name)
    else:
        yield prefix, value
