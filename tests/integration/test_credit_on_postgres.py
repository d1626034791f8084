"""Orders, credit and receivables on PostgreSQL: atomic saves, the race between two orders,
and the read models the API answers from."""

from __future__ import annotations

import threading
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest

from api.bootstrap import build_ledger, build_projections, open_services
from api.credit_sweeper import start_credit_sweeper
from credit_story import AT, DAY, open_account, place, set_up_channel, ship
from ledger.application import orders
from ledger.application.ledger import Ledger
from ledger.domain.values import ShipmentLine
from ledger.settings import Settings
from ledger.store.database import Database
from projections.collections import list_orders, list_tasks
from projections.receivable_reports import open_items, receivables_as_of


def test_two_orders_in_parallel_within_the_limit_alone_but_not_together_approve_only_one(
    ledger: Ledger,
) -> None:
    gtin, _ = set_up_channel(ledger, customers=("HOSP-R",))
    open_account(ledger, "HOSP-R", limit="1000")
    outcomes: list[dict[str, object]] = []
    start = threading.Barrier(2)

    def order(number: int) -> None:
        start.wait()
        outcomes.append(place(ledger, f"SO-RACE-{number}", "HOSP-R", gtin, 6, "100"))

    threads = [threading.Thread(target=order, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    decided = sorted(str(outcome["outcome"]) for outcome in outcomes)
    assert decided == ["approved", "held"]
    held = next(o for o in outcomes if o["outcome"] == "held")
    assert held["figures"]["open_orders"] == "600.00"  # type: ignore[index]
    assert held["figures"]["exposure"] == "1200.00"  # type: ignore[index]
    account = ledger.credit_account("HOSP-R")
    assert account.open_orders == Decimal("1200.00")


def test_two_processes_racing_on_one_account_approve_only_one_by_its_version(
    ledger: Ledger, database: Database
) -> None:
    # A second Ledger on the same database stands for another API process: the two do not
    # share the in-process turns, so only the account's version decides the race.
    other = build_ledger(Settings(pool_size=2), database)
    try:
        gtin, _ = set_up_channel(ledger, customers=("HOSP-R2",))
        open_account(ledger, "HOSP-R2", limit="1000")
        outcomes: list[dict[str, object]] = []
        start = threading.Barrier(2)

        def order(app: Ledger, number: int) -> None:
            start.wait()
            outcomes.append(place(app, f"SO-RACE2-{number}", "HOSP-R2", gtin, 6, "100"))

        threads = [
            threading.Thread(target=order, args=(app, n)) for n, app in ((1, ledger), (2, other))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        other.close()

    assert sorted(str(outcome["outcome"]) for outcome in outcomes) == ["approved", "held"]
    assert ledger.credit_account("HOSP-R2").open_orders == Decimal("1200.00")


def test_orders_on_one_account_take_turns_in_one_process_and_never_lose_a_race(
    ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With no retries at all, any lost race would be a ConcurrentUpdate.
    monkeypatch.setattr(orders, "CREDIT_RETRIES", 0)
    gtin, _ = set_up_channel(ledger, customers=("HOSP-BUSY",))
    open_account(ledger, "HOSP-BUSY", limit="1000000")
    failures: list[Exception] = []
    start = threading.Barrier(6)

    def orders_of(client: int) -> None:
        start.wait()
        for n in range(5):
            try:
                place(ledger, f"SO-BUSY-{client}-{n}", "HOSP-BUSY", gtin, 1, "10")
            except Exception as exc:
                failures.append(exc)

    threads = [threading.Thread(target=orders_of, args=(c,)) for c in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert ledger.credit_account("HOSP-BUSY").open_orders == Decimal("300.00")


def test_shipping_an_order_moves_its_lots_and_raises_its_invoice_in_one_save(
    ledger: Ledger, database: Database
) -> None:
    gtin, _ = set_up_channel(ledger)
    open_account(ledger, "HOSP-C1", terms=45)
    place(ledger, "SO-1", "HOSP-C1", gtin, 10, "12.345")

    result = ledger.orders.ship_order(
        order="SO-1",
        shipment="SHP-1",
        lines=[ShipmentLine(gtin, "CR-LOT-1", 10, "WH-SH-01")],
        occurred_at=AT,
    )

    assert result.outcome["due_on"] == (DAY + timedelta(days=45)).isoformat()
    with database.connect() as conn:
        saved = conn.execute(
            "SELECT topic FROM ledger_events WHERE notification_id = ANY(%s)"
            " ORDER BY notification_id",
            (list(result.positions),),
        ).fetchall()
    topics = [row[0].rsplit(".", 1)[-1] for row in saved]
    assert topics == ["ShipmentDispatched", "OrderInvoiced", "InvoiceRaised"]
    account = ledger.credit_account("HOSP-C1")
    assert account.invoices["INV-SO-1"].amount == Decimal("123.45")
    assert account.open_orders == 0
    assert ledger.sales_order("SO-1").state == "invoiced"


def test_the_read_models_show_open_items_ageing_orders_and_collection_tasks(
    ledger: Ledger, database: Database
) -> None:
    gtin, _ = set_up_channel(ledger)
    open_account(ledger, "HOSP-C1")
    place(ledger, "SO-1", "HOSP-C1", gtin, 10, "100")
    place(ledger, "SO-2", "HOSP-C1", gtin, 5, "100")
    ship(ledger, "SO-1", gtin, 10)
    ledger.credit.receive_payment(
        customer="HOSP-C1",
        payment="PAY-1",
        amount=Decimal("400"),
        currency="CNY",
        received_on=DAY + timedelta(days=3),
    )
    ledger.credit.sweep_account(customer="HOSP-C1", as_of=DAY + timedelta(days=65))
    projections = build_projections(database, ledger)

    projections.catch_up()

    with database.connect() as conn, conn.cursor() as cur:
        items = open_items(cur, customer="HOSP-C1")
        now = receivables_as_of(cur, as_of=DAY + timedelta(days=65))
        before = receivables_as_of(cur, as_of=DAY + timedelta(days=1))
        orders = {row.order: row.state for row in list_orders(cur, customer="HOSP-C1")}
        tasks = list_tasks(cur, customer="HOSP-C1")
    assert [(i.invoice, i.outstanding) for i in items] == [("INV-SO-1", Decimal("600.00"))]
    assert now[0].buckets["31-60"] == Decimal("600.00") and now[0].open == Decimal("600.00")
    assert before[0].buckets["current"] == Decimal("1000.00")
    assert before[0].paid == 0 and now[0].paid == Decimal("400")
    assert orders == {"SO-1": "invoiced", "SO-2": "approved"}
    assert [(t.invoice, t.level, t.status) for t in tasks] == [("INV-SO-1", "overdue-30", "open")]


def test_a_sweep_sends_each_level_once_however_often_it_runs(ledger: Ledger) -> None:
    gtin, _ = set_up_channel(ledger)
    open_account(ledger, "HOSP-C1")
    place(ledger, "SO-1", "HOSP-C1", gtin, 1, "100")
    ship(ledger, "SO-1", gtin, 1)
    due = DAY + timedelta(days=30)

    first = ledger.credit.sweep_account(customer="HOSP-C1", as_of=due)
    again = ledger.credit.sweep_account(customer="HOSP-C1", as_of=due)
    later = ledger.credit.sweep_account(customer="HOSP-C1", as_of=due + timedelta(days=1))

    assert first.outcome["notices"] == [{"invoice": "INV-SO-1", "level": "due"}]
    assert again.outcome["notices"] == [] and again.positions == ()
    assert later.outcome["notices"] == [{"invoice": "INV-SO-1", "level": "overdue-1"}]
    assert date.fromisoformat("2026-04-01") == due


def test_the_scheduled_sweep_of_serve_sends_the_notices_due_today(
    ledger: Ledger, database: Database
) -> None:
    gtin, _ = set_up_channel(ledger)
    open_account(ledger, "HOSP-C1")
    place(ledger, "SO-1", "HOSP-C1", gtin, 1, "100")
    ship(ledger, "SO-1", gtin, 1)
    services = open_services(Settings(pool_size=2), database)
    stop = threading.Event()
    try:
        join = start_credit_sweeper(services, stop, Settings(credit_sweep_seconds=0.05))
        assert join is not None
        deadline = time.monotonic() + 20
        while not ledger.credit_account("HOSP-C1").notices and time.monotonic() < deadline:
            time.sleep(0.05)
        stop.set()
        join()
    finally:
        services.close()

    notices = ledger.credit_account("HOSP-C1").notices
    assert [level for _invoice, level in notices] == ["overdue-90"]  # due 2026-04-01
    assert start_credit_sweeper(services, stop, Settings(credit_sweep_seconds=0)) is None


def test_rebuilt_credit_read_models_equal_the_live_ones_row_for_row(
    ledger: Ledger, database: Database
) -> None:
    gtin, _ = set_up_channel(ledger)
    open_account(ledger, "HOSP-C1")
    for number in range(3):
        place(ledger, f"SO-{number}", "HOSP-C1", gtin, 2 + number, "99.99")
        ship(ledger, f"SO-{number}", gtin, 2 + number)
    ledger.credit.receive_payment(
        customer="HOSP-C1",
        payment="PAY-1",
        amount=Decimal("250"),
        currency="CNY",
        received_on=DAY + timedelta(days=5),
    )
    ledger.credit.receive_payment(  # after the invoices fell due: an overdue line
        customer="HOSP-C1",
        payment="PAY-2",
        amount=Decimal("100"),
        currency="CNY",
        received_on=DAY + timedelta(days=45),
    )
    ledger.credit.sweep_account(customer="HOSP-C1", as_of=DAY + timedelta(days=70))
    projections = build_projections(database, ledger)
    projections.catch_up()
    tables = (
        "receivable_accounts",
        "receivable_items",
        "receivable_lines",
        "receivable_invoice_lines",
        "receivable_dues",
        "receivable_balances",
        "receivable_overdue_lines",
        "sales_orders",
        "dunning_notices",
        "collection_tasks",
    )

    def contents() -> dict[str, list[tuple[object, ...]]]:
        with database.connect() as conn:
            return {
                t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables
            }

    live = contents()
    for name in ("receivables", "sales_orders", "collections"):
        projections.rebuild(name)

    assert contents() == live
    assert all(live[t] for t in tables)
