"""One synthetic case drawn from its own random stream: where, what, who, when, and its steps.

Each case is drawn from `random.Random(f"{month}/{seed}/{n}")`, not from one shared stream: case
n is the same whatever `--cases` says, and the same seed always sends the same requests (hence
the same Idempotency-Keys and bodies). So the order of the draws below is part of the data: a
new draw goes after the old ones, or into a stream of its own (as `Pushback`'s).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from ledger.demo.plan import (
    BEIJING,
    MINTED_HANDOFF,
    CasePlan,
    Staff,
    Step,
    clerk,
    event,
    id_number,
    register,
)
from ledger.demo.synthetic import scenarios
from ledger.demo.synthetic.calendar import WorkingDays, month_days
from ledger.demo.synthetic.centres import CENTRES, DEPARTMENTS
from ledger.demo.synthetic.pushback import Pushback

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)

INTERVENTIONS = (
    "走流程: 协调窗口当场受理, 免于再跑一趟",
    "现场协调前后台, 压缩等候时间",
    "解释政策并协调首席代表当场审核",
    "引导至综合窗口, 联系业务部门后台即时核验",
)


class CaseDraw:
    """One synthetic case: its centre, department, matter, channel, applicant and its story."""

    def __init__(self, month: str, seed: int, n: int, days: WorkingDays) -> None:
        self.rng = rng = random.Random(f"{month}/{seed}/{n}")
        self.key = f"m{month}-s{seed}-{n:04d}"
        self.days = days
        self.month = month_days(month)
        self.centre = rng.choices(CENTRES, [c.weight for c in CENTRES])[0]
        departments = self.centre.departments  # the first (the centre's main one) twice as busy
        self.department = rng.choices(departments, [2] + [1] * (len(departments) - 1))[0]
        self.spec = DEPARTMENTS[self.department]
        self.matter = rng.choice(self.spec.matters)
        self.clerk = self.staff(self.department, rng.randint(1, 3))
        self.steps: list[Step] = []

    # --- who and where ---------------------------------------------------------------------

    def staff(self, department: str, n: int) -> Staff:
        return clerk(f"{self.centre.prefix}-{DEPARTMENTS[department].abbr}-clerk-{n}", department)

    def clerk_no(self, staff: Staff) -> int:
        return int(staff.id.rsplit("-", 1)[1])

    def head(self, department: str) -> Staff:
        abbr = DEPARTMENTS[department].abbr
        return Staff(f"{self.centre.prefix}-{abbr}-head", ("department_head",), department)

    def window(self, department: str, n: int) -> str:
        """Clerk n of a department sits at its n-th window."""
        index = list(DEPARTMENTS).index(department)
        return f"{1 + index // 4}F-{3 * index + n:02d}"

    def partner(self) -> tuple[str, str] | None:
        partner = self.spec.partner
        return partner if partner and partner[0] in self.centre.departments else None

    # --- the case ----------------------------------------------------------------------------

    def plan(self) -> CasePlan:
        rng = self.rng
        channel = self.channel()
        t = self.registered_at(channel)
        self.steps.append(self.registration(channel, t))
        holder = self.clerk
        in_person = channel in ("window", "self_service", "unresolved_window")
        if in_person:
            t = self.visit(t, self.steps[0].by)
        if channel == "unresolved_window":
            t = self.hand_off(t, self.steps[0].by, self.department, "办不成事: 转业务窗口办理")
        if in_person and rng.random() < 0.04:
            t = self.intervention(t)
        t = t if in_person else self.days.office_time(rng, t.date(), t)
        scenario = scenarios.choose(self)
        scenarios.tell(self, scenario, t, holder)
        Pushback(self, channel).add()
        return CasePlan(key=self.key, story="synthetic", steps=tuple(self.steps), note=scenario)

    def channel(self) -> str:
        weights = {
            "window": 62,
            "online": 18,
            "self_service": 6 if self.matter.days == 0 else 0,
            "phone": 4,
            "hotline_12345": 4,
            "unresolved_window": 5 if self.centre.unresolved_unit else 0,
        }
        return self.rng.choices(list(weights), list(weights.values()))[0]

    def registered_at(self, channel: str) -> datetime:
        rng = self.rng
        if channel in ("online", "hotline_12345"):  # any day, early till late
            day = rng.choice(self.month)
            return datetime.combine(day, time(7), BEIJING) + timedelta(minutes=rng.randint(0, 960))
        working = [d for d in self.month if self.days.is_working(d)]
        weights = [self.busyness(d) for d in working]
        return self.days.office_time(rng, rng.choices(working, weights)[0])

    def busyness(self, day: date) -> float:
        """Mondays and the days after a holiday are busy; a 调休 Saturday is quiet."""
        if day.weekday() >= 5:
            return 0.6
        after_break = not self.days.is_working(day - timedelta(days=1)) and day.weekday() != 0
        return 1.6 if after_break else 1.25 if day.weekday() == 0 else 1.0

    def registration(self, channel: str, t: datetime) -> Step:
        rng, matter = self.rng, self.matter
        by, department = self.clerk, self.department
        if channel == "hotline_12345":
            by = Staff(
                f"{self.centre.prefix}-12345-op-{rng.randint(1, 2)}",
                ("hotline_operator",),
                "12345热线",
            )
        elif channel == "unresolved_window":
            assert self.centre.unresolved_unit
            department = self.centre.unresolved_unit
            by = clerk(f"{self.centre.prefix}-bbcs-clerk", department)
        body: dict[str, object] = {
            "channel": channel,
            "matter": {"code": matter.code, "name": matter.name},
            "centre": self.centre.id,
            "department": department,
            "applicant": self.applicant(),
            "promised_limit": {"value": matter.days, "unit": "working_days"},
        }
        if channel in ("window", "self_service"):
            body["window"] = (
                self.window(department, self.clerk_no(by)) if channel == "window" else "自助服务区"
            )
        elif channel == "unresolved_window":
            body["window"] = "总受理台"
        roll = rng.random()
        if roll < 0.02:
            body["priority"] = "green_channel"
        elif roll < 0.05:
            body["priority"] = "urgent"
        return register(by, t, **body)

    def applicant(self) -> dict[str, str]:
        rng = self.rng
        if self.matter.code in ("SI-QUAL-CERT", "MZ-ELDER"):
            born = date(1935, 1, 1) + timedelta(days=rng.randint(0, 25 * 365))
        elif self.matter.code == "RETIRE-EMP":
            born = date(1965, 6, 1) + timedelta(days=rng.randint(0, 365))
        else:
            born = date(1955, 1, 1) + timedelta(days=rng.randint(0, 50 * 365))
        sequence = f"{rng.randint(0, 99):02d}{rng.randint(0, 9)}"
        applicant = {
            "name": rng.choice(SURNAMES) + "某",
            "id_number": id_number(self.centre.region, born.strftime("%Y%m%d"), sequence),
        }
        if rng.random() < 0.6:
            applicant["phone"] = f"1{rng.choice('3456789')}{rng.randint(0, 10**9 - 1):09d}"
        return applicant

    # --- building blocks -----------------------------------------------------------------------

    def add(self, by: Staff, t: datetime, type: str, **body: object) -> datetime:
        self.steps.append(event(by, t, type, **body))
        return t

    def visit(self, t: datetime, by: Staff, note: str | None = None) -> datetime:
        ticket = f"{self.spec.ticket}{self.rng.randint(1, 240):03d}"
        fields = {"ticket": ticket} | ({"note": note} if note else {})
        return self.add(by, t, "VisitRecorded", **fields)

    def intervention(self, t: datetime) -> datetime:
        rng = self.rng
        duty = Staff(
            f"{self.centre.prefix}-duty-{rng.randint(1, 2)}",
            ("duty_officer",),
            self.centre.duty_unit,
        )
        threat = rng.choices(["none", "defused", "not_defused"], [60, 35, 5])[0]
        fields: dict[str, object] = {
            "action": rng.choice(INTERVENTIONS),
            "escalation_threat": threat,
        }
        if threat != "none":
            fields["threatened_channel"] = "12345"
        return self.add(duty, self.days.later(rng, t, 5, 30), "DutyIntervention", **fields)

    def hand_over(self, t: datetime, by: Staff, to: str, reason: str) -> tuple[datetime, Staff]:
        """A hand-off to one of `to`'s clerks, drawn: when it was made, and to whom."""
        receiver = self.staff(to, self.rng.randint(1, 3))
        t = self.add(
            by,
            self.days.later(self.rng, t, 3, 20),
            "HandedOff",
            to_department=to,
            to_window=self.window(to, self.clerk_no(receiver)),
            reason=reason,
        )
        return t, receiver

    def hand_off(self, t: datetime, by: Staff, to: str, reason: str) -> datetime:
        """A hand-off, signed for by the receiving clerk."""
        t, receiver = self.hand_over(t, by, to, reason)
        return self.add(
            receiver,
            self.days.later(self.rng, t, 2, 40),
            "HandOffSignedFor",
            handoff_id=MINTED_HANDOFF,
        )

    def accept(self, t: datetime, by: Staff) -> datetime:
        return self.add(by, self.days.later(self.rng, t, 3, 25), "Accepted")

    def complete(
        self, t: datetime, by: Staff, n: int, outcome: str = "granted", summary: str | None = None
    ) -> datetime:
        fields = {"summary": summary} if summary else {}
        return self.add(by, self.days.on(self.rng, t, n), "Completed", outcome=outcome, **fields)

    def within_limit(self) -> int:
        return self.rng.randint(0, self.matter.days)

    def supply(self, t: datetime, by: Staff, items: list[str]) -> datetime:
        rng = self.rng
        t = self.days.on(rng, t, rng.randint(1, 4))
        if rng.random() < 0.6:
            self.visit(t, by, "补齐材料")
            return self.add(by, t, "MaterialsSupplied", items=items)
        via = rng.choice(["online", "wechat", "mail", "data_sharing"])
        return self.add(by, t, "MaterialsSupplied", items=items, via=via)

    def notice(self, t: datetime, by: Staff, k: int | None = None) -> tuple[datetime, list[str]]:
        materials = list(self.matter.materials)
        items = self.rng.sample(materials, k or self.rng.randint(1, min(2, len(materials))))
        channel = self.rng.choice(["written", "written", "in_person", "sms"])
        t = self.add(
            by,
            self.days.later(self.rng, t, 3, 15),
            "OneTimeNoticeIssued",
            items=items,
            channel=channel,
            signed_receipt=channel == "written",
        )
        return t, items
