"""Who may call what: every route of the app against every role, no key and bad keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import fastapi.routing
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
from audit_access import AUDIT_ALLOWED, audit_request
from credit_access import CREDIT_ALLOWED, credit_request
from evidence_access import EVIDENCE_ALLOWED, evidence_request
from fastapi import FastAPI
from fastapi.testclient import TestClient
from recall_access import RECALL_ALLOWED, recall_request
from starlette.routing import Mount

from api.app import create_app
from api.keys import Role, revoke_key
from conftest import fresh_database
from ledger.store.database import Database

PUBLIC: frozenset[str] = frozenset({"anyone"})
EVENT_READERS = frozenset({Role.OPERATOR, Role.FINANCE, Role.AUDITOR, Role.REGULATOR})
OPERATOR = frozenset({Role.OPERATOR})
REPORTERS = frozenset({Role.OPERATOR, Role.PARTNER})
PARTNER_PARTY = "DIST-001"
MOVEMENTS = [
    "/v1/lots/receipts",
    "/v1/stock/put-away",
    "/v1/transfers/dispatch",
    "/v1/transfers/receive",
    "/v1/shipments",
    "/v1/shipments/{shipment}/delivery",
    "/v1/returns",
    "/v1/stock/adjustments",
    "/v1/stock/quarantine",
    "/v1/stock/quarantine-release",
    "/v1/holds",
    "/v1/holds/{hold}/release",
    "/v1/stock/scrap",
    "/v1/temperature-readings",
]
# Who may call each route; a route missing here fails the test below that lists them.
ALLOWED: dict[tuple[str, str], frozenset[Any]] = {
    ("GET", "/"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/assets"): PUBLIC,
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/v1/health"): PUBLIC,
    ("GET", "/v1/events"): EVENT_READERS,
    ("POST", "/v1/products"): frozenset({Role.OPERATOR}),
    ("POST", "/v1/parties"): frozenset({Role.OPERATOR}),
    ("GET", "/v1/products/{gtin}"): frozenset(Role),
    ("GET", "/v1/parties/{code}"): frozenset(Role),
    ("GET", "/v1/stock"): frozenset(Role),
    ("GET", "/v1/stock/expiring"): frozenset(Role),
    ("GET", "/v1/lots/{gtin}/{lot}"): frozenset(Role),
    ("GET", "/v1/lots/{gtin}/{lot}/trace"): frozenset(Role),
    **{("POST", path): OPERATOR for path in MOVEMENTS},
    ("POST", "/v1/uses"): REPORTERS,
    ("POST", "/v1/sales-reports"): REPORTERS,
    **CREDIT_ALLOWED,
    **AUDIT_ALLOWED,
    **EVIDENCE_ALLOWED,
    **RECALL_ALLOWED,
}
CALLERS = [*(role.value for role in Role), "no key", "unknown key", "revoked key", "malformed key"]


def routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) the app answers; HEAD mirrors GET and is left out.

    Newer FastAPI keeps included routers whole in ``app.routes`` and lists their routes
    through ``iter_route_contexts``; older versions copy the routes into ``app.routes``.
    """
    flatten = getattr(fastapi.routing, "iter_route_contexts", None)
    found = []
    for route in flatten(app.routes) if flatten else app.routes:
        original = getattr(route, "original_route", route)
        if isinstance(original, Mount):
            found.append(("GET", route.path))
        else:
            methods: set[str] = route.methods or set()
            found.extend((method, route.path) for method in methods - {"HEAD"})
    return sorted(found)


APP_ROUTES = routes(create_app())


