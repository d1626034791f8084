"""The benchmark harness: the ledger against raw PostgreSQL, measured in the same run."""

from __future__ import annotations

import secrets
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from psycopg import sql

from ledger.application import Ledger
from ledger.domain.product import Product
from ledger.domain.values import Gtin, RiskClass, gs1_check_digit
from ledger.store.database import Database
from ledger.store.migrations import migrate
from ledger.store.verify import verify_chain

_RAW_TABLE = "bench_raw_events"
_CREATE_RAW = sql.SQL(
    "CREATE TABLE {t} (originator_id uuid NOT NULL, originator_version bigint NOT NULL,"
    " topic text, state bytea, notification_id bigserial,"
    " PRIMARY KEY (originator_id, originator_version));"
    " CREATE UNIQUE INDEX ON {t} (notification_id)"
).format(t=sql.Identifier(_RAW_TABLE))
_INSERT_RAW = sql.SQL(
    "INSERT INTO {t} (originator_id, originator_version, topic, state) VALUES (%s, %s, %s, %s)"
).format(t=sql.Identifier(_RAW_TABLE))


@dataclass(frozen=True)
class RunTimes:
    """Wall time of one run and the latency of each commit in it."""

    seconds: float
    commit_ms: list[float]


def synthetic_products(start: int, count: int) -> Iterator[Product]:
    """Products with valid, distinct GTINs and realistic master data."""
    for number in range(start, start + count):
        body = f"069{number:010d}"
        gtin = Gtin.parse(body + str(gs1_check_digit(body)))
        yield Product.register(
            gtin=gtin,
            name=f"Sterile single-use infusion set, model {number}",
            registration_certificate=f"NMPA-REG-2026-3{number % 100000:05d}",
            risk_class=RiskClass.II,
            unit_of_use="each",
            storage_min_celsius=Decimal("2.0"),
            storage_max_celsius=Decimal("8.0"),
        )


@contextmanager
def scratch_schema(database: Database, migrations_dir: Any) -> Iterator[Database]:
    """A freshly migrated schema for one benchmark, dropped afterwards."""
    schema = f"bench_{secrets.token_hex(4)}"
    with database.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    scratch = Database(url=database.url, schema=schema, embedded=database.embedded)
    try:
        migrate(scratch, migrations_dir)
        yield scratch
    finally:
        with database.connect(autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def append_through_ledger(ledger: Ledger, *, start: int, events: int, batch: int) -> RunTimes:
    """Register ``events`` products, ``batch`` per command (one commit each)."""
    commit_ms: list[float] = []
    began = time.perf_counter()
    for offset in range(0, events, batch):
        size = min(batch, events - offset)
        t0 = time.perf_counter()
        ledger.save(*synthetic_products(start + offset, size))
        commit_ms.append((time.perf_counter() - t0) * 1000)
    return RunTimes(time.perf_counter() - began, commit_ms)


def append_raw(database: Database, rows: list[tuple[Any, ...]], *, batch: int) -> RunTimes:
    """Insert the same rows with plain ``executemany``, ``batch`` rows per commit."""
    commit_ms: list[float] = []
    with database.connect() as conn, conn.cursor() as cur:
        began = time.perf_counter()
        for offset in range(0, len(rows), batch):
            t0 = time.perf_counter()
            if batch == 1:
                cur.execute(_INSERT_RAW, rows[offset])
            else:
                cur.executemany(_INSERT_RAW, rows[offset : offset + batch])
            conn.commit()
            commit_ms.append((time.perf_counter() - t0) * 1000)
        return RunTimes(time.perf_counter() - began, commit_ms)


def _stored_rows(database: Database, first: int, count: int) -> list[tuple[Any, ...]]:
    with database.connect() as conn:
        return conn.execute(
            "SELECT originator_id, originator_version, topic, state FROM ledger_events"
            " ORDER BY notification_id OFFSET %s LIMIT %s",
            (first, count),
        ).fetchall()


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def bench_append(
    database: Database,
    build_ledger: Callable[[Database], Ledger],
    migrations_dir: Any,
    *,
    events: int,
    batch: int,
    repeat: int = 3,
) -> dict[str, Any]:
    """Append ``events`` through the ledger and the same rows raw, ``repeat`` times each.

    Runs alternate (ledger, raw, ledger, raw ...) in one scratch schema; the medians are
    compared.
    """
    ledger_runs: list[RunTimes] = []
    raw_runs: list[RunTimes] = []
    with scratch_schema(database, migrations_dir) as scratch:
        with scratch.connect(autocommit=True) as conn:
            conn.execute(_CREATE_RAW)
        ledger = build_ledger(scratch)
        try:
            # Warm up connections, prepared statements and caches outside the timed runs.
            append_through_ledger(ledger, start=10**9, events=min(batch * 3, 300), batch=batch)
            warm = ledger.recorder.max_notification_id() or 0  # type: ignore[attr-defined]
            for run in range(repeat):
                start = run * events
                ledger_runs.append(
                    append_through_ledger(ledger, start=start, events=events, batch=batch)
                )
                rows = _stored_rows(scratch, warm + start, events)
                raw_runs.append(append_raw(scratch, rows, batch=batch))
                with scratch.connect(autocommit=True) as conn:
                    conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(_RAW_TABLE)))
        finally:
            ledger.close()
        server = _server_version(scratch)
    return _append_result(events, batch, ledger_runs, raw_runs, server)


