-- depends: 0004_case_views
-- The 5-day rule on the cases view (issue 17; src/ledger/projections/views/cases.py): a case's
-- first 补正 notice (一次性告知) and the limit it answered to, five working days after receipt
-- (行政许可法 第三十二条), as the notice recorded them. GET /metrics/timeliness counts the notices
-- given in a period by `notice_at`, in time when `notice_at <= notice_due_at`. Rows written before
-- this migration have neither (notices recorded before the rule carry no limit), so NULL is their
-- value: no rebuild is needed. Re-runnable, like every migration here.

ALTER TABLE view_cases ADD COLUMN IF NOT EXISTS notice_at timestamptz;
ALTER TABLE view_cases ADD COLUMN IF NOT EXISTS notice_due_at timestamptz;

CREATE INDEX IF NOT EXISTS view_cases_notice_idx ON view_cases (generation, notice_at);
