"""A bounded load test of ``ledger serve`` on loopback: mixed writes and queries for a while.

The server runs as its own process (``ledger serve`` on a scratch schema), so that its
memory can be watched from outside and nothing of the client shares its interpreter. Each
of C asyncio clients loops over a mix of movements (receipts of new lots, shipments out of
them, put-aways), product registrations, sales orders (placed with their credit check) and
queries (stock, a lot, orders, a page of events);
every write carries its own Idempotency-Key. The report gives throughput, latency
percentiles per kind, answers by status, the server's memory growth and how far the read
models fell behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import random
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import psycopg

from api.bench.frame import Bench, Report, ms_since, percentiles
from api.bench.serve import ServeProcess, free_port, server_environment
from api.bench.synthetic import complete_gtin, synthetic_product_facts
from api.keys import Role, issue_key
from ledger.store.database import Database

AT = "2026-03-02T08:00:00+08:00"
SUPPLIER, HOSPITAL = "SUP-LOAD", "HOSP-LOAD"
# Relative weights of the request kinds in the mix.
MIX: Mapping[str, int] = {
    "receipt": 10,
    "shipment": 20,
    "put_away": 5,
    "register_product": 5,
    "place_order": 5,
    "stock_query": 20,
    "lot_query": 15,
    "orders_query": 5,
    "events_page": 10,
}


def parse_mix(text: str | None) -> Mapping[str, int]:
    """A mix written ``kind=weight,…`` (kinds of ``MIX``), or ``MIX`` itself for None;
    raises ValueError, saying why."""
    if text is None:
        return MIX
    mix: dict[str, int] = {}
    for part in text.split(","):
        kind, _, weight = part.strip().partition("=")
        if kind not in MIX:
            raise ValueError(f"unknown request kind {kind!r} (known: {', '.join(MIX)})")
        if not weight.isdigit() or int(weight) == 0:
            raise ValueError(f"the weight of {kind} must be a positive whole number")
        mix[kind] = int(weight)
    return mix


_LOAD_LINE = (
    "{requests:,} requests in {seconds} s by {clients} clients: {requests_per_s:,.0f}/s, p50"
    " {p50_ms} ms, p95 {p95_ms} ms, p99 {p99_ms} ms; errors {errors} (statuses {statuses});"
    " RSS +{rss_growth_mib} MiB; read-model lag max {projection_lag_max_events} events, caught"
    " up {projection_catch_up_s} s after; {server}"
)
_LAG_SQL = (
    "SELECT (SELECT coalesce(max(notification_id), 0) FROM ledger_events)"
    " - coalesce(min(position), 0) FROM ledger_projection_positions"
)


@dataclass
class LoadTally:
    """What the clients saw: latencies per kind and answers by status."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def record(self, kind: str, status: int | str, began: float) -> None:
        """Count one answer (or a transport failure, as a string) of ``kind``."""
        self.latencies[kind].append(ms_since(began))
        self.statuses[str(status)] += 1

    @property
    def errors(self) -> int:
        """Answers that are failures, 429 (asked to slow down) excepted."""
        return sum(n for status, n in self.statuses.items() if not _acceptable(status))


def _acceptable(status: str) -> bool:
    return status.isdigit() and (int(status) < 400 or int(status) == 429)


