"""The five seed reports (../shared/seeds/) as cases, told with the event types the API has today.

Each case keeps what its report says: who acted, in what order, and the dates the report gives
(or, where it gives none, a plausible working day in 2025-2026; its year is moved to 2026 when the
report is older). Where a report describes a practice rather than a case, the case is marked
"示例" in a note. Each case's comment names the events it gains when exceptions, 12345 work
orders, 办不成事 reports and ratings arrive (issues 5 and 6): append them to the case's steps, so
its existing Idempotency-Keys (step indexes) stay as they are. The exceptions of issue 5 could not
all be appended: an exception is decided before the step that relies on it, so 李女士's case (000)
and 赵先生's wife's (004) have their later steps moved; a database loaded by an older demo is
reloaded afresh (the loader says so when keys meet another version's requests).

The three seed exceptions are told as their reports tell them; where a report names no approver,
the centre's policy chain is filled in with placeholder staff (窗口负责人 → 部门负责人 → 中心主任).

Seed 001 tells two centres' stories: 东花市 (谢先生, the 七旬 applicant) and 大兴区清源街道 (the
低保 case), so the latter is recorded at centre `qingyuan`.
"""

from __future__ import annotations

from ledger.demo.plan import (
    MINTED_ACTION,
    MINTED_EXCEPTION,
    MINTED_HANDOFF,
    MINTED_REPORT,
    MINTED_ROOT_CAUSE,
    MINTED_TICKET,
    CaseOf,
    CasePlan,
    Staff,
    Step,
    clerk,
    event,
    register,
)
from ledger.domain.personal_data import id_check_digit


def id_number(region: str, birth: str, sequence: str) -> str:
    """A valid 18-digit 身份证号: region (6), birth date (8), sequence (3), GB 11643 check digit."""
    first17 = region + birth + sequence
    return first17 + id_check_digit(first17)


def case(key: str, story: str, note: str, *steps: Step) -> CasePlan:
    return CasePlan(key=key, story=story, steps=steps, note=note)


def _limit(working_days: int) -> dict[str, object]:
    return {"value": working_days, "unit": "working_days"}


# --- seed 000: 霍山县政务服务中心 ---------------------------------------------------------------

HS_RS = clerk("rs-clerk-07", "人社")
HS_SW = clerk("sw-clerk-sun", "税务")  # 小孙
HS_DUTY = Staff("duty-officer-01", ("duty_officer",), "数据局")  # the narrator, on duty
HS_RS_GUIDE = clerk("rs-guide-03", "人社")  # 导办员
HS_RS_LEAD = Staff("rs-lead-wang", ("window_lead",), "人社")  # 汪主任
# The report names no approver of the 破例; the 税务 window's chain up to the centre is filled in.
HS_SW_LEAD = Staff("sw-lead-01", ("window_lead",), "税务")
HS_SW_HEAD = Staff("sw-head-01", ("department_head",), "税务")  # 首席代表
HS_DIRECTOR = Staff("hs-director-01", ("centre_director",), "霍山县政务服务中心")


def _layer(by: Staff, moment: str, layer: int, opinion: str, **joint: object) -> Step:
    """One layer's approval of the case's exception (the one it last requested)."""
    return event(
        by,
        moment,
        "ExceptionLayerDecided",
        exception_id=MINTED_EXCEPTION,
        layer=layer,
        decision="approve",
        opinion=opinion,
        **joint,
    )


