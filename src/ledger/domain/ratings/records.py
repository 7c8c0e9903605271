"""A 好差评 rating as its events build it: channel, dimensions, and the handling of a 差评
(verification, appeal, rectification, re-rating) (domain brief §2; GB/T 39734-2020)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import msgspec

BAD_REVIEW_LEVEL = 2
"""A rating at or below this level (of 5) is a 差评, handled until the rater re-rates it."""


class RatingChannel(StrEnum):
    COUNTER_DEVICE = "counter_device"  # 评价器 at the window
    APP = "app"
    SMS = "sms"
    WEB = "web"
    PHONE = "phone"


class RatingDimension(StrEnum):
    """GB/T 39734's dimensions: offline (the first four), online (overall, efficiency, the rest)."""

    OVERALL = "overall"  # 整体满意度
    EFFICIENCY = "efficiency"  # 服务/办事效率
    SERVICE_LEVEL = "service_level"  # 服务水平
    ATTITUDE = "attitude"  # 服务态度
    GUIDE_ACCURACY = "guide_accuracy"  # 办事指南精确度
    CONVENIENCE = "convenience"  # 办事便捷度
    OPERABILITY = "operability"  # 平台操作性


class BadReviewValidity(StrEnum):
    VALID = "valid"
    MISTAKEN = "mistaken"  # 误评
    MALICIOUS = "malicious"  # 恶意/不实差评


class Rectification(StrEnum):
    IMMEDIATE = "immediate"  # 立行立改
    SCHEDULED = "scheduled"  # 台账 + 限期整改
    EXPLAINED = "explained"  # 解释说明: no legal basis to grant it


class BadReview(msgspec.Struct, kw_only=True):
    """差评 handling: verification (and the appeal's review), rectification, the rater's re-rating.

    `rectify_due` is frozen when the 差评 arrives, from the policy in force then.
    """

    rectify_due: datetime | None
    validity: BadReviewValidity | None = None
    verified_by: str | None = None
    verified_at: datetime | None = None
    appeal_upheld: bool | None = None  # a mistaken/malicious claim, reviewed independently
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    rectification: Rectification | None = None
    rectified_at: datetime | None = None
    feedback: str | None = None
    rerated_level: int | None = None
    rerated_at: datetime | None = None

    @property
    def excluded(self) -> bool:
        """An upheld appeal (误评, 恶意差评) leaves the rating out of the rates."""
        return self.appeal_upheld is True

    @property
    def needs_rectification(self) -> bool:
        return self.validity is BadReviewValidity.VALID or self.appeal_upheld is False


class Rating(msgspec.Struct, kw_only=True):
    """One 好差评 rating of the service. Who rated is never kept, so no view can expose it."""

    rating_id: UUID
    level: int
    channel: RatingChannel | None  # None for a default rating
    dimensions: dict[RatingDimension, int]
    comment: str | None
    default: bool  # recorded by the ledger when none arrived within the policy's limit
    real_name: bool
    rated_at: datetime
    bad_review: BadReview | None = None  # levels 1 and 2

    @property
    def is_bad(self) -> bool:
        return self.level <= BAD_REVIEW_LEVEL
