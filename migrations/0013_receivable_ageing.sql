-- Ageing as of any date without reading the whole history. Amounts are whole hundredths of
-- the currency unit (bigint: integer sums are exact and much cheaper than numeric ones).
-- As of a date D, with every line bucketed by D minus its invoice's due date:
--   * the totals up to D come from the customer's running-total step in force on D;
--   * the amounts due before D that were open on D are what is open now with that due date
--     (running totals as of D-1, D-31, D-61 and D-91 bound the buckets), less the lines
--     recorded after D with a due date before D (the overdue lines whose span from due
--     date to recording contains D);
--   * the current bucket is the rest: invoiced less paid, credited and written off, less
--     the amounts overdue.
-- depends: 0008_receivables

-- What is open now per customer and due date (nothing open, no row), with the running
-- total of what is open with that due date or an earlier one, in force until the next
-- due date with something open: the row in force on a day D says what is open now with a
-- due date up to D.
CREATE TABLE receivable_dues (
    customer text NOT NULL,
    due_on date NOT NULL,
    until_on date,
    open bigint NOT NULL,
    running bigint NOT NULL,
    PRIMARY KEY (customer, due_on)
);
CREATE INDEX receivable_dues_span_idx ON receivable_dues
    USING gist (daterange(due_on, until_on));

-- Each customer's running totals at the end of from_on, in force until until_on (the next
-- date with a change; NULL for the latest): one row per customer and date with a change.
CREATE TABLE receivable_balances (
    customer text NOT NULL,
    from_on date NOT NULL,
    until_on date,
    invoiced bigint NOT NULL,
    paid bigint NOT NULL,
    credited bigint NOT NULL,
    written_off bigint NOT NULL,
    PRIMARY KEY (customer, from_on)
);
CREATE INDEX receivable_balances_span_idx ON receivable_balances
    USING gist (daterange(from_on, until_on));

-- The receivable lines recorded after their invoice's due date (signed, like the lines).
CREATE TABLE receivable_overdue_lines (
    customer text NOT NULL,
    due_on date NOT NULL,
    occurred_on date NOT NULL,
    amount bigint NOT NULL
);
-- The lines with due_on < D < occurred_on, for any D.
CREATE INDEX receivable_overdue_lines_span_idx ON receivable_overdue_lines
    USING gist (daterange(due_on, occurred_on, '()'));
CREATE INDEX receivable_overdue_lines_customer_idx ON receivable_overdue_lines
    (customer, occurred_on);

-- From the lines already folded, in date order (the rows in force on a day lie together).
INSERT INTO receivable_dues (customer, due_on, until_on, open, running)
SELECT customer, due_on, lead(due_on) OVER w, open, sum(open) OVER w
FROM (
    SELECT customer, due_on, sum(amount * 100)::bigint AS open FROM receivable_lines
    GROUP BY customer, due_on HAVING sum(amount) <> 0
) AS dues
WINDOW w AS (PARTITION BY customer ORDER BY due_on)
ORDER BY due_on;

INSERT INTO receivable_balances (customer, from_on, until_on, invoiced, paid, credited,
                                 written_off)
SELECT customer, occurred_on, lead(occurred_on) OVER w,
       sum(invoiced) OVER w, sum(paid) OVER w, sum(credited) OVER w, sum(written_off) OVER w
FROM (
    SELECT customer, occurred_on,
        coalesce(sum(amount * 100) FILTER (WHERE kind = 'invoice'), 0)::bigint AS invoiced,
        coalesce(-sum(amount * 100) FILTER (WHERE kind = 'payment'), 0)::bigint AS paid,
        coalesce(-sum(amount * 100) FILTER (WHERE kind = 'credit_note'), 0)::bigint AS credited,
        coalesce(-sum(amount * 100) FILTER (WHERE kind = 'write_off'), 0)::bigint AS written_off
    FROM receivable_lines GROUP BY customer, occurred_on
) AS days
WINDOW w AS (PARTITION BY customer ORDER BY occurred_on)
ORDER BY occurred_on, customer;

INSERT INTO receivable_overdue_lines (customer, due_on, occurred_on, amount)
SELECT customer, due_on, occurred_on, (amount * 100)::bigint FROM receivable_lines
WHERE occurred_on > due_on ORDER BY occurred_on;
