"""Queries of the receivables read model: open items, ageing as of any date, DSO, bad-debt
provision, and totals by customer, region and product.

Ageing as of a date D reads the receivable lines that occurred on or before D and buckets
each by D minus its invoice's due date (current / 1-30 / 31-60 / 61-90 / 90+): one
aggregate pass, grouped by customer, with no join before the grouping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from psycopg import Cursor

from ledger.domain.credit_rules import BUCKETS, PROVISION_RATES

ZERO = Decimal(0)
DSO_WINDOW_DAYS = 90


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
    rows = cursor.execute(
        "SELECT customer, invoice, order_ref, currency, issued_on, due_on, amount, paid,"
        " credited, written_off, outstanding FROM receivable_items"
        " WHERE (%(c)s::text IS NULL OR customer = %(c)s)"
        " AND (%(all)s OR amount - paid - credited - written_off <> 0)"
        " ORDER BY due_on, customer, invoice LIMIT %(limit)s",
        {"c": customer, "all": settled, "limit": limit},
    ).fetchall()
    return [OpenItem(*row) for row in rows]


@dataclass(frozen=True)
class CustomerReceivables:
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
    def open(self) -> Decimal:
        """Open receivables: invoiced less paid, credited and written off."""
        return sum(self.buckets.values(), ZERO)

    @property
    def dso(self) -> Decimal | None:
        """Days sales outstanding (None without sales in the window)."""
        if not self.sales_in_window:
            return None
        return (self.open / self.sales_in_window * DSO_WINDOW_DAYS).quantize(Decimal("0.1"))

    @property
    def provision(self) -> Decimal:
        """Bad-debt provision: each bucket times its rate (``PROVISION_RATES``)."""
        return sum((self.buckets[b] * PROVISION_RATES[b] for b in BUCKETS), ZERO)


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


# What is open now per customer, by ageing bucket as of %(d)s (open items only).
_OPEN_BY_BUCKET = """LEFT JOIN (
    SELECT customer,
        sum(outstanding) FILTER (WHERE due_on >= %(d)s::date) AS b0,
        sum(outstanding) FILTER (WHERE due_on BETWEEN %(d)s::date - 30
                                 AND %(d)s::date - 1) AS b1,
        sum(outstanding) FILTER (WHERE due_on BETWEEN %(d)s::date - 60
                                 AND %(d)s::date - 31) AS b2,
        sum(outstanding) FILTER (WHERE due_on BETWEEN %(d)s::date - 90
                                 AND %(d)s::date - 61) AS b3,
        sum(outstanding) FILTER (WHERE due_on < %(d)s::date - 90) AS b4
    FROM receivable_items
    WHERE amount - paid - credited - written_off <> 0
      AND (%(c)s::text IS NULL OR customer = %(c)s)
    GROUP BY customer
) o USING (customer)
"""
# Invoiced in the DSO window ending at %(d)s.
_SALES_IN_WINDOW = """LEFT JOIN (
    SELECT customer, sum(amount) AS sales FROM receivable_items
    WHERE issued_on > %(d)s::date - %(w)s AND issued_on <= %(d)s
      AND (%(c)s::text IS NULL OR customer = %(c)s)
    GROUP BY customer
) s USING (customer)
"""


# As of the latest change or later, the open items and the accounts' running totals say
# the same as the lines, reading only what is still open.
_CURRENT = (
    """
SELECT a.customer, a.currency, a.unapplied, a.invoiced, a.paid, a.credited, a.written_off,
       coalesce(s.sales, 0), coalesce(o.b0, 0), coalesce(o.b1, 0), coalesce(o.b2, 0),
       coalesce(o.b3, 0), coalesce(o.b4, 0)
FROM receivable_accounts a
"""
    + _OPEN_BY_BUCKET
    + """"""
    + _SALES_IN_WINDOW
    + """WHERE a.invoiced <> 0 AND (%(c)s::text IS NULL OR a.customer = %(c)s)
ORDER BY a.customer
"""
)


# As of a date in the later part of the history: what is open now, less what happened after
# the date (each invoice's lines sum to what is open of it, and every line carries its
# invoice's due date, so the buckets subtract too). Reads the lines after the date only.
_RECENT = (
    """
SELECT a.customer, a.currency, a.unapplied, a.invoiced - coalesce(f.invoiced, 0),
       a.paid - coalesce(f.paid, 0), a.credited - coalesce(f.credited, 0),
       a.written_off - coalesce(f.written_off, 0), coalesce(s.sales, 0),
       coalesce(o.b0, 0) - coalesce(f.b0, 0), coalesce(o.b1, 0) - coalesce(f.b1, 0),
       coalesce(o.b2, 0) - coalesce(f.b2, 0), coalesce(o.b3, 0) - coalesce(f.b3, 0),
       coalesce(o.b4, 0) - coalesce(f.b4, 0)
