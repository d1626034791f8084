"""Use cases of orders and credit accounts: opening and changing accounts, orders with their
credit check, shipping and invoicing, cancelling. Cash, dunning and limits are in
``ledger.credit``.

Placing an order saves the ``SalesOrder`` and the customer's ``CreditAccount`` in one
transaction: the account's version is the consistency boundary, so of two orders decided
on the same version only one is saved; the other is decided again on the fresh account.
Shipping an order saves its lots, the order and the account (with the invoice) at once.
Dates of the receivables are the calendar dates of the times the client states, in the
client's own offset (a shipment at 2026-03-02T07:00+08:00 is invoiced on 2 March).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from typing import Any

from ledger.application.commands import SYSTEM, Caller, CommandOutcome, Decision, arguments_of
from ledger.application.lots import MOVEMENT_RETRIES
from ledger.application.part import LedgerPart
from ledger.domain.credit.account import CreditAccount, credit_account_id
from ledger.domain.credit.rules import CreditOutcome
from ledger.domain.errors import AlreadyRegistered, InvalidValue
from ledger.domain.money import ZERO
from ledger.domain.order import OrderLine, SalesOrder
from ledger.domain.values import Gtin, ShipmentLine, parse_text, parse_time

CREDIT_RETRIES = MOVEMENT_RETRIES
"""How many times a command on a credit account is decided again after losing a race."""


def account_view(account: CreditAccount) -> dict[str, Any]:
    """A credit account's profile and figures, JSON-ready."""
    return {
        "customer": account.customer,
        "currency": account.currency,
        "grade": account.grade,
        "limit": str(account.limit),
        "terms_days": account.terms_days,
        "tolerance_days": account.tolerance_days,
        "tolerance_amount": str(account.tolerance_amount),
        "prepay_before_ship": account.prepay_before_ship,
        "collector": account.collector,
        "open_receivables": str(account.open_receivables),
        "open_orders": str(account.open_orders),
        "exposure": str(account.exposure),
        "available": str(account.available),
        "unapplied": str(account.unapplied),
        "version": account.version,
    }


def order_view(order: SalesOrder) -> dict[str, Any]:
    """A sales order, JSON-ready."""
    return {
        "order": order.number,
        "customer": order.customer,
        "currency": order.currency,
        "amount": str(order.amount),
        "state": order.state,
        "rule": order.rule,
        "lines": [
            {k: str(v) if isinstance(v, Decimal) else v for k, v in line.items()}
            for line in order.lines
        ],
        "placed_at": order.placed_at.isoformat(),
        "shipment": order.shipment,
        "invoice": order.invoice,
    }


def _check_outcome(order: SalesOrder, account: CreditAccount) -> dict[str, Any]:
    """The answer to a placement: the order, and the figures the credit check recorded."""
    check = next(
        e for e in account.pending_events if isinstance(e, CreditAccount.OrderCreditChecked)
    )
    figures = {
        name: str(getattr(check, name))
        if isinstance(getattr(check, name), Decimal)
        else getattr(check, name)
        for name in (
            "grade",
            "limit",
            "open_receivables",
            "open_orders",
            "exposure",
            "available",
            "overdue_amount",
            "oldest_overdue_days",
            "tolerance_days",
            "tolerance_amount",
        )
    }
    return {
        **order_view(order),
        "outcome": check.outcome,
        "rule_text": check.rule_text,
        "figures": figures,
    }


