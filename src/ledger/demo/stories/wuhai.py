"""Seed 003, 乌海 (人社局综合服务中心, 公安出入境): the praised counter, a second trip, two passes.

李志刚's case is the trip he should not have needed; the 往来港澳通行证 the green channel taken
after hours.
"""

from __future__ import annotations

from ledger.demo.plan import CasePlan, clerk, event
from ledger.demo.stories.steps import (
    case,
    completed,
    limit,
    matter,
    notice,
    person,
    registered,
    visit,
)

WH_RS_NEW = clerk("wh-rs-clerk-09", "人社")  # "他刚来这个窗口"
WH_RS_TIAN = clerk("wh-rs-tian", "人社")  # 2号柜台田淑娟
WH_EE = clerk("wh-ee-clerk-1", "出入境")
WH_EE_2 = clerk("wh-ee-clerk-2", "出入境")


def counters() -> list[CasePlan]:
    # The 意见簿's praise of 2号柜台 and 李志刚's complaint are letters and words to the reporter,
    # not 好差评 ratings, so no case records a rating. The green channel's late service is the
    # 出入境 office's standing rule ("延迟半小时下班", "不接待完最后一位群众不下班"), not an
    # exception anyone approves, so it is a note on the acceptance, not an exception.
    # 李志刚's report names neither the unit he phoned nor the matter, nor the two materials: the
    # ledger needs all three, so the case is recorded at the 人社 centre the report describes
    # first, with a matter and two materials it handles.
    missing = ["户口簿原件", "就业失业登记证明"]
    return [
        case(
            "003-tian",
            "003 乌海",
            "单位参保登记 at 2号柜台 (the praise letter's counter)",
            registered(
                WH_RS_TIAN,
                "2025-12-18 09:20",
                "wuhai",
                matter("SI-EMPLOYER-REG", "单位参保登记"),
                person("赵某", "150302", "19800709", "036"),
                window="2号柜台",
            ),
            visit(WH_RS_TIAN, "2025-12-18 09:20", note="参保单位经办人"),
            event(WH_RS_TIAN, "2025-12-18 09:35", "Accepted"),
            completed(WH_RS_TIAN, "2025-12-18 10:05"),
        ),
        case(
            "003-li",
            "003 乌海",
            "李志刚: asked by phone, still two materials short; a second trip (跑动 2)",
            registered(
                WH_RS_NEW,
                "2026-01-06 10:00",
                "wuhai",
                matter("SI-FLEX-REG", "灵活就业人员参保登记"),
                person("李某", "150302", "19880211", "051"),
                window="9号窗口",
            ),
            visit(
                WH_RS_NEW,
                "2026-01-06 10:00",
                note="来前已电话咨询所需材料",
            ),
            notice(WH_RS_NEW, "2026-01-06 10:10", missing),
            visit(
                WH_RS_NEW,
                "2026-01-07 09:20",
                note="多跑一趟: 电话咨询时未被告知这两样材料; 工作人员称刚来窗口, 业务不熟",
            ),
            event(WH_RS_NEW, "2026-01-07 09:20", "MaterialsSupplied", items=missing),
            event(WH_RS_NEW, "2026-01-07 09:30", "Accepted"),
            completed(WH_RS_NEW, "2026-01-07 10:00"),
        ),
        case(
            "003-passport",
            "003 乌海",
            "普通护照: 一次性告知单, done on the second visit",
            registered(
                WH_EE,
                "2026-01-08 09:30",
                "wuhai",
                matter("EE-PASSPORT", "普通护照签发"),
                person("杨某", "150302", "19970926", "064"),
                window="出入境 3号",
                promised_limit=limit(7),
            ),
            visit(WH_EE, "2026-01-08 09:30"),
            notice(WH_EE, "2026-01-08 09:45", ["户口簿原件"]),
            visit(WH_EE, "2026-01-09 10:15"),
            event(WH_EE, "2026-01-09 10:15", "MaterialsSupplied", items=["户口簿原件"]),
            event(WH_EE, "2026-01-09 10:20", "Accepted"),
            completed(WH_EE, "2026-01-16 15:00", "发证短信提示"),
        ),
        case(
            "003-green",
            "003 乌海",
            "往来港澳通行证, green channel: taken after hours, fast-tracked",
            registered(
                WH_EE_2,
                "2026-01-12 17:20",
                "wuhai",
                matter("EE-HKMO", "往来港澳通行证及签注"),
                person("刘某", "150303", "19490502", "012"),
                window="出入境 1号",
                priority="green_channel",
                promised_limit=limit(7),
            ),
            visit(WH_EE_2, "2026-01-12 17:20", note="老年申请人, 急事"),
            event(
                WH_EE_2,
                "2026-01-12 17:40",
                "Accepted",
                note="不接待完最后一位群众不下班; 绿色通道优先受理, 快审快批",
            ),
            completed(WH_EE_2, "2026-01-14 11:00"),
        ),
    ]
