-- depends: 0002_verifiable_log
-- Projections (DESIGN §5): which generation of each view is live, and how far each generation has
-- followed the notification log. A view's own tables (later migrations) lead with a `generation`
-- column; reads join on the registry's generation, so `ledger projections rebuild` can build the
-- next generation beside the live one and swap this pointer in one transaction.

CREATE TABLE IF NOT EXISTS ledger_projections (
    name text PRIMARY KEY,
    generation int NOT NULL,                 -- the live generation: what reads see
    rebuilding int,                          -- the generation a rebuild is building, if any
    rebuild_started_at timestamptz,
    swapped_at timestamptz,                  -- when the last rebuild went live
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per generation: the last notification id the projector has passed (gaps and events of
-- topics it does not read included), written in the same transaction as the view rows.
CREATE TABLE IF NOT EXISTS ledger_projection_tracking (
    name text NOT NULL REFERENCES ledger_projections (name),
    generation int NOT NULL,
    position bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (name, generation)
);

REVOKE ALL ON ledger_projections, ledger_projection_tracking FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON ledger_projections, ledger_projection_tracking
    TO ledger_app;
