"""Time-limit policies: the repository's files load and cite sources; broken ones fail precisely."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ledger.domain.exceptions.records import ExceptionKind
from ledger.domain.hotline.records import HotlineCategory, HotlineUrgency
from ledger.domain.unresolved.records import UnresolvedTier
from ledger.domain.values import LimitUnit
from ledger.rules.calendars import POLICY_ROOT
from ledger.rules.time_limits import Policies, PolicyFileError

SEED_CENTRES = ("huoshan", "donghuashi", "qingyuan", "jieyang", "wuhai", "zhangjiakou")


@pytest.fixture
def policy_dir(tmp_path: Path) -> Path:
    """A copy of the repository's policies to break."""
    shutil.copytree(POLICY_ROOT, tmp_path / "policies")
    return tmp_path / "policies"


def test_every_seed_centre_has_a_local_policy_over_the_national_one() -> None:
    policies = Policies()

    for centre in SEED_CENTRES:
        timing = policies.timing(centre)
        assert timing.policy.version.startswith("cn-tl-2026.2+"), centre
        assert centre in timing.policy.centres
        assert timing.calendar.version == "cn-2026.1"


def test_a_centre_no_file_lists_runs_on_the_national_policy() -> None:
    assert Policies().timing("somewhere-else").policy.version == "cn-tl-2026.2"


def test_the_configured_centres_are_exactly_those_the_files_claim() -> None:
    policies = Policies()

    assert policies.centres == sorted(SEED_CENTRES)
    assert all(policies.knows(centre) for centre in SEED_CENTRES)
    assert not policies.knows("somewhere-else")
    assert not policies.knows("Huoshan")


def test_a_centre_the_national_file_lists_is_configured_on_the_national_policy(
    policy_dir: Path,
) -> None:
    national = policy_dir / "time-limits" / "cn.toml"
    national.write_text(
        national.read_text(encoding="utf-8").replace("centres = []", 'centres = ["xian"]'),
        encoding="utf-8",
    )

    policies = Policies(policy_dir)

    assert policies.knows("xian")
    assert policies.timing("xian").policy.version == "cn-tl-2026.2"
    assert "xian" in policies.centres


def test_every_limit_cites_a_document() -> None:
    for name in Policies().jurisdictions:
        policy = Policies().jurisdiction(name).policy
        rules = [
            policy.default_promised,
            *(m.promised for m in policy.matters.values()),
            *policy.hotline.sign_for.values(),
            *policy.hotline.reply.values(),
            policy.hotline.reply_emergency,
            policy.hotline.return_within,
            *policy.unresolved_tiers.values(),
            policy.unresolved_resolvability.cannot_do,
            policy.unresolved_resolvability.hard_to_do,
            policy.unresolved_resolvability.hard_to_do_very_complex,
            policy.unresolved_resolvability.refused_to_do,
            policy.rating.rectification,
        ]
        assert all(rule.source.document.strip() for rule in rules), name


def test_the_unresolved_and_rating_limits_cite_the_documents_their_numbers_come_from() -> None:
    """The brief's sources (S13, S14): Xuchang's resolvability limits; the 15-working-day 差评
    rectification from a Sichuan city's rule (the longest local limit found, the national default
    by this ledger's choice), never GB/T 39734-2020, whose day counts were not retrieved."""
    for name in Policies().jurisdictions:
        policy = Policies().jurisdiction(name).policy
        rectification = policy.rating.rectification
        assert (rectification.value, rectification.unit) == (15, LimitUnit.WORKING_DAYS), name
        assert "四川" in rectification.source.document, name
        assert "39734" not in rectification.source.document, name
        assert rectification.source.url and "spprec.com" in rectification.source.url, name
        assert "ledger's choice" in (rectification.source.note or "") or name != "cn", name
        limits = policy.unresolved_resolvability
        assert [
            (r.value, r.unit)
            for r in (
                limits.cannot_do,
                limits.hard_to_do,
                limits.hard_to_do_very_complex,
                limits.refused_to_do,
            )
        ] == [
            (3, LimitUnit.WORKING_DAYS),
            (7, LimitUnit.WORKING_DAYS),
            (30, LimitUnit.CALENDAR_DAYS),  # "1个月", read as 30 calendar days
            (3, LimitUnit.WORKING_DAYS),
        ], name
        assert all(
            "许昌" in r.source.document and r.source.url and "xuchang" in r.source.url
            for r in (limits.cannot_do, limits.hard_to_do, limits.refused_to_do)
        ), name


