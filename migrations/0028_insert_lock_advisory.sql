-- depends: 0027_failure_records_without_values
-- The insert lock is a transaction-level advisory lock, no longer `LOCK TABLE ledger_events IN
-- EXCLUSIVE MODE` (eventsourcing's, kept by migration 0007). EXCLUSIVE conflicts with the SHARE
-- UPDATE EXCLUSIVE lock that VACUUM, ANALYZE, autovacuum and CREATE INDEX CONCURRENTLY hold on
-- the table for as long as they run: every append waited behind an operator's ANALYZE, behind an
-- autovacuum until PostgreSQL cancelled it after deadlock_timeout (1 s), and behind an
-- autovacuum run to prevent wraparound, which is never cancelled, for all of its run. The
-- advisory lock serialises appends just as well, so insert order is still commit order; it
-- conflicts with nothing else. A statement trigger takes it for every other insert into the
-- table too (the owner's bulk loads), as the table lock used to serialise them.
-- tests/integration/store/test_insert_lock.py. Re-runnable, like every migration here.

-- The one key, in one place: the append function and the trigger both call this.
CREATE OR REPLACE FUNCTION ledger_events_insert_lock() RETURNS void
LANGUAGE sql AS $$ SELECT pg_advisory_xact_lock(hashtextextended('ledger_events insert', 0)) $$;

CREATE OR REPLACE FUNCTION ledger_events_insert_lock_trigger() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM ledger_events_insert_lock();
    RETURN NULL;
END
$fn$;

DROP TRIGGER IF EXISTS ledger_events_insert_lock ON ledger_events;
CREATE TRIGGER ledger_events_insert_lock BEFORE INSERT ON ledger_events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_events_insert_lock_trigger();

DO $do$
BEGIN
    EXECUTE format('ALTER FUNCTION ledger_events_insert_lock() SET search_path = %I, pg_temp',
                   current_schema());
    EXECUTE format('ALTER FUNCTION ledger_events_insert_lock_trigger() '
                   'SET search_path = %I, pg_temp', current_schema());
END
$do$;

-- Only the owner's functions and trigger take it; no role needs to call it.
REVOKE ALL ON FUNCTION ledger_events_insert_lock() FROM PUBLIC;
REVOKE ALL ON FUNCTION ledger_events_insert_lock_trigger() FROM PUBLIC;

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
    -- The insert lock: insert order equals commit order, so no reader following the
    -- notification ids skips one. Held to the end of the caller's transaction.
    PERFORM ledger_events_insert_lock();
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
