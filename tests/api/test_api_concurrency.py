"""Two clients sending the same write with the same key at the same moment."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2
from api_harness import bearer, event_count, issue, product_body, unique

from api.app import create_app
from api.keys import Role
from api.server import ServerThread
from api.settings import ApiSettings
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
    app = create_app(Settings(pool_size=4), ApiSettings(), database=database)

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
