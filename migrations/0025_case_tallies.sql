-- depends: 0024_event_recorded_at
-- The timeliness indicators pre-aggregated per Beijing day (issue 16; src/ledger/projections/
-- indicators/summed.py reads them). A report over a period then sums a few rows per day and group
-- instead of reading every case that counts in it (a month of 100,000 cases read 85,000 rows,
-- about 34,000 pages, per request).
--
-- Kept from triggers on view_cases, so that whatever writes the rows (the live projector, a
-- rebuild, a test) keeps them, and a generation's tallies live and die with its rows. The triggers
-- must not slow the view's batches (read-your-writes waits for them), so a statement only records
-- what changed: the old and new facts of each case whose facts changed, in view_case_pending, an
-- insert-only queue in the same transaction. `ledger_case_tallies_drain` (the projection worker's
-- drainer, about once a second) moves the queue into the tallies in one transaction, netting a
-- second of batches into one upsert per key. A reader adds what is still queued
-- (`ledger_case_contributions` over the queue), so the sums are exact in any snapshot, drained or
-- not.
--
-- Four tables, the sums keyed by the four groupings of `GET /metrics/timeliness` (department,
-- window, matter, channel; the total is the sum of any one grouping's groups):
--   view_case_tallies     counts and sums per figure and day (`timeliness.Counted`, per day);
--   view_case_matters     which matters (and names) count per day: 承诺时限压缩率's matters and
--                         a matter group's name;
--   view_case_completions one row per 办结 case, kept at once (no queue): the working times'
--                         median and p90 are order statistics (no per-day sum gives them), and
--                         主动评价率 joins the ratings;
--   view_case_pending     the queue.
-- Rows whose count fell to 0 stay (reads skip them). Re-runnable, like every migration here.

CREATE TABLE IF NOT EXISTS view_case_tallies (
    generation int NOT NULL,
    grouped_by text NOT NULL,              -- department | window | matter | channel (GroupBy)
    centre text NOT NULL,
    key text,                              -- the case's key under the grouping (null: no window)
    figure text NOT NULL,                  -- received | accepted | completed | cohort | due | noticed
    day date NOT NULL,                     -- the Beijing day of the figure's moment
    until date,                            -- cohort only: the Beijing day it was closed
    n bigint NOT NULL,                     -- cases
    handoffs bigint NOT NULL,              -- received: sums over the cases
    visits bigint NOT NULL,
    notice_violations bigint NOT NULL,
    with_violations bigint NOT NULL,       -- received: cases with ≥ 1 notice violation
    extended bigint NOT NULL,              -- accepted: with ≥ 1 approved extension
    one_visit bigint NOT NULL,             -- completed: with ≤ 1 visit
    zero_visits bigint NOT NULL,           -- completed: with no visit
    on_time bigint NOT NULL,               -- due: 办结 by the deadline
    in_time bigint NOT NULL,               -- noticed: noticed by the notice deadline
    CONSTRAINT view_case_tallies_key
        UNIQUE NULLS NOT DISTINCT (generation, grouped_by, day, centre, key, figure, until)
);

CREATE TABLE IF NOT EXISTS view_case_matters (
    generation int NOT NULL,
    grouped_by text NOT NULL,
    centre text NOT NULL,
    key text,
    day date NOT NULL,
    by_due boolean NOT NULL,               -- counted as due that day (only once the deadline passed)
    matter_code text NOT NULL,
    matter_name text NOT NULL,
    n bigint NOT NULL,                     -- (case, figure) pairs
    CONSTRAINT view_case_matters_key UNIQUE NULLS NOT DISTINCT
        (generation, grouped_by, day, centre, key, by_due, matter_code, matter_name)
);

CREATE TABLE IF NOT EXISTS view_case_completions (
    generation int NOT NULL,
    case_id uuid NOT NULL,
    centre text NOT NULL,
    closed_day date NOT NULL,
    department text NOT NULL,
    "window" text,
    matter_code text NOT NULL,
    channel text NOT NULL,
    working_seconds double precision,
    PRIMARY KEY (generation, case_id)
);

CREATE INDEX IF NOT EXISTS view_case_completions_day_idx
    ON view_case_completions (generation, closed_day);
-- A matter's name when its cases carry several (summed.names_query) reads the matter's cases.
CREATE INDEX IF NOT EXISTS view_cases_matter_idx ON view_cases (generation, matter_code);

-- The columns of a view_cases row that the tallies read: the triggers pass these, not the rows
-- with their states.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'ledger_case_facts') THEN
        CREATE TYPE ledger_case_facts AS (
            generation int, case_id uuid, centre text, department text, "window" text,
            matter_code text, matter_name text, channel text, status text, outcome text,
            registered_at timestamptz, accepted_at timestamptz, closed_at timestamptz,
            due_at timestamptz, notice_at timestamptz, notice_due_at timestamptz,
            working_seconds double precision, visits int, handoffs int,
            extensions_approved int, notice_violations int
        );
    END IF;
