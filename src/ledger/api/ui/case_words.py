"""What the case page says in Chinese: event types, field names, the page's own enum words, and
each field's value in words (Beijing times, durations, masked values only, nested records in a
line). Kept apart from `case_page` so the page's logic reads without its vocabulary."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

import msgspec

from ledger.api.ui.format import beijing, duration
from ledger.api.ui.labels import zh
from ledger.domain.values import MaskedValue, TimeLimit

EVENT_NAMES = {
    "Registered": "登记收件",
    "VisitRecorded": "到场（跑动）",
    "OneTimeNoticeIssued": "一次性告知（补正）",
    "MaterialsSupplied": "补交材料",
    "Accepted": "受理",
    "AcceptanceRefused": "不予受理",
    "Completed": "办结",
    "Reopened": "重新办理",
    "CorrectionRecorded": "更正",
    "DutyIntervention": "值班介入",
    "ClockPaused": "暂停计时",
    "ClockResumed": "恢复计时",
    "ExtensionRequested": "申请延期",
    "ExtensionDecided": "延期审批",
    "HandedOff": "移交",
    "HandOffSignedFor": "签收移交",
    "HandOffReturned": "退回移交",
    "HandedOffAcross": "跨辖区移交",
    "HandOffReceived": "接收跨辖区移交",
    "HandOffAcknowledged": "跨辖区移交已接收（回执）",
    "ExceptionRequested": "申请破例办理",
    "ExceptionRatificationRequested": "申请事后追认",
    "ExceptionLayerDecided": "逐级审批",
    "ExceptionGranted": "破例获批",
    "ExceptionRatified": "已追认",
    "ExceptionRefused": "破例未获批",
    "ExceptionNotRatified": "未予追认",
    "ExceptionWithdrawn": "撤回破例申请",
    "ExceptionPostAudited": "事后核查",
    "CommitmentSigned": "签署承诺书",
    "CommitmentFulfilled": "承诺已履行",
    "CommitmentBreached": "承诺未履行",
    "IdentityReconciled": "身份核对",
    "ConsentRecorded": "授权同意",
    "HotlineEscalationReceived": "12345 工单接收",
    "HotlineDispatched": "12345 派单",
    "HotlineSignedFor": "12345 签收",
    "HotlineReturnRequested": "12345 申请退单",
    "HotlineReturnDecided": "12345 退单审核",
    "HotlineApplicantContacted": "12345 先行联系",
    "HotlineExtensionRequested": "12345 申请延期",
    "HotlineExtensionDecided": "12345 延期审核",
    "HotlineReplied": "12345 答复",
    "HotlineReplyReviewed": "12345 答复审核",
    "HotlineClosed": "12345 办结",
    "HotlineFollowedUp": "12345 回访",
    "HotlineReopened": "12345 重办",
    "HotlineMerged": "12345 并单",
    "HotlineSupervised": "12345 督办",
    "UnresolvedReported": "办不成事登记",
    "SpecialTeamAssigned": "指派专班",
    "UnresolvedFeedbackGiven": "办不成事反馈",
    "UnresolvedVerified": "办不成事核查",
    "UnresolvedClosed": "办不成事办结",
    "ConsultationRecorded": "咨询答复",
    "RootCauseRecorded": "根因分析",
    "ImprovementActionOpened": "整改措施",
    "ImprovementActionCompleted": "整改完成",
    "Rated": "好差评",
    "BadReviewVerified": "差评核实",
    "BadReviewAppealReviewed": "差评申诉复核",
    "BadReviewRectified": "差评整改",
    "ReRated": "重新评价",
}
"""Each event type in Chinese; a type not listed shows its own name."""

FIELD_NAMES = {
    "case_no": "案件编号", "channel": "渠道", "matter": "事项", "code": "编码", "name": "名称",
    "centre": "服务中心", "department": "部门", "window": "窗口", "applicant": "申请人",
    "id_number": "证件号", "phone": "电话", "bank_card": "银行卡", "priority": "优先级",
    "statutory_limit": "法定时限", "promised_limit": "承诺时限", "reason": "原因", "note": "备注",
    "evidence": "依据", "to_department": "移交至部门", "to_window": "移交至窗口",
    "to_officer": "移交至人员", "handoff_id": "移交编号", "exception_id": "破例编号",
    "layer": "层级", "decision": "决定", "opinion": "意见", "outcome": "结果", "summary": "摘要",
    "items": "材料", "via": "方式", "ticket": "号票", "action": "措施", "kind": "类型",
    "rule_waived": "破例事项", "basis": "依据", "justification": "理由", "waived_items": "容缺材料",
    "compensating_controls": "补偿措施", "attendees": "参会人", "minutes_ref": "会议纪要",
    "acting_for": "代理（AB岗）", "working_days": "工作日数", "extension_id": "延期编号",
    "clock": "时钟", "limit": "时限", "due_at": "到期", "started_at": "起算", "role": "角色",
    "unit": "单位", "finding": "核查结论", "escalation_threat": "升级风险",
    "from_department": "从部门", "from_window": "从窗口", "credit_check": "信用核查",
    "result": "结果", "source": "来源", "checked_at": "核查时间", "policy": "审批政策",
    "post_audit": "事后核查", "post_audit_draw": "抽查随机数", "return_reason": "退回原因",
    "execution": "执行情况", "commitment_id": "承诺编号", "ticket_id": "工单编号",
    "report_id": "报告编号", "rating_id": "评价编号", "title": "名称",
    "to_origin": "移交至（对方日志）", "to_centre": "移交至服务中心", "sender": "移出方记录",
    "receiver": "接收方记录", "handed_off_by": "移交人", "handed_off_at": "移交时间",
}  # fmt: skip
"""Labels of the fields events commonly carry; any other shows its own name."""

PAUSE_REASONS = {
    "awaiting_data_push": "等待数据推送", "applicant_supplement": "补正", "hearing": "听证",
    "expert_review": "专家评审", "on_site_inspection": "现场核查",
    "other_department": "等待其他部门", "other": "其他", "tender": "招标", "auction": "拍卖",
    "inspection": "检验", "testing": "检测", "quarantine": "检疫", "appraisal": "鉴定",
}  # fmt: skip
WORDS = {
    "pause_reason": PAUSE_REASONS,
    "handoff": {"pending": "待签收", "signed_for": "已签收", "returned": "已退回"},
    "exception": {
        "pending": "审批中", "granted": "已批准", "refused": "未批准", "withdrawn": "已撤回",
        "ratified": "已追认", "not_ratified": "未予追认",
    },
    "decision": {"approve": "同意", "reject": "不同意"},
    "extension": {"pending": "待审批", "approved": "已批准", "rejected": "未批准"},
    "limit_unit": {
        "working_days": "个工作日", "calendar_days": "个自然日", "hours": "小时",
        "minutes": "分钟",
    },
    "check": {
        "layer_order": "逐层按序审批", "roles": "审批人角色符合规定",
        "distinct_approvers": "各层审批人互不相同", "no_self_approval": "申请人未自批",
        "opinions_stated": "每层均有审批意见", "joint_layers_attended": "会商层级有参会人",
        "outcome_follows_decisions": "结果与各层决定一致",
        "decided_before_use": "先审批后使用", "commitment_kept": "承诺按期履行",
        "post_audit": "事后核查", "executor_not_approver": "执行人未参与审批",
        "acting_for": "AB岗代理合规", "after_the_fact": "事后追认",
    },
}  # fmt: skip
"""The page's own enum words (the shared ones are `labels.zh`'s)."""


def limit_text(limit: TimeLimit | None) -> str:
    if limit is None:
        return "—"
    return f"{limit.value}{WORDS['limit_unit'].get(limit.unit.value, limit.unit.value)}"


_LABELLED = {
    "Channel": "channel", "Priority": "priority", "CaseStatus": "case_status",
    "Outcome": "outcome", "Role": "role", "ExceptionKind": "exception_kind",
    "ClockStatus": "clock_status",
}  # fmt: skip
"""Enums `labels.zh` has words for, by class name."""
_OWN_WORDS = {
    "Decision": WORDS["decision"], "PauseReason": PAUSE_REASONS,
    "HandOffStatus": WORDS["handoff"], "ExceptionStatus": WORDS["exception"],
    "ExtensionStatus": WORDS["extension"], "LimitUnit": WORDS["limit_unit"],
    "CreditResult": {"clear": "无失信记录", "dishonest": "失信"},
    "PostAuditSelection": {"mandatory": "必查", "sampled": "抽中", "not_sampled": "未抽中"},
}  # fmt: skip


def _enum_words(value: Enum) -> str:
    kind = type(value).__name__
    if kind in _LABELLED:
        return zh(_LABELLED[kind], value)
    return _OWN_WORDS.get(kind, {}).get(str(value.value), str(value.value))


_BRIEF: dict[str, Callable[[Any], str]] = {
    "Clock": lambda c: (
        f"{limit_text(c.limit)}，{beijing(c.started_at)} 起算，{beijing(c.due_at)} 到期"
    ),
    "ClockUpdate": lambda c: f"{limit_text(c.limit)}，{beijing(c.due_at)} 到期",
    "ApprovalPolicy": lambda p: f"{p.title}（{p.id}，{p.version}），{len(p.layers)} 层审批",
    "Provenance": lambda p: "，".join(x for x in (p.document, p.article) if x),
    "LimitRule": lambda r: f"{r.value}{WORDS['limit_unit'].get(r.unit.value, r.unit.value)}",
    # Another jurisdiction's event: where it is, never its proof's bytes (the bundle has them).
    "LogReference": lambda r: (
        f"{r.origin} 案件 {r.case_no or r.case_id} 第 {r.version} 版（日志第 {r.leaf_index} 条，"
        f"附包含证明与签名检查点）"
    ),
    "CaseReference": lambda r: (
        f"{r.origin} 案件 {r.case_no or r.case_id} 第 {r.version} 版（日志第 {r.leaf_index} 条）"
    ),
}
"""Frozen records an event carries whole, in a line (the full record is in the API's history)."""

_SIMPLE: tuple[tuple[type, Callable[[Any], str]], ...] = (
    (bool, lambda v: "是" if v else "否"),
    (datetime, lambda v: beijing(v, seconds=True)),
    (timedelta, duration),
    (MaskedValue, lambda v: v.masked),  # never the token
    (TimeLimit, limit_text),
    (Enum, _enum_words),
)


def shown(value: Any) -> str:
    """A field's value in words: Beijing times, durations, masked values, nested records."""
    if value is None or value in ("", [], ()):
        return ""
    for kind, words in _SIMPLE:
        if isinstance(value, kind):
            return words(value)
    if isinstance(value, msgspec.Struct):
        return _record(value)
    if isinstance(value, list | tuple):
        return "、".join(t for v in value if (t := shown(v)))
    if isinstance(value, dict):
        return "；".join(f"{k}：{t}" for k, v in value.items() if (t := shown(v)))
    return str(value)


def _record(value: msgspec.Struct) -> str:
    if brief := _BRIEF.get(type(value).__name__):
        return brief(value)
    parts = (
        (FIELD_NAMES.get(f, f), shown(getattr(value, f)))
        for f in value.__struct_fields__
        if f != "token"
    )
    return "；".join(f"{label}：{text}" for label, text in parts if text)
