-- depends: 0012_token_revocations
-- Each revocation NOTIFYs `ledger_revoked` with the token's id at its commit, whoever inserts it
-- (`ledger token revoke`, or an operator in psql). A serving process remembers the tokens it has
-- found not revoked only while it listens on that channel (src/ledger/store/revocations.py), so
-- it hears of a revocation within milliseconds instead of asking the table on every request.
-- Re-runnable, like every migration here.

CREATE OR REPLACE FUNCTION ledger_notify_revoked() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('ledger_revoked', NEW.token_id);
    RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS ledger_revoked_tokens_notify ON ledger_revoked_tokens;
CREATE TRIGGER ledger_revoked_tokens_notify
    AFTER INSERT ON ledger_revoked_tokens
    FOR EACH ROW EXECUTE FUNCTION ledger_notify_revoked();
REVOKE ALL ON FUNCTION ledger_notify_revoked() FROM PUBLIC;
