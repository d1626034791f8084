"""A law of partner scoping: whatever moves, a partner sees only what its own party holds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from api_harness import (
    AT,
    api_client,
    bearer,
    issue,
    party_body,
    product_body,
    receipt_body,
    shipment_body,
    unique,
)
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from api.keys import Role
from conftest import fresh_database
from ledger.store.database import Database

PARTIES = ("DIST-P1", "DIST-P2", "HOSP-P3")
Step = tuple[str, int, int, int]  # kind, party index, other party index, quantity


class Channel:
    """An app whose operator moves units and whose partners (one per party) look at them."""

    def __init__(self, client: TestClient, database: Database) -> None:
        self.client = client
        self.operator = issue(database, Role.OPERATOR)
        self.partners = {code: issue(database, Role.PARTNER, party=code) for code in PARTIES}
        product = product_body(unique())
        self.gtin = product["gtin"]
        self.last = self.write("/v1/products", product)
        for code in ("SUP-P", *PARTIES):
            self.write("/v1/parties", party_body(code))

    def write(self, path: str, body: dict[str, Any]) -> int:
        response = self.client.post(
            path, json=body, headers=bearer(self.operator, f"scope-{unique()}")
        )
        assert response.status_code == 201, response.text
        self.last = int(response.json()["positions"][-1])
        return self.last

    def get(self, path: str, token: str, **params: Any) -> Any:
        response = self.client.get(
            path, params={"min_position": self.last, **params}, headers=bearer(token)
        )
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def channel(server: Database) -> Iterator[Channel]:
    with fresh_database(server) as database, api_client(database) as client:
        yield Channel(client, database)


steps = st.lists(
    st.tuples(
        st.sampled_from(["deliver", "sell", "use"]),
        st.integers(0, len(PARTIES) - 1),
        st.integers(0, len(PARTIES) - 1),
        st.integers(1, 5),
    ),
    min_size=1,
    max_size=6,
)


def _run(channel: Channel, lot: str, plan: list[Step]) -> Counter[str]:
    """Carry out the feasible steps of ``plan``; what each party then holds."""
    held: Counter[str] = Counter()
    named = {"gtin": channel.gtin, "lot": lot, "occurred_at": AT}
    for kind, first, second, quantity in plan:
        party, other = PARTIES[first], PARTIES[second]
        if kind == "deliver":
            shipment = shipment_body(channel.gtin, lot, quantity, consignee=party)
            channel.write("/v1/shipments", shipment)
            channel.write(
                f"/v1/shipments/{shipment['shipment']}/delivery",
                {
                    "consignee": party,
                    "lots": [{"gtin": channel.gtin, "lot": lot}],
                    "occurred_at": AT,
                },
            )
            held[party] += quantity
        elif held[party] >= quantity and kind == "use":
            channel.write("/v1/uses", {**named, "consignee": party, "quantity": quantity})
            held[party] -= quantity
        elif held[party] >= quantity and party != other:
            channel.write("/v1/sales-reports", {**named, "seller": party, "buyer": other,
                                                "quantity": quantity})  # fmt: skip
            held[party] -= quantity
            held[other] += quantity
    return held


@settings(max_examples=15)
@given(plan=steps)
def test_a_partner_never_sees_stock_another_party_holds(channel: Channel, plan: list[Step]) -> None:
    lot = f"P{unique()}"
    channel.write("/v1/lots/receipts", receipt_body(channel.gtin, lot, 100, supplier="SUP-P"))

    held = _run(channel, lot, plan)

    for party, token in channel.partners.items():
        everything = channel.get("/v1/stock", token)["items"]
        assert {(item["location"], item["status"]) for item in everything} <= {
            (party, "at_consignee")
        }
        of_lot = channel.get("/v1/stock", token, lot=lot)["items"]
        assert [item["quantity"] for item in of_lot] == ([held[party]] if held[party] else [])
        trace = channel.get(f"/v1/lots/{channel.gtin}/{lot}/trace", token)
        assert {holder["consignee"] for holder in trace["forward"]} <= {party}
        assert trace["backward"] == []
