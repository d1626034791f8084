"""Movements through the API, the stock and lot answers they lead to, and partner scoping."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from api_harness import (
    AT,
    api_client,
    assert_problem,
    bearer,
    event_count,
    issue,
    party_body,
    product_body,
    receipt_body,
    shipment_body,
    unique,
)
from fastapi.testclient import TestClient

from api import deps
from api.keys import Role
from conftest import fresh_database, valid_gtin
from ledger.store.database import Database

PARTNER, OTHER = "DIST-S1", "DIST-S2"


@dataclass
class Floor:
    """An app with a product, a supplier, two distributors and a hospital."""

    client: TestClient
    database: Database
    operator: str
    partner: str
    gtin: str

    def post(self, path: str, body: dict[str, Any], token: str | None = None) -> Any:
        """Send a write with a fresh Idempotency-Key (as the operator unless told)."""
        headers = bearer(token or self.operator, f"stock-{unique()}")
        return self.client.post(path, json=body, headers=headers)

    def record(self, path: str, body: dict[str, Any]) -> int:
        """Record a movement as the operator; the position of its last event."""
        response = self.post(path, body)
        assert response.status_code == 201, response.text
        return int(response.json()["positions"][-1])

    def new_lot(self, quantity: int) -> str:
        """A new lot with ``quantity`` units available at WH-SH-01."""
        lot = f"S{unique()}"
        self.record("/v1/lots/receipts", receipt_body(self.gtin, lot, quantity, supplier="SUP-S"))
        return lot

    def deliver(self, lot: str, quantity: int, consignee: str) -> int:
        """Ship units of ``lot`` to ``consignee`` and confirm delivery; the last position."""
        shipment = shipment_body(self.gtin, lot, quantity, consignee=consignee)
        self.record("/v1/shipments", shipment)
        return self.record(
            f"/v1/shipments/{shipment['shipment']}/delivery",
            {"consignee": consignee, "lots": [{"gtin": self.gtin, "lot": lot}], "occurred_at": AT},
        )

    def stock(self, token: str | None = None, **params: Any) -> list[dict[str, Any]]:
        """The items of ``GET /v1/stock``."""
        response = self.client.get(
            "/v1/stock", params=params, headers=bearer(token or self.operator)
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items


@pytest.fixture(scope="module")
def floor(server: Database) -> Iterator[Floor]:
    with fresh_database(server) as database, api_client(database) as client:
        operator = issue(database, Role.OPERATOR)
        partner = issue(database, Role.PARTNER, party=PARTNER)
        product = product_body(unique())
        floor = Floor(client, database, operator, partner, product["gtin"])
        assert floor.post("/v1/products", product).status_code == 201
        for code in ("SUP-S", PARTNER, OTHER, "HOSP-S"):
            assert floor.post("/v1/parties", party_body(code)).status_code == 201
        yield floor


def test_a_receipt_shows_in_the_stock_as_soon_as_its_position_is_asked_for(floor: Floor) -> None:
    lot = f"R{unique()}"
    response = floor.post("/v1/lots/receipts", receipt_body(floor.gtin, lot, 12, supplier="SUP-S"))

    assert response.status_code == 201, response.text
    answer = response.json()
    assert answer["events"] == ["LotOpened", "LotReceived"]
    assert len(answer["positions"]) == 2
    items = floor.stock(lot=lot, min_position=answer["positions"][-1])
    assert [(i["location"], i["status"], i["quantity"]) for i in items] == [
        ("WH-SH-01", "available", 12)
    ]


def test_movements_move_the_stock_the_stock_endpoint_shows(floor: Floor) -> None:
    lot = floor.new_lot(20)
    lot_name = {"gtin": floor.gtin, "lot": lot, "occurred_at": AT}
    floor.record("/v1/stock/quarantine", {**lot_name, "location": "WH-SH-01", "quantity": 2,
                                          "reason": "dented"})  # fmt: skip
    floor.record("/v1/stock/scrap", {**lot_name, "location": "WH-SH-01", "quantity": 1,
                                     "reason": "destroyed"})  # fmt: skip
    floor.record("/v1/transfers/dispatch", {**lot_name, "transfer": f"TR-{lot}", "quantity": 5,
                                            "from_location": "WH-SH-01",
                                            "to_location": "WH-BJ-01"})  # fmt: skip
    last = floor.record("/v1/shipments", shipment_body(floor.gtin, lot, 3, consignee="HOSP-S"))

    items = floor.stock(lot=lot, min_position=last)

    balances = {(i["location"][:2], i["status"]): i["quantity"] for i in items}
    assert balances == {
        ("WH", "available"): 10,
        ("WH", "quarantine"): 1,
        ("TR", "in_transit"): 5,
        ("SH", "in_transit"): 3,
    }
    warehouse = floor.stock(lot=lot, location="WH-SH", status="available", min_position=last)
    assert [i["quantity"] for i in warehouse] == [10]


def test_a_lot_named_by_its_udi_is_the_lot_named_by_gtin_and_number(floor: Floor) -> None:
    lot = floor.new_lot(4)
    udi = f"(01){floor.gtin}(17)280131(10){lot}"

    position = floor.record("/v1/stock/adjustments", {"udi": udi, "occurred_at": AT,
                                                      "location": "WH-SH-01", "change": 1,
                                                      "reason": "count"})  # fmt: skip

    assert [i["quantity"] for i in floor.stock(lot=lot, min_position=position)] == [5]


def test_a_shipment_beyond_the_stock_is_a_conflict_and_records_nothing(floor: Floor) -> None:
    lot = floor.new_lot(3)
    before = event_count(floor.database)

    response = floor.post("/v1/shipments", shipment_body(floor.gtin, lot, 4, consignee="HOSP-S"))

    problem = assert_problem(response, 409, "insufficient-stock")
    assert (problem["requested"], problem["available"]) == (4, 3)
    assert event_count(floor.database) == before


@pytest.mark.parametrize(
    ("change", "status", "kind"),
    [
        ({"udi": "(01)123"}, 422, "invalid-udi"),
        ({"gtin": "12345"}, 422, "invalid-gtin"),
        ({"gtin": valid_gtin(999, prefix="0692")}, 422, "unknown-product"),
        ({"lot": "NEVER-RECEIVED"}, 422, "unknown-lot"),
        ({"buyer": "NOBODY"}, 422, "unknown-party"),
        ({"occurred_at": "2026-03-02T08:00:00"}, 422, "invalid-request"),
        ({"quantity": 0}, 422, "invalid-value"),
    ],
    ids=[
        "bad udi",
        "bad gtin",
        "unknown product",
        "unknown lot",
        "unknown party",
        "naive time",
        "zero",
    ],
)
def test_bad_input_is_refused_with_a_type_of_its_own(
    floor: Floor, change: dict[str, Any], status: int, kind: str
) -> None:
    lot = floor.new_lot(2)
    body = {"gtin": floor.gtin, "lot": lot, "occurred_at": AT, "seller": "HOSP-S",
            "buyer": PARTNER, "quantity": 1}  # fmt: skip
    body.update(change)
    if "udi" in change:
        del body["gtin"], body["lot"]
    floor.deliver(lot, 1, "HOSP-S")
    before = event_count(floor.database)

    assert_problem(floor.post("/v1/sales-reports", body), status, kind)
    assert event_count(floor.database) == before


def test_a_repeated_movement_is_answered_alike_and_recorded_once(floor: Floor) -> None:
    lot = floor.new_lot(5)
    headers = bearer(floor.operator, f"again-{unique()}")
    body = shipment_body(floor.gtin, lot, 2, consignee="HOSP-S")

    first = floor.client.post("/v1/shipments", json=body, headers=headers)
    before = event_count(floor.database)
    second = floor.client.post("/v1/shipments", json=body, headers=headers)

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    assert event_count(floor.database) == before


def test_a_query_waits_for_a_position_and_answers_503_when_it_is_not_reached(
    floor: Floor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deps, "READ_WAIT_SECONDS", 0.2)

    response = floor.client.get(
        "/v1/stock", params={"min_position": 10**9}, headers=bearer(floor.operator)
    )

    problem = assert_problem(response, 503, "read-model-behind")
    assert response.headers["retry-after"] == "1"
    assert problem["min_position"] == 10**9


def test_expiring_lists_lots_expiring_within_the_horizon(floor: Floor) -> None:
    lot = floor.new_lot(6)
    params = {"within_days": 180, "min_position": event_count(floor.database)}

    def expiring(on: str) -> list[str]:
        response = floor.client.get(
            "/v1/stock/expiring", params={**params, "on": on}, headers=bearer(floor.operator)
        )
        assert response.status_code == 200, response.text
        return [item["lot"] for item in response.json()["items"]]

    assert lot in expiring("2027-09-01")
    assert lot not in expiring("2027-06-01")
    bad = floor.client.get(
        "/v1/stock/expiring", params={"within_days": 30}, headers=bearer(floor.operator)
    )
    assert_problem(bad, 422, "invalid-request")


def test_a_lot_reads_from_its_aggregate_and_an_unknown_one_is_404(floor: Floor) -> None:
    lot = floor.new_lot(8)
    floor.deliver(lot, 3, PARTNER)

    found = floor.client.get(f"/v1/lots/{floor.gtin}/{lot}", headers=bearer(floor.operator))
    missing = floor.client.get(f"/v1/lots/{floor.gtin}/NOPE", headers=bearer(floor.operator))

    assert found.status_code == 200, found.text
    view = found.json()
    assert view["stock"] == [{"location": "WH-SH-01", "status": "available", "quantity": 5}]
    assert view["consignees"] == [{"party": PARTNER, "quantity": 3}]
    assert view["totals"]["received"] == 8
    assert_problem(missing, 404, "not-found")


def test_the_trace_reaches_every_holder_and_goes_back_to_the_receipt(floor: Floor) -> None:
    lot = floor.new_lot(10)
    floor.deliver(lot, 6, PARTNER)
    last = floor.record("/v1/sales-reports", {"gtin": floor.gtin, "lot": lot, "occurred_at": AT,
                                              "seller": PARTNER, "buyer": "HOSP-S",
                                              "quantity": 2})  # fmt: skip

    response = floor.client.get(
        f"/v1/lots/{floor.gtin}/{lot}/trace",
        params={"min_position": last},
        headers=bearer(floor.operator),
    )

    trace = response.json()
    holders = {h["consignee"]: (h["depth"], h["on_hand"]) for h in trace["forward"]}
    assert holders == {PARTNER: (1, 4), "HOSP-S": (2, 2)}
    assert [entry["reference"] for entry in trace["backward"]] == [f"PO-{lot}"]
    assert trace["history"][-1]["movement"] == "SalesReported"


def test_a_partner_sees_only_what_its_own_party_holds(floor: Floor) -> None:
    lot = floor.new_lot(10)
    floor.deliver(lot, 4, PARTNER)
    last = floor.deliver(lot, 3, OTHER)

    mine = floor.stock(floor.partner, lot=lot, min_position=last)
    lot_view = floor.client.get(f"/v1/lots/{floor.gtin}/{lot}", headers=bearer(floor.partner))
    trace = floor.client.get(
        f"/v1/lots/{floor.gtin}/{lot}/trace", headers=bearer(floor.partner)
    ).json()

    assert [(i["location"], i["status"], i["quantity"]) for i in mine] == [
        (PARTNER, "at_consignee", 4)
    ]
    assert floor.stock(floor.partner, lot=lot, location="WH-SH") == []
    assert floor.stock(floor.partner, lot=lot, status="available") == []
    assert lot_view.json()["stock"] == [] and lot_view.json()["totals"] is None
    assert lot_view.json()["consignees"] == [{"party": PARTNER, "quantity": 4}]
    assert [h["consignee"] for h in trace["forward"]] == [PARTNER]
    assert trace["backward"] == []
    assert {e["party"] for e in trace["history"]} == {PARTNER}


def test_a_partner_reports_uses_and_sales_only_for_its_own_party(floor: Floor) -> None:
    lot = floor.new_lot(10)
    floor.deliver(lot, 4, PARTNER)
    floor.deliver(lot, 4, OTHER)
    named = {"gtin": floor.gtin, "lot": lot, "occurred_at": AT, "quantity": 1}
    before = event_count(floor.database)

    theirs = floor.post("/v1/uses", {**named, "consignee": OTHER}, floor.partner)
    resold = floor.post("/v1/sales-reports", {**named, "seller": OTHER, "buyer": "HOSP-S"},
                        floor.partner)  # fmt: skip
    shipped = floor.post("/v1/shipments", shipment_body(floor.gtin, lot, 1, consignee=PARTNER),
                         floor.partner)  # fmt: skip

    for refused in (theirs, resold, shipped):
        assert_problem(refused, 403, "forbidden")
    assert event_count(floor.database) == before
    used = floor.post("/v1/uses", {**named, "consignee": PARTNER}, floor.partner)
    sold = floor.post("/v1/sales-reports", {**named, "seller": PARTNER, "buyer": "HOSP-S"},
                      floor.partner)  # fmt: skip
    assert (used.status_code, sold.status_code) == (201, 201)
    mine = floor.stock(floor.partner, lot=lot, min_position=sold.json()["positions"][-1])
    assert [i["quantity"] for i in mine] == [2]


def test_a_partner_sees_its_holding_as_it_was_at_a_past_moment(floor: Floor) -> None:
    lot = floor.new_lot(10)
    shipment = shipment_body(floor.gtin, lot, 5, consignee=PARTNER)
    floor.record("/v1/shipments", shipment)
    delivered = {"consignee": PARTNER, "lots": [{"gtin": floor.gtin, "lot": lot}]}
    floor.record(f"/v1/shipments/{shipment['shipment']}/delivery",
                 {**delivered, "occurred_at": "2026-03-05T08:00:00+08:00"})  # fmt: skip
    last = floor.record("/v1/uses", {"gtin": floor.gtin, "lot": lot, "quantity": 2,
                                     "consignee": PARTNER,
                                     "occurred_at": "2026-03-09T08:00:00+08:00"})  # fmt: skip

    def held(**when: str) -> list[int]:
        items = floor.stock(floor.partner, lot=lot, min_position=last, **when)
        return [item["quantity"] for item in items]

    assert held(as_of="2026-03-04T00:00:00Z") == []
    assert held(as_of="2026-03-06T00:00:00Z") == [5]
    assert held(as_of="2026-03-10T00:00:00Z") == held(known_at="2999-01-01T00:00:00Z") == [3]
