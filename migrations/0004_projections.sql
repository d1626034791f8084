-- Read models: how far each has folded the event stream, and the catalogue of master data.
-- depends: 0002_commands

CREATE TABLE ledger_projection_positions (
    projection text PRIMARY KEY,
    position bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE catalogue_products (
    product_id uuid PRIMARY KEY,
    gtin text NOT NULL UNIQUE,
    name text NOT NULL,
    registration_certificate text NOT NULL,
    risk_class text NOT NULL,
    storage_min_celsius numeric,
    storage_max_celsius numeric,
    unit_of_use text NOT NULL,
    serialised boolean NOT NULL,
    company_prefix_length integer NOT NULL,
    registered_at timestamptz NOT NULL,
    position bigint NOT NULL
);

CREATE TABLE catalogue_parties (
    party_id uuid PRIMARY KEY,
    code text NOT NULL UNIQUE,
    name text NOT NULL,
    role text NOT NULL,
    region text NOT NULL,
    grade text,
    recall_contact text NOT NULL,
    registered_at timestamptz NOT NULL,
    position bigint NOT NULL
);
CREATE INDEX catalogue_parties_role_idx ON catalogue_parties (role, region);
