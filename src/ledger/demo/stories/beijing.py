"""Seed 001, two Beijing centres: 东花市街道 (谢先生, the 七旬 applicant) and 大兴区清源街道.

The 低保 case is recorded at centre `qingyuan`: its 特事特办 went through a joint meeting of the
departments' heads ("层层把关"). The report names 谢素娟 and the director 王淑环; the other
approvers are recorded by their posts (the report does not name them), and the meeting's
attendees are the units the report says knew her situation (居委会, 街道) beside 民政.

Each 办不成事 report closes as the process has it (受理 → 分类 → 转办 → 办结 → 反馈 → 核查 →
备案): the applicant is told the outcome (反馈) by those who worked it, the centre's director
checks it (核查) and closes it, never the window that reported it. How each 反馈 was given
(phone, in person) is this demo's reading; the report does not say.
"""

from __future__ import annotations

from ledger.demo.plan import MINTED_EXCEPTION, CasePlan, Staff, clerk, event
from ledger.demo.stories.steps import (
    case,
    completed,
    consulted,
    fed_back,
    handed_off,
    layer,
    matter,
    notice,
    person,
    registered,
    special_handling,
    special_team,
    unresolved,
    unresolved_closed,
    verified,
    visit,
)

DHS_WINDOW = clerk("dhs-bbcs-clerk", "办不成事窗口")
DHS_DIRECTOR = Staff("dhs-director-wan", ("centre_director",), "东花市街道政务服务中心")  # 万丽琴
DC_GFZX = clerk("dc-gfzx-clerk", "东城区人力资源公共服务中心")
QY_MZ = clerk("qy-mz-xie", "民政")  # 谢素娟
QY_LEAD = Staff("qy-lead-01", ("window_lead",), "综合窗口")
QY_MZ_HEAD = Staff("qy-mz-head", ("department_head",), "民政")  # chairs the joint meeting
QY_DIRECTOR = Staff("qy-director-wang", ("centre_director",), "清源街道政务服务中心")  # 王淑环
QY_MEETING = [  # "各部门负责人坐在一起开了个会, 共同商议"
    {"id": "qy-mz-head", "role": "department_head", "unit": "民政"},
    {"id": "qy-jd-head", "role": "department_head", "unit": "街道办事处"},
    {"id": "qy-jwh-head", "role": "department_head", "unit": "社区居委会"},
]
RETIREMENT = matter("RETIRE-EMP", "职工退休手续办理")


def xie() -> CasePlan:
    # A 办不成事 from his call: nobody had told him how or where to retire (咨询; 很难办: his file
    # sits with another unit; complex, referred). 万丽琴's call back answers the question (the
    # consultation: where his file is, who handles retirement) and she intervenes; the street's
    # 专班 (formed 01-20, 万丽琴 leading) takes it up the next morning and refers him to the
    # 区公服中心's 专人窗口. Once he has retired that afternoon the 专班's clerk tells him so
    # (反馈); his "热情周到, 温暖如家" is his answer to the 专班, recorded with it, not a 好差评
    # rating: he rated nothing through a rating channel, and the 专班 may not key one in for him.
    # 万丽琴 checks the completion (核查) and closes the report resolved.
    return case(
        "001-xie",
        "001 东花市",
        "谢先生: 办不成事 call, the director explains, referred to the 区公服中心 next day",
        registered(
            DHS_WINDOW,
            "2026-01-26 15:20",
            "donghuashi",
            RETIREMENT,
            person("谢某", "110101", "19660205", "017"),
            channel="unresolved_window",
            window="总受理台",
        ),
        unresolved(
            DHS_WINDOW,
            "2026-01-26 15:25",
            "consultation",
            "hard_to_do",
            "complex",
            "即将到达退休年龄, 未接到任何部门关于办理退休手续的通知, 不知道该如何办、"
            "找谁办; 问居委会也不清楚, 只让他再联系街道",
        ),
        consulted(
            DHS_DIRECTOR,
            "2026-01-26 15:40",
            "没接到任何部门关于办理退休手续的通知, 不知道该如何办、找谁办",
            "系统查询: 档案存放在东城区人力资源公共服务中心, 退休手续由其受理, "
            "不属本中心受理范围; 残疾人保险由区残联统一办理",
            referred_to="东城区人力资源公共服务中心",
        ),
        event(
            DHS_DIRECTOR,
            "2026-01-26 15:40",
            "DutyIntervention",
            action="电话联系, 答复办理途径(见咨询记录); 加微信, 约次日带证件来",
            escalation_threat="none",
            note="残疾人、退伍军人, 户籍在东花市、租住房山; 情绪激动: 怎么没人管我",
        ),
        visit(DHS_WINDOW, "2026-01-27 09:30", note="带各种证件来中心"),
        special_team(
            DHS_DIRECTOR,
            "2026-01-27 09:35",
            lead="dhs-director-wan",  # 万丽琴
            members=["dhs-director-wan", "dhs-bbcs-clerk"],
        ),
        *handed_off(
            DHS_WINDOW,
            "2026-01-27 10:30",
            "东城区人力资源公共服务中心",
            "档案存放于区公服中心, 退休手续由其受理; 专班对接专人窗口",
            to_window="专人窗口",
            signed=(DC_GFZX, "2026-01-27 11:00"),
        ),
        event(DC_GFZX, "2026-01-27 14:00", "Accepted"),
        completed(DC_GFZX, "2026-01-27 16:30", "当天下午顺利办完退休手续"),
        fed_back(
            DHS_WINDOW,
            "2026-01-27 16:35",
            "resolved",
            "phone",
            "区公服中心专人窗口当天下午办完退休手续; 残疾人保险由区残联统一办理",
            response="热情周到, 温暖如家",
        ),
        verified(DHS_DIRECTOR, "2026-01-27 16:38", "区公服中心当天下午办结退休手续, 记录在案"),
        unresolved_closed(
            DHS_DIRECTOR,
            "2026-01-27 16:40",
            "resolved",
            "专班对接区公服中心专人窗口, 当天下午办完退休手续; "
            "残疾人保险由区残联统一办理, 已向本人说明",
        ),
    )


