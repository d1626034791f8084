"""Clients racing: the same keyed write twice at once; many shipments of one lot at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2
from api_harness import (
    bearer,
    event_count,
    issue,
    party_body,
    product_body,
    receipt_body,
    shipment_body,
    unique,
)

from api.app import create_app
from api.keys import Role
from api.server import ServerThread
from conftest import positions
from ledger.settings import Settings
from ledger.store.database import Database

ROUNDS = 5


def send_together(url: str, headers: dict[str, str], body: dict[str, Any]) -> list[httpx2.Response]:
    """Post ``body`` from two clients, released by one barrier, each on its own connection."""
    barrier = threading.Barrier(2)

    def post() -> httpx2.Response:
        with httpx2.Client(base_url=url, timeout=30) as client:
            client.get("/v1/health")  # connect first, so both start from the barrier
            barrier.wait()
            return client.post("/v1/products", json=body, headers=headers)

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(post) for _ in range(2)]
        return [future.result() for future in futures]


def test_the_same_keyed_write_sent_twice_at_once_records_one_event_and_answers_alike(
    database: Database,
) -> None:
    token = issue(database, Role.OPERATOR)
    app = create_app(Settings(pool_size=4), database=database)

    with ServerThread(app) as server:
        answers = [
            send_together(server.url, bearer(token, f"race-{unique()}"), product_body(unique()))
            for _ in range(ROUNDS)
        ]

    for first, second in answers:
        assert sorted([first.status_code, second.status_code]) == [200, 201]
        assert first.json() == second.json()
        replayed = first if first.status_code == 200 else second
        assert replayed.headers["idempotent-replayed"] == "true"
    assert event_count(database) == ROUNDS
    recorded = [position for pair in answers for position in pair[0].json()["positions"]]
    assert recorded == positions(database)


SHIPPERS = 64
IN_STOCK = 20


def test_parallel_shipments_of_one_lot_take_exactly_the_units_there_are(
    database: Database,
) -> None:
    token = issue(database, Role.OPERATOR)
    app = create_app(Settings(pool_size=8), database=database)
    product = product_body(unique())
    lot = f"RACE{unique()}"
    barrier = threading.Barrier(SHIPPERS)

    with ServerThread(app) as server, httpx2.Client(base_url=server.url, timeout=60) as setup:
        for path, body in (
            ("/v1/products", product),
            ("/v1/parties", party_body("SUP-R")),
            ("/v1/parties", party_body("HOSP-R")),
            ("/v1/lots/receipts", receipt_body(product["gtin"], lot, IN_STOCK, supplier="SUP-R")),
        ):
            created = setup.post(path, json=body, headers=bearer(token, f"setup-{unique()}"))
            assert created.status_code == 201, created.text
        before = event_count(database)

        def ship_one(number: int) -> httpx2.Response:
            body = shipment_body(product["gtin"], lot, 1, consignee="HOSP-R")
            with httpx2.Client(base_url=server.url, timeout=120) as client:
                client.get("/v1/health")
                barrier.wait()
                return client.post(
                    "/v1/shipments", json=body, headers=bearer(token, f"ship-{lot}-{number}")
                )

        with ThreadPoolExecutor(max_workers=SHIPPERS) as pool:
            answers = list(pool.map(ship_one, range(SHIPPERS)))
        last = max(
            position for a in answers if a.status_code == 201 for position in a.json()["positions"]
        )
        stock = setup.get(
            "/v1/stock", params={"lot": lot, "min_position": last}, headers=bearer(token)
        ).json()["items"]

    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * IN_STOCK + [409] * (SHIPPERS - IN_STOCK), statuses
    kinds = {a.json()["type"].rsplit("/", 1)[1] for a in answers if a.status_code == 409}
    assert kinds == {"insufficient-stock"}
    assert event_count(database) == before + IN_STOCK
    on_shelf = [item["quantity"] for item in stock if item["location"] == "WH-SH-01"]
    assert on_shelf == []
    assert sum(item["quantity"] for item in stock if item["status"] == "in_transit") == IN_STOCK
