"""The 值班看板 page, its sections fragment and its event stream, through the app on a real
PostgreSQL with the board's projections running: what a duty officer reads, worked out by hand
from cases written over the API, tenancy as error pages, and the stream naming each append."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import anyio
import pytest
from litestar.testing import TestClient

from ledger.api.ui import board as board_page
from ledger.api.ui.board import BoardFeed
from ledger.application.service import Ledger
from ledger.application.tokens import create_token
from ledger.config.settings import Settings
from ledger.domain.values import Role
from ledger.projections.waiter import PositionWaiter
from tests.api.support import append
from tests.conftest import registration
from tests.views_support import module_client_with_views, module_scoped_ledger

database, ledger = module_scoped_ledger()
client = module_client_with_views()

BEIJING = timedelta(hours=8)
Headers = dict[str, str]


@pytest.fixture(scope="module")
def session(settings: Settings) -> Callable[..., Headers]:
    """session("duty-1", "duty_officer", centres=(...)): the page cookie of a signed-in person."""

    def make(
        actor: str, *roles: str, unit: str | None = None, centres: tuple[str, ...] = ("*",)
    ) -> Headers:
        token = create_token(
            settings.token_secret, actor, [Role(r) for r in roles], unit, 3600, centres=centres
        )
        return {"Cookie": f"ledger_session={token}"}

    return make


def ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def beijing(moment: datetime) -> str:
    return (moment.astimezone(UTC) + BEIJING).strftime("%Y-%m-%d %H:%M")


def head(ledger: Ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


def text_of(html: str) -> str:
    """The page's words, tags dropped and spaces squeezed (what a reader sees, roughly)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def section(html: str, ident: str) -> str:
    """The words of `<section id=ident>`."""
    found = re.search(rf'<section id="{ident}".*?</section>', html, re.DOTALL)
    assert found, f"no section {ident}"
    return text_of(found.group(0))


def row_of(html: str, needle: str) -> str:
    """The words of the table row holding `needle`."""
    found = [r for r in re.findall(r"<tr.*?</tr>", html, re.DOTALL) if needle in r]
    assert found, f"no row with {needle}"
    return text_of(found[0])


class Floor:
    """One centre's floor written over the API: what the board must show, by hand."""

    def __init__(self, client: TestClient[Any], token_for: Callable[..., Headers], centre: str):
        self.client, self.centre = client, centre
        self.clerk = token_for("clerk-bp", "clerk", unit="人社")
        self.duty = token_for("duty-bp", "duty_officer", unit="值班")
        self.hotline = token_for("hl-bp", "hotline_operator", unit="12345")

    def register(self, at: datetime, **overrides: Any) -> dict[str, Any]:
        body = registration(centre=self.centre, occurred_at=at.isoformat(), **overrides)
        response = self.client.post("/cases", json=body, headers=self.clerk)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def event(
        self, case: dict[str, Any], who: Headers, event_type: str, at: datetime, **fields: Any
    ) -> dict[str, Any]:
        body = {"type": event_type, "occurred_at": at.isoformat(), **fields}
        return append(self.client, str(case["case_id"]), who, body)


