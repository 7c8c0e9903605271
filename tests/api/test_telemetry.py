"""`GET /metrics`: Prometheus text, requests labelled by route template (never a case id), appends
counted by event type, each view's and the notary's lag behind the log, the request pool, the
process; and a scrape that still answers while the database is down.

Each test here runs its own app on its own fresh database, so counts and positions are its own."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families
from psycopg.conninfo import make_conninfo

from ledger.api.app import create_app
from ledger.api.ui.session import COOKIE
from ledger.application.service import Ledger
from ledger.config.settings import Settings
from ledger.log.keys import load_signer
from ledger.log.notary import Notary
from ledger.projections import PROJECTIONS
from ledger.projections.configured import instances
from ledger.projections.projector import Projector
from ledger.store.database import Database, database_for
from tests.api.support import append, register
from tests.conftest import all_connections_but_one_lent
from tests.integration.store.test_supervisor import Relay

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient[Any]) -> tuple[str, Samples]:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples = {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }
    return response.text, samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


@pytest.fixture
def own(settings: Settings, database_factory: Callable[[], Database]) -> Iterator[Any]:
    """An app on a database of its own: (database, client)."""
    database = database_factory()
    ledger = Ledger(settings, database)
    try:
        with TestClient(create_app(settings, ledger)) as client:
            yield database, client
    finally:
        ledger.close()


def test_requests_are_counted_by_route_template_never_by_path(own, token_for) -> None:
    _, client = own
    clerk = token_for("clerk-metrics-1", "clerk", unit="人社")
    case_id = register(client, clerk)
    assert client.get(f"/cases/{case_id}", headers=clerk).status_code == 200
    assert client.get(f"/cases/{case_id}", headers={}).status_code == 401
    assert client.get("/no-such-page/13800000000").status_code == 404

    text, samples = scrape(client)

    count = "ledger_http_requests_total"
    assert value(samples, count, route="/cases/{case_id}", method="GET", status="200") == 1
    assert value(samples, count, route="/cases/{case_id}", method="GET", status="401") == 1
    assert value(samples, count, route="/cases", method="POST", status="201") == 1
    assert value(samples, count, route="unmatched", method="GET", status="404") == 1
    latency = "ledger_http_request_duration_seconds_count"
    assert value(samples, latency, route="/cases/{case_id}", method="GET", status="200") == 1
    assert case_id not in text and "13800000000" not in text and "no-such-page" not in text


def test_appends_are_counted_by_event_type(own, token_for) -> None:
    _, client = own
    clerk = token_for("clerk-metrics-2", "clerk", unit="人社")
    case_id = register(client, clerk)
    _, before = scrape(client)

    visit = {"type": "VisitRecorded", "ticket": "A013"}
    append(client, case_id, clerk, visit, **{"If-Match": '"1"'})
    _, after = scrape(client)

    name = "ledger_events_appended_total"
    assert (value(before, name, event_type="Case.VisitRecorded") or 0) == 0
    assert value(after, name, event_type="Case.VisitRecorded") == 1
    registered = {dict(labels)["event_type"] for (n, labels) in before if n == name}
    assert any(t.startswith("Case.") for t in registered), registered


def test_the_views_and_the_notary_lag_is_the_log_position_minus_theirs(
    own, settings, token_for
) -> None:
    database, client = own
    clerk = token_for("clerk-metrics-3", "clerk", unit="人社")
    register(client, clerk)
    projection = instances(PROJECTIONS)[0]
    projector = Projector(database.app_conninfo, projection)
    try:
        projector.catch_up()
    finally:
        projector.close()
    register(client, clerk)  # one more the view has not seen

    _, samples = scrape(client)
    head = value(samples, "ledger_log_position")
    assert head is not None and head >= 2
    view = projector.name
    seen = value(samples, "ledger_projection_position", view=view)
    assert seen is not None and 0 < seen < head
    assert value(samples, "ledger_projection_lag_positions", view=view) == head - seen
    assert value(samples, "ledger_notary_lag_positions") == head  # no notary in this app
    assert value(samples, "ledger_checkpoint_tree_size") == 0
    assert value(samples, "ledger_database_up") == 1

    notary = Notary(
        database.notary_conninfo,
        load_signer(settings.notary_key_path, settings.origin),
        settings.origin,
    )
    try:
        tree_size = notary.catch_up()
    finally:
        notary.close()
    _, samples = scrape(client)
    assert value(samples, "ledger_notary_lag_positions") == 0
    assert value(samples, "ledger_log_leaves") == tree_size
    assert value(samples, "ledger_checkpoint_tree_size") == tree_size


def test_the_pool_and_the_process_are_reported(own) -> None:
    _, client = own
    _, samples = scrape(client)
    assert (value(samples, "ledger_db_pool_max") or 0) >= 1
    assert value(samples, "ledger_db_pool_size") is not None
    assert value(samples, "ledger_db_pool_requests_total") is not None
    assert value(samples, "process_resident_memory_bytes")


def test_metrics_are_public_and_documented_as_an_operations_endpoint(client) -> None:
    assert client.get("/metrics").status_code == 200  # no token, like /health
    operation = client.get("/schema/openapi.json").json()["paths"]["/metrics"]["get"]
    assert operation["tags"] == ["operations"] and operation["security"] == [{}]
    assert "text/plain" in operation["responses"]["200"]["content"]


def test_the_indicators_under_metrics_still_answer(client, token_for) -> None:
    dashboard = token_for("dashboard-metrics", "dashboard")
    response = client.get("/metrics/timeliness", headers=dashboard)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")


def test_reports_are_counted_by_the_connections_they_were_read_on(own, token_for) -> None:
    """A report whose snapshot found no second connection free ran its queries one by one: an
    operator sees how often, as `connections="1"`."""
    _, client = own
    ledger: Ledger = client.app.state.ledger
    dashboard = token_for("dashboard-metrics", "dashboard")
    assert client.get("/metrics/timeliness", headers=dashboard).status_code == 200
    with all_connections_but_one_lent(ledger):
        assert client.get("/metrics/timeliness", headers=dashboard).status_code == 200
        client.cookies.set(COOKIE, dashboard["Authorization"].removeprefix("Bearer "))
        page = client.get("/ui/indicators?centre=huoshan")
        client.cookies.clear()
        assert page.status_code == 200, page.text

    _, samples = scrape(client)

    assert value(samples, "ledger_report_reads_total", connections="2") == 1
    assert value(samples, "ledger_report_reads_total", connections="1") == 2


def test_a_scrape_answers_while_the_database_is_down(settings, database_factory) -> None:
    database = database_factory()
    relay = Relay(database.owner_conninfo)
    relay.restore()
    relayed = database_for(
        make_conninfo(database.owner_conninfo, host="127.0.0.1", port=relay.port), settings
    )
    ledger = Ledger(settings, relayed)
    try:
        with TestClient(create_app(settings, ledger)) as client:
            _, up = scrape(client)
            assert value(up, "ledger_database_up") == 1
            assert value(up, "ledger_log_position") is not None

            relay.cut()
            supervisor = client.app.state.supervisor
            deadline = time.monotonic() + 15
            while supervisor.status().up:
                assert time.monotonic() < deadline, "the supervisor never saw the outage"
                time.sleep(0.05)
            _, down = scrape(client)

            relay.restore()
            while not supervisor.status().up:
                assert time.monotonic() < deadline + 15, "the database never came back"
                time.sleep(0.05)
    finally:
        relay.cut()
        ledger.close()

    assert value(down, "ledger_database_up") == 0
    assert value(down, "ledger_log_position") is None
    assert not [n for (n, _) in down if n.startswith("ledger_projection")]
    assert value(down, "ledger_db_pool_max") is not None  # the pool's own figures need no query
    assert value(down, "process_resident_memory_bytes")
