"""Benchmarks of credit: order placement with its credit check, and the ageing report,
each against a raw PostgreSQL baseline measured in the same run."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from psycopg import sql

from api.bench.frame import Bench, Report, ms_since, percentiles, timed_ms
from api.bench.synthetic import register_product
from ledger.application.ledger import Ledger
from ledger.domain.order import OrderLine
from ledger.domain.values import PartyRole, RiskClass
from ledger.settings import Settings
from ledger.store.database import Database
from projections.receivable_reports import receivables_as_of

_AT = datetime(2026, 3, 2, 8, tzinfo=UTC)
_TODAY = date(2026, 6, 30)
_RAW_SUM = (
    "SELECT customer, sum(amount) FROM receivable_lines WHERE occurred_on <= %s GROUP BY customer"
)
_RAW_SETUP = (
    "CREATE TABLE bench_raw_accounts (customer text PRIMARY KEY, exposure numeric NOT NULL,"
    " credit_limit numeric NOT NULL);"
    " CREATE TABLE bench_raw_orders (order_ref text PRIMARY KEY, customer text NOT NULL,"
    " amount numeric NOT NULL, approved boolean NOT NULL)"
)
_ORDER_LINE = (
    "order placement p50 {order_p50_ms:.2f} ms, p99 {order_p99_ms:.2f} ms; raw p99"
    " {raw_p99_ms:.2f} ms; {orders} orders over {customers} accounts, {server}"
)
_AGEING_LINE = (
    "ageing of {customers:,} customers, {lines:,} lines: today p99 {ageing_today_p99_ms:.1f} ms;"
    " as of past dates p50 {ageing_p50_ms:.1f} ms, p99 {ageing_p99_ms:.1f} ms; raw sum p99"
    " {raw_sum_p99_ms:.1f} ms; one customer p99 {one_customer_p99_ms:.2f} ms; {server}"
)


def _prepare_orders(ledger: Ledger, customers: int) -> tuple[str, list[str]]:
    gtin = register_product(ledger, "0696000000001", name="Bench infusion set",
                            certificate="R-1", risk_class=RiskClass.II)  # fmt: skip
    codes = [f"HOSP-B{n:05d}" for n in range(customers)]
    for code in codes:
        ledger.master_data.register_party(
            code=code,
            name=code,
            role=PartyRole.HOSPITAL,
            region="East China",
            recall_contact="r@example.cn",
        )
        ledger.orders.open_credit_account(
            customer=code,
            currency="CNY",
            grade="A",
            limit=Decimal(10**9),
            terms_days=30,
            reason="bench",
        )
    return gtin, codes


def _raw_orders(database: Database, codes: list[str], orders: int) -> list[float]:
    """The same decision raw: lock the customer's row, insert the order, add to exposure."""
    times = []
    with database.connect() as conn:
        conn.execute(_RAW_SETUP)
        conn.cursor().executemany(
            "INSERT INTO bench_raw_accounts VALUES (%s, 0, 1000000000)", [(c,) for c in codes]
        )
        conn.commit()
        for n in range(orders):
            began = time.perf_counter()
            customer = codes[n % len(codes)]
            row = conn.execute(
                "SELECT exposure, credit_limit FROM bench_raw_accounts WHERE customer = %s"
                " FOR UPDATE",
                (customer,),
            ).fetchone()
            approved = row is not None and row[0] + 100 <= row[1]
            conn.execute(
                "INSERT INTO bench_raw_orders VALUES (%s, %s, 100, %s)",
                (f"SO-{n}", customer, approved),
            )
            conn.execute(
                "UPDATE bench_raw_accounts SET exposure = exposure + 100 WHERE customer = %s",
                (customer,),
            )
            conn.commit()
            times.append(ms_since(began))
    return times


def bench_order(bench: Bench, *, orders: int = 2000, customers: int = 50) -> Report:
    """Place ``orders`` one-line orders (credit check, order and account saved together)
    across ``customers`` accounts; time each against the raw lock-insert-update."""
    with bench.scratch() as scratch:
        with bench.ledger(scratch) as ledger:
            gtin, codes = _prepare_orders(ledger, customers)
            line = [OrderLine(gtin, 1, Decimal(100))]
            times = []
            for n in range(orders):
                began = time.perf_counter()
                ledger.orders.place_order(
                    order=f"SO-{n}",
                    customer=codes[n % customers],
                    currency="CNY",
                    lines=line,
                    placed_at=_AT,
                )
                times.append(ms_since(began))
        raw = _raw_orders(scratch, codes, orders)
    figures = {
        "orders": orders,
        "customers": customers,
        **percentiles("order", times, 50, 95, 99),
        **percentiles("raw", raw, 50, 95, 99),
        "server": bench.server_version(),
    }
    return Report(figures, _ORDER_LINE.format_map(figures))


_FILL_LINES = """
INSERT INTO {lines} (position, line, customer, invoice, kind, amount, occurred_on, due_on)
SELECT n, 0, 'C' || lpad((n %% %(customers)s)::text, 6, '0'), 'INV-' || n, 'invoice',
       round((100 + (n * 7919) %% 90000)::numeric / 100, 2),
       %(start)s::date + (n * 365 / %(invoices)s)::int,
       %(start)s::date + (n * 365 / %(invoices)s)::int + 30
FROM generate_series(1::bigint, %(invoices)s) AS n
"""
# Two thirds of the invoices are paid in full, 20 to 70 days after they were issued.
_FILL_PAYMENTS = """
INSERT INTO {lines} (position, line, customer, invoice, kind, amount, occurred_on, due_on)
SELECT position + %(invoices)s, 0, customer, invoice, 'payment', -amount,
       occurred_on + 20 + (position %% 50)::int, due_on
FROM {lines} WHERE kind = 'invoice' AND position %% 3 <> 0
"""