@pytest.fixture(scope="module")
def floor(
    client: TestClient[Any],
    ledger: Ledger,
    token_for: Callable[..., Headers],
    new_centre: Callable[[str], str],
) -> dict[str, Any]:
    f = Floor(client, token_for, new_centre("board"))
    accepted_at = ago(hours=5)
    late = f.register(accepted_at, promised_limit={"value": 2, "unit": "hours"})
    f.event(late, f.clerk, "Accepted", accepted_at)
    handed_at = ago(hours=2)
    held = f.register(ago(hours=3), window="2F-09")
    handoff = f.event(
        held, f.clerk, "HandedOff", handed_at, to_department="税务", to_window="1F-03",
        reason="社税联办: 绑卡缴费",
    )  # fmt: skip
    asked_at = ago(hours=3)
    waived = f.register(asked_at)
    f.event(
        waived, f.clerk, "ExceptionRequested", asked_at, kind="missing_materials",
        rule_waived="材料齐全方可受理", basis="容缺受理事项清单",
        justification="申请人在外地，次要材料后补", waived_items=["银行卡复印件"],
        compensating_controls=[],
        credit_check={"result": "clear", "source": "信用中国", "checked_at": asked_at.isoformat()},
    )  # fmt: skip
    called_at = ago(minutes=30)
    called = f.register(called_at, channel="hotline_12345")
    ticket = f.event(
        called, f.hotline, "HotlineEscalationReceived", called_at, ticket_no="HSBP0001",
        category="complaint", summary="窗口推诿，来回跑",
    )  # fmt: skip
    f.event(
        called,
        f.hotline,
        "HotlineDispatched",
        called_at,
        ticket_id=ticket["ticket_id"],
        unit="人社",
    )
    f.event(
        late, f.duty, "DutyIntervention", ago(minutes=1), action="走流程: 与税务窗口商定代为绑卡",
        escalation_threat="defused", threatened_channel="12345",
    )  # fmt: skip
    return {
        "centre": f.centre,
        "late": late,
        "accepted_at": accepted_at,
        "held": held,
        "handoff": handoff,
        "waived": waived,
        "called": called,
        "position": head(ledger),
    }


def test_the_board_shows_the_floor_as_worked_out_by_hand(
    client: TestClient[Any], session: Callable[..., Headers], floor: dict[str, Any]
) -> None:
    centre = floor["centre"]
    duty = session("duty-bp", "duty_officer", unit="值班", centres=(centre,))

    response = client.get(
        f"/ui/board?centre={centre}", headers={**duty, "Ledger-Position": str(floor["position"])}
    )

    assert response.status_code == 200, response.text
    html = response.text
    assert "<title>值班看板 · " in html
    stats = text_of(re.search(r'<ul class="stats".*?</ul>', html, re.DOTALL).group(0))  # type: ignore[union-attr]
    assert "在办案件 4 超时 1 临期 0 正常 0 未计时 3" in stats
    assert "移交待签收 1" in stats and "例外待审批 1" in stats
    assert "12345工单（未办结） 1" in stats and "今日值班干预 1" in stats
    assert "退回（近7天） 0" in stats

    # Accepted 5 hours ago on a 2-hour promise: 3 hours overdue, due at acceptance + 2 h.
    late = row_of(html, floor["late"]["case_no"])
    assert "超时 超时 3小时" in late  # the badge's word, then what is left
    assert beijing(floor["accepted_at"] + timedelta(hours=2)) in late
    assert "已受理" in late and "2F-07" in late
    assert 'class="row-red"' in re.search(  # type: ignore[union-attr]
        rf"<tr[^>]*>(?:(?!</tr>).)*{floor['late']['case_no']}", html, re.DOTALL
    ).group(0)

    held = row_of(html, floor["held"]["case_no"])  # its open-cases row comes first
    assert "移交待签收" in held and "未计时" in held

    handoffs = section(html, "handoffs-pending")
    assert floor["held"]["case_no"] in handoffs
    assert "人社 2F-09 税务 1F-03 社税联办: 绑卡缴费" in handoffs
    assert "2小时" in handoffs

    assert "近 7 天没有退回的移交。" in section(html, "handoffs-returned")

    exceptions = section(html, "exceptions-waiting")
    assert "窗口负责人 待审批 1 件" in exceptions
    assert (
        f"{floor['waived']['case_no']} 容缺受理 第 1/2 层：窗口负责人 clerk-bp 3小时" in exceptions
    )

    hotline = section(html, "hotline-tickets")
    assert f"HSBP0001 {floor['called']['case_no']} 投诉 待签收 人社" in hotline
    assert "第 1 轮" in hotline

    interventions = section(html, "interventions")
    assert "走流程: 与税务窗口商定代为绑卡 已化解（12345）" in interventions
    assert "duty-bp" in interventions

    assert f'href="/ui/cases/{floor["late"]["case_id"]}"' in html
    assert 'data-stream="/ui/board/stream?centre=' in html
    assert '<script src="/ui/static/board.js"' in html


