"""Errors of orders, credit and receivables: one class per broken rule, with its context."""

from __future__ import annotations

from decimal import Decimal

from ledger.domain.errors import LedgerError


class UnknownCreditAccount(LedgerError):
    """Raised when a command names a customer that has no credit account."""

    customer: str
    message = "customer {customer!r} has no credit account"


class UnknownOrder(LedgerError):
    """Raised when a command names a sales order that was never placed."""

    order: str
    message = "no sales order {order!r} has been placed"


class UnknownInvoice(LedgerError):
    """Raised when a payment, credit note or write-off names an invoice the customer lacks."""

    customer: str
    invoice: str
    message = "customer {customer} has no invoice {invoice!r}"


class CurrencyMismatch(LedgerError):
    """Raised when an order or payment is in another currency than the customer's account."""

    customer: str
    expected: str
    given: str
    message = "customer {customer} books in {expected}, not {given}"


class OrderNotInState(LedgerError):
    """Raised when an order is asked to do what its state does not allow (ship a held one…)."""

    order: str
    state: str
    action: str
    message = "order {order} is {state}; it cannot be {action}"


class ShipmentDiffersFromOrder(LedgerError):
    """Raised when a shipment's units of a product differ from what the order asks for."""

    order: str
    gtin: str
    ordered: int
    shipped: int
    message = "order {order}: {ordered} units of {gtin} ordered, {shipped} shipped"


class OverAllocation(LedgerError):
    """Raised when a payment, credit note or write-off exceeds what an invoice still owes."""

    invoice: str
    requested: Decimal
    outstanding: Decimal
    message = "invoice {invoice}: {requested} allocated, only {outstanding} open"


class AllocationExceedsPayment(LedgerError):
    """Raised when a payment's allocations add up to more than the payment (or the cash)."""

    reference: str
    amount: Decimal
    allocated: Decimal
    message = "{reference}: {allocated} allocated out of {amount}"


class ReferenceAlreadyBooked(LedgerError):
    """Raised when a payment, credit note, write-off or invoice number is booked twice."""

    customer: str
    reference: str
    message = "customer {customer}: {reference!r} is already booked"


class NothingPending(LedgerError):
    """Raised when an approval names a write-off, task or proposal that is not open."""

    customer: str
    kind: str
    reference: str
    message = "customer {customer}: no open {kind} {reference!r}"


class SameApprover(LedgerError):
    """Raised when the one who asked for a write-off tries to approve it too (four eyes)."""

    reference: str
    actor: str
    message = "{reference} was requested by {actor}; another key must approve it"