FROM receivable_accounts a
"""
    + _OPEN_BY_BUCKET
    + """LEFT JOIN (
    SELECT customer,
        sum(amount) FILTER (WHERE kind = 'invoice') AS invoiced,
        -sum(amount) FILTER (WHERE kind = 'payment') AS paid,
        -sum(amount) FILTER (WHERE kind = 'credit_note') AS credited,
        -sum(amount) FILTER (WHERE kind = 'write_off') AS written_off,
        sum(amount) FILTER (WHERE due_on >= %(d)s::date) AS b0,
        sum(amount) FILTER (WHERE due_on BETWEEN %(d)s::date - 30
                            AND %(d)s::date - 1) AS b1,
        sum(amount) FILTER (WHERE due_on BETWEEN %(d)s::date - 60
                            AND %(d)s::date - 31) AS b2,
        sum(amount) FILTER (WHERE due_on BETWEEN %(d)s::date - 90
                            AND %(d)s::date - 61) AS b3,
        sum(amount) FILTER (WHERE due_on < %(d)s::date - 90) AS b4
    FROM receivable_lines
    WHERE occurred_on > %(d)s AND (%(c)s::text IS NULL OR customer = %(c)s)
    GROUP BY customer
) f USING (customer)
"""
    + _SALES_IN_WINDOW
    + """WHERE (%(c)s::text IS NULL OR a.customer = %(c)s)
  AND EXISTS (SELECT FROM receivable_lines l
              WHERE l.customer = a.customer AND l.occurred_on <= %(d)s)
ORDER BY a.customer
"""
)


def receivables_as_of(
    cursor: Cursor[Any],
    *,
    as_of: date,
    customer: str | None = None,
    reading: Literal["fewest", "lines", "open_items"] = "fewest",
) -> list[CustomerReceivables]:
    """Each customer's ageing, totals, DSO figures and provision at the end of ``as_of``:
    from the open items when nothing has happened after ``as_of``; else from whichever is
    fewer, the lines up to ``as_of`` or the open items less the lines after it.

    ``reading`` forces one of the two for a date in the past (they agree; tests check it).
    """
    params = {"d": as_of, "w": DSO_WINDOW_DAYS, "c": customer}
    first, latest = cursor.execute(
        "SELECT min(occurred_on), max(occurred_on) FROM receivable_lines"
    ).fetchone() or (None, None)
    if latest is None or latest <= as_of:
        query = _CURRENT
    elif reading == "lines":
        query = _REPORT
    elif reading == "open_items" or first is None or as_of - first >= latest - as_of:
        query = _RECENT  # the later half of the history: fewer lines after the date
    else:
        query = _REPORT
    rows = cursor.execute(query, params).fetchall()
    return [
        CustomerReceivables(
            customer=row[0],
            currency=row[1],
            unapplied=row[2],
            invoiced=row[3],
            paid=row[4],
            credited=row[5],
            written_off=row[6],
            sales_in_window=row[7],
            buckets=dict(zip(BUCKETS, row[8:13], strict=True)),
        )
        for row in rows
    ]


@dataclass
class Totals:
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

    @property
    def open(self) -> Decimal:
        """Open receivables of the group."""
        return sum(self.buckets.values(), ZERO)

    @property
    def dso(self) -> Decimal | None:
        """The group's DSO (None without sales in the window)."""
        if not self.sales_in_window:
            return None
        return (self.open / self.sales_in_window * DSO_WINDOW_DAYS).quantize(Decimal("0.1"))

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


def totals(rows: list[CustomerReceivables], group: dict[str, str] | None = None) -> list[Totals]:
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
    rows = cursor.execute(
        "SELECT l.gtin, p.name, a.currency, sum(l.quantity), sum(l.amount)"
        " FROM receivable_invoice_lines l JOIN receivable_accounts a USING (customer)"
        " LEFT JOIN catalogue_products p ON p.gtin = l.gtin"
        " WHERE l.issued_on <= %(d)s AND (%(c)s::text IS NULL OR l.customer = %(c)s)"
        " GROUP BY l.gtin, p.name, a.currency ORDER BY l.gtin, a.currency",
        {"d": as_of, "c": customer},
    ).fetchall()
    return [ProductTotal(gtin, name, cur, int(q), amount) for gtin, name, cur, q, amount in rows]