def test_a_case_returned_twice_shows_its_second_round_highlighted(
    client: TestClient[Any],
    session: Callable[..., Headers],
    token_for: Callable[..., Headers],
    new_centre: Callable[[str], str],
) -> None:
    f = Floor(client, token_for, new_centre("returns"))
    tax = token_for("clerk-tax-bp", "clerk", unit="税务")
    case = f.register(ago(hours=6), window="2F-09")
    rounds = (
        ("社税联办", "缺户籍证明", ago(hours=4)),
        ("补齐户籍证明", "非本窗口事项", ago(hours=1)),
    )
    for reason, why, returned_at in rounds:
        handoff = f.event(
            case, f.clerk, "HandedOff", returned_at - timedelta(minutes=30),
            to_department="税务", to_window="1F-03", reason=reason,
        )  # fmt: skip
        written = f.event(
            case, tax, "HandOffReturned", returned_at, handoff_id=handoff["handoff_id"],
            reason=why,
        )  # fmt: skip
    duty = session("duty-bp", "duty_officer", centres=(f.centre,))

    html = client.get(
        f"/ui/board?centre={f.centre}",
        headers={**duty, "Ledger-Position": str(written["position"])},
    ).text

    stats = text_of(re.search(r'<ul class="stats".*?</ul>', html, re.DOTALL).group(0))  # type: ignore[union-attr]
    assert "退回（近7天） 2" in stats and "移交待签收 0" in stats
    returns = re.search(r'<section id="handoffs-returned".*?</section>', html, re.DOTALL).group(0)  # type: ignore[union-attr]
    newest, oldest = re.findall(r"<tr[^>]*>(?:(?!</tr>).)*</tr>", returns, re.DOTALL)[1:]
    assert 'class="row-amber"' in newest
    assert '<span class="badge amber">第 2 次退回</span>' in newest
    assert text_of(newest).split() == [
        *beijing(rounds[1][2]).split(), case["case_no"], "人社", "2F-09", "税务", "1F-03",
        "非本窗口事项", "补齐户籍证明", "clerk-tax-bp", "第", "2", "次退回",
    ]  # fmt: skip
    assert "row-amber" not in oldest and "badge" not in oldest
    assert "缺户籍证明" in oldest and "第 1 次退回" in text_of(oldest)
    assert f'href="/ui/cases/{case["case_id"]}"' in newest


