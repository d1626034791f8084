"""The benchmark harness: the ledger against raw PostgreSQL, measured in the same run."""

from __future__ import annotations

import secrets
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql

from ledger.application.ledger import Ledger
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
# Rendered once, as the ledger's recorder does, so both sides pay the same client cost.
_INSERT_RAW = (
    sql.SQL(
        "INSERT INTO {t} (originator_id, originator_version, topic, state) VALUES (%s, %s, %s, %s)"
    )
    .format(t=sql.Identifier(_RAW_TABLE))
    .as_string()
    .encode()
)


@dataclass
class RunTimes:
    """Commit latencies of one run; their sum is the run's time."""

    commit_ms: list[float] = field(default_factory=list)

    def add(self, started: float) -> None:
        """Record a commit that began at ``started`` (``time.perf_counter``) and ended now."""
        self.commit_ms.append((time.perf_counter() - started) * 1000)

    @property
    def seconds(self) -> float:
        """Total time spent in commits."""
        return sum(self.commit_ms) / 1000


def synthetic_product_facts(start: int, count: int) -> list[dict[str, Any]]:
    """Facts of products with valid, distinct GTINs and realistic master data."""
    facts = []
    for number in range(start, start + count):
        body = f"069{number:010d}"
        facts.append(
            {
                "gtin": Gtin.parse(body + str(gs1_check_digit(body))),
                "name": f"Sterile single-use infusion set, model {number}",
                "registration_certificate": f"NMPA-REG-2026-3{number % 100000:05d}",
                "risk_class": RiskClass.II,
                "unit_of_use": "each",
                "storage_min_celsius": Decimal("2.0"),
                "storage_max_celsius": Decimal("8.0"),
            }
        )
    return facts


def synthetic_products(start: int, count: int) -> Iterator[Product]:
    """Registered products (decided and recorded by the domain) from synthetic facts."""
    for facts in synthetic_product_facts(start, count):
        yield Product.register(**facts)


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


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile ``pct`` of ``values``."""
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
    """Append ``events`` through the ledger and as many rows raw, ``repeat`` times.

    Within a run the two sides alternate every few thousand events, so that both meet the
    same machine conditions; each run gives one rate per side and the medians are compared.
    """
    ledger_runs: list[RunTimes] = []
    raw_runs: list[RunTimes] = []
    chunk = max(batch, 2000 if batch > 1 else 200)
    with scratch_schema(database, migrations_dir) as scratch:
        with scratch.connect(autocommit=True) as conn:
            conn.execute(_CREATE_RAW)
        ledger = build_ledger(scratch)
        try:
            with scratch.connect() as raw_conn:
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
        finally:
            ledger.close()
        server = server_version(scratch)
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
        "ledger_commit_p50_ms": round(percentile(ledger_ms, 50), 3),
        "ledger_commit_p99_ms": round(percentile(ledger_ms, 99), 3),
        "raw_commit_p50_ms": round(percentile(raw_ms, 50), 3),
        "raw_commit_p99_ms": round(percentile(raw_ms, 99), 3),
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
            append_through_ledger(
                ledger, synthetic_product_facts(0, events), batch=500, times=RunTimes()
            )
        finally:
            ledger.close()
        for _ in range(repeat):
            report = verify_chain(scratch)
            if not report.ok:
                raise RuntimeError(f"benchmark chain failed verification: {report.findings[0]}")
            verify_rates.append(report.events_per_second)
            plain_rates.append(plain_read_rate(scratch))
        server = server_version(scratch)
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


def plain_read_rate(database: Database) -> float:
    """Rows per second of a plain ordered read of the events table, no hashing."""
    began = time.perf_counter()
    count = 0
    with database.connect() as conn, conn.cursor(name="plain_read", binary=True) as cur:
        cur.execute("SELECT * FROM ledger_events ORDER BY notification_id")
        while batch := cur.fetchmany(5000):
            count += len(batch)
    return count / (time.perf_counter() - began)


def server_version(database: Database) -> str:
    """Which PostgreSQL a benchmark ran on, for its report."""
    with database.connect() as conn:
        row = conn.execute("SHOW server_version").fetchone()
    kind = "embedded" if database.embedded else "external"
    return f"{kind} PostgreSQL {row[0] if row else '?'}"
