-- depends: 0015_vault_other_id_number
-- The 12345 order's own deadlines beside its unit's (issue 17; src/ledger/projections/views/
-- pushback_tables.py): the order's clock, started by its first dispatch and kept through every
-- 退单 (extensions included; a 重办 starts it again), the first contact's deadline (响应率), the
-- 回访 deadline of the current closure and when that closure was first followed up; and whether a
-- dispatch was marked complex (退单 within the longer window).
-- Columns are appended in the order `ticket_row` / `dispatch_rows` write them. Rows written before
-- this migration hold NULL (false) until the view is rebuilt, which the next start does by itself
-- (the pushback projection's shape changed: 0019, ledger.projections.shapes).

ALTER TABLE view_hotline_tickets
    ADD COLUMN IF NOT EXISTS order_due timestamptz,          -- the order's deadline
    ADD COLUMN IF NOT EXISTS order_limit text,               -- e.g. "13 working_days"
    ADD COLUMN IF NOT EXISTS order_started_at timestamptz,   -- its first dispatch (or its 重办)
    ADD COLUMN IF NOT EXISTS contact_due timestamptz,        -- 响应率: first contact by then
    ADD COLUMN IF NOT EXISTS follow_up_due timestamptz,      -- 回访 of the current closure
    ADD COLUMN IF NOT EXISTS closure_followed_up_at timestamptz;  -- its first 回访

ALTER TABLE view_hotline_dispatches
    ADD COLUMN IF NOT EXISTS complex boolean NOT NULL DEFAULT false;