END $$;

CREATE TABLE IF NOT EXISTS view_case_pending (
    generation int NOT NULL,
    sign smallint NOT NULL,                -- 1: facts to add; -1: facts to subtract
    facts ledger_case_facts NOT NULL
);

CREATE OR REPLACE FUNCTION ledger_case_facts_of(c view_cases) RETURNS ledger_case_facts
LANGUAGE sql IMMUTABLE AS $fn$
    SELECT ROW(c.generation, c.case_id, c.centre, c.department, c."window", c.matter_code,
               c.matter_name, c.channel, c.status, c.outcome, c.registered_at, c.accepted_at,
               c.closed_at, c.due_at, c.notice_at, c.notice_due_at, c.working_seconds, c.visits,
               c.handoffs, c.extensions_approved, c.notice_violations)::ledger_case_facts
$fn$;

CREATE OR REPLACE FUNCTION ledger_beijing_day(t timestamptz) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
    SELECT (t AT TIME ZONE 'Asia/Shanghai')::date
$fn$;

-- What each case counts as, per figure, on the Beijing day of the figure's moment, under each
-- (grouping, key) it has, signed: +1 for the rows `added`, -1 for the rows `removed`. The
-- predicates of `timeliness` (and summed.case_flags) with "in P" taken one day at a time: a moment
-- is in a period [first, last] exactly when its Beijing day is, so a period's figure is the sum
-- of its days'. Two figures need more than the day: cohort (accepted in P and closed before P
-- ended) carries the closing day; due counts only once the deadline has passed, which the reader
-- decides for the current day (summed.py). Set-based, one branch per figure: per-case LATERAL
-- lists of the figures cost about 38 µs a case, this about 6 (10,000 cases).
CREATE OR REPLACE FUNCTION ledger_case_contributions(added ledger_case_facts[],
                                                     removed ledger_case_facts[])
RETURNS TABLE (generation int, grouped_by text, centre text, key text, matter_code text,
               matter_name text, figure text, day date, until date, sign int, handoffs int,
               visits int, notice_violations int, with_violations int, extended int,
               one_visit int, zero_visits int, on_time int, in_time int)
