"""The stock read model against the Lot aggregates it folds, on a real PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.bootstrap import build_ledger
from conftest import fresh_database
from ledger.application.ledger import Ledger
from ledger.demo.dataset import load_demo
from ledger.domain.lot.aggregate import Lot
from ledger.settings import Settings
from ledger.store.database import Database
from projections.runner import Projections
from projections.stock import IN_TRANSIT, Stock, expiring_lots, stock_on_hand


def _balances_from_aggregates(database: Database, ledger: Ledger) -> set[tuple[Any, ...]]:
    with database.connect() as conn:
        lot_ids = [row[0] for row in conn.execute("SELECT lot_id FROM stock_lots")]
    expected = set()
    for lot_id in lot_ids:
        lot = ledger.repository.get(lot_id)
        assert isinstance(lot, Lot)
        for location, status, quantity in lot.stock:
            expected.add((lot_id, location, status.value, quantity))
        for reference, transit in lot.in_transit.items():
            if transit.quantity:
                expected.add((lot_id, reference, IN_TRANSIT, transit.quantity))
    return expected


def _balances(database: Database) -> set[tuple[Any, ...]]:
    with database.connect() as conn:
        return set(conn.execute("SELECT lot_id, location, status, quantity FROM stock_balances"))


def _all(database: Database, table: str) -> list[tuple[Any, ...]]:
    with database.connect() as conn:
        return conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3").fetchall()


@pytest.fixture(scope="module")
def demo(server: Database) -> Any:
    """The small demo loaded once into a schema of its own."""
    with fresh_database(server) as database:
        ledger = build_ledger(Settings(pool_size=2), database)
        load_demo(ledger, scale="small", seed=7)
        yield database, ledger
        ledger.close()


@settings(max_examples=4)
@given(page_size=st.sampled_from([1, 7, 64, 1000]))
def test_balances_equal_the_lots_own_state_whatever_the_page_size(
    server: Database, demo: Any, page_size: int
) -> None:
    source, ledger = demo
    with fresh_database(server) as database:
        with source.connect() as src, database.connect() as dst:
            rows = src.execute(
                "SELECT originator_id, originator_version, topic, state FROM ledger_events"
                " ORDER BY notification_id"
            ).fetchall()
            with dst.cursor() as cur:
                cur.executemany(
                    "INSERT INTO ledger_events (originator_id, originator_version, topic, state)"
                    " VALUES (%s, %s, %s, %s)",
                    rows,
                )
        projections = Projections(
            database, ledger.mapper.to_domain_event, [Stock()], page_size=page_size
        )
        projections.catch_up()
        copy = build_ledger(Settings(pool_size=1), database)
        try:
            expected = _balances_from_aggregates(database, copy)
            assert len(expected) > 30
            assert _balances(database) == expected
        finally:
            copy.close()


def test_the_demo_stock_is_not_empty_and_never_negative(demo: Any) -> None:
    database, ledger = demo
    Projections(database, ledger.mapper.to_domain_event, [Stock()]).catch_up()
    balances = _balances(database)
    assert len(balances) > 30
    assert all(quantity > 0 for *_, quantity in balances)
    statuses = {status for _, _, status, _ in balances}
    assert {"available", "quarantine"} <= statuses


def test_a_rebuild_equals_the_live_model_row_for_row(demo: Any) -> None:
    database, ledger = demo
    projections = Projections(database, ledger.mapper.to_domain_event, [Stock()], page_size=50)
    projections.catch_up()
    live = {table: _all(database, table) for table in Stock.tables}

    projections.rebuild("stock")

    assert {table: _all(database, table) for table in Stock.tables} == live


def test_stock_as_of_a_past_time_sums_the_movements_that_had_happened(demo: Any) -> None:
    database, ledger = demo
    Projections(database, ledger.mapper.to_domain_event, [Stock()]).catch_up()
    with database.connect() as conn, conn.cursor() as cur:
        now = stock_on_hand(cur)
        later = stock_on_hand(cur, as_of=datetime(2100, 1, 1, tzinfo=UTC))
        before = stock_on_hand(cur, as_of=datetime(2000, 1, 1, tzinfo=UTC))
        first = conn.execute("SELECT min(occurred_at), max(occurred_at) FROM stock_movements")
        start, end = first.fetchone()
        midway = stock_on_hand(cur, as_of=start + (end - start) / 2)
        known = stock_on_hand(cur, known_at=datetime(2100, 1, 1, tzinfo=UTC))
    assert later == now == known
    assert before == []
    assert midway and midway != now


def test_stock_filters_by_product_lot_warehouse_and_status(demo: Any) -> None:
    database, ledger = demo
    Projections(database, ledger.mapper.to_domain_event, [Stock()]).catch_up()
    with database.connect() as conn, conn.cursor() as cur:
        every = stock_on_hand(cur)
        some = every[0]
        by_lot = stock_on_hand(cur, gtin=some.gtin, lot_number=some.lot_number)
        warehouse = some.location.split("-")[0] + "-" + some.location.split("-")[1]
        in_warehouse = stock_on_hand(cur, location=warehouse)
        quarantined = stock_on_hand(cur, status="quarantine")
        expiring = expiring_lots(cur, on=datetime(2100, 1, 1).date(), within_days=0)
    assert by_lot and all((s.gtin, s.lot_number) == (some.gtin, some.lot_number) for s in by_lot)
    assert in_warehouse and all(s.location.startswith(warehouse) for s in in_warehouse)
    assert quarantined and all(s.status == "quarantine" for s in quarantined)
    assert {(s.gtin, s.lot_number) for s in expiring} <= {(s.gtin, s.lot_number) for s in every}
    assert all(s.status != IN_TRANSIT for s in expiring)
