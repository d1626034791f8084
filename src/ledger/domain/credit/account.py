"""The ``CreditAccount`` aggregate: one customer's credit profile, the credit decisions on
its orders and its receivables. It is the consistency boundary of the credit check: an
order is saved together with the account, so two orders decided on one version of the
account cannot both be saved.

Decide, then record. Each command decides in the module of its part and then calls one of
the ``_record_*`` methods here, whose bodies only change the state (they run again on every
replay): ``profile`` (grade, terms, limit), ``checks`` (credit decisions on orders),
``billing`` (invoices, cash, credit notes, write-offs) and ``collection`` (dunning,
collection tasks, limit proposals). The library makes an event class only of the
``@event`` methods in the aggregate's own class body, so every recording method is here.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from ledger.domain.credit import billing, checks, collection, profile
from ledger.domain.credit import events as ev
from ledger.domain.credit.billing import allocated
from ledger.domain.credit.profile import CreditProfile, parse_grade
from ledger.domain.credit.receivables import InvoiceBalance
from ledger.domain.credit.rules import PREPAY_GRADES, CreditOutcome
from ledger.domain.credit.state import CreditState
from ledger.domain.money import ZERO, parse_amount, parse_currency
from ledger.domain.topics import stored_under
from ledger.domain.values import LEDGER_NAMESPACE, parse_text


def credit_account_id(customer: str) -> UUID:
    """The permanent id of a customer's credit account: uuid5 of the party code."""
    return uuid5(LEDGER_NAMESPACE, f"credit-account|{customer}")


class CreditAccount(CreditState, Aggregate):
    """A customer's credit: see ``CreditState`` for its attributes. Topics of its events
    are ``ledger.domain.credit:CreditAccount.<Event>`` (``CreditAccountOpened`` under its
    own class)."""

    # Commands: each is a function ``(self: CreditAccount, ...)`` in its part's module, bound
    # here. A mixin's method could not take ``CreditAccount`` as its self type (mypy refuses a
    # self type that is not a supertype of its class), so its calls of the recording methods
    # below would go unchecked.

    change_profile = profile.change_profile
    change_limit = profile.change_limit

    check_credit = checks.check_credit
    review_order = checks.review_order
    release_reservation = checks.release_reservation

    raise_invoice = billing.raise_invoice
    receive_payment = billing.receive_payment
    issue_credit_note = billing.issue_credit_note
    allocate_unapplied = billing.allocate_unapplied
    request_write_off = billing.request_write_off
    decide_write_off = billing.decide_write_off

    sweep = collection.sweep
    update_collection_task = collection.update_collection_task
    propose_limit_change = collection.propose_limit_change
    decide_limit_change = collection.decide_limit_change

    # Events: the library finds each class named in @event on the aggregate class.

    CreditProfileChanged = ev.CreditProfileChanged
    CreditLimitChanged = ev.CreditLimitChanged
    OrderCreditChecked = ev.OrderCreditChecked
    OrderCreditReviewed = ev.OrderCreditReviewed
    ReservationReleased = ev.ReservationReleased
    InvoiceRaised = ev.InvoiceRaised
    PaymentReceived = ev.PaymentReceived
    CreditNoteIssued = ev.CreditNoteIssued
    UnappliedCashAllocated = ev.UnappliedCashAllocated
    WriteOffRequested = ev.WriteOffRequested
    WriteOffDecided = ev.WriteOffDecided
    DunningNoticeSent = ev.DunningNoticeSent
    CollectionTaskOpened = ev.CollectionTaskOpened
    CollectionTaskUpdated = ev.CollectionTaskUpdated
    LimitChangeProposed = ev.LimitChangeProposed
    LimitChangeDecided = ev.LimitChangeDecided

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
        grade = parse_grade(grade)
        limit = parse_amount("limit", limit, currency, allow_zero=True)
        if prepay_before_ship is None:
            prepay_before_ship = grade in PREPAY_GRADES
        profile = CreditProfile(
            grade, terms_days, tolerance_days, tolerance_amount, prepay_before_ship, collector
        )
        return cls._create(
            ev.CreditAccountOpened,
            id=credit_account_id(customer),
            customer=customer,
            currency=currency,
            limit=limit,
            **asdict(profile.parsed(currency)),
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
        self.limit = limit
        self._take_profile(
            CreditProfile(
                grade, terms_days, tolerance_days, tolerance_amount, prepay_before_ship, collector
            )
        )

    # Profile -------------------------------------------------------------------------------

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
        self._take_profile(
            CreditProfile(
                grade, terms_days, tolerance_days, tolerance_amount, prepay_before_ship, collector
            )
        )

    @event(ev.CreditLimitChanged)
    def _record_limit(
        self, *, previous: Decimal, limit: Decimal, proposal: str | None, actor: str, reason: str
    ) -> None:
        self.limit = limit

    # Credit decisions on orders ------------------------------------------------------------

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

    @event(ev.OrderCreditReviewed)
    def _record_review(
        self, *, order: str, outcome: str, released: Decimal, actor: str, reason: str
    ) -> None:
        self.decisions[order] = outcome
        if outcome == CreditOutcome.REJECTED:
            self.reservations.pop(order, None)

    @event(ev.ReservationReleased)
    def _record_release(self, *, order: str, amount: Decimal, reason: str, actor: str) -> None:
        self.reservations.pop(order, None)
        self.decisions[order] = "cancelled"

    # Receivables ---------------------------------------------------------------------------

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
        self.unapplied -= allocated(allocations)

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

    # Collection ----------------------------------------------------------------------------

    @event(ev.DunningNoticeSent)
    def _record_notice(
        self,
        *,
        customer: str,
        invoice: str,
        level: str,
        as_of: date,
        due_on: date,
        outstanding: Decimal,
        days_overdue: int,
    ) -> None:
        self.notices[(invoice, level)] = as_of

    @event(ev.CollectionTaskOpened)
    def _record_task_opened(
        self, *, customer: str, task: str, invoice: str, level: str, owner: str, opened_on: date
    ) -> None:
        self.tasks[task] = {"invoice": invoice, "level": level, "owner": owner, "status": "open"}

    @event(ev.CollectionTaskUpdated)
    def _record_task_update(
        self,
        *,
        customer: str,
        task: str,
        status: str,
        owner: str,
        note: str,
        updated_on: date,
        actor: str,
    ) -> None:
        self.tasks[task] = {**self.tasks[task], "status": status, "owner": owner}

    @event(ev.LimitChangeProposed)
    def _record_proposal(
        self,
        *,
        proposal: str,
        current: Decimal,
        proposed: Decimal,
        score: int,
        factors: list[dict[str, Any]],
        reason: str,
        as_of: date,
    ) -> None:
        self.proposals[proposal] = proposed

    @event(ev.LimitChangeDecided)
    def _record_proposal_decision(
        self, *, proposal: str, accepted: bool, actor: str, reason: str
    ) -> None:
        del self.proposals[proposal]
        self.references.add(proposal)


stored_under(CreditAccount, "ledger.domain.credit")  # its module in 0.1.0
