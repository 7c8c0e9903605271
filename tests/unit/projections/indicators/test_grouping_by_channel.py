"""Grouping by channel (issue 15): only the cases' indicators group by the case's channel; the
12345, 办不成事 and 好差评 sections are null in the groups and counted, unchanged, in the total.

The rows are `test_pushback`'s (October 2026), with channels: c1 c2 c3 c5 at the window, c4 c6
online. 办结 in P (a withdrawn case is not, one closed in September is not): window c1 c2 = 2,
online c4 (denied counts) c6 = 2; received in P: none (all registered 09-20).
"""

from __future__ import annotations

import msgspec
import pytest

from ledger.projections.indicators.grouping import GroupBy, group_key
from ledger.projections.indicators.report import report
from ledger.projections.indicators.timeliness import case_key
from tests.unit.projections.indicators.test_pushback import CASES, NOW, OCTOBER, ROWS

ONLINE = {4, 6}
CHANNELLED = [
    msgspec.structs.replace(c, channel="online" if c.case_id.int in ONLINE else "window")
    for c in CASES
]


def test_the_cases_group_by_their_channel() -> None:
    result = report(CHANNELLED, ROWS, OCTOBER, GroupBy.CHANNEL, NOW)
    assert [(g.key, g.indicators.completed) for g in result.groups] == [
        ("online", 2),
        ("window", 2),
    ]
    assert all(g.matter_name is None for g in result.groups)


def test_the_other_sections_count_in_the_total_only() -> None:
    by_channel = report(CHANNELLED, ROWS, OCTOBER, GroupBy.CHANNEL, NOW)
    by_department = report(CHANNELLED, ROWS, OCTOBER, GroupBy.DEPARTMENT, NOW)
    for group in by_channel.groups:
        assert (group.hotline, group.unresolved, group.ratings) == (None, None, None)
    assert by_channel.total == by_department.total


def test_a_case_of_before_the_channel_was_read_has_no_key() -> None:
    (old,) = report(CASES[:1], ROWS, OCTOBER, GroupBy.CHANNEL, NOW).groups
    assert old.key is None and old.indicators.completed == 1
    assert case_key(CASES[0], GroupBy.DEPARTMENT) == "人社"


def test_only_cases_carry_a_channel() -> None:
    with pytest.raises(ValueError, match="only cases"):
        group_key(ROWS.ratings[0], GroupBy.CHANNEL)
