-- API keys: who may call the HTTP API, in which role, and (for partners) for which party.
-- Only a SHA-256 of each key's secret is kept; the key itself is shown once, when issued.
-- Keys are never deleted, so the actor recorded with a command keeps its meaning; a
-- revoked key stays here with the time it was revoked.
-- depends: 0002_commands

CREATE TABLE api_keys (
    id text PRIMARY KEY CHECK (id ~ '^[a-z0-9]{1,32}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role text NOT NULL
        CHECK (role IN ('operator', 'finance', 'auditor', 'regulator', 'partner')),
    party_code text,
    secret_hash bytea NOT NULL CHECK (octet_length(secret_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    revoked_at timestamptz,
    -- A partner key belongs to exactly one party; no other key belongs to a party.
    CONSTRAINT api_keys_party_only_for_partners CHECK ((role = 'partner') = (party_code IS NOT NULL))
);

CREATE TRIGGER api_keys_no_delete
    BEFORE DELETE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();

CREATE TRIGGER api_keys_no_truncate
    BEFORE TRUNCATE ON api_keys
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();

-- The one change a key allows is its revocation, once.
CREATE FUNCTION api_keys_only_revoke() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.revoked_at IS NOT NULL
        OR NEW.revoked_at IS NULL
        OR (NEW.id, NEW.name, NEW.role, NEW.party_code, NEW.secret_hash, NEW.created_at)
            IS DISTINCT FROM
           (OLD.id, OLD.name, OLD.role, OLD.party_code, OLD.secret_hash, OLD.created_at)
    THEN
        RAISE EXCEPTION 'an API key can only be revoked, once'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER api_keys_revoke_only
    BEFORE UPDATE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION api_keys_only_revoke();
