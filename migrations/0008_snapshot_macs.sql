-- depends: 0007_least_privilege
-- Nothing unsealed is trusted (issue 13, item 2). Snapshots are a cache the application seals for
-- itself (src/ledger/store/snapshots.py): each carries an HMAC-SHA256 under a key that lives
-- outside the database, over the snapshot and the stored event it folds up to. The reader checks
-- it and replays the events of any snapshot that fails, so no database role can make a snapshot
-- the application trusts. Re-runnable, like every migration here.

-- Nullable: rows written before this release have no MAC, fail the check and are rebuilt from
-- their events (and superseded by sealed snapshots as cases cross their next interval).
ALTER TABLE ledger_snapshots ADD COLUMN IF NOT EXISTS mac bytea;

-- The one way the application writes snapshots. It takes a batch only if every row carries a
-- MAC-sized MAC and names a stored event (so no snapshot claims a version past its aggregate's
-- head). It cannot check the MAC, which needs the application's key: the reader does.
CREATE OR REPLACE FUNCTION ledger_put_snapshots(
    ids uuid[], versions bigint[], topics text[], states bytea[], macs bytea[])
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER
AS $fn$
DECLARE
    inserted bigint;
BEGIN
    IF cardinality(ids) IS DISTINCT FROM cardinality(versions)
       OR cardinality(ids) IS DISTINCT FROM cardinality(topics)
       OR cardinality(ids) IS DISTINCT FROM cardinality(states)
       OR cardinality(ids) IS DISTINCT FROM cardinality(macs) THEN
        RAISE EXCEPTION 'ledger: the snapshot columns differ in length'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO ledger_snapshots (originator_id, originator_version, topic, state, mac)
    SELECT s.id, s.version, s.topic, s.state, s.mac
      FROM unnest(ids, versions, topics, states, macs) AS s (id, version, topic, state, mac)
     WHERE s.topic IS NOT NULL AND s.state IS NOT NULL AND length(s.mac) = 32
       AND EXISTS (SELECT 1 FROM ledger_events e
                    WHERE e.originator_id = s.id AND e.originator_version = s.version);
    GET DIAGNOSTICS inserted = ROW_COUNT;
    IF inserted <> coalesce(cardinality(ids), 0) THEN
        RAISE EXCEPTION 'ledger: a snapshot must carry a MAC and name a stored event'
            USING ERRCODE = 'foreign_key_violation';
    END IF;
END
$fn$;

-- Pin the search path (CREATE OR REPLACE above resets it, so set it on every run).
DO $do$
BEGIN
    EXECUTE format('ALTER FUNCTION ledger_put_snapshots(uuid[], bigint[], text[], bytea[], '
                   'bytea[]) SET search_path = %I, pg_temp', current_schema());
END
$do$;

REVOKE ALL ON FUNCTION ledger_put_snapshots(uuid[], bigint[], text[], bytea[], bytea[])
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_put_snapshots(uuid[], bigint[], text[], bytea[], bytea[])
    TO ledger_app;

-- The application reads snapshots and writes them only through the function above.
REVOKE ALL ON ledger_snapshots FROM PUBLIC;
REVOKE ALL ON ledger_snapshots FROM ledger_app;
GRANT SELECT ON ledger_snapshots TO ledger_app;
