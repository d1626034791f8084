"""Benchmarks of the read models: rebuild speed and query latency on synthetic lot histories."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import sql

from api.bench.ledger_runs import percentile, plain_read_rate, scratch_schema, server_version
from ledger.application.ledger import Ledger
from ledger.domain.lot.aggregate import Lot
from ledger.domain.lot_ref import LotRef
from ledger.domain.values import Gtin, PartyRole, RiskClass, gs1_check_digit
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


def fill(
    ledger: Ledger,
    *,
    events: int,
    lots_per_save: int = 50,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Append about ``events`` lot events (20 per lot); return the number appended."""
    appended = 0
    number = 0
    while appended < events:
        lots = [synthetic_lot(number + i) for i in range(lots_per_save)]
        number += lots_per_save
        saved = len(ledger.save(*lots))
        appended += saved
        if progress:
            progress(saved)
    return appended


def _timed_once(query: Callable[..., Any], *args: Any, **kwargs: Any) -> float:
    began = time.perf_counter()
    query(*args, **kwargs)
    return (time.perf_counter() - began) * 1000


def bench_projections(
    database: Database,
    build_ledger: Callable[[Database], Ledger],
    migrations_dir: Any,
    *,
    events: int,
    queries: int = 200,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """In a scratch schema: append ``events`` lot movements, rebuild the stock and lot-trace
    models from scratch, and time their queries at that size.

    Baselines from the same run: a plain ordered read of the events table (what any rebuild
    must at least do) and a one-row primary-key lookup (the floor of any query)."""
    with scratch_schema(database, migrations_dir) as scratch:
        ledger = build_ledger(scratch)
        try:
            appended = fill(ledger, events=events, progress=progress)
            projections = Projections(scratch, ledger.mapper.to_domain_event, [Stock(), LotTrace()])
            result: dict[str, Any] = {"events": appended, "server": server_version(scratch)}
            result["plain_read_rows_per_s"] = round(plain_read_rate(scratch), 1)
            for name in ("stock", "lot_trace"):
                began = time.perf_counter()
                projections.rebuild(name)
                seconds = time.perf_counter() - began
                result[f"{name}_rebuild_events_per_s"] = round(appended / seconds, 1)
            result.update(_replay_rates(scratch, projections))
            result.update(_query_times(scratch, queries))
        finally:
            ledger.close()
    return result


def _replay_rates(database: Database, projections: Projections) -> dict[str, Any]:
    """Time a replay of each model to the middle of the history, into a schema of its own
    (what ``ledger replay --to-position`` does); the rate counts the events folded."""
    with database.connect(autocommit=True) as conn:
        row = conn.execute("SELECT coalesce(max(notification_id), 0) FROM ledger_events").fetchone()
    assert row is not None
    position = int(row[0]) // 2
    result: dict[str, Any] = {"replay_position": position}
    for name in ("stock", "lot_trace"):
        schema = f"{database.schema}_replay"
        began = time.perf_counter()
        try:
            replayed = projections.replay([name], schema=schema, to_position=position)
            seconds = time.perf_counter() - began
        finally:
            with database.connect(autocommit=True) as conn:
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                    sql.Identifier(schema)))  # fmt: skip
        result[f"{name}_replay_events_per_s"] = round(replayed.position / seconds, 1)
    return result


def _query_times(database: Database, queries: int) -> dict[str, float]:
    with database.connect() as conn, conn.cursor() as cur:
        lots = [
            r[0]
            for r in cur.execute(
                "SELECT lot_id FROM stock_lots ORDER BY random() LIMIT %s", (queries,)
            )
        ]
        gtins = [
            r[0]
            for r in cur.execute(
                "SELECT gtin FROM (SELECT DISTINCT gtin FROM stock_lots) g ORDER BY random()"
                " LIMIT %s",
                (queries,),
            )
        ]
        stock_ms = [_timed_once(stock_on_hand, cur, gtin=gtin) for gtin in gtins]
        trace_ms = [_timed_once(forward_trace, cur, lot) for lot in lots]
        lookup = "SELECT * FROM stock_lots WHERE lot_id = %s"
        raw_ms = [_timed_once(lambda x: cur.execute(lookup, (x,)).fetchall(), lot) for lot in lots]
    return {
        "stock_query_p95_ms": round(percentile(stock_ms, 95), 2),
        "lot_forward_trace_p95_ms": round(percentile(trace_ms, 95), 2),
        "raw_lookup_p95_ms": round(percentile(raw_ms, 95), 2),
        "queries": len(lots),
    }


