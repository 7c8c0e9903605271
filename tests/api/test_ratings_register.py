"""The 好差评 差评 register (GET /ratings), through HTTP, from the "pushback" view on a real
PostgreSQL: each 差评's stage and rectification deadline, filters, counts, paging, tenancy, 400s,
and that no rater shows."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from litestar.testing import TestClient

from ledger.api.app import create_app
from ledger.application.service import Ledger
from ledger.config.settings import Settings
from ledger.projections.views.cases import CasesProjection
from ledger.projections.views.exceptions import ExceptionsProjection
from ledger.projections.views.pushback import PushbackProjection
from ledger.projections.worker import ProjectionWorker
from ledger.store.database import Database
from tests.api.support import append, assert_problem, register
from tests.views_support import module_scoped_ledger

database, ledger = module_scoped_ledger()

Headers = dict[str, str]


@pytest.fixture(scope="module")
def client(settings: Settings, ledger: Ledger, database: Database) -> Iterator[TestClient[Any]]:
    """The app over the module's ledger with its views projecting."""
    worker = ProjectionWorker(
        database.app_conninfo,
        [CasesProjection, ExceptionsProjection, PushbackProjection],
        idle_timeout=0.5,
    ).start()
    try:
        with TestClient(create_app(settings, ledger)) as test_client:
            yield test_client
    finally:
        worker.stop()


