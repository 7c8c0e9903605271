"""好差评 indicators (domain brief §1.6): pure arithmetic over the "pushback" view's
`view_ratings` rows (migrations/0006) and, for 主动评价率, the cases' rows (`timeliness.CaseRow`),
under the timeliness conventions (`period`, `rates`).

**Groups.** By department, window or matter: a rating by its case's key at rating time (as the
view stores it), 主动评价率 by the case's key (`grouping.group_key`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import msgspec

from ledger.domain.ratings.records import BAD_REVIEW_LEVEL, BadReviewValidity
from ledger.projections.indicators.grouping import GroupBy, group_key
from ledger.projections.indicators.period import Period
from ledger.projections.indicators.rates import Rate, rate
from ledger.projections.indicators.timeliness import CaseRow, is_completed

_VALID = BadReviewValidity.VALID.value


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
    real_name: bool = False


class RatingIndicators(msgspec.Struct, frozen=True, kw_only=True):
    ratings: int
    default: int
    excluded: int
    bad: int
    good_rate: Rate
    good_rate_without_default: Rate
    active_rate: Rate
    rectify_on_time_rate: Rate
    rectify_rate: Rate
    real_name_follow_up_rate: Rate


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


def is_real_name_bad(r: RatingRow) -> bool:
    """A real-name 差评 (level ≤ 2) not excluded: the 实名差评回访率 cohort."""
    return r.real_name and r.level <= BAD_REVIEW_LEVEL and not r.excluded


def is_followed_up(r: RatingRow) -> bool:
    """The rater was called back: the named person's call that verifies the 差评 (核实,
    `BadReviewVerified`), step 2 of the 差评 workflow (domain brief §2, S13), is recorded."""
    return r.validity is not None


def is_active(r: RatingRow) -> bool:
    """An active rating (主动评价): not a default one and not excluded."""
    return not r.is_default and not r.excluded


@dataclass
class RatingsTally:
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
    rectified: int = 0
    real_name_bad: int = 0
    real_name_followed_up: int = 0

    def add_rating(self, r: RatingRow, p: Period, now: datetime) -> bool:
        touched = False
        if p.contains(r.rated_at):
            touched = True
            if r.excluded:
                self.excluded += 1
            else:
                self.ratings += 1
                self.default += r.is_default
                self.bad += r.level <= BAD_REVIEW_LEVEL
                self.good += r.level >= 3
                self.good_active += r.level >= 3 and not r.is_default
            if is_real_name_bad(r):
                self.real_name_bad += 1
                self.real_name_followed_up += is_followed_up(r)
        outcome = rectify_outcome(r, p, now)
        if outcome is not None:
            touched = True
            self.rectify_counted += 1
            self.rectified_on_time += outcome
            self.rectified += r.rectified_at is not None and r.rectified_at <= now
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
            # 差评整改率 = 差评 rectified (by now, on time or late) ÷ 差评 due for rectification:
            # the cohort of 差评整改按时率 (rectify_outcome: needs rectification, and rectify_due in
            # P and passed, or rectified in P), so the two share a denominator and a 差评 late but
            # done counts here and not there. Named in domain brief §2 Metrics [I], where
            # definitions vary: this one is the ledger's choice.
            rectify_rate=rate(self.rectified, self.rectify_counted),
            # 实名差评回访率 = real-name 差评 rated in P (not excluded) whose rater was called
            # back (is_followed_up, by now) ÷ real-name 差评 rated in P (not excluded). Target
            # 100% (domain brief §2, S13: "Real-name 差评 回访(整改)率: 100%"; the Sichuan city's
            # rule: "确保回访率达100%"). A 差评 without a real name cannot be called back.
            real_name_follow_up_rate=rate(self.real_name_followed_up, self.real_name_bad),
        )


def tally_ratings(
    completed: Iterable[tuple[str | None, UUID | None]],
    ratings: list[RatingRow],
    p: Period,
    now: datetime,
    group_by: GroupBy,
) -> tuple[RatingsTally, dict[str | None, RatingsTally]]:
    """The ratings in P, and for 主动评价率 the 办结 cases completed in P, each as its key under
    `group_by` and its id (`completed_in`), in total and by group."""
    total, groups = RatingsTally(), dict[str | None, RatingsTally]()
    for r in ratings:
        if total.add_rating(r, p, now):
            groups.setdefault(group_key(r, group_by), RatingsTally()).add_rating(r, p, now)
    rated = {r.case_id for r in ratings if is_active(r)}
    for key, case_id in completed:
        is_rated = case_id is not None and case_id in rated
        total.add_completed(is_rated)
        groups.setdefault(key, RatingsTally()).add_completed(is_rated)
    return total, groups


def completed_in(
    cases: Iterable[CaseRow], p: Period, group_by: GroupBy
) -> list[tuple[str | None, UUID | None]]:
    """The 办结 cases completed in P (timeliness.is_completed): key under `group_by`, and id."""
    return [(group_key(c, group_by), c.case_id) for c in cases if is_completed(c, p)]
