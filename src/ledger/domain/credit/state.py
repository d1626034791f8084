"""What a ``CreditAccount`` knows, and the figures it answers from that knowledge."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ledger.domain.credit.receivables import InvoiceBalance, ageing, days_sales_outstanding
from ledger.domain.money import ZERO


class CreditState:
    """A customer's credit account as its events have left it.

    Attributes:
        customer: the customer's party code.
        currency: the account's currency; orders and payments must be in it.
        grade, limit, terms_days, tolerance_days, tolerance_amount, prepay_before_ship,
        collector: the credit profile.
        decisions: each order's credit state (approved, held, prepayment_required,
            rejected, cancelled, invoiced).
        reservations: amount reserved per open (unshipped) order.
        invoices: every invoice with its balance and dated movements.
        unapplied: cash and credit kept on account, not yet applied to invoices.
        references: payment, credit-note, write-off and allocation references booked.
        write_offs: write-offs awaiting approval (invoice, amount, requester).
        notices: (invoice, level) of every dunning notice sent, with its date.
        tasks: collection tasks by id (invoice, level, owner, status).
        proposals: open limit proposals by id (proposed limit).
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

    def _start(self, customer: str, currency: str) -> None:
        self.customer = customer
        self.currency = currency
        self.decisions: dict[str, str] = {}
        self.reservations: dict[str, Decimal] = {}
        self.invoices: dict[str, InvoiceBalance] = {}
        self.unapplied = ZERO
        self.references: set[str] = set()
        self.write_offs: dict[str, dict[str, Any]] = {}
        self.notices: dict[tuple[str, str], date] = {}
        self.tasks: dict[str, dict[str, Any]] = {}
        self.proposals: dict[str, Decimal] = {}

    @property
    def open_receivables(self) -> Decimal:
        """Invoiced and not yet paid, credited or written off."""
        return sum((inv.outstanding for inv in self.invoices.values()), ZERO)

    @property
    def open_orders(self) -> Decimal:
        """Reserved for open, unshipped orders."""
        return sum(self.reservations.values(), ZERO)

    @property
    def exposure(self) -> Decimal:
        """Open receivables plus open orders."""
        return self.open_receivables + self.open_orders

    @property
    def available(self) -> Decimal:
        """The limit less the exposure (negative when over the limit)."""
        return self.limit - self.exposure

    def ageing(self, on: date) -> dict[str, Decimal]:
        """Open amounts per ageing bucket at the end of ``on``."""
        return ageing(self.invoices.values(), on)

    def dso(self, on: date) -> Decimal | None:
        """Days sales outstanding on ``on`` (90-day window)."""
        return days_sales_outstanding(self.invoices, on)

    def on_time_ratio(self) -> Decimal | None:
        """Share of settled invoices settled by their due date (None: none settled)."""
        settled = [inv for inv in self.invoices.values() if inv.settled_on is not None]
        if not settled:
            return None
        prompt = sum(1 for inv in settled if inv.settled_on and inv.settled_on <= inv.due_on)
        return (Decimal(prompt) / len(settled)).quantize(Decimal("0.01"))