# The open items and running totals the writer keeps, from the same lines.
_FILL_ITEMS = """
INSERT INTO receivable_items (customer, invoice, order_ref, shipment, currency, issued_on,
                              due_on, amount, paid, position)
SELECT customer, invoice, 'SO-' || invoice, 'SH-' || invoice, 'CNY',
       min(occurred_on), min(due_on), sum(amount) FILTER (WHERE kind = 'invoice'),
       coalesce(-sum(amount) FILTER (WHERE kind = 'payment'), 0), min(position)
FROM receivable_lines GROUP BY customer, invoice
"""
_FILL_TOTALS = """
UPDATE receivable_accounts a SET invoiced = t.invoiced, paid = t.paid
FROM (SELECT customer, sum(amount) AS invoiced, sum(paid) AS paid FROM receivable_items
      GROUP BY customer) t
WHERE a.customer = t.customer
"""


# What is open per due date, the running-total steps and the overdue lines, from the lines
# in hundredths (``AMOUNT_SCALE``), as the writer keeps them; the migration that added the
# tables fills them the same way.
_AGEING_MIGRATION = "0013_receivable_ageing.sql"
_FILL_FROM = "-- From the lines already folded"


def ageing_fill_statements(migrations_dir: Path) -> list[str]:
    """The statements with which migration 0013 fills the tables ageing reads from the
    lines already folded: the benchmark's fill runs the same ones."""
    text = (Path(migrations_dir) / _AGEING_MIGRATION).read_text()
    at = text.find(_FILL_FROM)
    if at < 0:
        raise ValueError(f"{_AGEING_MIGRATION} no longer has its fill statements")
    body = "\n".join(line for line in text[at:].splitlines() if not line.startswith("--"))
    return [statement.strip() for statement in body.split(";") if statement.strip()]


def fill_receivables(
    database: Database, *, customers: int, invoices: int, migrations_dir: Path | None = None
) -> int:
    """Fill the receivables tables of ``database`` with ``invoices`` invoice lines over
    ``customers`` accounts and payments of two thirds of them (set-based, in the server),
    and the tables ageing reads from them; returns the number of receivable lines."""
    params = {"customers": customers, "invoices": invoices, "start": date(2025, 1, 1)}
    lines = sql.Identifier("receivable_lines")
    with database.connect() as conn:
        conn.execute(
            "INSERT INTO receivable_accounts (customer, currency, opened_position)"
            " SELECT 'C' || lpad(n::text, 6, '0'), 'CNY', 0 FROM generate_series(0, %s) n",
            (customers - 1,),
        )
        conn.execute(sql.SQL(_FILL_LINES).format(lines=lines), params)
        conn.execute(sql.SQL(_FILL_PAYMENTS).format(lines=lines), params)
        conn.execute(_FILL_ITEMS)
        conn.execute(_FILL_TOTALS)
        for statement in ageing_fill_statements(migrations_dir or Settings().migrations_dir):
            conn.execute(statement.encode())
        conn.commit()
        row = conn.execute("SELECT count(*) FROM receivable_lines").fetchone()
    with database.connect(autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE receivable_lines")
        conn.execute("VACUUM ANALYZE receivable_items")
        for table in ("accounts", "dues", "balances", "overdue_lines"):
            conn.execute(sql.SQL("VACUUM ANALYZE {}").format(sql.Identifier(f"receivable_{table}")))
    return int(row[0]) if row else 0


def bench_ageing(
    bench: Bench, *, customers: int = 10_000, invoices: int = 1_000_000, repeat: int = 20
) -> Report:
    """Time the ageing report (buckets, totals, DSO figures per customer) as of today and
    as of dates through the year (the same reading for both), against a raw
    one-sum-per-customer over the lines."""
    migrations_dir = Path(bench.settings.migrations_dir)
    with bench.scratch() as scratch:
        began = time.perf_counter()
        lines = fill_receivables(
            scratch, customers=customers, invoices=invoices, migrations_dir=migrations_dir
        )
        fill_s = time.perf_counter() - began
        days = [date(2025, 1, 1) + timedelta(days=30 + (300 * n) // repeat) for n in range(repeat)]
        report, raw = [], []
        with scratch.connect() as conn, conn.cursor() as cur:
            receivables_as_of(cur, as_of=days[0])  # warm the cache and the plan
            for day in days:
                began = time.perf_counter()
                rows = receivables_as_of(cur, as_of=day)
                report.append(ms_since(began))
                raw.append(timed_ms(lambda on: cur.execute(_RAW_SUM, (on,)).fetchall(), day))
            today = [timed_ms(receivables_as_of, cur, as_of=_TODAY) for _ in days]
            one = [timed_ms(receivables_as_of, cur, as_of=day, customer="C000042") for day in days]
    figures = {
        "customers": customers,
        "invoices": invoices,
        "lines": lines,
        "fill_s": round(fill_s, 1),
        "rows": len(rows),
        **percentiles("ageing_today", today, 50, 95, 99),
        **percentiles("ageing", report, 50, 95, 99),
        **percentiles("raw_sum", raw, 50, 95, 99),
        **percentiles("one_customer", one, 50, 95, 99),
        "server": bench.server_version(),
    }
    return Report(figures, _AGEING_LINE.format_map(figures))