def ago(**delta: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(**delta)  # noqa: UP017 (house style)


class Raters:
    """The staff a 差评 passes through: the 好差评 relay, the clerk who rectifies, the duty
    officer who verifies (核实), the lead who claims a malicious one, the director who reviews
    the appeal."""

    def __init__(self, token_for: Callable[..., Headers]) -> None:
        self.clerk = token_for("clerk-rt", "clerk", unit="人社")
        self.duty = token_for("duty-rt", "duty_officer", unit="值班")
        self.lead = token_for("lead-rt", "window_lead", unit="人社")
        self.director = token_for("director-rt", "centre_director", unit="中心")
        self.relay = token_for("haochaping-rt", "rating_channel")
        self.reader = token_for("dash-rt", "dashboard")


@pytest.fixture(scope="module")
def raters(token_for: Callable[..., Headers]) -> Raters:
    return Raters(token_for)


def _event(client: TestClient[Any], case_id: str, who: Headers, kind: str, at: datetime,
           **fields: Any) -> dict[str, Any]:  # fmt: skip
    return append(client, case_id, who, {"type": kind, "occurred_at": at.isoformat(), **fields})


def bad_review_floor(
    client: TestClient[Any], s: Raters, centre: str, department: str = "人社"
) -> dict[str, str]:
    """One centre's ratings, each on its own case (one service, one rating): a fresh 差评 and a
    40-day-old one, neither verified; one verified valid; one rectified and re-rated; one
    claimed malicious awaiting the appeal's review; one whose appeal was upheld; and a 好评. The
    rating ids by name, and `case:<name>` the case ids."""
    ids: dict[str, str] = {}

    def rated(name: str, at: datetime, level: int, real_name: bool = True) -> tuple[str, str]:
        case_id = register(
            client, s.clerk, centre=centre, department=department,
            occurred_at=(at - timedelta(hours=1)).isoformat(),
        )  # fmt: skip
        rating = _event(
            client, case_id, s.relay, "Rated", at, level=level, channel="counter_device",
            comment="等太久", real_name=real_name,
        )["rating_id"]  # fmt: skip
        ids[name], ids[f"case:{name}"] = str(rating), case_id
        return case_id, str(rating)

    rated("fresh", ago(minutes=30), 1)
    rated("old", ago(days=40), 2, real_name=False)
    case_id, r = rated("valid", ago(days=2), 1)
    _event(client, case_id, s.duty, "BadReviewVerified", ago(days=1), rating_id=r,
           validity="valid", note="电话回访属实")  # fmt: skip
    case_id, r = rated("rectified", ago(days=3), 2)
    _event(client, case_id, s.duty, "BadReviewVerified", ago(days=3) + timedelta(hours=1),
           rating_id=r, validity="valid", note="属实")  # fmt: skip
    _event(client, case_id, s.clerk, "BadReviewRectified", ago(days=2), rating_id=r,
           rectification="immediate", action="增开窗口", feedback="已增开窗口")  # fmt: skip
    _event(client, case_id, s.relay, "ReRated", ago(days=1), rating_id=r, level=4)
    case_id, r = rated("appealed", ago(days=4), 1)
    _event(client, case_id, s.lead, "BadReviewVerified", ago(days=4) + timedelta(hours=1),
           rating_id=r, validity="malicious", note="与事实不符")  # fmt: skip
    case_id, r = rated("excluded", ago(days=5), 2, real_name=False)
    _event(client, case_id, s.lead, "BadReviewVerified", ago(days=5) + timedelta(hours=1),
           rating_id=r, validity="mistaken", note="误点")  # fmt: skip
    _event(client, case_id, s.director, "BadReviewAppealReviewed", ago(days=4),
           rating_id=r, upheld=True, opinion="申诉成立")  # fmt: skip
    rated("good", ago(hours=2), 5)
    return ids


@pytest.fixture(scope="module")
def floor(
    client: TestClient[Any], raters: Raters, new_centre: Callable[[str], str]
) -> dict[str, str]:
    centre = new_centre("rated")
    other = new_centre("elsewhere")
    ids = bad_review_floor(client, raters, centre)
    register_other = register(
        client, raters.clerk, centre=other, occurred_at=ago(hours=1).isoformat()
    )
    ids["other"] = str(
        _event(client, register_other, raters.relay, "Rated", ago(minutes=5), level=1,
               channel="app", comment=None, real_name=True)["rating_id"]
    )  # fmt: skip
    return {**ids, "centre": centre, "other_centre": other}


def caught_up(ledger: Ledger) -> Headers:
    return {"Ledger-Position": str(ledger.recorder.max_notification_id())}


def ratings(
    client: TestClient[Any], ledger: Ledger, headers: Headers, query: str
) -> dict[str, Any]:
    response = client.get(f"/ratings?{query}", headers={**headers, **caught_up(ledger)})
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_each_bad_review_with_its_stage_and_rectification_deadline(
    client: TestClient[Any], ledger: Ledger, raters: Raters, floor: dict[str, str]
) -> None:
    body = ratings(client, ledger, raters.reader, f"centre={floor['centre']}")
    assert set(body) == {"as_of", "ratings", "next_cursor", "counts", "as_of_position", "lag"}
    by_id = {r["rating_id"]: r for r in body["ratings"]}
    names = ("fresh", "old", "valid", "rectified", "appealed", "excluded")
    assert set(by_id) == {floor[n] for n in names}  # the 好评 is not a 差评
    rated = [r["rated_at"] for r in body["ratings"]]
    assert rated == sorted(rated, reverse=True)  # newest first
    fresh, old, valid, rectified, appealed, excluded = (by_id[floor[n]] for n in names)
    assert [r["stage"] for r in (fresh, old, valid, rectified, appealed, excluded)] == [
        "to_verify", "to_verify", "to_rectify", "rectified", "appealed", "excluded",
    ]  # fmt: skip
    assert fresh["case_id"] == floor["case:fresh"] and fresh["case_no"]
    assert (fresh["level"], fresh["channel"], fresh["real_name"]) == (1, "counter_device", True)
    assert fresh["rectify"]["limit"] == {"value": 15, "unit": "working_days"}
    assert (fresh["rectify"]["status"], fresh["colour"]) == ("running", "green")
    assert (old["rectify"]["status"], old["colour"]) == ("overdue", "red")
    assert old["rectify"]["remaining"].startswith("-P")
    assert (valid["validity"], valid["colour"]) == ("valid", "green")
    assert (rectified["rectification"], rectified["rerated_level"]) == ("immediate", 4)
    assert (rectified["rectify"]["status"], rectified["colour"]) == ("met", "green")
    assert rectified["rectify"]["ended_at"] == rectified["rectified_at"]
    assert (appealed["validity"], appealed["appeal_upheld"], appealed["colour"]) == (
        "malicious", None, "none",
    )  # fmt: skip
    assert (excluded["appeal_upheld"], excluded["rectify"]["status"]) == (True, None)
    assert body["counts"] == {
        "total": 6,
        "by_stage": {
            "excluded": 1, "rectified": 1, "to_verify": 2, "appealed": 1, "to_rectify": 1,
        },
        "overdue": 1,
    }  # fmt: skip


def test_the_register_filters_by_stage_department_and_real_name(
    client: TestClient[Any], ledger: Ledger, raters: Raters, floor: dict[str, str]
) -> None:
    def ids(query: str) -> set[str]:
        found = ratings(client, ledger, raters.reader, f"centre={floor['centre']}&{query}")
        return {r["rating_id"] for r in found["ratings"]}

    def named(*names: str) -> set[str]:
        return {floor[n] for n in names}

    assert ids("status=open") == named("fresh", "old", "valid")
    assert ids("status=overdue") == named("old")
    assert ids("status=to_verify") == named("fresh", "old")
    assert ids("status=appealed") == named("appealed")
    assert ids("status=excluded") == named("excluded")
    assert ids("real_name=false") == named("old", "excluded")
    assert ids("status=open&real_name=true") == named("fresh", "valid")
    assert ids("department=人社") == named(
        "fresh", "old", "valid", "rectified", "appealed", "excluded"
    )
    assert ids("department=医保") == set()
    counted = ratings(client, ledger, raters.reader, f"centre={floor['centre']}&status=open")
    assert counted["counts"]["total"] == 6  # counts ignore the status filter


def test_the_register_pages_by_cursor(
    client: TestClient[Any], ledger: Ledger, raters: Raters, floor: dict[str, str]
) -> None:
    first = ratings(client, ledger, raters.reader, f"centre={floor['centre']}&limit=4")
    assert len(first["ratings"]) == 4 and first["next_cursor"]
    rest = ratings(
        client, ledger, raters.reader,
        f"centre={floor['centre']}&limit=4&after={first['next_cursor']}",
    )  # fmt: skip
    assert len(rest["ratings"]) == 2 and rest["next_cursor"] is None
    seen = [r["rating_id"] for r in first["ratings"] + rest["ratings"]]
    assert len(set(seen)) == 6


def test_the_register_keeps_to_the_tokens_centres(
    client: TestClient[Any],
    ledger: Ledger,
    token_for: Callable[..., Headers],
    floor: dict[str, str],
) -> None:
    mine = token_for("dash-one", "dashboard", centres=(floor["centre"],))
    body = ratings(client, ledger, mine, "")
    assert {r["centre"] for r in body["ratings"]} == {floor["centre"]}
    assert floor["other"] not in {r["rating_id"] for r in body["ratings"]}
    refused = client.get(f"/ratings?centre={floor['other_centre']}", headers=mine)
    assert_problem(refused, 403, rule="auth.centre_not_in_scope", field="centre")


def test_no_rater_shows(
    client: TestClient[Any], ledger: Ledger, raters: Raters, floor: dict[str, str]
) -> None:
    text = client.get(
        f"/ratings?centre={floor['centre']}", headers={**raters.reader, **caught_up(ledger)}
    ).text
    assert "haochaping-rt" not in text and "等太久" not in text


def test_the_register_refuses_bad_queries(client: TestClient[Any], raters: Raters) -> None:
    for query, field in [
        ("status=lost", "status"),
        ("after=not-a-cursor", "after"),
        ("limit=0", "limit"),
        ("real_name=maybe", "real_name"),
        ("centre=%00", "centre"),
    ]:
        assert_problem(client.get(f"/ratings?{query}", headers=raters.reader), 400, field=field)
    assert client.get("/ratings").status_code == 401
