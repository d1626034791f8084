"""The ``SalesOrder`` aggregate: what a customer ordered, its credit state, its shipment."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from ledger.domain.credit.errors import OrderNotInState, ShipmentDiffersFromOrder
from ledger.domain.credit.rules import CreditOutcome
from ledger.domain.errors import InvalidValue
from ledger.domain.money import ZERO, parse_currency, parse_percent, parse_price, round_money
from ledger.domain.values import LEDGER_NAMESPACE, Gtin, parse_quantity, parse_text, parse_time


def order_id(order: str) -> UUID:
    """The permanent id of a sales order: uuid5 of its number."""
    return uuid5(LEDGER_NAMESPACE, f"sales-order|{order}")


class OrderState(enum.StrEnum):
    """Where an order stands."""

    APPROVED = "approved"
    CREDIT_HELD = "credit_held"
    PREPAYMENT_REQUIRED = "prepayment_required"
    REJECTED = "rejected"
    INVOICED = "invoiced"
    CANCELLED = "cancelled"


STATE_OF_OUTCOME = {
    CreditOutcome.APPROVED: OrderState.APPROVED,
    CreditOutcome.HELD: OrderState.CREDIT_HELD,
    CreditOutcome.PREPAYMENT_REQUIRED: OrderState.PREPAYMENT_REQUIRED,
    CreditOutcome.REJECTED: OrderState.REJECTED,
}


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One line of an order as placed.

    Attributes:
        gtin: the product's GTIN.
        quantity: units of use, positive.
        unit_price: price per unit in the order's currency, before discount.
        discount: percentage off the line (0-100).
    """

    gtin: str
    quantity: int
    unit_price: Decimal
    discount: Decimal = ZERO


class OrderPlaced(Aggregate.Created):
    """A customer's order was placed. Fields: order (number), customer, currency, lines
    (``{"gtin", "quantity", "unit_price", "discount", "amount"}``), amount (the lines'
    amounts added), placed_at, actor."""

    order: str
    customer: str
    currency: str
    lines: list[dict[str, Any]]
    amount: Decimal
    placed_at: datetime
    actor: str


class OrderCreditDecided(Aggregate.Event):
    """The credit check (or a reviewer) decided. Fields: outcome, rule (the rule's id, or
    ``manual`` for a person), actor, reason."""

    outcome: str
    rule: str
    actor: str
    reason: str


class OrderInvoiced(Aggregate.Event):
    """The order was shipped and invoiced. Fields: shipment, invoice, shipped_at."""

    shipment: str
    invoice: str
    shipped_at: datetime


class OrderCancelled(Aggregate.Event):
    """The order was cancelled before shipping. Fields: cancelled_at, actor, reason."""

    cancelled_at: datetime
    actor: str
    reason: str


def _line(currency: str, index: int, line: OrderLine) -> dict[str, Any]:
    where = f"lines[{index}]"
    gtin = Gtin.parse(line.gtin).value
    quantity = parse_quantity(line.quantity, f"{where}.quantity")
    price = parse_price(f"{where}.unit_price", line.unit_price)
    discount = parse_percent(f"{where}.discount", line.discount)
    amount = round_money(quantity * price * (1 - discount / 100), currency)
    return {
        "gtin": gtin,
        "quantity": quantity,
        "unit_price": price,
        "discount": discount,
        "amount": amount,
    }


class SalesOrder(Aggregate):
    """A customer's order: lines, amount, credit state, and its shipment and invoice."""

    OrderCreditDecided = OrderCreditDecided
    OrderInvoiced = OrderInvoiced
    OrderCancelled = OrderCancelled

    @classmethod
    def place(
        cls,
        *,
        order: str,
        customer: str,
        currency: str,
        lines: Sequence[OrderLine],
        placed_at: datetime,
        actor: str,
    ) -> SalesOrder:
        """Check the lines (positive quantities, prices not negative, each product once) and
        record the order; line amounts are rounded to the currency."""
        number = parse_text("order", order)
        currency = parse_currency(currency)
        if not lines:
            raise InvalidValue("lines", "an order has at least one line")
        checked = [_line(currency, index, line) for index, line in enumerate(lines)]
        gtins = [line["gtin"] for line in checked]
        if len(set(gtins)) != len(gtins):
            raise InvalidValue("lines", "name each product once")
        return cls._create(
            OrderPlaced,
            id=order_id(number),
            order=number,
            customer=parse_text("customer", customer),
            currency=currency,
            lines=checked,
            amount=sum((line["amount"] for line in checked), ZERO),
            placed_at=parse_time("placed_at", placed_at),
            actor=actor,
        )

    @event(OrderPlaced)
    def __init__(
        self,
        *,
        order: str,
        customer: str,
        currency: str,
        lines: list[dict[str, Any]],
        amount: Decimal,
        placed_at: datetime,
        actor: str,
    ) -> None:
        self.number = order
        self.customer = customer
        self.currency = currency
        self.lines = lines
        self.amount = amount
        self.placed_at = placed_at
        self.state = OrderState.APPROVED.value
        self.rule = ""
        self.shipment: str | None = None
        self.invoice: str | None = None

    def record_credit(self, *, outcome: CreditOutcome, rule: str, actor: str, reason: str) -> None:
        """Take on the credit check's (or a reviewer's) outcome."""
        self._record_credit(outcome=outcome.value, rule=rule, actor=actor, reason=reason)

    @event(OrderCreditDecided)
    def _record_credit(self, *, outcome: str, rule: str, actor: str, reason: str) -> None:
        self.state = STATE_OF_OUTCOME[CreditOutcome(outcome)].value
        self.rule = rule

    def check_shipment(self, shipped: dict[str, int]) -> None:
        """Check that an approved order ships exactly its lines (units per GTIN)."""
        if self.state != OrderState.APPROVED:
            raise OrderNotInState(self.number, self.state, "shipped")
        ordered = {line["gtin"]: line["quantity"] for line in self.lines}
        for gtin in sorted(set(ordered) | set(shipped)):
            if ordered.get(gtin, 0) != shipped.get(gtin, 0):
                raise ShipmentDiffersFromOrder(
                    self.number, gtin, ordered.get(gtin, 0), shipped.get(gtin, 0)
                )

    def mark_invoiced(self, *, shipment: str, invoice: str, shipped_at: datetime) -> None:
        """Record that the order left under ``shipment`` and was billed on ``invoice``."""
        self._record_invoiced(shipment=shipment, invoice=invoice, shipped_at=shipped_at)

    @event(OrderInvoiced)
    def _record_invoiced(self, *, shipment: str, invoice: str, shipped_at: datetime) -> None:
        self.state = OrderState.INVOICED.value
        self.shipment = shipment
        self.invoice = invoice

    def cancel(self, *, cancelled_at: datetime, actor: str, reason: str) -> None:
        """Cancel an order that has not shipped (nor been rejected)."""
        if self.state in (OrderState.INVOICED, OrderState.CANCELLED, OrderState.REJECTED):
            raise OrderNotInState(self.number, self.state, "cancelled")
        self._record_cancel(
            cancelled_at=parse_time("cancelled_at", cancelled_at),
            actor=actor,
            reason=parse_text("reason", reason),
        )

    @event(OrderCancelled)
    def _record_cancel(self, *, cancelled_at: datetime, actor: str, reason: str) -> None:
        self.state = OrderState.CANCELLED.value
