-- The event store: exactly the tables, type and index eventsourcing 9.5.6's PostgreSQL recorders
-- expect (they run with CREATE_TABLE=false), made append-only by the database itself.

CREATE TABLE IF NOT EXISTS ledger_events (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text,
    state bytea,
    notification_id bigserial,
    PRIMARY KEY (originator_id, originator_version)
) WITH (
    autovacuum_enabled = true,
    autovacuum_vacuum_threshold = 100000000,
    autovacuum_vacuum_scale_factor = 0.5,
    autovacuum_analyze_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.01
);

CREATE UNIQUE INDEX IF NOT EXISTS ledger_events_notification_id_idx
    ON ledger_events (notification_id ASC);

CREATE TABLE IF NOT EXISTS ledger_snapshots (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text,
    state bytea,
    PRIMARY KEY (originator_id, originator_version)
) WITH (
    autovacuum_enabled = true,
    autovacuum_vacuum_threshold = 100000000,
    autovacuum_vacuum_scale_factor = 0.5,
    autovacuum_analyze_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.01
);

-- The composite type the recorder inserts through (INSERT ... SELECT FROM unnest(...)).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
                   WHERE t.typname = 'stored_event_uuid' AND n.nspname = current_schema()) THEN
        CREATE TYPE stored_event_uuid AS (
            originator_id uuid, originator_version bigint, topic text, state bytea);
    END IF;
END
$$;

-- Stored events are immutable: PostgreSQL itself refuses UPDATE, DELETE and TRUNCATE,
-- whoever asks. Only a superuser who disables the triggers can change history, and the
-- verifiable log (Merkle tree, signed checkpoints) exists to catch exactly that.
CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger: % on % is refused: stored events are immutable', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

DROP TRIGGER IF EXISTS ledger_events_no_update_delete ON ledger_events;
CREATE TRIGGER ledger_events_no_update_delete
    BEFORE UPDATE OR DELETE ON ledger_events
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

DROP TRIGGER IF EXISTS ledger_events_no_truncate ON ledger_events;
CREATE TRIGGER ledger_events_no_truncate
    BEFORE TRUNCATE ON ledger_events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- Write receipts (idempotency keys), written in the same transaction as the events they produced.
-- The write's position is its last event's notification id, found through (originator, version).
CREATE TABLE IF NOT EXISTS ledger_idempotency (
    actor_id text NOT NULL,
    idempotency_key text NOT NULL,
    request_digest text NOT NULL,
    case_id uuid NOT NULL,
    last_originator_id uuid NOT NULL,
    last_originator_version bigint NOT NULL,
    response bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor_id, idempotency_key)
);

-- The insert lock. eventsourcing serialises writers with LOCK TABLE ... IN EXCLUSIVE MODE so that
-- insert order equals commit order and no reader skips an event. PostgreSQL only lets a role
-- take that lock if it may UPDATE, DELETE or TRUNCATE the table, which the application role must
-- not. This SECURITY DEFINER function takes the very same lock on the role's behalf; a lock taken
-- inside a function is held until the calling transaction ends.
DO $do$
BEGIN
    EXECUTE format(
        'CREATE OR REPLACE FUNCTION ledger_lock_events() RETURNS void '
        'LANGUAGE plpgsql SECURITY DEFINER SET search_path = %I, pg_temp AS '
        '$f$ BEGIN LOCK TABLE ledger_events IN EXCLUSIVE MODE; END $f$',
        current_schema());
END
$do$;

-- The application's role: INSERT and SELECT on stored events, nothing more.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ledger_app') THEN
        CREATE ROLE ledger_app LOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- another migration on this cluster created it first
END
$$;

DO $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO ledger_app', current_schema());
END
$$;

REVOKE ALL ON ledger_events, ledger_snapshots, ledger_idempotency FROM PUBLIC;
REVOKE ALL ON ledger_events, ledger_snapshots, ledger_idempotency FROM ledger_app;
GRANT SELECT, INSERT ON ledger_events, ledger_snapshots, ledger_idempotency TO ledger_app;
GRANT USAGE ON SEQUENCE ledger_events_notification_id_seq TO ledger_app;
REVOKE ALL ON FUNCTION ledger_lock_events() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_lock_events() TO ledger_app;
