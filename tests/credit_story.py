"""What the credit tests share: a ledger with products, customers, stock and accounts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from conftest import register_products
from ledger.application.ledger import Ledger
from ledger.domain.lot_ref import LotRef
from ledger.domain.order import OrderLine
from ledger.domain.values import PartyRole, ShipmentLine

AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DAY = AT.date()
LOT = "CR-LOT-1"


def set_up_channel(ledger: Ledger, *, customers: tuple[str, ...] = ("HOSP-C1",)) -> list[str]:
    """Two products, a supplier, the customers, and 10,000 units of a lot of each product
    at WH-SH-01; returns the GTINs."""
    gtins = register_products(ledger, 2, start=900)
    ledger.master_data.register_party(
        code="SUP-C",
        name="Supplier",
        role=PartyRole.SUPPLIER,
        region="East China",
        recall_contact="qa@sup.example.cn",
    )
    for code in customers:
        ledger.master_data.register_party(
            code=code,
            name=f"Hospital {code}",
            role=PartyRole.HOSPITAL,
            region="East China",
            recall_contact=f"r@{code.lower()}.cn",
        )
    for gtin in gtins:
        ledger.lots.receive(
            lot=LotRef(gtin, LOT),
            supplier="SUP-C",
            purchase_order=f"PO-{gtin}",
            location="WH-SH-01",
            accepted=10_000,
            occurred_at=AT,
            expiry=date(2028, 1, 31),
        )
    return gtins


def open_account(
    ledger: Ledger,
    customer: str,
    *,
    grade: str = "A",
    limit: str = "10000",
    terms: int = 30,
    **profile: object,
) -> None:
    """Open a CNY account for ``customer``."""
    ledger.orders.open_credit_account(
        customer=customer,
        currency="CNY",
        grade=grade,
        limit=Decimal(limit),
        terms_days=terms,
        reason="onboarding",
        **profile,
    )


def line(gtin: str, quantity: int, price: str, discount: str = "0") -> OrderLine:
    """An order line."""
    return OrderLine(gtin, quantity, Decimal(price), Decimal(discount))


def place(
    ledger: Ledger,
    order: str,
    customer: str,
    gtin: str,
    quantity: int,
    price: str,
    *,
    at: datetime = AT,
) -> dict[str, object]:
    """Place a one-line CNY order; its outcome."""
    result = ledger.orders.place_order(
        order=order,
        customer=customer,
        currency="CNY",
        lines=[line(gtin, quantity, price)],
        placed_at=at,
    )
    return result.outcome


def ship(ledger: Ledger, order: str, gtin: str, quantity: int, *, at: datetime = AT) -> None:
    """Ship an order from the lot at WH-SH-01 (and invoice it)."""
    ledger.orders.ship_order(
        order=order,
        shipment=f"SHP-{order}",
        lines=[ShipmentLine(gtin, LOT, quantity, "WH-SH-01")],
        occurred_at=at,
    )
