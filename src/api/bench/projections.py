"""Benchmarks of the read models: rebuild speed and query latency on synthetic lot histories."""

from __future__ import annotations

import queue
import threading
import time
from datetime import UTC, datetime
from typing import Any

from psycopg import sql

from api.bench.frame import Bench, Report, percentiles, plain_read_rate, timed_ms
from api.bench.synthetic import fill_lots, register_product
from ledger.application.ledger import Ledger
from ledger.domain.lot_ref import LotRef
from ledger.domain.values import PartyRole, RiskClass
from ledger.store.database import Database
from projections.lot_trace import LotTrace, forward_trace
from projections.runner import Projections
from projections.stock import Stock, stock_on_hand

_START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
_PROJECTIONS_LINE = (
    "rebuild at {events:,} events: stock {stock_rebuild_events_per_s:,.0f} events/s, lot trace"
    " {lot_trace_rebuild_events_per_s:,.0f} events/s (plain read {plain_read_rows_per_s:,.0f}"
    " rows/s); replay to position {replay_position:,}: stock {stock_replay_events_per_s:,.0f}"
    " events/s, lot trace {lot_trace_replay_events_per_s:,.0f} events/s; stock query p95"
    " {stock_query_p95_ms:.2f} ms, forward trace p95 {lot_forward_trace_p95_ms:.2f} ms (raw"
    " lookup p95 {raw_lookup_p95_ms:.2f} ms); {server}"
)
_LIVE_LAG_LINE = (
    "{movements:,} movements at {writes_per_s:,.0f}/s: stock model lag p50 {lag_p50_ms:.2f} ms,"
    " p99 {lag_p99_ms:.2f} ms, max {lag_max_ms:.2f} ms; {server}"
)


def bench_projections(bench: Bench, *, events: int, queries: int = 200) -> Report:
    """In a scratch schema: append ``events`` lot movements, rebuild the stock and lot-trace
    models from scratch, and time their queries at that size.

    Baselines from the same run: a plain ordered read of the events table (what any rebuild
    must at least do) and a one-row primary-key lookup (the floor of any query)."""
    with bench.scratch() as scratch, bench.ledger(scratch) as ledger:
        appended = fill_lots(ledger, events=events, progress=bench.progress)
        projections = Projections(scratch, ledger.mapper.to_domain_event, [Stock(), LotTrace()])
        figures: dict[str, Any] = {"events": appended, "server": bench.server_version()}
        figures["plain_read_rows_per_s"] = round(plain_read_rate(scratch), 1)
        for name in ("stock", "lot_trace"):
            seconds = timed_ms(projections.rebuild, name) / 1000
            figures[f"{name}_rebuild_events_per_s"] = round(appended / seconds, 1)
        figures.update(_replay_rates(scratch, projections))
        figures.update(_query_times(scratch, queries))
    return Report(figures, _PROJECTIONS_LINE.format_map(figures))


def _replay_rates(database: Database, projections: Projections) -> dict[str, Any]:
    """Time a replay of each model to the middle of the history, into a schema of its own
    (what ``ledger replay --to-position`` does); the rate counts the events folded."""
    with database.connect(autocommit=True) as conn:
        row = conn.execute("SELECT coalesce(max(notification_id), 0) FROM ledger_events").fetchone()
    assert row is not None
    position = int(row[0]) // 2
    figures: dict[str, Any] = {"replay_position": position}
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
        figures[f"{name}_replay_events_per_s"] = round(replayed.position / seconds, 1)
    return figures


def _query_times(database: Database, queries: int) -> dict[str, Any]:
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
        stock_ms = [timed_ms(stock_on_hand, cur, gtin=gtin) for gtin in gtins]
        trace_ms = [timed_ms(forward_trace, cur, lot) for lot in lots]
        lookup = "SELECT * FROM stock_lots WHERE lot_id = %s"
        raw_ms = [timed_ms(lambda x: cur.execute(lookup, (x,)).fetchall(), lot) for lot in lots]
    return {
        **percentiles("stock_query", stock_ms, 95, digits=2),
        **percentiles("lot_forward_trace", trace_ms, 95, digits=2),
        **percentiles("raw_lookup", raw_ms, 95, digits=2),
        "queries": len(lots),
    }


def bench_live_lag(bench: Bench, *, rate: float, seconds: float, writers: int) -> Report:
    """In a scratch schema: write one-event movements at ``rate`` per second (from
    ``writers`` threads, one lot each) while a follower keeps the stock model up to date;
    measure, per movement, the time from the write's return until the model has folded it.
    """
    with bench.scratch() as scratch, bench.ledger(scratch) as ledger:
        figures = _live_lag(scratch, ledger, rate=rate, seconds=seconds, writers=writers)
    figures["server"] = bench.server_version()
    return Report(figures, _LIVE_LAG_LINE.format_map(figures))


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
        **percentiles("lag", lags, 50, 99, digits=2),
        "lag_max_ms": round(max(lags), 2),
    }


def _lag_probe_lots(ledger: Ledger, count: int) -> list[LotRef]:
    gtin = register_product(ledger, "0695000000001", name="Lag probe", certificate="R-1",
                            risk_class=RiskClass.I)  # fmt: skip
    ledger.master_data.register_party(
        code="MFR-LAG",
        name="Lag probe maker",
        role=PartyRole.MANUFACTURER,
        region="East China",
        recall_contact="qa@example.cn",
    )
    lots = [LotRef(gtin, f"LAG-{n}") for n in range(count)]
    for lot in lots:
        ledger.lots.receive(
            lot=lot,
            supplier="MFR-LAG",
            purchase_order=f"PO-{lot.lot_number}",
            location="WH-SH-A1",
            accepted=10**6,
            occurred_at=_START,
        )
    return lots


def _write_moves(
    ledger: Ledger, lot: LotRef, saved: Any, began: float, rate: float, count: int
) -> None:
    for n in range(count):
        time.sleep(max(0.0, began + n / rate - time.perf_counter()))
        places = ("WH-SH-A1", "WH-SH-A2") if n % 2 == 0 else ("WH-SH-A2", "WH-SH-A1")
        outcome = ledger.lots.put_away(
            lot=lot,
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
