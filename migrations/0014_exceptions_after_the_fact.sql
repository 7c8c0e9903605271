-- depends: 0013_personal_data_vault
-- The "exceptions" view learns ratification after the fact and AB岗 (issue 17; src/ledger/
-- projections/views/exceptions.py). A ratification is asked once its exception was executed, often
-- on a closed case, so it still waits on its approvers there (GET /approvals reads
-- `after_the_fact`); `executed_by` is who set the rule aside (never one of its approvers);
-- `acting_up` counts the layers a deputy decided for the absent holder. Rows written before this
-- migration had none of the three, so the defaults are their values: no rebuild is needed.
-- Re-runnable, like every migration here.

ALTER TABLE view_exceptions ADD COLUMN IF NOT EXISTS after_the_fact boolean NOT NULL DEFAULT false;
ALTER TABLE view_exceptions ADD COLUMN IF NOT EXISTS executed_by text;
ALTER TABLE view_exceptions ADD COLUMN IF NOT EXISTS acting_up int NOT NULL DEFAULT 0;
