-- Receivables read models: accounts, open items, dated receivable lines (for ageing as of
-- any date), invoiced products, sales orders, dunning notices and collection tasks.
-- depends: 0006_lot_trace

CREATE TABLE receivable_accounts (
    customer text PRIMARY KEY,
    currency text NOT NULL,
    unapplied numeric NOT NULL DEFAULT 0,
    -- Running totals, so that today's report needs only the open items.
    invoiced numeric NOT NULL DEFAULT 0,
    paid numeric NOT NULL DEFAULT 0,
    credited numeric NOT NULL DEFAULT 0,
    written_off numeric NOT NULL DEFAULT 0,
    opened_position bigint NOT NULL
);

-- One row per invoice with what settled it; outstanding is kept by the database.
CREATE TABLE receivable_items (
    customer text NOT NULL,
    invoice text NOT NULL,
    order_ref text NOT NULL,
    shipment text NOT NULL,
    currency text NOT NULL,
    issued_on date NOT NULL,
    due_on date NOT NULL,
    amount numeric NOT NULL,
    paid numeric NOT NULL DEFAULT 0,
    credited numeric NOT NULL DEFAULT 0,
    written_off numeric NOT NULL DEFAULT 0,
    outstanding numeric GENERATED ALWAYS AS (amount - paid - credited - written_off) STORED,
    position bigint NOT NULL,
    PRIMARY KEY (customer, invoice)
);
CREATE INDEX receivable_items_open_idx ON receivable_items (customer, due_on)
    WHERE amount - paid - credited - written_off <> 0;
CREATE INDEX receivable_items_issued_idx ON receivable_items (issued_on);

-- Every change of an invoice's open amount, signed (+ invoiced, - paid, credited, written
-- off), with the invoice's due date: ageing as of a date D is one pass over the lines
-- with occurred_on <= D, bucketed by D - due_on, with no join and no per-invoice grouping.
CREATE TABLE receivable_lines (
    position bigint NOT NULL,
    line integer NOT NULL,
    customer text NOT NULL,
    invoice text NOT NULL,
    kind text NOT NULL,
    amount numeric NOT NULL,
    occurred_on date NOT NULL,
    due_on date NOT NULL,
    PRIMARY KEY (position, line)
);
CREATE INDEX receivable_lines_customer_idx ON receivable_lines (customer, occurred_on);
-- The latest date with a change: a report as of that date or later reads the open items.
CREATE INDEX receivable_lines_occurred_idx ON receivable_lines (occurred_on);

CREATE TABLE receivable_invoice_lines (
    customer text NOT NULL,
    invoice text NOT NULL,
    gtin text NOT NULL,
    quantity bigint NOT NULL,
    amount numeric NOT NULL,
    issued_on date NOT NULL,
    PRIMARY KEY (customer, invoice, gtin)
);
CREATE INDEX receivable_invoice_lines_gtin_idx ON receivable_invoice_lines (gtin);

CREATE TABLE sales_orders (
    order_id uuid PRIMARY KEY,
    order_ref text NOT NULL UNIQUE,
    customer text NOT NULL,
    currency text NOT NULL,
    amount numeric NOT NULL,
    state text NOT NULL,
    rule text NOT NULL DEFAULT '',
    placed_at timestamptz NOT NULL,
    shipment text,
    invoice text,
    position bigint NOT NULL
);
CREATE INDEX sales_orders_customer_idx ON sales_orders (customer, placed_at);

CREATE TABLE dunning_notices (
    customer text NOT NULL,
    invoice text NOT NULL,
    level text NOT NULL,
    as_of date NOT NULL,
    due_on date NOT NULL,
    outstanding numeric NOT NULL,
    days_overdue integer NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (customer, invoice, level)
);
CREATE INDEX dunning_notices_as_of_idx ON dunning_notices (as_of);

CREATE TABLE collection_tasks (
    customer text NOT NULL,
    task text NOT NULL,
    invoice text NOT NULL,
    level text NOT NULL,
    owner text NOT NULL,
    status text NOT NULL,
    note text NOT NULL DEFAULT '',
    opened_on date NOT NULL,
    updated_on date NOT NULL,
    PRIMARY KEY (customer, task)
);
CREATE INDEX collection_tasks_owner_idx ON collection_tasks (owner, status);
