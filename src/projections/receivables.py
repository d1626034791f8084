"""The receivables read model: accounts, open items and dated receivable lines.

Every money event of a ``CreditAccount`` says which invoices it touches, by how much, and
their due dates, so the fold needs no state: it turns events into signed lines (``+`` an
invoice, ``-`` a payment, credit note or write-off) and deltas of the open items. Queries
on ageing, DSO, provision and totals are in ``projections.receivable_reports``.

The fold also sums the lines per due date and per day, for the tables ageing as of any
date reads (``projections.receivable_steps``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from psycopg import Cursor, sql

from ledger.domain.credit import events as ev
from ledger.domain.credit.account import CreditAccount
from projections.model import (
    PositionedEvent,
    ReadModel,
    copy_rows,
    event_topics,
    insert_rows,
    update_rows,
)
from projections.receivable_steps import (
    to_units,
    write_balances,
    write_dues,
    write_overdue_lines,
)

ZERO = Decimal(0)
TOTAL_KINDS = ("invoice", "payment", "credit_note", "write_off")
SETTLED_KINDS = {"payment": "paid", "credit_note": "credited", "write_off": "written_off"}
_ITEM_COLUMNS = (
    "customer", "invoice", "order_ref", "shipment", "currency", "issued_on", "due_on", "amount",
    "position",
)  # fmt: skip
_LINE_COLUMNS = (
    "position", "line", "customer", "invoice", "kind", "amount", "occurred_on", "due_on",
)  # fmt: skip


@dataclass
class ReceivableChanges:
    """Accounts opened, invoices raised, receivable lines, and deltas of items and cash."""

    accounts: list[tuple[Any, ...]] = field(default_factory=list)
    items: list[tuple[Any, ...]] = field(default_factory=list)
    invoice_lines: list[tuple[Any, ...]] = field(default_factory=list)
    lines: list[tuple[Any, ...]] = field(default_factory=list)
    settled: dict[tuple[str, str], dict[str, Decimal]] = field(
        default_factory=lambda: defaultdict(lambda: dict.fromkeys(SETTLED_KINDS.values(), ZERO))
    )
    unapplied: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    dues: dict[tuple[str, date], int] = field(default_factory=lambda: defaultdict(int))
    """Change of the open amount per (customer, due date), in units of ``AMOUNT_SCALE``."""
    days: dict[str, dict[date, list[int]]] = field(default_factory=lambda: defaultdict(dict))
    """Per customer and date: invoiced, paid, credited and written off that day, in units."""
    overdue: list[tuple[str, date, date, int]] = field(default_factory=list)
    """Lines recorded after their invoice's due date: customer, due, recorded on, units."""

    def derive_by_date(self) -> None:
        """Open amounts per due date, totals per day and overdue lines, from the lines."""
        for _position, _n, customer, _invoice, kind, amount, on, due_on in self.lines:
            units = to_units(amount)
            self.dues[(customer, due_on)] += units
            day = self.days[customer].setdefault(on, [0, 0, 0, 0])
            day[TOTAL_KINDS.index(kind)] += units if kind == "invoice" else -units
            if on > due_on:
                self.overdue.append((customer, due_on, on, units))


def _settle(
    changes: ReceivableChanges, item: PositionedEvent, kind: str, on: Any, shares: list[Any]
) -> None:
    customer = item.event.customer
    for share in shares:
        changes.lines.append(
            (
                item.position,
                len(changes.lines),
                customer,
                share["invoice"],
                kind,
                -share["amount"],
                on,
                share["due_on"],
            )
        )
        changes.settled[(customer, share["invoice"])][SETTLED_KINDS[kind]] += share["amount"]


