-- depends: 0011_projection_failures
-- Token revocation (issue 14, item 4). `ledger token revoke` records a token's id here, as the
-- owner role; every request's token is looked up before it acts. The application role may only
-- read the list: a compromised application cannot un-revoke a token or hide that one was revoked.
-- Rows are kept after the token expires (an auditor asks who was cut off, when and why); the
-- expiry is recorded so the list can be read as "still dangerous" vs "expired anyway".
-- Re-runnable, like every migration here.

CREATE TABLE IF NOT EXISTS ledger_revoked_tokens (
    token_id text PRIMARY KEY CHECK (length(token_id) BETWEEN 1 AND 64),
    subject text NOT NULL,                    -- the actor the token named, when known
    expires_at timestamptz,                   -- when the token would have expired, when known
    revoked_at timestamptz NOT NULL DEFAULT now(),
    revoked_by text NOT NULL CHECK (length(revoked_by) > 0),
    reason text NOT NULL CHECK (length(reason) > 0)
);

REVOKE ALL ON ledger_revoked_tokens FROM PUBLIC;
REVOKE ALL ON ledger_revoked_tokens FROM ledger_app;
GRANT SELECT ON ledger_revoked_tokens TO ledger_app;
