"""Laws of the tables ageing reads (open amounts and running totals per due date, running
totals per day, overdue lines): whatever the order of the lines' dates and however they are
split between writes, the tables are the ones the lines define, and the report read from
them equals the sum of the lines up to any day."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.bench.credit import ageing_fill_statements, fill_receivables
from conftest import fresh_database
from ledger.settings import Settings
from ledger.store.database import Database
from projections.receivable_reports import receivables_as_of
from projections.receivable_steps import balance_steps, due_steps, to_units
from projections.receivables import ReceivableChanges, Receivables

START = date(2026, 1, 5)
KINDS = ("invoice", "invoice", "payment", "credit_note", "write_off")
_runs = itertools.count(1)

# kind, customer, cents, day recorded, days from then to the due date (may be negative)
Line = tuple[str, int, int, int, int]
lines_strategy = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.integers(0, 1),
        st.integers(1, 300_000),
        st.integers(0, 150),
        st.integers(-40, 60),
    ),
    min_size=1,
    max_size=25,
)
splits = st.lists(st.integers(1, 6), min_size=1, max_size=25)


def _rows(lines: list[Line], customers: tuple[str, ...], run: int) -> list[tuple[Any, ...]]:
    """Receivable lines in the model's shape (signed amounts), positions in list order."""
    rows = []
    for position, (kind, who, cents, day, due_in) in enumerate(lines, start=run * 100):
        amount = Decimal(cents) / 100 * (1 if kind == "invoice" else -1)
        on = START + timedelta(days=day)
        due_on = on + timedelta(days=due_in)
        rows.append((position, 0, customers[who], f"INV-{position}", kind, amount, on, due_on))
    return rows


def _expected(rows: list[tuple[Any, ...]], customer: str) -> tuple[Any, Any, Any]:
    """Open per due date, running-total steps and overdue lines, straight from the lines."""
    dues: dict[date, int] = defaultdict(int)
    days: dict[date, list[int]] = {}
    overdue = []
    for _p, _n, who, _invoice, kind, amount, on, due_on in rows:
        if who != customer:
            continue
        units = to_units(amount)
        dues[due_on] += units
        totals = days.setdefault(on, [0, 0, 0, 0])
        index = ("invoice", "payment", "credit_note", "write_off").index(kind)
        totals[index] += units if kind == "invoice" else -units
        if on > due_on:
            overdue.append((due_on, on, units))
    steps, running = [], [0, 0, 0, 0]
    ordered = sorted(days)
    for on, end in zip(ordered, [*ordered[1:], None][: len(ordered)], strict=True):
        running = [r + d for r, d in zip(running, days[on], strict=True)]
        steps.append((on, end, *running))
    due_dates = sorted(d for d, units in dues.items() if units)
    open_by_due, open_to_date = [], 0
    for due_on, end in zip(due_dates, [*due_dates[1:], None][: len(due_dates)], strict=True):
        open_to_date += dues[due_on]
        open_by_due.append((due_on, end, dues[due_on], open_to_date))
    return open_by_due, steps, sorted(overdue)


@pytest.fixture(scope="module")
def ageing_db(server: Database) -> Iterator[Database]:
    """One schema for every example (each example books for customers of its own)."""
    with fresh_database(server) as database:
        yield database


def _write(
    database: Database, rows: list[tuple[Any, ...]], sizes: list[int], currency: str = "CNY"
) -> None:
    model = Receivables()
    tables = {table: table for table in model.tables}
    chunks, at = [], 0
    for size in itertools.cycle(sizes):
        if at >= len(rows):
            break
        chunks.append(rows[at : at + size])
        at += size
    with database.connect() as conn, conn.cursor() as cur:
        accounts = [(customer, currency, 0) for customer in sorted({row[2] for row in rows})]
        model.write(cur, ReceivableChanges(accounts=accounts), tables)
        for chunk in chunks:
            changes = ReceivableChanges(lines=list(chunk))
            changes.derive_by_date()
            model.write(cur, changes, tables)
            conn.commit()


@given(lines=lines_strategy, sizes=splits)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_the_by_date_tables_are_what_the_lines_define_however_they_were_written(
    ageing_db: Database, lines: list[Line], sizes: list[int]
) -> None:
    run = next(_runs)
    customers = (f"HOSP-A{run}", f"HOSP-B{run}")
    rows = _rows(lines, customers, run)

    _write(ageing_db, rows, sizes)

    with ageing_db.connect() as conn:
        for customer in customers:
            dues, steps, overdue = _expected(rows, customer)
            got_dues = conn.execute(
                "SELECT due_on, until_on, open, running FROM receivable_dues"
                " WHERE customer = %s ORDER BY due_on",
                (customer,),
            ).fetchall()
            got_steps = conn.execute(
                "SELECT from_on, until_on, invoiced, paid, credited, written_off"
                " FROM receivable_balances WHERE customer = %s ORDER BY from_on",
                (customer,),
            ).fetchall()
            got_overdue = conn.execute(
                "SELECT due_on, occurred_on, amount FROM receivable_overdue_lines"
                " WHERE customer = %s ORDER BY 1, 2, 3",
                (customer,),
            ).fetchall()
            assert got_dues == dues
            assert got_steps == steps
            assert got_overdue == overdue


