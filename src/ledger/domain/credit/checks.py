"""A credit account's decisions on its orders: the credit check, a reviewer's decision, and
the reservation a cancelled order gives back.

These are commands of ``CreditAccount``, written out of its class and bound in it
(``CreditAccount.check_credit`` is ``check_credit`` here): each decides, then records
through one of the account's ``_record_*`` methods.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from ledger.domain.credit.errors import CurrencyMismatch, NothingPending, ReferenceAlreadyBooked
from ledger.domain.credit.rules import CreditOutcome, CreditRule, decide_credit
from ledger.domain.money import ZERO
from ledger.domain.values import parse_text

if TYPE_CHECKING:
    from ledger.domain.credit.account import CreditAccount


def check_credit(
    self: CreditAccount, *, order: str, amount: Decimal, currency: str, on: date, actor: str
) -> CreditRule:
    """Decide an order's credit and record the decision with the figures it used."""
    if currency != self.currency:
        raise CurrencyMismatch(self.customer, self.currency, currency)
    if order in self.decisions:
        raise ReferenceAlreadyBooked(self.customer, order)
    figures = self.figures(amount, on)
    rule = decide_credit(figures)
    self._record_check(
        order=order,
        amount=amount,
        outcome=rule.outcome.value,
        rule=rule.id,
        rule_text=rule.text,
        grade=figures.grade,
        limit=figures.limit,
        open_receivables=figures.open_receivables,
        open_orders=figures.open_orders,
        exposure=figures.exposure,
        available=figures.available,
        overdue_amount=figures.overdue_amount,
        oldest_overdue_days=figures.oldest_overdue_days,
        tolerance_days=figures.tolerance_days,
        tolerance_amount=figures.tolerance_amount,
        checked_on=on,
        actor=actor,
    )
    return rule


def review_order(
    self: CreditAccount, *, order: str, approve: bool, actor: str, reason: str
) -> None:
    """Finance approves or rejects a held (or prepayment) order by hand, with a reason."""
    if self.decisions.get(order) not in (CreditOutcome.HELD, CreditOutcome.PREPAYMENT_REQUIRED):
        raise NothingPending(self.customer, "credit review of order", order)
    outcome = CreditOutcome.APPROVED if approve else CreditOutcome.REJECTED
    released = ZERO if approve else self.reservations.get(order, ZERO)
    self._record_review(
        order=order,
        outcome=outcome.value,
        released=released,
        actor=parse_text("actor", actor),
        reason=parse_text("reason", reason),
    )


def release_reservation(self: CreditAccount, *, order: str, actor: str, reason: str) -> None:
    """Give back a cancelled order's reservation (nothing to do when it has none)."""
    amount = self.reservations.get(order)
    if amount is not None:
        self._record_release(order=order, amount=amount, reason=reason, actor=actor)
