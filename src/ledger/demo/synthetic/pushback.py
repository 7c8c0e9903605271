"""The public's pushback on a synthetic case: its 12345 order, 办不成事 report and rating.

A 12345 order on each hotline case, a 办不成事 report on each case from the 办不成事 window and
some refusals, and a rating on most completed services (a few 差评, verified and rectified),
drawn from a second stream (`{key}/pushback`) so the cases' own steps stay as they were.
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
