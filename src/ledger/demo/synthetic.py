"""A synthetic month of cases across five centres, so the views have ordinary traffic to show.

Each case is drawn from its own `random.Random(f"{month}/{seed}/{n}")`, not from one shared
stream: case n is the same whatever `--cases` says, so a run with more cases replays the first
ones and adds the rest, and the same seed always sends the same requests (hence the same
Idempotency-Keys and bodies). Window traffic keeps to working days and office hours (Beijing
time) as the national calendar in `policies/calendars` has them: none on the National Day
holidays, some on the 调休 Saturday; online submissions arrive on any day.

Most cases are accepted and completed on time; some get a one-time notice (a few a second one
that adds items, which the ledger flags), hand-offs (signed for, returned, or still pending),
clock pauses, extension requests decided by the department head, late completions, refusals,
withdrawals, open cases, extra visits and duty-officer interventions. The public's pushback
follows (`Pushback`): a 12345 order on each hotline case, a 办不成事 report on each case from the
办不成事 window and some refusals, and a rating on most completed services (a few 差评, verified and
rectified), drawn from a second stream so the cases' own steps stay as they were.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from ledger.demo.plan import (
    BEIJING,
    MINTED_EXTENSION,
    MINTED_HANDOFF,
    MINTED_RATING,
    MINTED_REPORT,
    MINTED_TICKET,
    CasePlan,
    Staff,
    Step,
    clerk,
    event,
    register,
)
from ledger.demo.stories import id_number
from ledger.domain.calendar import CalendarNotCoveredError, WorkingCalendar
from ledger.rules.calendars import DEFAULT_DIR, load_jurisdiction


@dataclass(frozen=True)
class MatterSpec:
    code: str
    name: str
    days: int  # promised working days; 0 = 即办 (the same day)
    materials: tuple[str, ...]


@dataclass(frozen=True)
class DepartmentSpec:
    abbr: str  # for actor ids
    ticket: str  # queue-ticket letter
    matters: tuple[MatterSpec, ...]
    partner: tuple[str, str] | None = None  # (department, reason) of its usual hand-off
    licensing: bool = False  # refusals cite the 行政许可法


@dataclass(frozen=True)
class CentreSpec:
    id: str
    prefix: str
    region: str  # 行政区划代码, the first six digits of local ID numbers
    weight: int
    departments: tuple[str, ...]
    duty_unit: str
    unresolved_unit: str | None = None  # its 办不成事 / 协调帮办 window, if it has one


_ID = "身份证原件"
DEPARTMENTS: dict[str, DepartmentSpec] = {
    "人社": DepartmentSpec(
        "rs",
        "A",
        (
            MatterSpec("SI-ARREARS", "养老保险费补缴", 5, (_ID, "补缴申请表", "劳动关系证明")),
            MatterSpec("RETIRE-EMP", "职工退休手续办理", 10, (_ID, "职工人事档案", "退休申报表")),
            MatterSpec("SI-QUAL-CERT", "养老保险待遇领取资格认证", 0, (_ID,)),
            MatterSpec(
                "SI-TRANSFER", "养老保险关系转移接续", 15, (_ID, "参保缴费凭证", "转移接续申请表")
            ),
            MatterSpec("UI-CLAIM", "失业保险金申领", 5, (_ID, "解除劳动合同证明", "社会保障卡")),
            MatterSpec("SSC-CARD", "社会保障卡补换", 0, (_ID, "照片回执")),
        ),
        partner=("税务", "社税联办: 社保费缴纳"),
    ),
    "税务": DepartmentSpec(
        "sw",
        "C",
        (
            MatterSpec("TAX-SI-PAY", "城乡居民养老保险费缴纳", 0, (_ID,)),
            MatterSpec("TAX-INVOICE", "发票领用", 0, ("营业执照", "经办人身份证")),
            MatterSpec("TAX-DEED", "契税申报", 1, (_ID, "不动产买卖合同")),
            MatterSpec("TAX-IIT-REFUND", "个人所得税综合所得汇算退税", 5, (_ID, "银行卡")),
        ),
    ),
    "公安": DepartmentSpec(
        "ga",
        "D",
        (
            MatterSpec("PSB-IDCARD", "居民身份证换领", 20, ("户口簿", "原身份证", "照片回执")),
            MatterSpec("PSB-HUKOU-MOVE", "户口迁移", 5, ("户口簿", "准迁证明", "房产证明")),
            MatterSpec("PSB-VEHICLE", "机动车行驶证换领", 0, (_ID, "原行驶证")),
        ),
        licensing=True,
    ),
    "出入境": DepartmentSpec(
        "crj",
        "E",
        (
            MatterSpec("EE-PASSPORT", "普通护照签发", 7, (_ID, "照片回执")),
            MatterSpec("EE-HKMO", "往来港澳通行证及签注", 7, (_ID, "照片回执")),
            MatterSpec("EE-TW", "往来台湾通行证及签注", 7, (_ID, "照片回执", "户口簿")),
        ),
        licensing=True,
    ),
    "民政": DepartmentSpec(
        "mz",
        "F",
        (
            MatterSpec("MZ-DIBAO", "最低生活保障申请", 20, ("户口簿", _ID, "家庭收入证明")),
            MatterSpec("MZ-MARRIAGE", "结婚登记", 0, ("户口簿原件", _ID, "合影照片")),
            MatterSpec("MZ-ELDER", "高龄津贴申领", 10, (_ID, "户口簿", "银行卡")),
            MatterSpec("MZ-DISABLED", "残疾人两项补贴申请", 15, (_ID, "残疾人证", "户口簿")),
        ),
        partner=("医保", "医疗救助: 待遇核定"),
    ),
    "医保": DepartmentSpec(
        "yb",
        "H",
        (
            MatterSpec("YB-FILING", "异地就医备案", 0, (_ID,)),
            MatterSpec("YB-REIMB", "医疗费用手工报销", 20, ("医疗费发票", "费用清单", "出院小结")),
            MatterSpec("YB-CHRONIC", "门诊慢特病待遇认定", 10, ("病历资料", "诊断证明")),
        ),
        partner=("民政", "医疗救助: 救助对象身份核定"),
    ),
    "不动产": DepartmentSpec(
        "bdc",
        "B",
        (
            MatterSpec("BDC-TRANSFER", "二手房转移登记", 3, ("不动产权证书", "买卖合同", _ID)),
            MatterSpec("BDC-MORTGAGE", "不动产抵押登记", 1, ("不动产权证书", "抵押合同")),
            MatterSpec("BDC-FIRST", "新建商品房首次登记", 5, ("竣工验收备案表", "房屋测绘报告")),
        ),
        partner=("税务", "一窗受理: 契税申报"),
        licensing=True,
    ),
    "市场监管": DepartmentSpec(
        "sc",
        "S",
        (
            MatterSpec("SC-EST", "企业设立登记", 1, ("公司章程", "法定代表人身份证", "住所证明")),
            MatterSpec("SC-CHANGE", "企业变更登记", 3, ("变更登记申请书", "股东会决议")),
            MatterSpec(
                "SC-FOOD", "食品经营许可", 10, ("营业执照", "经营场所平面图", "食品安全管理制度")
            ),
        ),
        partner=("税务", "企业开办: 税务登记与发票申领"),
        licensing=True,
    ),
    "公积金": DepartmentSpec(
        "gjj",
        "G",
        (
            MatterSpec("GJJ-WITHDRAW", "住房公积金提取", 0, (_ID, "购房合同或租房证明")),
            MatterSpec("GJJ-LOAN", "住房公积金贷款", 10, (_ID, "购房合同", "收入证明")),
        ),
    ),
}

CENTRES: tuple[CentreSpec, ...] = (
    CentreSpec(
        "huoshan",
        "hs",
        "341525",
        28,
        ("人社", "税务", "公安", "民政", "医保", "不动产", "市场监管", "公积金"),
        "数据局",
    ),
    CentreSpec(
        "donghuashi",
        "dhs",
        "110101",
        8,
        ("人社", "民政", "医保"),
        "街道政务服务中心",
        "办不成事窗口",
    ),
    CentreSpec(
        "jieyang",
        "jy",
        "445202",
        32,
        ("公安", "出入境", "税务", "不动产", "市场监管", "公积金", "人社", "医保"),
        "政数局",
        "协调帮办窗口",
    ),
    CentreSpec(
        "wuhai", "wh", "150302", 17, ("人社", "出入境", "市场监管", "医保", "税务"), "政务服务局"
    ),
    CentreSpec(
        "zhangjiakou",
        "zjk",
        "130702",
        15,
        ("人社", "医保", "税务"),
        "市社保服务中心",
        "办不成事反映窗口",
    ),
)

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)

OPENS, LUNCH, REOPENS, CLOSES = time(9, 0), time(12, 0), time(14, 0), time(17, 30)
_OFFICE_MINUTES = [  # the 5-minute slots of a day's office hours, as minutes after opening
    minute
    for minute in range(0, 8 * 60 + 30, 5)
    if (t := (datetime.combine(date.min, OPENS) + timedelta(minutes=minute)).time()) < LUNCH
    or REOPENS <= t < CLOSES
]
_OFFICE_OFFSETS = [timedelta(minutes=minute) for minute in _OFFICE_MINUTES]


class WorkingDays:
    """Working days and office hours, from the national calendar (weekdays where it has no year)."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar
        self._working: dict[date, bool] = {}

    def is_working(self, day: date) -> bool:
        known = self._working.get(day)
        if known is None:
            try:
                known = self.calendar.is_working_day(day)
            except CalendarNotCoveredError:
                known = day.weekday() < 5
            self._working[day] = known
        return known

    def after(self, day: date, n: int) -> date:
        """The n-th working day after `day`; n = 0: `day` itself if working, else the next one."""
        while n > 0 or not self.is_working(day):
            day += timedelta(days=1)
            if n > 0 and self.is_working(day):
                n -= 1
        return day

    def office_time(
        self, rng: random.Random, day: date, not_before: datetime | None = None
    ) -> datetime:
        """A random moment of office hours on `day` after `not_before`, else the next day's."""
        while True:
            opens = datetime.combine(day, OPENS, BEIJING)
            lo = opens
            if not_before is not None and not_before.date() == day:
                lo = max(lo, not_before + timedelta(minutes=5))
            # The office slots at or after `lo` (the offsets are sorted).
            slots = _OFFICE_MINUTES[bisect.bisect_left(_OFFICE_OFFSETS, lo - opens) :]
            if slots and self.is_working(day):
                return opens + timedelta(minutes=rng.choice(slots))
            day = self.after(day + timedelta(days=1), 0)

    def later(self, rng: random.Random, t: datetime, lo: int, hi: int) -> datetime:
        """A few minutes later (lo..hi); past closing time it is the next working morning."""
        moment = t + timedelta(minutes=rng.randint(lo, hi))
        if moment.time() < CLOSES and self.is_working(moment.date()):
            return moment
        return self.office_time(rng, self.after(moment.date() + timedelta(days=1), 0))

    def on(self, rng: random.Random, t: datetime, n: int) -> datetime:
        """Some time on the n-th working day after t (n = 0: later the same day, by closing)."""
        if n == 0:
            room = (datetime.combine(t.date(), CLOSES, BEIJING) - t) // timedelta(minutes=1)
            return t + timedelta(minutes=rng.randint(0, min(120, max(room, 0))))
        return self.office_time(rng, self.after(t.date(), n))


