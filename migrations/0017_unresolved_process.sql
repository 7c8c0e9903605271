-- depends: 0016_hotline_order_clock
-- 办不成事: the window each report concerns, its 反馈 and 核查, and the window's consultations
-- (issue 17; src/ledger/projections/views/pushback_tables.py). A report's `window` and `unit` are
-- those it concerns (the case's when reported, or the ones it names): the monthly 通报 counts by
-- them. `negative_answer`: filed with a refusal (否定答复报告). Consultations (咨询) are counted
-- per window and matter, no report each.
-- Columns are appended in the order `unresolved_row` writes them. Rows written before this
-- migration hold NULL (0, false) until the view is rebuilt, which the next start does by itself
-- (the pushback projection's shape changed: 0019, ledger.projections.shapes).

ALTER TABLE view_unresolved
    ADD COLUMN IF NOT EXISTS "window" text,                      -- the window it concerns
    ADD COLUMN IF NOT EXISTS unit text,                          -- the unit it concerns
    ADD COLUMN IF NOT EXISTS negative_answer boolean NOT NULL DEFAULT false,
    ADD COLUMN IF NOT EXISTS feedbacks int NOT NULL DEFAULT 0,   -- 反馈 given
    ADD COLUMN IF NOT EXISTS fed_back_at timestamptz,            -- the last 反馈
    ADD COLUMN IF NOT EXISTS verified_at timestamptz;            -- its confirming 核查, if any

CREATE INDEX IF NOT EXISTS view_unresolved_window_idx
    ON view_unresolved (generation, centre, "window", reported_at);

CREATE TABLE IF NOT EXISTS view_consultations (
    generation int NOT NULL,
    consultation_id uuid NOT NULL,
    case_id uuid NOT NULL,
    centre text NOT NULL,
    unit text NOT NULL,                    -- where it was answered
    "window" text,
    matter_code text NOT NULL,             -- the case's matter: what was asked about
    matter_name text NOT NULL,
    referred_to text,
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (generation, consultation_id)
);

CREATE INDEX IF NOT EXISTS view_consultations_time_idx
    ON view_consultations (generation, centre, recorded_at);

REVOKE ALL ON view_consultations FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON view_consultations TO ledger_app;
