"""Seed 002, 揭阳市政务服务中心: its practices, each shown once as a case.

The report describes practices, not cases: 一窗通办 with the 首席代表 approving at the window,
零跑动 online, the promised days to a certificate, 企业开办 in half a day, each shown by one case
with the report's own figures. It also describes the scope of the 协调帮办 window (材料齐全而不受理,
态度差, 没有一次性告知, 卡拿要) but tells no use of it, so no case is told there: one would have
to invent the very failure the window exists for.
"""

from __future__ import annotations

from ledger.demo.plan import CasePlan, Staff, clerk, event
from ledger.demo.stories.steps import (
    case,
    completed,
    limit,
    matter,
    person,
    registered,
    visit,
)

JY_GJJ = clerk("jy-gjj-clerk-1", "公积金")
JY_GJJ_CHIEF = Staff("jy-gjj-wang", ("department_head",), "公积金")  # 首席代表王晓丰
JY_BDC = clerk("jy-bdc-clerk-1", "不动产")
JY_SC = clerk("jy-sc-clerk-1", "市场监管")
GJJ_WITHDRAW = matter("GJJ-WITHDRAW", "住房公积金提取")


def practices() -> list[CasePlan]:
    # The 好评率 (99.38%) is the centre's, not any case's: no rating is recorded.
    day = "2026-03-10"
    return [
        case(
            "002-gjj",
            "002 揭阳",
            "公积金提取: 一窗通办, the 首席代表 approves at the window",
            registered(
                JY_GJJ,
                f"{day} 09:40",
                "jieyang",
                GJJ_WITHDRAW,
                person("黄某", "445202", "19850614", "052"),
                window="1F-21",
                promised_limit=limit(0),
            ),
            visit(JY_GJJ, f"{day} 09:40", ticket="G008"),
            event(JY_GJJ, f"{day} 09:44", "Accepted"),
            completed(
                JY_GJJ_CHIEF,
                f"{day} 09:52",
                "首席代表驻厅, 受理后当场审批, 无需传回公积金管理中心",
            ),
        ),
        case(
            "002-gjj-online",
            "002 揭阳",
            "公积金提取 online: 零跑动",
            registered(
                JY_GJJ,
                f"{day} 20:15",
                "jieyang",
                GJJ_WITHDRAW,
                person("林某", "445202", "19910307", "066"),
                channel="online",
                promised_limit=limit(0),
            ),
            event(JY_GJJ, "2026-03-11 09:05", "Accepted"),
            completed(JY_GJJ_CHIEF, "2026-03-11 09:20"),
        ),
        case(
            "002-house",
            "002 揭阳",
            "二手房转移登记: 3 working days to the certificate",
            registered(
                JY_BDC,
                "2026-03-11 10:05",
                "jieyang",
                matter("BDC-TRANSFER", "二手房转移登记"),
                person("郑某", "445202", "19780921", "011"),
                window="1F-05",
                promised_limit=limit(3),
            ),
            visit(JY_BDC, "2026-03-11 10:05", ticket="B015"),
            event(JY_BDC, "2026-03-11 10:30", "Accepted"),
            completed(JY_BDC, "2026-03-13 16:00", "出证"),
        ),
        case(
            "002-company",
            "002 揭阳",
            "企业开办 全流程网办: six steps in half a working day",
            registered(
                JY_SC,
                "2026-03-12 08:50",
                "jieyang",
                matter("SC-EST", "企业设立登记(企业开办一件事)"),
                person("蔡某", "445202", "19930118", "073"),
                channel="online",
                promised_limit={"value": 4, "unit": "hours"},
            ),
            event(JY_SC, "2026-03-12 09:10", "Accepted"),
            completed(
                JY_SC,
                "2026-03-12 11:40",
                "商事登记、公安刻章、税务登记、公积金缴存登记、社保缴存登记、银行开户",
            ),
        ),
    ]
