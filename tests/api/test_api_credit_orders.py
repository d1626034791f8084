"""Orders through the API: every way the credit check decides, with the figures it stored;
manual review; the race of two orders; and bad input refused with nothing appended."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2
import pytest
from api_harness import (
    AT,
    assert_problem,
    bearer,
    event_count,
    party_body,
    unique,
)
from credit_desk import LOT, Desk, open_desk

from api.app import create_app
from api.server import ServerThread
from ledger.settings import Settings
from ledger.store.database import Database


@pytest.fixture(scope="module")
def desk(server: Database) -> Iterator[Desk]:
    with open_desk(server) as made:
        yield made


def stored_check(desk: Desk, order: str) -> dict[str, Any]:
    """The credit check event stored for ``order``, as the order's page shows it."""
    response = desk.client.get(f"/v1/orders/{order}", headers=bearer(desk.finance))
    assert response.status_code == 200, response.text
    checks = [d for d in response.json()["credit_decisions"] if d["event"] == "OrderCreditChecked"]
    assert len(checks) == 1
    check: dict[str, Any] = checks[0]
    return check


def figures(check: dict[str, Any]) -> dict[str, Any]:
    names = (
        "grade",
        "limit",
        "open_receivables",
        "open_orders",
        "exposure",
        "available",
        "overdue_amount",
        "oldest_overdue_days",
        "rule",
        "outcome",
    )
    return {name: check[name] for name in names}


def test_an_order_within_the_limit_is_approved_and_the_figures_are_stored(desk: Desk) -> None:
    customer = desk.customer(limit="10000")

    placed = desk.place(customer, 100, "10")

    assert placed["outcome"] == "approved" and placed["state"] == "approved"
    assert figures(stored_check(desk, placed["order"])) == {
        "grade": "A",
        "limit": "10000.00",
        "open_receivables": "0",
        "open_orders": "0",
        "exposure": "1000.00",
        "available": "9000.00",
        "overdue_amount": "0",
        "oldest_overdue_days": 0,
        "rule": "CR-APPROVE",
        "outcome": "approved",
    }


def test_an_order_over_the_limit_is_held_for_manual_approval(desk: Desk) -> None:
    customer = desk.customer(limit="1000")
    desk.place(customer, 50, "10")

    placed = desk.place(customer, 70, "10")

    assert placed["outcome"] == "held" and placed["state"] == "credit_held"
    stored = figures(stored_check(desk, placed["order"]))
    assert stored["rule"] == "CR-HOLD-LIMIT"
    assert (stored["open_orders"], stored["exposure"], stored["available"]) == (
        "500.00",
        "1200.00",
        "-200.00",
    )


def test_an_order_far_over_the_limit_is_rejected_and_reserves_nothing(desk: Desk) -> None:
    customer = desk.customer(limit="1000")

    placed = desk.place(customer, 200, "10")

    assert placed["outcome"] == "rejected" and placed["state"] == "rejected"
    assert figures(stored_check(desk, placed["order"]))["rule"] == "CR-REJECT-LIMIT"
    account = desk.client.get(f"/v1/credit-accounts/{customer}", headers=bearer(desk.finance))
    assert account.json()["open_orders"] == "0"


def test_a_grade_d_customer_must_prepay(desk: Desk) -> None:
    customer = desk.customer(grade="D")

    placed = desk.place(customer, 1, "10")

    assert placed["outcome"] == "prepayment_required"
    stored = figures(stored_check(desk, placed["order"]))
    assert (stored["rule"], stored["grade"]) == ("CR-PREPAY", "D")


def test_a_grade_c_customer_within_the_limit_goes_to_a_person(desk: Desk) -> None:
    customer = desk.customer(grade="C")

    placed = desk.place(customer, 1, "10")

    assert placed["outcome"] == "held"
    assert figures(stored_check(desk, placed["order"]))["rule"] == "CR-HOLD-GRADE"


def test_an_order_of_a_customer_overdue_beyond_tolerance_is_held_with_the_overdue_figures(
    desk: Desk,
) -> None:
    customer = desk.customer(limit="10000", tolerance_days=5)
    first = desk.place(customer, 30, "10")
    desk.ship(first["order"], 30)

    late = desk.place(customer, 1, "10", placed_at="2026-04-11T09:00:00+08:00")

    stored = figures(stored_check(desk, late["order"]))
    assert stored["rule"] == "CR-HOLD-OVERDUE" and late["outcome"] == "held"
    assert (stored["overdue_amount"], stored["oldest_overdue_days"]) == ("300.00", 10)
    assert stored["open_receivables"] == "300.00" and stored["exposure"] == "310.00"


def test_finance_approves_a_held_order_with_a_reason_and_the_operator_may_not(desk: Desk) -> None:
    customer = desk.customer(grade="C")
    order = desk.place(customer, 1, "10")["order"]
    review = {"approve": True, "reason": "known customer, paid on time"}

    refused = desk.post(f"/v1/orders/{order}/review", review)
    approved = desk.ok(f"/v1/orders/{order}/review", review, desk.finance)

    assert_problem(refused, 403, "forbidden")
    assert approved["state"] == "approved" and approved["rule"] == "manual"
    page = desk.client.get(f"/v1/orders/{order}", headers=bearer(desk.finance)).json()
    reviewed = [d for d in page["credit_decisions"] if d["event"] == "OrderCreditReviewed"]
    assert [(d["outcome"], d["actor"], d["reason"]) for d in reviewed] == [
        ("approved", "finance-desk", "known customer, paid on time")
    ]
    desk.ship(order, 1)


