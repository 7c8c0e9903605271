"""The synthetic month's five centres, their departments and the matters each department handles.

Weights, windows' queue letters, usual hand-off partners and whether refusals cite the 行政许可法:
the fixed world `CaseDraw` draws a case from. Changing any value changes the drawn cases (and so
a rerun's Idempotency-Keys): add, don't edit.
"""

from __future__ import annotations

from dataclasses import dataclass


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
