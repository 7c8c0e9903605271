-- depends: 0019_projection_shapes
-- One-time login links (issue 15; src/ledger/api/ui/login_link.py). `ledger token create
-- --login-url` prints a link whose signed code has its own id; opening it records that id here,
-- in the request that signs the person in, and the primary key refuses a second use. The code
-- expires within 15 minutes, so a row outlives its code; rows are kept (who signed in by link, as
-- which token, and when), like revoked tokens. The application role inserts and reads only: it
-- cannot forget that a link was used, which would let the link be used again.
-- Re-runnable, like every migration here.

CREATE TABLE IF NOT EXISTS ledger_login_links (
    code_id text PRIMARY KEY CHECK (length(code_id) BETWEEN 1 AND 64),
    subject text NOT NULL,                    -- the actor the link signed in
    token_id text NOT NULL,                   -- the session token it set (ledger token revoke)
    expires_at timestamptz NOT NULL,          -- when the code would have expired
    used_at timestamptz NOT NULL DEFAULT now()
);

REVOKE ALL ON ledger_login_links FROM PUBLIC;
REVOKE ALL ON ledger_login_links FROM ledger_app;
GRANT SELECT, INSERT ON ledger_login_links TO ledger_app;
