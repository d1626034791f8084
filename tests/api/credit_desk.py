"""The desk the order and receivables API tests work at: an app with a product in stock,
operator and finance keys, and helpers to open accounts, place and ship orders."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from api_harness import (
    AT,
    api_client,
    bearer,
    issue,
    party_body,
    product_body,
    receipt_body,
    unique,
)
from fastapi.testclient import TestClient

from api.keys import Role
from conftest import fresh_database
from ledger.store.database import Database

LOT = "ORD-LOT"


@dataclass
class Desk:
    """An app with a product in stock, and operator, finance and partner keys."""

    client: TestClient
    database: Database
    gtin: str
    operator: str
    finance: str
    last: int = 0

    def post(self, path: str, body: dict[str, Any], token: str | None = None) -> Any:
        headers = bearer(token or self.operator, f"k-{unique()}")
        return self.client.post(path, json=body, headers=headers)

    def ok(self, path: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        response = self.post(path, body, token)
        assert response.status_code == 201, response.text
        answer: dict[str, Any] = response.json()
        self.last = max([self.last, *answer["positions"]])
        return answer

    def get(self, path: str, token: str | None = None, **params: Any) -> Any:
        """A read as finance (or ``token``) once the read models have caught up."""
        params = {"min_position": self.last, **params}
        response = self.client.get(path, params=params, headers=bearer(token or self.finance))
        assert response.status_code == 200, response.text
        return response.json()

    def customer(self, grade: str = "A", limit: str = "10000", **profile: Any) -> str:
        """A new hospital with a CNY credit account."""
        code = f"HOSP-O{unique()}"
        self.ok("/v1/parties", party_body(code))
        self.ok(
            "/v1/credit-accounts",
            {
                "customer": code,
                "currency": "CNY",
                "grade": grade,
                "limit": limit,
                "terms_days": 30,
                "reason": "onboarding",
                **profile,
            },
            self.finance,
        )
        return code

    def order_body(self, customer: str, quantity: int, price: str, **extra: Any) -> dict[str, Any]:
        line = {"gtin": self.gtin, "quantity": quantity, "unit_price": price}
        return {
            "order": f"SO-{unique()}",
            "customer": customer,
            "currency": "CNY",
            "lines": [line],
            "placed_at": AT,
            **extra,
        }

    def place(self, customer: str, quantity: int, price: str, **extra: Any) -> dict[str, Any]:
        return self.ok("/v1/orders", self.order_body(customer, quantity, price, **extra))

    def ship(self, order: str, quantity: int) -> dict[str, Any]:
        line = {"gtin": self.gtin, "lot": LOT, "quantity": quantity, "from_location": "WH-SH-01"}
        body = {"shipment": f"SHP-{unique()}", "lines": [line], "occurred_at": AT}
        return self.ok(f"/v1/orders/{order}/shipments", body)


@contextmanager
def open_desk(server: Database) -> Iterator[Desk]:
    """A desk on a fresh schema of ``server``."""
    with fresh_database(server) as database, api_client(database) as client:
        operator = issue(database, Role.OPERATOR)
        finance = issue(database, Role.FINANCE, name="finance-desk")
        product = product_body(unique())
        made = Desk(client, database, product["gtin"], operator, finance)
        made.ok("/v1/products", product)
        made.ok("/v1/parties", party_body("SUP-O"))
        made.ok("/v1/lots/receipts", receipt_body(made.gtin, LOT, 100_000, supplier="SUP-O"))
        yield made
