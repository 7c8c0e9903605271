-- depends: 0006_pushback_views
-- Least privilege (issue 13, item 1). The application role appends events only through
-- ledger_append_events(), which checks version continuity under the insert lock; it may no longer
-- write the events or the verifiable log's tables directly. The notary runs as its own role,
-- ledger_notary, which may read events and append to the log's tables, nothing else. Tables,
-- triggers and functions belong to the role that runs the migrations, which the ledger never
-- logs in as. Re-runnable, like every migration here.

-- The one way the application appends. SECURITY DEFINER: it runs as the migrating owner, which
-- may take the EXCLUSIVE insert lock and use the notification id sequence; the caller needs
-- neither. Under the lock no other writer can insert, so the head versions it reads are exact.
CREATE OR REPLACE FUNCTION ledger_append_events(events stored_event_uuid[])
RETURNS TABLE (notification_id bigint)
LANGUAGE plpgsql SECURITY DEFINER
-- A custom plan per call (PL/pgSQL's default for an array argument) costs ~0.2 ms of planning,
-- several times the checks themselves; the generic plan is the same index probes.
SET plan_cache_mode = force_generic_plan
AS $fn$
#variable_conflict use_column
DECLARE
    bad record;
BEGIN
    IF events IS NULL OR cardinality(events) = 0 THEN
        RAISE EXCEPTION 'ledger: ledger_append_events needs at least one event'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The same lock eventsourcing takes: insert order equals commit order, so no reader
    -- following the notification ids skips one. Held to the end of the caller's transaction.
    LOCK TABLE ledger_events IN EXCLUSIVE MODE;
    -- Each event's version must be its originator's stored head + 1, counting the rows of this
    -- call before it (a new originator starts at 1). The first offending row, in input order:
    SELECT c.ord, c.originator_id, c.originator_version, c.expected, c.incomplete
      INTO bad
      FROM (SELECT e.ord, e.originator_id, e.originator_version,
                   e.topic IS NULL OR e.state IS NULL AS incomplete,
                   coalesce(h.head, 0)
                       + row_number() OVER (PARTITION BY e.originator_id ORDER BY e.ord) AS expected
              FROM unnest(events) WITH ORDINALITY
                       AS e (originator_id, originator_version, topic, state, ord)
              LEFT JOIN LATERAL (SELECT max(s.originator_version) AS head
                                   FROM ledger_events s
                                  WHERE s.originator_id = e.originator_id) h ON true) c
     WHERE c.originator_id IS NULL OR c.originator_version IS NULL OR c.incomplete
        OR c.originator_version <> c.expected
     ORDER BY c.ord
     LIMIT 1;
    IF FOUND THEN
        IF bad.originator_id IS NULL OR bad.originator_version IS NULL OR bad.incomplete THEN
            RAISE EXCEPTION 'ledger: event % of the append lacks its originator, version, topic '
                            'or state', bad.ord
                USING ERRCODE = 'not_null_violation';
        ELSIF bad.originator_version < 1 THEN
            RAISE EXCEPTION 'ledger: version % of % is refused: versions start at 1',
                            bad.originator_version, bad.originator_id
                USING ERRCODE = 'invalid_parameter_value';
        ELSIF bad.originator_version < bad.expected THEN
            -- A concurrent writer got there first: the conflict eventsourcing retries on.
            RAISE EXCEPTION 'ledger: version % of % already exists (the next version is %)',
                            bad.originator_version, bad.originator_id, bad.expected
                USING ERRCODE = 'unique_violation';
        ELSE
            RAISE EXCEPTION 'ledger: version % of % is refused: the next version is % '
                            '(versions may not skip)',
                            bad.originator_version, bad.originator_id, bad.expected
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;
    NOTIFY ledger_events;  -- what eventsourcing's recorder sends on every insert
    -- Ids are drawn in input order, so sorted ids are in input order: no join back is needed.
    RETURN QUERY
        WITH inserted AS (
            INSERT INTO ledger_events AS t (originator_id, originator_version, topic, state)
            SELECT e.originator_id, e.originator_version, e.topic, e.state
              FROM unnest(events) WITH ORDINALITY
                       AS e (originator_id, originator_version, topic, state, ord)
             ORDER BY e.ord              -- notification ids are drawn in input order
            RETURNING t.notification_id
        )
        SELECT n.notification_id FROM inserted n ORDER BY n.notification_id;
END
$fn$;

-- Pin the search path (CREATE OR REPLACE above resets it, so set it on every run).
DO $do$
BEGIN
    EXECUTE format('ALTER FUNCTION ledger_append_events(stored_event_uuid[]) '
                   'SET search_path = %I, pg_temp', current_schema());
END
$do$;

REVOKE ALL ON FUNCTION ledger_append_events(stored_event_uuid[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_append_events(stored_event_uuid[]) TO ledger_app;

-- The append function takes the insert lock itself and draws the ids as the owner: the
-- application needs neither the separate lock function nor the sequence any more.
DROP FUNCTION IF EXISTS ledger_lock_events();
REVOKE ALL ON SEQUENCE ledger_events_notification_id_seq FROM PUBLIC;
REVOKE ALL ON SEQUENCE ledger_events_notification_id_seq FROM ledger_app;

-- The application reads the events and the verifiable log (the API serves proofs, bundles and
-- the log's state) and writes none of them. ledger_snapshots is left to migration 0008;
-- ledger_idempotency keeps INSERT: receipts are written in the events' transaction.
REVOKE ALL ON ledger_events, ledger_leaves, ledger_tree_nodes, ledger_checkpoints,
    ledger_notary_state FROM PUBLIC;
REVOKE ALL ON ledger_events, ledger_leaves, ledger_tree_nodes, ledger_checkpoints,
    ledger_notary_state FROM ledger_app;
GRANT SELECT ON ledger_events, ledger_leaves, ledger_tree_nodes, ledger_checkpoints,
    ledger_notary_state TO ledger_app;

-- The notary's role (cluster-wide: another database on the server may have created it first).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ledger_notary') THEN
        CREATE ROLE ledger_notary LOGIN;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;  -- another migration on this cluster created it first
END
$$;

DO $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO ledger_notary', current_schema());
END
$$;

-- It reads events and appends leaves, nodes and checkpoints (the triggers refuse any change to
-- them), and moves its own state row (FOR UPDATE needs UPDATE). LISTEN/NOTIFY need no grant.
REVOKE ALL ON ledger_events, ledger_leaves, ledger_tree_nodes, ledger_checkpoints,
    ledger_notary_state FROM ledger_notary;
GRANT SELECT ON ledger_events TO ledger_notary;
GRANT SELECT, INSERT ON ledger_leaves, ledger_tree_nodes, ledger_checkpoints TO ledger_notary;
GRANT SELECT, UPDATE ON ledger_notary_state TO ledger_notary;
