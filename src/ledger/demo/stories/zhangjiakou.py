"""Seed 004, 张家口市社保服务中心: its 办不成事反映窗口's three cases.

老李's cross-province 抚恤金 (a 专班, the 中心主任's 特事特办, a root cause and the reform it led
to), 赵先生's wife's certification with the family's consent to her photograph, and 王某's
retirement materials gathered with his company.
"""

from __future__ import annotations

from ledger.demo.plan import (
    MINTED_ACTION,
    MINTED_REPORT,
    MINTED_ROOT_CAUSE,
    CasePlan,
    Staff,
    Step,
    clerk,
    event,
)
from ledger.demo.stories.steps import (
    after_the_fact,
    case,
    completed,
    evidence,
    fed_back,
    handed_off,
    matter,
    notice,
    person,
    registered,
    special_team,
    unresolved,
    unresolved_closed,
    verified,
    visit,
)

ZJK_WINDOW = clerk("zjk-bbcs-clerk", "办不成事反映窗口")
ZJK_LEAD = Staff("zjk-bbcs-lead-yang", ("window_lead",), "办不成事反映窗口")  # 杨娜
ZJK_DIRECTOR = Staff("zjk-director-li", ("centre_director",), "市社保服务中心")  # 李辉
HB_PROVINCE = clerk("hb-sbzx-clerk", "省社保服务中心")


def _walk_in(moment: str, matter: dict[str, str], applicant: dict[str, str], **more: str) -> Step:
    """A case registered at the 办不成事反映窗口's 咨询服务台."""
    return registered(
        ZJK_WINDOW,
        moment,
        "zhangjiakou",
        matter,
        applicant,
        channel="unresolved_window",
        window="咨询服务台",
        **more,
    )


