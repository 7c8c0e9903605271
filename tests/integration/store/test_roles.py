"""Least privilege: each role the ledger logs in as may do its own job and nothing else.

The application role reads, and appends events only through `ledger_append_events()`, which
refuses any version that does not follow its case's head. The notary's role reads events and
appends to the verifiable log. Tables, triggers and functions belong to the migrating owner,
which the ledger never runs as (migrations/0007_least_privilege.sql).
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID, uuid4

import psycopg
import pytest

from ledger.application.service import Ledger
from ledger.log.keys import load_signer
from ledger.log.notary import Notary
from ledger.store.database import Database
from tests.conftest import StoredEvent, actor, append_stored, register
from tests.views_support import module_scoped_ledger

CLERK = actor("clerk-roles", "clerk", unit="人社")
# A database of this module's own: its attacks append events no view can apply (a bare `{}` as
# a visit), which would stop the shared database's views under later tests.
database, ledger = module_scoped_ledger()
VISIT = "ledger.domain.case:Case.VisitRecorded"
LOG_TABLES = ("ledger_leaves", "ledger_tree_nodes", "ledger_checkpoints", "ledger_notary_state")
PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def privileges(database: Database, role: str, table: str) -> set[str]:
    with psycopg.connect(database.owner_conninfo) as conn:
        return {
            p
            for p in PRIVILEGES
            if conn.execute("SELECT has_table_privilege(%s, %s, %s)", (role, table, p)).fetchone()[
                0
            ]
        }


@pytest.fixture(scope="module")
def case(ledger: Ledger) -> tuple[UUID, bytes]:
    """A registered case (head version 1) and its stored Registered payload."""
    case_id = register(ledger, CLERK).case_id
    with psycopg.connect(ledger.database.owner_conninfo) as conn:
        row = conn.execute(
            "SELECT state FROM ledger_events WHERE originator_id = %s AND originator_version = 1",
            (case_id,),
        ).fetchone()
    return case_id, bytes(row[0])


@pytest.fixture(scope="module")
def sealed(database_factory: Callable[[], Database], settings, tmp_path_factory) -> Database:
    """A database of its own with every log table holding rows, sealed as the notary's role."""
    database = database_factory()
    ledger = Ledger(settings, database)
    try:
        register(ledger, CLERK)
    finally:
        ledger.close()
    signer = load_signer(tmp_path_factory.mktemp("keys") / "notary.key", settings.origin)
    notary = Notary(database.notary_conninfo, signer, settings.origin)
    try:
        notary.catch_up()
    finally:
        notary.close()
    return database


# --- the application role -------------------------------------------------------------------


def test_the_application_role_cannot_insert_a_next_version_event_with_a_forged_actor(
    database: Database, case: tuple[UUID, bytes]
) -> None:
    case_id, registered = case
    forged = registered.replace(CLERK.id.encode(), b"centre-director-wang")
    with psycopg.connect(database.app_conninfo) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute(
                "INSERT INTO ledger_events (originator_id, originator_version, topic, state) "
                "VALUES (%s, 2, %s, %s)",
                (case_id, VISIT, forged),
            )


def test_the_application_role_cannot_copy_events_in_either(
    database: Database, case: tuple[UUID, bytes]
) -> None:
    with psycopg.connect(database.app_conninfo) as conn, conn.cursor() as cur:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            with cur.copy(
                "COPY ledger_events (originator_id, originator_version, topic, state) FROM STDIN"
            ) as copy:
                copy.write_row((case[0], 2, VISIT, b"{}"))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_events SET topic = topic",
        "DELETE FROM ledger_events",
        "TRUNCATE ledger_events",
        "SELECT nextval('ledger_events_notification_id_seq')",
        "LOCK TABLE ledger_events IN EXCLUSIVE MODE",
        "ALTER TABLE ledger_events DISABLE TRIGGER USER",
    ],
)
def test_the_application_role_cannot_change_events_or_their_numbering(
    database: Database, sealed: Database, statement: str
) -> None:
    with psycopg.connect(sealed.app_conninfo) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO ledger_leaves SELECT leaf_index + 1000, position + 1000, originator_id, "
        "originator_version, leaf_hash FROM ledger_leaves LIMIT 1",
        "UPDATE ledger_leaves SET leaf_hash = leaf_hash",
        "INSERT INTO ledger_tree_nodes VALUES (40, 0, '\\x00')",
        "UPDATE ledger_tree_nodes SET hash = hash",
        "INSERT INTO ledger_checkpoints (tree_size, root_hash, note) VALUES (999999, '\\x00', 'x')",
        "UPDATE ledger_checkpoints SET note = note",
        "UPDATE ledger_notary_state SET tree_size = 0, last_position = 0",
        "UPDATE ledger_notary_state SET verifier_key = 'attacker+00000000+AAAA'",
        "INSERT INTO ledger_notary_state (singleton, tree_size, last_position, frontier) "
        "VALUES (true, 0, 0, '\\x00') ON CONFLICT (singleton) DO UPDATE SET tree_size = 0",
        "DELETE FROM ledger_leaves",
        "TRUNCATE ledger_checkpoints",
    ],
)
def test_the_application_role_cannot_write_the_verifiable_log(
    sealed: Database, statement: str
) -> None:
    with psycopg.connect(sealed.app_conninfo) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="permission denied"):
            conn.execute(statement)