def bench_live_lag(
    database: Database,
    build_ledger: Callable[[Database], Ledger],
    migrations_dir: Any,
    *,
    rate: float = 500.0,
    seconds: float = 10.0,
    writers: int = 4,
) -> dict[str, Any]:
    """In a scratch schema: write one-event movements at ``rate`` per second (from
    ``writers`` threads, one lot each) while a follower keeps the stock model up to date;
    measure, per movement, the time from the write's return until the model has folded it.
    """
    with scratch_schema(database, migrations_dir) as scratch:
        ledger = build_ledger(scratch)
        try:
            result = _live_lag(scratch, ledger, rate=rate, seconds=seconds, writers=writers)
        finally:
            ledger.close()
    return {**result, "server": server_version(database)}


def _live_lag(
    database: Database, ledger: Ledger, *, rate: float, seconds: float, writers: int
) -> dict[str, Any]:
    lots = _lag_probe_lots(ledger, writers)
    projections = Projections(database, ledger.mapper.to_domain_event, [Stock()])
    projections.catch_up()
    ledger.on_saved(projections.wake)
    stop = threading.Event()
    follower = threading.Thread(target=projections.run, args=(stop,), daemon=True)
    follower.start()
    saved: queue.Queue[tuple[int, float] | None] = queue.Queue()
    lags: list[float] = []
    watcher = threading.Thread(target=_watch, args=(database, saved, lags), daemon=True)
    watcher.start()
    count = int(rate * seconds / writers) * writers
    began = time.perf_counter()
    threads = [
        threading.Thread(
            target=_write_moves,
            args=(ledger, lot, saved, began, rate / writers, count // writers),
        )
        for lot in lots
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    achieved = count / (time.perf_counter() - began)
    saved.put(None)
    watcher.join(timeout=60)
    stop.set()
    projections.wake()
    follower.join(timeout=10)
    return {
        "movements": count,
        "writers": writers,
        "writes_per_s": round(achieved, 1),
        "lag_p50_ms": round(percentile(lags, 50), 2),
        "lag_p99_ms": round(percentile(lags, 99), 2),
        "lag_max_ms": round(max(lags), 2),
    }


def _lag_probe_lots(ledger: Ledger, count: int) -> list[tuple[str, str]]:
    body = "0695000000001"
    gtin = body + str(gs1_check_digit(body))
    ledger.master_data.register_product(gtin=gtin, name="Lag probe", registration_certificate="R-1",
                            risk_class=RiskClass.I, unit_of_use="each")  # fmt: skip
    ledger.master_data.register_party(
        code="MFR-LAG",
        name="Lag probe maker",
        role=PartyRole.MANUFACTURER,
        region="East China",
        recall_contact="qa@example.cn",
    )
    lots = [(gtin, f"LAG-{n}") for n in range(count)]
    for gtin_, lot in lots:
        ledger.lots.receive(
            lot=LotRef(gtin_, lot),
            supplier="MFR-LAG",
            purchase_order=f"PO-{lot}",
            location="WH-SH-A1",
            accepted=10**6,
            occurred_at=_START,
        )
    return lots


def _write_moves(
    ledger: Ledger, lot: tuple[str, str], saved: Any, began: float, rate: float, count: int
) -> None:
    for n in range(count):
        time.sleep(max(0.0, began + n / rate - time.perf_counter()))
        places = ("WH-SH-A1", "WH-SH-A2") if n % 2 == 0 else ("WH-SH-A2", "WH-SH-A1")
        outcome = ledger.lots.put_away(
            lot=LotRef(lot[0], lot[1]),
            from_location=places[0],
            to_location=places[1],
            quantity=1,
            occurred_at=_START,
        )
        saved.put((outcome.positions[-1], time.perf_counter()))


def _watch(database: Database, saved: Any, lags: list[float]) -> None:
    """Record how long after each write the stock model's position passed it."""
    with database.connect(autocommit=True) as conn:
        position = 0
        while (item := saved.get()) is not None:
            wanted, at = item
            while position < wanted:
                row = conn.execute(
                    "SELECT position FROM ledger_projection_positions WHERE projection = 'stock'"
                ).fetchone()
                position = int(row[0]) if row else 0
                if position < wanted:
                    time.sleep(0.001)
            lags.append((time.perf_counter() - at) * 1000)