@dataclass
class World:
    """An app with one key per caller, one registered product, parties, and a lot in stock."""

    client: TestClient
    database: Database
    tokens: dict[str, str]
    gtin: str
    party_code: str
    lot: str = "MATRIX"

    def write(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """Record a movement as the operator (a step that prepares another request)."""
        headers = bearer(self.tokens[Role.OPERATOR.value], f"prepare-{unique()}")
        response = self.client.post(path, json=body, headers=headers)
        assert response.status_code == 201, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def deliver(self, quantity: int, *, consignee: str = PARTNER_PARTY) -> None:
        """Ship units of the lot to ``consignee`` and confirm their delivery."""
        shipment = shipment_body(self.gtin, self.lot, quantity, consignee=consignee)
        self.write("/v1/shipments", shipment)
        self.write(
            f"/v1/shipments/{shipment['shipment']}/delivery",
            {"consignee": consignee, "lots": [self.lot_name], "occurred_at": AT},
        )

    @property
    def lot_name(self) -> dict[str, str]:
        return {"gtin": self.gtin, "lot": self.lot}


@pytest.fixture(scope="module")
def world(server: Database) -> Iterator[World]:
    with fresh_database(server) as database, api_client(database) as client:
        tokens = {
            role.value: issue(database, role, party="DIST-001" if role is Role.PARTNER else None)
            for role in Role
        }
        revoked = issue(database, Role.OPERATOR)
        with database.connect(autocommit=True) as conn:
            revoke_key(conn, revoked.split("_")[1])
        operator = tokens[Role.OPERATOR.value]
        tokens["revoked key"] = revoked
        tokens["unknown key"] = "ldg_000000000000_" + "A" * 43
        tokens["malformed key"] = "not-a-ledger-key"
        product = product_body(unique())
        assert (
            client.post("/v1/products", json=product, headers=bearer(operator, "w-1")).status_code
            == 201
        )
        for number, code in enumerate(("HOSP-W", PARTNER_PARTY, "SUP-W"), start=2):
            response = client.post(
                "/v1/parties", json=party_body(code), headers=bearer(operator, f"w-{number}")
            )
            assert response.status_code == 201, response.text
        world = World(client, database, tokens, product["gtin"], "HOSP-W")
        world.write(
            "/v1/lots/receipts", receipt_body(world.gtin, world.lot, 10_000, supplier="SUP-W")
        )
        yield world


def _movement(world: World, path: str, number: int) -> tuple[str, dict[str, Any]]:
    """A movement request that an allowed caller may send, after the steps it needs."""
    lot, at = world.lot_name, {"occurred_at": AT}
    here = {**lot, **at, "location": "WH-SH-01"}
    if path == "/v1/lots/receipts":
        return path, receipt_body(world.gtin, f"M{number}", 5, supplier="SUP-W")
    if path == "/v1/stock/put-away":
        return path, {**lot, **at, "from_location": "WH-SH-01", "to_location": "WH-SH-02",
                      "quantity": 1}  # fmt: skip
    if path in ("/v1/transfers/dispatch", "/v1/transfers/receive"):
        transfer = {**lot, **at, "transfer": f"TR-{number}", "quantity": 1}
        dispatch = {**transfer, "from_location": "WH-SH-01", "to_location": "WH-BJ-01"}
        if path == "/v1/transfers/dispatch":
            return path, dispatch
        world.write("/v1/transfers/dispatch", dispatch)
        return path, {**transfer, "location": "WH-BJ-01"}
    if path == "/v1/shipments":
        return path, shipment_body(world.gtin, world.lot, 1, consignee="HOSP-W")
    if path == "/v1/shipments/{shipment}/delivery":
        shipment = world.write("/v1/shipments", shipment_body(world.gtin, world.lot, 1,
                                                             consignee="HOSP-W"))  # fmt: skip
        delivery = {"consignee": "HOSP-W", "lots": [lot], **at}
        return f"/v1/shipments/{shipment['shipment']}/delivery", delivery
    if path in ("/v1/returns", "/v1/uses", "/v1/sales-reports"):
        world.deliver(1)
        party = {"consignee": PARTNER_PARTY, "quantity": 1}
        return path, {
            "/v1/returns": {**here, **party, "reason": "damaged box"},
            "/v1/uses": {**lot, **at, **party},
            "/v1/sales-reports": {**lot, **at, "seller": PARTNER_PARTY, "buyer": "HOSP-W",
                                  "quantity": 1},
        }[path]  # fmt: skip
    if path == "/v1/stock/adjustments":
        return path, {**here, "change": 1, "reason": "count"}
    if path in ("/v1/stock/quarantine", "/v1/stock/quarantine-release", "/v1/stock/scrap"):
        change = {**here, "quantity": 1, "reason": "inspection"}
        if path != "/v1/stock/quarantine":
            world.write("/v1/stock/quarantine", change)
        return path, change
    if path in ("/v1/holds", "/v1/holds/{hold}/release"):
        held = world.write("/v1/lots/receipts", receipt_body(world.gtin, f"H{number}", 1,
                                                             supplier="SUP-W"))  # fmt: skip
        hold = {"gtin": world.gtin, "lot": held["lot_number"], **at}
        if path == "/v1/holds":
            return path, {**hold, "hold": f"RC-{number}", "reason": "recall"}
        world.write("/v1/holds", {**hold, "hold": f"RC-{number}", "reason": "recall"})
        return f"/v1/holds/RC-{number}/release", hold
    assert path == "/v1/temperature-readings", path
    return path, {**here, "celsius": "5.0"}


def request_for(world: World, method: str, path: str) -> tuple[str, dict[str, Any] | None]:
    """The URL and body of a request the route accepts from an allowed caller."""
    number = unique()
    credit = credit_request(world, method, path, number)
    if credit is not None:
        return credit
    audit = audit_request(world, method, path)
    if audit is not None:
        return audit
    evidence = evidence_request(world, method, path)
    if evidence is not None:
        return evidence
    recall = recall_request(world, method, path)
    if recall is not None:
        return recall
    if method == "POST" and path not in ("/v1/products", "/v1/parties"):
        return _movement(world, path, number)
    concrete = {
        "/docs/assets": "/docs/assets/swagger-ui.css",
        "/v1/products/{gtin}": f"/v1/products/{world.gtin}",
        "/v1/parties/{code}": f"/v1/parties/{world.party_code}",
        "/v1/lots/{gtin}/{lot}": f"/v1/lots/{world.gtin}/{world.lot}",
        "/v1/lots/{gtin}/{lot}/trace": f"/v1/lots/{world.gtin}/{world.lot}/trace",
    }.get(path, path)
    body = {"/v1/products": product_body(number), "/v1/parties": party_body(f"HOSP-{number}")}
    return concrete, body.get(path)


def send(world: World, method: str, path: str, caller: str, *, prepared: Any = None) -> Any:
    """Call the route as ``caller`` with a request it would accept from an allowed caller."""
    url, body = prepared or request_for(world, method, path)
    headers = {"Idempotency-Key": f"matrix-{unique()}"}
    if caller in world.tokens:
        headers.update(bearer(world.tokens[caller]))
    return world.client.request(method, url, headers=headers, json=body)


def test_every_route_of_the_app_has_an_entry_in_the_access_table() -> None:
    assert set(APP_ROUTES) == set(ALLOWED)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("method", "path"), APP_ROUTES, ids=[" ".join(r) for r in APP_ROUTES])