def test_the_application_role_only_reads_events_and_the_log(database: Database) -> None:
    for table in ("ledger_events", *LOG_TABLES):
        assert privileges(database, "ledger_app", table) == {"SELECT"}, table


# --- the append function --------------------------------------------------------------------


def test_the_append_function_returns_notification_ids_in_input_order(database: Database) -> None:
    a, b = uuid4(), uuid4()
    events: list[StoredEvent] = [(a, 1, VISIT, b"{}"), (b, 1, VISIT, b"{}"), (a, 2, VISIT, b"{}")]
    with psycopg.connect(database.app_conninfo) as conn:
        ids = append_stored(conn, *events)
    with psycopg.connect(database.owner_conninfo) as conn:
        stored = {
            (row[0], row[1]): row[2]
            for row in conn.execute(
                "SELECT originator_id, originator_version, notification_id FROM ledger_events "
                "WHERE originator_id = ANY(%s)",
                ([a, b],),
            )
        }
    assert ids == [stored[(e[0], e[1])] for e in events]
    assert ids == sorted(ids)


def test_the_append_function_continues_a_case_from_its_stored_head(
    database: Database, case: tuple[UUID, bytes]
) -> None:
    other = uuid4()
    with psycopg.connect(database.app_conninfo) as conn, conn.transaction(force_rollback=True):
        ids = append_stored(conn, (other, 1, VISIT, b"{}"), (case[0], 2, VISIT, b"{}"))
    assert len(ids) == 2


def test_the_append_function_refuses_a_version_gap(
    database: Database, case: tuple[UUID, bytes]
) -> None:
    with psycopg.connect(database.app_conninfo) as conn:
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="the next version is 2"):
            append_stored(conn, (case[0], 3, VISIT, b"{}"))


def test_the_append_function_refuses_a_version_that_already_exists(
    database: Database, case: tuple[UUID, bytes]
) -> None:
    with psycopg.connect(database.app_conninfo) as conn:
        with pytest.raises(psycopg.errors.UniqueViolation, match="already exists"):
            append_stored(conn, (case[0], 1, VISIT, b"{}"))


def test_the_append_function_refuses_the_same_version_twice_in_one_call(
    database: Database,
) -> None:
    new = uuid4()
    with psycopg.connect(database.app_conninfo) as conn:
        with pytest.raises(psycopg.errors.UniqueViolation, match="already exists"):
            append_stored(conn, (new, 1, VISIT, b"{}"), (new, 1, VISIT, b"{}"))


def test_the_append_function_refuses_version_2_for_a_new_case(database: Database) -> None:
    with psycopg.connect(database.app_conninfo) as conn:
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="the next version is 1"):
            append_stored(conn, (uuid4(), 2, VISIT, b"{}"))


def test_the_append_function_refuses_version_0(database: Database) -> None:
    with psycopg.connect(database.app_conninfo) as conn:
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="start at 1"):
            append_stored(conn, (uuid4(), 0, VISIT, b"{}"))


def test_the_append_function_refuses_an_event_without_topic_or_state(database: Database) -> None:
    for event in ((uuid4(), 1, None, b"{}"), (uuid4(), 1, VISIT, None)):
        with psycopg.connect(database.app_conninfo) as conn:
            with pytest.raises(psycopg.errors.NotNullViolation, match="lacks"):
                append_stored(conn, event)


def test_a_refused_call_inserts_nothing_of_the_batch(database: Database) -> None:
    good, bad = uuid4(), uuid4()
    with psycopg.connect(database.app_conninfo) as conn:
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            append_stored(conn, (good, 1, VISIT, b"{}"), (bad, 2, VISIT, b"{}"))
    with psycopg.connect(database.owner_conninfo) as conn:
        count = conn.execute(
            "SELECT count(*) FROM ledger_events WHERE originator_id = ANY(%s)", ([good, bad],)
        ).fetchone()[0]
    assert count == 0


