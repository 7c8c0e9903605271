"""Seed 000, 霍山县政务服务中心: 李女士's 社税联办 and 王女士's two ID numbers for one person.

李女士's case carries the teller's 破例 as what the report tells: done first, with nobody's approval
(so asked after the fact, for the centre's layers to ratify); 王女士's her threatened 12345 call,
defused at the window, the 延时服务 the 人社 window's 负责人 arranged, and her father's two ID
numbers reconciled on the 派出所's certificate and the applicant's signature.
"""

from __future__ import annotations

from ledger.demo.plan import MINTED_EXCEPTION, CasePlan, Staff, clerk, event, id_number
from ledger.demo.stories.steps import (
    after_the_fact,
    case,
    completed,
    evidence,
    extended_hours,
    handed_off,
    layer,
    matter,
    notice,
    person,
    registered,
    visit,
)

HS_RS = clerk("rs-clerk-07", "人社")
HS_SW = clerk("sw-clerk-sun", "税务")  # 小孙
HS_DUTY = Staff("duty-officer-01", ("duty_officer",), "数据局")  # the narrator, on duty
HS_RS_GUIDE = clerk("rs-guide-03", "人社")  # 导办员
HS_RS_LEAD = Staff("rs-lead-wang", ("window_lead",), "人社")  # 汪主任
HS_RATINGS = Staff("hs-haocaiping", ("rating_channel",), None)  # the 好差评 system's relay


def li() -> CasePlan:
    # The teller's 破例 is 特事特办 (special_handling), not 容缺受理: what was set aside is the rule
    # that she confirm her ID and card numbers in person at the window before the card is bound
    # and debited ("按理要来这里的"), not a secondary material supplied later. No copy was ever to
    # follow and no 承诺书 was signed: the numbers were checked by phone with the bank's staff and
    # the debit waited for her own call next morning. The data push's delay is told as the duty
    # officer found it, not as a pause: the case's clock had not started (it starts at 受理), and
    # nobody stopped it. The report tells the 破例 agreed between the duty officer and 小孙 and
    # done, and nobody approving it, before or after. So it is recorded as done: asked after the
    # fact (a ratification) once the debit went through, by 小孙 who did it; the ledger needs
    # someone to record it and the report names nobody else. Its three layers (the national 特事
    # 特办 chain) are left undecided, not invented: the ratification waits on the 税务 window's
    # 窗口负责人 (GET /approvals).
    # Her rating is the call she made to the duty officer on Wednesday morning, once the debit
    # had gone through ("主动联系我, 及时给我一个表示非常满意的评价"): level 5 by phone, recorded
    # by the duty officer she called. (The 评价器 at the counter was 王女士's, below.)
    day, next_day = "2026-02-10", "2026-02-11"
    rule = "绑卡缴费须本人到窗口当面提供并核对身份证号和银行卡号"
    return case(
        "000-li",
        "000 霍山",
        "李女士: 社税联办 hand-off, data push paused, a 破例 done first, paid by phone next day",
        registered(
            HS_RS,
            f"{day} 10:50",
            "huoshan",
            matter("SI-ARREARS", "养老保险费补缴"),
            {"name": "李某", "id_number": "341525197001010020", "phone": "13800000000"},
            window="2F-07",
        ),
        visit(HS_RS, f"{day} 10:50", ticket="A012"),
        *handed_off(
            HS_RS,
            f"{day} 10:55",
            "税务",
            "社税联办: 绑卡缴费",
            to_window="2F-09",
            signed=(HS_SW, f"{day} 10:56"),
        ),
        event(
            HS_DUTY,
            f"{day} 11:40",
            "DutyIntervention",
            action="走流程: 与税务窗口商定, 激活银行卡后不必返回, 由窗口待数据推送后代为绑卡, "
            "次日电话确认扣款",
            escalation_threat="none",
            note="人社数据因网络卡顿未推送, 外省的卡不能直接缴费; 霍山的卡未激活",
        ),
        event(
            HS_SW,
            f"{day} 12:10",
            "MaterialsSupplied",
            items=["身份证号码(电话核对)", "可绑定银行卡(已激活)"],
            via="phone",
        ),
        event(HS_SW, f"{day} 15:05", "Accepted", note="人社数据推送到位, 已代为绑卡"),
        completed(HS_SW, f"{next_day} 09:30", "电话申请, 系统自动扣款, 补缴完成"),
        after_the_fact(
            HS_SW,
            f"{next_day} 09:35",
            executed=(HS_SW, f"{day} 15:05"),
            execution="身份证号和银行卡号由银行工作人员在电话中报给窗口, 校对后纸条记录; "
            "数据推送后代为绑卡; 次日本人电话申请, 系统自动扣款",
            rule_waived=rule,
            basis="值班人员与税务窗口商定“破个例”, 事前未经审批",
            justification="人社数据因网络卡顿未推送; 霍山的卡未激活, 须往返两家银行激活、存款, "
            "再回窗口至少一个多小时, 而返回外地上班的车票已买好",
            compensating_controls=[
                "身份证号和卡号由窗口与银行工作人员在电话中反复校对, 纸条记录",
                "次日本人电话申请后方扣款",
            ],
        ),
        event(
            HS_DUTY,
            f"{next_day} 10:20",
            "Rated",
            level=5,
            channel="phone",
            dimensions={"overall": 5, "attitude": 5},
            comment="昨天的缴费手续都已办好, 非常非常感谢您的支持和关心, "
            "也代向人社和税务的小伙子小丫头们表示感谢",
        ),
    )


