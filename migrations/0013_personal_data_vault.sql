-- depends: 0012_token_revocations
-- The personal-data vault (DESIGN §7; issue 14, item 5; src/ledger/store/vault.py). An applicant's
-- raw identifiers (身份证号, phone, bank card, name) are sealed with AES-256-GCM under a data key of
-- their own data subject, and that key is kept here only wrapped under a master key that never
-- enters the database (LEDGER_VAULT_KEY or secrets/vault.key). Erasing a subject destroys its
-- wrapped key and its ciphertexts (crypto-shredding): the event log, which holds only masked
-- values and HMAC tokens, is not touched, so no hash changes. Every read of raw values is
-- recorded in an append-only access log. Re-runnable, like every migration here.
--
-- Who may do what:
--   ledger_app  inserts subjects and values and reads them (it holds the master key, so it can
--               decrypt: that is its job), inserts and reads the access log. It may UPDATE or
--               DELETE none of the three tables: it can neither erase, nor un-erase, nor
--               rewrite or hide who read what.
--   the owner   erases, through ledger_pi_erase() (`ledger pi erase` connects as the owner, like
--               `ledger token revoke`). The triggers below keep an erasure final and recorded
--               even for the owner, unless it disables them (as it could for the events).

-- One row per data subject: the HMAC token of their ID number (of their phone when there is
-- none), the same token the events carry. Never deleted: an erased subject keeps its row, with
-- who erased it, when and why, and no key.
CREATE TABLE IF NOT EXISTS ledger_pi_subjects (
    subject text PRIMARY KEY CHECK (subject ~ '^[0-9a-f]{64}$'),
    wrapped_key bytea CHECK (octet_length(wrapped_key) = 60),  -- nonce, AES-GCM(key), tag
    master_key_id text NOT NULL CHECK (master_key_id ~ '^[0-9a-f]{16}$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    erased_at timestamptz,
    erased_by text,
    erasure_reason text,
    CHECK ((erased_at IS NULL) = (wrapped_key IS NOT NULL)),
    CHECK (erased_at IS NOT NULL OR (erased_by IS NULL AND erasure_reason IS NULL)),
    CHECK (erased_at IS NULL
           OR (length(coalesce(erased_by, '')) > 0 AND length(coalesce(erasure_reason, '')) > 0))
);

-- One row per case and kind: the value sealed under the subject's key, with the subject, kind
-- and case as associated data (a row moved to another case or subject does not decrypt).
CREATE TABLE IF NOT EXISTS ledger_pi_values (
    case_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('name', 'id_number', 'phone', 'bank_card')),
    subject text NOT NULL REFERENCES ledger_pi_subjects (subject),
    nonce bytea NOT NULL CHECK (octet_length(nonce) = 12),
    ciphertext bytea NOT NULL CHECK (octet_length(ciphertext) BETWEEN 16 AND 1024),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, kind)
);
CREATE INDEX IF NOT EXISTS ledger_pi_values_subject_idx ON ledger_pi_values (subject);

-- Every request for a case's raw values, answered or not: who (actor, roles, unit, from the
-- token), when (the server's clock, not the caller's), which case and subject, which kinds were
-- disclosed, the purpose they gave, the request id of the HTTP access log line, and the outcome.
CREATE TABLE IF NOT EXISTS ledger_pi_reads (
    read_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    read_at timestamptz NOT NULL DEFAULT now(),
    actor_id text NOT NULL CHECK (length(actor_id) > 0),
    roles text[] NOT NULL,
    unit text,
    case_id uuid NOT NULL,
    subject text,
    kinds text[] NOT NULL DEFAULT '{}',
    purpose text NOT NULL CHECK (length(btrim(purpose)) > 0),
    request_id text,
    outcome text NOT NULL CHECK (outcome IN ('disclosed', 'erased', 'none', 'refused'))
);
CREATE INDEX IF NOT EXISTS ledger_pi_reads_case_idx ON ledger_pi_reads (case_id, read_id);
CREATE INDEX IF NOT EXISTS ledger_pi_reads_subject_idx ON ledger_pi_reads (subject, read_id);

