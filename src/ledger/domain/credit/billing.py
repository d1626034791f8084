"""A credit account's receivables: invoices raised, cash and credit notes applied to them,
cash kept on account, and write-offs.

These are commands of ``CreditAccount``, written out of its class and bound in it
(``CreditAccount.receive_payment`` is ``receive_payment`` here): each decides, then records
through one of the account's ``_record_*`` methods.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ledger.domain.credit.errors import (
    AllocationExceedsPayment,
    CurrencyMismatch,
    NothingPending,
    OverAllocation,
    ReferenceAlreadyBooked,
    SameApprover,
    UnknownInvoice,
)
from ledger.domain.credit.events import Allocation
from ledger.domain.credit.receivables import InvoiceBalance, allocate_oldest_first
from ledger.domain.credit.state import CreditState
from ledger.domain.errors import InvalidValue
from ledger.domain.money import ZERO, parse_amount, parse_currency
from ledger.domain.values import parse_text

if TYPE_CHECKING:
    from ledger.domain.credit.account import CreditAccount


def raise_invoice(
    self: CreditAccount,
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


def receive_payment(
    self: CreditAccount,
    *,
    payment: str,
    amount: Decimal,
    currency: str,
    received_on: date,
    actor: str,
    allocations: Mapping[str, Decimal] | None = None,
) -> None:
    """Book a payment: to the named invoices or oldest first; the rest stays unapplied."""
    payment = _new_reference(self, "payment", payment)
    if parse_currency(currency) != self.currency:
        raise CurrencyMismatch(self.customer, self.currency, currency)
    cash, shares, unapplied = _share_out(self, payment, amount, allocations)
    self._record_payment(
        customer=self.customer,
        payment=payment,
        amount=cash,
        currency=self.currency,
        received_on=received_on,
        allocations=shares,
        unapplied=unapplied,
        actor=actor,
    )


def issue_credit_note(
    self: CreditAccount,
    *,
    credit_note: str,
    amount: Decimal,
    issued_on: date,
    reason: str,
    actor: str,
    allocations: Mapping[str, Decimal] | None = None,
) -> None:
    """Credit the customer: to the named invoices or oldest first; the rest on account."""
    credit_note = _new_reference(self, "credit_note", credit_note)
    credit, shares, unapplied = _share_out(self, credit_note, amount, allocations)
    self._record_credit_note(
        customer=self.customer,
        credit_note=credit_note,
        amount=credit,
        issued_on=issued_on,
        allocations=shares,
        unapplied=unapplied,
        reason=parse_text("reason", reason),
        actor=actor,
    )


def allocate_unapplied(
    self: CreditAccount,
    *,
    reference: str,
    applied_on: date,
    actor: str,
    allocations: Mapping[str, Decimal] | None = None,
) -> None:
    """Apply cash or credit kept on account to invoices (named, or oldest first)."""
    reference = _new_reference(self, "reference", reference)
    shares = _allocations(self, reference, self.unapplied, allocations)
    if not shares:
        raise InvalidValue("allocations", "no unapplied cash or no open invoice to apply")
    self._record_cash_applied(
        customer=self.customer,
        reference=reference,
        applied_on=applied_on,
        allocations=shares,
        actor=actor,
    )


def request_write_off(
    self: CreditAccount,
    *,
    write_off: str,
    invoice: str,
    amount: Decimal,
    requested_on: date,
    actor: str,
    reason: str,
) -> None:
    """Ask for part of an invoice to be written off as bad debt (finance approves)."""
    write_off = _new_reference(self, "write_off", write_off)
    balance = _invoice(self, invoice)
    share = parse_amount("amount", amount, self.currency)
    pending = sum((w["amount"] for w in self.write_offs.values() if w["invoice"] == invoice), ZERO)
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


def decide_write_off(
    self: CreditAccount, *, write_off: str, approve: bool, decided_on: date, actor: str, reason: str
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


def allocated(allocations: Iterable[Allocation]) -> Decimal:
    """The amount the allocations add up to."""
    return sum((share["amount"] for share in allocations), ZERO)


def _share_out(
    account: CreditState, reference: str, amount: Decimal, named: Mapping[str, Decimal] | None
) -> tuple[Decimal, list[Allocation], Decimal]:
    """A payment's or credit note's amount, its allocations, and the rest kept on account."""
    cash = parse_amount("amount", amount, account.currency)
    shares = _allocations(account, reference, cash, named)
    return cash, shares, cash - allocated(shares)


def _allocations(
    account: CreditState, reference: str, cash: Decimal, named: Mapping[str, Decimal] | None
) -> list[Allocation]:
    """Where ``cash`` goes: to the named invoices, or oldest first when none are named."""
    if named is None:
        shares = allocate_oldest_first(account.invoices.values(), cash)
    else:
        shares = {}
        for invoice, value in named.items():
            balance = _invoice(account, invoice)
            share = parse_amount(f"allocations.{invoice}", value, account.currency)
            if share > balance.outstanding:
                raise OverAllocation(invoice, share, balance.outstanding)
            shares[invoice] = share
        total = sum(shares.values(), ZERO)
        if total > cash:
            raise AllocationExceedsPayment(reference, cash, total)
    return [
        {"invoice": invoice, "amount": share, "due_on": account.invoices[invoice].due_on}
        for invoice, share in shares.items()
    ]


def _invoice(account: CreditState, invoice: str) -> InvoiceBalance:
    balance = account.invoices.get(invoice)
    if balance is None:
        raise UnknownInvoice(account.customer, invoice)
    return balance


def _new_reference(account: CreditState, field: str, reference: str) -> str:
    reference = parse_text(field, reference)
    if reference in account.references:
        raise ReferenceAlreadyBooked(account.customer, reference)
    return reference
