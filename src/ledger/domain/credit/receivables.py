"""Receivables as one account holds them: an invoice's balance with its dated movements,
and the figures that follow from a set of invoices (open, overdue, ageing, DSO)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from ledger.domain.credit.rules import BUCKETS, bucket
from ledger.domain.money import ZERO


@dataclass
class InvoiceBalance:
    """One invoice of an account and what has happened to it since.

    Attributes:
        invoice: the invoice number.
        order: the order it bills.
        amount: the invoiced amount.
        issued_on: its date.
        due_on: when it falls due.
        paid, credited, written_off: what settled it so far, per kind.
        movements: (date, signed amount) of the invoice and each settlement, in order.
        settled_on: the date its open amount reached zero (None while open).
    """

    invoice: str
    order: str
    amount: Decimal
    issued_on: date
    due_on: date
    paid: Decimal = ZERO
    credited: Decimal = ZERO
    written_off: Decimal = ZERO
    movements: list[tuple[date, Decimal]] = field(default_factory=list)
    settled_on: date | None = None

    @property
    def outstanding(self) -> Decimal:
        """What the customer still owes on it."""
        return self.amount - self.paid - self.credited - self.written_off

    def outstanding_on(self, day: date) -> Decimal:
        """What was owed on it at the end of ``day`` (nothing before it was issued)."""
        return sum((amount for on, amount in self.movements if on <= day), ZERO)

    def settle(self, kind: str, amount: Decimal, on: date) -> None:
        """Book a payment, credit or write-off against it (state change of an event)."""
        setattr(self, kind, getattr(self, kind) + amount)
        self.movements.append((on, -amount))
        if self.outstanding == 0 and self.settled_on is None:
            self.settled_on = on


@dataclass(frozen=True)
class DunningNotice:
    """A reminder or dunning notice for one invoice, as it read on the day it was sent.

    Attributes:
        customer: the customer's party code.
        invoice: the invoice it is about.
        level: ``due-in-7``, ``due``, ``overdue-1`` … ``overdue-90``.
        as_of: the day it was sent.
        due_on: the invoice's due date.
        outstanding: what was owed on the invoice at the end of ``as_of``.
        days_overdue: ``as_of`` less ``due_on`` in days (negative before the due date).
    """

    customer: str
    invoice: str
    level: str
    as_of: date
    due_on: date
    outstanding: Decimal
    days_overdue: int

    @classmethod
    def of(cls, customer: str, balance: InvoiceBalance, level: str, as_of: date) -> DunningNotice:
        """The notice of ``level`` for ``balance``'s invoice, as it reads on ``as_of``."""
        due_on = balance.due_on
        outstanding = balance.outstanding_on(as_of)
        return cls(
            customer, balance.invoice, level, as_of, due_on, outstanding, (as_of - due_on).days
        )


def oldest_first(invoices: Iterable[InvoiceBalance]) -> list[InvoiceBalance]:
    """Open invoices in the order cash is applied: earliest due first, then issue, number."""
    open_ones = [inv for inv in invoices if inv.outstanding > 0]
    return sorted(open_ones, key=lambda inv: (inv.due_on, inv.issued_on, inv.invoice))


def allocate_oldest_first(invoices: Iterable[InvoiceBalance], cash: Decimal) -> dict[str, Decimal]:
    """Spread ``cash`` over the open invoices oldest first; what is left is not allocated."""
    allocations: dict[str, Decimal] = {}
    for inv in oldest_first(invoices):
        if cash <= 0:
            break
        share = min(cash, inv.outstanding)
        allocations[inv.invoice] = share
        cash -= share
    return allocations


def overdue(invoices: Iterable[InvoiceBalance], on: date) -> tuple[Decimal, int]:
    """The amount past due on ``on`` and the days the oldest overdue invoice is late."""
    amount, oldest = ZERO, 0
    for inv in invoices:
        owed = inv.outstanding_on(on)
        if owed > 0 and inv.due_on < on:
            amount += owed
            oldest = max(oldest, (on - inv.due_on).days)
    return amount, oldest


def ageing(invoices: Iterable[InvoiceBalance], on: date) -> dict[str, Decimal]:
    """Open amounts at the end of ``on`` per ageing bucket (every bucket present)."""
    buckets = dict.fromkeys(BUCKETS, ZERO)
    for inv in invoices:
        owed = inv.outstanding_on(on)
        if owed:
            buckets[bucket((on - inv.due_on).days)] += owed
    return buckets


def days_sales_outstanding(
    invoices: Mapping[str, InvoiceBalance], on: date, *, window_days: int = 90
) -> Decimal | None:
    """DSO on ``on``: receivables / sales of the last ``window_days`` x the window, in days
    (one decimal); None when nothing was invoiced in the window."""
    start = on - timedelta(days=window_days)
    sales = sum((inv.amount for inv in invoices.values() if start < inv.issued_on <= on), ZERO)
    if sales == 0:
        return None
    owed = sum((inv.outstanding_on(on) for inv in invoices.values()), ZERO)
    return (owed / sales * window_days).quantize(Decimal("0.1"))
