"""The events of a customer's ``CreditAccount``: its profile, the credit decisions on its
orders, and every movement of its receivables.

Each money event names the customer and carries what a read model needs without state
(amounts, dates, the due date of the invoices it touches). Amounts are ``Decimal`` rounded
to the account's currency; dates are calendar dates (``as_of``, ``issued_on`` …). Every
change made by a person records its ``actor`` and ``reason``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from eventsourcing.domain import Aggregate

from ledger.domain.topics import stored_under

Allocation = dict[str, Any]
"""One allocation of cash to an invoice: ``{"invoice", "amount", "due_on"}``."""


class CreditAccountOpened(Aggregate.Created):
    """Finance opened a customer's credit account.

    Fields: customer (party code), currency, grade (A-D), limit, terms_days (net days),
    tolerance_days and tolerance_amount (overdue accepted before orders are held),
    prepay_before_ship (orders wait for prepayment), collector (owner of collection
    tasks), actor, reason.
    """

    customer: str
    currency: str
    grade: str
    limit: Decimal
    terms_days: int
    tolerance_days: int
    tolerance_amount: Decimal
    prepay_before_ship: bool
    collector: str
    actor: str
    reason: str


class CreditProfileChanged(Aggregate.Event):
    """The grade, terms, tolerance, prepayment rule or collector changed (not the limit).

    Fields: grade, terms_days, tolerance_days, tolerance_amount, prepay_before_ship,
    collector, actor, reason.
    """

    grade: str
    terms_days: int
    tolerance_days: int
    tolerance_amount: Decimal
    prepay_before_ship: bool
    collector: str
    actor: str
    reason: str


class CreditLimitChanged(Aggregate.Event):
    """The credit limit changed. Fields: previous, limit, proposal (when one was accepted),
    actor, reason."""

    previous: Decimal
    limit: Decimal
    proposal: str | None
    actor: str
    reason: str


class OrderCreditChecked(Aggregate.Event):
    """An order's credit check decided, with the figures it used.

    Fields: order, amount, outcome (approved, held, prepayment_required, rejected), rule
    and rule_text (the rule that decided), grade, limit, open_receivables, open_orders
    (reserved for other unshipped orders), exposure (the three added), available (limit
    less exposure), overdue_amount, oldest_overdue_days, tolerance_days, tolerance_amount,
    checked_on, actor. Unless rejected, ``amount`` is reserved for the order.
    """

    order: str
    amount: Decimal
    outcome: str
    rule: str
    rule_text: str
    grade: str
    limit: Decimal
    open_receivables: Decimal
    open_orders: Decimal
    exposure: Decimal
    available: Decimal
    overdue_amount: Decimal
    oldest_overdue_days: int
    tolerance_days: int
    tolerance_amount: Decimal
    checked_on: date
    actor: str


class OrderCreditReviewed(Aggregate.Event):
    """Finance approved or rejected a held order by hand. Fields: order, outcome
    (approved or rejected), released (the reservation given back on rejection), actor,
    reason."""

    order: str
    outcome: str
    released: Decimal
    actor: str
    reason: str


class ReservationReleased(Aggregate.Event):
    """An order's reservation was given back (the order was cancelled). Fields: order,
    amount, reason, actor."""

    order: str
    amount: Decimal
    reason: str
    actor: str


class InvoiceRaised(Aggregate.Event):
    """An order was shipped and invoiced. Fields: customer, invoice, order, shipment,
    amount, currency, issued_on, due_on (issued_on plus the terms), lines (``{"gtin",
    "quantity", "amount"}``), released (the order's reservation, now a receivable)."""

    customer: str
    invoice: str
    order: str
    shipment: str
    amount: Decimal
    currency: str
    issued_on: date
    due_on: date
    lines: list[dict[str, Any]]
    released: Decimal


class PaymentReceived(Aggregate.Event):
    """A customer paid. Fields: customer, payment, amount, currency, received_on,
    allocations (to invoices, oldest first or as named), unapplied (kept as cash), actor."""

    customer: str
    payment: str
    amount: Decimal
    currency: str
    received_on: date
    allocations: list[Allocation]
    unapplied: Decimal
    actor: str


class CreditNoteIssued(Aggregate.Event):
    """A credit note reduced what a customer owes (a return, a price correction, a rebate).

    Fields: customer, credit_note, amount, issued_on, allocations (to invoices), unapplied
    (credit kept on account), reason, actor.
    """

    customer: str
    credit_note: str
    amount: Decimal
    issued_on: date
    allocations: list[Allocation]
    unapplied: Decimal
    reason: str
    actor: str


class UnappliedCashAllocated(Aggregate.Event):
    """Cash or credit kept on account was applied to invoices. Fields: customer, reference,
    applied_on, allocations, actor."""

    customer: str
    reference: str
    applied_on: date
    allocations: list[Allocation]
    actor: str


class WriteOffRequested(Aggregate.Event):
    """Someone asked to write off part of an invoice as bad debt. Fields: customer,
    write_off, invoice, amount, requested_on, actor, reason."""

    customer: str
    write_off: str
    invoice: str
    amount: Decimal
    requested_on: date
    actor: str
    reason: str


class WriteOffDecided(Aggregate.Event):
    """Finance approved (the receivable is reduced) or rejected a write-off request.

    Fields: customer, write_off, invoice, amount, due_on, approved, decided_on, actor,
    reason.
    """

    customer: str
    write_off: str
    invoice: str
    amount: Decimal
    due_on: date
    approved: bool
    decided_on: date
    actor: str
    reason: str


class DunningNoticeSent(Aggregate.Event):
    """A reminder or dunning notice for an invoice reached a level. Fields: customer,
    invoice, level (``due-in-7``, ``due``, ``overdue-1`` … ``overdue-90``), as_of, due_on,
    outstanding, days_overdue (negative before the due date)."""

    customer: str
    invoice: str
    level: str
    as_of: date
    due_on: date
    outstanding: Decimal
    days_overdue: int


class CollectionTaskOpened(Aggregate.Event):
    """A collection task was opened for an overdue invoice. Fields: customer, task,
    invoice, level, owner, opened_on."""

    customer: str
    task: str
    invoice: str
    level: str
    owner: str
    opened_on: date


class CollectionTaskUpdated(Aggregate.Event):
    """A collection task changed owner or status. Fields: customer, task, status, owner,
    note, updated_on, actor."""

    customer: str
    task: str
    status: str
    owner: str
    note: str
    updated_on: date
    actor: str


class LimitChangeProposed(Aggregate.Event):
    """The limit policy proposed a new limit from the scorecard. Fields: proposal, current,
    proposed, score, factors (each factor's value and points), reason, as_of."""

    proposal: str
    current: Decimal
    proposed: Decimal
    score: int
    factors: list[dict[str, Any]]
    reason: str
    as_of: date


class LimitChangeDecided(Aggregate.Event):
    """Finance accepted or rejected a proposed limit change. Fields: proposal, accepted,
    actor, reason."""

    proposal: str
    accepted: bool
    actor: str
    reason: str


stored_under(CreditAccountOpened, "ledger.domain.credit_events")  # its module in 0.1.0