def elder() -> CasePlan:
    # A 办不成事 report (policy; 办不了; simple: due the same day), closed as explained_cannot_do:
    # the report calls it "不能办的事" (no contribution record: the law, not the window, stands in
    # the way) and says the centre explains it anyway, with the 东城区人社局 if needed. 东花市's
    # plan also excludes failures from "办事个人原因" (excluded_own_cause); that is not how 万丽琴
    # files this one, and excluding it would hide the explanation the centre owes and gives. The
    # refusal is a 否定答复: it is recorded in the report already open. The window explains it to
    # him with the documents in hand (反馈); 万丽琴 checks the record (核查) and closes it.
    return case(
        "001-elder",
        "001 东花市",
        "七旬老人: no contribution record, cannot retire; refused with the reason, explained",
        registered(
            DHS_WINDOW,
            "2026-02-05 10:00",
            "donghuashi",
            RETIREMENT,
            person("张某", "110101", "19540817", "035"),
            channel="unresolved_window",
            window="总受理台",
        ),
        visit(DHS_WINDOW, "2026-02-05 10:00"),
        unresolved(
            DHS_WINDOW,
            "2026-02-05 10:10",
            "policy",
            "cannot_do",
            "simple",
            "七旬老人要求办理退休、按月领取养老金; 社保系统无缴纳社保记录",
        ),
        event(
            DHS_WINDOW,
            "2026-02-05 10:40",
            "AcceptanceRefused",
            reason="社保系统无缴费记录, 不具备按月领取基本养老金的条件, 属不能办的事; "
            "已拿着相关文件反复详细解释, 安抚情绪",
            legal_basis="《中华人民共和国社会保险法》第十六条",
        ),
        fed_back(
            DHS_WINDOW,
            "2026-02-05 15:00",
            "explained_cannot_do",
            "in_person",
            "拿着相关文件反复详细解释: 社保系统无缴费记录, 不具备按月领取基本养老金的条件; "
            "安抚情绪",
        ),
        verified(DHS_DIRECTOR, "2026-02-05 15:20", "社保系统无缴费记录属实; 已向本人解释清楚"),
        unresolved_closed(
            DHS_DIRECTOR,
            "2026-02-05 15:30",
            "explained_cannot_do",
            "社保系统无缴费记录, 不具备按月领取基本养老金的条件, 属不能办的事; "
            "联系本人, 拿着相关文件反复详细解释清楚, 安抚情绪; "
            "会同东城区人力资源社会保障局一并进行解答安抚",
        ),
    )


def dibao() -> CasePlan:
    # The 特事特办 exception under 清源's policy: 窗口负责人, then the 部门负责人 joint meeting
    # (attendees and minutes), then the centre's director; accepted on it and paid within the
    # month ("当月便拿到了低保"). Entered in the 办不成事 登记簿 when the window could not accept
    # it (materials: the divorce agreement cannot be had; 很难办; special: 一事一议 by the joint
    # meeting), and closed resolved once the 低保 was granted: 谢素娟 tells her (反馈), 王淑环
    # checks (核查: "层层把关") and closes it, not the 民政 window it concerns.
    agreement = "离婚协议书或法院离婚判决书(调解书)"
    return case(
        "001-dibao",
        "001 清源",
        "低保: no divorce agreement to be had; 特事特办 after a joint meeting, paid that month",
        registered(
            QY_MZ,
            "2025-12-09 10:00",
            "qingyuan",
            matter("MZ-DIBAO", "最低生活保障申请"),
            person("陈某", "110115", "19760423", "048"),
            window="综合窗口",
        ),
        visit(QY_MZ, "2025-12-09 10:00"),
        notice(QY_MZ, "2025-12-09 10:30", [agreement]),
        unresolved(
            QY_MZ,
            "2025-12-09 11:00",
            "materials",
            "hard_to_do",
            "special",
            "低保须出具离婚协议, 申请人无法拿出: 涉外婚姻, 丈夫为美国人, "
            "二人分居多年, 男方早已回国并失去联系; 民政, 卡在材料要件",
        ),
        special_handling(
            QY_MZ,
            "2025-12-10 09:30",
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
        layer(QY_LEAD, "2025-12-10 11:00", 1, "经居委会核实情况属实, 同意提交联席会商"),
        layer(
            QY_MZ_HEAD,
            "2025-12-12 15:00",
            2,
            "联席会共同商议: 同意特事特办, 免交离婚协议",
            attendees=QY_MEETING,
            minutes_ref="清源街道特事特办联席会纪要 2025-12-12",
        ),
        layer(QY_DIRECTOR, "2025-12-15 09:30", 3, "同意, 按特事特办受理, 事后核查"),
        event(
            QY_MZ,
            "2025-12-15 10:00",
            "Accepted",
            note="特事特办: 免交离婚协议受理",
            exception_id=MINTED_EXCEPTION,
        ),
        completed(QY_MZ, "2025-12-26 15:00", "当月拿到低保"),
        fed_back(QY_MZ, "2025-12-26 15:05", "resolved", "phone", "特事特办受理, 当月拿到低保"),
        verified(QY_DIRECTOR, "2025-12-26 15:08", "特事特办经三级审批, 低保当月发放"),
        unresolved_closed(
            QY_DIRECTOR, "2025-12-26 15:10", "resolved", "特事特办: 免交离婚协议受理, 当月拿到低保"
        ),
    )
