-- depends: 0014_exceptions_after_the_fact
-- The personal-data vault keeps a second ID number of the same person (issue 17; seed 000: two ID
-- numbers, one person). `IdentityReconciled` records the applicant's registered number and another
-- as one person's, as masked values and tokens; the raw other number is sealed here as kind
-- `other_id_number`, under the applicant's own subject key, so erasing the subject shreds it with
-- the rest (src/ledger/store/vault.py). Re-runnable, like every migration here.

ALTER TABLE ledger_pi_values DROP CONSTRAINT IF EXISTS ledger_pi_values_kind_check;
ALTER TABLE ledger_pi_values ADD CONSTRAINT ledger_pi_values_kind_check
    CHECK (kind IN ('name', 'id_number', 'phone', 'bank_card', 'other_id_number'));
