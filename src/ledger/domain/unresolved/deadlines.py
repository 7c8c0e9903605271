"""When a 办不成事 report is due: the shorter of its tier's limit and its resolvability's.

The brief gives two local schemes for the same report (domain brief §3): tiers (天津某区 提级响应:
simple the same day, complex 5, special 10 working days; hard, Jiangsu's 15) and resolvability
(许昌东城区: 办不了 3 working days, 很难办 7 or, very complex, one month, 不给办 3). Every report
carries both axes from the moment it is reported, so neither "once classified" nor "either one"
picks a limit; the report is due by **the shorter of the two**. Both are promises a centre has
published to applicants: where a report falls under both, the stricter is the one the applicant
can hold the centre to, and a national default must not let one scheme relax what the other
promises. So an explanation of a legal bar (办不了) or the end of an obstruction (不给办) is due
in 3 working days even at a tier that would allow 15, and a simple report stays a same-day one.

A 很难办 report at the hard tier (sent to the business-environment leading group) is the "very
complex" one Xuchang gives a month; under the national defaults the hard tier's 15 working days
are shorter, so the month binds only where a local policy lengthens the tiers. Limits in different
units (working days, calendar days) are compared by the due dates they give.
"""

from __future__ import annotations

from datetime import datetime

from ledger.domain import policy_clocks
from ledger.domain.clock import Clock
from ledger.domain.policy import LimitRule, Timing
from ledger.domain.unresolved.records import Resolvability, UnresolvedTier


def resolvability_rule(
    timing: Timing, resolvability: Resolvability, tier: UnresolvedTier
) -> LimitRule:
    """The resolvability axis's limit for a report (very complex: 很难办 at the hard tier)."""
    limits = timing.policy.unresolved_resolvability
    if resolvability is Resolvability.CANNOT_DO:
        return limits.cannot_do
    if resolvability is Resolvability.REFUSED_TO_DO:
        return limits.refused_to_do
    return limits.hard_to_do_very_complex if tier is UnresolvedTier.HARD else limits.hard_to_do


def report_clock(
    timing: Timing, resolvability: Resolvability, tier: UnresolvedTier, at: datetime
) -> Clock:
    """The report's clock, started `at`: the shorter of the tier's and the resolvability's limits
    (by due date; on a tie, the tier's), citing the one it keeps."""
    by_tier = policy_clocks.started(timing, timing.policy.unresolved_tiers[tier], at)
    by_resolvability = policy_clocks.started(
        timing, resolvability_rule(timing, resolvability, tier), at
    )
    return by_resolvability if by_resolvability.due_at < by_tier.due_at else by_tier