def _append_result(
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
        "ledger_commit_p50_ms": round(_percentile(ledger_ms, 50), 3),
        "ledger_commit_p99_ms": round(_percentile(ledger_ms, 99), 3),
        "raw_commit_p50_ms": round(_percentile(raw_ms, 50), 3),
        "raw_commit_p99_ms": round(_percentile(raw_ms, 99), 3),
        "ledger_runs_per_s": [round(events / r.seconds, 1) for r in ledger_runs],
        "raw_runs_per_s": [round(events / r.seconds, 1) for r in raw_runs],
        "server": server,
    }


def bench_verify(
    database: Database,
    build_ledger: Callable[[Database], Ledger],
    migrations_dir: Any,
    *,
    events: int,
    repeat: int = 3,
) -> dict[str, Any]:
    """Verify a chain of ``events`` events and stream the same rows plainly, alternately."""
    verify_rates: list[float] = []
    plain_rates: list[float] = []
    with scratch_schema(database, migrations_dir) as scratch:
        ledger = build_ledger(scratch)
        try:
            append_through_ledger(ledger, start=0, events=events, batch=500)
        finally:
            ledger.close()
        for _ in range(repeat):
            report = verify_chain(scratch)
            if not report.ok:
                raise RuntimeError(f"benchmark chain failed verification: {report.findings[0]}")
            verify_rates.append(report.events_per_second)
            plain_rates.append(_plain_read_rate(scratch))
        server = _server_version(scratch)
    verify_rate = statistics.median(verify_rates)
    plain_rate = statistics.median(plain_rates)
    return {
        "events": events,
        "repeat": repeat,
        "verify_events_per_s": round(verify_rate, 1),
        "plain_read_rows_per_s": round(plain_rate, 1),
        "ratio": round(verify_rate / plain_rate, 3),
        "verify_runs_per_s": [round(r, 1) for r in verify_rates],
        "server": server,
    }


def _plain_read_rate(database: Database) -> float:
    """Rows per second of a plain ordered read of the events table, no hashing."""
    began = time.perf_counter()
    count = 0
    with database.connect() as conn, conn.cursor(name="plain_read", binary=True) as cur:
        cur.execute("SELECT * FROM ledger_events ORDER BY notification_id")
        while batch := cur.fetchmany(5000):
            count += len(batch)
    return count / (time.perf_counter() - began)


def _server_version(database: Database) -> str:
    with database.connect() as conn:
        row = conn.execute("SHOW server_version").fetchone()
    kind = "embedded" if database.embedded else "external"
    return f"{kind} PostgreSQL {row[0] if row else '?'}"
