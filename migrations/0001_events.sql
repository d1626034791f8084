-- The ledger's event store: the eventsourcing library's application table (what its own
-- DDL would create, since the library runs with CREATE_TABLE=false), plus the recording
-- time and the hash chain, made append-only by triggers.
-- depends:

CREATE TYPE stored_event_uuid AS (
    originator_id uuid,
    originator_version bigint,
    topic text,
    state bytea
);

CREATE TABLE ledger_events (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text NOT NULL,
    state bytea NOT NULL,
    notification_id bigserial,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    prev_hash bytea NOT NULL,
    hash bytea NOT NULL,
    PRIMARY KEY (originator_id, originator_version)
) WITH (
    autovacuum_enabled = true,
    autovacuum_vacuum_threshold = 100000000,
    autovacuum_vacuum_scale_factor = 0.5,
    autovacuum_analyze_threshold = 1000,
    autovacuum_analyze_scale_factor = 0.01
);

CREATE UNIQUE INDEX ledger_events_notification_id_idx
    ON ledger_events (notification_id ASC);

-- Positions are drawn by the chain trigger below, under the ledger's append lock, never
-- before it: so positions, chain order and commit order are one and the same order, and a
-- reader never passes over a position that a slower transaction fills in later. (The
-- library gets the same guarantee by locking the table before its INSERT; drawing inside
-- the trigger lets one INSERT statement do the whole append in one round trip.)
ALTER TABLE ledger_events ALTER COLUMN notification_id DROP DEFAULT;

-- Chain every new event to the one before it (docs/integrity.md gives the byte layout).
-- The first row of a transaction takes the append lock (a transaction-scoped advisory
-- lock: a table lock taken inside an INSERT would be an upgrade from the INSERT's own lock
-- and deadlock two concurrent appends), reads the chain's head, and keeps the running head
-- in a transaction-local setting for the rows after it.
-- The function is generated with this schema's names written into it, so its statements
-- are planned once per session rather than on every transaction.
DO $create$
BEGIN
IF (SELECT pg_encoding_to_char(encoding) FROM pg_database WHERE datname = current_database()) <> 'UTF8' THEN
    RAISE EXCEPTION 'the ledger needs a UTF8 database';
END IF;
EXECUTE format($function$
CREATE FUNCTION %1$I.ledger_chain_event() RETURNS trigger
LANGUAGE plpgsql AS $body$
DECLARE
    head text := current_setting('ledger.chain_head_%2$s', true);
    prev bytea;
    last_id bigint;
BEGIN
    IF head IS NULL OR head = '' THEN
        -- The head must be read by a statement that starts after the lock is granted, with
        -- a fresh snapshot: only READ COMMITTED gives one.
        IF current_setting('transaction_isolation') <> 'read committed' THEN
            RAISE EXCEPTION 'events are appended at READ COMMITTED, not %%',
                current_setting('transaction_isolation')
                USING ERRCODE = 'feature_not_supported';
        END IF;
        PERFORM pg_advisory_xact_lock(%3$s);
        SELECT notification_id, hash INTO last_id, prev
            FROM %1$I.ledger_events ORDER BY notification_id DESC LIMIT 1;
        NEW.notification_id := nextval('%1$I.ledger_events_notification_id_seq');
        IF NEW.notification_id <= last_id THEN
            RAISE EXCEPTION 'position %% would follow position %%: the position sequence was reset',
                NEW.notification_id, last_id
                USING ERRCODE = 'data_corrupted';
        END IF;
        prev := coalesce(prev, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    ELSE
        prev := decode(head, 'hex');
        NEW.notification_id := nextval('%1$I.ledger_events_notification_id_seq');
    END IF;
    NEW.recorded_at := clock_timestamp();
    NEW.prev_hash := prev;
    -- The database encoding is UTF8 (checked above), so octet_length counts UTF-8 bytes.
    NEW.hash := sha256(
        prev
        || int8send(NEW.notification_id)
        || uuid_send(NEW.originator_id)
        || int8send(NEW.originator_version)
        || timestamptz_send(NEW.recorded_at)
        || int4send(octet_length(NEW.topic)) || convert_to(NEW.topic, 'UTF8')
        || int4send(octet_length(NEW.state)) || NEW.state
    );
    PERFORM set_config('ledger.chain_head_%2$s', encode(NEW.hash, 'hex'), true);
    RETURN NEW;
END;
$body$
$function$, current_schema(), current_schema(), hashtext(current_schema() || '.ledger_events'));
END;
$create$;

CREATE TRIGGER ledger_events_chain
    BEFORE INSERT ON ledger_events
    FOR EACH ROW EXECUTE FUNCTION ledger_chain_event();

-- History is never rewritten: corrections are new events.
CREATE FUNCTION ledger_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % on %.% is not allowed',
        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'record a correcting event instead';
END;
$$;

CREATE TRIGGER ledger_events_no_update
    BEFORE UPDATE ON ledger_events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();

CREATE TRIGGER ledger_events_no_delete
    BEFORE DELETE ON ledger_events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();

CREATE TRIGGER ledger_events_no_truncate
    BEFORE TRUNCATE ON ledger_events
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_reject_change();