def test_each_list_shows_its_most_urgent_rows_and_counts_the_rest(
    client: TestClient[Any],
    session: Callable[..., Headers],
    floor: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(board_page, "LISTED", 1)
    centre = floor["centre"]

    html = client.get(f"/ui/board?centre={centre}", headers=session("d", "dashboard")).text

    cases = section(html, "open-cases")
    listed = re.findall(r'href="/ui/cases/[^"]+">([^<]+)<', html.split('id="handoffs-pending"')[0])
    assert listed == [floor["late"]["case_no"]]  # the red one, across the department's windows
    total = int(re.search(r"人社 共 (\d+) 件", cases).group(1))  # type: ignore[union-attr]
    assert total >= 4
    assert f"以上为最紧急的 1 件，另有 {total - 1} 件未列出（均已计入上方统计）" in cases
    assert f"/ui/cases?centre={centre}&amp;department=%E4%BA%BA%E7%A4%BE" in html


def test_the_home_page_is_the_board(client: TestClient[Any]) -> None:
    for path in ("/", "/ui"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code in (301, 302, 303, 307, 308)
        assert response.headers["location"] == "/ui/board"


def test_not_signed_in_goes_to_the_login_page_and_back(client: TestClient[Any]) -> None:
    response = client.get("/ui/board?centre=huoshan", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/ui/login?next=%2Fui%2Fboard%3Fcentre%3Dhuoshan"


def test_a_centre_outside_the_credential_is_a_403_page_and_a_mistyped_one_a_404_page(
    client: TestClient[Any], session: Callable[..., Headers], floor: dict[str, Any]
) -> None:
    theirs = session("duty-bp", "duty_officer", centres=(floor["centre"],))

    elsewhere = client.get("/ui/board?centre=huoshan", headers=theirs)
    mistyped = client.get("/ui/board?centre=huoshna", headers=theirs)

    assert elsewhere.status_code == 403
    assert "状态码 403" in elsewhere.text and "<html" in elsewhere.text
    assert mistyped.status_code == 404
    assert "没有名为 “huoshna” 的服务中心" in mistyped.text
    for path in ("/ui/board/sections?centre=huoshan", "/ui/board/stream?centre=huoshan"):
        assert client.get(path, headers=theirs).status_code == 403


def test_without_a_centre_the_board_is_the_credentials_first_and_offers_the_others(
    client: TestClient[Any], session: Callable[..., Headers], floor: dict[str, Any]
) -> None:
    both = session("duty-bp", "duty_officer", centres=(floor["centre"], "huoshan"))

    html = client.get("/ui/board", headers=both).text

    first = sorted([floor["centre"], "huoshan"])[0]
    assert f'值班看板 <span class="muted">{first}</span>' in html
    switcher = re.search(r'<select id="board-centre".*?</select>', html, re.DOTALL).group(0)  # type: ignore[union-attr]
    assert re.findall(r'<option value="([^"]+)"', switcher) == sorted([floor["centre"], "huoshan"])


def test_a_dashboard_reads_the_board_too(
    client: TestClient[Any], session: Callable[..., Headers], floor: dict[str, Any]
) -> None:
    screen = session("screen-1", "dashboard")
    response = client.get(f"/ui/board?centre={floor['centre']}", headers=screen)
    assert response.status_code == 200
    assert floor["late"]["case_no"] in response.text


def test_the_sections_fragment_waits_for_the_position_it_is_asked_for(
    client: TestClient[Any],
    session: Callable[..., Headers],
    token_for: Callable[..., Headers],
    floor: dict[str, Any],
) -> None:
    centre = floor["centre"]
    written = client.post(
        "/cases",
        json=registration(centre=centre, window="3F-01"),
        headers=token_for("c", "clerk", unit="人社"),
    ).json()

    response = client.get(
        f"/ui/board/sections?centre={centre}&min_position={written['position']}",
        headers=session("duty-bp", "duty_officer"),
    )

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "<html" not in response.text and "<nav" not in response.text
    assert written["case_no"] in row_of(response.text, "3F-01")
    position = int(re.search(r'data-position="(\d+)"', response.text).group(1))  # type: ignore[union-attr]
    assert position >= written["position"]
    for ident in ("open-cases", "handoffs-pending", "handoffs-returned", "exceptions-waiting",
                  "hotline-tickets", "unresolved-reports", "interventions"):  # fmt: skip
        assert f'<section id="{ident}"' in response.text


# --- the event stream ---------------------------------------------------------------------------


class Stream:
    """An open `/ui/board/stream`, driven at the ASGI level on the test client's event loop (the
    test client itself reads a response to its end, and this one has none)."""

    def __init__(self, client: TestClient[Any], path: str, headers: Headers) -> None:
        self.client, self.path, self.headers = client, path, headers
        self.body = bytearray()
        self.status = 0
        self.opened = threading.Event()
        self._enough: Callable[[bytes], bool] = lambda _: False

    async def _run(self, enough: Callable[[bytes], bool], timeout: float) -> None:
        done = anyio.Event()
        asked = False

        async def receive() -> dict[str, Any]:
            nonlocal asked
            if not asked:
                asked = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.status = message["status"]
            elif message["type"] == "http.response.body":
                self.body.extend(message.get("body", b""))
                self.opened.set()
                if enough(bytes(self.body)):
                    done.set()

        url = urlsplit(self.path)
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
            "scheme": "http", "path": url.path, "raw_path": url.path.encode(), "root_path": "",
            "query_string": url.query.encode(), "client": ("testclient", 50000),
            "server": ("testserver", 80),
            "headers": [(b"host", b"testserver")]
            + [(k.lower().encode(), v.encode()) for k, v in self.headers.items()],
        }  # fmt: skip
        with anyio.fail_after(timeout):
            await self.client.app(scope, receive, send)

    def read(
        self, enough: Callable[[bytes], bool], then: Callable[[], Any] = lambda: None
    ) -> bytes:
        """Open the stream, call `then` once it has answered, and read until `enough`."""
        with self.client.portal() as portal:
            running = portal.start_task_soon(self._run, enough, 20.0)
            assert self.opened.wait(10), "the stream did not open"
            then()
            running.result(timeout=30)
        return bytes(self.body)


def events(body: bytes) -> list[dict[str, str]]:
    """The stream's messages, each as its fields (comments under ':')."""
    found = []
    for block in body.decode().split("\r\n\r\n"):
        fields: dict[str, str] = {}
        for line in block.split("\r\n"):
            if line:
                name, _, value = line.partition(":")
                fields[name or ":"] = value.strip()
        if fields:
            found.append(fields)
    return found


def test_the_stream_names_the_position_of_an_append_as_it_is_projected(
    client: TestClient[Any],
    session: Callable[..., Headers],
    token_for: Callable[..., Headers],
    floor: dict[str, Any],
    ledger: Ledger,
) -> None:
    centre = floor["centre"]
    duty = session("duty-bp", "duty_officer")
    start = head(ledger)
    written: dict[str, Any] = {}

    def register() -> None:
        body = registration(centre=centre, window="3F-02")
        written.update(
            client.post("/cases", json=body, headers=token_for("c", "clerk", unit="人社")).json()
        )

    body = Stream(client, f"/ui/board/stream?centre={centre}&after={start}", duty).read(
        lambda b: b"data:" in b, then=register
    )

    first, *rest = events(body)
    assert first[":"] == "值班看板" and first["retry"] == "2000"
    [named] = [e for e in rest if "data" in e]
    assert int(named["id"]) >= written["position"]
    assert named["data"] == f'{{"position":{named["id"]}}}'


def test_a_reconnecting_stream_names_what_it_missed_at_once(
    client: TestClient[Any], session: Callable[..., Headers], floor: dict[str, Any], ledger: Ledger
) -> None:
    now = head(ledger)
    duty = {**session("duty-bp", "duty_officer"), "Last-Event-ID": str(floor["position"] - 1)}

    body = Stream(client, f"/ui/board/stream?centre={floor['centre']}", duty).read(
        lambda b: b"data:" in b
    )

    [named] = [e for e in events(body) if "data" in e]
    assert int(named["id"]) >= min(now, floor["position"])


def test_a_quiet_stream_sends_keep_alive_comments(
    client: TestClient[Any],
    session: Callable[..., Headers],
    floor: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(board_page, "KEEP_ALIVE", 0.2)
    far = 2**61  # a position no view reaches: nothing to name

    body = Stream(
        client, f"/ui/board/stream?centre={floor['centre']}&after={far}", session("d", "dashboard")
    ).read(lambda b: b.count(b": keep-alive") >= 2)

    assert [e for e in events(body) if "data" in e] == []


def test_at_the_parked_waits_cap_the_feed_still_sees_appends_by_looking_again(
    client: TestClient[Any],
    token_for: Callable[..., Headers],
    floor: dict[str, Any],
    ledger: Ledger,
    database: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(board_page, "SLOW_CHECK", 0.2)
    full = PositionWaiter(database.app_conninfo, max_parked=0).start()  # every park refused
    try:
        feed = BoardFeed(full, None)
        before = feed.head()

        async def next_head() -> int | None:
            with anyio.fail_after(20):
                return await feed.after(before)

        with client.portal() as portal:
            waiting = portal.start_task_soon(next_head)
            body = registration(centre=floor["centre"])
            written = client.post("/cases", json=body, headers=token_for("c", "clerk", unit="人社"))
            reached = waiting.result(timeout=30)
    finally:
        full.close()

    assert reached is not None and reached >= written.json()["position"]


def test_a_stopping_server_ends_the_feed(client: TestClient[Any]) -> None:
    waiter = client.app.state.waiter

    async def stop_while_waiting() -> int | None:
        stopping = asyncio.Event()
        feed = BoardFeed(waiter, stopping)
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                tg.start_soon(_set_soon, stopping)
                reached = await feed.after(2**61)  # a position no view reaches
        return reached

    with client.portal() as portal:
        assert portal.call(stop_while_waiting) is None


async def _set_soon(event: asyncio.Event) -> None:
    await anyio.sleep(0.2)
    event.set()
