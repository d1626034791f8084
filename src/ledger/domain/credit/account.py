"""The ``CreditAccount`` aggregate: one customer's credit profile, the credit decisions on
its orders and its receivables. It is the consistency boundary of the credit check: an
order is saved together with the account, so two orders decided on one version of the
account cannot both be saved.

Its commands come in two parts: this module (profile, credit checks, invoices and cash)
and ``CreditCollection`` (dunning sweep, collection tasks, scorecard and limit proposals).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from ledger.domain.credit import events as ev
from ledger.domain.credit.collection import CreditCollection
from ledger.domain.credit.errors import (
    AllocationExceedsPayment,
    CurrencyMismatch,
    NothingPending,
    OverAllocation,
    ReferenceAlreadyBooked,
    SameApprover,
    UnknownInvoice,
)
from ledger.domain.credit.receivables import InvoiceBalance, allocate_oldest_first, overdue
from ledger.domain.credit.rules import (
    GRADES,
    PREPAY_GRADES,
    CreditFigures,
    CreditOutcome,
    CreditRule,
    decide_credit,
)
from ledger.domain.errors import InvalidValue
from ledger.domain.money import ZERO, parse_amount, parse_currency
from ledger.domain.topics import stored_under
from ledger.domain.values import LEDGER_NAMESPACE, parse_text


def credit_account_id(customer: str) -> UUID:
    """The permanent id of a customer's credit account: uuid5 of the party code."""
    return uuid5(LEDGER_NAMESPACE, f"credit-account|{customer}")


def _grade(grade: str) -> str:
    if grade not in GRADES:
        raise InvalidValue("grade", f"one of {', '.join(GRADES)}")
    return grade


def _days(field: str, value: int, *, maximum: int = 365) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise InvalidValue(field, f"whole days from 0 to {maximum}")
    return value


