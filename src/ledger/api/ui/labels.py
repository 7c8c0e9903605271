"""The Chinese words the pages and the exports use for the ledger's enum values, one table per
enum, so a status reads the same on a page, in a CSV and in Excel.

`zh(kind, value)` looks a value up (unknown values show as they are, None as "—"); the tables are
keyed by the enums' wire values, which is what the API's responses and the views' rows hold. The
registers' export columns (Chinese headers) are at the end.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

ZH: dict[str, dict[str, str]] = {
    "case_status": {
        "received": "已收件",
        "awaiting_materials": "待补正",
        "accepted": "已受理",
        "completed": "已办结",
        "refused": "不予受理",
    },
    "outcome": {
        "granted": "准予",
        "partially_granted": "部分准予",
        "denied": "不予许可",
        "withdrawn": "撤回",
        "referred": "转办",
    },
    "channel": {
        "window": "窗口",
        "online": "网上办理",
        "phone": "电话",
        "hotline_12345": "12345热线",
        "self_service": "自助终端",
        "unresolved_window": "办不成事窗口",
    },
    "priority": {"normal": "普通", "urgent": "加急", "green_channel": "绿色通道"},
    "clock_status": {"running": "计时中", "paused": "暂停", "met": "按时", "overdue": "超时"},
    "colour": {"red": "超时", "amber": "临期", "green": "正常", "none": "未计时"},
    "ticket_status": {
        "pending_dispatch": "待派单",
        "dispatched": "待签收",
        "return_requested": "退单申请中",
        "in_progress": "办理中",
        "replied": "已答复",
        "closed": "已办结",
        "merged": "已并单",
    },
    "hotline_category": {
        "consultation": "咨询",
        "help": "求助",
        "complaint": "投诉",
        "report": "举报",
        "suggestion": "建议",
        "praise": "表扬",
    },
    "hotline_urgency": {"normal": "普通", "life_property": "涉及生命财产", "utilities": "水电气热"},
    "ticket_closure": {
        "replied": "承办单位答复",
        "answered_at_intake": "直接答复",
        "redirected": "转其他渠道",
    },
    "satisfaction": {
        "satisfied": "满意",
        "basically_satisfied": "基本满意",
        "dissatisfied": "不满意",
    },
    "unresolved_cause": {
        "policy": "政策",
        "system": "系统",
        "materials": "材料要件",
        "attitude": "服务态度",
        "acceptance": "受理",
        "consultation": "咨询",
        "approval_step": "审批环节",
        "other": "其他",
    },
    "resolvability": {"cannot_do": "办不了", "hard_to_do": "很难办", "refused_to_do": "不给办"},
    "unresolved_tier": {"simple": "简单", "complex": "复杂", "special": "一事一议", "hard": "疑难"},
    "unresolved_closure": {
        "resolved": "办成",
        "explained_cannot_do": "解释不能办",
        "excluded_own_cause": "申请人自身原因",
        "out_of_scope": "不属受理范围",
        "redirected": "转其他渠道",
        "consultation_only": "仅咨询",
        "open": "未办结",
    },
    "exception_kind": {
        "special_handling": "特事特办",
        "missing_materials": "容缺受理",
        "commitment": "告知承诺",
        "extended_hours": "延时服务",
    },
    "role": {
        "clerk": "窗口人员",
        "window_lead": "窗口负责人",
        "department_head": "部门负责人",
        "centre_director": "中心主任",
        "duty_officer": "值班人员",
        "hotline_operator": "12345话务员",
        "auditor": "审计",
        "dashboard": "大屏",
        "admin": "管理员",
        "system": "系统",
        "rating_channel": "好差评系统",
    },
    "group_by": {"department": "部门", "window": "窗口", "matter": "事项", "channel": "渠道"},
}


def zh(kind: str, value: object) -> str:
    """`value` (an enum or its wire value) in Chinese; unknown values as they are, None as —."""
    if value is None:
        return "—"
    raw = value.value if isinstance(value, Enum) else value
    return ZH[kind].get(str(raw), str(raw))


def yes_no(value: bool | None) -> str:
    return "—" if value is None else ("是" if value else "否")


# The register pages (ledger.api.ui.registers): their filters' words, the 差评 register's enums.
ZH.update(
    {
        "ticket_filter": {
            "open": "未办结（全部）",
            "overdue": "已超时",
            "follow_up_overdue": "回访超时",
        },
        "report_status": {"open": "未办结", "closed": "已办结"},
        "supervision": {"urge": "催办", "notice": "督办", "circulated": "通报批评"},
        "rating_channel": {
            "counter_device": "评价器",
            "app": "移动端",
            "sms": "短信",
            "web": "网站",
            "phone": "电话",
        },
        "rating_level": {
            "1": "非常不满意",
            "2": "不满意",
            "3": "基本满意",
            "4": "满意",
            "5": "非常满意",
        },
        "bad_review_validity": {"valid": "属实", "mistaken": "误评", "malicious": "恶意差评"},
        "rectification": {
            "immediate": "立行立改",
            "scheduled": "限期整改",
            "explained": "解释说明",
        },
        "bad_review_stage": {
            "to_verify": "待核实",
            "appealed": "申诉复核中",
            "to_rectify": "待整改",
            "rectified": "已整改",
            "excluded": "申诉成立（不计入）",
        },
        "bad_review_filter": {"open": "待处理（待核实、待整改）", "overdue": "整改超期"},
    }
)


# --- the registers' columns, as the exports write them (header, how a row's item gives it) ------

Columns = list[tuple[str, Callable[[Any], Any]]]
"""(Chinese header, the cell from one item of the API's answer); times are written in Beijing
time by the exports, so their headers say so."""


def _zh(kind: str) -> Callable[[Any], str | None]:
    return lambda value: None if value is None else zh(kind, value)


def _due(deadline: Any) -> Any:
    return None if deadline is None else deadline.due_at


def _status(deadline: Any) -> str | None:
    return (
        None if deadline is None or deadline.status is None else zh("clock_status", deadline.status)
    )


CASE_COLUMNS: Columns = [
    ("案件编号", lambda c: c.case_no),
    ("服务中心", lambda c: c.centre),
    ("部门", lambda c: c.department),
    ("窗口", lambda c: c.window),
    ("事项编码", lambda c: c.matter.code),
    ("事项名称", lambda c: c.matter.name),
    ("渠道", lambda c: _zh("channel")(c.channel)),
    ("优先级", lambda c: _zh("priority")(c.priority)),
    ("状态", lambda c: _zh("case_status")(c.status)),
    ("结果", lambda c: _zh("outcome")(c.outcome)),
    ("申请人（脱敏）", lambda c: c.applicant_name),
    ("收件时间（北京时间）", lambda c: c.registered_at),
    ("受理时间（北京时间）", lambda c: c.accepted_at),
    ("办结时间（北京时间）", lambda c: c.closed_at),
    ("办结期限（北京时间）", lambda c: c.due_at),
    ("时限状态", lambda c: _status(c.clock)),
    ("最后事件时间（北京时间）", lambda c: c.last_event_at),
    ("版本", lambda c: c.version),
    ("案件ID", lambda c: str(c.case_id)),
]

HOTLINE_COLUMNS: Columns = [
    ("工单编号", lambda t: t.ticket_no),
    ("案件编号", lambda t: t.case_no),
    ("服务中心", lambda t: t.centre),
    ("诉求类型", lambda t: _zh("hotline_category")(t.category)),
    ("紧急程度", lambda t: _zh("hotline_urgency")(t.urgency)),
    ("状态", lambda t: _zh("ticket_status")(t.status)),
    ("时限颜色", lambda t: _zh("colour")(t.colour)),
    ("接收时间（北京时间）", lambda t: t.received_at),
    ("主办单位", lambda t: t.lead_unit),
    ("协办单位", lambda t: "、".join(t.assist_units) or None),
    ("派单轮次", lambda t: t.rounds),
    ("退单申请", lambda t: t.returns_requested),
    ("签收期限（北京时间）", lambda t: _due(t.sign_for)),
    ("签收情况", lambda t: _status(t.sign_for)),
    ("答复期限（北京时间）", lambda t: _due(t.reply)),
    ("办结期限（北京时间）", lambda t: _due(t.order)),
    ("办结时限情况", lambda t: _status(t.order)),
    ("获批延期", lambda t: t.extensions_approved),
    ("先行联系期限（北京时间）", lambda t: t.contact_due),
    ("首次联系时间（北京时间）", lambda t: t.first_contact_at),
    ("办结时间（北京时间）", lambda t: t.closed_at),
    ("办结方式", lambda t: _zh("ticket_closure")(t.closure)),
    ("重办次数", lambda t: t.reopen_count),
    ("回访次数", lambda t: t.follow_up.follow_ups),
    ("最后回访时间（北京时间）", lambda t: t.follow_up.followed_up_at),
    ("满意度", lambda t: _zh("satisfaction")(t.follow_up.satisfaction)),
    ("群众认为已解决", lambda t: t.follow_up.citizen_resolved),
    ("承办单位称已解决", lambda t: t.unit_claims_resolved),
    ("总等待时长", lambda t: t.total_wait),
    ("诉求摘要", lambda t: "（保密工单）" if t.confidential else t.summary),
]

UNRESOLVED_COLUMNS: Columns = [
    ("案件编号", lambda r: r.case_no),
    ("服务中心", lambda r: r.centre),
    ("部门", lambda r: r.department),
    ("窗口", lambda r: r.window),
    ("事项编码", lambda r: r.matter.code),
    ("事项名称", lambda r: r.matter.name),
    ("原因", lambda r: _zh("unresolved_cause")(r.cause)),
    ("类型", lambda r: _zh("resolvability")(r.resolvability)),
    ("层级", lambda r: _zh("unresolved_tier")(r.tier)),
    ("情况描述", lambda r: r.description),
    ("反映时间（北京时间）", lambda r: r.reported_at),
    ("办结期限（北京时间）", lambda r: r.due_at),
    ("时限颜色", lambda r: _zh("colour")(r.colour)),
    ("否定答复", lambda r: r.negative_answer),
    ("反馈次数", lambda r: r.feedbacks),
    ("核查时间（北京时间）", lambda r: r.verified_at),
    ("办结方式", lambda r: _zh("unresolved_closure")(r.closure)),
    ("办结时间（北京时间）", lambda r: r.closed_at),
    ("按期办结", lambda r: r.on_time),
]

APPROVAL_COLUMNS: Columns = [
    ("案件编号", lambda a: a.case_no),
    ("服务中心", lambda a: a.centre),
    ("部门", lambda a: a.department),
    ("例外类型", lambda a: _zh("exception_kind")(a.kind)),
    ("豁免规则", lambda a: a.rule_waived),
    ("待审层级", lambda a: f"{a.layer}/{a.layers}"),
    ("审批角色", lambda a: _zh("role")(a.role)),
    ("审批层", lambda a: a.title),
    ("申请人", lambda a: a.requested_by),
    ("申请时间（北京时间）", lambda a: a.requested_at),
    ("等待起始（北京时间）", lambda a: a.waiting_since),
    ("已等待", lambda a: a.waiting),
    ("事后追认", lambda a: a.after_the_fact),
    ("执行人", lambda a: a.executed_by),
    ("代岗审批层数", lambda a: a.acting_up),
    ("案件ID", lambda a: str(a.case_id)),
]