LANGUAGE sql STABLE AS $fn$
    WITH f AS MATERIALIZED (
        SELECT c.*, c.status = 'completed' AND c.outcome IS DISTINCT FROM 'withdrawn' AS banjie,
               c.status = 'completed' AND c.outcome IS NOT DISTINCT FROM 'withdrawn' AS withdrawn
        FROM (SELECT a.*, 1 AS sign FROM unnest(added) a
              UNION ALL
              SELECT r.*, -1 FROM unnest(removed) r) c
    ), x AS (
        -- is_received: registered in P; sums its hand-offs, visits and notice violations
        SELECT f.*, 'received' AS figure, ledger_beijing_day(f.registered_at) AS day,
               NULL::date AS until, f.handoffs AS x_handoffs, f.visits AS x_visits,
               f.notice_violations AS x_notice_violations,
               (f.notice_violations >= 1)::int AS x_with_violations, 0 AS x_extended,
               0 AS x_one_visit, 0 AS x_zero_visits, 0 AS x_on_time, 0 AS x_in_time
        FROM f
        UNION ALL  -- is_accepted; is_extended: accepted in P with ≥ 1 approved extension
        SELECT f.*, 'accepted', ledger_beijing_day(f.accepted_at), NULL, 0, 0, 0, 0,
               (f.extensions_approved >= 1)::int, 0, 0, 0, 0
        FROM f WHERE f.accepted_at IS NOT NULL
        UNION ALL  -- is_completed: 办结 (completed, not withdrawn), closed in P
        SELECT f.*, 'completed', ledger_beijing_day(f.closed_at), NULL, 0, 0, 0, 0, 0,
               (f.visits <= 1)::int, (f.visits = 0)::int, 0, 0
        FROM f WHERE f.banjie AND f.closed_at IS NOT NULL
        UNION ALL  -- is_completed_in_cohort: accepted in P, 办结, closed before P ended
        SELECT f.*, 'cohort', ledger_beijing_day(f.accepted_at), ledger_beijing_day(f.closed_at),
               0, 0, 0, 0, 0, 0, 0, 0, 0
        FROM f WHERE f.banjie AND f.accepted_at IS NOT NULL AND f.closed_at IS NOT NULL
        UNION ALL  -- is_due: due in P (and by now), held to the deadline (not withdrawn at or
                   -- before it); is_on_time: 办结 by the deadline
        SELECT f.*, 'due', ledger_beijing_day(f.due_at), NULL, 0, 0, 0, 0, 0, 0, 0,
               (f.banjie AND coalesce(f.closed_at <= f.due_at, false))::int, 0
        FROM f WHERE f.due_at IS NOT NULL
                 AND NOT (f.withdrawn AND f.closed_at IS NOT NULL AND f.closed_at <= f.due_at)
        UNION ALL  -- is_noticed: first notice in P, with a notice deadline; is_noticed_in_time
        SELECT f.*, 'noticed', ledger_beijing_day(f.notice_at), NULL, 0, 0, 0, 0, 0, 0, 0, 0,
               (f.notice_at <= f.notice_due_at)::int
        FROM f WHERE f.notice_due_at IS NOT NULL AND f.notice_at IS NOT NULL
    )
    SELECT x.generation, g.grouped_by, x.centre,
           CASE g.grouped_by WHEN 'department' THEN x.department WHEN 'window' THEN x."window"
                             WHEN 'matter' THEN x.matter_code ELSE x.channel END,
           x.matter_code, x.matter_name, x.figure, x.day, x.until, x.sign, x.x_handoffs,
           x.x_visits, x.x_notice_violations, x.x_with_violations, x.x_extended, x.x_one_visit,
           x.x_zero_visits, x.x_on_time, x.x_in_time
    FROM x CROSS JOIN (VALUES ('department'), ('window'), ('matter'), ('channel')) g(grouped_by)
$fn$;


-- The queue's facts into the tallies and matters: one pass over the contributions feeds both
-- tables (a CTE referenced twice is computed once).
-- PL/pgSQL, so that its statements' plans are kept between calls.
CREATE OR REPLACE FUNCTION ledger_case_tallies_apply(added ledger_case_facts[],
                                                     removed ledger_case_facts[])
