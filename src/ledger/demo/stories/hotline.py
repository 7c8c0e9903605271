"""示例 12345: a hotline work order at 霍山 that walks every step of domain brief §1 once.

No seed report tells a 12345 order (王女士's call was defused), so this one is synthetic and
marked "示例", on the rules of 霍山's policy (the national hotline limits): 退单 within a working
day of each dispatch, three rounds before the hotline designates the unit, signed for within a
working day, the extension asked before the reply deadline, the reply signed by the unit's head,
重办 after a 回访 that found the unit at fault. A second call about the same matter is merged into
it (并单) from its own case.

Its two clocks part ways (求助: 3 working days; March 2026 has no holiday). The order's runs from
the first dispatch (Mon 03-02 09:30) through both 退单: due Thu 03-05, Mon 03-09 with the 2-day
extension. 人社's runs from its own dispatch (Tue 03-03): due Fri 03-06, Tue 03-10 extended. The
first closure (Tue 03-10 15:00) is in time for 人社 and late for the order; the 重办 (Wed 03-11)
starts both again (due Mon 03-16) and the order closes in time on Fri 03-13. Each closure is
followed up the next day (回访 due by the end of 03-11 and of Sat 03-14; the hotline works 7×24).
The citizen's total wait, from the call (Mon 03-02 09:10) to the last closure (Fri 03-13 11:00):
11 days 1 hour 50 minutes, every round and the 重办 counted.
"""

from __future__ import annotations

from ledger.demo.plan import MINTED_TICKET, CaseOf, CasePlan, Staff, Step, clerk, event
from ledger.demo.stories.huoshan import HS_RS
from ledger.demo.stories.steps import case, completed, matter, person, registered

HOTLINE = "12345热线"
HL_AGENT = Staff("hs-12345-agent-08", ("hotline_operator",), HOTLINE)  # 话务员
HL_DISPATCH = Staff("hs-12345-dispatch-02", ("hotline_operator",), HOTLINE)  # 派单员
HL_REVIEW = Staff("hs-12345-review-01", ("hotline_operator",), HOTLINE)  # 审核员
HL_FOLLOW = Staff("hs-12345-follow-03", ("hotline_operator",), HOTLINE)  # 回访员
HS_SJJ = clerk("sjj-clerk-05", "数据局")  # the units' 联络员 (示例)
HS_YB = clerk("yb-clerk-02", "医保")
HS_RS_HEAD = Staff("rs-head-01", ("department_head",), "人社")  # signs the unit's replies
TICKET_NO = "HS2026030200017"
CERTIFICATE = matter("SI-PAY-CERT", "社会保险参保缴费证明开具")
ZHOU = person("周某", "341525", "19800615", "057")


def _call(moment: str, ticket_no: str, summary: str) -> list[Step]:
    """周某's call: the case registered by the agent, and the order it opens."""
    return [
        registered(
            HL_AGENT,
            moment,
            "huoshan",
            CERTIFICATE,
            ZHOU,
            channel="hotline_12345",
            department="人社",
        ),
        event(
            HL_AGENT,
            moment,
            "HotlineEscalationReceived",
            ticket_no=ticket_no,
            category="help",
            summary=summary,
        ),
    ]


def _order(by: Staff, moment: str, type: str, **body: object) -> Step:
    """A step on the case's work order (the one it last opened)."""
    return event(by, moment, type, ticket_id=MINTED_TICKET, **body)


def _dispatch(moment: str, unit: str, designated: bool = False) -> Step:
    return _order(HL_DISPATCH, moment, "HotlineDispatched", unit=unit, designated=designated)


def _returned(by: Staff, requested: str, decided: str, reason: str, basis: str) -> list[Step]:
    """One round's 退单: the lead unit asks, the hotline approves (the order waits for 改派)."""
    return [
        _order(by, requested, "HotlineReturnRequested", reason=reason, legal_basis=basis),
        _order(
            HL_DISPATCH,
            decided,
            "HotlineReturnDecided",
            decision="approve",
            opinion="退单理由成立, 改派",
        ),
    ]


def _replied(moment: str, text: str) -> Step:
    return _order(HS_RS_HEAD, moment, "HotlineReplied", text=text, unit_claims_resolved=True)