def test_the_national_policy_has_the_published_12345_limits() -> None:
    hotline = Policies().jurisdiction("cn").policy.hotline

    assert hotline.sign_for[HotlineUrgency.LIFE_PROPERTY].limit.unit is LimitUnit.MINUTES
    assert hotline.sign_for[HotlineUrgency.LIFE_PROPERTY].value == 15
    assert hotline.sign_for[HotlineUrgency.UTILITIES].value == 30
    assert hotline.sign_for[HotlineUrgency.NORMAL].limit.unit is LimitUnit.WORKING_DAYS
    assert hotline.reply[HotlineCategory.COMPLAINT].value == 13
    assert set(hotline.reply) == set(HotlineCategory)


def test_a_local_file_replaces_a_whole_section_and_keeps_the_rest() -> None:
    policies = Policies()
    jieyang, national = policies.timing("jieyang").policy, policies.timing("x").policy

    assert jieyang.rating.default_level == 3  # 广东: 7 natural days -> 基本满意
    assert national.rating.default_after is None  # no national default rating
    assert jieyang.hotline == national.hotline
    assert set(jieyang.unresolved_tiers) == set(UnresolvedTier)


def test_a_local_matter_is_added_to_the_national_ones() -> None:
    huoshan = Policies().timing("huoshan").policy

    assert {"SI-ARREARS", "GENERIC-LICENCE"} <= set(huoshan.matters)
    assert huoshan.promised_for("SI-ARREARS")[0].value == 5
    assert huoshan.promised_for("NOT-LISTED")[0].value == 20


def test_an_unknown_key_is_refused_naming_the_file_and_field(policy_dir: Path) -> None:
    path = policy_dir / "time-limits" / "ah-huoshan.toml"
    path.write_text(path.read_text().replace("centres =", "centers ="))

    with pytest.raises(PolicyFileError) as refused:
        Policies(policy_dir)

    assert refused.value.path == path
    assert refused.value.field == "centers"


def test_a_unit_that_does_not_exist_is_refused_with_its_path(policy_dir: Path) -> None:
    path = policy_dir / "time-limits" / "cn.toml"
    path.write_text(path.read_text().replace('unit = "working_days"', 'unit = "fortnights"', 1))

    with pytest.raises(PolicyFileError) as refused:
        Policies(policy_dir)

    assert refused.value.field == "default_promised.unit"


def test_a_base_file_missing_a_section_is_refused(policy_dir: Path) -> None:
    path = policy_dir / "time-limits" / "cn.toml"
    text = path.read_text()
    path.write_text(text[: text.index("[board]")])

    with pytest.raises(PolicyFileError) as refused:
        Policies(policy_dir)

    assert refused.value.field == "board"


def test_a_centre_claimed_by_two_jurisdictions_is_refused(policy_dir: Path) -> None:
    path = policy_dir / "time-limits" / "nm-wuhai.toml"
    path.write_text(path.read_text().replace('["wuhai"]', '["wuhai", "huoshan"]'))

    with pytest.raises(PolicyFileError) as refused:
        Policies(policy_dir)

    assert "huoshan" in str(refused.value)


def test_a_file_must_be_named_for_its_jurisdiction(policy_dir: Path) -> None:
    (policy_dir / "time-limits" / "nm-wuhai.toml").rename(policy_dir / "time-limits" / "nm.toml")

    with pytest.raises(PolicyFileError) as refused:
        Policies(policy_dir)

    assert refused.value.field == "jurisdiction"


def test_a_missing_tier_is_refused(policy_dir: Path) -> None:
    path = policy_dir / "time-limits" / "cn.toml"
    lines = [ln for ln in path.read_text().splitlines() if not ln.startswith("hard = ")]
    path.write_text("\n".join(lines))

    with pytest.raises(PolicyFileError) as refused:
        Policies(policy_dir)

    assert refused.value.field == "unresolved_tiers"


def test_every_jurisdiction_has_an_approval_chain_for_each_exception_kind() -> None:
    for name in Policies().jurisdictions:
        approvals = Policies().jurisdiction(name).policy.approvals
        assert set(approvals) == set(ExceptionKind), name
        assert all(a.layers and a.source.document for a in approvals.values()), name


def test_a_local_approval_policy_replaces_the_national_one_for_its_kind() -> None:
    qingyuan = Policies().timing("qingyuan").policy.approvals
    special = qingyuan[ExceptionKind.SPECIAL_HANDLING]

    assert special.id == "bj-daxing/special_handling"
    assert special.layers[1].joint and special.layers[1].attendee_roles
    assert qingyuan[ExceptionKind.MISSING_MATERIALS].id == "cn/missing_materials"


def test_an_approval_policy_under_the_wrong_kind_is_refused(policy_dir: Path) -> None:
    path = policy_dir / "time-limits" / "cn.toml"
    path.write_text(path.read_text().replace('kind = "extended_hours"', 'kind = "commitment"'))

    with pytest.raises(PolicyFileError) as refused:
        Policies(policy_dir)

    assert refused.value.field == "approvals.extended_hours.kind"
