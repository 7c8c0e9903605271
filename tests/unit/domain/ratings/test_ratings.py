"""好差评 ratings of a case's service and the handling of a 差评, rule by rule.

Given a case and its centre's policy (揭阳: `Policies().timing("jieyang")`, whose rating rules set a
default of 基本满意 after 7 calendar days; 霍山: none), when a rating, a verification, an appeal's
review, a rectification or a re-rating is appended, then either it is recorded with its effect on
the folded rating, or the named rule refuses it and nothing changes. Dates are hand-computed in the
comments against the 2026 calendar (中秋 25-27 Sep, 国庆 1-7 Oct, make-up working day Sat 10 Oct).
Ratings arrive through the 好差评 system's relay (`COUNTER`); the staff who served the case record
none (the last section).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

import msgspec
import pytest
from eventsourcing.application import project_aggregate

from ledger.domain.case import Case
from ledger.domain.errors import RuleViolation
from ledger.domain.personal_data import protect_applicant
from ledger.domain.policy import Timing
from ledger.domain.ratings.records import (
    BadReview,
    BadReviewValidity,
    Rating,
    RatingChannel,
    RatingDimension,
    Rectification,
)
from ledger.domain.values import (
    Actor,
    CaseStatus,
    Channel,
    LimitUnit,
    Matter,
    Outcome,
    Priority,
    Role,
    TimeLimit,
)
from ledger.rules.time_limits import Policies
from ledger.store.events import MsgspecMapper

CST = timezone(timedelta(hours=8))
POLICIES = Policies()
JIEYANG = POLICIES.timing("jieyang")
HUOSHAN = POLICIES.timing("huoshan")

CLERK = Actor(id="clerk-7", roles=(Role.CLERK,), unit="人社")
COUNTER = Actor(id="haochaping-relay", roles=(Role.RATING_CHANNEL,))  # the 好差评 system's relay
DUTY = Actor(id="duty-1", roles=(Role.DUTY_OFFICER,), unit="中心")  # calls back, served nothing
POLICE_CLERK = Actor(id="clerk-31", roles=(Role.CLERK,), unit="公安")
TIMER = Actor(id="ledger-timer", roles=(Role.SYSTEM,), unit=None)
LEAD = Actor(id="lead-2", roles=(Role.WINDOW_LEAD,), unit="人社")
DIRECTOR = Actor(id="director-1", roles=(Role.CENTRE_DIRECTOR,), unit="中心")
OTHER_DIRECTOR = Actor(id="director-2", roles=(Role.CENTRE_DIRECTOR,), unit="中心")


def cst(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=CST)


def end_of(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, 999999, tzinfo=CST)


COMPLETED = cst(2026, 9, 28, 10)  # Mon 28 Sep
RATED = cst(2026, 9, 22, 16)  # Tue 22 Sep
RECTIFIED = cst(2026, 9, 24, 10)
RERATED = cst(2026, 9, 25, 10)


def new_case(centre: str = "jieyang") -> Case:
    return Case.register(
        actor=CLERK,
        occurred_at=cst(2026, 9, 1, 9),
        case_no=f"{centre.upper()}-2026-000042",
        channel=Channel.WINDOW,
        matter=Matter(code="SI-ARREARS", name="养老保险费补缴"),
        centre=centre,
        department="人社",
        window="2F-07",
        applicant=protect_applicant(b"k" * 32, name="陈某", phone="13700000000"),
        priority=Priority.NORMAL,
        statutory_limit=TimeLimit(value=20, unit=LimitUnit.WORKING_DAYS),
        promised_limit=None,
        parent_case_id=None,
    )


def completed_case(timing: Timing = JIEYANG, at: datetime = COMPLETED) -> Case:
    case = new_case()
    case.append("Accepted", CLERK, cst(2026, 9, 1, 10), timing, note=None)
    case.append("Completed", CLERK, at, timing, outcome=Outcome.GRANTED, summary=None)
    return case


def rate(
    case: Case,
    level: int,
    at: datetime = RATED,
    timing: Timing | None = JIEYANG,
    **fields: Any,
) -> UUID:
    body: dict[str, Any] = {
        "channel": RatingChannel.COUNTER_DEVICE,
        "dimensions": {RatingDimension.OVERALL: level, RatingDimension.ATTITUDE: level},
        "comment": "窗口人员解释不清" if level <= 2 else None,
        "real_name": True,
    }
    return case.append("Rated", COUNTER, at, timing, level=level, **{**body, **fields})["rating_id"]


def default_rating(
    case: Case, at: datetime, actor: Actor = TIMER, timing: Timing = JIEYANG
) -> UUID:
    return case.append("Rated", actor, at, timing, default=True)["rating_id"]


def append(case: Case, event_type: str, actor: Actor, at: datetime, **fields: Any) -> None:
    case.append(event_type, actor, at, JIEYANG, **fields)


def refusal(
    case: Case,
    event_type: str,
    actor: Actor,
    at: datetime,
    timing: Timing | None = JIEYANG,
    **fields: Any,
) -> str:
    """Append; the rule that refused it. Nothing may have changed."""
    version, state = case.version, msgspec.json.encode(case.state)
    with pytest.raises(RuleViolation) as refused:
        case.append(event_type, actor, at, timing, **fields)
    assert case.version == version
    assert msgspec.json.encode(case.state) == state
    return refused.value.rule


def rating(case: Case, rating_id: UUID) -> Rating:
    found = case.state.rating(rating_id)
    assert found is not None
    return found


def bad(case: Case, rating_id: UUID) -> BadReview:
    found = rating(case, rating_id).bad_review
    assert found is not None
    return found


def verify(
    case: Case,
    rating_id: UUID,
    validity: BadReviewValidity,
    by: Actor = LEAD,
    at: datetime = RATED + timedelta(hours=1),
) -> None:
    append(
        case, "BadReviewVerified", by, at, rating_id=rating_id, validity=validity, note="电话核实"
    )


def review_appeal(
    case: Case,
    rating_id: UUID,
    upheld: bool,
    by: Actor = DIRECTOR,
    at: datetime = RATED + timedelta(hours=2),
) -> None:
    append(
        case, "BadReviewAppealReviewed", by, at, rating_id=rating_id, upheld=upheld, opinion="复核"
    )


def rectify(case: Case, rating_id: UUID, at: datetime = RECTIFIED) -> None:
    append(
        case,
        "BadReviewRectified",
        CLERK,
        at,
        rating_id=rating_id,
        rectification=Rectification.IMMEDIATE,
        action="当场重新讲解补缴政策并一次性告知所需材料",
        feedback="已电话告知评价人整改情况",
    )


def rerate(case: Case, rating_id: UUID, level: int, at: datetime = RERATED) -> None:
    append(case, "ReRated", COUNTER, at, rating_id=rating_id, level=level, comment=None)


# --- ratings ----------------------------------------------------------------------------------


def test_a_rating_keeps_what_was_rated_and_never_who_rated() -> None:
    case = completed_case()

    rating_id = rate(case, 5, cst(2026, 9, 28, 10, 5), comment="很满意")

    r = rating(case, rating_id)
    assert (r.level, r.channel, r.comment, r.default, r.real_name, r.rated_at) == (
        5,
        RatingChannel.COUNTER_DEVICE,
        "很满意",
        False,
        True,
        cst(2026, 9, 28, 10, 5),
    )
    assert r.dimensions == {RatingDimension.OVERALL: 5, RatingDimension.ATTITUDE: 5}
    assert (r.is_bad, r.bad_review) == (False, None)
    assert COUNTER.id.encode() not in msgspec.json.encode(case.state.ratings)


def test_one_service_one_rating() -> None:
    case = completed_case()
    rate(case, 4, cst(2026, 9, 28, 11))

    assert refusal(
        case,
        "Rated",
        COUNTER,
        cst(2026, 9, 28, 12),
        level=1,
        channel=RatingChannel.APP,
    ) == ("rating.already_rated")


@pytest.mark.parametrize(
    "fields",
    [{"channel": RatingChannel.SMS}, {"level": 4}, {"level": 4, "channel": None}],
    ids=["no_level", "no_channel", "null_channel"],
)
def test_a_rating_gives_its_level_and_channel(fields: dict[str, Any]) -> None:
    case = completed_case()

    assert refusal(case, "Rated", COUNTER, cst(2026, 9, 28, 11), **fields) == (
        "rating.level_missing"
    )


@pytest.mark.parametrize("timing", [JIEYANG, HUOSHAN], ids=["jieyang", "huoshan"])
def test_a_bad_review_is_due_for_rectification_in_15_working_days(timing: Timing) -> None:
    # Rated Tue 22 Sep 16:00: 23, 24, 28, 29, 30 Sep (中秋 25-27 between), 8, 9, 10 (Sat, 调休),
    # 12, 13, 14, 15, 16, 19, 20 Oct (国庆 1-7 Oct).
    case = new_case()

    rating_id = rate(case, 2, RATED, timing)

    r = rating(case, rating_id)
    assert r.is_bad
    assert bad(case, rating_id).rectify_due == end_of(2026, 10, 20)
    assert bad(case, rating_id).validity is None


def test_a_level_3_rating_is_not_a_bad_review() -> None:
    case = new_case()

    rating_id = rate(case, 3)

    assert rating(case, rating_id).bad_review is None


def test_without_a_policy_a_bad_review_has_no_rectification_deadline() -> None:
    case = new_case()

    rating_id = rate(case, 1, timing=None)

    assert bad(case, rating_id).rectify_due is None


# --- default ratings ------------------------------------------------------------------------------


def test_the_ledger_records_the_default_rating_once_seven_calendar_days_have_passed() -> None:
    # Completed Mon 28 Sep 10:00; seven natural days from the next: 29, 30 Sep, 1, 2, 3, 4, 5 Oct
    # (国庆 days count: calendar days). Due end of Mon 5 Oct; the default follows it.
    case = completed_case()

    assert refusal(case, "Rated", TIMER, cst(2026, 10, 5, 23, 30), default=True) == (
        "rating.default_not_due"
    )
    rating_id = default_rating(case, cst(2026, 10, 6, 0, 30))

    r = rating(case, rating_id)
    assert (r.level, r.default, r.channel, r.dimensions, r.comment, r.real_name) == (
        3,
        True,
        None,
        {},
        None,
        False,
    )
    assert r.bad_review is None
    assert refusal(
        case, "Rated", COUNTER, cst(2026, 10, 6, 9), level=1, channel=RatingChannel.APP
    ) == ("rating.already_rated")

    mapper = MsgspecMapper()
    events = [mapper.to_domain_event(mapper.to_stored_event(e)) for e in case.collect_events()]
    replayed = project_aggregate(None, events)
    assert replayed is not None
    assert msgspec.json.encode(replayed.state) == msgspec.json.encode(case.state)


def test_only_the_ledgers_timer_records_a_default() -> None:
    case = completed_case()

    for actor in (COUNTER, DIRECTOR):
        assert refusal(case, "Rated", actor, cst(2026, 10, 9, 10), default=True) == (
            "rating.default_by_system_only"
        )


def test_the_ledgers_timer_records_no_ordinary_rating() -> None:
    case = completed_case()

    assert refusal(
        case, "Rated", TIMER, cst(2026, 10, 9, 10), level=5, channel=RatingChannel.APP
    ) == ("rating.default_by_system_only")


def test_no_default_where_the_centres_policy_sets_none() -> None:
    case = completed_case(HUOSHAN)

    assert refusal(case, "Rated", TIMER, cst(2026, 10, 9, 10), HUOSHAN, default=True) == (
        "rating.no_default_rule"
    )
    assert refusal(case, "Rated", TIMER, cst(2026, 10, 9, 10), None, default=True) == (
        "rating.no_default_rule"
    )


def test_no_default_after_the_rater_rated() -> None:
    case = completed_case()
    rate(case, 5, cst(2026, 9, 28, 10, 5))

    assert refusal(case, "Rated", TIMER, cst(2026, 10, 9, 10), default=True) == (
        "rating.already_rated"
    )


def test_no_default_until_the_service_is_completed() -> None:
    case = new_case()
    case.append("Accepted", CLERK, cst(2026, 9, 1, 10), JIEYANG, note=None)

    assert refusal(case, "Rated", TIMER, cst(2026, 10, 9, 10), default=True) == (
        "rating.default_not_due"
    )

    # Nor after a completed case was reopened: the service is not completed any more.
    case.append("Completed", CLERK, COMPLETED, JIEYANG, outcome=Outcome.GRANTED, summary=None)
    case.append("Reopened", LEAD, cst(2026, 9, 29, 10), JIEYANG, reason="申请人提出异议")
    assert case.state.status is CaseStatus.ACCEPTED
    assert refusal(case, "Rated", TIMER, cst(2026, 10, 9, 10), default=True) == (
        "rating.default_not_due"
    )


# --- 差评 handling -------------------------------------------------------------------------------


def test_a_valid_bad_review_is_rectified_fed_back_and_re_rated() -> None:
    case = new_case()
    rating_id = rate(case, 1)

    verify(case, rating_id, BadReviewValidity.VALID)
    rectify(case, rating_id, cst(2026, 9, 24, 10))
    rerate(case, rating_id, 4, cst(2026, 9, 25, 10))

    b = bad(case, rating_id)
    assert (b.validity, b.verified_by, b.verified_at) == (
        BadReviewValidity.VALID,
        LEAD.id,
        RATED + timedelta(hours=1),
    )
    assert (b.rectification, b.rectified_at, b.feedback) == (
        Rectification.IMMEDIATE,
        cst(2026, 9, 24, 10),
        "已电话告知评价人整改情况",
    )
    assert b.rectify_due is not None and b.rectified_at is not None
    assert b.rectified_at <= b.rectify_due
    assert (b.rerated_level, b.rerated_at) == (4, cst(2026, 9, 25, 10))
    assert (b.excluded, b.appeal_upheld) == (False, None)
    assert rating(case, rating_id).level == 1  # the rating itself stands


def test_a_bad_review_is_verified_once() -> None:
    case = new_case()
    rating_id = rate(case, 2)
    verify(case, rating_id, BadReviewValidity.VALID)

    assert refusal(
        case,
        "BadReviewVerified",
        LEAD,
        RATED + timedelta(hours=2),
        rating_id=rating_id,
        validity=BadReviewValidity.MISTAKEN,
        note="改口",
    ) == ("bad_review.already_verified")


@pytest.mark.parametrize("validity", [BadReviewValidity.MISTAKEN, BadReviewValidity.MALICIOUS])
def test_an_upheld_appeal_excludes_the_bad_review_from_rectification(
    validity: BadReviewValidity,
) -> None:
    case = new_case()
    rating_id = rate(case, 1)
    verify(case, rating_id, validity, by=LEAD)

    review_appeal(case, rating_id, upheld=True, by=DIRECTOR)

    b = bad(case, rating_id)
    assert (b.appeal_upheld, b.reviewed_by, b.excluded, b.needs_rectification) == (
        True,
        DIRECTOR.id,
        True,
        False,
    )
    assert refusal(
        case,
        "BadReviewRectified",
        CLERK,
        cst(2026, 9, 24, 10),
        rating_id=rating_id,
        rectification=Rectification.EXPLAINED,
        action="解释",
        feedback="已告知",
    ) == ("bad_review.not_verified_valid")


def test_an_overturned_appeal_must_be_rectified() -> None:
    case = new_case()
    rating_id = rate(case, 1)
    verify(case, rating_id, BadReviewValidity.MALICIOUS)
    review_appeal(case, rating_id, upheld=False)
    assert bad(case, rating_id).needs_rectification

    rectify(case, rating_id)

    assert bad(case, rating_id).rectified_at == cst(2026, 9, 24, 10)
    assert not bad(case, rating_id).excluded


def test_only_a_bad_review_claimed_mistaken_or_malicious_is_appealed() -> None:
    case = new_case()
    rating_id = rate(case, 2)
    body = {"rating_id": rating_id, "upheld": True, "opinion": "复核"}

    assert refusal(
        case, "BadReviewAppealReviewed", DIRECTOR, RATED + timedelta(hours=1), **body
    ) == ("bad_review.no_appeal")
    verify(case, rating_id, BadReviewValidity.VALID)
    assert refusal(
        case, "BadReviewAppealReviewed", DIRECTOR, RATED + timedelta(hours=2), **body
    ) == ("bad_review.no_appeal")


def test_an_appeal_is_reviewed_once_and_not_by_its_verifier() -> None:
    case = new_case()
    rating_id = rate(case, 1)
    verify(case, rating_id, BadReviewValidity.MISTAKEN, by=DIRECTOR)
    body = {"rating_id": rating_id, "upheld": True, "opinion": "复核"}

    assert refusal(
        case, "BadReviewAppealReviewed", DIRECTOR, RATED + timedelta(hours=2), **body
    ) == ("bad_review.review_not_independent")
    review_appeal(case, rating_id, upheld=True, by=OTHER_DIRECTOR)
    assert refusal(
        case, "BadReviewAppealReviewed", OTHER_DIRECTOR, RATED + timedelta(hours=3), **body
    ) == ("bad_review.appeal_already_reviewed")


def test_rectification_follows_a_verification_that_found_the_bad_review_valid() -> None:
    case = new_case()
    rating_id = rate(case, 1)
    body = {
        "rating_id": rating_id,
        "rectification": Rectification.SCHEDULED,
        "action": "列入台账限期整改",
        "feedback": "已告知",
    }

    assert refusal(case, "BadReviewRectified", CLERK, cst(2026, 9, 23, 10), **body) == (
        "bad_review.not_verified_valid"
    )
    verify(case, rating_id, BadReviewValidity.MISTAKEN)  # claimed mistaken: the appeal pending
    assert refusal(case, "BadReviewRectified", CLERK, cst(2026, 9, 23, 10), **body) == (
        "bad_review.not_verified_valid"
    )


def test_a_bad_review_is_rectified_once() -> None:
    case = new_case()
    rating_id = rate(case, 2)
    verify(case, rating_id, BadReviewValidity.VALID)
    rectify(case, rating_id)

    assert refusal(
        case,
        "BadReviewRectified",
        CLERK,
        cst(2026, 9, 24, 11),
        rating_id=rating_id,
        rectification=Rectification.IMMEDIATE,
        action="再次整改",
        feedback="已告知",
    ) == ("bad_review.already_rectified")


def test_the_rater_re_rates_a_rectification_once() -> None:
    case = new_case()
    rating_id = rate(case, 2)
    verify(case, rating_id, BadReviewValidity.VALID)
    body = {"rating_id": rating_id, "level": 4, "comment": None}

    assert refusal(case, "ReRated", COUNTER, cst(2026, 9, 23, 10), **body) == (
        "bad_review.not_rectified"
    )
    rectify(case, rating_id)
    rerate(case, rating_id, 4)
    assert refusal(case, "ReRated", COUNTER, cst(2026, 9, 26, 10), **body) == (
        "bad_review.already_rerated"
    )


def test_handling_names_a_bad_review_of_this_case() -> None:
    case = new_case()
    good = rate(case, 5)
    body = {"validity": BadReviewValidity.VALID, "note": "核实"}

    assert refusal(
        case, "BadReviewVerified", LEAD, RATED + timedelta(hours=1), rating_id=good, **body
    ) == ("rating.not_bad_review")
    assert refusal(
        case, "BadReviewVerified", LEAD, RATED + timedelta(hours=1), rating_id=uuid4(), **body
    ) == ("rating.unknown")


# --- who records a rating: the rater's channel, never the staff who served ---------------------


@pytest.mark.parametrize(
    "channel",
    [RatingChannel.COUNTER_DEVICE, RatingChannel.APP, RatingChannel.SMS, RatingChannel.WEB],
)
@pytest.mark.parametrize("by", [CLERK, LEAD, DUTY, DIRECTOR], ids=lambda a: a.id)
def test_a_device_rating_is_relayed_by_the_rating_system_never_keyed_in(
    channel: RatingChannel, by: Actor
) -> None:
    case = completed_case()

    assert refusal(case, "Rated", by, cst(2026, 9, 28, 11), level=5, channel=channel) == (
        "rating.channel_not_relayed"
    )
    rating_id = case.append(
        "Rated", COUNTER, cst(2026, 9, 28, 11), JIEYANG, level=5, channel=channel
    )["rating_id"]
    assert rating(case, rating_id).channel is channel


@pytest.mark.parametrize("by", [CLERK, LEAD], ids=lambda a: a.id)
def test_staff_of_the_serving_unit_may_not_record_its_rating_by_phone(by: Actor) -> None:
    case = completed_case()  # held and completed by 人社

    assert refusal(
        case, "Rated", by, cst(2026, 9, 28, 11), level=5, channel=RatingChannel.PHONE
    ) == ("rating.self_rating")


def test_a_unit_the_case_was_handed_through_served_it_too() -> None:
    case = new_case()  # 人社 accepts it and hands it to 公安, which completes it
    case.append("Accepted", CLERK, cst(2026, 9, 1, 10), JIEYANG, note=None)
    handoff = case.append(
        "HandedOff", LEAD, cst(2026, 9, 2, 9), JIEYANG,
        to_department="公安", to_window=None, to_officer=None, reason="户籍核验",
    )["handoff_id"]  # fmt: skip
    case.append("HandOffSignedFor", POLICE_CLERK, cst(2026, 9, 2, 10), JIEYANG, handoff_id=handoff)
    case.append(
        "Completed", POLICE_CLERK, COMPLETED, JIEYANG, outcome=Outcome.GRANTED, summary=None
    )
    other = Actor(id="clerk-32", roles=(Role.CLERK,), unit="公安")  # never touched the case

    for by in (POLICE_CLERK, other, CLERK):
        assert refusal(
            case, "Rated", by, cst(2026, 9, 29, 9), level=4, channel=RatingChannel.PHONE
        ) == ("rating.self_rating"), by.id


def test_a_person_named_on_the_record_may_not_record_its_rating() -> None:
    # The director worked the case's 办不成事 report (its 专班); the duty officer did not.
    case = completed_case()
    report_id = case.append(
        "UnresolvedReported", CLERK, cst(2026, 9, 28, 11), JIEYANG,
        cause="materials", resolvability="hard_to_do", tier="complex", description="多次往返",
    )["report_id"]  # fmt: skip
    case.append(
        "SpecialTeamAssigned", DIRECTOR, cst(2026, 9, 28, 12), JIEYANG,
        report_id=report_id, lead=DIRECTOR.id, members=[DIRECTOR.id],
    )  # fmt: skip

    assert refusal(
        case, "Rated", DIRECTOR, cst(2026, 9, 29, 9), level=5, channel=RatingChannel.PHONE
    ) == ("rating.self_rating")
    rating_id = case.append(
        "Rated", DUTY, cst(2026, 9, 29, 9), JIEYANG, level=5, channel=RatingChannel.PHONE
    )["rating_id"]
    assert rating(case, rating_id).channel is RatingChannel.PHONE


def test_the_serving_staff_may_not_record_the_re_rating_of_their_rectification() -> None:
    case = new_case()
    rating_id = rate(case, 2)
    verify(case, rating_id, BadReviewValidity.VALID)
    rectify(case, rating_id)

    assert refusal(case, "ReRated", CLERK, RERATED, rating_id=rating_id, level=5, comment=None) == (
        "rating.self_rating"
    )
    rerate(case, rating_id, 4)  # through the relay
    assert bad(case, rating_id).rerated_level == 4
