-- depends: 0008_snapshot_macs
-- Witness cosignatures (c2sp.org/tlog-witness, src/ledger/log/witnessing.py). Each witness checks
-- a checkpoint against the last one it cosigned and answers with a cosignature line; the notary's
-- role keeps each line here, verified against the witness's pinned key, one per checkpoint and
-- witness. A cosignature is evidence, like the checkpoint it signs: append-only. Nothing here is
-- trusted by a verifier, which checks the lines against the keys it pins itself.
-- Re-runnable, like every migration here.

CREATE TABLE IF NOT EXISTS ledger_cosignatures (
    tree_size bigint NOT NULL,               -- a ledger_checkpoints.tree_size (trigger below)
    witness text NOT NULL,                   -- <name>+<8 hex key id>
    timestamp bigint NOT NULL CHECK (timestamp >= 0),
    line text NOT NULL CHECK (line LIKE '— %' AND position(E'\n' IN line) = 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tree_size, witness)
);
CREATE INDEX IF NOT EXISTS ledger_cosignatures_witness_idx
    ON ledger_cosignatures (witness, tree_size);

-- Each cosignature names a signed checkpoint. Checked on insert rather than by a foreign key: a
-- foreign key would make PostgreSQL refuse TRUNCATE ledger_checkpoints itself, before that
-- table's own trigger could (0002), and checkpoints are never deleted, so the check holds.
CREATE OR REPLACE FUNCTION ledger_cosignature_names_a_checkpoint() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM ledger_checkpoints WHERE tree_size = NEW.tree_size) THEN
        RAISE EXCEPTION 'ledger: no checkpoint of tree size % to cosign', NEW.tree_size
            USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NEW;
END
$fn$;

DROP TRIGGER IF EXISTS ledger_cosignatures_name_a_checkpoint ON ledger_cosignatures;
CREATE TRIGGER ledger_cosignatures_name_a_checkpoint
    BEFORE INSERT ON ledger_cosignatures
    FOR EACH ROW EXECUTE FUNCTION ledger_cosignature_names_a_checkpoint();

DROP TRIGGER IF EXISTS ledger_cosignatures_no_update_delete ON ledger_cosignatures;
CREATE TRIGGER ledger_cosignatures_no_update_delete
    BEFORE UPDATE OR DELETE ON ledger_cosignatures
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();

DROP TRIGGER IF EXISTS ledger_cosignatures_no_truncate ON ledger_cosignatures;
CREATE TRIGGER ledger_cosignatures_no_truncate
    BEFORE TRUNCATE ON ledger_cosignatures
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- The checkpoint of `size` as a C2SP note carrying its cosignatures: the log's note (which ends
-- with its signature line) followed by one line per witness, in witness order. NULL for a size
-- the notary never signed.
CREATE OR REPLACE FUNCTION ledger_cosigned_note(size bigint) RETURNS text
LANGUAGE sql STABLE AS $fn$
    SELECT c.note || coalesce((SELECT string_agg(s.line || E'\n', '' ORDER BY s.witness)
                                 FROM ledger_cosignatures s
                                WHERE s.tree_size = c.tree_size), '')
      FROM ledger_checkpoints c
     WHERE c.tree_size = size
$fn$;

REVOKE ALL ON ledger_cosignatures FROM PUBLIC;
REVOKE ALL ON ledger_cosignatures FROM ledger_app;
REVOKE ALL ON ledger_cosignatures FROM ledger_notary;
GRANT SELECT ON ledger_cosignatures TO ledger_app;
GRANT SELECT, INSERT ON ledger_cosignatures TO ledger_notary;

REVOKE ALL ON FUNCTION ledger_cosigned_note(bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_cosigned_note(bigint) TO ledger_app, ledger_notary;