def test_a_route_answers_each_caller_as_its_role_allows(
    world: World, method: str, path: str, caller: str
) -> None:
    allowed = ALLOWED[(method, path)]
    prepared = request_for(world, method, path)
    before = event_count(world.database)

    response = send(world, method, path, caller, prepared=prepared)

    if allowed is PUBLIC or caller in {role.value for role in allowed}:
        assert 200 <= response.status_code < 300, response.text
    elif caller not in {role.value for role in Role}:
        assert_problem(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"].startswith("Bearer")
    else:
        assert_problem(response, 403, "forbidden")
    if response.status_code >= 400:
        assert event_count(world.database) == before


def test_auditor_and_regulator_keys_are_refused_every_write(world: World) -> None:
    for role in (Role.AUDITOR, Role.REGULATOR):
        for path in ("/v1/products", "/v1/parties", *MOVEMENTS):
            problem = assert_problem(send(world, "POST", path, role.value), 403, "forbidden")
            assert problem["role"] == role.value


def test_an_invalid_key_is_told_apart_from_a_missing_one(world: World) -> None:
    missing = world.client.get("/v1/events")
    revoked = world.client.get("/v1/events", headers=bearer(world.tokens["revoked key"]))

    assert "invalid_token" not in missing.headers["www-authenticate"]
    assert 'error="invalid_token"' in revoked.headers["www-authenticate"]


def test_a_key_with_a_wrong_secret_is_refused(world: World) -> None:
    prefix, key_id, secret = world.tokens[Role.OPERATOR.value].split("_", 2)
    forged = f"{prefix}_{key_id}_{secret[::-1]}"

    assert_problem(world.client.get("/v1/events", headers=bearer(forged)), 401, "unauthenticated")
