"""Benchmarks of the HTTP API against raw PostgreSQL, measured in the same run.

The API runs under uvicorn on a loopback port in a background thread, on a scratch schema
that is dropped afterwards; the client is one persistent HTTP connection.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2
import orjson
import psycopg
from psycopg import sql
from psycopg.types.numeric import Int8

from api.app import create_app
from api.bench.frame import Bench, Report, RunTimes, ms_since, percentile, percentiles
from api.bench.ledger_runs import append_through_ledger
from api.bench.synthetic import synthetic_product_facts
from api.bootstrap import build_projections
from api.event_log import EventQuery, page_statement
from api.keys import Role, issue_key
from api.server import ServerThread
from ledger.store.database import Database

PAGE = 500
_FILL_CHUNK = 50_000
_INTERLEAVE = 100
_RAW_TABLE = "bench_api_raw"
_PRODUCT_TOPIC = "ledger.domain.product:ProductRegistered"
# The events table's shape, without the chain trigger and the append-only guards.
_CREATE_RAW = sql.SQL(
    "CREATE TABLE {table} (originator_id uuid NOT NULL, originator_version bigint NOT NULL,"
    " topic text NOT NULL, state bytea NOT NULL, notification_id bigserial,"
    " recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),"
    " PRIMARY KEY (originator_id, originator_version));"
    " CREATE UNIQUE INDEX ON {table} (notification_id)"
)
_API_LINE = (
    "API write p50 {api_write_p50_ms:.2f} ms, p95 {api_write_p95_ms:.2f} ms, p99"
    " {api_write_p99_ms:.2f} ms; raw insert p99 {raw_insert_p99_ms:.2f} ms; {writes} writes,"
    " {server}"
)
_PAGE_LINE = (
    "page of {page} at {events:,} events: API p50 {api_page_p50_ms:.2f} ms, p99"
    " {api_page_p99_ms:.2f} ms; raw SELECT p50 {raw_select_p50_ms:.2f} ms, p99"
    " {raw_select_p99_ms:.2f} ms; {server}"
)


def _request_bodies(start: int, count: int) -> list[bytes]:
    """JSON bodies of product registrations with valid, distinct GTINs."""
    bodies = []
    for facts in synthetic_product_facts(start, count):
        bodies.append(
            orjson.dumps(
                {
                    **facts,
                    "gtin": facts["gtin"].value,
                    "risk_class": facts["risk_class"].value,
                    "storage_min_celsius": str(facts["storage_min_celsius"]),
                    "storage_max_celsius": str(facts["storage_max_celsius"]),
                }
            )
        )
    return bodies


@contextmanager
def _served(
    bench: Bench, scratch: Database, role: Role
) -> Iterator[tuple[httpx2.Client, psycopg.Connection[Any]]]:
    """The API on ``scratch`` served on a loopback port, a client of it holding a key of
    ``role``, and a raw connection for the baseline."""
    with scratch.connect(autocommit=True) as conn:
        token = issue_key(conn, role=role, name=f"bench-{role}").token
    app = create_app(bench.settings, database=scratch)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with (
        scratch.connect(autocommit=True) as raw,
        ServerThread(app) as server,
        httpx2.Client(base_url=server.url, headers=headers, timeout=30.0) as client,
    ):
        yield client, raw


def _timed_write(client: httpx2.Client, body: bytes, key: str, times: list[float]) -> None:
    began = time.perf_counter()
    response = client.post("/v1/products", content=body, headers={"Idempotency-Key": key})
    times.append(ms_since(began))
    if response.status_code != 201:
        raise RuntimeError(f"benchmark write failed: {response.status_code} {response.text}")


def _timed_insert(conn: psycopg.Connection[Any], statement: bytes, body: bytes) -> float:
    began = time.perf_counter()
    conn.execute(statement, (uuid.uuid4(), 1, _PRODUCT_TOPIC, body), prepare=True)
    return ms_since(began)


def _raw_insert(table: sql.Identifier) -> bytes:
    return (
        sql.SQL(
            "INSERT INTO {} (originator_id, originator_version, topic, state)"
            " VALUES (%s, %s, %s, %s)"
        )
        .format(table)
        .as_string()
        .encode()
    )


def _alternate_writes(
    client: httpx2.Client, raw: psycopg.Connection[Any], bodies: list[bytes], *, warmup: int
) -> tuple[list[float], list[float]]:
    """API writes and raw inserts, a hundred of each in turn; the first ``warmup`` untimed."""
    table = sql.Identifier(_RAW_TABLE)
    raw.execute(_CREATE_RAW.format(table=table))
    insert = _raw_insert(table)
    for number, body in enumerate(bodies[:warmup]):
        _timed_write(client, body, f"warm-{number}", [])
        _timed_insert(raw, insert, body)
    api_ms: list[float] = []
    raw_ms: list[float] = []
    for offset in range(warmup, len(bodies), _INTERLEAVE):
        chunk = bodies[offset : offset + _INTERLEAVE]
        for number, body in enumerate(chunk, start=offset):
            _timed_write(client, body, f"bench-{number}", api_ms)
        raw_ms.extend(_timed_insert(raw, insert, body) for body in chunk)
    return api_ms, raw_ms


def bench_api(bench: Bench, *, writes: int) -> Report:
    """``writes`` sequential product registrations through the API, one event each.

    The raw side inserts one row of the same size per autocommit statement; both sides
    alternate every hundred writes so that they meet the same machine conditions.
    """
    warmup = min(writes, 50)
    bodies = _request_bodies(0, warmup + writes)
    with bench.scratch() as scratch, _served(bench, scratch, Role.OPERATOR) as (client, raw):
        api_ms, raw_ms = _alternate_writes(client, raw, bodies, warmup=warmup)
    figures = {
        "writes": writes,
        **percentiles("api_write", api_ms, 50, 95, 99),
        "api_write_max_ms": round(max(api_ms), 3),
        **percentiles("raw_insert", raw_ms, 50, 99),
        "server": bench.server_version(),
    }
    return Report(figures, _API_LINE.format_map(figures))


def _fill(bench: Bench, database: Database, events: int) -> tuple[float, float]:
    """Record ``events`` product registrations through the ledger, 500 per commit, then
    bring the read models up to date, as a running API would keep them.

    Returns the seconds each step took.
    """
    with bench.ledger(database) as ledger:
        began = time.perf_counter()
        for offset in range(0, events, _FILL_CHUNK):
            facts = synthetic_product_facts(offset, min(_FILL_CHUNK, events - offset))
            append_through_ledger(ledger, facts, batch=PAGE, times=RunTimes())
            bench.progress(len(facts))
        recorded = time.perf_counter()
        build_projections(database, ledger).catch_up()
        folded = time.perf_counter()
    return recorded - began, folded - recorded


def _timed_page(client: httpx2.Client, after: int, expected: int) -> float:
    began = time.perf_counter()
    response = client.get("/v1/events", params={"after": after, "limit": PAGE})
    elapsed = ms_since(began)
    # Counted in the bytes, not parsed: the client shares the server's process, and
    # parsing every page would make collections that stall the server's next request.
    items = response.content.count(b'"position":')
    if response.status_code != 200 or items != expected:
        raise RuntimeError(f"benchmark page after {after} is wrong: {response.status_code}")
    return elapsed


def _timed_select(conn: psycopg.Connection[Any], after: int) -> float:
    query = EventQuery(after=after, limit=PAGE)
    params = {"lowest": Int8(query.lowest), "highest": Int8(query.highest), "rows": Int8(PAGE)}
    statement = page_statement(by_aggregate=False, by_topic=False)
    began = time.perf_counter()
    with conn.cursor(binary=True) as cur:
        cur.execute(statement, params, prepare=True)
        cur.fetchall()
    return ms_since(began)


def _alternate_pages(
    client: httpx2.Client,
    raw: psycopg.Connection[Any],
    *,
    events: int,
    afters: list[int],
    repeat: int,
) -> tuple[dict[int, list[float]], list[float]]:
    """API pages and raw SELECTs in turn at each position; the first round untimed."""
    api_ms: dict[int, list[float]] = {after: [] for after in afters}
    raw_ms: list[float] = []
    for run in range(repeat + 1):
        for after in afters:
            elapsed = _timed_page(client, after, min(PAGE, events - after))
            select = _timed_select(raw, after)
            if run:
                api_ms[after].append(elapsed)
                raw_ms.append(select)
    return api_ms, raw_ms


def bench_events_page(bench: Bench, *, events: int, repeat: int = 20) -> Report:
    """Time ``GET /v1/events?limit=500`` at several positions of a ledger of ``events``.

    The read models are brought up to date before the timing, so that the server's
    follower is idle. The raw side runs the same SELECT with plain psycopg (rows fetched,
    not rendered); both alternate, page by page.
    """
    afters = sorted({0, events // 4, events // 2, 3 * events // 4, max(events - PAGE, 0)})
    with bench.scratch() as scratch:
        fill_seconds, fold_seconds = _fill(bench, scratch, events)
        with _served(bench, scratch, Role.AUDITOR) as (client, raw):
            api_ms, raw_ms = _alternate_pages(
                client, raw, events=events, afters=afters, repeat=repeat
            )
    every = [ms for runs in api_ms.values() for ms in runs]
    figures = {
        "events": events,
        "page": PAGE,
        "repeat": repeat,
        **percentiles("api_page", every, 50, 99),
        "api_page_p50_ms_after": {str(a): round(percentile(ms, 50), 3) for a, ms in api_ms.items()},
        **percentiles("raw_select", raw_ms, 50, 99),
        "fill_events_per_s": round(events / fill_seconds, 1),
        "read_models_fold_events_per_s": round(events / fold_seconds, 1),
        "server": bench.server_version(),
    }
    return Report(figures, _PAGE_LINE.format_map(figures))
