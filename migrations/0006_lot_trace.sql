-- Lot trace read model: every event of a lot in order, who received its units from whom,
-- and what each consignee did with them.
-- depends: 0005_stock

CREATE TABLE lot_trace_entries (
    position bigint PRIMARY KEY,
    lot_id uuid NOT NULL,
    movement text NOT NULL,
    occurred_at timestamptz,
    recorded_at timestamptz NOT NULL,
    location text,
    party text,
    counterparty text,
    quantity bigint,
    reference text
);
CREATE INDEX lot_trace_entries_lot_idx ON lot_trace_entries (lot_id, position);

-- Units passed from one holder to another: from the ledger's own stock ('') to a
-- consignee by delivered shipments, from a distributor to its customer by reported sales.
CREATE TABLE lot_flows (
    lot_id uuid NOT NULL,
    from_party text NOT NULL,
    to_party text NOT NULL,
    quantity bigint NOT NULL,
    PRIMARY KEY (lot_id, from_party, to_party)
);

CREATE TABLE lot_consignees (
    lot_id uuid NOT NULL,
    consignee text NOT NULL,
    shipped bigint NOT NULL DEFAULT 0,
    delivered bigint NOT NULL DEFAULT 0,
    bought bigint NOT NULL DEFAULT 0,
    sold_on bigint NOT NULL DEFAULT 0,
    returned bigint NOT NULL DEFAULT 0,
    used bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (lot_id, consignee)
);
CREATE INDEX lot_consignees_consignee_idx ON lot_consignees (consignee);
