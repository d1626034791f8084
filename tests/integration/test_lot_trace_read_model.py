"""The lot trace read model against the Lot aggregates it folds, on a real PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from api.bootstrap import build_ledger
from conftest import fresh_database
from ledger.demo.dataset import load_demo
from ledger.domain.lot.aggregate import Lot
from ledger.settings import Settings
from ledger.store.database import Database
from projections.lot_trace import LotTrace, backward_trace, forward_trace, lot_history
from projections.runner import Projections


@pytest.fixture(scope="module")
def traced(server: Database) -> Any:
    """The small demo, with the lot trace folded in pages of 13 events."""
    with fresh_database(server) as database:
        ledger = build_ledger(Settings(pool_size=2), database)
        load_demo(ledger, scale="small", seed=11)
        projections = Projections(
            database, ledger.mapper.to_domain_event, [LotTrace()], page_size=13
        )
        projections.catch_up()
        yield database, ledger, projections
        ledger.close()


def _lots(database: Database) -> list[Any]:
    with database.connect() as conn:
        return [row[0] for row in conn.execute("SELECT DISTINCT lot_id FROM lot_trace_entries")]


def test_each_consignee_is_believed_to_hold_what_the_lot_says_it_holds(traced: Any) -> None:
    database, ledger, _ = traced
    checked = 0
    with database.connect() as conn, conn.cursor() as cur:
        for lot_id in _lots(database):
            lot = ledger.repository.get(lot_id)
            assert isinstance(lot, Lot)
            holdings = forward_trace(cur, lot_id)
            believed = {h.consignee: h.on_hand for h in holdings if h.on_hand}
            assert believed == lot.consignees
            checked += len(believed)
    assert checked > 10


def test_the_forward_trace_reaches_the_customers_of_distributors(traced: Any) -> None:
    database, _, _ = traced
    with database.connect() as conn, conn.cursor() as cur:
        traces = [forward_trace(cur, lot_id) for lot_id in _lots(database)]
    deep = [h for trace in traces for h in trace if h.depth >= 2]
    assert deep, "the demo has distributors reporting sales to hospitals"
    for holding in deep:
        assert holding.bought > 0
        assert all(supplier != "(own stock)" for supplier in holding.supplied_by)
    direct = [h for trace in traces for h in trace if h.depth == 1 and h.delivered]
    assert direct and all("(own stock)" in h.supplied_by for h in direct)


def test_history_lists_every_event_of_the_lot_in_order_and_backward_finds_the_receipt(
    traced: Any,
) -> None:
    database, ledger, _ = traced
    lot_id = _lots(database)[0]
    with database.connect() as conn, conn.cursor() as cur:
        history = lot_history(cur, lot_id)
        receipts = backward_trace(cur, lot_id)
    events = list(ledger.events.get(lot_id))
    assert [entry.movement for entry in history] == [type(e).__name__ for e in events]
    assert [entry.position for entry in history] == sorted(entry.position for entry in history)
    assert receipts and all(r.movement == "LotReceived" and r.party for r in receipts)


def test_a_rebuilt_trace_equals_the_live_one(traced: Any) -> None:
    database, _, projections = traced

    def snapshot() -> dict[str, list[Any]]:
        with database.connect() as conn:
            return {
                t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2, 3").fetchall()
                for t in LotTrace.tables
            }

    live = snapshot()
    projections.rebuild("lot_trace")
    assert snapshot() == live
