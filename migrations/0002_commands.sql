-- Every command that carries an idempotency key leaves one row here, written in the same
-- statement (so the same transaction) as its events: a retry with the same key finds the
-- first answer instead of appending again. Rows are never changed.
-- depends: 0001_events

CREATE TABLE ledger_commands (
    scope text NOT NULL,
    idempotency_key text NOT NULL,
    command text NOT NULL,
    request_hash bytea NOT NULL,
    outcome jsonb NOT NULL,
    positions bigint[] NOT NULL,
    actor text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (scope, idempotency_key)
);

CREATE TRIGGER ledger_commands_no_update
    BEFORE UPDATE ON ledger_commands
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();

CREATE TRIGGER ledger_commands_no_delete
    BEFORE DELETE ON ledger_commands
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();

CREATE TRIGGER ledger_commands_no_truncate
    BEFORE TRUNCATE ON ledger_commands
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
