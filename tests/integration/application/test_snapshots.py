"""Nothing unsealed is trusted: a snapshot is used only if it carries the application's MAC over
itself and the stored event it folds up to (issue 13, item 2; `ledger.store.snapshots`).

The attack: a snapshot row is a cache the repository starts from, so whoever could write one
chose the state the application served and decided with (the holding department, and with it who
may act on the case). Now the application role cannot write a row except through
`ledger_put_snapshots()`, and a row that anyone wrote without the key (even the owner, who can
write the table) is ignored, logged and replaced by a replay of the events: never served, never
a 500.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import psycopg
import pytest
from eventsourcing.application import Repository
from eventsourcing.persistence import EventStore, Notification, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from litestar.testing import TestClient
from structlog.testing import capture_logs

from ledger.application.service import Ledger
from ledger.domain.case import Case
from ledger.store import snapshots
from ledger.store.database import Database
from ledger.store.snapshots import snapshot_mac
from tests.api.support import register
from tests.conftest import actor

TRUE_DEPARTMENT = "人社"
FORGED_DEPARTMENT = "民政"

Headers = Callable[..., dict[str, str]]


@pytest.fixture
def clerk(token_for: Headers) -> dict[str, str]:
    return token_for("snap-clerk", "clerk", unit=TRUE_DEPARTMENT)


@pytest.fixture
def forged_clerk(token_for: Headers) -> dict[str, str]:
    return token_for("snap-forged-clerk", "clerk", unit=FORGED_DEPARTMENT)


@pytest.fixture
def rejections() -> Iterator[list[dict[str, Any]]]:
    """The `snapshot.rejected` log lines emitted during the test."""
    with capture_logs() as logs:
        yield logs  # filtered by `rejected()`: other lines come and go


def case_with_events(client: TestClient[Any], clerk: dict[str, str], events: int) -> UUID:
    """A case of `TRUE_DEPARTMENT` at version `events` (registration plus visits)."""
    case_id = register(client, clerk, department=TRUE_DEPARTMENT)
    for n in range(events - 1):
        response = client.post(
            f"/cases/{case_id}/events",
            json={"type": "VisitRecorded", "ticket": f"S-{n:03d}"},
            headers=clerk,
        )
        assert response.status_code == 201, response.text
    return UUID(case_id)


def forged_snapshot(ledger: Ledger, case_id: UUID, department: str) -> StoredEvent:
    """A well-formed snapshot of the case at its head version, holding `department` instead."""
    genuine = ledger.mapper.to_stored_event(Case.Snapshot.take(ledger.repository.get(case_id)))
    body = json.loads(genuine.state)
    body["state"]["state"]["department"] = department
    forged = StoredEvent(
        originator_id=case_id,
        originator_version=genuine.originator_version,
        topic=genuine.topic,
        state=json.dumps(body, ensure_ascii=False).encode(),
    )
    ledger.mapper.to_domain_event(forged)  # it decodes: a valid shape, not junk
    return forged


def insert_as(conninfo: str, row: StoredEvent, mac: bytes | None) -> None:
    with psycopg.connect(conninfo) as conn:
        conn.execute(
            "INSERT INTO ledger_snapshots (originator_id, originator_version, topic, state, mac) "
            "VALUES (%s, %s, %s, %s, %s)",
            (row.originator_id, row.originator_version, row.topic, row.state, mac),
        )


def put_as_application(database: Database, row: StoredEvent, mac: bytes) -> None:
    with psycopg.connect(database.app_conninfo) as conn:
        conn.execute(
            "SELECT ledger_put_snapshots(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[], "
            "%s::bytea[])",
            ([row.originator_id], [row.originator_version], [row.topic], [row.state], [mac]),
        )


def head_event(ledger: Ledger, case_id: UUID, version: int) -> Notification:
    head = ledger.store.select_history(case_id)[version - 1]
    return Notification(
        originator_id=case_id,
        originator_version=version,
        topic=head.stored.topic,
        state=head.stored.state,
        id=head.position,
    )


def department_without_the_check(ledger: Ledger, case_id: UUID) -> str:
    """What eventsourcing's plain snapshot store (the previous read path) would have loaded."""
    plain = EventStore(
        ledger.mapper,
        PostgresAggregateRecorder(ledger.store.datastore, events_table_name="ledger_snapshots"),
    )
    case = Repository(ledger.events, snapshot_store=plain).get(case_id)
    return str(case.state.department)


