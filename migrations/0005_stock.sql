-- Stock read model: lots, balances per location and status, and the movement lines that
-- let any balance be answered as of a past time or position.
-- depends: 0004_projections

CREATE TABLE stock_lots (
    lot_id uuid PRIMARY KEY,
    gtin text NOT NULL,
    lot_number text NOT NULL,
    expiry date,
    manufactured_on date,
    opened_position bigint NOT NULL
);
CREATE INDEX stock_lots_gtin_idx ON stock_lots (gtin, expiry);

-- For units in transit, "location" is the movement's reference (transfer or shipment).
CREATE TABLE stock_balances (
    lot_id uuid NOT NULL,
    location text NOT NULL,
    status text NOT NULL,
    quantity bigint NOT NULL,
    PRIMARY KEY (lot_id, location, status)
);
CREATE INDEX stock_balances_location_idx ON stock_balances (location, status);
-- Balances that reached zero are removed after each page; this keeps finding them cheap.
CREATE INDEX stock_balances_zero_idx ON stock_balances (lot_id) WHERE quantity = 0;

CREATE TABLE stock_movements (
    position bigint NOT NULL,
    line smallint NOT NULL,
    lot_id uuid NOT NULL,
    location text NOT NULL,
    status text NOT NULL,
    delta bigint NOT NULL,
    movement text NOT NULL,
    reference text,
    occurred_at timestamptz NOT NULL,
    recorded_at timestamptz NOT NULL,
    PRIMARY KEY (position, line)
);
CREATE INDEX stock_movements_lot_idx ON stock_movements (lot_id, occurred_at);
CREATE INDEX stock_movements_occurred_idx ON stock_movements (occurred_at);