def cases() -> list[CasePlan]:
    # 老李's case is a 办不成事 report (cross-province; 很难办; special), worked by the director
    # 李辉 and the window's head 杨娜 as its 专班, closed resolved when the money arrived; its
    # root cause (no procedure with the provincial agency) led to the windows being re-scoped
    # and 综合柜员制, done by the spring. Its 特事特办 is told by the director afterwards ("之后也
    # 通过特事特办顺利解决"): he coordinated it with the provincial agency, and the report names
    # no approval of it. So it is recorded after the fact, by the director, as executed by him
    # (who coordinated), for the centre's three layers to ratify; none is invented. Being its
    # executor, he can decide none of them (requester ≠ approver ≠ executor), so its 中心主任
    # layer needs someone else: it waits (GET /approvals).
    # 赵先生's wife's certification: the window's staff photographed her with the family's consent
    # ("征得家属同意后, “偷”拍照片"); the consent is recorded as given, by her husband, in person
    # (the report mentions no signature). Taking the photo set aside the rule that she be present
    # for it, with nobody's approval told: that 特事特办 too is recorded after the fact.
    retirement_papers = ["单位出具的退休申报材料", "职工人事档案"]
    return [
        case(
            "004-lao-li",
            "004 张家口",
            "老李: cross-province 抚恤金 unpaid a year; the director coordinates, paid in a month",
            _walk_in(
                "2026-01-07 09:30",
                matter("SI-SURVIVOR", "参保人员死亡丧葬补助金、抚恤金申领"),
                person("李某", "130702", "19550310", "079"),
                priority="urgent",
            ),
            visit(
                ZJK_WINDOW,
                "2026-01-07 09:30",
                note="失独老人; 儿子生前在省属单位工作; 自行咨询多个部门, 一年多未领到",
            ),
            unresolved(
                ZJK_WINDOW,
                "2026-01-07 09:40",
                "other",
                "hard_to_do",
                "special",
                "失独老人之子生前在省属单位工作, 抚恤金涉及跨省办理; "
                "老人自行咨询多个部门, 走了弯路, 一年多未拿到抚恤金",
            ),
            special_team(
                ZJK_DIRECTOR,
                "2026-01-07 10:30",
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
            *handed_off(
                ZJK_LEAD,
                "2026-01-08 10:00",
                "省社保服务中心",
                "死者生前在省属单位参保, 抚恤金由省级经办机构核发",
                signed=(HB_PROVINCE, "2026-01-09 10:30"),
            ),
            event(HB_PROVINCE, "2026-01-09 11:00", "Accepted"),
            completed(HB_PROVINCE, "2026-02-06 15:00", "个把月, 抚恤金打到老人账户"),
            # 办结 → 反馈 → 核查: 杨娜 tells him (事事有回音); the window she leads is the one the
            # report concerns, so the director checks and closes it (DECISIONS, 办不成事 process).
            fed_back(ZJK_LEAD, "2026-02-06 15:20", "resolved", "phone", "抚恤金已打到老人账户"),
            verified(ZJK_DIRECTOR, "2026-02-06 15:25", "与省社保服务中心核实: 抚恤金已到账"),
            unresolved_closed(
                ZJK_DIRECTOR,
                "2026-02-06 15:30",
                "resolved",
                "中心主任和窗口负责人多次与省级社保服务中心沟通协商, 抚恤金已到账",
            ),
            after_the_fact(
                ZJK_DIRECTOR,
                "2026-02-06 15:40",
                executed=(ZJK_DIRECTOR, "2026-01-07 11:00"),
                execution="中心主任与窗口负责人多次与省级社保服务中心沟通协商, 积极跑办, "
                "个把月抚恤金打到老人账户",
                rule_waived="按正规流程办理: 省属单位参保人员的抚恤金由省级经办机构核发, "
                "市级窗口无对接省级经办的流程",
                basis="“办不成事”反映窗口特事特办、统筹协调",
                justification="失独老人之子生前在省属单位工作, 抚恤金涉及跨省办理, 情况特殊; "
                "老人自行咨询多个部门一年多未拿到抚恤金",
                compensating_controls=[],
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
            _walk_in(
                "2026-03-04 10:10",
                matter("SI-QUAL-CERT", "养老保险待遇领取资格认证"),
                person("刘某", "130702", "19620818", "046"),
            ),
            visit(
                ZJK_WINDOW,
                "2026-03-04 10:10",
                note="赵先生代妻子前来: 其妻患严重精神疾病, 不能出门、怕见生人、拒绝拍照; "
                "看病急需用钱, 养老账户十几万元不能用",
            ),
            event(ZJK_WINDOW, "2026-03-04 10:30", "Accepted"),
            event(
                ZJK_WINDOW,
                "2026-03-04 10:40",
                "ConsentRecorded",
                given_by="赵某",
                relation="spouse",
                purpose="为其妻拍摄照片, 用于养老保险待遇领取资格认证",
                evidence=[evidence("verbal", "家属(赵先生)", "in_person")],
            ),
            completed(ZJK_WINDOW, "2026-03-05 16:00", "征得家属同意后拍摄照片, 认证成功"),
            after_the_fact(
                ZJK_WINDOW,
                "2026-03-05 16:10",
                executed=(ZJK_WINDOW, "2026-03-05 15:30"),
                execution="征得家属同意后, 在本人不配合的情况下拍摄照片, 完成资格认证",
                rule_waived="养老保险待遇领取资格认证须本人配合拍照或人脸识别",
                basis="“办不成事”反映窗口特事特办",
                justification="其妻患严重精神疾病, 不能出门、怕见生人、拒绝拍照, 无法本人认证; "
                "看病急需用钱, 养老账户上十几万元不能用",
                compensating_controls=["征得家属(赵先生)同意"],
            ),
        ),
        case(
            "004-wang",
            "004 张家口",
            "退休职工王某: materials short; the window gathers them with his company",
            _walk_in(
                "2026-04-14 09:50",
                matter("RETIRE-EMP", "职工退休手续办理"),
                person("王某", "130702", "19660402", "019"),
            ),
            visit(ZJK_WINDOW, "2026-04-14 09:50", note="对社保、医保政策不清楚"),
            notice(ZJK_WINDOW, "2026-04-14 10:20", retirement_papers),
            event(
                ZJK_WINDOW,
                "2026-04-17 14:30",
                "MaterialsSupplied",
                items=retirement_papers,
                via="mail",
            ),
            event(
                ZJK_WINDOW, "2026-04-17 14:40", "Accepted", note="对接公司, 讲明政策, 算清退休账"
            ),
            completed(ZJK_WINDOW, "2026-04-21 10:00"),
        ),
    ]
