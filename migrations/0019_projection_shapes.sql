-- depends: 0018_case_notice_limit
-- Which shape each live view was built in (src/ledger/projections/shapes.py). A projection names
-- its shape (`shape`, a ClassVar); a release that changes what rows a history produces (a new
-- column, a new meaning) changes it, and every `ledger serve` / `ledger worker` start rebuilds a
-- view whose recorded shape differs, beside the live one, so an upgrade never serves rows the old
-- code wrote half-filled and nobody has to remember `ledger projections rebuild`. NULL: built
-- before shapes were recorded, so rebuilt once after this migration.

ALTER TABLE ledger_projections ADD COLUMN IF NOT EXISTS shape text;