RETURNS void LANGUAGE plpgsql SET jit = off AS $fn$
BEGIN
    WITH c AS (
        SELECT * FROM ledger_case_contributions(added, removed)
    ), tallied AS (
        INSERT INTO view_case_tallies AS t (generation, grouped_by, centre, key, figure, day,
            until, n, handoffs, visits, notice_violations, with_violations, extended, one_visit,
            zero_visits, on_time, in_time)
        SELECT c.generation, c.grouped_by, c.centre, c.key, c.figure, c.day, c.until,
               sum(c.sign), sum(c.sign * c.handoffs), sum(c.sign * c.visits),
               sum(c.sign * c.notice_violations), sum(c.sign * c.with_violations),
               sum(c.sign * c.extended), sum(c.sign * c.one_visit), sum(c.sign * c.zero_visits),
               sum(c.sign * c.on_time), sum(c.sign * c.in_time)
        FROM c
        GROUP BY c.generation, c.grouped_by, c.centre, c.key, c.figure, c.day, c.until
        HAVING sum(c.sign) <> 0 OR sum(c.sign * c.handoffs) <> 0 OR sum(c.sign * c.visits) <> 0
            OR sum(c.sign * c.notice_violations) <> 0 OR sum(c.sign * c.with_violations) <> 0
            OR sum(c.sign * c.extended) <> 0 OR sum(c.sign * c.one_visit) <> 0
            OR sum(c.sign * c.zero_visits) <> 0 OR sum(c.sign * c.on_time) <> 0
            OR sum(c.sign * c.in_time) <> 0
        ON CONFLICT ON CONSTRAINT view_case_tallies_key DO UPDATE SET
            n = t.n + excluded.n, handoffs = t.handoffs + excluded.handoffs,
            visits = t.visits + excluded.visits,
            notice_violations = t.notice_violations + excluded.notice_violations,
            with_violations = t.with_violations + excluded.with_violations,
            extended = t.extended + excluded.extended,
            one_visit = t.one_visit + excluded.one_visit,
            zero_visits = t.zero_visits + excluded.zero_visits,
            on_time = t.on_time + excluded.on_time, in_time = t.in_time + excluded.in_time
    )
    INSERT INTO view_case_matters AS t (generation, grouped_by, centre, key, day, by_due,
        matter_code, matter_name, n)
    SELECT c.generation, c.grouped_by, c.centre, c.key, c.day, c.figure = 'due', c.matter_code,
           c.matter_name, sum(c.sign)
    FROM c
    WHERE c.figure <> 'cohort'
    GROUP BY c.generation, c.grouped_by, c.centre, c.key, c.day, c.figure = 'due', c.matter_code,
             c.matter_name
    HAVING sum(c.sign) <> 0
    ON CONFLICT ON CONSTRAINT view_case_matters_key DO UPDATE SET n = t.n + excluded.n;

END
$fn$;

-- 办结 cases as rows, kept at once.
CREATE OR REPLACE FUNCTION ledger_case_completions_apply(added ledger_case_facts[],
                                                         removed ledger_case_facts[])
RETURNS void LANGUAGE plpgsql SET jit = off AS $fn$
BEGIN
    DELETE FROM view_case_completions c USING unnest(removed) r
    WHERE c.generation = r.generation AND c.case_id = r.case_id;

    INSERT INTO view_case_completions (generation, case_id, centre, closed_day, department,
        "window", matter_code, channel, working_seconds)
    SELECT a.generation, a.case_id, a.centre, ledger_beijing_day(a.closed_at), a.department,
           a."window", a.matter_code, a.channel, a.working_seconds
    FROM unnest(added) a
    WHERE a.status = 'completed' AND a.outcome IS DISTINCT FROM 'withdrawn'
      AND a.closed_at IS NOT NULL;
END
$fn$;

-- JIT off: PostgreSQL prices these statements (arrays of unknown length) past jit_above_cost and
-- compiled them on every call, about 0.6 s a statement, for a few milliseconds of work.
CREATE OR REPLACE FUNCTION ledger_case_tallies_trigger() RETURNS trigger
LANGUAGE plpgsql SET jit = off AS $fn$
DECLARE
    added ledger_case_facts[] := '{}';
    removed ledger_case_facts[] := '{}';
