"""The public's pushback on a synthetic case: its 12345 order, 办不成事 report and rating.

A 12345 order on each hotline case, a 办不成事 report on each case from the 办不成事 window, the
report every refusal and denial files with it (否定答复) worked to its end, and a rating on most
completed services (a few 差评, verified and rectified), drawn from a second stream
(`{key}/pushback`) so the cases' own steps stay as they were. A report closes after a 反馈 and a
核查, both checked and closed by the centre's director (independent of the window it concerns);
ratings come through the centre's 好差评 relay, never from the clerk who served.
"""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from ledger.demo.plan import (
    BEIJING,
    MINTED_RATING,
    MINTED_REPORT,
    MINTED_TICKET,
    Staff,
    Step,
    clerk,
    event,
)

if TYPE_CHECKING:
    from ledger.demo.synthetic.draw import CaseDraw

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
        refused = closed_type == "AcceptanceRefused" or (
            completed and closing is not None and closing.body.get("outcome") == "denied"
        )
        if self.channel == "hotline_12345":
            self.ticket(registration, closing if completed else None)
        if self.channel == "unresolved_window":
            self.report(registration.at, closing, refused)
        elif refused and closing is not None:  # its report was filed with it (否定答复)
            self.work_report(closing.by, closing.at, closing, refused)
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

    def report(self, registered_at: datetime, closing: Step | None, refused: bool) -> None:
        """A report entered as the case is registered at the 办不成事 window; a refusal of the
        case later is recorded in it."""
        draw, rng = self.draw, self.rng
        unit = draw.centre.unresolved_unit
        assert unit is not None
        window = clerk(f"{draw.centre.prefix}-bbcs-clerk", unit)
        reported = event(
            window,
            registered_at,
            "UnresolvedReported",
            cause=rng.choices(list(UNRESOLVED_CAUSES), list(UNRESOLVED_CAUSES.values()))[0],
            resolvability="hard_to_do",
            tier=rng.choice(["simple", "complex"]),
            description=f"{draw.matter.name}: 多次来办未果",
        )
        draw.steps.insert(1, reported)  # reported as the case is registered
        if closing is not None and closing.body["type"] in ("Completed", "AcceptanceRefused"):
            self.work_report(window, registered_at, closing, refused)

    def work_report(self, handler: Staff, start: datetime, closing: Step, refused: bool) -> None:
        """反馈 by `handler` once the case closed, then the director's 核查 and closure."""
        draw, rng = self.draw, self.rng
        director = Staff(
            f"{draw.centre.prefix}-director", ("centre_director",), draw.centre.duty_unit
        )
        if refused:
            closure = rng.choice(["explained_cannot_do", "excluded_own_cause"])
            explanation = (
                "已对照政策文件解释说明并安抚"
                if closure == "explained_cannot_do"
                else "材料未按一次性告知补正, 属申请人自身原因"
            )
        else:
            closure, explanation = "resolved", None
        t = draw.days.later(rng, max(start, closing.at), 10, 120)
        self._step(
            handler, t, "UnresolvedFeedbackGiven", report_id=MINTED_REPORT, outcome=closure,
            method=rng.choice(["phone", "in_person"]), content=explanation or "已办结, 告知本人",
        )  # fmt: skip
        t = draw.days.later(rng, t, 10, 60)
        self._step(
            director, t, "UnresolvedVerified", report_id=MINTED_REPORT, confirmed=True,
            note="电话回访核实",
        )  # fmt: skip
        self._step(
            director, draw.days.later(rng, t, 5, 30), "UnresolvedClosed",
            report_id=MINTED_REPORT, closure=closure,
            **({"explanation": explanation} if explanation else {}),
        )  # fmt: skip

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
        relay = Staff(f"{draw.centre.prefix}-haochaping", ("rating_channel",), None)
        t = self._step(
            relay,
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
            relay,
            draw.days.later(rng, t, 30, 120),
            "ReRated",
            rating_id=MINTED_RATING,
            level=4,
        )
