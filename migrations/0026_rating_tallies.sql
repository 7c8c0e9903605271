-- depends: 0025_case_tallies
-- The 好差评 section's counts pre-aggregated per Beijing day of rating (issue 16; src/ledger/
-- projections/indicators/summed_ratings.py reads them). A report over a period then sums a few
-- rows per day and group instead of reading every rating made in it (a month of 100,000 cases:
-- about 44,000 ratings, 26 ms of a report's 120).
--
-- Each figure here counts a rating by the day it was rated (`ratings.RatingsTally.add_rating`:
-- rated in P), so P's figure is the sum of its days'. The rectification figures count a 差评 by
-- two moments at once (its deadline passed in P, or rectified in P), which no per-day sum gives
-- without counting some twice; they stay with the few 差评 that have a deadline, read through the
-- partial indexes below.
--
-- Kept at once by statement triggers on view_ratings, in the pushback projection's transaction,
-- so the sums are exact in any snapshot with no queue (the cases' tallies queue, migration 0025,
-- because read-your-writes waits for the cases view; nothing waits for this one). A batch rewrites
-- every rating of the cases it touches: old and new rows are netted first, so an unchanged rating
-- writes nothing. Rows whose counts fell to 0 stay (the reader skips groups that count nothing).
-- Re-runnable, like every migration here.

CREATE TABLE IF NOT EXISTS view_rating_tallies (
    generation int NOT NULL,
    grouped_by text NOT NULL,              -- department | window | matter (the ratings' groupings)
    centre text NOT NULL,
    key text,                              -- the rating's key under the grouping (null: no window)
    day date NOT NULL,                     -- the Beijing day it was rated
    ratings bigint NOT NULL,               -- not excluded
    "default" bigint NOT NULL,             -- not excluded, a default rating
    excluded bigint NOT NULL,              -- excluded (an upheld appeal)
    bad bigint NOT NULL,                   -- not excluded, a 差评 (level <= 2)
    good bigint NOT NULL,                  -- not excluded, level >= 3
    good_active bigint NOT NULL,           -- not excluded, level >= 3, not a default rating
    real_name_bad bigint NOT NULL,         -- not excluded, a real-name 差评
    real_name_followed_up bigint NOT NULL, -- not excluded, a real-name 差评 with a verification
    CONSTRAINT view_rating_tallies_key UNIQUE NULLS NOT DISTINCT (generation, grouped_by, day, centre, key)
);

-- The rectification figures' ratings, found by either moment without a scan.
CREATE INDEX IF NOT EXISTS view_ratings_rectify_due_idx
    ON view_ratings (generation, rectify_due) WHERE rectify_due IS NOT NULL;
CREATE INDEX IF NOT EXISTS view_ratings_rectified_idx
    ON view_ratings (generation, rectified_at) WHERE rectified_at IS NOT NULL;

-- What each rating counts as on the day it was rated, under each (grouping, key) it has, signed:
-- +1 for the rows `added`, -1 for the rows `removed`. The predicates of `ratings.RatingsTally`
-- (and summed_ratings._SUMS) with "rated in P" taken one day at a time.
CREATE OR REPLACE FUNCTION ledger_rating_contributions(added view_ratings[],
                                                       removed view_ratings[])
RETURNS TABLE (generation int, grouped_by text, centre text, key text, day date, ratings int,
               "default" int, excluded int, bad int, good int, good_active int,
               real_name_bad int, real_name_followed_up int)
LANGUAGE sql STABLE AS $fn$
    SELECT r.generation, g.grouped_by, r.centre,
           CASE g.grouped_by WHEN 'department' THEN r.department WHEN 'window' THEN r."window"
                             ELSE r.matter_code END,
           ledger_beijing_day(r.rated_at),
           r.sign * (NOT r.excluded)::int,
           r.sign * (NOT r.excluded AND r.is_default)::int,
           r.sign * r.excluded::int,
           r.sign * (NOT r.excluded AND r.level <= 2)::int,
           r.sign * (NOT r.excluded AND r.level >= 3)::int,
           r.sign * (NOT r.excluded AND r.level >= 3 AND NOT r.is_default)::int,
           r.sign * (NOT r.excluded AND r.real_name AND r.level <= 2)::int,
           r.sign * (NOT r.excluded AND r.real_name AND r.level <= 2
                     AND r.validity IS NOT NULL)::int
    FROM (SELECT a.*, 1 AS sign FROM unnest(added) a
          UNION ALL
          SELECT d.*, -1 FROM unnest(removed) d) r
    CROSS JOIN (VALUES ('department'), ('window'), ('matter')) g(grouped_by)
$fn$;

-- The contributions netted per key and upserted, in key order (two writers of one generation
-- then take the rows' locks in the same order).
CREATE OR REPLACE FUNCTION ledger_rating_tallies_apply(added view_ratings[],
                                                       removed view_ratings[])
RETURNS void LANGUAGE plpgsql SET jit = off AS $fn$
BEGIN
    INSERT INTO view_rating_tallies AS t (generation, grouped_by, centre, key, day, ratings,
        "default", excluded, bad, good, good_active, real_name_bad, real_name_followed_up)
    SELECT c.generation, c.grouped_by, c.centre, c.key, c.day, sum(c.ratings),
           sum(c."default"), sum(c.excluded), sum(c.bad), sum(c.good), sum(c.good_active),
           sum(c.real_name_bad), sum(c.real_name_followed_up)
    FROM ledger_rating_contributions(added, removed) c
    GROUP BY c.generation, c.grouped_by, c.day, c.centre, c.key
    HAVING sum(c.ratings) <> 0 OR sum(c."default") <> 0 OR sum(c.excluded) <> 0
        OR sum(c.bad) <> 0 OR sum(c.good) <> 0 OR sum(c.good_active) <> 0
        OR sum(c.real_name_bad) <> 0 OR sum(c.real_name_followed_up) <> 0
    ORDER BY c.generation, c.grouped_by, c.day, c.centre, c.key
    ON CONFLICT ON CONSTRAINT view_rating_tallies_key DO UPDATE SET
        ratings = t.ratings + excluded.ratings, "default" = t."default" + excluded."default",
        excluded = t.excluded + excluded.excluded, bad = t.bad + excluded.bad,
        good = t.good + excluded.good, good_active = t.good_active + excluded.good_active,
        real_name_bad = t.real_name_bad + excluded.real_name_bad,
        real_name_followed_up = t.real_name_followed_up + excluded.real_name_followed_up;
END
$fn$;

CREATE OR REPLACE FUNCTION ledger_rating_tallies_trigger() RETURNS trigger
LANGUAGE plpgsql SET jit = off AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM ledger_rating_tallies_apply(ARRAY(SELECT n::view_ratings FROM new_ratings n), '{}');
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM ledger_rating_tallies_apply(ARRAY(SELECT n::view_ratings FROM new_ratings n),
                                            ARRAY(SELECT o::view_ratings FROM old_ratings o));
    ELSE
        PERFORM ledger_rating_tallies_apply('{}', ARRAY(SELECT o::view_ratings FROM old_ratings o));
    END IF;
    RETURN NULL;
END
$fn$;

DROP TRIGGER IF EXISTS view_ratings_tallies_insert ON view_ratings;
DROP TRIGGER IF EXISTS view_ratings_tallies_update ON view_ratings;
DROP TRIGGER IF EXISTS view_ratings_tallies_delete ON view_ratings;
CREATE TRIGGER view_ratings_tallies_insert AFTER INSERT ON view_ratings
    REFERENCING NEW TABLE AS new_ratings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_rating_tallies_trigger();
CREATE TRIGGER view_ratings_tallies_update AFTER UPDATE ON view_ratings
    REFERENCING OLD TABLE AS old_ratings NEW TABLE AS new_ratings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_rating_tallies_trigger();
CREATE TRIGGER view_ratings_tallies_delete AFTER DELETE ON view_ratings
    REFERENCING OLD TABLE AS old_ratings
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_rating_tallies_trigger();

-- The ratings already projected (every generation), once: the table is rebuilt from the rows.
-- (PERFORM in a DO block: a bare SELECT would print its result where `ledger` writes its logs.)
DELETE FROM view_rating_tallies;
DO $$
BEGIN
    PERFORM ledger_rating_tallies_apply(ARRAY(SELECT v FROM view_ratings v), '{}');
END $$;

REVOKE ALL ON view_rating_tallies FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON view_rating_tallies TO ledger_app;
