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

-- Chain every new event to the one before it (see docs/integrity.md for the byte layout).
-- Inserts are serialised by an EXCLUSIVE table lock (the recorder takes it; the first row of
-- a transaction takes it here too), so the chain follows notification_id. The running head
-- is kept in a transaction-local setting: only a transaction's first row reads the table.
-- The function is generated with this schema's name written into it, so its statements are
-- planned once per session instead of on every transaction (dynamic SQL cost ~50 us/commit).
DO $create$
BEGIN
EXECUTE format($function$
CREATE FUNCTION %1$I.ledger_chain_event() RETURNS trigger
LANGUAGE plpgsql AS $body$
DECLARE
    head text := current_setting('ledger.chain_head_%2$s', true);
    prev bytea;
    last_id bigint;
    topic_bytes bytea;
BEGIN
    IF head IS NULL OR head = '' THEN
        LOCK TABLE %1$I.ledger_events IN EXCLUSIVE MODE;
        SELECT notification_id, hash INTO last_id, prev
            FROM %1$I.ledger_events ORDER BY notification_id DESC LIMIT 1;
        IF last_id IS NOT NULL AND NEW.notification_id <= last_id THEN
            RAISE EXCEPTION 'event %% would be chained after event %%: take the table lock before drawing positions',
                NEW.notification_id, last_id
                USING ERRCODE = 'serialization_failure';
        END IF;
        prev := coalesce(prev, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    ELSE
        prev := decode(head, 'hex');
    END IF;
    NEW.recorded_at := clock_timestamp();
    NEW.prev_hash := prev;
    topic_bytes := convert_to(NEW.topic, 'UTF8');
    NEW.hash := sha256(
        prev
        || int8send(NEW.notification_id)
        || uuid_send(NEW.originator_id)
        || int8send(NEW.originator_version)
        || int8send((extract(epoch FROM NEW.recorded_at) * 1000000)::bigint)
        || int4send(octet_length(topic_bytes)) || topic_bytes
        || int4send(octet_length(NEW.state)) || NEW.state
    );
    PERFORM set_config('ledger.chain_head_%2$s', encode(NEW.hash, 'hex'), true);
    RETURN NEW;
END;
$body$
$function$, current_schema(), current_schema());
END;
$create$;

CREATE TRIGGER ledger_events_chain
    BEFORE INSERT ON ledger_events
    FOR EACH ROW EXECUTE FUNCTION ledger_chain_event();

-- History is never rewritten: corrections are new events.
CREATE FUNCTION ledger_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger events are append-only: % on %.% is not allowed',
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