-- What refuses a change the vault never makes.
CREATE OR REPLACE FUNCTION ledger_pi_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION 'ledger: % on % is refused: the vault''s records are kept (only '
                    'ledger_pi_erase destroys a subject''s key and values)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$fn$;

-- A subject is born with a key, not erased; only an erasure changes it, once.
CREATE OR REPLACE FUNCTION ledger_pi_subject_guard() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.erased_at IS NOT NULL THEN
            RAISE EXCEPTION 'ledger: a vault subject is created with its key, not erased'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        NEW.created_at := now();
        RETURN NEW;
    END IF;
    IF OLD.erased_at IS NOT NULL THEN
        RAISE EXCEPTION 'ledger: subject % was erased at %: an erasure is final',
                        OLD.subject, OLD.erased_at
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.subject IS DISTINCT FROM OLD.subject
       OR NEW.created_at IS DISTINCT FROM OLD.created_at
       OR NEW.master_key_id IS DISTINCT FROM OLD.master_key_id
       OR NEW.erased_at IS NULL THEN
        RAISE EXCEPTION 'ledger: a vault subject changes only by its erasure (ledger_pi_erase)'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    NEW.erased_at := now();
    RETURN NEW;
END
$fn$;

DROP TRIGGER IF EXISTS ledger_pi_subjects_guard ON ledger_pi_subjects;
CREATE TRIGGER ledger_pi_subjects_guard
    BEFORE INSERT OR UPDATE ON ledger_pi_subjects
    FOR EACH ROW EXECUTE FUNCTION ledger_pi_subject_guard();

DROP TRIGGER IF EXISTS ledger_pi_subjects_no_delete ON ledger_pi_subjects;
CREATE TRIGGER ledger_pi_subjects_no_delete
    BEFORE DELETE ON ledger_pi_subjects
    FOR EACH ROW EXECUTE FUNCTION ledger_pi_refuse_change();

DROP TRIGGER IF EXISTS ledger_pi_subjects_no_truncate ON ledger_pi_subjects;
CREATE TRIGGER ledger_pi_subjects_no_truncate
    BEFORE TRUNCATE ON ledger_pi_subjects
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_pi_refuse_change();

-- A value is added only under a subject that still has its key (the row lock waits for an
-- erasure in progress), is never changed, and disappears only once its subject is erased.
-- SECURITY DEFINER: the lock needs a privilege the application role does not have.
CREATE OR REPLACE FUNCTION ledger_pi_value_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER AS $fn$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM 1 FROM ledger_pi_subjects s
          WHERE s.subject = NEW.subject AND s.erased_at IS NULL
          FOR SHARE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'ledger: subject % is erased (or unknown): its values are not kept',
                            NEW.subject
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        NEW.recorded_at := now();
        RETURN NEW;
    ELSIF TG_OP = 'DELETE' THEN
        IF NOT EXISTS (SELECT 1 FROM ledger_pi_subjects s
                        WHERE s.subject = OLD.subject AND s.erased_at IS NOT NULL) THEN
            RAISE EXCEPTION 'ledger: a vault value is deleted only by its subject''s erasure '
                            '(ledger_pi_erase)'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'ledger: a vault value is never changed'
        USING ERRCODE = 'insufficient_privilege';
END
$fn$;

DO $do$
BEGIN
    EXECUTE format('ALTER FUNCTION ledger_pi_value_guard() SET search_path = %I, pg_temp',
                   current_schema());
END
$do$;
REVOKE ALL ON FUNCTION ledger_pi_value_guard() FROM PUBLIC;

DROP TRIGGER IF EXISTS ledger_pi_values_guard ON ledger_pi_values;
CREATE TRIGGER ledger_pi_values_guard
    BEFORE INSERT OR UPDATE OR DELETE ON ledger_pi_values
    FOR EACH ROW EXECUTE FUNCTION ledger_pi_value_guard();

