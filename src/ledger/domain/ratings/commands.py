"""The 好差评 commands and events of a case: its rating, and the handling of a 差评 (levels 1-2):
verification with appeal and independent review, rectification within the policy's limit,
feedback, re-rating (domain brief §2; GB/T 39734-2020).

One service, one rating (一次一评); where the centre's policy sets a default (广东: 基本满意 after 7
days), the ledger's timer records it, tagged `default`, so rates can be shown with and without
defaults. Who rated is never recorded on the rating: the views built from it cannot expose it.
Who may record one (the rater's channel, never the staff who served the case): `raters`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from ledger.domain import policy_clocks
from ledger.domain.errors import RuleViolation
from ledger.domain.events import CaseCommands, CaseEvent
from ledger.domain.policy import Timing
from ledger.domain.ratings.raters import refuse_staff_rating
from ledger.domain.ratings.records import (
    BAD_REVIEW_LEVEL,
    BadReview,
    BadReviewValidity,
    Rating,
    RatingChannel,
    RatingDimension,
    Rectification,
)
from ledger.domain.state import CaseState
from ledger.domain.values import Actor, CaseStatus, Role


class RatingEvent(CaseEvent):
    rating_id: UUID

    def bad_review(self, state: CaseState) -> BadReview:
        rating = state.rating(self.rating_id)
        assert rating is not None and rating.bad_review is not None, "commands check it"
        return rating.bad_review


class RatingCommands(CaseCommands):
    class Rated(CaseEvent):
        rating_id: UUID
        level: int
        channel: RatingChannel | None
        dimensions: dict[RatingDimension, int]
        comment: str | None
        default: bool
        real_name: bool
        rectify_due: datetime | None  # a 差评's rectification deadline, frozen from the policy

        def fold(self, state: CaseState) -> None:
            rating = Rating(
                rating_id=self.rating_id,
                level=self.level,
                channel=self.channel,
                dimensions=dict(self.dimensions),
                comment=self.comment,
                default=self.default,
                real_name=self.real_name,
                rated_at=self.occurred_at,
            )
            if rating.is_bad:
                rating.bad_review = BadReview(rectify_due=self.rectify_due)
            state.ratings.append(rating)

    class BadReviewVerified(RatingEvent):
        validity: BadReviewValidity
        note: str

        def fold(self, state: CaseState) -> None:
            bad = self.bad_review(state)
            bad.validity = self.validity
            bad.verified_by = self.actor.id
            bad.verified_at = self.occurred_at

    class BadReviewAppealReviewed(RatingEvent):
        """申诉复核: upheld, the 差评 is excluded; overturned, it must be rectified."""

        upheld: bool
        opinion: str

        def fold(self, state: CaseState) -> None:
            bad = self.bad_review(state)
            bad.appeal_upheld = self.upheld
            bad.reviewed_by = self.actor.id
            bad.reviewed_at = self.occurred_at

    class BadReviewRectified(RatingEvent):
        rectification: Rectification
        action: str
        feedback: str  # what the rater was told

        def fold(self, state: CaseState) -> None:
            bad = self.bad_review(state)
            bad.rectification = self.rectification
            bad.rectified_at = self.occurred_at
            bad.feedback = self.feedback

    class ReRated(RatingEvent):
        level: int
        comment: str | None = None

        def fold(self, state: CaseState) -> None:
            bad = self.bad_review(state)
            bad.rerated_level = self.level
            bad.rerated_at = self.occurred_at

    # --- commands ----------------------------------------------------------------------------

    def rate(
        self,
        *,
        actor: Actor,
        occurred_at: datetime,
        timing: Timing | None,
        level: int | None = None,
        channel: RatingChannel | None = None,
        dimensions: dict[RatingDimension, int] | None = None,
        comment: str | None = None,
        real_name: bool = True,
        default: bool = False,
    ) -> UUID:
        if self.state.ratings:
            raise RuleViolation("rating.already_rated", "one service, one rating (一次一评)")
        if default:
            level = self._default_level(actor, occurred_at, timing)
            channel, dimensions, comment, real_name = None, {}, None, False
        elif Role.SYSTEM in actor.roles:
            raise RuleViolation(
                "rating.default_by_system_only", "the ledger's timer records default ratings only"
            )
        elif level is None or channel is None:
            raise RuleViolation("rating.level_missing", "a rating gives its level and channel")
        else:
            refuse_staff_rating(actor, self.state, channel)
        rectify_due = None
        if level <= BAD_REVIEW_LEVEL and timing is not None:
            limit = timing.policy.rating.rectification.limit
            rectify_due = policy_clocks.due_at(timing, limit, occurred_at)
        rating_id = uuid4()
        self.trigger_event(
            self.Rated,
            actor=actor,
            occurred_at=occurred_at,
            rating_id=rating_id,
            level=level,
            channel=channel,
            dimensions=dimensions or {},
            comment=comment,
            default=default,
            real_name=real_name,
            rectify_due=rectify_due,
        )
        return rating_id

    def verify_bad_review(
        self, *, actor: Actor, occurred_at: datetime, rating_id: UUID, **fields: Any
    ) -> None:
        bad = self._bad_review(rating_id)
        if bad.validity is not None:
            raise RuleViolation("bad_review.already_verified", f"it was found {bad.validity}")
        self.trigger_event(
            self.BadReviewVerified,
            actor=actor,
            occurred_at=occurred_at,
            rating_id=rating_id,
            **fields,
        )

    def review_bad_review_appeal(
        self, *, actor: Actor, occurred_at: datetime, rating_id: UUID, **fields: Any
    ) -> None:
        bad = self._bad_review(rating_id)
        if bad.validity in (None, BadReviewValidity.VALID):
            raise RuleViolation(
                "bad_review.no_appeal", "only a 差评 claimed mistaken or malicious is reviewed"
            )
        if bad.appeal_upheld is not None:
            raise RuleViolation("bad_review.appeal_already_reviewed", "the appeal was reviewed")
        if actor.id == bad.verified_by:
            raise RuleViolation(
                "bad_review.review_not_independent", "the verifier cannot review their own claim"
            )
        self.trigger_event(
            self.BadReviewAppealReviewed,
            actor=actor,
            occurred_at=occurred_at,
            rating_id=rating_id,
            **fields,
        )

    def rectify_bad_review(
        self, *, actor: Actor, occurred_at: datetime, rating_id: UUID, **fields: Any
    ) -> None:
        bad = self._bad_review(rating_id)
        if not bad.needs_rectification:
            raise RuleViolation(
                "bad_review.not_verified_valid",
                "rectification follows a verification that found the 差评 valid",
            )
        if bad.rectified_at is not None:
            raise RuleViolation("bad_review.already_rectified", "it was rectified")
        self.trigger_event(
            self.BadReviewRectified,
            actor=actor,
            occurred_at=occurred_at,
            rating_id=rating_id,
            **fields,
        )

    def rerate(
        self, *, actor: Actor, occurred_at: datetime, rating_id: UUID, **fields: Any
    ) -> None:
        bad = self._bad_review(rating_id)
        if bad.rectified_at is None:
            raise RuleViolation("bad_review.not_rectified", "the rater re-rates the rectification")
        if bad.rerated_at is not None:
            raise RuleViolation("bad_review.already_rerated", "the rectification was re-rated")
        refuse_staff_rating(actor, self.state, None)
        self.trigger_event(
            self.ReRated, actor=actor, occurred_at=occurred_at, rating_id=rating_id, **fields
        )

    # --- guards ------------------------------------------------------------------------------

    def _default_level(self, actor: Actor, occurred_at: datetime, timing: Timing | None) -> int:
        """The policy's default level, once its limit has run from the service's completion."""
        if Role.SYSTEM not in actor.roles:
            raise RuleViolation(
                "rating.default_by_system_only", "only the ledger's timer records a default"
            )
        rules = timing.policy.rating if timing is not None else None
        if timing is None or rules is None or rules.default_after is None:
            raise RuleViolation("rating.no_default_rule", "this centre's policy sets no default")
        assert rules.default_level is not None  # the policy file pairs them
        closed_at = self.state.closed_at
        if self.state.status is not CaseStatus.COMPLETED or closed_at is None:
            raise RuleViolation("rating.default_not_due", "the service is not completed")
        due = policy_clocks.due_at(timing, rules.default_after.limit, closed_at)
        if occurred_at <= due:
            raise RuleViolation(
                "rating.default_not_due", f"the rater may rate until {due.isoformat()}"
            )
        return rules.default_level

    def _bad_review(self, rating_id: UUID) -> BadReview:
        rating = self.state.rating(rating_id)
        if rating is None:
            raise RuleViolation("rating.unknown", f"no rating {rating_id} on this case")
        if rating.bad_review is None:
            raise RuleViolation("rating.not_bad_review", f"a level-{rating.level} rating")
        return rating.bad_review


COMMANDS: dict[str, tuple[str, str | None]] = {
    "Rated": ("rate", "rating_id"),
    "BadReviewVerified": ("verify_bad_review", None),
    "BadReviewAppealReviewed": ("review_bad_review_appeal", None),
    "BadReviewRectified": ("rectify_bad_review", None),
    "ReRated": ("rerate", None),
}
TIMED = frozenset({"Rated"})
