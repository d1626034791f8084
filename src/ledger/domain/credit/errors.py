"""Errors of orders, credit and receivables: one class per broken rule, with its context."""

from __future__ import annotations

from decimal import Decimal

from ledger.domain.errors import LedgerError


class UnknownCreditAccount(LedgerError):
    """Raised when a command names a customer that has no credit account."""

    def __init__(self, customer: str) -> None:
        super().__init__(f"customer {customer!r} has no credit account")
        self.customer = customer


class UnknownOrder(LedgerError):
    """Raised when a command names a sales order that was never placed."""

    def __init__(self, order: str) -> None:
        super().__init__(f"no sales order {order!r} has been placed")
        self.order = order


class UnknownInvoice(LedgerError):
    """Raised when a payment, credit note or write-off names an invoice the customer lacks."""

    def __init__(self, customer: str, invoice: str) -> None:
        super().__init__(f"customer {customer} has no invoice {invoice!r}")
        self.customer = customer
        self.invoice = invoice


class CurrencyMismatch(LedgerError):
    """Raised when an order or payment is in another currency than the customer's account."""

    def __init__(self, customer: str, expected: str, given: str) -> None:
        super().__init__(f"customer {customer} books in {expected}, not {given}")
        self.customer = customer
        self.expected = expected
        self.given = given


class OrderNotInState(LedgerError):
    """Raised when an order is asked to do what its state does not allow (ship a held one…)."""

    def __init__(self, order: str, state: str, action: str) -> None:
        super().__init__(f"order {order} is {state}; it cannot be {action}")
        self.order = order
        self.state = state
        self.action = action


class ShipmentDiffersFromOrder(LedgerError):
    """Raised when a shipment's units of a product differ from what the order asks for."""

    def __init__(self, order: str, gtin: str, ordered: int, shipped: int) -> None:
        super().__init__(f"order {order}: {ordered} units of {gtin} ordered, {shipped} shipped")
        self.order = order
        self.gtin = gtin
        self.ordered = ordered
        self.shipped = shipped


class OverAllocation(LedgerError):
    """Raised when a payment, credit note or write-off exceeds what an invoice still owes."""

    def __init__(self, invoice: str, requested: Decimal, outstanding: Decimal) -> None:
        super().__init__(f"invoice {invoice}: {requested} allocated, only {outstanding} open")
        self.invoice = invoice
        self.requested = requested
        self.outstanding = outstanding


class AllocationExceedsPayment(LedgerError):
    """Raised when a payment's allocations add up to more than the payment (or the cash)."""

    def __init__(self, reference: str, amount: Decimal, allocated: Decimal) -> None:
        super().__init__(f"{reference}: {allocated} allocated out of {amount}")
        self.reference = reference
        self.amount = amount
        self.allocated = allocated


class ReferenceAlreadyBooked(LedgerError):
    """Raised when a payment, credit note, write-off or invoice number is booked twice."""

    def __init__(self, customer: str, reference: str) -> None:
        super().__init__(f"customer {customer}: {reference!r} is already booked")
        self.customer = customer
        self.reference = reference


class NothingPending(LedgerError):
    """Raised when an approval names a write-off, task or proposal that is not open."""

    def __init__(self, customer: str, kind: str, reference: str) -> None:
        super().__init__(f"customer {customer}: no open {kind} {reference!r}")
        self.customer = customer
        self.kind = kind
        self.reference = reference


class SameApprover(LedgerError):
    """Raised when the one who asked for a write-off tries to approve it too (four eyes)."""

    def __init__(self, reference: str, actor: str) -> None:
        super().__init__(f"{reference} was requested by {actor}; another key must approve it")
        self.reference = reference
        self.actor = actor
