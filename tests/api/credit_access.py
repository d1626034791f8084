"""Who may call the order, credit and receivables routes, and a request each accepts.

Used by ``test_api_access``: ``CREDIT_ALLOWED`` joins its table and ``credit_request``
builds the requests (after the steps each needs) for its matrix.
"""

from __future__ import annotations

from typing import Any

from api_harness import AT, bearer, issue, party_body, unique

from api.keys import Role

READERS = frozenset({Role.OPERATOR, Role.FINANCE, Role.AUDITOR, Role.PARTNER})
FINANCE = frozenset({Role.FINANCE})
OPERATOR = frozenset({Role.OPERATOR})
PARTNER_PARTY = "DIST-001"
HELD_PARTY = "HOSP-W"
DAY = "2026-03-02"
CREDIT_ALLOWED: dict[tuple[str, str], frozenset[Any]] = {
    ("POST", "/v1/orders"): frozenset({Role.OPERATOR, Role.PARTNER}),
    ("GET", "/v1/orders"): READERS,
    ("GET", "/v1/orders/{order}"): READERS,
    ("POST", "/v1/orders/{order}/review"): FINANCE,
    ("POST", "/v1/orders/{order}/shipments"): OPERATOR,
    ("POST", "/v1/orders/{order}/cancel"): OPERATOR,
    ("POST", "/v1/credit-accounts"): FINANCE,
    ("GET", "/v1/credit-accounts/{customer}"): READERS,
    ("POST", "/v1/credit-accounts/{customer}/profile"): FINANCE,
    ("POST", "/v1/credit-accounts/{customer}/limit"): FINANCE,
    ("GET", "/v1/credit-accounts/{customer}/scorecard"): READERS,
    ("POST", "/v1/credit-accounts/{customer}/limit-proposals"): FINANCE,
    ("POST", "/v1/credit-accounts/{customer}/limit-proposals/{proposal}/decision"): FINANCE,
    ("POST", "/v1/credit/sweep"): FINANCE,
    ("GET", "/v1/collection-tasks"): READERS,
    ("POST", "/v1/collection-tasks/updates"): FINANCE,
    ("GET", "/v1/dunning-notices"): READERS,
    ("GET", "/v1/dunning-notices/{customer}/{invoice}/{level}/letter"): READERS,
    ("GET", "/v1/invoices"): READERS,
    ("POST", "/v1/payments"): FINANCE,
    ("POST", "/v1/credit-notes"): FINANCE,
    ("POST", "/v1/payments/unapplied-allocations"): FINANCE,
    ("POST", "/v1/write-offs"): FINANCE,
    ("POST", "/v1/write-offs/{write_off}/decision"): FINANCE,
    ("GET", "/v1/receivables/ageing"): READERS,
    ("GET", "/v1/receivables/totals"): READERS,
}


