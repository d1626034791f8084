"""A credit account's collection side: the dunning sweep, collection tasks, and the limit
changes the policy proposes from the scorecard.

These are commands of ``CreditAccount``, written out of its class and bound in it
(``CreditAccount.sweep`` is ``sweep`` here): each decides, then records through one of the
account's ``_record_*`` methods.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import TYPE_CHECKING

from ledger.domain.credit.errors import NothingPending
from ledger.domain.credit.receivables import DunningNotice
from ledger.domain.credit.rules import COLLECTION_FROM_DAYS, level_rank, level_reached
from ledger.domain.credit.score import Scorecard, propose_limit
from ledger.domain.errors import InvalidValue
from ledger.domain.values import parse_text

if TYPE_CHECKING:
    from ledger.domain.credit.account import CreditAccount

TASK_STATUSES = ("open", "in_progress", "promised", "escalated", "closed")


def sweep(self: CreditAccount, as_of: date) -> list[tuple[str, str]]:
    """Send, per open invoice, the highest dunning level reached on ``as_of`` unless that
    level (or a higher one) was sent before; from 30 days overdue also open a collection
    task. Returns the (invoice, level) notices sent; a second sweep sends none."""
    sent = []
    for inv in sorted(self.invoices.values(), key=lambda i: (i.due_on, i.invoice)):
        owed = inv.outstanding_on(as_of)
        reached = level_reached(inv.due_on, as_of)
        if owed <= 0 or inv.issued_on > as_of or reached is None:
            continue
        level, days = reached
        earlier = [lvl for (invoice, lvl) in self.notices if invoice == inv.invoice]
        if any(level_rank(lvl) >= level_rank(level) for lvl in earlier):
            continue
        self._record_notice(**asdict(DunningNotice.of(self.customer, inv, level, as_of)))
        if days >= COLLECTION_FROM_DAYS:
            self._record_task_opened(
                customer=self.customer,
                task=f"{inv.invoice}/{level}",
                invoice=inv.invoice,
                level=level,
                owner=self.collector,
                opened_on=as_of,
            )
        sent.append((inv.invoice, level))
    return sent


def update_collection_task(
    self: CreditAccount,
    *,
    task: str,
    status: str,
    updated_on: date,
    actor: str,
    owner: str | None = None,
    note: str = "",
) -> None:
    """Move a collection task on: a new status, and a new owner when given."""
    current = self.tasks.get(task)
    if current is None or current["status"] == "closed":
        raise NothingPending(self.customer, "collection task", task)
    if status not in TASK_STATUSES:
        raise InvalidValue("status", f"one of {', '.join(TASK_STATUSES)}")
    self._record_task_update(
        customer=self.customer,
        task=task,
        status=status,
        owner=parse_text("owner", owner or current["owner"]),
        note=note.strip(),
        updated_on=updated_on,
        actor=parse_text("actor", actor),
    )


def propose_limit_change(self: CreditAccount, *, proposal: str, as_of: date) -> Scorecard:
    """Score the account and record the policy's proposal, if it proposes a change."""
    proposal = parse_text("proposal", proposal)
    if proposal in self.proposals or proposal in self.references:
        return self.scorecard(as_of)
    card = self.scorecard(as_of)
    change = propose_limit(card, limit=self.limit, on_time_ratio=self.on_time_ratio())
    if change is not None and change[0] != self.limit:
        factors = [
            {"name": f.name, "value": f.value, "weight": f.weight, "points": f.points}
            for f in card.factors
        ]
        self._record_proposal(
            proposal=proposal,
            current=self.limit,
            proposed=change[0],
            score=card.score,
            factors=factors,
            reason=change[1],
            as_of=as_of,
        )
    return card


def decide_limit_change(
    self: CreditAccount, *, proposal: str, accept: bool, actor: str, reason: str
) -> None:
    """Finance accepts (the limit changes) or rejects a proposed limit change."""
    proposed = self.proposals.get(proposal)
    if proposed is None:
        raise NothingPending(self.customer, "limit proposal", proposal)
    actor, reason = parse_text("actor", actor), parse_text("reason", reason)
    self._record_proposal_decision(proposal=proposal, accepted=accept, actor=actor, reason=reason)
    if accept:
        self._record_limit(
            previous=self.limit, limit=proposed, proposal=proposal, actor=actor, reason=reason
        )