@given(lines=lines_strategy, sizes=splits)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
def test_the_report_equals_the_sum_of_the_lines_on_every_day_whatever_their_order(
    ageing_db: Database, lines: list[Line], sizes: list[int]
) -> None:
    run = next(_runs)
    customers = (f"HOSP-C{run}", f"HOSP-D{run}")
    rows = _rows(lines, customers, run)
    _write(ageing_db, rows, sizes)

    with ageing_db.connect() as conn, conn.cursor() as cur:
        for offset in range(-1, 230, 3):
            day = START + timedelta(days=offset)
            for customer in customers:
                from_lines = receivables_as_of(cur, as_of=day, customer=customer, reading="lines")
                read = receivables_as_of(cur, as_of=day, customer=customer)
                assert read == from_lines, (customer, day)


def test_amounts_of_a_currency_without_cents_come_back_in_whole_units(
    ageing_db: Database,
) -> None:
    run = next(_runs)
    rows = _rows([("invoice", 0, 150_000, 0, 30), ("payment", 0, 50_000, 40, -10)], ("C",), run)
    rows = [(*row[:2], f"HOSP-JPY{run}", *row[3:]) for row in rows]
    _write(ageing_db, rows, [1], currency="JPY")

    with ageing_db.connect() as conn, conn.cursor() as cur:
        [report] = receivables_as_of(cur, as_of=START + timedelta(days=45), customer=rows[0][2])
    assert (str(report.invoiced), str(report.paid), str(report.buckets["1-30"])) == (
        "1500",
        "500",
        "1000",
    )
    assert str(report.buckets["current"]) == "0"


def test_running_total_steps_do_not_depend_on_how_the_changes_were_split() -> None:
    d = [START + timedelta(days=n) for n in range(5)]
    at_once = balance_steps([], {d[1]: [100, 0, 0, 0], d[3]: [0, 40, 0, 0], d[0]: [5, 0, 0, 0]})
    first = balance_steps([], {d[3]: [0, 40, 0, 0]})
    # the step in force on the earliest new date (none: it comes first) and those after it
    second = balance_steps([(on, amounts) for on, _end, amounts in first], {d[1]: [100, 0, 0, 0]})
    third = balance_steps([(on, amounts) for on, _end, amounts in second], {d[0]: [5, 0, 0, 0]})

    assert (
        third
        == at_once
        == [
            (d[0], d[1], (5, 0, 0, 0)),
            (d[1], d[3], (105, 0, 0, 0)),
            (d[3], None, (105, 40, 0, 0)),
        ]
    )


def test_due_steps_keep_no_due_date_with_nothing_open() -> None:
    d = [START + timedelta(days=n) for n in range(4)]
    first = due_steps([], {d[0]: 100, d[2]: 50})
    kept = [(on, amounts[0]) for on, _end, amounts in first]

    assert first == [(d[0], d[2], (100, 100)), (d[2], None, (50, 150))]
    # the first invoice paid, and a new one due in between
    assert due_steps(kept, {d[0]: -100, d[1]: 30}) == [
        (d[1], d[2], (30, 30)),
        (d[2], None, (50, 80)),
    ]
    assert due_steps(kept[1:], {d[3]: 5}, before=100) == [
        (d[2], d[3], (50, 150)),
        (d[3], None, (5, 155)),
    ]


def test_amounts_finer_than_the_stored_units_are_refused() -> None:
    assert to_units(Decimal("12.34")) == 1234
    assert to_units(Decimal("-7")) == -700
    with pytest.raises(ValueError, match="decimal places"):
        to_units(Decimal("0.001"))


def test_the_migration_fills_the_tables_from_the_lines_as_the_writer_keeps_them(
    server: Database,
) -> None:
    """Ledgers that had receivables before the tables existed get them from their lines."""
    lines: list[Line] = [
        ("invoice", 0, 100_000, 0, 30),
        ("invoice", 1, 25_050, 3, 30),
        ("payment", 0, 40_000, 20, 10),
        ("invoice", 0, 7_000, 20, 30),
        ("credit_note", 1, 5_050, 50, -20),
        ("write_off", 0, 60_000, 95, -65),
        ("payment", 0, 2_000, 12, 38),  # recorded after later ones, dated before them
    ]
    fills = ageing_fill_statements(Settings().migrations_dir)
    tables = ("receivable_dues", "receivable_balances", "receivable_overdue_lines")
    with fresh_database(server) as database:
        _write(database, _rows(lines, ("HOSP-M1", "HOSP-M2"), 1), [2, 3])
        with database.connect() as conn:
            kept = {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in tables}
            for table in tables:
                conn.execute(f"DELETE FROM {table}")
            for statement in fills:
                conn.execute(statement.encode())
            filled = {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in tables}
    assert [fill.split()[2] for fill in fills] == list(tables)
    assert all(kept.values()) and filled == kept


def test_the_benchmark_fill_agrees_with_the_lines_on_every_month(server: Database) -> None:
    """The benchmark fills the tables set-based, as the migration that added them does."""
    with fresh_database(server) as database:
        fill_receivables(database, customers=7, invoices=400)
        with database.connect() as conn, conn.cursor() as cur:
            for month in range(1, 16):
                day = date(2025 + (month - 1) // 12, (month - 1) % 12 + 1, 15)
                assert receivables_as_of(cur, as_of=day) == receivables_as_of(
                    cur, as_of=day, reading="lines"
                ), day


def test_every_currency_the_ledger_accepts_fits_the_stored_amount_scale() -> None:
    from ledger.domain.money import CURRENCY_PLACES
    from projections.receivable_steps import AMOUNT_SCALE

    # A currency with more places would be refused by the writer and stall the read model.
    assert max(CURRENCY_PLACES.values()) <= AMOUNT_SCALE
    for currency, places in CURRENCY_PLACES.items():
        smallest = Decimal(1).scaleb(-places)
        assert to_units(smallest) == 10 ** (AMOUNT_SCALE - places), currency
