"""Receivables through the API: payments oldest first or as named, unapplied cash, credit
notes, write-offs with four eyes, ageing and totals, the sweep with its letters and tasks,
partner scope, and bad cash input refused with nothing appended."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from api_harness import assert_problem, bearer, event_count, issue, unique
from credit_desk import Desk, open_desk

from api.keys import Role
from ledger.store.database import Database


@pytest.fixture(scope="module")
def desk(server: Database) -> Iterator[Desk]:
    with open_desk(server) as made:
        yield made


@pytest.fixture
def billed(desk: Desk) -> Iterator[tuple[Desk, str, list[str]]]:
    """A customer with three shipped orders of 100.00 each, invoiced on 2 March 2026."""
    customer = desk.customer(limit="100000")
    invoices = []
    for _ in range(3):
        order = desk.place(customer, 10, "10")["order"]
        invoices.append(desk.ship(order, 10)["invoice"])
    yield desk, customer, invoices


def get(desk: Desk, path: str, token: str | None = None, **params: Any) -> Any:
    return desk.get(path, token, **params)


def pay(desk: Desk, customer: str, amount: str, **extra: Any) -> Any:
    body = {
        "customer": customer,
        "payment": f"PAY-{unique()}",
        "amount": amount,
        "currency": "CNY",
        "received_on": "2026-03-10",
        **extra,
    }
    response = desk.post("/v1/payments", body, desk.finance)
    if response.status_code == 201:
        desk.last = max([desk.last, *response.json()["positions"]])
    return response


def test_a_payment_goes_oldest_first_and_the_rest_is_kept_as_unapplied_cash(
    billed: tuple[Desk, str, list[str]],
) -> None:
    desk, customer, _ = billed

    partly = pay(desk, customer, "150.00")
    items = get(desk, "/v1/invoices", customer=customer, settled="true")["items"]
    rest = pay(desk, customer, "200.00")

    assert partly.status_code == 201, partly.text
    assert sorted(i["outstanding"] for i in items) == ["0.00", "100.00", "50.00"]
    assert rest.json()["open_receivables"] == "0.00" and rest.json()["unapplied"] == "50.00"


def test_a_payment_allocated_to_named_invoices_leaves_the_others_open(
    billed: tuple[Desk, str, list[str]],
) -> None:
    desk, customer, invoices = billed

    paid = pay(desk, customer, "60.00", allocations={invoices[2]: "60.00"})

    assert paid.status_code == 201, paid.text
    items = {
        i["invoice"]: i["outstanding"]
        for i in get(desk, "/v1/invoices", customer=customer)["items"]
    }
    assert items == {invoices[0]: "100.00", invoices[1]: "100.00", invoices[2]: "40.00"}


def test_bad_cash_is_refused_and_nothing_is_appended(billed: tuple[Desk, str, list[str]]) -> None:
    desk, customer, invoices = billed
    before = event_count(desk.database)

    assert_problem(pay(desk, customer, "10.00", currency="USD"), 422, "currency-mismatch")
    assert_problem(
        pay(desk, customer, "150.00", allocations={invoices[0]: "150.00"}), 409, "over-allocation"
    )
    assert_problem(
        pay(desk, customer, "50.00", allocations={invoices[0]: "60.00"}),
        422,
        "allocation-exceeds-payment",
    )
    assert_problem(pay(desk, customer, "-5.00"), 422, "invalid-value")
    assert_problem(pay(desk, customer, "1.005"), 422, "invalid-value")
    assert_problem(pay(desk, customer, 5.5), 422, "invalid-request")
    assert_problem(
        pay(desk, customer, "5.00", allocations={"INV-NONE": "5.00"}), 422, "unknown-invoice"
    )
    assert_problem(pay(desk, "HOSP-NOBODY", "5.00"), 422, "unknown-credit-account")
    assert event_count(desk.database) == before


def test_a_payment_reference_is_booked_once(billed: tuple[Desk, str, list[str]]) -> None:
    desk, customer, _ = billed
    body = {
        "customer": customer,
        "payment": "PAY-ONCE",
        "amount": "1.00",
        "currency": "CNY",
        "received_on": "2026-03-10",
    }
    desk.ok("/v1/payments", body, desk.finance)
    before = event_count(desk.database)

    assert_problem(desk.post("/v1/payments", body, desk.finance), 409, "reference-already-booked")
    assert event_count(desk.database) == before


def test_a_write_off_needs_a_second_finance_key_and_then_reduces_the_receivable(
    billed: tuple[Desk, str, list[str]],
) -> None:
    desk, customer, invoices = billed
    other = issue(desk.database, Role.FINANCE, name=f"controller-{unique()}")
    request = {
        "customer": customer,
        "write_off": f"WO-{unique()}",
        "invoice": invoices[0],
        "amount": "40.00",
        "requested_on": "2026-06-01",
        "reason": "customer insolvent",
    }
    desk.ok("/v1/write-offs", request, desk.finance)
    decision = {
        "customer": customer,
        "approve": True,
        "decided_on": "2026-06-02",
        "reason": "court notice received",
    }
    path = f"/v1/write-offs/{request['write_off']}/decision"

    assert_problem(desk.post(path, decision, desk.finance), 409, "same-approver")
    approved = desk.ok(path, decision, other)

    assert approved["open_receivables"] == "260.00"
    item = next(
        i
        for i in get(desk, "/v1/invoices", customer=customer)["items"]
        if i["invoice"] == invoices[0]
    )
    assert (item["written_off"], item["outstanding"]) == ("40.00", "60.00")


def test_ageing_as_of_a_date_buckets_what_was_open_then(
    billed: tuple[Desk, str, list[str]],
) -> None:
    desk, customer, invoices = billed
    credit = {
        "customer": customer,
        "credit_note": f"CN-{unique()}",
        "amount": "30.00",
        "issued_on": "2026-05-20",
        "reason": "returned goods",
        "allocations": {invoices[1]: "30.00"},
    }
    desk.ok("/v1/credit-notes", credit, desk.finance)

    before = get(desk, "/v1/receivables/ageing", as_of="2026-03-15", customer=customer)
    after = get(desk, "/v1/receivables/ageing", as_of="2026-05-21", customer=customer)

    assert before["customers"][0]["buckets"]["current"] == "300.00"
    assert after["customers"][0]["buckets"] == {
        "current": "0",
        "1-30": "0",
        "31-60": "270.00",
        "61-90": "0",
        "90+": "0",
    }
    assert after["customers"][0]["credited"] == "30.00"
    assert after["customers"][0]["provision"] == "27.0000"


def test_a_report_date_before_1900_is_refused_not_a_server_error(
    billed: tuple[Desk, str, list[str]],
) -> None:
    desk = billed[0]
    for path in ("/v1/receivables/ageing", "/v1/receivables/totals"):
        answer = desk.client.get(path, params={"as_of": "0001-01-01"}, headers=bearer(desk.finance))
        assert_problem(answer, 422, "invalid-request")


def test_the_sweep_sends_each_notice_once_renders_letters_and_opens_tasks(
    billed: tuple[Desk, str, list[str]],
) -> None:
    desk, customer, invoices = billed
    body = {"as_of": "2026-05-05", "customers": [customer]}

    first = desk.ok("/v1/credit/sweep", body, desk.finance)
    again = desk.ok("/v1/credit/sweep", body, desk.finance)

    assert [n["level"] for n in first["notices"]] == ["overdue-30"] * 3
    assert again["notices"] == [] and again["positions"] == []
    tasks = get(desk, "/v1/collection-tasks", customer=customer)["items"]
    assert [(t["invoice"], t["status"], t["owner"]) for t in tasks] == [
        (invoice, "open", "finance") for invoice in invoices
    ]
    letter = f"/v1/dunning-notices/{customer}/{invoices[0]}/overdue-30/letter"
    chinese = desk.client.get(letter, headers=bearer(desk.finance))
    english = desk.client.get(
        letter, params={"language": "en", "format": "html"}, headers=bearer(desk.finance)
    )
    assert "逾期 34 天" in chinese.text and "CNY 100.00" in chinese.text
    assert english.headers["content-type"].startswith("text/html")
    assert "34 days overdue" in english.text
    update = {
        "customer": customer,
        "task": tasks[0]["task"],
        "status": "promised",
        "owner": "collector-li",
        "note": "pays Friday",
        "updated_on": "2026-05-06",
    }
    desk.ok("/v1/collection-tasks/updates", update, desk.finance)
    mine = get(desk, "/v1/collection-tasks", owner="collector-li")["items"]
    assert [(t["task"], t["status"], t["note"]) for t in mine] == [
        (tasks[0]["task"], "promised", "pays Friday")
    ]


def test_a_partner_sees_only_its_own_invoices_orders_and_ageing(
    billed: tuple[Desk, str, list[str]],
) -> None:
    desk, customer, _ = billed
    other = desk.customer()
    desk.ship(desk.place(other, 1, "10")["order"], 1)
    partner = issue(desk.database, Role.PARTNER, party=customer)

    invoices = get(desk, "/v1/invoices", partner)["items"]
    orders = get(desk, "/v1/orders", partner)["items"]
    ageing = get(desk, "/v1/receivables/ageing", partner, as_of="2026-03-15")["customers"]
    theirs = get(desk, "/v1/invoices", partner, customer=other)["items"]
    account = desk.client.get(f"/v1/credit-accounts/{other}", headers=bearer(partner))

    assert {i["customer"] for i in invoices} == {customer} and len(invoices) == 3
    assert {o["customer"] for o in orders} == {customer}
    assert [a["customer"] for a in ageing] == [customer]
    assert theirs == []
    assert_problem(account, 404, "not-found")


def test_totals_by_region_and_product_add_up_to_the_same_invoiced_amount(
    billed: tuple[Desk, str, list[str]],
) -> None:
    desk, _, _ = billed

    regions = get(desk, "/v1/receivables/totals", by="region", as_of="2026-03-15")["items"]
    products = get(desk, "/v1/receivables/totals", by="product", as_of="2026-03-15")["items"]
    customers = get(desk, "/v1/receivables/totals", by="customer", as_of="2026-03-15")["items"]

    assert [r["group"] for r in regions] == ["East China"]
    invoiced = Decimal(regions[0]["invoiced"])
    assert sum(Decimal(p["amount"]) for p in products) == invoiced
    assert sum(Decimal(c["invoiced"]) for c in customers) == invoiced
    assert [p["gtin"] for p in products] == [desk.gtin]
