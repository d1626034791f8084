"""Laws of access over random data: partners see only their own party's holdings on every
read they may make, and every write records the key that made it.

Hypothesis draws the movements (deliveries to, sales between and uses by several parties,
over two lots); the ledger runs on a real PostgreSQL behind the HTTP API.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from api.keys import Role
from conftest import fresh_database
from ledger.store.database import Database

# The API tests' helpers; their directory is on the path only when pytest collects it.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
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

PARTIES = ("DIST-A1", "DIST-A2", "HOSP-A3")
Step = tuple[str, int, int, int, int]  # kind, lot index, party, other party, quantity


class Channel:
    """An app, an operator, a second operator, and one partner key per party."""

    def __init__(self, client: TestClient, database: Database) -> None:
        self.client = client
        self.database = database
        self.operators = [issue(database, Role.OPERATOR, name=f"desk {n}") for n in (1, 2)]
        self.partners = {code: issue(database, Role.PARTNER, party=code) for code in PARTIES}
        self.writes: dict[str, str] = {}  # idempotency key -> the token that wrote it
        product = product_body(unique())
        self.gtin = product["gtin"]
        self.last = 0
        self.write("/v1/products", product)
        for code in ("SUP-A", *PARTIES):
            self.write("/v1/parties", party_body(code))

    def write(self, path: str, body: dict[str, Any], token: str | None = None) -> Any:
        """A write that must succeed, by ``token`` (an operator's when not given)."""
        token = token or self.operators[unique() % 2]
        key = f"access-{unique()}"
        response = self.client.post(path, json=body, headers=bearer(token, key))
        assert response.status_code == 201, response.text
        self.writes[key] = token
        self.last = int(response.json()["positions"][-1])
        return response

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
        st.sampled_from(["deliver", "sell", "use", "foreign_use"]),
        st.integers(0, 1),
        st.integers(0, len(PARTIES) - 1),
        st.integers(0, len(PARTIES) - 1),
        st.integers(1, 4),
    ),
    min_size=1,
    max_size=8,
)


def _deliver(channel: Channel, lot: str, party: str, quantity: int) -> None:
    shipment = shipment_body(channel.gtin, lot, quantity, consignee=party)
    channel.write("/v1/shipments", shipment)
    delivery = {"consignee": party, "lots": [{"gtin": channel.gtin, "lot": lot}], "occurred_at": AT}
    channel.write(f"/v1/shipments/{shipment['shipment']}/delivery", delivery)


def _run(channel: Channel, lots: list[str], plan: list[Step]) -> Counter[tuple[str, str]]:
    """Carry out the feasible steps; what each (party, lot) then holds."""
    held: Counter[tuple[str, str]] = Counter()
    for kind, lot_index, first, second, quantity in plan:
        lot, party, other = lots[lot_index], PARTIES[first], PARTIES[second]
        named = {"gtin": channel.gtin, "lot": lot, "occurred_at": AT}
        own = channel.partners[party]
        if kind == "deliver":
            _deliver(channel, lot, party, quantity)
            held[party, lot] += quantity
        elif kind == "foreign_use" and party != other:
            # A partner reporting a use for another party is refused and records nothing.
            body = {**named, "consignee": other, "quantity": 1}
            response = channel.client.post(
                "/v1/uses", json=body, headers=bearer(own, f"foreign-{unique()}")
            )
            assert response.status_code == 403, response.text
        elif kind == "use" and held[party, lot] >= quantity:
            channel.write("/v1/uses", {**named, "consignee": party, "quantity": quantity}, own)
            held[party, lot] -= quantity
        elif kind == "sell" and held[party, lot] >= quantity and party != other:
            body = {**named, "seller": party, "buyer": other, "quantity": quantity}
            channel.write("/v1/sales-reports", body, own)
            held[party, lot] -= quantity
            held[other, lot] += quantity
    return held


def _assert_partner_sees_only_its_own(
    channel: Channel, party: str, lots: list[str], held: Counter[tuple[str, str]]
) -> None:
    token = channel.partners[party]
    stock = channel.get("/v1/stock", token)["items"]
    assert {(item["location"], item["status"]) for item in stock} <= {(party, "at_consignee")}
    expiring = channel.get("/v1/stock/expiring", token, within_days=180, on="2027-12-01")
    assert all(item["location"] == party for item in expiring["items"]), expiring
    for lot in lots:
        of_lot = channel.get("/v1/stock", token, lot=lot)["items"]
        assert sum(item["quantity"] for item in of_lot) == held[party, lot]
        view = channel.get(f"/v1/lots/{channel.gtin}/{lot}", token)
        assert {holding["party"] for holding in view["consignees"]} <= {party}
        assert view["stock"] == [] and view["in_transit"] == [] and view["totals"] is None
        trace = channel.get(f"/v1/lots/{channel.gtin}/{lot}/trace", token)
        assert {holder["consignee"] for holder in trace["forward"]} <= {party}
        assert all(party in (line["party"], line["counterparty"]) for line in trace["history"])
        assert trace["backward"] == []
    events = channel.client.get("/v1/events", headers=bearer(token))
    assert events.status_code == 403


@settings(max_examples=10)
@given(plan=steps)
def test_partners_see_only_their_own_partys_holdings_on_every_read(
    channel: Channel, plan: list[Step]
) -> None:
    lots = [f"A{unique()}", f"A{unique()}"]
    for lot in lots:
        channel.write("/v1/lots/receipts", receipt_body(channel.gtin, lot, 100, supplier="SUP-A"))

    held = _run(channel, lots, plan)

    for party in PARTIES:
        _assert_partner_sees_only_its_own(channel, party, lots, held)


def test_every_write_records_the_id_and_name_of_the_key_that_made_it(channel: Channel) -> None:
    with channel.database.connect() as conn:
        rows = conn.execute("SELECT idempotency_key, scope, actor FROM ledger_commands").fetchall()
        names = dict(conn.execute("SELECT id, name FROM api_keys").fetchall())
    recorded = {key: (scope, actor) for key, scope, actor in rows}

    assert set(channel.writes) <= set(recorded)
    for key, token in channel.writes.items():
        key_id = token.split("_")[1]
        assert recorded[key] == (key_id, names[key_id]), key


def test_keys_are_stored_only_as_hashes(channel: Channel) -> None:
    tokens = [*channel.operators, *channel.partners.values()]
    with channel.database.connect() as conn:
        stored = " ".join(str(row) for row in conn.execute("SELECT * FROM api_keys").fetchall())

    for token in tokens:
        secret = token.split("_", 2)[2]  # the secret may hold "_" itself
        assert secret not in stored
