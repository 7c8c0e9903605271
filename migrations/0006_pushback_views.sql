-- depends: 0005_exception_views
-- The "pushback" projection (src/ledger/projections/pushback.py): the public's three channels of
-- pushback on a case. 12345 work orders and their dispatch rounds, 办不成事 reports with their
-- root causes and improvement actions, and 好差评 ratings. The hotline and unresolved registers,
-- the duty board, the indicators and the default-rating timer read these.
-- Every table leads with `generation`; reads join `ledger_projections` on the live one.
-- No table holds who rated, or a confidential order's summary: what is not here cannot leak.

CREATE TABLE IF NOT EXISTS view_hotline_tickets (
    generation int NOT NULL,
    ticket_id uuid NOT NULL,
    case_id uuid NOT NULL,
    case_no text NOT NULL,
    centre text NOT NULL,
    ticket_no text NOT NULL,
    category text NOT NULL,                -- HotlineCategory
    urgency text NOT NULL,                 -- HotlineUrgency
    confidential boolean NOT NULL,
    summary text,                          -- NULL when confidential
    status text NOT NULL,                  -- TicketStatus
    received_at timestamptz NOT NULL,
    lead_unit text,                        -- the current round's lead unit
    assist_units text[] NOT NULL,          -- the current round's assisting units
    rounds int NOT NULL,                   -- lead dispatches (派单 rounds)
    returns_requested int NOT NULL,
    returns_approved int NOT NULL,
    designated boolean NOT NULL,           -- the current lead was designated (指定承办)
    dispatched_at timestamptz,             -- the current round's lead dispatch
    sign_for_due timestamptz,              -- the current lead's sign-for deadline
    signed_for_at timestamptz,             -- the current lead's sign-for
    reply_due timestamptz,                 -- the reply clock's deadline (extensions included)
    reply_limit text,                      -- e.g. "13 working_days"
    reply_source text,
    extensions_approved int NOT NULL,
    first_contact_at timestamptz,
    replies int NOT NULL,
    reworks int NOT NULL,                  -- replies sent back by the review
    unit_claims_resolved boolean,          -- the last reply's claim
    closure text,                          -- TicketClosure
    closed_at timestamptz,                 -- the current closure (NULL once reopened)
    first_closed_at timestamptz,
    follow_ups int NOT NULL,
    followed_up_at timestamptz,            -- the last follow-up
    reachable boolean,                     -- the last follow-up
    citizen_resolved boolean,              -- the last reachable follow-up's answer
    satisfaction text,                     -- the last reachable follow-up's answer
    reopen_count int NOT NULL,
    merged_into_case uuid,
    merged_into_ticket text,
    supervisions int NOT NULL,
    last_supervision text,                 -- SupervisionLevel
    replied_at timestamptz,                -- the last reply: it stops the unit's clock
    PRIMARY KEY (generation, ticket_id)
);

CREATE INDEX IF NOT EXISTS view_hotline_tickets_status_idx
    ON view_hotline_tickets (generation, centre, status, received_at);
CREATE INDEX IF NOT EXISTS view_hotline_tickets_case_idx
    ON view_hotline_tickets (generation, case_id);

-- One row per dispatch (lead or assisting, every round): 及时签收率 counts these.
CREATE TABLE IF NOT EXISTS view_hotline_dispatches (
    generation int NOT NULL,
    ticket_id uuid NOT NULL,
    seq int NOT NULL,                      -- 1-based order of the dispatch on its ticket
    case_id uuid NOT NULL,
    centre text NOT NULL,
    unit text NOT NULL,
    role text NOT NULL,                    -- UnitRole
    designated boolean NOT NULL,
    dispatched_at timestamptz NOT NULL,
    sign_for_due timestamptz,
    signed_for_at timestamptz,
    returned_at timestamptz,
    PRIMARY KEY (generation, ticket_id, seq)
);

