-- depends: 0003_projections
-- The "cases" projection (src/ledger/projections/cases.py): one row per case, one per hand-off,
-- one per duty intervention. Case search, the duty board and the timeliness indicators read these.
-- Every table leads with `generation`; reads join `ledger_projections` on the live one.
-- Times are timestamptz; durations are seconds (double precision) of working time where the
-- column says so, as the calendar counts it (src/ledger/domain/calendar.py).

CREATE TABLE IF NOT EXISTS view_cases (
    generation int NOT NULL,
    case_id uuid NOT NULL,
    case_no text NOT NULL,
    centre text NOT NULL,
    department text NOT NULL,              -- the unit holding the case now
    "window" text,
    matter_code text NOT NULL,
    matter_name text NOT NULL,
    channel text NOT NULL,
    priority text NOT NULL,
    status text NOT NULL,                  -- CaseStatus
    outcome text,
    applicant_token text,                  -- HMAC token of the id number
    applicant_name text NOT NULL,          -- masked
    registered_at timestamptz NOT NULL,
    accepted_at timestamptz,
    closed_at timestamptz,                 -- Completed or AcceptanceRefused
    limit_value int,
    limit_unit text,
    clock_started_at timestamptz,
    due_at timestamptz,
    clock_provisional boolean,
    calendar_version text,
    policy_version text,
    paused_since timestamptz,
    paused_seconds double precision NOT NULL DEFAULT 0,  -- excluded by finished pauses (clock)
    working_seconds double precision,      -- clock start to closed_at, minus pauses; when closed
    visits int NOT NULL,
    handoffs int NOT NULL,
    handoffs_pending int NOT NULL,
    extensions_requested int NOT NULL,
    extensions_approved int NOT NULL,
    notice_violations int NOT NULL,        -- one_time_notice.* flags
    interventions int NOT NULL,
    reopened int NOT NULL,
    version int NOT NULL,
    last_position bigint NOT NULL,
    last_event_at timestamptz NOT NULL,    -- occurred_at of the latest event
    state bytea NOT NULL,                  -- CaseState (msgspec JSON): the next batch folds on
    -- added beyond the shared column list (the board rebuilds a clock from columns alone):
    clock_source text,
    pause_reason text,
    PRIMARY KEY (generation, case_id)
);

CREATE INDEX IF NOT EXISTS view_cases_board_idx ON view_cases (generation, centre, status);
CREATE INDEX IF NOT EXISTS view_cases_applicant_idx ON view_cases (generation, applicant_token);
CREATE INDEX IF NOT EXISTS view_cases_registered_idx
    ON view_cases (generation, registered_at, case_id);
CREATE INDEX IF NOT EXISTS view_cases_accepted_idx ON view_cases (generation, accepted_at);
CREATE INDEX IF NOT EXISTS view_cases_closed_idx ON view_cases (generation, closed_at);
CREATE INDEX IF NOT EXISTS view_cases_due_idx ON view_cases (generation, due_at);
CREATE INDEX IF NOT EXISTS view_cases_case_no_idx ON view_cases (generation, case_no);

CREATE TABLE IF NOT EXISTS view_handoffs (
    generation int NOT NULL,
    handoff_id uuid NOT NULL,
    case_id uuid NOT NULL,
    centre text NOT NULL,
    from_department text NOT NULL,
    from_window text,
    to_department text NOT NULL,
    to_window text,
    to_officer text,
    reason text NOT NULL,
    handed_off_at timestamptz NOT NULL,
    status text NOT NULL,                  -- HandOffStatus
    settled_at timestamptz,
    PRIMARY KEY (generation, handoff_id)
);

CREATE INDEX IF NOT EXISTS view_handoffs_board_idx ON view_handoffs (generation, centre, status);
CREATE INDEX IF NOT EXISTS view_handoffs_case_idx ON view_handoffs (generation, case_id);

CREATE TABLE IF NOT EXISTS view_interventions (
    generation int NOT NULL,
    case_id uuid NOT NULL,
    version int NOT NULL,
    centre text NOT NULL,
    department text NOT NULL,              -- the unit holding the case at the time
    actor_id text NOT NULL,
    action text NOT NULL,
    escalation_threat text NOT NULL,
    threatened_channel text,
    occurred_at timestamptz NOT NULL,
    PRIMARY KEY (generation, case_id, version)
);

CREATE INDEX IF NOT EXISTS view_interventions_board_idx
    ON view_interventions (generation, centre, occurred_at);

REVOKE ALL ON view_cases, view_handoffs, view_interventions FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON view_cases, view_handoffs, view_interventions
    TO ledger_app;