def _li() -> CasePlan:
    # The teller's 破例 is 特事特办 (special_handling), not 容缺受理: what was set aside is the rule
    # that she confirm her ID and card numbers in person at the window before the card is bound
    # and debited ("按理要来这里的"), not a secondary material supplied later. 霍山's 容缺 list
    # has 银行卡复印件, but no copy was ever to follow and no 承诺书 was signed: the numbers were
    # checked by phone with the bank's staff and the debit waited for her own call next morning. So
    # the national 特事特办 chain (three layers, every grant post-audited) applies; the report
    # names no approver, so the 税务 window's chain is filled in (示例).
    # Her rating is the call she made to the duty officer on Wednesday morning, once the debit
    # had gone through ("主动联系我, 及时给我一个表示非常满意的评价"): level 5 by phone, recorded
    # by the duty officer she called. (The 评价器 at the counter was 王女士's, below.)
    day, next_day = "2026-02-10", "2026-02-11"
    return case(
        "000-li",
        "000 霍山",
        "李女士: 社税联办 hand-off, data push paused, duty officer's walk, paid by phone next day",
        register(
            HS_RS,
            f"{day} 10:50",
            channel="window",
            matter={"code": "SI-ARREARS", "name": "养老保险费补缴"},
            centre="huoshan",
            department="人社",
            window="2F-07",
            applicant={"name": "李某", "id_number": "341525197001010020", "phone": "13800000000"},
        ),
        event(HS_RS, f"{day} 10:50", "VisitRecorded", ticket="A012"),
        event(
            HS_RS,
            f"{day} 10:55",
            "HandedOff",
            to_department="税务",
            to_window="2F-09",
            reason="社税联办: 绑卡缴费",
        ),
        event(HS_SW, f"{day} 10:56", "HandOffSignedFor", handoff_id=MINTED_HANDOFF),
        event(
            HS_SW,
            f"{day} 11:00",
            "ClockPaused",
            reason="awaiting_data_push",
            note="人社数据因网络卡顿未推送",
        ),
        event(
            HS_DUTY,
            f"{day} 11:40",
            "DutyIntervention",
            action="走流程: 与税务窗口商定, 激活银行卡后不必返回, 由窗口待数据推送后代为绑卡, "
            "次日电话确认扣款",
            escalation_threat="none",
        ),
        event(
            HS_SW,
            f"{day} 11:45",
            "ExceptionRequested",
            kind="special_handling",
            rule_waived="绑卡缴费须本人到窗口当面提供并核对身份证号和银行卡号",
            basis="值班人员与税务窗口商定破例(特事特办)",
            justification="人社数据因网络卡顿未推送; 霍山的卡未激活, 须往返两家银行激活、存款, "
            "再回窗口至少一个多小时, 而返回外地上班的车票已买好",
            waived_items=[],
            compensating_controls=[
                "身份证号和卡号由窗口与银行工作人员在电话中反复校对, 纸条记录",
                "数据推送后由税务窗口代为绑卡",
                "次日本人电话确认后方扣款",
            ],
        ),
        _layer(HS_SW_LEAD, f"{day} 11:48", 1, "情况属实, 同意代为绑卡, 次日电话确认扣款"),
        _layer(HS_SW_HEAD, f"{day} 11:52", 2, "同意, 号码须与银行核对无误"),
        _layer(HS_DIRECTOR, f"{day} 11:58", 3, "同意特事特办, 办结后事后核查"),
        event(
            HS_SW,
            f"{day} 12:10",
            "MaterialsSupplied",
            items=["身份证号码(电话核对)", "可绑定银行卡(已激活)"],
            via="phone",
        ),
        event(HS_SW, f"{day} 15:00", "ClockResumed", note="数据已推送"),
        event(HS_SW, f"{day} 15:05", "Accepted", note="已代为绑卡"),
        event(
            HS_SW,
            f"{next_day} 09:30",
            "Completed",
            outcome="granted",
            summary="电话申请, 系统自动扣款, 补缴完成",
            exception_id=MINTED_EXCEPTION,
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


def _wang() -> CasePlan:
    # "去年的一天" before 李女士's Tuesday: a 2025 working day. Right after the service she
    # pressed "非常满意" on the 人社 window's 好差评评价器 (level 5, counter_device). Her threatened
    # 12345 call was defused at the window (the DutyIntervention says so): no work order exists,
    # so the case has no ticket. Later: ExceptionRequested (延时服务, arranged by 窗口负责人汪主任).
    day = "2025-09-16"
    proof = "户籍地派出所出具的两个身份证号码系同一人的证明"
    return case(
        "000-wang",
        "000 霍山",
        "王女士: ID-number mismatch; a threatened 12345 call defused; certificate by WeChat",
        register(
            HS_RS_GUIDE,
            f"{day} 11:30",
            channel="window",
            matter={"code": "SI-INFO-CANCEL", "name": "社会保险参保信息注销(身份信息有误)"},
            centre="huoshan",
            department="人社",
            window="2F-05",
            applicant={"name": "王某", "id_number": id_number("340102", "19650312", "031")},
        ),
        event(
            HS_RS_GUIDE,
            f"{day} 11:30",
            "VisitRecorded",
            ticket="A031",
            note="王女士一家陪同父亲前来; 父亲在合肥、霍山两地社保记录的身份证号码不同",
        ),
        event(
            HS_RS_GUIDE, f"{day} 11:33", "OneTimeNoticeIssued", items=[proof], channel="in_person"
        ),
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
        event(
            HS_RS_LEAD,
            f"{day} 11:56",
            "Accepted",
            note="证明电子版经微信转到窗口, 当事人签字确认; 窗口负责人安排受理(延时服务)",
        ),
        event(
            HS_RS_LEAD,
            f"{day} 12:10",
            "Completed",
            outcome="granted",
            summary="延时服务, 上午下班前办好社保注销, 父亲当天可去合肥办理退休",
        ),
        event(HS_RS_LEAD, f"{day} 12:11", "Rated", level=5, channel="counter_device"),
    )


# --- 示例: a 12345 work order at 霍山 ---------------------------------------------------------
# No seed report tells a 12345 order (王女士's call was defused), so this one is synthetic and
# marked "示例": it walks every step of domain brief §1 once, on the rules of 霍山's policy
# (the national hotline limits): 退单 within a working day of each dispatch, three rounds before
# the hotline designates the unit, signed for within a working day, the extension asked before
# the reply deadline, the reply signed by the unit's head, 重办 after a 回访 that found the unit
# at fault. A second call about the same matter is merged into it (并单) from its own case.

HOTLINE = "12345热线"
HL_AGENT = Staff("hs-12345-agent-08", ("hotline_operator",), HOTLINE)  # 话务员
HL_DISPATCH = Staff("hs-12345-dispatch-02", ("hotline_operator",), HOTLINE)  # 派单员
HL_REVIEW = Staff("hs-12345-review-01", ("hotline_operator",), HOTLINE)  # 审核员
HL_FOLLOW = Staff("hs-12345-follow-03", ("hotline_operator",), HOTLINE)  # 回访员
HS_SJJ = clerk("sjj-clerk-05", "数据局")  # the units' 联络员 (示例)
HS_YB = clerk("yb-clerk-02", "医保")
HS_RS_HEAD = Staff("rs-head-01", ("department_head",), "人社")  # signs the unit's replies
TICKET_NO = "HS2026030200017"
CERTIFICATE = {"code": "SI-PAY-CERT", "name": "社会保险参保缴费证明开具"}
ZHOU = {"name": "周某", "id_number": id_number("341525", "19800615", "057")}


def _returned(by: Staff, requested: str, decided: str, reason: str, basis: str) -> list[Step]:
    """One round's 退单: the lead unit asks, the hotline approves (the order waits for 改派)."""
    return [
        event(
            by,
            requested,
            "HotlineReturnRequested",
            ticket_id=MINTED_TICKET,
            reason=reason,
            legal_basis=basis,
        ),
        event(
            HL_DISPATCH,
            decided,
            "HotlineReturnDecided",
            ticket_id=MINTED_TICKET,
            decision="approve",
            opinion="退单理由成立, 改派",
        ),
    ]


def _dispatch(moment: str, unit: str, designated: bool = False) -> Step:
    return event(
        HL_DISPATCH,
        moment,
        "HotlineDispatched",
        ticket_id=MINTED_TICKET,
        unit=unit,
        designated=designated,
    )


def _ticket_step(by: Staff, moment: str, type: str, **body: object) -> Step:
    return event(by, moment, type, ticket_id=MINTED_TICKET, **body)


def _hotline() -> list[CasePlan]:
    master = case(
        "000-hotline",
        "示例 12345",
        "示例 12345 求助: two 退单 rounds, designated, extended, reworked, reopened, satisfied",
        register(
            HL_AGENT,
            "2026-03-02 09:10",
            channel="hotline_12345",
            matter=CERTIFICATE,
            centre="huoshan",
            department="人社",
            applicant=ZHOU,
        ),
        event(
            HL_AGENT,
            "2026-03-02 09:10",
            "HotlineEscalationReceived",
            ticket_no=TICKET_NO,
            category="help",
            summary="示例: 在外地务工, 子女入学需本人养老保险参保缴费证明; 皖事通打印失败, "
            "不知道找哪个部门开具",
        ),
        _dispatch("2026-03-02 09:30", "数据局"),
        *_returned(
            HS_SJJ,
            "2026-03-02 10:40",
            "2026-03-02 11:00",
            "皖事通仅提供办事入口; 参保缴费证明由业务部门出具, 不属本单位职责",
            "县数据资源管理局“三定”规定及权责清单",
        ),
        _dispatch("2026-03-02 11:10", "医保"),
        *_returned(
            HS_YB,
            "2026-03-02 14:20",
            "2026-03-02 14:40",
            "诉求为养老保险参保缴费证明, 非医疗保险业务",
            "县医疗保障局“三定”规定及权责清单",
        ),
        _dispatch("2026-03-03 10:10", "人社", designated=True),  # 指定承办 after 2 退单 rounds
        _ticket_step(HS_RS, "2026-03-03 10:40", "HotlineSignedFor"),
        _ticket_step(
            HS_RS,
            "2026-03-03 11:00",
            "HotlineApplicantContacted",
            method="phone",
            note="核实身份及所需证明用途",
        ),
        _ticket_step(
            HS_RS,
            "2026-03-05 16:00",
            "HotlineExtensionRequested",
            working_days=2,
            reason="2008年以前的缴费记录为手工台账, 须调取档案核对",
        ),
        _ticket_step(
            HL_DISPATCH,
            "2026-03-05 16:30",
            "HotlineExtensionDecided",
            decision="approve",
            opinion="同意延期2个工作日, 已告知诉求人新的办理时限",
        ),
        _ticket_step(
            HS_RS_HEAD,
            "2026-03-09 15:00",
            "HotlineReplied",
            text="经核实, 诉求人可到县政务服务中心人社窗口或通过皖事通打印参保缴费证明",
            unit_claims_resolved=True,
        ),
        _ticket_step(
            HL_REVIEW,
            "2026-03-09 16:00",
            "HotlineReplyReviewed",
            result="rework",
            opinion="答复未说明2008年以前缴费记录的核对结果, 诉求未解决, 退回补办",
        ),
        _ticket_step(
            HS_RS_HEAD,
            "2026-03-10 11:00",
            "HotlineReplied",
            text="已调取档案, 补录2005年至2008年缴费记录; 诉求人可通过皖事通打印证明",
            unit_claims_resolved=True,
        ),
        _ticket_step(
            HL_REVIEW,
            "2026-03-10 15:00",
            "HotlineReplyReviewed",
            result="pass",
            opinion="答复规范, 审核通过",
        ),
        _ticket_step(
            HL_FOLLOW,
            "2026-03-11 10:00",
            "HotlineFollowedUp",
            reachable=True,
            resolved=False,
            satisfaction="dissatisfied",
            cause="unit",
            note="打印的证明仍缺2007年10-12月记录; 承办人未与其核实即报结",
        ),
        _ticket_step(
            HL_REVIEW,
            "2026-03-11 10:30",
            "HotlineReopened",
            reason="回访不满意, 承办单位主观原因: 未核实即报结, 重办",
        ),
        _ticket_step(
            HS_RS,
            "2026-03-11 11:00",
            "HotlineApplicantContacted",
            method="phone",
            note="致歉, 核对缺失月份",
        ),
        event(HS_RS, "2026-03-12 10:00", "Accepted", note="示例: 补录缺失月份后出具证明"),
        event(
            HS_RS,
            "2026-03-12 16:00",
            "Completed",
            outcome="granted",
            summary="补录2007年10-12月缴费记录, 出具参保缴费证明并邮寄",
        ),
        _ticket_step(
            HS_RS_HEAD,
            "2026-03-13 09:30",
            "HotlineReplied",
            text="已补录2007年10-12月缴费记录, 出具完整的参保缴费证明并邮寄, 已电话告知诉求人",
            unit_claims_resolved=True,
        ),
        _ticket_step(
            HL_REVIEW,
            "2026-03-13 11:00",
            "HotlineReplyReviewed",
            result="pass",
            opinion="重办答复规范, 审核通过",
        ),
        _ticket_step(
            HL_FOLLOW,
            "2026-03-16 10:00",
            "HotlineFollowedUp",
            reachable=True,
            resolved=True,
            satisfaction="satisfied",
        ),
    )
    duplicate = case(
        "000-hotline-dup",
        "示例 12345",
        "示例 12345: the same caller again that afternoon; merged (并单) into the first order",
        register(
            HL_AGENT,
            "2026-03-02 15:30",
            channel="hotline_12345",
            matter=CERTIFICATE,
            centre="huoshan",
            department="人社",
            applicant=ZHOU,
        ),
        event(
            HL_AGENT,
            "2026-03-02 15:30",
            "HotlineEscalationReceived",
            ticket_no="HS2026030200063",
            category="help",
            summary="示例: 同一诉求人再次来电, 询问参保缴费证明的办理进度",
        ),
        _ticket_step(
            HL_DISPATCH,
            "2026-03-02 15:40",
            "HotlineMerged",
            master_case_id=CaseOf("000-hotline"),
            master_ticket_no=TICKET_NO,
        ),
        event(
            HS_RS,
            "2026-03-03 10:45",
            "Completed",
            outcome="withdrawn",
            summary="示例: 重复诉求, 已并入工单 HS2026030200017, 在原件中办理",
        ),
    )
    return [master, duplicate]


# --- seed 001: 东花市街道 and 清源街道 (Beijing) -------------------------------------------------

DHS_WINDOW = clerk("dhs-bbcs-clerk", "办不成事窗口")
DHS_DIRECTOR = Staff("dhs-director-wan", ("centre_director",), "东花市街道政务服务中心")  # 万丽琴
DC_GFZX = clerk("dc-gfzx-clerk", "东城区人力资源公共服务中心")
QY_MZ = clerk("qy-mz-xie", "民政")  # 谢素娟
# "层层把关": the report names the centre's director; the others are placeholders (示例).
QY_LEAD = Staff("qy-lead-01", ("window_lead",), "综合窗口")
QY_MZ_HEAD = Staff("qy-mz-head", ("department_head",), "民政")  # chairs the joint meeting
QY_DIRECTOR = Staff("qy-director-wang", ("centre_director",), "清源街道政务服务中心")  # 王淑环
QY_MEETING = [  # "各部门负责人坐在一起开了个会, 共同商议"
    {"id": "qy-mz-head", "role": "department_head", "unit": "民政"},
    {"id": "qy-sq-head", "role": "department_head", "unit": "社区建设办"},
    {"id": "qy-pa-head", "role": "department_head", "unit": "平安建设办"},
]


def _xie() -> CasePlan:
    # A 办不成事 from his call: nobody had told him how or where to retire (咨询; 很难办: his file
    # sits with another unit; complex, referred). The street's 专班 (formed 01-20, 万丽琴 leading)
    # takes it up the next morning, refers him to the 区公服中心's 专人窗口, and closes the report
    # resolved that afternoon. His "热情周到, 温暖如家" was said to the 专班, not at a counter of
    # this centre (the service ended at the 区公服中心): the 专班's call back records it, level 5
    # by phone.
    return case(
        "001-xie",
        "001 东花市",
        "谢先生: 办不成事 call, the director explains, referred to the 区公服中心 next day",
        register(
            DHS_WINDOW,
            "2026-01-26 15:20",
            channel="unresolved_window",
            matter={"code": "RETIRE-EMP", "name": "职工退休手续办理"},
            centre="donghuashi",
            department="办不成事窗口",
            window="总受理台",
            applicant={"name": "谢某", "id_number": id_number("110101", "19660205", "017")},
        ),
        event(
            DHS_WINDOW,
            "2026-01-26 15:25",
            "UnresolvedReported",
            cause="consultation",
            resolvability="hard_to_do",
            tier="complex",
            description="即将到达退休年龄, 未接到任何部门关于办理退休手续的通知, 不知道该如何办、"
            "找谁办; 问居委会也不清楚, 只让他再联系街道",
        ),
        event(
            DHS_DIRECTOR,
            "2026-01-26 15:40",
            "DutyIntervention",
            action="电话联系: 档案存放在东城区人力资源公共服务中心, 退休手续不属本中心受理范围; "
            "其残疾人保险由区残联统一办理; 加微信, 约次日带证件来",
            escalation_threat="none",
            note="残疾人、退伍军人, 户籍在东花市、租住房山; 情绪激动: 怎么没人管我",
        ),
        event(DHS_WINDOW, "2026-01-27 09:30", "VisitRecorded", note="带各种证件来中心"),
        event(
            DHS_DIRECTOR,
            "2026-01-27 09:35",
            "SpecialTeamAssigned",
            report_id=MINTED_REPORT,
            lead="dhs-director-wan",  # 万丽琴
            members=["dhs-director-wan", "dhs-bbcs-clerk"],
        ),
        event(
            DHS_WINDOW,
            "2026-01-27 10:30",
            "HandedOff",
            to_department="东城区人力资源公共服务中心",
            to_window="专人窗口",
            reason="档案存放于区公服中心, 退休手续由其受理; 专班对接专人窗口",
        ),
        event(DC_GFZX, "2026-01-27 11:00", "HandOffSignedFor", handoff_id=MINTED_HANDOFF),
        event(DC_GFZX, "2026-01-27 14:00", "Accepted"),
        event(
            DC_GFZX,
            "2026-01-27 16:30",
            "Completed",
            outcome="granted",
            summary="当天下午顺利办完退休手续",
        ),
        event(
            DHS_DIRECTOR,
            "2026-01-27 16:40",
            "UnresolvedClosed",
            report_id=MINTED_REPORT,
            closure="resolved",
            explanation="专班对接区公服中心专人窗口, 当天下午办完退休手续; "
            "残疾人保险由区残联统一办理, 已向本人说明",
        ),
        event(
            DHS_WINDOW,
            "2026-01-27 16:50",
            "Rated",
            level=5,
            channel="phone",
            dimensions={"overall": 5, "attitude": 5},
            comment="热情周到, 温暖如家",
        ),
    )


def _elder() -> CasePlan:
    # A 办不成事 report (policy; 办不了; simple), closed as explained_cannot_do: the report calls it
    # "不能办的事" (no contribution record: the law, not the window, stands in the way) and says the
    # centre explains it anyway, with the 东城区人社局 if needed. 东花市's plan also excludes
    # failures from "办事个人原因" (excluded_own_cause); that is not how 万丽琴 files this one, and
    # excluding it would hide the explanation the centre owes and gives.
    return case(
        "001-elder",
        "001 东花市",
        "七旬老人: no contribution record, cannot retire; refused with the reason, explained",
        register(
            DHS_WINDOW,
            "2026-02-05 10:00",
            channel="unresolved_window",
            matter={"code": "RETIRE-EMP", "name": "职工退休手续办理"},
            centre="donghuashi",
            department="办不成事窗口",
            window="总受理台",
            applicant={"name": "张某", "id_number": id_number("110101", "19540817", "035")},
        ),
        event(DHS_WINDOW, "2026-02-05 10:00", "VisitRecorded"),
        event(
            DHS_WINDOW,
            "2026-02-05 10:10",
            "UnresolvedReported",
            cause="policy",
            resolvability="cannot_do",
            tier="simple",
            description="七旬老人要求办理退休、按月领取养老金; 社保系统无缴纳社保记录",
        ),
        event(
            DHS_WINDOW,
            "2026-02-05 10:40",
            "AcceptanceRefused",
            reason="社保系统无缴费记录, 不具备按月领取基本养老金的条件, 属不能办的事; "
            "已拿着相关文件反复详细解释, 安抚情绪",
            legal_basis="《中华人民共和国社会保险法》第十六条",
        ),
        event(
            DHS_DIRECTOR,
            "2026-02-05 15:30",
            "UnresolvedClosed",
            report_id=MINTED_REPORT,
            closure="explained_cannot_do",
            explanation="社保系统无缴费记录, 不具备按月领取基本养老金的条件, 属不能办的事; "
            "联系本人, 拿着相关文件反复详细解释清楚, 安抚情绪; "
            "会同东城区人力资源社会保障局一并进行解答安抚",
        ),
    )


def _dibao() -> CasePlan:
    # The 特事特办 exception under 清源's policy: 窗口负责人, then the 部门负责人 joint meeting
    # (attendees and minutes), then the centre's director; accepted on it and paid within the
    # month ("当月便拿到了低保"). Entered in the 办不成事 登记簿 when the window could not accept
    # it (materials: the divorce agreement cannot be had; 很难办; special: 一事一议 by the joint
    # meeting), and closed resolved once the 低保 was granted.
    agreement = "离婚协议书或法院离婚判决书(调解书)"
    return case(
        "001-dibao",
        "001 清源",
        "低保: no divorce agreement to be had; 特事特办 after a joint meeting, paid that month",
        register(
            QY_MZ,
            "2025-12-09 10:00",
            channel="window",
            matter={"code": "MZ-DIBAO", "name": "最低生活保障申请"},
            centre="qingyuan",
            department="民政",
            window="综合窗口",
            applicant={"name": "陈某", "id_number": id_number("110115", "19760423", "048")},
        ),
        event(QY_MZ, "2025-12-09 10:00", "VisitRecorded"),
        event(
            QY_MZ,
            "2025-12-09 10:30",
            "OneTimeNoticeIssued",
            items=[agreement],
            channel="written",
            signed_receipt=True,
        ),
        event(
            QY_MZ,
            "2025-12-09 11:00",
            "UnresolvedReported",
            cause="materials",
            resolvability="hard_to_do",
            tier="special",
            description="低保须出具离婚协议, 申请人无法拿出: 涉外婚姻, 丈夫为美国人, "
            "二人分居多年, 男方早已回国并失去联系; 民政, 卡在材料要件",
        ),
        event(
            QY_MZ,
            "2025-12-10 09:30",
            "ExceptionRequested",
            kind="special_handling",
            rule_waived="低保申请须提交离婚协议书或法院离婚判决书(调解书)",
            basis="清源街道特事特办(各部门负责人会商, 已向区里汇报)",
            justification="涉外婚姻: 丈夫为美国人, 二人分居多年, 男方早已回国并失去联系, "
            "离婚协议无法取得; 居委会、街道都特别了解她家的情况, 属辖区特殊人员",
            waived_items=[agreement],
            compensating_controls=[
                "社区居委会核实家庭情况",
                "街道核实并向区里汇报",
                "各部门负责人联席会商, 层层把关",
            ],
        ),
        _layer(QY_LEAD, "2025-12-10 11:00", 1, "经居委会核实情况属实, 同意提交联席会商"),
        _layer(
            QY_MZ_HEAD,
            "2025-12-12 15:00",
            2,
            "联席会共同商议: 同意特事特办, 免交离婚协议",
            attendees=QY_MEETING,
            minutes_ref="清源街道特事特办联席会纪要 2025-12-12",
        ),
        _layer(QY_DIRECTOR, "2025-12-15 09:30", 3, "同意, 按特事特办受理, 事后核查"),
        event(
            QY_MZ,
            "2025-12-15 10:00",
            "Accepted",
            note="特事特办: 免交离婚协议受理",
            exception_id=MINTED_EXCEPTION,
        ),
        event(
            QY_MZ,
            "2025-12-26 15:00",
            "Completed",
            outcome="granted",
            summary="当月拿到低保",
        ),
        event(
            QY_MZ,
            "2025-12-26 15:10",
            "UnresolvedClosed",
            report_id=MINTED_REPORT,
            closure="resolved",
            explanation="特事特办: 免交离婚协议受理, 当月拿到低保",
        ),
    )


# --- seed 002: 揭阳市政务服务中心 ---------------------------------------------------------------

JY_GJJ = clerk("jy-gjj-clerk-1", "公积金")
JY_GJJ_CHIEF = Staff("jy-gjj-wang", ("department_head",), "公积金")  # 首席代表王晓丰
JY_BDC = clerk("jy-bdc-clerk-1", "不动产")
JY_SC = clerk("jy-sc-clerk-1", "市场监管")
JY_RS = clerk("jy-rs-clerk-2", "人社")
JY_XTBB = clerk("jy-xtbb-clerk", "协调帮办窗口")


def _jieyang() -> list[CasePlan]:
    # The report describes practices, not cases: these show each one once. Later: Rated (好差评
    # on each), and on the 协调帮办 case UnresolvedReported (cause: acceptance) and its closure.
    day = "2026-03-10"
    return [
        case(
            "002-gjj",
            "002 揭阳",
            "公积金提取: 一窗通办, the 首席代表 approves at the window",
            register(
                JY_GJJ,
                f"{day} 09:40",
                channel="window",
                matter={"code": "GJJ-WITHDRAW", "name": "住房公积金提取"},
                centre="jieyang",
                department="公积金",
                window="1F-21",
                applicant={"name": "黄某", "id_number": id_number("445202", "19850614", "052")},
                promised_limit=_limit(0),
            ),
            event(JY_GJJ, f"{day} 09:40", "VisitRecorded", ticket="G008"),
            event(JY_GJJ, f"{day} 09:44", "Accepted"),
            event(
                JY_GJJ_CHIEF,
                f"{day} 09:52",
                "Completed",
                outcome="granted",
                summary="首席代表驻厅, 受理后当场审批, 无需传回公积金管理中心",
            ),
        ),
        case(
            "002-gjj-online",
            "002 揭阳",
            "公积金提取 online: 零跑动",
            register(
                JY_GJJ,
                f"{day} 20:15",
                channel="online",
                matter={"code": "GJJ-WITHDRAW", "name": "住房公积金提取"},
                centre="jieyang",
                department="公积金",
                applicant={"name": "林某", "id_number": id_number("445202", "19910307", "066")},
                promised_limit=_limit(0),
            ),
            event(JY_GJJ, "2026-03-11 09:05", "Accepted"),
            event(JY_GJJ_CHIEF, "2026-03-11 09:20", "Completed", outcome="granted"),
        ),
        case(
            "002-house",
            "002 揭阳",
            "二手房转移登记: 3 working days to the certificate",
            register(
                JY_BDC,
                "2026-03-11 10:05",
                channel="window",
                matter={"code": "BDC-TRANSFER", "name": "二手房转移登记"},
                centre="jieyang",
                department="不动产",
                window="1F-05",
                applicant={"name": "郑某", "id_number": id_number("445202", "19780921", "011")},
                promised_limit=_limit(3),
            ),
            event(JY_BDC, "2026-03-11 10:05", "VisitRecorded", ticket="B015"),
            event(JY_BDC, "2026-03-11 10:30", "Accepted"),
            event(JY_BDC, "2026-03-13 16:00", "Completed", outcome="granted", summary="出证"),
        ),
        case(
            "002-company",
            "002 揭阳",
            "企业开办 全流程网办: six steps in half a working day",
            register(
                JY_SC,
                "2026-03-12 08:50",
                channel="online",
                matter={"code": "SC-EST", "name": "企业设立登记(企业开办一件事)"},
                centre="jieyang",
                department="市场监管",
                applicant={"name": "蔡某", "id_number": id_number("445202", "19930118", "073")},
                promised_limit={"value": 4, "unit": "hours"},
            ),
            event(JY_SC, "2026-03-12 09:10", "Accepted"),
            event(
                JY_SC,
                "2026-03-12 11:40",
                "Completed",
                outcome="granted",
                summary="商事登记、公安刻章、税务登记、公积金缴存登记、社保缴存登记、银行开户",
            ),
        ),
        case(
            "002-xtbb",
            "002 揭阳",
            "示例 协调帮办: materials complete but not accepted; sent back to the window",
            register(
                JY_XTBB,
                "2026-03-12 15:10",
                channel="unresolved_window",
                matter={"code": "SI-TRANSFER", "name": "养老保险关系转移接续"},
                centre="jieyang",
                department="协调帮办窗口",
                window="2F 协调帮办",
                applicant={"name": "吴某", "id_number": id_number("445202", "19720530", "027")},
                promised_limit=_limit(15),
            ),
            event(
                JY_XTBB,
                "2026-03-12 15:10",
                "VisitRecorded",
                note="示例: 报道介绍协调帮办窗口的受理范围(材料齐全而窗口不受理等), 未述个案",
            ),
            event(
                JY_XTBB,
                "2026-03-12 15:30",
                "HandedOff",
                to_department="人社",
                to_window="2F-11",
                reason="申请材料齐全, 应予受理",
            ),
            event(JY_RS, "2026-03-12 15:45", "HandOffSignedFor", handoff_id=MINTED_HANDOFF),
            event(JY_RS, "2026-03-12 15:50", "Accepted"),
            event(JY_RS, "2026-03-20 10:00", "Completed", outcome="granted"),
        ),
    ]


# --- seed 003: 乌海 (人社局综合服务中心, 公安出入境) ------------------------------------------

WH_RS_NEW = clerk("wh-rs-clerk-09", "人社")  # "他刚来这个窗口"
WH_RS_TIAN = clerk("wh-rs-tian", "人社")  # 2号柜台田淑娟
WH_EE = clerk("wh-ee-clerk-1", "出入境")
WH_EE_2 = clerk("wh-ee-clerk-2", "出入境")


def _wuhai() -> list[CasePlan]:
    # Later: Rated on each (the 意见簿's praise for 2号柜台; 李志刚's complaint about the trip he
    # should not have needed), and ExceptionRequested (特事特办 / 延时服务) on the green channel.
    return [
        case(
            "003-tian",
            "003 乌海",
            "单位参保登记 at 2号柜台 (the praise letter's counter)",
            register(
                WH_RS_TIAN,
                "2025-12-18 09:20",
                channel="window",
                matter={"code": "SI-EMPLOYER-REG", "name": "单位参保登记"},
                centre="wuhai",
                department="人社",
                window="2号柜台",
                applicant={"name": "赵某", "id_number": id_number("150302", "19800709", "036")},
            ),
            event(WH_RS_TIAN, "2025-12-18 09:20", "VisitRecorded", note="参保单位经办人"),
            event(WH_RS_TIAN, "2025-12-18 09:35", "Accepted"),
            event(WH_RS_TIAN, "2025-12-18 10:05", "Completed", outcome="granted"),
        ),
        case(
            "003-li",
            "003 乌海",
            "李志刚: asked by phone, still two materials short; a second trip (跑动 2)",
            register(
                WH_RS_NEW,
                "2026-01-06 10:00",
                channel="window",
                matter={"code": "SI-FLEX-REG", "name": "灵活就业人员参保登记"},
                centre="wuhai",
                department="人社",
                window="9号窗口",
                applicant={"name": "李某", "id_number": id_number("150302", "19880211", "051")},
            ),
            event(
                WH_RS_NEW,
                "2026-01-06 10:00",
                "VisitRecorded",
                note="来前已电话咨询所需材料 (事项报道未详, 此为示例)",
            ),
            event(
                WH_RS_NEW,
                "2026-01-06 10:10",
                "OneTimeNoticeIssued",
                items=["户口簿原件", "就业失业登记证明"],
                channel="written",
                signed_receipt=True,
            ),
            event(
                WH_RS_NEW,
                "2026-01-07 09:20",
                "VisitRecorded",
                note="多跑一趟: 电话咨询时未被告知这两样材料; 工作人员称刚来窗口, 业务不熟",
            ),
            event(
                WH_RS_NEW,
                "2026-01-07 09:20",
                "MaterialsSupplied",
                items=["户口簿原件", "就业失业登记证明"],
            ),
            event(WH_RS_NEW, "2026-01-07 09:30", "Accepted"),
            event(WH_RS_NEW, "2026-01-07 10:00", "Completed", outcome="granted"),
        ),
        case(
            "003-passport",
            "003 乌海",
            "普通护照: 一次性告知单, done on the second visit",
            register(
                WH_EE,
                "2026-01-08 09:30",
                channel="window",
                matter={"code": "EE-PASSPORT", "name": "普通护照签发"},
                centre="wuhai",
                department="出入境",
                window="出入境 3号",
                applicant={"name": "杨某", "id_number": id_number("150302", "19970926", "064")},
                promised_limit=_limit(7),
            ),
            event(WH_EE, "2026-01-08 09:30", "VisitRecorded"),
            event(
                WH_EE,
                "2026-01-08 09:45",
                "OneTimeNoticeIssued",
                items=["户口簿原件"],
                channel="written",
                signed_receipt=True,
            ),
            event(WH_EE, "2026-01-09 10:15", "VisitRecorded"),
            event(WH_EE, "2026-01-09 10:15", "MaterialsSupplied", items=["户口簿原件"]),
            event(WH_EE, "2026-01-09 10:20", "Accepted"),
            event(
                WH_EE, "2026-01-16 15:00", "Completed", outcome="granted", summary="发证短信提示"
            ),
        ),
        case(
            "003-green",
            "003 乌海",
            "往来港澳通行证, green channel: taken after hours, fast-tracked",
            register(
                WH_EE_2,
                "2026-01-12 17:20",
                channel="window",
                matter={"code": "EE-HKMO", "name": "往来港澳通行证及签注"},
                centre="wuhai",
                department="出入境",
                window="出入境 1号",
                applicant={"name": "刘某", "id_number": id_number("150303", "19490502", "012")},
                priority="green_channel",
                promised_limit=_limit(7),
            ),
            event(WH_EE_2, "2026-01-12 17:20", "VisitRecorded", note="老年申请人, 急事"),
            event(
                WH_EE_2,
                "2026-01-12 17:40",
                "Accepted",
                note="不接待完最后一位群众不下班; 绿色通道优先受理, 快审快批",
            ),
            event(WH_EE_2, "2026-01-14 11:00", "Completed", outcome="granted"),
        ),
    ]


# --- seed 004: 张家口市社保服务中心 --------------------------------------------------------------

ZJK_WINDOW = clerk("zjk-bbcs-clerk", "办不成事反映窗口")
ZJK_LEAD = Staff("zjk-bbcs-lead-yang", ("window_lead",), "办不成事反映窗口")  # 杨娜
ZJK_DIRECTOR = Staff("zjk-director-li", ("centre_director",), "市社保服务中心")  # 李辉
ZJK_HEAD = Staff("zjk-dy-head", ("department_head",), "待遇审核科")  # not named: a placeholder
HB_PROVINCE = clerk("hb-sbzx-clerk", "省社保服务中心")


def _zhangjiakou() -> list[CasePlan]:
    # 老李's case is a 办不成事 report (cross-province; 很难办; special), worked by the director
    # 李辉 and the window's head 杨娜 as its 专班, closed resolved when the money arrived; its
    # root cause (no procedure with the provincial agency) led to the windows being re-scoped
    # and 综合柜员制, done by the spring. Later: ExceptionRequested (特事特办) with the
    # director's approval ("通过特事特办顺利解决"). 赵先生's wife's certification is 特事特办:
    # 本人到场 waived, the photo taken with the family's consent, approved by the centre's three
    # layers before completion.
    return [
        case(
            "004-lao-li",
            "004 张家口",
            "老李: cross-province 抚恤金 unpaid a year; the director coordinates, paid in a month",
            register(
                ZJK_WINDOW,
                "2026-01-07 09:30",
                channel="unresolved_window",
                matter={"code": "SI-SURVIVOR", "name": "参保人员死亡丧葬补助金、抚恤金申领"},
                centre="zhangjiakou",
                department="办不成事反映窗口",
                window="咨询服务台",
                applicant={"name": "李某", "id_number": id_number("130702", "19550310", "079")},
                priority="urgent",
            ),
            event(
                ZJK_WINDOW,
                "2026-01-07 09:30",
                "VisitRecorded",
                note="失独老人; 儿子生前在省属单位工作; 自行咨询多个部门, 一年多未领到",
            ),
            event(
                ZJK_WINDOW,
                "2026-01-07 09:40",
                "UnresolvedReported",
                cause="other",
                resolvability="hard_to_do",
                tier="special",
                description="失独老人之子生前在省属单位工作, 抚恤金涉及跨省办理; "
                "老人自行咨询多个部门, 走了弯路, 一年多未拿到抚恤金",
            ),
            event(
                ZJK_DIRECTOR,
                "2026-01-07 10:30",
                "SpecialTeamAssigned",
                report_id=MINTED_REPORT,
                lead="zjk-director-li",  # 李辉
                members=["zjk-director-li", "zjk-bbcs-lead-yang"],  # 杨娜
            ),
            event(
                ZJK_DIRECTOR,
                "2026-01-07 11:00",
                "DutyIntervention",
                action="中心主任与窗口负责人多次与省级社保服务中心沟通协商, 积极跑办",
                escalation_threat="none",
                note="涉及跨省办理, 情况特殊",
            ),
            event(
                ZJK_LEAD,
                "2026-01-08 10:00",
                "HandedOff",
                to_department="省社保服务中心",
                reason="死者生前在省属单位参保, 抚恤金由省级经办机构核发",
            ),
            event(HB_PROVINCE, "2026-01-09 10:30", "HandOffSignedFor", handoff_id=MINTED_HANDOFF),
            event(HB_PROVINCE, "2026-01-09 11:00", "Accepted"),
            event(
                HB_PROVINCE,
                "2026-02-06 15:00",
                "Completed",
                outcome="granted",
                summary="个把月, 抚恤金打到老人账户",
            ),
            event(
                ZJK_LEAD,
                "2026-02-06 15:30",
                "UnresolvedClosed",
                report_id=MINTED_REPORT,
                closure="resolved",
                explanation="中心主任和窗口负责人多次与省级社保服务中心沟通协商, 抚恤金已到账",
            ),
            event(
                ZJK_DIRECTOR,
                "2026-02-10 10:00",
                "RootCauseRecorded",
                report_id=MINTED_REPORT,
                cause="approval_step",
                key="跨省经办协同",
                description="首次遇到此类事项: 省属单位参保人员的抚恤金由省级经办机构核发, "
                "市级窗口没有对接省级经办的流程, 群众自行咨询多个部门仍办不成",
            ),
            event(
                ZJK_DIRECTOR,
                "2026-02-10 10:30",
                "ImprovementActionOpened",
                report_id=MINTED_REPORT,
                root_cause_id=MINTED_ROOT_CAUSE,
                action="细化调整部分办事窗口的具体职能、工作领域; 实行“综合柜员制”改革",
                owner_unit="市社保服务中心",
            ),
            event(
                ZJK_DIRECTOR,
                "2026-03-31 16:00",
                "ImprovementActionCompleted",
                action_id=MINTED_ACTION,
                result="已多次细化调整部分办事窗口的职能和工作领域; 综合柜员制实行, "
                "“灵活就业服务”“并联服务审批”等专区运行",
            ),
        ),
        case(
            "004-zhao",
            "004 张家口",
            "赵先生's wife: qualification certified with a photo taken with the family's consent",
            register(
                ZJK_WINDOW,
                "2026-03-04 10:10",
                channel="unresolved_window",
                matter={"code": "SI-QUAL-CERT", "name": "养老保险待遇领取资格认证"},
                centre="zhangjiakou",
                department="办不成事反映窗口",
                window="咨询服务台",
                applicant={"name": "刘某", "id_number": id_number("130702", "19620818", "046")},
            ),
            event(
                ZJK_WINDOW,
                "2026-03-04 10:10",
                "VisitRecorded",
                note="赵先生代妻子前来: 其妻患严重精神疾病, 不能出门、怕见生人、拒绝拍照; "
                "看病急需用钱, 养老账户十几万元不能用",
            ),
            event(ZJK_WINDOW, "2026-03-04 10:30", "Accepted"),
            event(
                ZJK_WINDOW,
                "2026-03-04 10:40",
                "ExceptionRequested",
                kind="special_handling",
                rule_waived="养老保险待遇领取资格认证须本人到场(现场拍照或人脸识别)",
                basis="“办不成事”反映窗口特事特办",
                justification="其妻患严重精神疾病, 不能出门、怕见生人、拒绝拍照, 无法本人认证; "
                "看病急需用钱, 养老账户上十几万元不能用",
                waived_items=[],
                compensating_controls=[
                    "家属(赵先生)同意并签字",
                    "在家属陪同下拍摄本人照片, 照片留档",
                    "事后核查",
                ],
            ),
            _layer(ZJK_LEAD, "2026-03-04 11:00", 1, "情况属实, 同意征得家属同意后拍照认证"),
            _layer(ZJK_HEAD, "2026-03-04 15:00", 2, "同意, 照片须留档备查"),
            _layer(ZJK_DIRECTOR, "2026-03-05 09:30", 3, "同意特事特办"),
            event(
                ZJK_WINDOW,
                "2026-03-05 16:00",
                "Completed",
                outcome="granted",
                summary="征得家属同意后拍摄照片, 认证成功",
                exception_id=MINTED_EXCEPTION,
            ),
        ),
        case(
            "004-wang",
            "004 张家口",
            "退休职工王某: materials short; the window gathers them with his company",
            register(
                ZJK_WINDOW,
                "2026-04-14 09:50",
                channel="unresolved_window",
                matter={"code": "RETIRE-EMP", "name": "职工退休手续办理"},
                centre="zhangjiakou",
                department="办不成事反映窗口",
                window="咨询服务台",
                applicant={"name": "王某", "id_number": id_number("130702", "19660402", "019")},
            ),
            event(ZJK_WINDOW, "2026-04-14 09:50", "VisitRecorded", note="对社保、医保政策不清楚"),
            event(
                ZJK_WINDOW,
                "2026-04-14 10:20",
                "OneTimeNoticeIssued",
                items=["单位出具的退休申报材料", "职工人事档案"],
                channel="written",
                signed_receipt=True,
            ),
            event(
                ZJK_WINDOW,
                "2026-04-17 14:30",
                "MaterialsSupplied",
                items=["单位出具的退休申报材料", "职工人事档案"],
                via="mail",
            ),
            event(
                ZJK_WINDOW, "2026-04-17 14:40", "Accepted", note="对接公司, 讲明政策, 算清退休账"
            ),
            event(ZJK_WINDOW, "2026-04-21 10:00", "Completed", outcome="granted"),
        ),
    ]


def stories() -> list[CasePlan]:
    """Every seed case, in the order they happened."""
    plans = [
        _li(),
        _wang(),
        *_hotline(),
        _xie(),
        _elder(),
        _dibao(),
        *_jieyang(),
        *_wuhai(),
        *_zhangjiakou(),
    ]
    return sorted(plans, key=lambda p: p.registered_at)