CREATE TABLE IF NOT EXISTS view_unresolved (
    generation int NOT NULL,
    report_id uuid NOT NULL,
    case_id uuid NOT NULL,
    case_no text NOT NULL,
    centre text NOT NULL,
    department text NOT NULL,              -- the unit holding the case now
    matter_code text NOT NULL,
    matter_name text NOT NULL,
    cause text NOT NULL,                   -- UnresolvedCause
    resolvability text NOT NULL,           -- Resolvability
    tier text NOT NULL,                    -- UnresolvedTier
    description text NOT NULL,
    reported_at timestamptz NOT NULL,
    due_at timestamptz,                    -- by the tier's limit
    due_source text,
    team_lead text,                        -- 专班
    team_size int NOT NULL,
    team_assigned_at timestamptz,
    closure text,                          -- UnresolvedClosure
    explanation text,
    redirected_to text,
    closed_at timestamptz,
    root_causes int NOT NULL,
    actions_open int NOT NULL,
    actions_completed int NOT NULL,
    due_limit text,                        -- the report clock's frozen limit, "5 working_days"
    PRIMARY KEY (generation, report_id)
);

CREATE INDEX IF NOT EXISTS view_unresolved_status_idx
    ON view_unresolved (generation, centre, closed_at, reported_at);

CREATE TABLE IF NOT EXISTS view_root_causes (
    generation int NOT NULL,
    root_cause_id uuid NOT NULL,
    report_id uuid NOT NULL,
    case_id uuid NOT NULL,
    centre text NOT NULL,
    cause text NOT NULL,                   -- UnresolvedCause
    key text NOT NULL,                     -- recurrences share it
    description text NOT NULL,
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (generation, root_cause_id)
);

CREATE TABLE IF NOT EXISTS view_improvements (
    generation int NOT NULL,
    action_id uuid NOT NULL,
    report_id uuid NOT NULL,
    root_cause_id uuid,
    case_id uuid NOT NULL,
    centre text NOT NULL,
    action text NOT NULL,
    owner_unit text NOT NULL,
    opened_at timestamptz NOT NULL,
    completed_at timestamptz,
    result text,
    PRIMARY KEY (generation, action_id)
);

CREATE TABLE IF NOT EXISTS view_ratings (
    generation int NOT NULL,
    rating_id uuid NOT NULL,
    case_id uuid NOT NULL,
    centre text NOT NULL,
    department text NOT NULL,              -- the unit holding the case now
    "window" text,
    matter_code text NOT NULL,
    level int NOT NULL,                    -- 1..5; 1-2 are 差评
    channel text,                          -- RatingChannel; NULL for a default rating
    is_default boolean NOT NULL,
    real_name boolean NOT NULL,
    rated_at timestamptz NOT NULL,
    validity text,                         -- BadReviewValidity (差评 only)
    appeal_upheld boolean,
    excluded boolean NOT NULL,             -- an upheld appeal: out of the rates
    rectify_due timestamptz,
    rectification text,                    -- Rectification
    rectified_at timestamptz,
    rerated_level int,
    PRIMARY KEY (generation, rating_id)
);

CREATE INDEX IF NOT EXISTS view_ratings_case_idx ON view_ratings (generation, case_id);

-- The projection's own fold of each case it has seen (the topics it reads only).
CREATE TABLE IF NOT EXISTS view_pushback_cases (
    generation int NOT NULL,
    case_id uuid NOT NULL,
    state bytea NOT NULL,                  -- CaseState (msgspec JSON), partial
    PRIMARY KEY (generation, case_id)
);

REVOKE ALL ON
    view_hotline_tickets, view_hotline_dispatches, view_unresolved, view_root_causes,
    view_improvements, view_ratings, view_pushback_cases
FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON
    view_hotline_tickets, view_hotline_dispatches, view_unresolved, view_root_causes,
    view_improvements, view_ratings, view_pushback_cases
TO ledger_app;