BEGIN
    IF TG_OP = 'INSERT' THEN
        added := ARRAY(SELECT ledger_case_facts_of(n) FROM new_cases n);
    ELSIF TG_OP = 'UPDATE' THEN  -- a row whose facts did not change counts as it did
        added := ARRAY(SELECT ledger_case_facts_of(n) FROM new_cases n WHERE NOT EXISTS (
            SELECT 1 FROM old_cases o WHERE o.generation = n.generation
               AND o.case_id = n.case_id
               AND ledger_case_facts_of(o) IS NOT DISTINCT FROM ledger_case_facts_of(n)));
        removed := ARRAY(SELECT ledger_case_facts_of(o) FROM old_cases o WHERE NOT EXISTS (
            SELECT 1 FROM new_cases n WHERE n.generation = o.generation
               AND n.case_id = o.case_id
               AND ledger_case_facts_of(n) IS NOT DISTINCT FROM ledger_case_facts_of(o)));
    ELSE
        removed := ARRAY(SELECT ledger_case_facts_of(o) FROM old_cases o);
    END IF;
    INSERT INTO view_case_pending (generation, sign, facts)
    SELECT (a).generation, 1, a FROM unnest(added) a
    UNION ALL
    SELECT (r).generation, -1, r FROM unnest(removed) r;
    PERFORM ledger_case_completions_apply(added, removed);
    RETURN NULL;
END
$fn$;

-- The queue into the tallies, in the caller's transaction: at most `max_facts` of it (NULL: all),
-- so that a backlog (after a catch-up or a rebuild) is drained in bounded steps beside live
-- traffic; returns how many facts it moved. One drain at a time (two would upsert the same keys in
-- different orders); one that finds the queue locked by another waits for it and then finds those
-- rows gone. work_mem: a step's contributions are aggregated in memory, not sorted on disk.
DROP FUNCTION IF EXISTS ledger_case_tallies_drain();
CREATE OR REPLACE FUNCTION ledger_case_tallies_drain(max_facts int DEFAULT NULL) RETURNS bigint
LANGUAGE plpgsql SET jit = off SET work_mem = '64MB' AS $fn$
DECLARE
    moved bigint;
    added ledger_case_facts[];
    removed ledger_case_facts[];
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended('ledger_case_tallies', 0));
    WITH gone AS (
        DELETE FROM view_case_pending WHERE ctid = ANY(ARRAY(
            SELECT ctid FROM view_case_pending LIMIT max_facts))
        RETURNING sign, facts
    )
    SELECT count(*), coalesce(array_agg(facts) FILTER (WHERE sign = 1), '{}'),
           coalesce(array_agg(facts) FILTER (WHERE sign = -1), '{}')
    INTO moved, added, removed FROM gone;
    IF moved > 0 THEN
        PERFORM ledger_case_tallies_apply(added, removed);
    END IF;
    RETURN moved;
END
$fn$;

DROP TRIGGER IF EXISTS view_cases_tallies_insert ON view_cases;
DROP TRIGGER IF EXISTS view_cases_tallies_update ON view_cases;
DROP TRIGGER IF EXISTS view_cases_tallies_delete ON view_cases;
CREATE TRIGGER view_cases_tallies_insert AFTER INSERT ON view_cases
    REFERENCING NEW TABLE AS new_cases
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_case_tallies_trigger();
CREATE TRIGGER view_cases_tallies_update AFTER UPDATE ON view_cases
    REFERENCING OLD TABLE AS old_cases NEW TABLE AS new_cases
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_case_tallies_trigger();
CREATE TRIGGER view_cases_tallies_delete AFTER DELETE ON view_cases
    REFERENCING OLD TABLE AS old_cases
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_case_tallies_trigger();

-- The cases already projected (every generation), once: the tables are rebuilt from the rows.
DELETE FROM view_case_tallies;
DELETE FROM view_case_matters;
DELETE FROM view_case_completions;
DELETE FROM view_case_pending;
DO $$
BEGIN
    PERFORM ledger_case_tallies_apply(ARRAY(SELECT ledger_case_facts_of(v) FROM view_cases v),
                                      '{}');
    PERFORM ledger_case_completions_apply(
        ARRAY(SELECT ledger_case_facts_of(v) FROM view_cases v), '{}');
END $$;

REVOKE ALL ON view_case_tallies, view_case_matters, view_case_completions, view_case_pending
    FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON view_case_tallies, view_case_matters,
    view_case_completions, view_case_pending TO ledger_app;