def test_the_append_function_is_the_owners_with_a_pinned_search_path(database: Database) -> None:
    with psycopg.connect(database.owner_conninfo) as conn:
        definer, config, owner, public = conn.execute(
            "SELECT p.prosecdef, p.proconfig, pg_get_userbyid(p.proowner), "
            "has_function_privilege('public', p.oid, 'EXECUTE') "
            "FROM pg_proc p WHERE p.proname = 'ledger_append_events'"
        ).fetchone()
        current = conn.execute("SELECT current_user").fetchone()[0]
        lock_function = conn.execute(
            "SELECT count(*) FROM pg_proc WHERE proname = 'ledger_lock_events'"
        ).fetchone()[0]
    assert definer and owner == current and not public
    assert any(setting.startswith("search_path=") for setting in config)
    assert lock_function == 0  # the append function takes the lock itself


# --- the notary's role ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO ledger_events (originator_id, originator_version, topic, state) "
        "SELECT originator_id, originator_version + 1, topic, state FROM ledger_events LIMIT 1",
        "UPDATE ledger_events SET topic = topic",
        "DELETE FROM ledger_events",
        "TRUNCATE ledger_events",
        "SELECT notification_id FROM ledger_append_events(ARRAY[]::stored_event_uuid[])",
        "INSERT INTO ledger_idempotency (actor_id, idempotency_key, request_digest, case_id, "
        "last_originator_id, last_originator_version, response) "
        "VALUES ('a', 'k', 'd', gen_random_uuid(), gen_random_uuid(), 1, '\\x00')",
        "UPDATE ledger_leaves SET leaf_hash = leaf_hash",
        "DELETE FROM ledger_checkpoints",
        "ALTER TABLE ledger_leaves DISABLE TRIGGER USER",
    ],
)
def test_the_notary_role_cannot_write_events_or_change_what_it_sealed(
    sealed: Database, statement: str
) -> None:
    with psycopg.connect(sealed.notary_conninfo) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)


def test_the_notary_role_reads_events_and_appends_to_the_log_only(database: Database) -> None:
    assert privileges(database, "ledger_notary", "ledger_events") == {"SELECT"}
    for table in ("ledger_leaves", "ledger_tree_nodes", "ledger_checkpoints"):
        assert privileges(database, "ledger_notary", table) == {"SELECT", "INSERT"}, table
    assert privileges(database, "ledger_notary", "ledger_notary_state") == {"SELECT", "UPDATE"}
    assert privileges(database, "ledger_notary", "ledger_idempotency") == set()
    assert (
        privileges(database, "ledger_notary", "ledger_snapshots")
        & {
            "INSERT",
            "UPDATE",
            "DELETE",
            "TRUNCATE",
        }
        == set()
    )


# --- the owner ------------------------------------------------------------------------------


def test_tables_and_functions_belong_to_a_role_the_ledger_does_not_log_in_as(
    database: Database,
) -> None:
    with psycopg.connect(database.owner_conninfo) as conn:
        owners = conn.execute(
            "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class "
            "WHERE relname = ANY(%s) "
            "UNION SELECT DISTINCT pg_get_userbyid(proowner) FROM pg_proc "
            "WHERE proname IN ('ledger_append_events', 'ledger_refuse_change')",
            (["ledger_events", "ledger_snapshots", "ledger_idempotency", *LOG_TABLES],),
        ).fetchall()
    assert {o[0] for o in owners}.isdisjoint({"ledger_app", "ledger_notary"})
    assert len(owners) == 1


# --- and the ledger still works --------------------------------------------------------------


def test_appends_and_sealing_work_under_the_restricted_roles(
    database_factory: Callable[[], Database], settings, tmp_path
) -> None:
    database = database_factory()
    ledger = Ledger(settings, database)
    signer = load_signer(tmp_path / "notary.key", settings.origin)
    notary = Notary(database.notary_conninfo, signer, settings.origin)
    try:
        case_id = register(ledger, CLERK).case_id
        appended = ledger.append(case_id, CLERK, "VisitRecorded")
        size = notary.catch_up()
        history = ledger.history(case_id, CLERK)
    finally:
        notary.close()
        ledger.close()
    with psycopg.connect(database.owner_conninfo) as conn:
        events, leaves, checkpoint = conn.execute(
            "SELECT (SELECT count(*) FROM ledger_events), (SELECT count(*) FROM ledger_leaves), "
            "(SELECT max(tree_size) FROM ledger_checkpoints)"
        ).fetchone()
    assert appended.version == 2 and appended.position == history[-1][0]
    assert size == events == leaves == checkpoint
