-- depends: 0008_snapshot_macs
-- Complete case proofs (issue 13, item 4). Each checkpoint signs the root of a map from every
-- originator to its head (version, leaf index) as of that checkpoint (src/ledger/log/heads.py).
-- The notary keeps the map's buckets here, written in the transaction that inserts the
-- checkpoint, so a bucket row always reflects the latest checkpoint. The rows are derived and
-- checked, not trusted: a changed bucket no longer reaches the signed root, so a bundle built
-- from it fails verification, and `ledger verify --database` re-derives the map from the leaves.
-- Re-runnable, like every migration here.

CREATE TABLE IF NOT EXISTS ledger_head_buckets (
    bucket integer PRIMARY KEY CHECK (bucket BETWEEN 0 AND 65535),
    tree_size bigint NOT NULL,               -- the checkpoint that last changed the bucket
    heads bytea NOT NULL                     -- heads.encode_bucket(): sorted id, version, leaf
);
CREATE INDEX IF NOT EXISTS ledger_head_buckets_tree_size_idx ON ledger_head_buckets (tree_size);

-- How far the buckets are folded: a log sealed before this migration is folded from leaf 0 at
-- the notary's next checkpoint; checkpoints signed before then carry no heads line.
ALTER TABLE ledger_notary_state ADD COLUMN IF NOT EXISTS heads_size bigint NOT NULL DEFAULT 0;

REVOKE ALL ON ledger_head_buckets FROM PUBLIC;
REVOKE ALL ON ledger_head_buckets FROM ledger_app;
GRANT SELECT ON ledger_head_buckets TO ledger_app;
REVOKE ALL ON ledger_head_buckets FROM ledger_notary;
GRANT SELECT, INSERT, UPDATE ON ledger_head_buckets TO ledger_notary;
