"""Who may record a rating: the rater's own channel, never the staff who served the case.

好差评 ratings are the applicant's; staff must not coerce or interfere (不得强迫或干扰, domain
brief §2, S13), and a rating keyed in by the window it rates is the plainest interference. So:

- a 评价器, app, SMS or web rating is relayed by the 好差评 system (`Role.RATING_CHANNEL`), never
  typed in by a person (`rating.channel_not_relayed`);
- a rating by phone (the applicant calling in, or a call back) and a re-rating are recorded by
  someone who did not serve the case (`rating.self_rating`): not staff of a unit that held it
  (its holder, and every unit a hand-off passed it between), nor anyone its record names as having
  worked it (hand-offs, exception requests and approvals, 办不成事 reports, 专班, 反馈, closure).

The ledger's timer records the policy's default alone (`rating.default_by_system_only`).
"""

from __future__ import annotations

from ledger.domain.errors import RuleViolation
from ledger.domain.permissions import FRONT_LINE_ROLES
from ledger.domain.ratings.records import RatingChannel
from ledger.domain.state import CaseState
from ledger.domain.values import Actor, Role

RELAYED_CHANNELS = frozenset(
    {RatingChannel.COUNTER_DEVICE, RatingChannel.APP, RatingChannel.SMS, RatingChannel.WEB}
)
"""Channels the rater uses alone; the 好差评 system relays what they entered."""


def serving_units(state: CaseState) -> set[str]:
    """The units that served the case: its holder and every unit a hand-off passed it between."""
    return {state.department} | {
        unit for h in state.handoffs for unit in (h.from_department, h.to_department)
    }


def serving_staff(state: CaseState) -> set[str]:
    """Everyone the case's record names as having worked it."""
    people: set[str] = set()
    for h in state.handoffs:
        people |= {h.handed_off_by, *([h.settled_by] if h.settled_by else [])}
    for x in state.exceptions:
        people |= {x.requested_by, *(d.approver for d in x.decisions)}
    for r in state.unresolved:
        people |= {r.reported_by, *(f.given_by for f in r.feedbacks)}
        people |= {r.closed_by} if r.closed_by else set()
        people |= {r.team.lead, *r.team.members} if r.team else set()
    return people


def refuse_staff_rating(actor: Actor, state: CaseState, channel: RatingChannel | None) -> None:
    """Refuse a rating (or, `channel` None, a re-rating) `actor` may not record."""
    if Role.RATING_CHANNEL in actor.roles:
        return
    if channel in RELAYED_CHANNELS:
        raise RuleViolation(
            "rating.channel_not_relayed",
            f"a {channel} rating comes from the 好差评 system as the rater entered it, "
            "never keyed in by staff",
        )
    if FRONT_LINE_ROLES.intersection(actor.roles) and actor.unit in serving_units(state):
        raise RuleViolation(
            "rating.self_rating",
            f"staff of {actor.unit}, which served the case, may not record its rating "
            "(不得强迫或干扰)",
        )
    if actor.id in serving_staff(state):
        raise RuleViolation(
            "rating.self_rating",
            f"{actor.id} worked this case and may not record its rating (不得强迫或干扰)",
        )
