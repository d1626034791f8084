"""The event browser: pages in position order, filters, and items as they were stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from api_harness import api_client, assert_problem, bearer, issue
from fastapi.testclient import TestClient

from api.keys import Role
from conftest import register_products, stored_rows
from ledger.application.ledger import Ledger
from ledger.domain.values import PartyRole, party_id
from ledger.store.database import Database

PRODUCT_REGISTERED = "ledger.domain.product:ProductRegistered"
PARTY_REGISTERED = "ledger.domain.party:PartyRegistered"


@pytest.fixture
def auditor(ledger: Ledger, database: Database) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """An auditor's client on a ledger of 7 products and 3 parties, interleaved."""
    register_products(ledger, 4)
    for number in range(1, 4):
        ledger.master_data.register_party(
            code=f"HOSP-{number}",
            name=f"Hospital {number}",
            role=PartyRole.HOSPITAL,
            region="East China",
            recall_contact="recall@example.cn",
        )
    register_products(ledger, 3, start=10)
    with api_client(database) as client:
        yield client, bearer(issue(database, Role.AUDITOR))


def all_pages(client: TestClient, headers: dict[str, str], url: str) -> list[dict[str, Any]]:
    """Follow ``next`` from ``url`` to the last page; every page's items, in order."""
    pages = []
    next_url: str | None = url
    while next_url is not None:
        response = client.get(next_url, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        pages.append(page)
        next_url = page["next"]
        assert response.headers.get("link") == (f'<{next_url}>; rel="next"' if next_url else None)
    return pages


def test_pages_follow_one_another_to_the_last_event(auditor: Any, database: Database) -> None:
    client, headers = auditor

    pages = all_pages(client, headers, "/v1/events?limit=3")

    assert [len(page["items"]) for page in pages] == [3, 3, 3, 1]
    listed = [item["position"] for page in pages for item in page["items"]]
    assert listed == [row[0] for row in stored_rows(database)]
    assert pages[-1]["next"] is None


def test_a_page_that_ends_exactly_at_the_last_event_has_no_next(auditor: Any) -> None:
    client, headers = auditor

    pages = all_pages(client, headers, "/v1/events?limit=5")

    assert [len(page["items"]) for page in pages] == [5, 5]


def test_each_item_is_the_event_as_stored(auditor: Any, database: Database) -> None:
    client, headers = auditor

    items = client.get("/v1/events?limit=500", headers=headers).json()["items"]

    rows = stored_rows(database)
    assert len(items) == len(rows)
    for item, (position, aggregate, version, topic, state, recorded, prev, hashed) in zip(
        items, rows, strict=True
    ):
        assert item == {
            "position": position,
            "recorded_at": item["recorded_at"],
            "aggregate_id": str(aggregate),
            "aggregate_version": version,
            "type": topic,
            "payload": json.loads(bytes(state)),
            "prev_hash": bytes(prev).hex(),
            "hash": bytes(hashed).hex(),
        }
        assert datetime.fromisoformat(item["recorded_at"]) == recorded


def test_the_type_filter_keeps_only_that_event_type(auditor: Any) -> None:
    client, headers = auditor

    pages = all_pages(client, headers, f"/v1/events?topic={PARTY_REGISTERED}&limit=2")

    items = [item for page in pages for item in page["items"]]
    assert [item["payload"]["code"] for item in items] == ["HOSP-1", "HOSP-2", "HOSP-3"]
    assert {item["type"] for item in items} == {PARTY_REGISTERED}
    assert f"topic={PARTY_REGISTERED.replace(':', '%3A')}" in pages[0]["next"]


def test_the_aggregate_filter_keeps_only_its_history(auditor: Any) -> None:
    client, headers = auditor
    hospital = party_id("HOSP-2")

    items = client.get(f"/v1/events?aggregate_id={hospital}", headers=headers).json()["items"]

    assert [(item["aggregate_id"], item["aggregate_version"]) for item in items] == [
        (str(hospital), 1)
    ]


def test_position_bounds_are_inclusive_and_after_is_exclusive(auditor: Any) -> None:
    client, headers = auditor

    ranged = client.get("/v1/events?from_position=3&to_position=6", headers=headers).json()
    after = client.get("/v1/events?after=8", headers=headers).json()
    paged = all_pages(client, headers, "/v1/events?from_position=2&to_position=7&limit=4")

    assert [item["position"] for item in ranged["items"]] == [3, 4, 5, 6]
    assert [item["position"] for item in after["items"]] == [9, 10]
    assert [item["position"] for page in paged for item in page["items"]] == [2, 3, 4, 5, 6, 7]


def test_filters_combine(auditor: Any) -> None:
    client, headers = auditor

    url = f"/v1/events?topic={PRODUCT_REGISTERED}&from_position=4&to_position=9"
    items = client.get(url, headers=headers).json()["items"]

    assert [item["position"] for item in items] == [4, 8, 9]


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=501", "after=-1", "from_position=0", "aggregate_id=not-a-uuid"]
)
def test_out_of_range_parameters_are_refused(auditor: Any, query: str) -> None:
    client, headers = auditor

    problem = assert_problem(
        client.get(f"/v1/events?{query}", headers=headers), 422, "invalid-request"
    )

    assert problem["field"] == query.split("=")[0]


def test_the_default_page_holds_100_events(ledger: Ledger, database: Database) -> None:
    register_products(ledger, 101)

    with api_client(database) as client:
        page = client.get("/v1/events", headers=bearer(issue(database, Role.OPERATOR))).json()

    assert len(page["items"]) == 100
    assert page["next"] == "/v1/events?after=100&limit=100"
