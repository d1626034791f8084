"""Appending and verifying: the ledger against raw PostgreSQL, measured in the same run."""

from __future__ import annotations

import statistics
import time
from typing import Any

import psycopg
from psycopg import sql

from api.bench.frame import Bench, Report, RunTimes, percentiles, plain_read_rate
from api.bench.synthetic import synthetic_product_facts, synthetic_products
from ledger.application.ledger import Ledger
from ledger.domain.product import Product
from ledger.store.verify import verify_chain

_RAW_TABLE = "bench_raw_events"
_CREATE_RAW = sql.SQL(
    "CREATE TABLE {t} (originator_id uuid NOT NULL, originator_version bigint NOT NULL,"
    " topic text, state bytea, notification_id bigserial,"
    " PRIMARY KEY (originator_id, originator_version));"
    " CREATE UNIQUE INDEX ON {t} (notification_id)"
).format(t=sql.Identifier(_RAW_TABLE))
# Rendered once, as the ledger's recorder does, so both sides pay the same client cost.
_INSERT_RAW = (
    sql.SQL(
        "INSERT INTO {t} (originator_id, originator_version, topic, state) VALUES (%s, %s, %s, %s)"
    )
    .format(t=sql.Identifier(_RAW_TABLE))
    .as_string()
    .encode()
)
_APPEND_LINE = (
    "ledger {ledger_events_per_s:,.0f} events/s, raw {raw_rows_per_s:,.0f} rows/s, ratio"
    " {ratio:.2f}; commit p99 {ledger_commit_p99_ms:.2f} ms (raw {raw_commit_p99_ms:.2f} ms),"
    " batch {batch}, {server}"
)
_VERIFY_LINE = (
    "verify {verify_events_per_s:,.0f} events/s, plain read {plain_read_rows_per_s:,.0f}"
    " rows/s, ratio {ratio:.2f}, {server}"
)


def append_through_ledger(
    ledger: Ledger, inputs: list[dict[str, Any]], *, batch: int, times: RunTimes
) -> None:
    """Register a product for each input, ``batch`` per command (one commit each).

    The command's input is prepared beforehand, as the raw side's rows are; what is timed
    is the command: the domain deciding and recording each event, and the save.
    """
    for offset in range(0, len(inputs), batch):
        t0 = time.perf_counter()
        ledger.save(*[Product.register(**facts) for facts in inputs[offset : offset + batch]])
        times.add(t0)


def append_raw(
    conn: psycopg.Connection[Any], rows: list[tuple[Any, ...]], *, batch: int, times: RunTimes
) -> None:
    """Insert rows with plain ``executemany``, ``batch`` rows per commit."""
    with conn.cursor() as cur:
        for offset in range(0, len(rows), batch):
            t0 = time.perf_counter()
            if batch == 1:
                cur.execute(_INSERT_RAW, rows[offset], prepare=True)
            else:
                cur.executemany(_INSERT_RAW, rows[offset : offset + batch])
            conn.commit()
            times.add(t0)


def _raw_rows(ledger: Ledger, start: int, count: int) -> list[tuple[Any, ...]]:
    """Rows of the same shape and size as the ledger's, for the raw side."""
    stored = [
        ledger.mapper.to_stored_event(event)
        for product in synthetic_products(start, count)
        for event in product.collect_events()
    ]
    return [(e.originator_id, e.originator_version, e.topic, e.state) for e in stored]


def bench_append(bench: Bench, *, events: int, batch: int, repeat: int = 3) -> Report:
    """Append ``events`` through the ledger and as many rows raw, ``repeat`` times.

    Within a run the two sides alternate every few thousand events, so that both meet the
    same machine conditions; each run gives one rate per side and the medians are compared.
    """
    ledger_runs: list[RunTimes] = []
    raw_runs: list[RunTimes] = []
    chunk = max(batch, 2000 if batch > 1 else 200)
    with bench.scratch() as scratch:
        with scratch.connect(autocommit=True) as conn:
            conn.execute(_CREATE_RAW)
        with bench.ledger(scratch) as ledger, scratch.connect() as raw_conn:
            # Warm up connections, prepared statements and caches outside the timing.
            warm = synthetic_product_facts(10**9, min(batch * 3, 300))
            append_through_ledger(ledger, warm, batch=batch, times=RunTimes())
            warm_rows = _raw_rows(ledger, 10**9, len(warm))
            append_raw(raw_conn, warm_rows, batch=batch, times=RunTimes())
            for run in range(repeat):
                inputs = synthetic_product_facts(run * events, events)
                rows = _raw_rows(ledger, 5 * 10**8 + run * events, events)
                ledger_times, raw_times = RunTimes(), RunTimes()
                for offset in range(0, events, chunk):
                    part = slice(offset, offset + chunk)
                    append_through_ledger(ledger, inputs[part], batch=batch, times=ledger_times)
                    append_raw(raw_conn, rows[part], batch=batch, times=raw_times)
                ledger_runs.append(ledger_times)
                raw_runs.append(raw_times)
    figures = _append_figures(events, batch, ledger_runs, raw_runs, bench.server_version())
    return Report(figures, _APPEND_LINE.format_map(figures))


def _append_figures(
    events: int, batch: int, ledger_runs: list[RunTimes], raw_runs: list[RunTimes], server: str
) -> dict[str, Any]:
    ledger_rate = statistics.median(events / r.seconds for r in ledger_runs)
    raw_rate = statistics.median(events / r.seconds for r in raw_runs)
    ledger_ms = [ms for r in ledger_runs for ms in r.commit_ms]
    raw_ms = [ms for r in raw_runs for ms in r.commit_ms]
    return {
        "events": events,
        "batch": batch,
        "repeat": len(ledger_runs),
        "ledger_events_per_s": round(ledger_rate, 1),
        "raw_rows_per_s": round(raw_rate, 1),
        "ratio": round(ledger_rate / raw_rate, 3),
        **percentiles("ledger_commit", ledger_ms, 50, 99),
        **percentiles("raw_commit", raw_ms, 50, 99),
        "ledger_runs_per_s": [round(events / r.seconds, 1) for r in ledger_runs],
        "raw_runs_per_s": [round(events / r.seconds, 1) for r in raw_runs],
        "server": server,
    }


def bench_verify(bench: Bench, *, events: int, repeat: int = 3) -> Report:
    """Verify a chain of ``events`` events and stream the same rows plainly, alternately."""
    verify_rates: list[float] = []
    plain_rates: list[float] = []
    with bench.scratch() as scratch:
        with bench.ledger(scratch) as ledger:
            append_through_ledger(
                ledger, synthetic_product_facts(0, events), batch=500, times=RunTimes()
            )
        for _ in range(repeat):
            report = verify_chain(scratch)
            if not report.ok:
                raise RuntimeError(f"benchmark chain failed verification: {report.findings[0]}")
            verify_rates.append(report.events_per_second)
            plain_rates.append(plain_read_rate(scratch))
    verify_rate = statistics.median(verify_rates)
    plain_rate = statistics.median(plain_rates)
    figures = {
        "events": events,
        "repeat": repeat,
        "verify_events_per_s": round(verify_rate, 1),
        "plain_read_rows_per_s": round(plain_rate, 1),
        "ratio": round(verify_rate / plain_rate, 3),
        "verify_runs_per_s": [round(r, 1) for r in verify_rates],
        "server": bench.server_version(),
    }
    return Report(figures, _VERIFY_LINE.format_map(figures))
