-- Recalls read model: one row per recall and every step taken under it (notices,
-- acknowledgements, recoveries, exceptions, reports, end and close-out). The impact list is
-- a query joining these with the lot trace and stock models, so that units that move after
-- initiation show at once.
-- depends: 0006_lot_trace

CREATE TABLE recall_recalls (
    recall_id uuid PRIMARY KEY,
    number text NOT NULL UNIQUE,
    level text NOT NULL,
    reason text NOT NULL,
    jurisdiction text NOT NULL,
    gtins text[] NOT NULL,
    lot_numbers text[] NOT NULL,
    lot_from text,
    lot_to text,
    produced_from date,
    produced_to date,
    initiator text NOT NULL,
    initiated_at timestamptz NOT NULL,
    notify_by date NOT NULL,
    report_by date NOT NULL,
    plan_by date,
    reported_at timestamptz,
    plan_submitted_at timestamptz,
    ended_at timestamptz,
    close_out_by date,
    closed_at timestamptz,
    status text NOT NULL,
    position bigint NOT NULL
);

CREATE TABLE recall_steps (
    position bigint PRIMARY KEY,
    recall_id uuid NOT NULL,
    step text NOT NULL,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL,
    consignee text,
    gtin text,
    lot_number text,
    kind text,
    quantity bigint,
    detail text
);
CREATE INDEX recall_steps_recall_idx ON recall_steps (recall_id, position);