class LoadClient:
    """One client of the mix: its own lots, so that its shipments never run short."""

    def __init__(
        self,
        http: httpx2.AsyncClient,
        tally: LoadTally,
        *,
        number: int,
        gtin: str,
        mix: Mapping[str, int] = MIX,
    ):
        self.http = http
        self.mix = mix
        self.tally = tally
        self.number = number
        self.gtin = gtin
        self.lots: list[str] = []
        self.keys = itertools.count()
        self.random = random.Random(number)

    async def run(self, until: float) -> None:
        """Send requests back to back until the monotonic clock reaches ``until``."""
        kinds, weights = list(self.mix), list(self.mix.values())
        while time.monotonic() < until:
            kind = self.random.choices(kinds, weights)[0]
            if kind in {"shipment", "put_away", "lot_query"} and not self.lots:
                kind = "receipt"
            await self._one(kind)

    async def _one(self, kind: str) -> None:
        method, path, body = self._request(kind)
        headers = {"Idempotency-Key": f"load-{self.number}-{next(self.keys)}"} if body else {}
        began = time.perf_counter()
        try:
            response = await self.http.request(method, path, json=body, headers=headers)
        except httpx2.HTTPError as exc:
            self.tally.record(kind, type(exc).__name__, began)
            return
        self.tally.record(kind, response.status_code, began)
        if response.status_code >= 400 and len(self.tally.failures) < 20:
            self.tally.failures.append(f"{kind} {response.status_code}: {response.text[:300]}")

    def _request(self, kind: str) -> tuple[str, str, dict[str, Any] | None]:
        lot = self.random.choice(self.lots) if self.lots else ""
        named = {"gtin": self.gtin, "lot": lot, "occurred_at": AT}
        if kind == "receipt":
            lot = f"L{self.number}X{len(self.lots)}"
            self.lots.append(lot)
            return "POST", "/v1/lots/receipts", {
                "gtin": self.gtin, "lot": lot, "supplier": SUPPLIER,
                "purchase_order": f"PO-{lot}", "location": "WH-SH-01", "accepted": 100_000,
                "expiry": "2029-01-31", "occurred_at": AT,
            }  # fmt: skip
        if kind == "shipment":
            line = {"gtin": self.gtin, "lot": lot, "quantity": 1, "from_location": "WH-SH-01"}
            shipment = f"SHP-{self.number}-{next(self.keys)}"
            return "POST", "/v1/shipments", {
                "shipment": shipment, "consignee": HOSPITAL, "lines": [line], "occurred_at": AT
            }  # fmt: skip
        if kind == "put_away":
            return "POST", "/v1/stock/put-away", {
                **named, "from_location": "WH-SH-01", "to_location": "WH-SH-02", "quantity": 1
            }  # fmt: skip
        if kind == "register_product":
            facts = synthetic_product_facts(10_000_000 + self.number * 1_000_000, 1)[0]
            facts["gtin"] = complete_gtin(f"08{self.number:03d}{next(self.keys):08d}")
            return "POST", "/v1/products", _json_ready(facts)
        if kind == "place_order":
            return "POST", "/v1/orders", {
                "order": f"SO-{self.number}-{next(self.keys)}", "customer": HOSPITAL,
                "currency": "CNY", "placed_at": AT,
                "lines": [{"gtin": self.gtin, "quantity": 1, "unit_price": "10.00"}],
            }  # fmt: skip
        if kind == "orders_query":
            return "GET", f"/v1/orders?customer={HOSPITAL}&limit=20", None
        if kind == "stock_query":
            return "GET", f"/v1/stock?gtin={self.gtin}&limit=50", None
        if kind == "lot_query":
            return "GET", f"/v1/lots/{self.gtin}/{lot}", None
        return "GET", "/v1/events?limit=50", None


def _json_ready(facts: dict[str, Any]) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, enum.Enum):
            return value.value
        return value if isinstance(value, bool | int) else str(value)

    return {key: plain(value) for key, value in facts.items()}


def _lag(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(_LAG_SQL).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


async def _watch_lag(database: Database, stop: asyncio.Event, samples: list[int]) -> None:
    with database.connect(autocommit=True) as conn:
        while not stop.is_set():
            samples.append(await asyncio.to_thread(_lag, conn))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=1.0)


async def _drive(
    server: ServeProcess,
    database: Database,
    *,
    token: str,
    gtin: str,
    clients: int,
    seconds: float,
    mix: Mapping[str, int],
) -> tuple[LoadTally, list[int], float]:
    tally = LoadTally()
    lags: list[int] = []
    stop = asyncio.Event()
    limits = httpx2.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(
        base_url=server.url, headers=headers, timeout=30.0, limits=limits
    ) as http:
        watcher = asyncio.create_task(_watch_lag(database, stop, lags))
        began = time.monotonic()
        until = began + seconds
        await asyncio.gather(
            *(
                LoadClient(http, tally, number=n, gtin=gtin, mix=mix).run(until)
                for n in range(clients)
            )
        )
        elapsed = time.monotonic() - began
        stop.set()
        await watcher
    return tally, lags, elapsed


