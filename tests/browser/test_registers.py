"""The registers in a real browser: 12345 orders appended over the API show on the register page,
the filter form narrows them, and a row's link leads to its case page; the 办不成事 register too."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Page, expect

from tests.browser.conftest import Served, screenshot
from tests.conftest import registration

CENTRE = "huoshan"


class Floor:
    """Writes over the API, as the 12345 platform and the windows do."""

    def __init__(self, served: Served) -> None:
        self.http = served.http()
        self.clerk = served.headers("clerk-reg", "clerk", unit="人社", centres=(CENTRE,))
        self.clerk_yb = served.headers("clerk-reg-yb", "clerk", unit="医保", centres=(CENTRE,))
        self.duty = served.headers("duty-reg", "duty_officer", unit="值班", centres=(CENTRE,))
        self.hotline = served.headers("hl-reg", "hotline_operator", unit="12345")
        self.position = 0

    def register(self, at: datetime, **overrides: Any) -> str:
        body = registration(centre=CENTRE, occurred_at=at.isoformat(), **overrides)
        response = self.http.post("/cases", json=body, headers=self.clerk)
        assert response.status_code == 201, response.text
        return str(response.json()["case_id"])

    def append(
        self, case_id: str, who: dict[str, str], event_type: str, at: datetime, **fields: Any
    ) -> dict[str, Any]:
        body = {"type": event_type, "occurred_at": at.isoformat(), **fields}
        response = self.http.post(f"/cases/{case_id}/events", json=body, headers=who)
        assert response.status_code == 201, response.text
        self.position = max(self.position, int(response.json()["position"]))
        return dict(response.json())

    def order(self, at: datetime, number: str, **fields: Any) -> tuple[str, str]:
        case_id = self.register(at - timedelta(minutes=1))
        body = {"ticket_no": number, "category": "complaint", "summary": "反映窗口办事拖延"}
        written = self.append(case_id, self.hotline, "HotlineEscalationReceived", at,
                              **{**body, **fields})  # fmt: skip
        return case_id, str(written["ticket_id"])

    def caught_up(self) -> None:
        """Until the views have projected every write (the registers wait for it)."""
        for path in ("/hotline/tickets", "/unresolved"):
            response = self.http.get(
                path, params={"centre": CENTRE, "min_position": self.position}, headers=self.duty
            )
            assert response.status_code == 200, response.text


def ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def a_month_of_orders(floor: Floor) -> dict[str, Any]:
    """Five orders in the states a duty officer sees: late and signed for, never signed for,
    urgent and nearly due, fresh, answered at intake."""
    tag = secrets.token_hex(2).upper()
    numbers = {
        k: f"HS-{tag}-{i}" for i, k in enumerate(("late", "unsigned", "urgent", "fresh", "done"))
    }
    late_case, late = floor.order(ago(days=30), numbers["late"])
    floor.append(late_case, floor.hotline, "HotlineDispatched", ago(days=30), ticket_id=late,
                 unit="人社")  # fmt: skip
    floor.append(late_case, floor.hotline, "HotlineDispatched", ago(days=30), ticket_id=late,
                 unit="医保", role="assist")  # fmt: skip
    floor.append(late_case, floor.clerk, "HotlineSignedFor", ago(days=30) + timedelta(hours=1),
                 ticket_id=late)  # fmt: skip
    # Twenty days back: past its 签收 limit whatever the weekday and holidays (three days back
    # from early on a Monday, Beijing time, is Friday, due to be signed for by Monday's end).
    unsigned_case, unsigned = floor.order(
        ago(days=20), numbers["unsigned"], category="consultation"
    )
    floor.append(unsigned_case, floor.hotline, "HotlineDispatched", ago(days=20),
                 ticket_id=unsigned, unit="医保")  # fmt: skip
    urgent_case, urgent = floor.order(ago(minutes=12), numbers["urgent"], urgency="life_property",
                                      category="help", summary="燃气泄漏求助")  # fmt: skip
    floor.append(urgent_case, floor.hotline, "HotlineDispatched", ago(minutes=12),
                 ticket_id=urgent, unit="人社")  # fmt: skip
    fresh_case, fresh = floor.order(ago(hours=2), numbers["fresh"], category="suggestion",
                                    summary="建议延长午间办公时间")  # fmt: skip
    floor.append(fresh_case, floor.hotline, "HotlineDispatched", ago(hours=2), ticket_id=fresh,
                 unit="人社")  # fmt: skip
    floor.append(fresh_case, floor.clerk, "HotlineSignedFor", ago(hours=1), ticket_id=fresh)
    done_case, done = floor.order(ago(hours=5), numbers["done"], category="consultation",
                                  summary="咨询社保补缴材料")  # fmt: skip
    floor.append(done_case, floor.hotline, "HotlineClosed", ago(hours=4), ticket_id=done,
                 closure="answered_at_intake", note="知识库直接答复")  # fmt: skip
    return {"numbers": numbers, "late_case": late_case}


def some_reports(floor: Floor) -> None:
    """办不成事: one late, one fresh about another window, one closed."""
    fresh = {"cause": "policy", "resolvability": "cannot_do", "tier": "special", "window": "2F-11"}
    for days, closed, fields in [
        (12, False, {"cause": "materials", "resolvability": "hard_to_do", "tier": "complex"}),
        (0.1, False, fresh),
        (4, True, {"cause": "system", "resolvability": "hard_to_do", "tier": "complex"}),
    ]:
        case_id = floor.register(ago(days=days, minutes=1))
        report = floor.append(case_id, floor.clerk, "UnresolvedReported", ago(days=days),
                              description="材料要求不一致", **fields)["report_id"]  # fmt: skip
        if closed:
            at = ago(days=days) + timedelta(hours=2)
            floor.append(case_id, floor.clerk, "UnresolvedFeedbackGiven",
                         at - timedelta(minutes=2), report_id=report, outcome="resolved",
                         method="phone", content="电话告知已办成")  # fmt: skip
            floor.append(case_id, floor.duty, "UnresolvedVerified", at - timedelta(minutes=1),
                         report_id=report, confirmed=True, note="回访核实")  # fmt: skip
            floor.append(case_id, floor.duty, "UnresolvedClosed", at, report_id=report,
                         closure="resolved")  # fmt: skip


def test_the_12345_register_filters_and_links_each_order_to_its_case(
    served: Served, sign_in: Callable[[str], Any]
) -> None:
    floor = Floor(served)
    orders = a_month_of_orders(floor)
    floor.caught_up()
    numbers = orders["numbers"]
    page: Page = sign_in(served.token("duty-reg-page", "duty_officer", unit="值班",
                                      centres=(CENTRE,)))  # fmt: skip
    page.goto(f"{served.url}/ui/registers/hotline?centre={CENTRE}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("12345工单")
    for number in numbers.values():
        expect(page.get_by_role("link", name=number)).to_be_visible()
    late = page.locator("tr", has=page.get_by_role("link", name=numbers["late"]))
    expect(late).to_contain_text("超时")
    expect(late).to_contain_text("办理中")
    screenshot(page, "registers-hotline")

    page.get_by_label("状态").select_option("overdue")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(lambda url: "status=overdue" in url)
    expect(page.get_by_role("link", name=numbers["late"])).to_be_visible()
    expect(page.get_by_role("link", name=numbers["unsigned"])).to_be_visible()
    for kept_out in ("fresh", "done"):
        expect(page.get_by_role("link", name=numbers[kept_out])).to_have_count(0)
    assert "status=overdue" in str(page.get_by_role("link", name="导出 CSV").get_attribute("href"))

    page.get_by_role("link", name=numbers["late"]).click()
    page.wait_for_url(f"**/ui/cases/{orders['late_case']}")


def test_the_unresolved_register_shows_reports_and_counts_by_window(
    served: Served, sign_in: Callable[[str], Any]
) -> None:
    floor = Floor(served)
    some_reports(floor)
    floor.caught_up()
    page: Page = sign_in(served.token("duty-reg-bb", "duty_officer", unit="值班",
                                      centres=(CENTRE,)))  # fmt: skip
    page.goto(f"{served.url}/ui/registers/unresolved?centre={CENTRE}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("办不成事")
    expect(page.get_by_role("heading", name="按窗口")).to_be_visible()
    expect(page.locator("tbody tr", has_text="2F-11").first).to_be_visible()
    page.get_by_label("原因").select_option("policy")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url(lambda url: "cause=policy" in url)
    expect(page.locator("tr.row-green, tr.row-amber, tr.row-red").first).to_contain_text("政策")
    page.goto(f"{served.url}/ui/registers/unresolved?centre={CENTRE}")
    screenshot(page, "registers-unresolved")
