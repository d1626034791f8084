"""Benchmarks of the read models: rebuild speed and query latency on synthetic lot histories."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ledger.application import Ledger
from ledger.domain.lot import Lot
from ledger.domain.values import Gtin, gs1_check_digit
from ledger.store.database import Database
from projections.lot_trace import LotTrace, forward_trace
from projections.runner import Projections
from projections.stock import Stock, stock_on_hand

_START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
_WAREHOUSES = ("WH-SH", "WH-BJ", "WH-GZ")


def synthetic_lot(number: int) -> Lot:
    """A lot with a realistic history of 20 events: receipt, put-away, a transfer, six
    shipments delivered to distributors and hospitals, sales reports and uses."""
    body = f"0695{number % 1000:09d}"
    gtin = Gtin.parse(body + str(gs1_check_digit(body)))
    lot = Lot.open(gtin=gtin, lot_number=f"L{number:07d}", expiry=_START.date() + timedelta(400))
    home = _WAREHOUSES[number % 3]
    away = _WAREHOUSES[(number + 1) % 3]
    at = _START + timedelta(minutes=number)
    lot.receive(supplier="MFR-HUAXIN", purchase_order=f"PO-{number}", location=f"{home}-DOCK",
                accepted=600, occurred_at=at)  # fmt: skip
    lot.put_away(from_location=f"{home}-DOCK", to_location=f"{home}-A1", quantity=600,
                 occurred_at=at + timedelta(hours=1))  # fmt: skip
    lot.dispatch_transfer(transfer=f"TR-{number}", from_location=f"{home}-A1",
                          to_location=f"{away}-A1", quantity=100,
                          occurred_at=at + timedelta(hours=2))  # fmt: skip
    lot.receive_transfer(transfer=f"TR-{number}", location=f"{away}-A1", quantity=100,
                         occurred_at=at + timedelta(days=1))  # fmt: skip
    for n in range(4):
        distributor, hospital = f"DIST-{(number + n) % 40:03d}", f"HOSP-{(number + n) % 300:03d}"
        day = at + timedelta(days=2 + n)
        lot.ship(shipment=f"SH-{number}-{n}", consignee=distributor,
                 picks={f"{home}-A1": 40}, occurred_at=day)  # fmt: skip
        lot.confirm_delivery(shipment=f"SH-{number}-{n}", consignee=distributor,
                             occurred_at=day + timedelta(hours=20))  # fmt: skip
        lot.report_sales(seller=distributor, buyer=hospital, quantity=10,
                         occurred_at=day + timedelta(days=3))  # fmt: skip
        lot.report_use(consignee=hospital, quantity=3, occurred_at=day + timedelta(days=5))
    return lot


def fill(ledger: Ledger, *, events: int, lots_per_save: int = 50) -> int:
    """Append about ``events`` lot events (20 per lot); return the number appended."""
    appended = 0
    number = 0
    while appended < events:
        lots = [synthetic_lot(number + i) for i in range(lots_per_save)]
        number += lots_per_save
        appended += len(ledger.save(*lots))
    return appended


def _timed_once(query: Callable[..., Any], *args: Any, **kwargs: Any) -> float:
    began = time.perf_counter()
    query(*args, **kwargs)
    return (time.perf_counter() - began) * 1000


def bench_projections(
    database: Database, ledger: Ledger, *, events: int, queries: int = 200
) -> dict[str, Any]:
    """Rebuild the stock and lot-trace models from scratch and time their queries."""
    appended = fill(ledger, events=events)
    projections = Projections(database, ledger.mapper.to_domain_event, [Stock(), LotTrace()])
    result: dict[str, Any] = {"events": appended}
    began = time.perf_counter()
    rows = _plain_read(database)
    result["plain_read_rows_per_s"] = round(rows / (time.perf_counter() - began), 1)
    for name in ("stock", "lot_trace"):
        began = time.perf_counter()
        projections.rebuild(name)
        result[f"{name}_rebuild_events_per_s"] = round(appended / (time.perf_counter() - began), 1)
    with database.connect() as conn, conn.cursor() as cur:
        lots = [
            r[0]
            for r in cur.execute(
                "SELECT lot_id FROM stock_lots ORDER BY random() LIMIT %s", (queries,)
            )
        ]
        gtins = [
            r[0] for r in cur.execute("SELECT DISTINCT gtin FROM stock_lots LIMIT %s", (queries,))
        ]
        stock_ms = [_timed_once(stock_on_hand, cur, gtin=gtin) for gtin in gtins]
        trace_ms = [_timed_once(forward_trace, cur, lot) for lot in lots]
    result["stock_query_p95_ms"] = round(_p95(stock_ms), 2)
    result["lot_forward_trace_p95_ms"] = round(_p95(trace_ms), 2)
    return result


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def _plain_read(database: Database) -> int:
    count = 0
    with database.connect() as conn, conn.cursor(name="plain", binary=True) as cur:
        cur.execute("SELECT * FROM ledger_events ORDER BY notification_id")
        while batch := cur.fetchmany(5000):
            count += len(batch)
    return count