class Receivables(ReadModel[ReceivableChanges]):
    """What each customer owes, invoice by invoice, and every change of it with its date."""

    name: ClassVar[str] = "receivables"
    tables: ClassVar[tuple[str, ...]] = (
        "receivable_accounts",
        "receivable_items",
        "receivable_lines",
        "receivable_invoice_lines",
        "receivable_dues",
        "receivable_balances",
        "receivable_overdue_lines",
    )
    append_only: ClassVar[frozenset[str]] = frozenset(
        {"receivable_lines", "receivable_overdue_lines"}
    )
    topics: ClassVar[frozenset[str]] = event_topics(
        CreditAccount, ev.CreditAccountOpened, ev.InvoiceRaised, ev.PaymentReceived,
        ev.CreditNoteIssued, ev.UnappliedCashAllocated, ev.WriteOffDecided,
    )  # fmt: skip

    def fold(self, events: Sequence[PositionedEvent]) -> ReceivableChanges:
        """Accounts, items, lines and deltas the events make."""
        changes = ReceivableChanges()
        for item in events:
            e = item.event
            if isinstance(e, ev.CreditAccountOpened):
                changes.accounts.append((e.customer, e.currency, item.position))
            elif isinstance(e, ev.InvoiceRaised):
                changes.items.append(
                    (
                        e.customer,
                        e.invoice,
                        e.order,
                        e.shipment,
                        e.currency,
                        e.issued_on,
                        e.due_on,
                        e.amount,
                        item.position,
                    )
                )
                changes.lines.append(
                    (
                        item.position,
                        len(changes.lines),
                        e.customer,
                        e.invoice,
                        "invoice",
                        e.amount,
                        e.issued_on,
                        e.due_on,
                    )
                )
                changes.invoice_lines.extend(
                    (e.customer, e.invoice, ln["gtin"], ln["quantity"], ln["amount"], e.issued_on)
                    for ln in e.lines
                )
            elif isinstance(e, ev.PaymentReceived):
                _settle(changes, item, "payment", e.received_on, e.allocations)
                changes.unapplied[e.customer] += e.unapplied
            elif isinstance(e, ev.CreditNoteIssued):
                _settle(changes, item, "credit_note", e.issued_on, e.allocations)
                changes.unapplied[e.customer] += e.unapplied
            elif isinstance(e, ev.UnappliedCashAllocated):
                _settle(changes, item, "payment", e.applied_on, e.allocations)
                changes.unapplied[e.customer] -= sum((a["amount"] for a in e.allocations), ZERO)
            elif isinstance(e, ev.WriteOffDecided) and e.approved:
                share = {"invoice": e.invoice, "amount": e.amount, "due_on": e.due_on}
                _settle(changes, item, "write_off", e.decided_on, [share])
        changes.derive_by_date()
        return changes

    def write(
        self, cursor: Cursor[Any], changes: ReceivableChanges, tables: Mapping[str, str]
    ) -> None:
        """Insert accounts, items and lines; add the deltas to items and unapplied cash."""
        insert_rows(
            cursor,
            tables["receivable_accounts"],
            columns=("customer", "currency", "opened_position"),
            rows=changes.accounts,
            conflict="ON CONFLICT (customer) DO NOTHING",
        )
        insert_rows(
            cursor,
            tables["receivable_items"],
            columns=_ITEM_COLUMNS,
            rows=changes.items,
            conflict="ON CONFLICT (customer, invoice) DO NOTHING",
        )
        insert_rows(
            cursor,
            tables["receivable_invoice_lines"],
            columns=("customer", "invoice", "gtin", "quantity", "amount", "issued_on"),
            rows=changes.invoice_lines,
            conflict="ON CONFLICT DO NOTHING",
        )
        copy_rows(cursor, tables["receivable_lines"], columns=_LINE_COLUMNS, rows=changes.lines)
        self._write_deltas(cursor, changes, tables)
        write_dues(cursor, changes.dues, tables["receivable_dues"])
        write_balances(cursor, changes.days, tables["receivable_balances"])
        write_overdue_lines(cursor, changes.overdue, tables["receivable_overdue_lines"])

    @staticmethod
    def _write_deltas(
        cursor: Cursor[Any], changes: ReceivableChanges, tables: Mapping[str, str]
    ) -> None:
        if changes.settled:
            rows = [
                (customer, invoice, d["paid"], d["credited"], d["written_off"])
                for (customer, invoice), d in changes.settled.items()
            ]
            cursor.execute(
                sql.SQL(
                    "UPDATE {0} AS i SET paid = i.paid + d.paid, credited = i.credited +"
                    " d.credited, written_off = i.written_off + d.written_off FROM unnest("
                    "%s::text[], %s::text[], %s::numeric[], %s::numeric[], %s::numeric[])"
                    " AS d(customer, invoice, paid, credited, written_off)"
                    " WHERE (i.customer, i.invoice) = (d.customer, d.invoice)"
                ).format(sql.Identifier(tables["receivable_items"])),
                [list(column) for column in zip(*rows, strict=True)],
            )
        totals: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO] * 5)
        for item in changes.items:
            totals[item[0]][0] += item[7]
        for (customer, _invoice), settled in changes.settled.items():
            for index, kind in enumerate(("paid", "credited", "written_off"), start=1):
                totals[customer][index] += settled[kind]
        for customer, delta in changes.unapplied.items():
            totals[customer][4] += delta
        update_rows(
            cursor,
            tables["receivable_accounts"],
            statement=(
                "UPDATE {} SET invoiced = invoiced + %s, paid = paid + %s, credited = credited"
                " + %s, written_off = written_off + %s, unapplied = unapplied + %s"
                " WHERE customer = %s"
            ),
            rows=[(*deltas, customer) for customer, deltas in totals.items()],
        )