def _reviewed(moment: str, result: str, opinion: str) -> Step:
    return _order(HL_REVIEW, moment, "HotlineReplyReviewed", result=result, opinion=opinion)


def _contacted(moment: str, note: str) -> Step:
    return _order(HS_RS, moment, "HotlineApplicantContacted", method="phone", note=note)


def _followed_up(moment: str, **answers: object) -> Step:
    """回访 by phone, the day after the closure (the policy's `follow_up_within`)."""
    return _order(HL_FOLLOW, moment, "HotlineFollowedUp", reachable=True, **answers)


def orders() -> list[CasePlan]:
    master = case(
        "000-hotline",
        "示例 12345",
        "示例 12345 求助: two 退单 rounds, designated, extended, reworked, reopened, satisfied",
        *_call(
            "2026-03-02 09:10",
            TICKET_NO,
            "示例: 在外地务工, 子女入学需本人养老保险参保缴费证明; 皖事通打印失败, "
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
        _order(HS_RS, "2026-03-03 10:40", "HotlineSignedFor"),
        _contacted("2026-03-03 11:00", "核实身份及所需证明用途"),
        _order(
            HS_RS,
            "2026-03-05 16:00",
            "HotlineExtensionRequested",
            working_days=2,
            reason="2008年以前的缴费记录为手工台账, 须调取档案核对",
        ),
        _order(
            HL_DISPATCH,
            "2026-03-05 16:30",
            "HotlineExtensionDecided",
            decision="approve",
            opinion="同意延期2个工作日, 已告知诉求人新的办理时限",
        ),
        _replied(
            "2026-03-09 15:00",
            "经核实, 诉求人可到县政务服务中心人社窗口或通过皖事通打印参保缴费证明",
        ),
        _reviewed(
            "2026-03-09 16:00",
            "rework",
            "答复未说明2008年以前缴费记录的核对结果, 诉求未解决, 退回补办",
        ),
        _replied(
            "2026-03-10 11:00",
            "已调取档案, 补录2005年至2008年缴费记录; 诉求人可通过皖事通打印证明",
        ),
        _reviewed("2026-03-10 15:00", "pass", "答复规范, 审核通过"),
        _followed_up(
            "2026-03-11 10:00",
            resolved=False,
            satisfaction="dissatisfied",
            cause="unit",
            note="打印的证明仍缺2007年10-12月记录; 承办人未与其核实即报结",
        ),
        _order(
            HL_REVIEW,
            "2026-03-11 10:30",
            "HotlineReopened",
            reason="回访不满意, 承办单位主观原因: 未核实即报结, 重办",
        ),
        _contacted("2026-03-11 11:00", "致歉, 核对缺失月份"),
        event(HS_RS, "2026-03-12 10:00", "Accepted", note="示例: 补录缺失月份后出具证明"),
        completed(HS_RS, "2026-03-12 16:00", "补录2007年10-12月缴费记录, 出具参保缴费证明并邮寄"),
        _replied(
            "2026-03-13 09:30",
            "已补录2007年10-12月缴费记录, 出具完整的参保缴费证明并邮寄, 已电话告知诉求人",
        ),
        _reviewed("2026-03-13 11:00", "pass", "重办答复规范, 审核通过"),
        _followed_up("2026-03-14 10:00", resolved=True, satisfaction="satisfied"),
    )
    duplicate = case(
        "000-hotline-dup",
        "示例 12345",
        "示例 12345: the same caller again that afternoon; merged (并单) into the first order",
        *_call(
            "2026-03-02 15:30",
            "HS2026030200063",
            "示例: 同一诉求人再次来电, 询问参保缴费证明的办理进度",
        ),
        _order(
            HL_DISPATCH,
            "2026-03-02 15:40",
            "HotlineMerged",
            master_case_id=CaseOf("000-hotline"),
            master_ticket_no=TICKET_NO,
        ),
        completed(
            HS_RS,
            "2026-03-03 10:45",
            "示例: 重复诉求, 已并入工单 HS2026030200017, 在原件中办理",
            outcome="withdrawn",
        ),
    )
    return [master, duplicate]
