"""Queries of the receivables read model: open items, ageing as of any date, DSO, bad-debt
provision, and totals by customer, region and product.

Ageing as of a date D buckets what was open at the end of D by D minus its invoice's due
date (current / 1-30 / 31-60 / 61-90 / 90+). It is read from what is open now per due
date, the running totals in force on D and the lines recorded after D whose invoices were
already due, so it costs the same for any D; summing every line up to D gives the same
report (the reference the tests compare with).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from psycopg import Cursor

from ledger.domain.credit.rules import BUCKETS, PROVISION_RATES
from ledger.domain.money import CURRENCY_PLACES, round_money
from projections.model import fetch_rows
from projections.receivable_steps import AMOUNT_SCALE

ZERO = Decimal(0)
DSO_WINDOW_DAYS = 90
EARLIEST_REPORT_DAY = date(1900, 1, 1)
"""The earliest day a report is asked for (it reaches back ``DSO_WINDOW_DAYS`` before it)."""
_UNIT = Decimal(1).scaleb(-AMOUNT_SCALE)


@dataclass(frozen=True)
class OpenItem:
    """An invoice with an open amount (or, with ``settled=True`` in the query, any)."""

    customer: str
    invoice: str
    order: str
    currency: str
    issued_on: date
    due_on: date
    amount: Decimal
    paid: Decimal
    credited: Decimal
    written_off: Decimal
    outstanding: Decimal


def open_items(
    cursor: Cursor[Any], *, customer: str | None = None, settled: bool = False, limit: int = 1000
) -> list[OpenItem]:
    """Invoices still owed (all invoices with ``settled``), earliest due first."""
    return fetch_rows(
        cursor,
        OpenItem,
        "SELECT customer, invoice, order_ref, currency, issued_on, due_on, amount, paid,"
        " credited, written_off, outstanding FROM receivable_items"
        " WHERE (%(c)s::text IS NULL OR customer = %(c)s)"
        " AND (%(all)s OR amount - paid - credited - written_off <> 0)"
        " ORDER BY due_on, customer, invoice LIMIT %(limit)s",
        {"c": customer, "all": settled, "limit": limit},
    )


class AgedReceivables:
    """Receivables (one customer's, or a group's) whose open amounts are aged in buckets,
    with the sales of the DSO window: what their total open amount and DSO follow from."""

    buckets: dict[str, Decimal]
    sales_in_window: Decimal

    @property
    def open(self) -> Decimal:
        """Open receivables: invoiced less paid, credited and written off."""
        return sum(self.buckets.values(), ZERO)

    @property
    def dso(self) -> Decimal | None:
        """Days sales outstanding (None without sales in the window)."""
        if not self.sales_in_window:
            return None
        return (self.open / self.sales_in_window * DSO_WINDOW_DAYS).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class CustomerReceivables(AgedReceivables):
    """One customer's receivables as of a date.

    Attributes:
        customer, currency: whose, and in what.
        buckets: open amount per ageing bucket.
        invoiced, paid, credited, written_off: totals up to the date.
        unapplied: cash and credit on account now.
        sales_in_window: invoiced in the DSO window ending on the date.
    """

    customer: str
    currency: str
    buckets: dict[str, Decimal]
    invoiced: Decimal
    paid: Decimal
    credited: Decimal
    written_off: Decimal
    unapplied: Decimal
    sales_in_window: Decimal

    @property
    def provision(self) -> Decimal:
        """Bad-debt provision: each bucket times its rate (``PROVISION_RATES``)."""
        return sum((self.buckets[b] * PROVISION_RATES[b] for b in BUCKETS), ZERO)


# The reference reading: every line up to %(d)s, bucketed by the day minus its due date.
_REPORT = """
SELECT a.customer, a.currency, a.unapplied, r.invoiced, r.paid, r.credited, r.written_off,
       r.sales, r.b0, r.b1, r.b2, r.b3, r.b4