def _prepare(server: ServeProcess, token: str, finance: str) -> str:
    """Register the product, supplier and hospital the mix uses, and open the hospital's
    credit account (large enough that its orders are approved); return the GTIN."""
    facts = _json_ready(synthetic_product_facts(9_000_000, 1)[0])
    headers = {"Authorization": f"Bearer {token}"}
    with httpx2.Client(base_url=server.url, headers=headers, timeout=30.0) as http:
        writes: list[tuple[str, dict[str, Any]]] = [("/v1/products", facts)]
        for code, role in ((SUPPLIER, "manufacturer"), (HOSPITAL, "hospital")):
            writes.append(("/v1/parties", {
                "code": code, "name": f"Load {code}", "role": role, "region": "East China",
                "recall_contact": f"recall@{code.lower()}.example.cn",
            }))  # fmt: skip
        account = {
            "customer": HOSPITAL, "currency": "CNY", "grade": "A", "limit": "1000000000000",
            "terms_days": 60, "reason": "load test",
        }  # fmt: skip
        writes.append(("/v1/credit-accounts", account))
        for number, (path, body) in enumerate(writes):
            key = finance if path == "/v1/credit-accounts" else token
            response = http.post(path, json=body, headers={
                "Idempotency-Key": f"prep-{number}", "Authorization": f"Bearer {key}"
            })  # fmt: skip
            if response.status_code >= 300:
                raise RuntimeError(f"preparing the load failed: {path} {response.text[:300]}")
    return str(facts["gtin"])


def _caught_up_after(database: Database, *, timeout: float = 120.0) -> float:
    """Seconds until every read model has folded every event (``timeout`` if never)."""
    began = time.monotonic()
    with database.connect(autocommit=True) as conn:
        while _lag(conn) > 0 and time.monotonic() - began < timeout:
            time.sleep(0.05)
    return time.monotonic() - began


def bench_load(
    bench: Bench, *, seconds: float, clients: int, mix: Mapping[str, int] = MIX
) -> Report:
    """Run the mix for ``seconds`` with ``clients`` concurrent clients; the report."""
    with bench.scratch() as scratch:
        with scratch.connect(autocommit=True) as conn:
            token = issue_key(conn, role=Role.OPERATOR, name="load").token
            finance = issue_key(conn, role=Role.FINANCE, name="load finance").token
        # The server's own output is kept, so that an error answer can be explained.
        log = Path(tempfile.gettempdir()) / f"ledger-load-{scratch.schema}.log"
        server = ServeProcess(server_environment(scratch), port=free_port(), log=log)
        server.start()
        try:
            gtin = _prepare(server, token, finance)
            rss_before = server.rss_bytes()
            tally, lags, elapsed = asyncio.run(
                _drive(
                    server,
                    scratch,
                    token=token,
                    gtin=gtin,
                    clients=clients,
                    seconds=seconds,
                    mix=mix,
                )
            )
            rss_after = server.rss_bytes()
            catch_up = _caught_up_after(scratch)
        finally:
            server.stop()
        figures = _figures(
            tally,
            lags,
            elapsed=elapsed,
            rss=(rss_before, rss_after),
            catch_up=catch_up,
            clients=clients,
            server=bench.server_version(),
        )
    figures["server_log"] = str(log)
    figures["mix"] = dict(mix)
    return Report(figures, _LOAD_LINE.format_map(figures))


def _figures(
    tally: LoadTally,
    lags: list[int],
    *,
    elapsed: float,
    rss: tuple[int, int],
    catch_up: float,
    clients: int,
    server: str,
) -> dict[str, Any]:
    rss_before, rss_after = rss
    requests = sum(len(times) for times in tally.latencies.values())
    everything = [ms for times in tally.latencies.values() for ms in times]
    kinds = {
        kind: {"requests": len(times), **percentiles("", times, 50, 95, 99, digits=2)}
        for kind, times in sorted(tally.latencies.items())
    }
    overall = (
        percentiles("", everything, 50, 95, 99, digits=2)
        if everything
        else dict.fromkeys(("p50_ms", "p95_ms", "p99_ms"))
    )
    return {
        "seconds": round(elapsed, 1),
        "clients": clients,
        "requests": requests,
        "requests_per_s": round(requests / elapsed, 1) if elapsed else 0.0,
        **overall,
        "by_kind": kinds,
        "statuses": dict(sorted(tally.statuses.items())),
        "errors": tally.errors,
        "first_failures": tally.failures[:5],
        "rss_start_mib": round(rss_before / 2**20, 1),
        "rss_end_mib": round(rss_after / 2**20, 1),
        "rss_growth_mib": round((rss_after - rss_before) / 2**20, 1),
        "projection_lag_max_events": max(lags, default=0),
        "projection_lag_mean_events": round(sum(lags) / len(lags), 1) if lags else 0.0,
        "projection_catch_up_s": round(catch_up, 2),
        "server": server,
    }
