"""The tables of the 指标 page and of its exports: which figures of the indicators report each
shows (`FAMILIES`), under which Chinese header, and the rule each counts by, in words.

The rules are the definitions in `ledger.projections.indicators` (where each is stated beside its
code, with its source), said briefly for the page's footnotes; the arithmetic stays there.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ledger.api.ui.format import percent
from ledger.api.ui.labels import zh
from ledger.domain.unresolved.records import UnresolvedCause
from ledger.projections.indicators.grouping import GroupBy
from ledger.projections.indicators.rates import Rate
from ledger.projections.indicators.report import Group, Report, Total


class Column(NamedTuple):
    """One figure of a family: its header, where it is in the report, how it reads, its rule."""

    header: str
    path: tuple[str, ...]
    kind: str
    """count, rate (a percentage with numerator/denominator), ratio (per case) or days."""
    rule: str = ""


class Family(NamedTuple):
    """A table of the page: one section of the report (`indicators`, `hotline`, ...)."""

    name: str
    title: str
    section: str
    columns: tuple[Column, ...]


def _c(header: str, path: str, kind: str = "count", rule: str = "") -> Column:
    return Column(header, tuple(path.split(".")), kind, rule)


_DUE = "办结期限（含批准的延期与已结束的暂停）在期间内且已届满"
FAMILIES = (
    Family(
        "timeliness",
        "办件时效",
        "indicators",
        (
            _c("收件", "received", rule="期间内登记（收件）的案件。"),
            _c("受理", "accepted", rule="期间内受理的案件。"),
            _c(
                "办结",
                "completed",
                rule="期间内办结：状态为已办结且结果不是撤回（不予受理不算办结）。",
            ),
            _c("应办结", "due", rule=f"{_DUE}的案件；期限前撤回的不计。"),
            _c("超期", "overdue", rule="应办结 − 按时办结：超期办结、仍未办结或期限后撤回。"),
            _c("办结率", "completion_rate", "rate", "期间内受理且在期间结束前办结 ÷ 期间内受理。"),
            _c("按时办结率", "on_time_rate", "rate", "应办结中在期限前办结的 ÷ 应办结。"),
            _c("延期率", "extension_rate", "rate", "期间内受理且获批延期 ÷ 期间内受理。"),
        ),
    ),
    Family(
        "quality",
        "办件质量",
        "indicators",
        (
            _c(
                "一次办成率", "one_visit_rate", "rate", "期间内办结且跑动不超过 1 次 ÷ 期间内办结。"
            ),
            _c("零跑动率", "zero_visit_rate", "rate", "期间内办结且零跑动 ÷ 期间内办结。"),
            _c("件均跑动次数", "visits_per_case", "ratio", "期间内收件案件的跑动次数之和 ÷ 收件。"),
            _c(
                "件均移交次数",
                "handoffs_per_case",
                "ratio",
                "期间内收件案件的移交次数之和 ÷ 收件。",
            ),
            _c(
                "用时中位数（工作日）",
                "working_days.median",
                "days",
                "办结案件自起算至办结的工作时间。",
            ),
            _c("用时P90（工作日）", "working_days.p90", "days", "同上，第 90 百分位（最近秩法）。"),
            _c(
                "一次性告知按时率",
                "notice_in_time_rate",
                "rate",
                "期间内首次补正告知中，收件后 5 个工作日内作出的 ÷ 首次告知"
                "（《行政许可法》第三十二条）。",
            ),
            _c(
                "视为受理",
                "deemed_accepted",
                rule="逾期告知的件数：自收件之日起视为受理（第三十二条）。",
            ),
            _c(
                "承诺时限压缩率",
                "promise_compression",
                "rate",
                "1 − Σ承诺时限 ÷ Σ法定时限，按政策同时列明两项时限的事项、以法定时限加权。",
            ),
        ),
    ),
    Family(
        "hotline",
        "12345工单办理",
        "hotline",
        (
            _c("受理工单", "received", rule="期间内接收的工单（含并单）。"),
            _c(
                "及时签收率",
                "sign_for_rate",
                "rate",
                "按工单计：期间内主办派单均在签收时限内签收的工单 ÷ 有应签收主办派单的工单。",
            ),
            _c(
                "先行联系率",
                "contact_rate",
                "rate",
                "联系期限（自首次派单起，时限由政策设定）在期间内且已届满的工单中按时联系诉求人的比例。",
            ),
            _c(
                "按时办结率",
                "on_time_rate",
                "rate",
                "工单时限（自首次派单起，贯穿退单改派，含延期）在期间内且已届满的工单中按时办结的比例。",
            ),
            _c("延期率", "extension_rate", "rate", "应办结工单中获批延期的 ÷ 应办结工单。"),
            _c(
                "首呼解决率",
                "first_call_rate",
                "rate",
                "话务员直接答复办结 ÷ 期间内接收的非并单工单。",
            ),
            _c("重复来电率", "repeat_rate", "rate", "并单 ÷ 期间内接收的工单。"),
            _c("退单率", "return_rate", "rate", "提出过退单申请的 ÷ 期间内接收并派单的工单。"),
        ),
    ),
    Family(
        "hotline_follow_up",
        "12345工单回访",
        "hotline",
        (
            _c("办结工单", "closed", rule="首次办结在期间内的工单（转其他渠道的除外）。"),
            _c("回访率", "follow_up_rate", "rate", "有回访记录（含未接通）的办结工单 ÷ 办结工单。"),
            _c(
                "按时回访率",
                "follow_up_on_time_rate",
                "rate",
                "办结次日内回访的 ÷ 回访期限届满的办结。",
            ),
            _c(
                "满意率",
                "satisfaction_rate",
                "rate",
                "满意（及政策计入的基本满意）÷ 回访接通并作答的工单。",
            ),
            _c(
                "解决率（群众评价）",
                "citizen_resolved_rate",
                "rate",
                "回访中群众认为已解决 ÷ 作答。",
            ),
            _c(
                "解决率（承办单位）",
                "unit_resolved_rate",
                "rate",
                "最后答复称已解决 ÷ 有答复的办结工单。",
            ),
            _c(
                "平均等待（天）",
                "total_wait.mean",
                "days",
                "自来电至办结的自然日，含每轮退单与重办。",
            ),
        ),
    ),
    Family(
        "ratings",
        "好差评",
        "ratings",
        (
            _c("评价", "ratings", rule="期间内的有效评价（申诉成立被剔除的除外）。"),
            _c("差评", "bad", rule="其中 1–2 分的评价。"),
            _c("好评率", "good_rate", "rate", "3–5 分 ÷ 评价。"),
            _c(
                "主动评价率",
                "active_rate",
                "rate",
                "期间内办结且有主动（非默认）评价的案件 ÷ 期间内办结。",
            ),
            _c(
                "差评整改率",
                "rectify_rate",
                "rate",
                "已整改 ÷ 应整改的差评（整改期限届满或期间内已整改）。",
            ),
            _c(
                "差评按时整改率",
                "rectify_on_time_rate",
                "rate",
                "在整改期限（由政策设定）内整改的 ÷ 应整改的差评。",
            ),
            _c(
                "实名差评回访率",
                "real_name_follow_up_rate",
                "rate",
                "期间内实名差评中已回访核实的 ÷ 实名差评；目标 100%。",
            ),
        ),
    ),
    Family(
        "unresolved",
        "办不成事",
        "unresolved",
        (
            _c("收到反映", "received", rule="期间内登记的办不成事反映（按窗口即月度通报数）。"),
            _c(
                "否定答复",
                "negative_answers",
                rule="其中随不予受理、不予许可一并登记的否定答复报告。",
            ),
            _c("办结", "closed", rule="期间内办结（任何办结方式）。"),
            _c(
                "按时办结率",
                "on_time_rate",
                "rate",
                "期限在期间内届满或期间内办结的反映中按期办结的比例。",
            ),
            _c("咨询", "consultations", rule="期间内答复的咨询（不立反映）。"),
            *(
                _c(f"原因：{zh('unresolved_cause', cause)}", f"by_cause.{cause.value}")
                for cause in UnresolvedCause
            ),
        ),
    ),
)
BY_NAME = {f.name: f for f in FAMILIES}


def value(of: Group | Total, column: Column, section: str) -> Any:
    """The figure `column` names in `of`'s `section` (None when the section is null)."""
    found: Any = getattr(of, section)
    for part in column.path:
        if found is None:
            return None
        found = found.get(part) if isinstance(found, dict) else getattr(found, part)
    return found


def group_label(group: Group, grouping: GroupBy) -> str:
    if group.key is None:
        return {GroupBy.WINDOW: "（无窗口）"}.get(grouping, "（未归属）")
    if grouping is GroupBy.CHANNEL:
        return zh("channel", group.key)
    if grouping is GroupBy.MATTER and group.matter_name:
        return f"{group.key} {group.matter_name}"
    return group.key


def table_rows(
    report: Report, grouping: GroupBy, family: Family
) -> list[tuple[str, Group | Total]]:
    """The family's rows: each group whose section applies to the grouping, then 合计."""
    groups = [g for g in report.groups if getattr(g, family.section) is not None]
    labelled: list[tuple[str, Group | Total]] = [(group_label(g, grouping), g) for g in groups]
    return [*labelled, ("合计", report.total)]


def rate_text(rate: Rate, kind: str = "rate") -> str:
    """93.8%（15/16）; a per-case ratio reads 1.50（3/2）; nothing counted reads —（0/0）."""
    ratio = kind != "rate" and rate.value is not None
    shown = f"{rate.value:.2f}" if ratio else percent(rate.value)  # — when nothing counted
    return f"{shown}（{rate.numerator}/{rate.denominator}）"