FROM (
    SELECT customer,
        coalesce(sum(amount) FILTER (WHERE kind = 'invoice'), 0) AS invoiced,
        coalesce(-sum(amount) FILTER (WHERE kind = 'payment'), 0) AS paid,
        coalesce(-sum(amount) FILTER (WHERE kind = 'credit_note'), 0) AS credited,
        coalesce(-sum(amount) FILTER (WHERE kind = 'write_off'), 0) AS written_off,
        coalesce(sum(amount) FILTER (WHERE kind = 'invoice'
                                     AND occurred_on > %(d)s::date - %(w)s), 0) AS sales,
        coalesce(sum(amount) FILTER (WHERE due_on >= %(d)s::date), 0) AS b0,
        coalesce(sum(amount) FILTER (WHERE due_on BETWEEN %(d)s::date - 30
                                     AND %(d)s::date - 1), 0) AS b1,
        coalesce(sum(amount) FILTER (WHERE due_on BETWEEN %(d)s::date - 60
                                     AND %(d)s::date - 31), 0) AS b2,
        coalesce(sum(amount) FILTER (WHERE due_on BETWEEN %(d)s::date - 90
                                     AND %(d)s::date - 61), 0) AS b3,
        coalesce(sum(amount) FILTER (WHERE due_on < %(d)s::date - 90), 0) AS b4
    FROM receivable_lines
    WHERE occurred_on <= %(d)s AND (%(c)s::text IS NULL OR customer = %(c)s)
    GROUP BY customer
) r JOIN receivable_accounts a USING (customer)
ORDER BY a.customer
"""


# Ageing as of %(d)s from the steps in force on a few days, one row per customer each:
# the running totals on the day and 90 days before (``receivable_balances``); what is open
# now with a due date up to the day before and up to 30, 60 and 90 days before that
# (``receivable_dues``), which bound the buckets past due; less the overdue lines recorded
# after the day (``receivable_overdue_lines``). What is left of the day's open total is
# the current bucket. Amounts stay integers (``AMOUNT_SCALE``) until Python.
_AGEING = """
SELECT customer, currency, unapplied, invoiced, paid, credited, written_off, sales,
    invoiced - paid - credited - written_off - b1 - b2 - b3 - b4, b1, b2, b3, b4
FROM (
    SELECT a.customer, a.currency, a.unapplied, t.invoiced, t.paid, t.credited,
        t.written_off, t.invoiced - coalesce(t.invoiced_before, 0) AS sales,
        coalesce(o.to_1, 0) - coalesce(o.to_31, 0) - coalesce(l.b1, 0) AS b1,
        coalesce(o.to_31, 0) - coalesce(o.to_61, 0) - coalesce(l.b2, 0) AS b2,
        coalesce(o.to_61, 0) - coalesce(o.to_91, 0) - coalesce(l.b3, 0) AS b3,
        coalesce(o.to_91, 0) - coalesce(l.b4, 0) AS b4
    FROM receivable_accounts a
    JOIN (
        SELECT customer,
            max(invoiced) FILTER (WHERE {on_d}) AS invoiced,
            max(paid) FILTER (WHERE {on_d}) AS paid,
            max(credited) FILTER (WHERE {on_d}) AS credited,
            max(written_off) FILTER (WHERE {on_d})
                AS written_off,
            max(invoiced) FILTER (WHERE {on_sales_from})
                AS invoiced_before
        FROM receivable_balances
        WHERE (daterange(from_on, until_on) @> %(d)s
               OR daterange(from_on, until_on) @> %(sales_from)s)
          AND (%(c)s::text IS NULL OR customer = %(c)s)
        GROUP BY customer
    ) t ON t.customer = a.customer AND t.invoiced IS NOT NULL
    LEFT JOIN (
        SELECT customer,
            max(running) FILTER (WHERE {due_1}) AS to_1,
            max(running) FILTER (WHERE {due_31}) AS to_31,
            max(running) FILTER (WHERE {due_61}) AS to_61,
            max(running) FILTER (WHERE {due_91}) AS to_91
        FROM receivable_dues
        WHERE (daterange(due_on, until_on) @> %(d1)s
               OR daterange(due_on, until_on) @> %(d31)s
               OR daterange(due_on, until_on) @> %(d61)s
               OR daterange(due_on, until_on) @> %(d91)s)
          AND (%(c)s::text IS NULL OR customer = %(c)s)
        GROUP BY customer
    ) o ON o.customer = a.customer
    LEFT JOIN (
        SELECT customer,
            sum(amount) FILTER (WHERE due_on > %(d31)s)::bigint AS b1,
            sum(amount) FILTER (WHERE due_on > %(d61)s AND due_on <= %(d31)s)::bigint AS b2,
            sum(amount) FILTER (WHERE due_on > %(d91)s AND due_on <= %(d61)s)::bigint AS b3,
            sum(amount) FILTER (WHERE due_on <= %(d91)s)::bigint AS b4
        FROM receivable_overdue_lines
        WHERE daterange(due_on, occurred_on, '()') @> %(d)s
          AND (%(c)s::text IS NULL OR customer = %(c)s)
        GROUP BY customer
    ) l ON l.customer = a.customer
    WHERE (%(c)s::text IS NULL OR a.customer = %(c)s)
) r
ORDER BY customer
""".format(
    # The row of a step in force on a day, without building its range for each row read
    # (one per customer and day: max() picks it, with no numeric state to keep).
    on_d="from_on <= %(d)s AND (until_on IS NULL OR until_on > %(d)s)",
    on_sales_from="from_on <= %(sales_from)s AND (until_on IS NULL OR until_on > %(sales_from)s)",
    **{
        f"due_{n}": f"due_on <= %(d{n})s AND (until_on IS NULL OR until_on > %(d{n})s)"
        for n in (1, 31, 61, 91)
    },
)


def receivables_as_of(
    cursor: Cursor[Any],
    *,
    as_of: date,
    customer: str | None = None,
    reading: Literal["open_items", "lines"] = "open_items",
) -> list[CustomerReceivables]:
    """Each customer's ageing, totals, DSO figures and provision at the end of ``as_of``,
    for the customers with an invoice by then.

    The report reads what is open now, the running totals in force on the day and the
    overdue lines recorded after it (``reading="open_items"``), whatever the date; the
    lines up to the day say the same (``reading="lines"``; tests compare the two).
    """
    params = {
        "d": as_of,
        "sales_from": as_of - timedelta(days=DSO_WINDOW_DAYS),
        **{f"d{n}": as_of - timedelta(days=n) for n in (1, 31, 61, 91)},
        "w": DSO_WINDOW_DAYS,
        "c": customer,
    }
    query = _REPORT if reading == "lines" else _AGEING
    # Never a prepared, generic plan: the dates and the customer decide the plan.
    rows = cursor.execute(query, params, prepare=False).fetchall()
    if reading == "lines":
        return [_customer(row[:3], row[3:]) for row in rows]
    return [_customer(row[:3], _amounts(row[1], row[3:])) for row in rows]


def _amounts(currency: str, units: Sequence[int]) -> list[Decimal]:
    """Whole units of ``AMOUNT_SCALE`` places as decimals of the currency (zero as 0, like
    a sum of no lines)."""
    unit = _UNIT  # exact: the integers have far fewer digits than the decimal context
    amounts = [Decimal(u) * unit if u else ZERO for u in units]
    places = CURRENCY_PLACES.get(currency, AMOUNT_SCALE)
    if places == AMOUNT_SCALE:
        return amounts
    return [round_money(a, currency) if a else ZERO for a in amounts]


def _customer(head: Sequence[Any], amounts: Sequence[Decimal]) -> CustomerReceivables:
    return CustomerReceivables(
        customer=head[0],
        currency=head[1],
        unapplied=head[2],
        invoiced=amounts[0],
        paid=amounts[1],
        credited=amounts[2],
        written_off=amounts[3],
        sales_in_window=amounts[4],
        buckets=dict(zip(BUCKETS, amounts[5:10], strict=True)),
    )


@dataclass
class Totals(AgedReceivables):
    """Receivables added up for a group (a currency, a region): ageing, totals, DSO,
    provision."""

    key: str
    currency: str
    customers: int = 0
    buckets: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, ZERO))
    invoiced: Decimal = ZERO
    paid: Decimal = ZERO
    credited: Decimal = ZERO
    written_off: Decimal = ZERO
    sales_in_window: Decimal = ZERO
    provision: Decimal = ZERO

    def add(self, row: CustomerReceivables) -> None:
        """Add one customer's figures."""
        self.customers += 1
        for name in BUCKETS:
            self.buckets[name] += row.buckets[name]
        self.invoiced += row.invoiced
        self.paid += row.paid
        self.credited += row.credited
        self.written_off += row.written_off
        self.sales_in_window += row.sales_in_window
        self.provision += row.provision