def wang() -> CasePlan:
    # "去年的一天" before 李女士's Tuesday: a 2025 working day. The applicant is her father (合肥
    # 人; the case is his 社保 record): his 合肥 number is the one registered and kept, the 霍山
    # record's is retired (注销). Right after the service she pressed "非常满意" on the 人社
    # window's 好差评评价器 (level 5, counter_device, relayed by the 好差评 system). Her
    # threatened 12345 call was defused at the window (the DutyIntervention says so): no work
    # order exists, so the case has no ticket. The 派出所's certificate reached the window by
    # WeChat and was signed for by the person concerned ("经当事人签字确认"): the evidence of the
    # reconciliation. "人社窗口负责人汪主任及时安排受理, 通过延时服务": 汪主任 decides the 延时服务
    # (its one layer is the 窗口负责人) and the 人社 window does the work. The report does not
    # say who asked for it; the ledger needs a requester other than the approver, and the 人社
    # clerk who served the family is the least invented one.
    day = "2025-09-16"
    proof = "户籍地派出所出具的两个身份证号码系同一人的证明"
    return case(
        "000-wang",
        "000 霍山",
        "王女士: two ID numbers, one person; a threatened 12345 call defused; 延时服务",
        registered(
            HS_RS_GUIDE,
            f"{day} 11:30",
            "huoshan",
            matter("SI-INFO-CANCEL", "社会保险参保信息注销(身份信息有误)"),
            person("王某", "340102", "19650312", "031"),
            window="2F-05",
        ),
        visit(
            HS_RS_GUIDE,
            f"{day} 11:30",
            ticket="A031",
            note="王女士一家陪同父亲前来; 父亲在合肥、霍山两地社保记录的身份证号码不同",
        ),
        notice(HS_RS_GUIDE, f"{day} 11:33", [proof], channel="in_person"),
        event(
            HS_DUTY,
            f"{day} 11:40",
            "DutyIntervention",
            action="请申请人不要着急; 在公安窗口张主任协助下接通户籍地乡镇派出所电话, "
            "讲清人社窗口所需证明; 派出所经办人与王女士互加微信",
            escalation_threat="defused",
            threatened_channel="12345",
            note="非窗口过错: 乡镇派出所经办人不清楚人社窗口的材料要求",
        ),
        event(HS_RS_GUIDE, f"{day} 11:52", "MaterialsSupplied", items=[proof], via="wechat"),
        extended_hours(
            HS_RS,
            f"{day} 11:54",
            rule_waived="窗口按作息时间办理, 上午下班后不再办理",
            basis="延时服务",
            justification="证明电子版临近上午下班才经微信转到窗口; 下午再办, "
            "父亲当天就去不了合肥办理退休手续",
        ),
        layer(HS_RS_LEAD, f"{day} 11:55", 1, "及时安排受理, 通过延时服务在上午下班前办好"),
        event(
            HS_RS,
            f"{day} 11:56",
            "Accepted",
            note="证明电子版经微信转到窗口, 当事人签字确认; 窗口负责人安排受理(延时服务)",
            exception_id=MINTED_EXCEPTION,
        ),
        event(
            HS_RS,
            f"{day} 12:05",
            "IdentityReconciled",
            kept_id_number=id_number("340102", "19650312", "031"),  # 合肥, as registered
            retired_id_number=id_number("341525", "19650312", "033"),  # 霍山's record
            evidence=[
                evidence("certificate", "户籍地乡镇派出所", "wechat"),
                evidence("signed_statement", "当事人", "in_person"),
            ],
            note="两地社保记录的身份证号码系同一人; 注销霍山不准确的身份和社保信息",
        ),
        completed(
            HS_RS, f"{day} 12:10", "延时服务, 上午下班前办好社保注销, 父亲当天可去合肥办理退休"
        ),
        event(HS_RATINGS, f"{day} 12:11", "Rated", level=5, channel="counter_device"),
    )
