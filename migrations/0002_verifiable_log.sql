-- depends: 0001_event_store
-- The verifiable log (DESIGN §6): every stored event, in notification order, is a leaf of an
-- RFC 9162 Merkle tree; the notary writes leaves, the perfect subtree hashes that proofs are built
-- from, and signed checkpoints. All of it is append-only, like the events themselves.

CREATE TABLE IF NOT EXISTS ledger_leaves (
    leaf_index bigint PRIMARY KEY,           -- dense: 0, 1, 2, ... whatever the positions' gaps
    position bigint NOT NULL UNIQUE,         -- the event's notification id
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    leaf_hash bytea NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_leaves_originator_idx
    ON ledger_leaves (originator_id, originator_version);

-- Hashes of perfect subtrees above the leaves: (level, idx) covers leaves
-- [idx * 2^level, (idx + 1) * 2^level). Level 0 is ledger_leaves.leaf_hash.
CREATE TABLE IF NOT EXISTS ledger_tree_nodes (
    level smallint NOT NULL,
    idx bigint NOT NULL,
    hash bytea NOT NULL,
    PRIMARY KEY (level, idx)
);

CREATE TABLE IF NOT EXISTS ledger_checkpoints (
    tree_size bigint PRIMARY KEY,
    root_hash bytea NOT NULL,
    note text NOT NULL,                      -- C2SP signed note (tlog-checkpoint body)
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS ledger_checkpoints_created_at_idx ON ledger_checkpoints (created_at);

-- The notary's position, written in the same transaction as the leaves it sealed.
CREATE TABLE IF NOT EXISTS ledger_notary_state (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    tree_size bigint NOT NULL,
    last_position bigint NOT NULL,
    frontier bytea NOT NULL,
    verifier_key text,                       -- the running notary's public key, as it announced it
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO ledger_notary_state (singleton, tree_size, last_position, frontier)
VALUES (true, 0, 0, '\x0000000000000000') ON CONFLICT DO NOTHING;  -- Frontier().to_bytes()

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['ledger_leaves', 'ledger_tree_nodes', 'ledger_checkpoints'] LOOP
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t || '_no_update_delete', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE OR DELETE ON %I FOR EACH ROW '
                       'EXECUTE FUNCTION ledger_refuse_change()', t || '_no_update_delete', t);
        EXECUTE format('DROP TRIGGER IF EXISTS %I ON %I', t || '_no_truncate', t);
        EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT '
                       'EXECUTE FUNCTION ledger_refuse_change()', t || '_no_truncate', t);
    END LOOP;
END
$$;

REVOKE ALL ON ledger_leaves, ledger_tree_nodes, ledger_checkpoints, ledger_notary_state FROM PUBLIC;
GRANT SELECT, INSERT ON ledger_leaves, ledger_tree_nodes, ledger_checkpoints TO ledger_app;
GRANT SELECT, UPDATE ON ledger_notary_state TO ledger_app;
