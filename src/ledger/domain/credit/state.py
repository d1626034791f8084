"""What a ``CreditAccount`` knows, the figures it answers from that knowledge, and the steps
its events take on it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ledger.domain.credit.events import Allocation
from ledger.domain.credit.profile import CreditProfile
from ledger.domain.credit.receivables import (
    DunningNotice,
    InvoiceBalance,
    ageing,
    days_sales_outstanding,
    overdue,
)
from ledger.domain.credit.rules import CreditFigures
from ledger.domain.credit.score import Scorecard, ScoreInputs, score
from ledger.domain.money import ZERO

OVERDUE_HISTORY_DAYS = 365
"""How far back the scorecard counts late dunning notices."""


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

    limit: Decimal

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

    def _take_profile(self, profile: CreditProfile) -> None:
        # Each term is an attribute of the account itself, as the account has always held it.
        self.grade = profile.grade
        self.terms_days = profile.terms_days
        self.tolerance_days = profile.tolerance_days
        self.tolerance_amount = profile.tolerance_amount
        self.prepay_before_ship = profile.prepay_before_ship
        self.collector = profile.collector

    # Queries -----------------------------------------------------------------------------

    @property
    def profile(self) -> CreditProfile:
        """The terms apart from the limit, as one value."""
        return CreditProfile(
            self.grade,
            self.terms_days,
            self.tolerance_days,
            self.tolerance_amount,
            self.prepay_before_ship,
            self.collector,
        )

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

    def notice_sent(self, invoice: str, level: str) -> DunningNotice | None:
        """The notice of ``level`` sent for ``invoice``, as it read that day (None: not sent)."""
        sent_on = self.notices.get((invoice, level))
        if sent_on is None:
            return None
        return DunningNotice.of(self.customer, self.invoices[invoice], level, sent_on)

    def figures(
        self, order_amount: Decimal, on: date, *, excluding: str | None = None
    ) -> CreditFigures:
        """The figures a credit check for an order of ``order_amount`` looks at on ``on``."""
        owed, oldest = overdue(self.invoices.values(), on)
        return CreditFigures(
            grade=self.grade,
            limit=self.limit,
            open_receivables=self.open_receivables,
            open_orders=sum(
                (amount for order, amount in self.reservations.items() if order != excluding),
                ZERO,
            ),
            order_amount=order_amount,
            overdue_amount=owed,
            oldest_overdue_days=oldest,
            tolerance_days=self.tolerance_days,
            tolerance_amount=self.tolerance_amount,
            prepay_before_ship=self.prepay_before_ship,
        )

    def scorecard(self, as_of: date) -> Scorecard:
        """The account's risk score on ``as_of``, factor by factor."""
        since = as_of - timedelta(days=OVERDUE_HISTORY_DAYS)
        late_notices = sum(
            1
            for (_invoice, level), on in self.notices.items()
            if since < on <= as_of
            and level.startswith("overdue-")
            and int(level.removeprefix("overdue-")) >= 30
        )
        utilisation = None
        if self.limit > 0:
            utilisation = (self.exposure / self.limit).quantize(Decimal("0.01"))
        return score(
            ScoreInputs(
                grade=self.grade,
                on_time_ratio=self.on_time_ratio(),
                dso=self.dso(as_of),
                dso_before=self.dso(as_of - timedelta(days=90)),
                utilisation=utilisation,
                overdue_notices=late_notices,
                terms_days=self.terms_days,
            )
        )

    # Steps its events take ---------------------------------------------------------------

    def _book(
        self,
        reference: str,
        kind: str,
        allocations: list[Allocation],
        on: date,
        unapplied: Decimal,
    ) -> None:
        self.references.add(reference)
        for share in allocations:
            self.invoices[share["invoice"]].settle(kind, share["amount"], on)
        self.unapplied += unapplied
