-- depends: 0010_cosignatures
-- Poison events (issue 14): an event a projection cannot apply stops that projection, and only
-- that one, right before the event, with a durable record of which event and why; an operator
-- skips it (the view goes on without it, knowingly) or retries it after a fix. Transient errors
-- (connection lost, serialization failure, deadlock) are retried and never recorded here.
-- Re-runnable, like every migration here.

-- The position of the event a generation stopped before (NULL: it goes on). On the tracking row,
-- so the projector's lock on that row reads it (a row re-read after a lock wait is current; a
-- subquery on another table would see the statement's older snapshot).
ALTER TABLE ledger_projection_tracking ADD COLUMN IF NOT EXISTS stopped_before bigint;

-- One row per projection and event it failed on: what failed, how, how often, and what an
-- operator decided. Never deleted: a skipped event stays on record as missing from the view.
CREATE TABLE IF NOT EXISTS ledger_projection_failures (
    name text NOT NULL REFERENCES ledger_projections (name),
    position bigint NOT NULL,                -- the event's notification id
    generation int NOT NULL,                 -- the generation that last failed on it
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text NOT NULL,
    error_class text NOT NULL,               -- e.g. psycopg.DataError
    error text NOT NULL,
    attempts int NOT NULL DEFAULT 1 CHECK (attempts >= 1),  -- stops on it (1 + failed retries)
    first_failed_at timestamptz NOT NULL DEFAULT now(),
    failed_at timestamptz NOT NULL DEFAULT now(),          -- the last stop on it
    state text NOT NULL DEFAULT 'failed' CHECK (state IN ('failed', 'skipped', 'retried')),
    resolved_by text,                        -- who skipped or retried it last, when, and why
    resolved_at timestamptz,
    reason text,
    CHECK (state = 'failed' OR (resolved_by IS NOT NULL AND resolved_at IS NOT NULL)),
    CHECK (state <> 'skipped' OR reason IS NOT NULL),
    PRIMARY KEY (name, position)
);

-- The projector records a failure and stops; `ledger projections skip | retry` (run as the
-- application role, like `status` and `rebuild`) resolve it. No DELETE: the record is durable.
REVOKE ALL ON ledger_projection_failures FROM PUBLIC;
REVOKE ALL ON ledger_projection_failures FROM ledger_app;
GRANT SELECT, INSERT, UPDATE ON ledger_projection_failures TO ledger_app;