def rejected(logs: list[dict[str, Any]], case_id: UUID) -> list[dict[str, Any]]:
    return [
        line
        for line in logs
        if line["event"] == "snapshot.rejected" and line["aggregate_id"] == str(case_id)
    ]


def assert_held_by_true_department(
    client: TestClient[Any], case_id: UUID, version: int, forged_clerk: dict[str, str]
) -> None:
    shown = client.get(f"/cases/{case_id}", headers=forged_clerk)
    assert shown.status_code == 200, shown.text
    assert shown.json()["version"] == version
    assert shown.json()["state"]["department"] == TRUE_DEPARTMENT
    accepted = client.post(
        f"/cases/{case_id}/events", json={"type": "Accepted"}, headers=forged_clerk
    )
    assert accepted.status_code in (403, 422), accepted.text
    assert accepted.json().get("rule") == "case.not_held_by_unit", accepted.text


# --- as the application's own role ---------------------------------------------------------


def test_the_application_role_cannot_insert_update_or_delete_snapshot_rows(
    client: TestClient[Any], clerk: dict[str, str], ledger: Ledger, database: Database
) -> None:
    case_id = case_with_events(client, clerk, 3)
    forged = forged_snapshot(ledger, case_id, FORGED_DEPARTMENT)

    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        insert_as(database.app_conninfo, forged, secrets.token_bytes(32))
    for statement in (
        "UPDATE ledger_snapshots SET state = state WHERE originator_id = %s",
        "DELETE FROM ledger_snapshots WHERE originator_id = %s",
    ):
        with (
            psycopg.connect(database.app_conninfo) as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            conn.execute(statement, (case_id,))

    assert department_without_the_check(ledger, case_id) == TRUE_DEPARTMENT


def test_the_application_role_may_put_only_snapshots_that_carry_a_mac_and_name_a_stored_event(
    client: TestClient[Any], clerk: dict[str, str], ledger: Ledger, database: Database
) -> None:
    case_id = case_with_events(client, clerk, 3)
    forged = forged_snapshot(ledger, case_id, FORGED_DEPARTMENT)
    past_the_head = StoredEvent(
        originator_id=case_id, originator_version=4, topic=forged.topic, state=forged.state
    )

    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        put_as_application(database, past_the_head, secrets.token_bytes(32))
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        put_as_application(database, forged, b"short")

    with psycopg.connect(database.owner_conninfo) as conn:
        stored = conn.execute(
            "SELECT count(*) FROM ledger_snapshots WHERE originator_id = %s", (case_id,)
        ).fetchone()
    assert stored == (0,)


def test_a_forged_snapshot_the_application_role_puts_through_the_function_is_ignored(
    client: TestClient[Any],
    clerk: dict[str, str],
    forged_clerk: dict[str, str],
    ledger: Ledger,
    database: Database,
    rejections: list[dict[str, Any]],
) -> None:
    case_id = case_with_events(client, clerk, 3)
    forged = forged_snapshot(ledger, case_id, FORGED_DEPARTMENT)

    put_as_application(database, forged, secrets.token_bytes(32))  # the function can't tell

    assert department_without_the_check(ledger, case_id) == FORGED_DEPARTMENT  # the attack
    assert_held_by_true_department(client, case_id, 3, forged_clerk)
    assert {line["reason"] for line in rejected(rejections, case_id)} == {"MAC does not match"}


# --- as the owner, who can write the table ---------------------------------------------------


@pytest.mark.parametrize(
    ("mac_kind", "reason"),
    [("none", "no MAC"), ("random", "MAC does not match"), ("other key", "MAC does not match")],
)
def test_a_forged_snapshot_the_owner_inserts_without_the_applications_mac_is_ignored_and_logged(
    client: TestClient[Any],
    clerk: dict[str, str],
    forged_clerk: dict[str, str],
    ledger: Ledger,
    database: Database,
    rejections: list[dict[str, Any]],
    mac_kind: str,
    reason: str,
) -> None:
    case_id = case_with_events(client, clerk, 3)
    forged = forged_snapshot(ledger, case_id, FORGED_DEPARTMENT)
    mac = {
        "none": None,
        "random": secrets.token_bytes(32),
        "other key": snapshot_mac(secrets.token_bytes(32), forged, head_event(ledger, case_id, 3)),
    }[mac_kind]

    insert_as(database.owner_conninfo, forged, mac)

    assert department_without_the_check(ledger, case_id) == FORGED_DEPARTMENT  # the attack
    assert_held_by_true_department(client, case_id, 3, forged_clerk)
    lines = rejected(rejections, case_id)
    assert lines and all(
        (line["version"], line["reason"], line["log_level"]) == (3, reason, "warning")
        for line in lines
    ), lines


def test_a_snapshot_sealed_by_an_older_fold_is_not_believed_after_an_upgrade(
    client: TestClient[Any],
    clerk: dict[str, str],
    forged_clerk: dict[str, str],
    ledger: Ledger,
    database: Database,
    rejections: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An older release's snapshot, sealed with the real key: it decodes under this code (defaults
    # stand in for what the old fold never derived), and here it also says what that fold said
    # differently (the department). Sealed under another STATE_SHAPE, it is not believed.
    case_id = case_with_events(client, clerk, 3)
    older = forged_snapshot(ledger, case_id, FORGED_DEPARTMENT)
    monkeypatch.setattr(snapshots, "STATE_SHAPE", "1: the previous release's fold")
    mac = snapshot_mac(ledger.settings.snapshot_key, older, head_event(ledger, case_id, 3))
    monkeypatch.undo()

    insert_as(database.owner_conninfo, older, mac)

    assert department_without_the_check(ledger, case_id) == FORGED_DEPARTMENT  # what it holds
    assert_held_by_true_department(client, case_id, 3, forged_clerk)
    assert {line["reason"] for line in rejected(rejections, case_id)} == {"MAC does not match"}


@pytest.mark.parametrize("sealed", [False, True], ids=["unsealed", "sealed-by-the-key"])
def test_a_junk_snapshot_is_ignored_and_the_case_still_answers_200(
    client: TestClient[Any],
    clerk: dict[str, str],
    forged_clerk: dict[str, str],
    ledger: Ledger,
    database: Database,
    rejections: list[dict[str, Any]],
    sealed: bool,
) -> None:
    case_id = case_with_events(client, clerk, 3)
    junk = StoredEvent(
        originator_id=case_id,
        originator_version=3,
        topic="ledger.domain.case:Case.Snapshot",
        state=b"\xff\x00 not a snapshot {",
    )
    # Sealed with the application's own key: even a snapshot that passes the MAC but does not
    # decode (a bug, a shape changed by a release) is replayed, not a 500.
    mac = (
        snapshot_mac(ledger.settings.snapshot_key, junk, head_event(ledger, case_id, 3))
        if sealed
        else None
    )

    insert_as(database.owner_conninfo, junk, mac)

    for _ in range(2):  # and for ever after
        assert_held_by_true_department(client, case_id, 3, forged_clerk)
    history = client.get(f"/cases/{case_id}", params={"version": 3}, headers=clerk)
    assert history.status_code == 200, history.text
    expected = "does not decode: DecodeError" if sealed else "no MAC"
    assert {line["reason"] for line in rejected(rejections, case_id)} == {expected}


def test_a_sealed_snapshot_copied_to_another_version_is_ignored(
    client: TestClient[Any],
    clerk: dict[str, str],
    ledger: Ledger,
    database: Database,
    rejections: list[dict[str, Any]],
) -> None:
    case_id = case_with_events(client, clerk, 12)  # the ledger sealed a snapshot at version 10
    with psycopg.connect(database.owner_conninfo) as conn:
        conn.execute(
            "INSERT INTO ledger_snapshots (originator_id, originator_version, topic, state, mac) "
            "SELECT originator_id, 11, topic, state, mac FROM ledger_snapshots "
            "WHERE originator_id = %s AND originator_version = 10",
            (case_id,),
        )

    shown = client.get(f"/cases/{case_id}", headers=clerk)

    assert shown.status_code == 200, shown.text
    assert shown.json()["version"] == 12
    assert [(line["version"], line["reason"]) for line in rejected(rejections, case_id)] == [
        (11, "MAC does not match")
    ]


def test_a_sealed_snapshot_past_the_stored_head_is_ignored(
    client: TestClient[Any],
    clerk: dict[str, str],
    ledger: Ledger,
    database: Database,
    rejections: list[dict[str, Any]],
) -> None:
    # As after a rollback of the newest events: a snapshot sealed by the key, over an event
    # that is no longer stored, must not bring the rolled-back state back.
    case_id = case_with_events(client, clerk, 3)
    ahead = forged_snapshot(ledger, case_id, FORGED_DEPARTMENT)
    ahead = StoredEvent(
        originator_id=case_id, originator_version=5, topic=ahead.topic, state=ahead.state
    )
    vanished = Notification(
        originator_id=case_id,
        originator_version=5,
        topic="ledger.domain.case:Case.VisitRecorded",
        state=b"{}",
        id=10**9,
    )
    insert_as(
        database.owner_conninfo, ahead, snapshot_mac(ledger.settings.snapshot_key, ahead, vanished)
    )

    shown = client.get(f"/cases/{case_id}", headers=clerk)

    assert shown.status_code == 200, shown.text
    assert (shown.json()["version"], shown.json()["state"]["department"]) == (3, TRUE_DEPARTMENT)
    assert [(line["version"], line["reason"]) for line in rejected(rejections, case_id)] == [
        (5, "no stored event at its version")
    ]


# --- and the genuine ones still do their job -----------------------------------------------


def test_a_genuine_snapshot_is_sealed_and_used_so_only_the_later_events_are_read(
    client: TestClient[Any],
    clerk: dict[str, str],
    ledger: Ledger,
    database: Database,
    rejections: list[dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    case_id = case_with_events(client, clerk, 12)  # snapshot_interval is 10
    with psycopg.connect(database.owner_conninfo) as conn:
        rows = conn.execute(
            "SELECT originator_version, length(mac) FROM ledger_snapshots WHERE originator_id = %s",
            (case_id,),
        ).fetchall()
    assert rows == [(10, 32)]

    decoded: list[tuple[int, str]] = []  # what the load read and decoded of this case
    to_domain_event = ledger.mapper.to_domain_event

    def counting(stored: StoredEvent) -> Any:
        if stored.originator_id == case_id:
            decoded.append((stored.originator_version, stored.topic.rpartition(".")[2]))
        return to_domain_event(stored)

    monkeypatch.setattr(ledger.mapper, "to_domain_event", counting)
    shown = client.get(f"/cases/{case_id}", headers=clerk)

    assert shown.status_code == 200, shown.text
    assert shown.json()["version"] == 12
    # The snapshot at 10, then events 11 and 12 only.
    assert decoded == [(10, "Snapshot"), (11, "VisitRecorded"), (12, "VisitRecorded")]
    assert rejected(rejections, case_id) == []


def test_a_case_loads_with_its_snapshot_in_one_statement_on_one_connection(
    client: TestClient[Any], clerk: dict[str, str], ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = case_with_events(client, clerk, 12)
    datastore = ledger.store.datastore
    lent: list[int] = []
    get_connection = datastore.get_connection

    def counting() -> Any:
        lent.append(1)
        return get_connection()

    monkeypatch.setattr(datastore, "get_connection", counting)
    case = ledger.get_case(case_id, actor("snap-clerk", "clerk", unit=TRUE_DEPARTMENT))

    assert case.version == 12
    assert len(lent) == 1  # eventsourcing's repository takes two: the snapshot, then the events