DROP TRIGGER IF EXISTS ledger_pi_values_no_truncate ON ledger_pi_values;
CREATE TRIGGER ledger_pi_values_no_truncate
    BEFORE TRUNCATE ON ledger_pi_values
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_pi_refuse_change();

-- The access log is append-only, and its time is the server's.
CREATE OR REPLACE FUNCTION ledger_pi_read_stamp() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    NEW.read_at := now();
    RETURN NEW;
END
$fn$;

DROP TRIGGER IF EXISTS ledger_pi_reads_stamp ON ledger_pi_reads;
CREATE TRIGGER ledger_pi_reads_stamp
    BEFORE INSERT ON ledger_pi_reads
    FOR EACH ROW EXECUTE FUNCTION ledger_pi_read_stamp();

DROP TRIGGER IF EXISTS ledger_pi_reads_no_update_delete ON ledger_pi_reads;
CREATE TRIGGER ledger_pi_reads_no_update_delete
    BEFORE UPDATE OR DELETE ON ledger_pi_reads
    FOR EACH ROW EXECUTE FUNCTION ledger_pi_refuse_change();

DROP TRIGGER IF EXISTS ledger_pi_reads_no_truncate ON ledger_pi_reads;
CREATE TRIGGER ledger_pi_reads_no_truncate
    BEFORE TRUNCATE ON ledger_pi_reads
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_pi_refuse_change();

-- The one way to erase a subject: destroy its wrapped key and every value sealed under it, and
-- record who, when and why, in one transaction. Not granted to the application role: only the
-- owner (`ledger pi erase`, after the retention rule) runs it.
CREATE OR REPLACE FUNCTION ledger_pi_erase(subject_token text, by_whom text, reason text)
RETURNS TABLE (erased_at timestamptz, values_destroyed bigint)
LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
DECLARE
    at timestamptz;
    destroyed bigint;
BEGIN
    IF length(coalesce(btrim(by_whom), '')) = 0 OR length(coalesce(btrim(reason), '')) = 0 THEN
        RAISE EXCEPTION 'ledger: an erasure records who erased and why'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE ledger_pi_subjects s
       SET wrapped_key = NULL, erased_at = now(), erased_by = by_whom, erasure_reason = reason
     WHERE s.subject = subject_token AND s.erased_at IS NULL
    RETURNING s.erased_at INTO at;
    IF NOT FOUND THEN
        IF EXISTS (SELECT 1 FROM ledger_pi_subjects s WHERE s.subject = subject_token) THEN
            RAISE EXCEPTION 'ledger: subject % is already erased', subject_token
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        RAISE EXCEPTION 'ledger: the vault holds no subject %', subject_token
            USING ERRCODE = 'no_data_found';
    END IF;
    DELETE FROM ledger_pi_values v WHERE v.subject = subject_token;
    GET DIAGNOSTICS destroyed = ROW_COUNT;
    RETURN QUERY SELECT at, destroyed;
END
$fn$;

DO $do$
BEGIN
    EXECUTE format('ALTER FUNCTION ledger_pi_erase(text, text, text) '
                   'SET search_path = %I, pg_temp', current_schema());
END
$do$;

REVOKE ALL ON FUNCTION ledger_pi_erase(text, text, text) FROM PUBLIC;

REVOKE ALL ON ledger_pi_subjects, ledger_pi_values, ledger_pi_reads FROM PUBLIC;
REVOKE ALL ON ledger_pi_subjects, ledger_pi_values, ledger_pi_reads FROM ledger_app;
REVOKE ALL ON ledger_pi_subjects, ledger_pi_values, ledger_pi_reads FROM ledger_notary;
GRANT SELECT, INSERT ON ledger_pi_subjects, ledger_pi_values, ledger_pi_reads TO ledger_app;
