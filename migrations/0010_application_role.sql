-- The application's privileges, apart from the owner's. Migrations, key issue and revocation
-- and read-model rebuilds (DDL) run as the owner of the tables (the user of
-- LEDGER_DATABASE_URL, or the embedded server's superuser). The HTTP API's sessions run as
-- a member of ledger_writer, which may append events and command records but holds no
-- UPDATE, DELETE or TRUNCATE privilege on them: rewriting history fails on privileges
-- even if the append-only triggers were dropped. Roles are cluster-wide and shared by
-- every ledger schema on the server; the grants are per schema.
-- depends: 0004_projections

DO $roles$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ledger_writer') THEN
        BEGIN
            CREATE ROLE ledger_writer NOLOGIN;
        EXCEPTION
            -- Another schema's migration created it at the same moment.
            WHEN duplicate_object OR unique_violation THEN NULL;
            -- An owner without CREATEROLE: the application then connects as the owner,
            -- or as what LEDGER_APP_DATABASE_URL names (docs/operations.md).
            WHEN insufficient_privilege THEN
                RAISE NOTICE 'cannot create role ledger_writer: %', SQLERRM;
                RETURN;
        END;
    END IF;

    EXECUTE format('GRANT USAGE ON SCHEMA %I TO ledger_writer', current_schema());
    -- Read models, positions and whatever later migrations add: full row access, no DDL.
    EXECUTE format(
        'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO ledger_writer',
        current_schema());
    EXECUTE format(
        'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO ledger_writer', current_schema());
    EXECUTE format(
        'ALTER DEFAULT PRIVILEGES IN SCHEMA %I'
        ' GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ledger_writer', current_schema());
    EXECUTE format(
        'ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT ON SEQUENCES TO ledger_writer',
        current_schema());

    -- History: appended, never changed.
    REVOKE UPDATE, DELETE ON ledger_events, ledger_commands FROM ledger_writer;
    -- Keys are issued and revoked by the owner (`ledger keys`); the API only reads them.
    REVOKE INSERT, UPDATE, DELETE ON api_keys FROM ledger_writer;
    -- The Merkle tree and the checkpoints are append-only too, where present.
    IF to_regclass('ledger_merkle_leaves') IS NOT NULL THEN
        REVOKE UPDATE, DELETE ON ledger_merkle_leaves, ledger_merkle_nodes, ledger_checkpoints
            FROM ledger_writer;
    END IF;
END;
$roles$;