class Orders(LedgerPart):
    """Use cases of credit accounts and sales orders."""

    # Credit accounts ---------------------------------------------------------------------

    def open_credit_account(
        self,
        *,
        customer: str,
        currency: str,
        grade: str,
        limit: Decimal,
        terms_days: int,
        reason: str,
        tolerance_days: int = 0,
        tolerance_amount: Decimal = ZERO,
        prepay_before_ship: bool | None = None,
        collector: str = "finance",
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Open a registered customer's credit account with its profile."""
        arguments = arguments_of(locals())

        def decide() -> Decision:
            self._ledger.party(customer)
            if self._ledger.find(credit_account_id(customer.strip()), CreditAccount):
                raise AlreadyRegistered("credit account", customer.strip())
            params = {k: v for k, v in arguments.items()}
            account = CreditAccount.open(**params, actor=caller.actor)
            return [account], account_view(account)

        return self._ledger.execute(
            "open_credit_account",
            arguments,
            caller,
            decide,
            on_duplicate=lambda: AlreadyRegistered("credit account", customer.strip()),
        )

    def change_credit_profile(
        self,
        *,
        customer: str,
        reason: str,
        grade: str | None = None,
        terms_days: int | None = None,
        tolerance_days: int | None = None,
        tolerance_amount: Decimal | None = None,
        prepay_before_ship: bool | None = None,
        collector: str | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Change a customer's grade, terms, tolerance, prepayment rule or collector."""
        arguments = arguments_of(locals())
        changes = {k: v for k, v in arguments.items() if k not in ("customer", "reason")}

        def decide() -> Decision:
            account = self._ledger.credit_account(customer)
            account.change_profile(actor=caller.actor, reason=reason, **changes)
            return [account], account_view(account)

        return self._ledger.execute(
            "change_credit_profile", arguments, caller, decide, retries=CREDIT_RETRIES
        )

    def change_credit_limit(
        self, *, customer: str, limit: Decimal, reason: str, caller: Caller = SYSTEM
    ) -> CommandOutcome:
        """Set a customer's credit limit."""
        arguments = arguments_of(locals())

        def decide() -> Decision:
            account = self._ledger.credit_account(customer)
            account.change_limit(limit=limit, actor=caller.actor, reason=reason)
            return [account], account_view(account)

        return self._ledger.execute(
            "change_credit_limit", arguments, caller, decide, retries=CREDIT_RETRIES
        )

    # Orders ------------------------------------------------------------------------------

    def place_order(
        self,
        *,
        order: str,
        customer: str,
        currency: str,
        lines: Sequence[OrderLine],
        placed_at: datetime,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Place an order and decide its credit on the customer's account, atomically."""
        arguments = arguments_of(locals())
        arguments["lines"] = [asdict(line) for line in lines]

        def decide() -> Decision:
            placed = SalesOrder.place(
                order=order,
                customer=customer,
                currency=currency,
                lines=lines,
                placed_at=placed_at,
                actor=caller.actor,
            )
            self._ledger.party(placed.customer)
            account = self._ledger.credit_account(placed.customer)
            for line in placed.lines:
                self._ledger.product(Gtin(line["gtin"]))
            if self._ledger.find(placed.id, SalesOrder):
                raise AlreadyRegistered("order", placed.number)
            rule = account.check_credit(
                order=placed.number,
                amount=placed.amount,
                currency=placed.currency,
                on=placed_at.date(),
                actor=caller.actor,
            )
            placed.record_credit(
                outcome=rule.outcome, rule=rule.id, actor=caller.actor, reason=rule.text
            )
            return [placed, account], _check_outcome(placed, account)

        return self._ledger.execute(
            "place_order",
            arguments,
            caller,
            decide,
            retries=CREDIT_RETRIES,
            one_at_a_time=credit_account_id(customer.strip()),
        )

    def review_order(
        self, *, order: str, approve: bool, reason: str, caller: Caller = SYSTEM
    ) -> CommandOutcome:
        """Finance approves or rejects a held order (or one awaiting prepayment)."""
        arguments = arguments_of(locals())

        def decide() -> Decision:
            found = self._ledger.sales_order(order)
            account = self._ledger.credit_account(found.customer)
            account.review_order(
                order=found.number, approve=approve, actor=caller.actor, reason=reason
            )
            outcome = CreditOutcome.APPROVED if approve else CreditOutcome.REJECTED
            found.record_credit(
                outcome=outcome, rule="manual", actor=caller.actor, reason=reason.strip()
            )
            return [found, account], order_view(found)

        return self._ledger.execute(
            "review_order", arguments, caller, decide, retries=CREDIT_RETRIES
        )

    def ship_order(
        self,
        *,
        order: str,
        shipment: str,
        lines: Sequence[ShipmentLine],
        occurred_at: datetime,
        invoice: str | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Ship an approved order's lines from the named lots and invoice it, all at once:
        its lots, the order and the account (the invoice, due after the terms) are saved in
        one transaction."""
        arguments = arguments_of(locals())
        arguments["lines"] = [asdict(line) for line in lines]

        def decide() -> Decision:
            found = self._ledger.sales_order(order)
            if not lines:
                raise InvalidValue("lines", "a shipment has at least one line")
            lots, shipped = self._ledger.channel.picked(lines, occurred_at)
            found.check_shipment(shipped)
            account = self._ledger.credit_account(found.customer)
            reference = parse_text("shipment", shipment)
            for lot, picks in lots.values():
                lot.ship(
                    shipment=reference,
                    consignee=found.customer,
                    picks=picks,
                    order=found.number,
                    occurred_at=occurred_at,
                )
            number = parse_text("invoice", invoice or f"INV-{found.number}")
            billed = [
                {"gtin": ln["gtin"], "quantity": ln["quantity"], "amount": ln["amount"]}
                for ln in found.lines
            ]
            account.raise_invoice(
                invoice=number,
                order=found.number,
                shipment=reference,
                lines=billed,
                amount=found.amount,
                issued_on=occurred_at.date(),
            )
            found.mark_invoiced(
                shipment=reference,
                invoice=number,
                shipped_at=parse_time("occurred_at", occurred_at),
            )
            due_on = account.invoices[number].due_on
            answer = {**order_view(found), "due_on": due_on.isoformat()}
            return [*(lot for lot, _ in lots.values()), found, account], answer

        return self._ledger.execute("ship_order", arguments, caller, decide, retries=CREDIT_RETRIES)

    def cancel_order(
        self, *, order: str, reason: str, occurred_at: datetime, caller: Caller = SYSTEM
    ) -> CommandOutcome:
        """Cancel an unshipped order; its credit reservation is released with it."""
        arguments = arguments_of(locals())

        def decide() -> Decision:
            found = self._ledger.sales_order(order)
            found.cancel(cancelled_at=occurred_at, actor=caller.actor, reason=reason)
            account = self._ledger.credit_account(found.customer)
            account.release_reservation(
                order=found.number, actor=caller.actor, reason=reason.strip()
            )
            return [found, account], order_view(found)

        return self._ledger.execute(
            "cancel_order", arguments, caller, decide, retries=CREDIT_RETRIES
        )