def test_a_rejected_or_cancelled_order_releases_its_reservation(desk: Desk) -> None:
    customer = desk.customer(grade="C", limit="1000")
    rejected = desk.place(customer, 10, "10")["order"]
    cancelled = desk.place(customer, 20, "10")["order"]

    desk.ok(f"/v1/orders/{rejected}/review", {"approve": False, "reason": "no"}, desk.finance)
    desk.ok(f"/v1/orders/{cancelled}/cancel", {"reason": "duplicate", "occurred_at": AT})

    account = desk.client.get(f"/v1/credit-accounts/{customer}", headers=bearer(desk.finance))
    assert account.json()["open_orders"] == "0" and account.json()["available"] == "1000.00"


def test_line_amounts_are_discounted_and_rounded_half_up_to_the_cent(desk: Desk) -> None:
    customer = desk.customer()
    body = desk.order_body(
        customer,
        3,
        "33.333",
    )
    body["lines"][0]["discount"] = "10"

    placed = desk.ok("/v1/orders", body)

    assert placed["amount"] == "90.00"  # 3 x 33.333 x 0.9 = 89.9991
    assert placed["lines"][0]["amount"] == "90.00"


def test_a_repeated_order_request_answers_the_first_decision_and_appends_nothing(
    desk: Desk,
) -> None:
    customer = desk.customer()
    body = desk.order_body(customer, 1, "10")
    headers = bearer(desk.operator, f"repeat-{unique()}")
    first = desk.client.post("/v1/orders", json=body, headers=headers)
    before = event_count(desk.database)

    again = desk.client.post("/v1/orders", json=body, headers=headers)

    assert again.status_code == 200 and again.json() == first.json()
    assert event_count(desk.database) == before


BAD_ORDERS = [
    ("negative quantity", {"quantity": -1}, 422, "invalid-value"),
    ("negative price", {"unit_price": "-1.00"}, 422, "invalid-value"),
    ("price as a float", {"unit_price": 10.5}, 422, "invalid-request"),
    ("discount over 100", {"discount": "120"}, 422, "invalid-value"),
    ("unknown product", {"gtin": "06901234567892"}, 422, "unknown-product"),
]


@pytest.mark.parametrize(
    ("case", "line", "status", "kind"), BAD_ORDERS, ids=[b[0] for b in BAD_ORDERS]
)
def test_a_bad_order_line_is_refused_and_nothing_is_appended(
    desk: Desk, case: str, line: dict[str, Any], status: int, kind: str
) -> None:
    body = desk.order_body(desk.customer(), 1, "10")
    body["lines"][0].update(line)
    before = event_count(desk.database)

    assert_problem(desk.post("/v1/orders", body), status, kind)
    assert event_count(desk.database) == before


def test_orders_for_unknown_customers_or_in_another_currency_are_refused(desk: Desk) -> None:
    no_account = f"HOSP-N{unique()}"
    desk.ok("/v1/parties", party_body(no_account))
    before = event_count(desk.database)

    unknown = desk.post("/v1/orders", desk.order_body("HOSP-NOBODY", 1, "10"))
    unopened = desk.post("/v1/orders", desk.order_body(no_account, 1, "10"))
    dollars = desk.post("/v1/orders", desk.order_body(desk.customer(), 1, "10", currency="USD"))

    assert_problem(unknown, 422, "unknown-party")
    assert_problem(unopened, 422, "unknown-credit-account")
    assert_problem(dollars, 422, "currency-mismatch")
    assert event_count(desk.database) == before + 2  # the customer's party and account only


def test_a_held_order_cannot_ship_and_a_shipment_must_match_the_order(desk: Desk) -> None:
    held = desk.place(desk.customer(grade="C"), 1, "10")["order"]
    approved = desk.place(desk.customer(), 2, "10")["order"]
    line = {"gtin": desk.gtin, "lot": LOT, "quantity": 1, "from_location": "WH-SH-01"}
    body = {"shipment": f"SHP-{unique()}", "lines": [line], "occurred_at": AT}
    before = event_count(desk.database)

    assert_problem(desk.post(f"/v1/orders/{held}/shipments", body), 409, "order-not-in-state")
    short = desk.post(f"/v1/orders/{approved}/shipments", body)
    assert_problem(short, 422, "shipment-differs-from-order")
    assert event_count(desk.database) == before


def test_two_orders_raced_through_the_api_approve_exactly_one(desk: Desk) -> None:
    customer = desk.customer(limit="1000")
    app = create_app(Settings(pool_size=4), database=desk.database)
    barrier = threading.Barrier(2)

    def post(url: str, body: dict[str, Any]) -> Any:
        with httpx2.Client(base_url=url, timeout=30) as client:
            client.get("/v1/health")
            barrier.wait()
            return client.post(
                "/v1/orders", json=body, headers=bearer(desk.operator, body["order"])
            )

    with ServerThread(app) as server, ThreadPoolExecutor(max_workers=2) as pool:
        bodies = [desk.order_body(customer, 60, "10") for _ in range(2)]
        answers = [f.result() for f in [pool.submit(post, server.url, b) for b in bodies]]

    assert [a.status_code for a in answers] == [201, 201]
    assert sorted(a.json()["outcome"] for a in answers) == ["approved", "held"]
