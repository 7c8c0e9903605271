"""What the 好差评 差评 register (`GET /ratings`) answers: the 差评 being handled, with their
rectification deadline and where each stands."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import msgspec

from ledger.api.schemas.registers import Deadline
from ledger.api.schemas.view_reads import Lag
from ledger.domain.clock import Colour
from ledger.domain.ratings.records import BadReviewValidity, RatingChannel, Rectification


class BadReviewStage(StrEnum):
    """Where a 差评 stands in its handling (核实 → 申诉复核 → 整改), first that applies."""

    EXCLUDED = "excluded"  # 申诉成立: a 误评 / 恶意差评, out of the rates
    RECTIFIED = "rectified"  # 已整改
    TO_VERIFY = "to_verify"  # 待核实: nobody has called the rater yet; the deadline runs
    APPEALED = "appealed"  # 申诉复核中: claimed mistaken or malicious, not reviewed yet
    TO_RECTIFY = "to_rectify"  # 待整改: found valid, or the appeal overturned


class BadReviewItem(msgspec.Struct, kw_only=True):
    rating_id: UUID
    case_id: UUID
    case_no: str | None
    """Null while the cases view has not yet projected the case."""
    centre: str
    department: str
    window: str | None
    matter_code: str
    matter_name: str | None
    level: int
    """1 or 2 (of 5)."""
    channel: RatingChannel | None
    """None for a default rating."""
    is_default: bool
    real_name: bool
    rated_at: datetime
    stage: BadReviewStage
    validity: BadReviewValidity | None
    """The 核实 call's finding (the 回访 of a real-name 差评); None until it is made."""
    appeal_upheld: bool | None
    rectify: Deadline | None
    """The rectification deadline (frozen when the 差评 arrived): met or missed by the
    rectification; stopped (colour none) while an appeal waits or once one is upheld."""
    rectification: Rectification | None
    rectified_at: datetime | None
    rerated_level: int | None
    colour: Colour


class BadReviewCounts(msgspec.Struct, kw_only=True):
    """Of every 差评 the filters other than `status` match (not only this page)."""

    total: int
    by_stage: dict[str, int]
    overdue: int
    """Not rectified, not excluded, not in appeal, and past the rectification deadline."""


class BadReviewsResponse(msgspec.Struct, kw_only=True):
    as_of: datetime
    ratings: list[BadReviewItem]
    """Newest rated first."""
    next_cursor: str | None
    """Pass as `after` for the next page; None on the last one."""
    counts: BadReviewCounts
    as_of_position: int
    lag: Lag