def _post(world: Any, token: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = world.client.post(path, json=body, headers=bearer(token, f"prep-{unique()}"))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _as(world: Any, role: Role) -> str:
    token: str = world.tokens[role.value]
    return token


def _account(world: Any, customer: str, *, grade: str = "A", register: bool = False) -> None:
    if register:
        _post(world, _as(world, Role.OPERATOR), "/v1/parties", party_body(customer))
    body = {
        "customer": customer,
        "currency": "CNY",
        "grade": grade,
        "limit": "100000000",
        "terms_days": 30,
        "reason": "access matrix",
    }
    response = world.client.post(
        "/v1/credit-accounts",
        json=body,
        headers=bearer(_as(world, Role.FINANCE), f"acct-{customer}"),
    )
    assert response.status_code in (200, 201), response.text


def _order(world: Any, customer: str = PARTNER_PARTY, *, shipped: bool = False) -> str:
    order = f"SO-M{unique()}"
    line = {"gtin": world.gtin, "quantity": 1, "unit_price": "10"}
    body = {
        "order": order,
        "customer": customer,
        "currency": "CNY",
        "lines": [line],
        "placed_at": AT,
    }
    _post(world, _as(world, Role.OPERATOR), "/v1/orders", body)
    if shipped:
        _post(world, _as(world, Role.OPERATOR), f"/v1/orders/{order}/shipments", _shipment(world))
    return order


def _shipment(world: Any) -> dict[str, Any]:
    line = {"gtin": world.gtin, "lot": world.lot, "quantity": 1, "from_location": "WH-SH-01"}
    return {"shipment": f"SHP-M{unique()}", "lines": [line], "occurred_at": AT}


def _write(world: Any, path: str, number: int) -> tuple[str, dict[str, Any]]:
    finance = _as(world, Role.FINANCE)
    cash = {"customer": PARTNER_PARTY, "currency": "CNY", "received_on": DAY}
    if path == "/v1/orders":
        return path, {
            "order": f"SO-N{number}",
            "customer": PARTNER_PARTY,
            "currency": "CNY",
            "lines": [{"gtin": world.gtin, "quantity": 1, "unit_price": "10"}],
            "placed_at": AT,
        }
    if path == "/v1/orders/{order}/review":
        return f"/v1/orders/{_order(world, HELD_PARTY)}/review", {"approve": True, "reason": "ok"}
    if path == "/v1/orders/{order}/shipments":
        return f"/v1/orders/{_order(world)}/shipments", _shipment(world)
    if path == "/v1/orders/{order}/cancel":
        return f"/v1/orders/{_order(world)}/cancel", {
            "reason": "no longer needed",
            "occurred_at": AT,
        }
    if path == "/v1/credit-accounts":
        code = f"HOSP-A{number}"
        _post(world, _as(world, Role.OPERATOR), "/v1/parties", party_body(code))
        return path, {
            "customer": code,
            "currency": "CNY",
            "grade": "B",
            "limit": "5000",
            "terms_days": 60,
            "reason": "new customer",
        }
    account = f"/v1/credit-accounts/{PARTNER_PARTY}"
    if path == "/v1/credit-accounts/{customer}/profile":
        return f"{account}/profile", {"tolerance_days": 5, "reason": "annual review"}
    if path == "/v1/credit-accounts/{customer}/limit":
        return f"{account}/limit", {"limit": "100000000", "reason": "annual review"}
    if path == "/v1/credit-accounts/{customer}/limit-proposals":
        return f"{account}/limit-proposals", {"as_of": DAY}
    if path == "/v1/credit-accounts/{customer}/limit-proposals/{proposal}/decision":
        code = f"HOSP-D{number}"
        _account(world, code, grade="D", register=True)
        _post(world, finance, f"/v1/credit-accounts/{code}/limit-proposals", {"as_of": DAY})
        url = f"/v1/credit-accounts/{code}/limit-proposals/LP-{DAY}/decision"
        return url, {"accept": True, "reason": "agreed"}
    if path == "/v1/credit/sweep":
        return path, {"as_of": DAY, "customers": [PARTNER_PARTY]}
    if path == "/v1/collection-tasks/updates":
        order = _order(world, shipped=True)
        _post(
            world,
            finance,
            "/v1/credit/sweep",
            {"as_of": "2026-05-15", "customers": [PARTNER_PARTY]},
        )
        return path, {
            "customer": PARTNER_PARTY,
            "task": f"INV-{order}/overdue-30",
            "status": "in_progress",
            "updated_on": "2026-05-16",
        }
    if path == "/v1/payments":
        return path, {**cash, "payment": f"PAY-M{number}", "amount": "1"}
    if path == "/v1/credit-notes":
        return path, {
            "customer": PARTNER_PARTY,
            "credit_note": f"CN-M{number}",
            "amount": "1",
            "issued_on": DAY,
            "reason": "price correction",
        }
    if path == "/v1/payments/unapplied-allocations":
        order = _order(world, shipped=True)
        _post(
            world,
            finance,
            "/v1/payments",
            {**cash, "payment": f"PAY-U{number}", "amount": "1", "allocations": {}},
        )
        return path, {
            "customer": PARTNER_PARTY,
            "reference": f"AL-{number}",
            "applied_on": DAY,
            "allocations": {f"INV-{order}": "1"},
        }
    request = {
        "customer": PARTNER_PARTY,
        "write_off": f"WO-{number}",
        "amount": "1",
        "requested_on": DAY,
        "reason": "insolvent",
    }
    if path == "/v1/write-offs":
        return path, {**request, "invoice": f"INV-{_order(world, shipped=True)}"}
    assert path == "/v1/write-offs/{write_off}/decision", path
    other = issue(world.database, Role.FINANCE, name=f"finance-{number}")
    _post(
        world, other, "/v1/write-offs", {**request, "invoice": f"INV-{_order(world, shipped=True)}"}
    )
    return f"/v1/write-offs/WO-{number}/decision", {
        "customer": PARTNER_PARTY,
        "approve": True,
        "decided_on": DAY,
        "reason": "approved",
    }


def credit_request(
    world: Any, method: str, path: str, number: int
) -> tuple[str, dict[str, Any] | None] | None:
    """The URL and body of a request the route accepts from an allowed caller (None for the
    routes of other areas)."""
    if (method, path) not in CREDIT_ALLOWED:
        return None
    _account(world, PARTNER_PARTY)
    _account(world, HELD_PARTY, grade="C")
    if method == "POST":
        return _write(world, path, number)
    if path == "/v1/orders/{order}":
        return f"/v1/orders/{_order(world)}", None
    if path.startswith("/v1/credit-accounts/{customer}"):
        return path.replace("{customer}", PARTNER_PARTY), None
    if path == "/v1/dunning-notices/{customer}/{invoice}/{level}/letter":
        order = _order(world, shipped=True)
        _post(
            world,
            _as(world, Role.FINANCE),
            "/v1/credit/sweep",
            {"as_of": "2026-04-01", "customers": [PARTNER_PARTY]},
        )
        return f"/v1/dunning-notices/{PARTNER_PARTY}/INV-{order}/due/letter", None
    return path, None
