-- depends: 0004_case_views
-- The "exceptions" projection (src/ledger/projections/exceptions.py): one row per exception
-- request and one per commitment (承诺书). Pending approvals, the duty board's approval queues,
-- the commitment breach timer and the approval proof's case lookup read these.
-- Every table leads with `generation`; reads join `ledger_projections` on the live one.

CREATE TABLE IF NOT EXISTS view_exceptions (
    generation int NOT NULL,
    exception_id uuid NOT NULL,
    case_id uuid NOT NULL,
    case_no text NOT NULL,
    centre text NOT NULL,
    department text NOT NULL,              -- the unit holding the case now
    kind text NOT NULL,                    -- ExceptionKind
    status text NOT NULL,                  -- ExceptionStatus
    rule_waived text NOT NULL,
    requested_by text NOT NULL,
    requested_at timestamptz NOT NULL,
    policy_id text NOT NULL,
    policy_version text NOT NULL,
    layers int NOT NULL,                   -- required layers, frozen at request
    decided int NOT NULL,                  -- layers decided so far
    next_layer int,                        -- 1-based; NULL once closed
    next_role text,                        -- the role the next layer needs
    next_title text,
    waiting_since timestamptz,             -- the request, or the previous layer's decision
    closed_at timestamptz,                 -- granted, refused or withdrawn
    used_at timestamptz,                   -- first acceptance or completion relying on it
    post_audit text,                       -- PostAuditSelection, drawn when granted
    audited boolean NOT NULL,              -- at least one post-audit recorded
    -- added beyond the shared column list: a pending request on a closed case waits on nobody
    case_closed boolean NOT NULL,
    PRIMARY KEY (generation, exception_id)
);

CREATE INDEX IF NOT EXISTS view_exceptions_pending_idx
    ON view_exceptions (generation, next_role, waiting_since) WHERE next_role IS NOT NULL;
CREATE INDEX IF NOT EXISTS view_exceptions_centre_idx
    ON view_exceptions (generation, centre, next_role) WHERE next_role IS NOT NULL;
CREATE INDEX IF NOT EXISTS view_exceptions_case_idx ON view_exceptions (generation, case_id);

CREATE TABLE IF NOT EXISTS view_commitments (
    generation int NOT NULL,
    commitment_id uuid NOT NULL,
    exception_id uuid NOT NULL,
    case_id uuid NOT NULL,
    centre text NOT NULL,
    items text[] NOT NULL,
    due_at timestamptz NOT NULL,
    status text NOT NULL,                  -- CommitmentStatus
    settled_at timestamptz,
    PRIMARY KEY (generation, commitment_id)
);

CREATE INDEX IF NOT EXISTS view_commitments_open_idx
    ON view_commitments (generation, due_at) WHERE status = 'open';
CREATE INDEX IF NOT EXISTS view_commitments_case_idx ON view_commitments (generation, case_id);

-- The projection's own fold of each case it has seen (a CaseState folded from the topics it
-- reads only: registration, hand-offs, acceptance, refusal, completion, reopening, exceptions).
CREATE TABLE IF NOT EXISTS view_exception_cases (
    generation int NOT NULL,
    case_id uuid NOT NULL,
    state bytea NOT NULL,                  -- CaseState (msgspec JSON), partial: see the module
    PRIMARY KEY (generation, case_id)
);

REVOKE ALL ON view_exceptions, view_commitments, view_exception_cases FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON view_exceptions, view_commitments, view_exception_cases
    TO ledger_app;