def totals(
    rows: Sequence[CustomerReceivables], group: dict[str, str] | None = None
) -> list[Totals]:
    """Add customers up per currency, or per (group of the customer, currency)."""
    found: dict[tuple[str, str], Totals] = {}
    for row in rows:
        key = group.get(row.customer, "?") if group is not None else "all"
        entry = found.setdefault((key, row.currency), Totals(key, row.currency))
        entry.add(row)
    return [found[key] for key in sorted(found)]


def regions(cursor: Cursor[Any]) -> dict[str, str]:
    """Each party's region, from the catalogue."""
    rows = cursor.execute("SELECT code, region FROM catalogue_parties").fetchall()
    return {code: region for code, region in rows}


@dataclass(frozen=True)
class ProductTotal:
    """Invoiced units and amount of one product up to a date, per currency."""

    gtin: str
    name: str | None
    currency: str
    quantity: int
    amount: Decimal


def totals_by_product(
    cursor: Cursor[Any], *, as_of: date, customer: str | None = None
) -> list[ProductTotal]:
    """Invoiced units and amounts per product (GTIN) and currency up to ``as_of``."""
    return fetch_rows(
        cursor,
        ProductTotal,
        "SELECT l.gtin, p.name, a.currency, sum(l.quantity)::bigint, sum(l.amount)"
        " FROM receivable_invoice_lines l JOIN receivable_accounts a USING (customer)"
        " LEFT JOIN catalogue_products p ON p.gtin = l.gtin"
        " WHERE l.issued_on <= %(d)s AND (%(c)s::text IS NULL OR l.customer = %(c)s)"
        " GROUP BY l.gtin, p.name, a.currency ORDER BY l.gtin, a.currency",
        {"d": as_of, "c": customer},
    )
