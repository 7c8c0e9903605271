"""Jurisdiction policies: how long each step may take, how exceptions are approved, and where that
is written.

Pure values: `ledger.rules.time_limits` reads them from `policies/time-limits/*.toml`. Every
limit carries its provenance (document, article) because a deadline nobody can trace to a rule
is not one. A policy's `version` is frozen into the events that start or move a clock, so
publishing a new version changes future clocks only.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from ledger.domain.calendar import WorkingCalendar
from ledger.domain.exceptions.records import ApprovalLayer, BreachConsequence, ExceptionKind
from ledger.domain.hotline.records import HotlineCategory, HotlineUrgency
from ledger.domain.unresolved.records import UnresolvedTier
from ledger.domain.values import LimitUnit, TimeLimit
from ledger.domain.working_hours import WorkingHours


class Provenance(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    document: str
    article: str | None = None
    url: str | None = None
    note: str | None = None

    def cite(self) -> str:
        return f"{self.document} {self.article}" if self.article else self.document


class LimitRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One limit and its source. `value` 0 means the same day (即办)."""

    value: Annotated[int, msgspec.Meta(ge=0, le=100_000)]
    unit: LimitUnit
    source: Provenance

    @property
    def limit(self) -> TimeLimit:
        return TimeLimit(value=self.value, unit=self.unit)


class MatterLimits(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A matter's promised limit (承诺时限, the clock) and, where known, its statutory one."""

    code: str
    name: str
    promised: LimitRule
    statutory: LimitRule | None = None


class SatisfactionRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Whether 基本满意 counts as satisfied in 满意率: a local rule (domain brief §1.6)."""

    includes_basic: bool
    source: Provenance


class HotlineLimits(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """12345 work orders: sign-for by urgency, reply by category, the windows to return one
    (complex orders: longer), to contact the applicant and to follow up, when an overdue order
    may be criticised (通报批评, counted from the 催办通知书), and the 满意率 rule."""

    sign_for: dict[HotlineUrgency, LimitRule]
    reply: dict[HotlineCategory, LimitRule]
    reply_emergency: LimitRule
    return_within: LimitRule
    return_within_complex: LimitRule
    contact_within: LimitRule
    follow_up_within: LimitRule
    criticise_after: LimitRule
    satisfaction: SatisfactionRule


class ResolvabilityLimits(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """办不成事 by resolvability (办不了 / 很难办, "very complex" / 不给办), beside the tiers; how
    the two axes combine is `ledger.domain.unresolved.deadlines`'s."""

    cannot_do: LimitRule
    hard_to_do: LimitRule
    hard_to_do_very_complex: LimitRule
    refused_to_do: LimitRule


class RatingLimits(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """好差评: 差评 rectification, and the default rating when none arrives (None: none here)."""

    rectification: LimitRule
    default_after: LimitRule | None = None
    default_level: Annotated[int, msgspec.Meta(ge=1, le=5)] | None = None


class CaseClockRules(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A 行政许可 case clock's own rules (`pauses_and_extensions`, `lifecycle`): the office hours
    its pauses are counted on, the cap on its extensions (第四十二条: 延长十日) and the limit for
    telling the applicant every missing item (第三十二条: 五日内一次告知)."""

    working_hours: WorkingHours
    working_hours_source: Provenance
    extension_cap: LimitRule
    notice_within: LimitRule


class BoardThresholds(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Duty-board colours: red once overdue; amber when this little of the limit remains."""

    amber_share: Annotated[float, msgspec.Meta(gt=0, lt=1)]
    source: Provenance


class PostAuditRule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Granted exceptions are post-audited: all of them (`mandatory`) or a seeded sample."""

    rate: Annotated[float, msgspec.Meta(ge=0, le=1)]
    mandatory: bool = False


class ApprovalPolicy(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How one kind of exception is approved in a jurisdiction; frozen whole into the request.

    `layers` decide in order, each by a distinct person holding the layer's role, never the
    requester. `waivable_items` is the published 容缺受理清单 (None: any item). `supply_within`
    bounds a commitment's due date (and the case's own deadline always does).
    """

    id: str
    version: str
    kind: ExceptionKind
    title: str
    layers: tuple[ApprovalLayer, ...]
    source: Provenance
    post_audit: PostAuditRule
    waivable_items: tuple[str, ...] | None = None
    require_credit_check: bool = False
    exclude_dishonest: bool = True
    supply_within: LimitRule | None = None
    breach_consequence: BreachConsequence = BreachConsequence.RECORD_ONLY


class JurisdictionPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """A jurisdiction's time limits and approval chains, complete (a local file is merged over its
    base to make one)."""

    jurisdiction: str
    version: str
    calendar: str  # the calendar jurisdiction whose working days these limits count
    centres: tuple[str, ...]
    default_promised: LimitRule
    matters: dict[str, MatterLimits]
    hotline: HotlineLimits
    unresolved_tiers: dict[UnresolvedTier, LimitRule]
    unresolved_resolvability: ResolvabilityLimits
    rating: RatingLimits
    board: BoardThresholds
    approvals: dict[ExceptionKind, ApprovalPolicy]
    case_clock: CaseClockRules

    def promised_for(self, matter_code: str) -> tuple[TimeLimit, str]:
        """The matter's promised limit and a citation; the default limit if it is not listed."""
        matter = self.matters.get(matter_code)
        rule = matter.promised if matter else self.default_promised
        return rule.limit, self.cite(rule)

    def cite(self, rule: LimitRule) -> str:
        """Where a clock's limit comes from, as the clock records it."""
        return f"policy {self.version}: {rule.source.cite()}"


class Timing(msgspec.Struct, frozen=True, kw_only=True):
    """What a case's clocks are computed with: its centre's policy and that policy's calendar."""

    policy: JurisdictionPolicy
    calendar: WorkingCalendar
