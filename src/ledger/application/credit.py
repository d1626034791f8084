"""Use cases of receivables and credit control: payments, credit notes, write-offs, the
dunning sweep, collection tasks, and limit changes proposed from the scorecard.

Each saves the customer's ``CreditAccount`` alone, so it retries on a concurrent save.
The sweep's notices are idempotent on the account itself: a notice of a level is sent once
per invoice, however often (and with whatever idempotency key) the sweep runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from ledger.application.commands import (
    SYSTEM,
    Caller,
    CommandOutcome,
    Decision,
    arguments_of,
)
from ledger.application.orders import CREDIT_RETRIES, account_view
from ledger.application.part import LedgerPart
from ledger.domain.credit.account import CreditAccount


def _money(values: Mapping[str, Decimal] | None) -> dict[str, str] | None:
    return None if values is None else {key: str(value) for key, value in values.items()}


def scorecard_view(account: CreditAccount, as_of: date) -> dict[str, Any]:
    """The account's scorecard on ``as_of``, factor by factor, JSON-ready."""
    card = account.scorecard(as_of)
    return {
        "customer": account.customer,
        "as_of": as_of.isoformat(),
        "score": card.score,
        "factors": [
            {
                "name": f.name,
                "value": f.value,
                "rating": str(f.rating),
                "weight": f.weight,
                "points": str(f.points),
            }
            for f in card.factors
        ],
        "proposals": {key: str(value) for key, value in account.proposals.items()},
        "limit": str(account.limit),
    }


class Credit(LedgerPart):
    """Use cases of cash, write-offs, dunning and limits on a customer's credit account."""

    def _on_account(
        self,
        command: str,
        arguments: dict[str, Any],
        caller: Caller,
        change: Callable[..., dict[str, Any] | None],
    ) -> CommandOutcome:
        """Run ``change`` on the customer's account with the use case's other arguments and
        the caller as ``actor``, and save it; the answer is the account's view plus what
        ``change`` returns. Allocations are hashed as text, as they always were."""
        given = {key: value for key, value in arguments.items() if key != "customer"}
        hashed = {**arguments, **{k: _money(v) for k, v in given.items() if k == "allocations"}}

        def decide() -> Decision:
            account = self._ledger.credit_account(arguments["customer"])
            extra = change(account, **given, actor=caller.actor) or {}
            events = [type(event).__name__ for event in account.pending_events]
            return [account], {**account_view(account), **extra, "events": events}

        return self._ledger.execute(command, hashed, caller, decide, retries=CREDIT_RETRIES)

    def receive_payment(
        self,
        *,
        customer: str,
        payment: str,
        amount: Decimal,
        currency: str,
        received_on: date,
        allocations: Mapping[str, Decimal] | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Book a customer's payment: to named invoices, or oldest first; any rest is kept
        as unapplied cash."""
        return self._on_account(
            "receive_payment", arguments_of(locals()), caller, CreditAccount.receive_payment
        )

    def issue_credit_note(
        self,
        *,
        customer: str,
        credit_note: str,
        amount: Decimal,
        issued_on: date,
        reason: str,
        allocations: Mapping[str, Decimal] | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Credit a customer (returns, corrections, rebates): to named invoices, or oldest
        first; any rest stays on account."""
        return self._on_account(
            "issue_credit_note", arguments_of(locals()), caller, CreditAccount.issue_credit_note
        )

    def allocate_unapplied(
        self,
        *,
        customer: str,
        reference: str,
        applied_on: date,
        allocations: Mapping[str, Decimal] | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Apply a customer's unapplied cash or credit to invoices (named, or oldest first)."""
        return self._on_account(
            "allocate_unapplied", arguments_of(locals()), caller, CreditAccount.allocate_unapplied
        )

    def request_write_off(
        self,
        *,
        customer: str,
        write_off: str,
        invoice: str,
        amount: Decimal,
        requested_on: date,
        reason: str,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Ask for part of an invoice to be written off as bad debt; finance approves."""
        return self._on_account(
            "request_write_off", arguments_of(locals()), caller, CreditAccount.request_write_off
        )

    def decide_write_off(
        self,
        *,
        customer: str,
        write_off: str,
        approve: bool,
        decided_on: date,
        reason: str,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Approve or reject a write-off request (not by the one who asked for it)."""
        return self._on_account(
            "decide_write_off", arguments_of(locals()), caller, CreditAccount.decide_write_off
        )

    def sweep_account(
        self, *, customer: str, as_of: date, caller: Caller = SYSTEM
    ) -> CommandOutcome:
        """Send the customer's due reminders and dunning notices as of ``as_of`` and open
        collection tasks; levels already sent are not sent again."""
        return self._on_account("sweep_account", arguments_of(locals()), caller, _sweep)

    def sweep_credit(
        self, *, customers: Sequence[str], as_of: date, caller: Caller = SYSTEM
    ) -> list[CommandOutcome]:
        """Sweep each of ``customers`` (one command each, so one slow account holds no other
        up); with an idempotency key, each customer's sweep gets its own derived key."""
        outcomes = []
        for customer in customers:
            key = caller.idempotency_key
            own = Caller(caller.actor, caller.scope, f"{key}/{customer}" if key else None)
            outcomes.append(self.sweep_account(customer=customer, as_of=as_of, caller=own))
        return outcomes

    def update_collection_task(
        self,
        *,
        customer: str,
        task: str,
        status: str,
        updated_on: date,
        owner: str | None = None,
        note: str = "",
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Move a collection task on (status, owner, a note)."""
        return self._on_account(
            "update_collection_task",
            arguments_of(locals()),
            caller,
            CreditAccount.update_collection_task,
        )

    def propose_credit_limit(
        self, *, customer: str, as_of: date, caller: Caller = SYSTEM
    ) -> CommandOutcome:
        """Score the account and record the limit policy's proposal (one per day at most)."""
        return self._on_account("propose_credit_limit", arguments_of(locals()), caller, _propose)

    def decide_limit_change(
        self,
        *,
        customer: str,
        proposal: str,
        accept: bool,
        reason: str,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Finance accepts (the limit changes) or rejects a proposed limit change."""
        return self._on_account(
            "decide_limit_change", arguments_of(locals()), caller, CreditAccount.decide_limit_change
        )


def _sweep(account: CreditAccount, *, as_of: date, actor: str) -> dict[str, Any]:
    """The sweep's notices sent (the sweep is the system's, whoever asks for it)."""
    sent = account.sweep(as_of)
    return {"notices": [{"invoice": inv, "level": level} for inv, level in sent]}


def _propose(account: CreditAccount, *, as_of: date, actor: str) -> dict[str, Any]:
    """The policy's proposal of the day, with the scorecard it rests on."""
    account.propose_limit_change(proposal=f"LP-{as_of.isoformat()}", as_of=as_of)
    return {"scorecard": scorecard_view(account, as_of)}