class CreditAccount(CreditCollection, Aggregate):
    """A customer's credit: see ``CreditState`` for its attributes. Topics of its events
    are ``ledger.domain.credit:CreditAccount.<Event>`` (``CreditAccountOpened`` under its
    own class)."""

    # The library turns only the @event methods in the aggregate's own namespace into event
    # classes, so the collection part's recording methods are listed here.
    _record_notice = vars(CreditCollection)["_record_notice"]
    _record_task_opened = vars(CreditCollection)["_record_task_opened"]
    _record_task_update = vars(CreditCollection)["_record_task_update"]
    _record_proposal = vars(CreditCollection)["_record_proposal"]
    _record_proposal_decision = vars(CreditCollection)["_record_proposal_decision"]
    _record_limit = vars(CreditCollection)["_record_limit"]

    CreditProfileChanged = ev.CreditProfileChanged
    OrderCreditChecked = ev.OrderCreditChecked
    OrderCreditReviewed = ev.OrderCreditReviewed
    ReservationReleased = ev.ReservationReleased
    InvoiceRaised = ev.InvoiceRaised
    PaymentReceived = ev.PaymentReceived
    CreditNoteIssued = ev.CreditNoteIssued
    UnappliedCashAllocated = ev.UnappliedCashAllocated
    WriteOffRequested = ev.WriteOffRequested
    WriteOffDecided = ev.WriteOffDecided

    @staticmethod
    def create_id(customer: str, **_: Any) -> UUID:
        """Accounts are found by customer code, so the id is derived from it."""
        return credit_account_id(customer)

    @classmethod
    def open(
        cls,
        *,
        customer: str,
        currency: str,
        grade: str,
        limit: Decimal,
        terms_days: int,
        actor: str,
        reason: str,
        tolerance_days: int = 0,
        tolerance_amount: Decimal = ZERO,
        prepay_before_ship: bool | None = None,
        collector: str = "finance",
    ) -> CreditAccount:
        """Open a customer's account; grades in ``PREPAY_GRADES`` prepay unless told."""
        customer = parse_text("customer", customer)
        currency = parse_currency(currency)
        grade = _grade(grade)
        return cls._create(
            ev.CreditAccountOpened,
            id=credit_account_id(customer),
            customer=customer,
            currency=currency,
            grade=grade,
            limit=parse_amount("limit", limit, currency, allow_zero=True),
            terms_days=_days("terms_days", terms_days),
            tolerance_days=_days("tolerance_days", tolerance_days),
            tolerance_amount=parse_amount(
                "tolerance_amount", tolerance_amount, currency, allow_zero=True
            ),
            prepay_before_ship=(
                grade in PREPAY_GRADES if prepay_before_ship is None else prepay_before_ship
            ),
            collector=parse_text("collector", collector),
            actor=parse_text("actor", actor),
            reason=parse_text("reason", reason),
        )

    @event(ev.CreditAccountOpened)
    def __init__(
        self,
        *,
        customer: str,
        currency: str,
        grade: str,
        limit: Decimal,
        terms_days: int,
        tolerance_days: int,
        tolerance_amount: Decimal,
        prepay_before_ship: bool,
        collector: str,
        actor: str,
        reason: str,
    ) -> None:
        self._start(customer, currency)
        self.grade = grade
        self.limit = limit
        self.terms_days = terms_days
        self.tolerance_days = tolerance_days
        self.tolerance_amount = tolerance_amount
        self.prepay_before_ship = prepay_before_ship
        self.collector = collector

    # Profile ---------------------------------------------------------------------------

    def change_profile(self, *, actor: str, reason: str, **changes: Any) -> None:
        """Change the grade, terms, tolerance, prepayment rule or collector (named ones)."""
        known = {
            "grade",
            "terms_days",
            "tolerance_days",
            "tolerance_amount",
            "prepay_before_ship",
            "collector",
        }
        unknown = set(changes) - known
        if unknown:
            raise InvalidValue(sorted(unknown)[0], "not a field of the credit profile")
        current = {name: getattr(self, name) for name in known}
        given = {name: value for name, value in changes.items() if value is not None}
        new = {**current, **given}
        self._record_profile(
            grade=_grade(new["grade"]),
            terms_days=_days("terms_days", new["terms_days"]),
            tolerance_days=_days("tolerance_days", new["tolerance_days"]),
            tolerance_amount=parse_amount(
                "tolerance_amount", new["tolerance_amount"], self.currency, allow_zero=True
            ),
            prepay_before_ship=bool(new["prepay_before_ship"]),
            collector=parse_text("collector", new["collector"]),
            actor=parse_text("actor", actor),
            reason=parse_text("reason", reason),
        )

    @event(ev.CreditProfileChanged)
    def _record_profile(
        self,
        *,
        grade: str,
        terms_days: int,
        tolerance_days: int,
        tolerance_amount: Decimal,
        prepay_before_ship: bool,
        collector: str,
        actor: str,
        reason: str,
    ) -> None:
        self.grade = grade
        self.terms_days = terms_days
        self.tolerance_days = tolerance_days
        self.tolerance_amount = tolerance_amount
        self.prepay_before_ship = prepay_before_ship
        self.collector = collector

    def change_limit(
        self, *, limit: Decimal, actor: str, reason: str, proposal: str | None = None
    ) -> None:
        """Set a new credit limit."""
        self._record_limit(
            previous=self.limit,
            limit=parse_amount("limit", limit, self.currency, allow_zero=True),
            proposal=proposal,
            actor=parse_text("actor", actor),
            reason=parse_text("reason", reason),
        )

    # Credit checks ---------------------------------------------------------------------

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

    def check_credit(
        self, *, order: str, amount: Decimal, currency: str, on: date, actor: str
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

    @event(ev.OrderCreditChecked)
    def _record_check(
        self,
        *,
        order: str,
        amount: Decimal,
        outcome: str,
        rule: str,
        rule_text: str,
        grade: str,
        limit: Decimal,
        open_receivables: Decimal,
        open_orders: Decimal,
        exposure: Decimal,
        available: Decimal,
        overdue_amount: Decimal,
        oldest_overdue_days: int,
        tolerance_days: int,
        tolerance_amount: Decimal,
        checked_on: date,
        actor: str,
    ) -> None:
        self.decisions[order] = outcome
        if outcome != CreditOutcome.REJECTED:
            self.reservations[order] = amount

    def review_order(self, *, order: str, approve: bool, actor: str, reason: str) -> None:
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

    @event(ev.OrderCreditReviewed)
    def _record_review(
        self, *, order: str, outcome: str, released: Decimal, actor: str, reason: str
    ) -> None:
        self.decisions[order] = outcome
        if outcome == CreditOutcome.REJECTED:
            self.reservations.pop(order, None)

    def release_reservation(self, *, order: str, actor: str, reason: str) -> None:
        """Give back a cancelled order's reservation (nothing to do when it has none)."""
        amount = self.reservations.get(order)
        if amount is not None:
            self._record_release(order=order, amount=amount, reason=reason, actor=actor)

    @event(ev.ReservationReleased)
    def _record_release(self, *, order: str, amount: Decimal, reason: str, actor: str) -> None:
        self.reservations.pop(order, None)
        self.decisions[order] = "cancelled"

    # Invoices and cash -----------------------------------------------------------------

    def raise_invoice(
        self,
        *,
        invoice: str,
        order: str,
        shipment: str,
        lines: list[dict[str, Any]],
        amount: Decimal,
        issued_on: date,
    ) -> None:
        """Invoice a shipped order; due ``terms_days`` after ``issued_on``."""
        if invoice in self.invoices:
            raise ReferenceAlreadyBooked(self.customer, invoice)
        self._record_invoice(
            customer=self.customer,
            invoice=invoice,
            order=order,
            shipment=shipment,
            amount=amount,
            currency=self.currency,
            issued_on=issued_on,
            due_on=date.fromordinal(issued_on.toordinal() + self.terms_days),
            lines=lines,
            released=self.reservations.get(order, ZERO),
        )

    @event(ev.InvoiceRaised)
    def _record_invoice(
        self,
        *,
        customer: str,
        invoice: str,
        order: str,
        shipment: str,
        amount: Decimal,
        currency: str,
        issued_on: date,
        due_on: date,
        lines: list[dict[str, Any]],
        released: Decimal,
    ) -> None:
        self.reservations.pop(order, None)
        self.decisions[order] = "invoiced"
        self.invoices[invoice] = InvoiceBalance(
            invoice, order, amount, issued_on, due_on, movements=[(issued_on, amount)]
        )

    def _allocations(
        self, reference: str, cash: Decimal, named: Mapping[str, Decimal] | None
    ) -> list[ev.Allocation]:
        """Where ``cash`` goes: to the named invoices, or oldest first when none are named."""
        if named is None:
            shares = allocate_oldest_first(self.invoices.values(), cash)
        else:
            shares = {}
            for invoice, value in named.items():
                balance = self.invoices.get(invoice)
                if balance is None:
                    raise UnknownInvoice(self.customer, invoice)
                share = parse_amount(f"allocations.{invoice}", value, self.currency)
                if share > balance.outstanding:
                    raise OverAllocation(invoice, share, balance.outstanding)
                shares[invoice] = share
            allocated = sum(shares.values(), ZERO)
            if allocated > cash:
                raise AllocationExceedsPayment(reference, cash, allocated)
        return [
            {"invoice": invoice, "amount": share, "due_on": self.invoices[invoice].due_on}
            for invoice, share in shares.items()
        ]

    def _new_reference(self, field: str, reference: str) -> str:
        reference = parse_text(field, reference)
        if reference in self.references:
            raise ReferenceAlreadyBooked(self.customer, reference)
        return reference

    def receive_payment(
        self,
        *,
        payment: str,
        amount: Decimal,
        currency: str,
        received_on: date,
        actor: str,
        allocations: Mapping[str, Decimal] | None = None,
    ) -> None:
        """Book a payment: to the named invoices or oldest first; the rest stays unapplied."""
        payment = self._new_reference("payment", payment)
        if parse_currency(currency) != self.currency:
            raise CurrencyMismatch(self.customer, self.currency, currency)
        cash = parse_amount("amount", amount, self.currency)
        shares = self._allocations(payment, cash, allocations)
        self._record_payment(
            customer=self.customer,
            payment=payment,
            amount=cash,
            currency=self.currency,
            received_on=received_on,
            allocations=shares,
            unapplied=cash - sum((a["amount"] for a in shares), ZERO),
            actor=actor,
        )

    @event(ev.PaymentReceived)
    def _record_payment(
        self,
        *,
        customer: str,
        payment: str,
        amount: Decimal,
        currency: str,
        received_on: date,
        allocations: list[ev.Allocation],
        unapplied: Decimal,
        actor: str,
    ) -> None:
        self._book(payment, "paid", allocations, received_on, unapplied)

    def issue_credit_note(
        self,
        *,
        credit_note: str,
        amount: Decimal,
        issued_on: date,
        reason: str,
        actor: str,
        allocations: Mapping[str, Decimal] | None = None,
    ) -> None:
        """Credit the customer: to the named invoices or oldest first; the rest on account."""
        credit_note = self._new_reference("credit_note", credit_note)
        credit = parse_amount("amount", amount, self.currency)
        shares = self._allocations(credit_note, credit, allocations)
        self._record_credit_note(
            customer=self.customer,
            credit_note=credit_note,
            amount=credit,
            issued_on=issued_on,
            allocations=shares,
            unapplied=credit - sum((a["amount"] for a in shares), ZERO),
            reason=parse_text("reason", reason),
            actor=actor,
        )

    @event(ev.CreditNoteIssued)
    def _record_credit_note(
        self,
        *,
        customer: str,
        credit_note: str,
        amount: Decimal,
        issued_on: date,
        allocations: list[ev.Allocation],
        unapplied: Decimal,
        reason: str,
        actor: str,
    ) -> None:
        self._book(credit_note, "credited", allocations, issued_on, unapplied)

    def allocate_unapplied(
        self,
        *,
        reference: str,
        applied_on: date,
        actor: str,
        allocations: Mapping[str, Decimal] | None = None,
    ) -> None:
        """Apply cash or credit kept on account to invoices (named, or oldest first)."""
        reference = self._new_reference("reference", reference)
        shares = self._allocations(reference, self.unapplied, allocations)
        if not shares:
            raise InvalidValue("allocations", "no unapplied cash or no open invoice to apply")
        self._record_cash_applied(
            customer=self.customer,
            reference=reference,
            applied_on=applied_on,
            allocations=shares,
            actor=actor,
        )

    @event(ev.UnappliedCashAllocated)
    def _record_cash_applied(
        self,
        *,
        customer: str,
        reference: str,
        applied_on: date,
        allocations: list[ev.Allocation],
        actor: str,
    ) -> None:
        self._book(reference, "paid", allocations, applied_on, ZERO)
        self.unapplied -= sum((a["amount"] for a in allocations), ZERO)

    def _book(
        self,
        reference: str,
        kind: str,
        allocations: list[ev.Allocation],
        on: date,
        unapplied: Decimal,
    ) -> None:
        self.references.add(reference)
        for share in allocations:
            self.invoices[share["invoice"]].settle(kind, share["amount"], on)
        self.unapplied += unapplied

    def request_write_off(
        self,
        *,
        write_off: str,
        invoice: str,
        amount: Decimal,
        requested_on: date,
        actor: str,
        reason: str,
    ) -> None:
        """Ask for part of an invoice to be written off as bad debt (finance approves)."""
        write_off = self._new_reference("write_off", write_off)
        balance = self.invoices.get(invoice)
        if balance is None:
            raise UnknownInvoice(self.customer, invoice)
        share = parse_amount("amount", amount, self.currency)
        pending = sum(
            (w["amount"] for w in self.write_offs.values() if w["invoice"] == invoice), ZERO
        )
        if share > balance.outstanding - pending:
            raise OverAllocation(invoice, share, balance.outstanding - pending)
        self._record_write_off_request(
            customer=self.customer,
            write_off=write_off,
            invoice=invoice,
            amount=share,
            requested_on=requested_on,
            actor=parse_text("actor", actor),
            reason=parse_text("reason", reason),
        )

    @event(ev.WriteOffRequested)
    def _record_write_off_request(
        self,
        *,
        customer: str,
        write_off: str,
        invoice: str,
        amount: Decimal,
        requested_on: date,
        actor: str,
        reason: str,
    ) -> None:
        self.references.add(write_off)
        self.write_offs[write_off] = {"invoice": invoice, "amount": amount, "actor": actor}

    def decide_write_off(
        self, *, write_off: str, approve: bool, decided_on: date, actor: str, reason: str
    ) -> None:
        """Approve (the receivable is reduced) or reject a write-off; not by its requester."""
        pending = self.write_offs.get(write_off)
        if pending is None:
            raise NothingPending(self.customer, "write-off", write_off)
        if pending["actor"] == actor:
            raise SameApprover(write_off, actor)
        balance = self.invoices[pending["invoice"]]
        if approve and pending["amount"] > balance.outstanding:
            raise OverAllocation(balance.invoice, pending["amount"], balance.outstanding)
        self._record_write_off_decision(
            customer=self.customer,
            write_off=write_off,
            invoice=balance.invoice,
            amount=pending["amount"],
            due_on=balance.due_on,
            approved=approve,
            decided_on=decided_on,
            actor=parse_text("actor", actor),
            reason=parse_text("reason", reason),
        )

    @event(ev.WriteOffDecided)
    def _record_write_off_decision(
        self,
        *,
        customer: str,
        write_off: str,
        invoice: str,
        amount: Decimal,
        due_on: date,
        approved: bool,
        decided_on: date,
        actor: str,
        reason: str,
    ) -> None:
        del self.write_offs[write_off]
        if approved:
            self.invoices[invoice].settle("written_off", amount, decided_on)


stored_under(CreditAccount, "ledger.domain.credit")  # its module in 0.1.0
