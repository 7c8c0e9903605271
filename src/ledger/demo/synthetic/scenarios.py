"""The synthetic cases' stories after registration: how often each happens, and each one's steps.

Most cases are accepted and completed on time; some get a one-time notice (a few a second one
that adds items, which the ledger flags), hand-offs (signed for, returned, or still pending),
clock pauses, extension requests decided by the department head, late completions, refusals,
withdrawals and open cases. Each scenario ends the case's story; `t` is when the clerk first
handles it, `by` that clerk.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from ledger.demo.plan import MINTED_EXTENSION, MINTED_HANDOFF, Staff
from ledger.domain.clock import STATUTORY_PAUSES, PauseReason

if TYPE_CHECKING:
    from ledger.demo.synthetic.draw import CaseDraw

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


def choose(draw: CaseDraw) -> str:
    """A scenario the case's matter and department allow, by `SCENARIOS`' weights."""
    weights = dict(SCENARIOS)
    if draw.partner() is None:
        weights["handoff"] = weights["returned"] = weights["pending_handoff"] = 0
    if draw.matter.days == 0:
        weights["pause"] = weights["extension"] = 0
    elif draw.matter.days < 5:
        weights["extension"] = 0
    return draw.rng.choices(list(weights), list(weights.values()))[0]


def tell(draw: CaseDraw, scenario: str, t: datetime, by: Staff) -> None:
    _STORIES[scenario](draw, t, by)


def _on_time(draw: CaseDraw, t: datetime, by: Staff) -> None:
    t = draw.accept(t, by)
    outcome = "partially_granted" if draw.rng.random() < 0.03 else "granted"
    draw.complete(t, by, draw.within_limit(), outcome)


def _notice(draw: CaseDraw, t: datetime, by: Staff) -> None:
    rng = draw.rng
    t, items = draw.notice(t, by)
    t = draw.supply(t, by, items)
    if rng.random() < 0.2 and (extra := [m for m in draw.matter.materials if m not in items]):
        # A second notice that adds items: what 一次性告知 forbids, flagged by the ledger.
        added = [rng.choice(extra)]
        t = draw.add(
            by,
            draw.days.later(rng, t, 5, 30),
            "OneTimeNoticeIssued",
            items=added,
            channel="in_person",
        )
        t = draw.supply(t, by, added)
    t = draw.accept(t, by)
    draw.complete(t, by, draw.within_limit())


def _handoff(draw: CaseDraw, t: datetime, by: Staff) -> None:
    to, reason = draw.partner() or ("", "")
    t = draw.hand_off(t, by, to, reason)
    receiver = draw.steps[-1].by
    t = draw.accept(t, receiver)
    draw.complete(t, receiver, draw.within_limit())


def _returned(draw: CaseDraw, t: datetime, by: Staff) -> None:
    rng = draw.rng
    to, reason = draw.partner() or ("", "")
    t, receiver = draw.hand_over(t, by, to, reason)
    t = draw.add(
        receiver,
        draw.days.on(rng, t, rng.randint(0, 1)),
        "HandOffReturned",
        handoff_id=MINTED_HANDOFF,
        reason=rng.choice(["不属本部门办理事项", "前置环节未办结, 退回转出窗口", "转办信息不全"]),
        basis="本事项办事指南",
    )
    t = draw.accept(t, by)
    draw.complete(t, by, draw.within_limit())


def _pending_handoff(draw: CaseDraw, t: datetime, by: Staff) -> None:
    to, reason = draw.partner() or ("", "")
    draw.hand_over(t, by, to, reason)


_EVIDENCE = {
    "awaiting_data_push": "数据共享平台推送故障工单",
    "on_site_inspection": "现场核查通知书",
    "other_department": "征求意见函(部门会签)",
}
"""What a non-statutory pause rests on, as the department head records it."""


def _pause(draw: CaseDraw, t: datetime, by: Staff) -> None:
    rng = draw.rng
    t = draw.accept(t, by)
    reason = rng.choice(
        [
            "awaiting_data_push",
            "applicant_supplement",
            "expert_review",
            "on_site_inspection",
            "other_department",
        ]
    )
    # Only 补正 and 第四十五条's exclusions stop the clock on a clerk's word; any other wait, the
    # department head records with its evidence.
    statutory = PauseReason(reason) in STATUTORY_PAUSES
    t = draw.add(
        by if statutory else draw.head(draw.department),
        draw.days.on(rng, t, rng.randint(0, draw.matter.days // 2)),
        "ClockPaused",
        reason=reason,
        **({} if statutory else {"evidence": _EVIDENCE[reason]}),
    )
    paused_for = 0 if reason == "awaiting_data_push" else rng.randint(1, 5)
    t = draw.days.on(rng, t, paused_for)
    if reason == "applicant_supplement":
        draw.add(
            by,
            t,
            "MaterialsSupplied",
            items=[rng.choice(draw.matter.materials)],
            via=rng.choice(["online", "in_person"]),
        )
    t = draw.add(by, draw.days.later(rng, t, 1, 30), "ClockResumed")
    draw.complete(t, by, rng.randint(0, max(draw.matter.days // 2, 1)))


def _extension(draw: CaseDraw, t: datetime, by: Staff) -> None:
    rng = draw.rng
    t = draw.accept(t, by)
    extra = min(rng.choice([5, 10, 15]), 10)  # 第四十二条: at most 10 working days in all
    t = draw.add(
        by,
        draw.days.on(rng, t, draw.matter.days - 1),
        "ExtensionRequested",
        working_days=extra,
        reason=rng.choice(["需现场核查", "需征求相关部门意见", "材料需进一步核实"]),
    )
    approve = rng.random() < 0.7
    opinion = "同意延期" if approve else "不同意延期, 请按原承诺时限办结"
    t = draw.add(
        draw.head(draw.department),
        draw.days.later(rng, t, 30, 240),
        "ExtensionDecided",
        extension_id=MINTED_EXTENSION,
        decision="approve" if approve else "reject",
        opinion=opinion,
        **({"notified_via": "written"} if approve else {}),  # 延期告知书: the reason, in writing
    )
    draw.complete(t, by, rng.randint(1, extra if approve else 3))


def _late(draw: CaseDraw, t: datetime, by: Staff) -> None:
    t = draw.accept(t, by)
    draw.complete(t, by, draw.matter.days + draw.rng.randint(1, 4))


def _open(draw: CaseDraw, t: datetime, by: Staff) -> None:
    rng = draw.rng
    t = draw.accept(t, by)
    if rng.random() < 0.3 and draw.matter.days > 0:
        draw.add(
            draw.head(draw.department),
            draw.days.on(rng, t, 1),
            "ClockPaused",
            reason="other_department",
            note="待相关部门回复",
            evidence=_EVIDENCE["other_department"],
        )


def _refused(draw: CaseDraw, t: datetime, by: Staff) -> None:
    rng = draw.rng
    missing: list[str] = []
    if rng.random() < 0.6:
        t, missing = draw.notice(t, by)
        t = draw.days.on(rng, t, rng.randint(3, 8))
        if rng.random() < 0.2:  # cites an item the notice never listed: flagged
            missing = [*missing, "其他证明材料"]
        reason = "申请材料不齐全, 逾期未补正"
    else:
        t = draw.days.later(rng, t, 5, 20)
        reason = rng.choice(["不符合申请条件", "不属于本机关职权范围, 已告知向有关机关申请"])
    basis = (
        "《中华人民共和国行政许可法》第三十二条"
        if draw.spec.licensing
        else "本事项办事指南(受理条件)"
    )
    draw.add(
        by, t, "AcceptanceRefused", reason=reason, legal_basis=basis, missing_materials=missing
    )


def _withdrawn(draw: CaseDraw, t: datetime, by: Staff) -> None:
    t = draw.days.on(draw.rng, t, draw.rng.randint(0, 3))
    draw.complete(t, by, 0, "withdrawn", "申请人撤回申请")


def _denied(draw: CaseDraw, t: datetime, by: Staff) -> None:
    t = draw.accept(t, by)
    draw.complete(t, by, draw.within_limit(), "denied", "经审查不符合条件")


_STORIES: dict[str, Callable[[CaseDraw, datetime, Staff], None]] = {
    "on_time": _on_time,
    "notice": _notice,
    "handoff": _handoff,
    "returned": _returned,
    "pending_handoff": _pending_handoff,
    "pause": _pause,
    "extension": _extension,
    "late": _late,
    "open": _open,
    "refused": _refused,
    "withdrawn": _withdrawn,
    "denied": _denied,
}