def national_calendar() -> WorkingCalendar:
    repo_calendars = Path(__file__).parents[3] / DEFAULT_DIR
    return load_jurisdiction("cn", repo_calendars if repo_calendars.is_dir() else DEFAULT_DIR)


def month_plans(month: str, seed: int, count: int, days: WorkingDays) -> list[CasePlan]:
    return [CaseDraw(month, seed, n, days).plan() for n in range(count)]


def month_days(month: str) -> list[date]:
    first = date.fromisoformat(f"{month}-01")
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return [first + timedelta(days=i) for i in range((following - first).days)]


SCENARIOS: dict[str, int] = {
    "on_time": 50,
    "notice": 13,
    "handoff": 8,
    "pause": 7,
    "extension": 6,
    "late": 4,
    "open": 4,
    "refused": 4,
    "withdrawn": 2,
    "denied": 2,
    "returned": 3,
    "pending_handoff": 2,
}

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
        scenario = self.scenario()
        getattr(self, f"_{scenario}")(t, holder)
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

    def scenario(self) -> str:
        weights = dict(SCENARIOS)
        if self.partner() is None:
            weights["handoff"] = weights["returned"] = weights["pending_handoff"] = 0
        if self.matter.days == 0:
            weights["pause"] = weights["extension"] = 0
        elif self.matter.days < 5:
            weights["extension"] = 0
        return self.rng.choices(list(weights), list(weights.values()))[0]

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

    def hand_off(self, t: datetime, by: Staff, to: str, reason: str) -> datetime:
        receiver = self.staff(to, self.rng.randint(1, 3))
        t = self.add(
            by,
            self.days.later(self.rng, t, 3, 20),
            "HandedOff",
            to_department=to,
            to_window=self.window(to, self.clerk_no(receiver)),
            reason=reason,
        )
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

    # --- scenarios (each ends the case's story; `t` is when the clerk first handles it) --------

    def _on_time(self, t: datetime, by: Staff) -> None:
        t = self.accept(t, by)
        outcome = "partially_granted" if self.rng.random() < 0.03 else "granted"
        self.complete(t, by, self.within_limit(), outcome)

    def _notice(self, t: datetime, by: Staff) -> None:
        rng = self.rng
        t, items = self.notice(t, by)
        t = self.supply(t, by, items)
        if rng.random() < 0.2 and (extra := [m for m in self.matter.materials if m not in items]):
            # A second notice that adds items: what 一次性告知 forbids, flagged by the ledger.
            added = [rng.choice(extra)]
            t = self.add(
                by,
                self.days.later(rng, t, 5, 30),
                "OneTimeNoticeIssued",
                items=added,
                channel="in_person",
            )
            t = self.supply(t, by, added)
        t = self.accept(t, by)
        self.complete(t, by, self.within_limit())

    def _handoff(self, t: datetime, by: Staff) -> None:
        to, reason = self.partner() or ("", "")
        t = self.hand_off(t, by, to, reason)
        receiver = self.steps[-1].by
        t = self.accept(t, receiver)
        self.complete(t, receiver, self.within_limit())

    def _returned(self, t: datetime, by: Staff) -> None:
        rng = self.rng
        to, reason = self.partner() or ("", "")
        receiver = self.staff(to, rng.randint(1, 3))
        t = self.add(
            by,
            self.days.later(rng, t, 3, 20),
            "HandedOff",
            to_department=to,
            to_window=self.window(to, self.clerk_no(receiver)),
            reason=reason,
        )
        t = self.add(
            receiver,
            self.days.on(rng, t, rng.randint(0, 1)),
            "HandOffReturned",
            handoff_id=MINTED_HANDOFF,
            reason=rng.choice(
                ["不属本部门办理事项", "前置环节未办结, 退回转出窗口", "转办信息不全"]
            ),
            basis="本事项办事指南",
        )
        t = self.accept(t, by)
        self.complete(t, by, self.within_limit())

    def _pending_handoff(self, t: datetime, by: Staff) -> None:
        to, reason = self.partner() or ("", "")
        receiver = self.staff(to, self.rng.randint(1, 3))
        self.add(
            by,
            self.days.later(self.rng, t, 3, 20),
            "HandedOff",
            to_department=to,
            to_window=self.window(to, self.clerk_no(receiver)),
            reason=reason,
        )

    def _pause(self, t: datetime, by: Staff) -> None:
        rng = self.rng
        t = self.accept(t, by)
        reason = rng.choice(
            [
                "awaiting_data_push",
                "applicant_supplement",
                "expert_review",
                "on_site_inspection",
                "other_department",
            ]
        )
        t = self.add(
            by,
            self.days.on(rng, t, rng.randint(0, self.matter.days // 2)),
            "ClockPaused",
            reason=reason,
        )
        paused_for = 0 if reason == "awaiting_data_push" else rng.randint(1, 5)
        t = self.days.on(rng, t, paused_for)
        if reason == "applicant_supplement":
            self.add(
                by,
                t,
                "MaterialsSupplied",
                items=[rng.choice(self.matter.materials)],
                via=rng.choice(["online", "in_person"]),
            )
        t = self.add(by, self.days.later(rng, t, 1, 30), "ClockResumed")
        self.complete(t, by, rng.randint(0, max(self.matter.days // 2, 1)))

    def _extension(self, t: datetime, by: Staff) -> None:
        rng = self.rng
        t = self.accept(t, by)
        extra = rng.choice([5, 10, 15])
        t = self.add(
            by,
            self.days.on(rng, t, self.matter.days - 1),
            "ExtensionRequested",
            working_days=extra,
            reason=rng.choice(["需现场核查", "需征求相关部门意见", "材料需进一步核实"]),
        )
        approve = rng.random() < 0.7
        opinion = "同意延期" if approve else "不同意延期, 请按原承诺时限办结"
        t = self.add(
            self.head(self.department),
            self.days.later(rng, t, 30, 240),
            "ExtensionDecided",
            extension_id=MINTED_EXTENSION,
            decision="approve" if approve else "reject",
            opinion=opinion,
        )
        self.complete(t, by, rng.randint(1, extra if approve else 3))

    def _late(self, t: datetime, by: Staff) -> None:
        t = self.accept(t, by)
        self.complete(t, by, self.matter.days + self.rng.randint(1, 4))

    def _open(self, t: datetime, by: Staff) -> None:
        rng = self.rng
        t = self.accept(t, by)
        if rng.random() < 0.3 and self.matter.days > 0:
            self.add(
                by,
                self.days.on(rng, t, 1),
                "ClockPaused",
                reason="other_department",
                note="待相关部门回复",
            )

    def _refused(self, t: datetime, by: Staff) -> None:
        rng = self.rng
        missing: list[str] = []
        if rng.random() < 0.6:
            t, missing = self.notice(t, by)
            t = self.days.on(rng, t, rng.randint(3, 8))
            if rng.random() < 0.2:  # cites an item the notice never listed: flagged
                missing = [*missing, "其他证明材料"]
            reason = "申请材料不齐全, 逾期未补正"
        else:
            t = self.days.later(rng, t, 5, 20)
            reason = rng.choice(["不符合申请条件", "不属于本机关职权范围, 已告知向有关机关申请"])
        basis = (
            "《中华人民共和国行政许可法》第三十二条"
            if self.spec.licensing
            else "本事项办事指南(受理条件)"
        )
        self.add(
            by, t, "AcceptanceRefused", reason=reason, legal_basis=basis, missing_materials=missing
        )

    def _withdrawn(self, t: datetime, by: Staff) -> None:
        t = self.days.on(self.rng, t, self.rng.randint(0, 3))
        self.complete(t, by, 0, "withdrawn", "申请人撤回申请")

    def _denied(self, t: datetime, by: Staff) -> None:
        t = self.accept(t, by)
        self.complete(t, by, self.within_limit(), "denied", "经审查不符合条件")


RATING_LEVELS = {5: 72, 4: 18, 3: 6, 2: 3, 1: 1}
REMOTE_RATING_CHANNELS = {"app": 40, "sms": 30, "web": 20, "phone": 10}
UNRESOLVED_CAUSES = {"materials": 30, "policy": 25, "acceptance": 15, "system": 15, "other": 15}


class Pushback:
    """A drawn case's 12345 order, 办不成事 report and rating, in business time, none after the
    month it belongs to (the demo loads the last full month: nothing lands in the future)."""

    def __init__(self, draw: CaseDraw, channel: str) -> None:
        self.draw = draw
        self.channel = channel
        self.rng = random.Random(f"{draw.key}/pushback")
        self.until = datetime.combine(draw.month[-1], time(23, 59), BEIJING)
        self.tail: list[Step] = []

    def add(self) -> None:
        draw = self.draw
        registration = draw.steps[0]
        closing = draw.steps[-1] if len(draw.steps) > 1 else None
        closed_type = closing.body["type"] if closing else None
        completed = closed_type == "Completed" and closing is not None
        if self.channel == "hotline_12345":
            self.ticket(registration, closing if completed else None)
        if self.channel == "unresolved_window" or (
            closed_type == "AcceptanceRefused"
            and draw.centre.unresolved_unit
            and self.rng.random() < 0.3
        ):
            self.report(registration.at, closing)
        if completed and closing is not None and closing.body.get("outcome") != "withdrawn":
            self.rating(closing.at)
        tail = sorted(self.tail, key=lambda step: step.at)  # stable: a chain keeps its order
        draw.steps.extend(step for step in tail if step.at <= self.until)

    def _step(self, by: Staff, at: datetime, type: str, **body: object) -> datetime:
        self.tail.append(event(by, at, type, **body))
        return at

    def ticket(self, registration: Step, completion: Step | None) -> None:
        """The order is received and dispatched at once (inserted after the registration), signed
        for by the department; replied, reviewed and followed up once the case is completed."""
        draw, rng = self.draw, self.rng
        operator = registration.by
        t0 = registration.at
        # Inserted before the case's own next step, so no later than it.
        by_then = draw.steps[1].at if len(draw.steps) > 1 else t0 + timedelta(hours=4)
        opening = [
            event(
                operator,
                t0,
                "HotlineEscalationReceived",
                ticket_no=f"{draw.centre.prefix.upper()}{t0:%Y%m%d}{rng.randint(0, 99999):05d}",
                category=rng.choices(["consultation", "help", "complaint"], [50, 30, 20])[0],
                summary=f"来电咨询{draw.matter.name}办理",
            ),
            event(
                operator,
                min(t0 + timedelta(minutes=2), by_then),
                "HotlineDispatched",
                ticket_id=MINTED_TICKET,
                unit=draw.department,
            ),
            event(
                draw.clerk,
                min(draw.days.later(rng, t0, 3, 240), by_then),
                "HotlineSignedFor",
                ticket_id=MINTED_TICKET,
            ),
        ]
        draw.steps[1:1] = opening
        if completion is None:
            return
        t = self._step(
            draw.head(draw.department),
            draw.days.later(rng, completion.at, 5, 15),
            "HotlineReplied",
            ticket_id=MINTED_TICKET,
            text=f"已办结: {draw.matter.name}",
            unit_claims_resolved=True,
        )
        t = self._step(
            operator,
            t + timedelta(hours=1),
            "HotlineReplyReviewed",
            ticket_id=MINTED_TICKET,
            result="pass",
            opinion="答复规范, 同意办结",
        )
        follow_up: dict[str, object] = {"reachable": rng.random() < 0.9}
        if follow_up["reachable"]:
            satisfaction = rng.choices(
                ["satisfied", "basically_satisfied", "dissatisfied"], [80, 12, 8]
            )[0]
            follow_up |= {"resolved": satisfaction != "dissatisfied", "satisfaction": satisfaction}
            if satisfaction == "dissatisfied":
                follow_up["cause"] = rng.choice(["objective", "applicant"])
        next_morning = datetime.combine(t.date() + timedelta(days=1), time(10), BEIJING)
        self._step(
            operator, next_morning, "HotlineFollowedUp", ticket_id=MINTED_TICKET, **follow_up
        )

    def report(self, registered_at: datetime, closing: Step | None) -> None:
        draw, rng = self.draw, self.rng
        unit = draw.centre.unresolved_unit
        assert unit is not None
        window = clerk(f"{draw.centre.prefix}-bbcs-clerk", unit)
        start = (
            registered_at
            if closing is None or self.channel == "unresolved_window"
            else draw.days.later(rng, closing.at, 30, 30)
        )
        refused = closing is not None and closing.body["type"] == "AcceptanceRefused"
        reported = event(
            window,
            start,
            "UnresolvedReported",
            cause=rng.choices(list(UNRESOLVED_CAUSES), list(UNRESOLVED_CAUSES.values()))[0],
            resolvability="cannot_do" if refused else "hard_to_do",
            tier="simple" if refused else rng.choice(["simple", "complex"]),
            description=f"{draw.matter.name}: 多次来办未果" if not refused else "不予受理后来反映",
        )
        if self.channel == "unresolved_window":  # reported as the case is registered
            draw.steps.insert(1, reported)
        else:
            self.tail.append(reported)
        t = start
        if closing is None:
            return
        if refused:
            closure = rng.choice(["explained_cannot_do", "excluded_own_cause"])
            explanation = (
                "已对照政策文件解释说明并安抚"
                if closure == "explained_cannot_do"
                else ("材料未按一次性告知补正, 属申请人自身原因")
            )
            self._step(
                window,
                draw.days.later(rng, t, 30, 240),
                "UnresolvedClosed",
                report_id=MINTED_REPORT,
                closure=closure,
                explanation=explanation,
            )
        elif closing.body["type"] == "Completed":
            self._step(
                window,
                draw.days.later(rng, closing.at, 10, 30),
                "UnresolvedClosed",
                report_id=MINTED_REPORT,
                closure="resolved",
            )

    def rating(self, completed_at: datetime) -> None:
        draw, rng = self.draw, self.rng
        if rng.random() >= (0.6 if draw.centre.id == "jieyang" else 0.85):
            return  # not rated: where the policy sets a default, the ledger's timer records it
        in_person = self.channel in ("window", "self_service", "unresolved_window")
        channel = (
            "counter_device"
            if in_person
            else rng.choices(list(REMOTE_RATING_CHANNELS), list(REMOTE_RATING_CHANNELS.values()))[0]
        )
        level = rng.choices(list(RATING_LEVELS), list(RATING_LEVELS.values()))[0]
        dimensions = {"overall": level, "attitude": min(5, level + rng.randint(0, 1))}
        t = self._step(
            draw.clerk,
            draw.days.later(rng, completed_at, 1, 10),
            "Rated",
            level=level,
            channel=channel,
            dimensions=dimensions,
            **({"comment": "办理时间太长, 来回跑"} if level <= 2 else {}),
        )
        if level > 2:
            return
        head = draw.head(draw.department)
        t = draw.days.on(rng, t, 1)
        valid = rng.random() < 0.8
        self._step(
            head,
            t,
            "BadReviewVerified",
            rating_id=MINTED_RATING,
            validity="valid" if valid else "mistaken",
            note="回访核实" + ("属实" if valid else ": 申请人误点"),
        )
        if not valid:
            director = Staff(
                f"{draw.centre.prefix}-director", ("centre_director",), draw.centre.duty_unit
            )
            self._step(
                director,
                draw.days.on(rng, t, 1),
                "BadReviewAppealReviewed",
                rating_id=MINTED_RATING,
                upheld=True,
                opinion="核实为误评, 不计入",
            )
            return
        t = draw.days.on(rng, t, rng.choice([0, 1, 3, 8, 18]))  # a few late
        self._step(
            draw.clerk,
            t,
            "BadReviewRectified",
            rating_id=MINTED_RATING,
            rectification=rng.choice(["immediate", "scheduled", "explained"]),
            action="窗口整改: 一次性告知到位",
            feedback="电话反馈整改情况",
        )
        self._step(
            draw.clerk,
            draw.days.later(rng, t, 30, 120),
            "ReRated",
            rating_id=MINTED_RATING,
            level=4,
        )
