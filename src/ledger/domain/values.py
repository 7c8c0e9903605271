"""Values every part of a case shares: who acts (`Role`, `Actor`), what the case is (`Channel`,
`Matter`, `Priority`, `CaseStatus`, `Outcome`), time limits, decisions and the masked applicant.

Values of one concept live beside it (clock, hand-offs, exceptions, 12345, 办不成事, 好差评)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import msgspec


class Role(StrEnum):
    """Roles carried by a credential (DESIGN §7); approver roles come from policies later."""

    CLERK = "clerk"  # 窗口人员
    WINDOW_LEAD = "window_lead"  # 窗口负责人
    DEPARTMENT_HEAD = "department_head"  # 部门负责人 / 首席代表
    CENTRE_DIRECTOR = "centre_director"  # 中心主任
    DUTY_OFFICER = "duty_officer"  # 值班
    HOTLINE_OPERATOR = "hotline_operator"  # 12345 话务 / 派单
    AUDITOR = "auditor"  # reads everything, writes nothing
    DASHBOARD = "dashboard"  # reads projections only
    ADMIN = "admin"  # operates the ledger; appends no business events
    SYSTEM = "system"  # the ledger's own timers (e.g. a commitment breached at its due date)
    RATING_CHANNEL = "rating_channel"  # 好差评 system's relay (评价器, app, SMS, web)


class Channel(StrEnum):
    WINDOW = "window"
    ONLINE = "online"
    PHONE = "phone"
    HOTLINE_12345 = "hotline_12345"
    SELF_SERVICE = "self_service"
    UNRESOLVED_WINDOW = "unresolved_window"  # 办不成事 / 协调帮办 window


class Priority(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"
    GREEN_CHANNEL = "green_channel"  # 绿色通道


class CaseStatus(StrEnum):
    RECEIVED = "received"  # registered, not yet accepted (收件)
    AWAITING_MATERIALS = "awaiting_materials"  # one-time notice outstanding (补正)
    ACCEPTED = "accepted"  # 受理: the promised clock runs
    COMPLETED = "completed"  # 办结
    REFUSED = "refused"  # 不予受理

    @property
    def is_closed(self) -> bool:
        return self in (CaseStatus.COMPLETED, CaseStatus.REFUSED)


class LimitUnit(StrEnum):
    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    HOURS = "hours"
    MINUTES = "minutes"


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


class Outcome(StrEnum):
    GRANTED = "granted"  # 准予 / 办结
    PARTIALLY_GRANTED = "partially_granted"
    DENIED = "denied"  # 不予许可
    WITHDRAWN = "withdrawn"  # applicant withdrew
    REFERRED = "referred"  # redirected to another authority


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """Who did it, as the credential says: never taken from a request body."""

    id: str
    roles: tuple[Role, ...]
    unit: str | None = None


class Matter(msgspec.Struct, frozen=True, kw_only=True):
    """A service matter (事项) from the centre's catalogue."""

    code: str
    name: str


class TimeLimit(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    value: Annotated[int, msgspec.Meta(ge=0, le=100_000)]
    unit: LimitUnit


class MaskedValue(msgspec.Struct, frozen=True, kw_only=True):
    """A personal identifier as the log may hold it: a masked display value and a keyed token."""

    masked: str
    token: str


class ApplicantRef(msgspec.Struct, frozen=True, kw_only=True):
    """The applicant as events hold them: masked values and HMAC tokens, never raw identifiers."""

    name: str  # masked, e.g. 李*
    id_number: MaskedValue | None = None
    phone: MaskedValue | None = None
    bank_card: MaskedValue | None = None
