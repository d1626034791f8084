"""Read models of sales orders and of collection work: orders with their state, dunning
notices sent, and collection tasks with owner and status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from psycopg import Cursor

from ledger.domain import order as orders
from ledger.domain.credit import events as ev
from ledger.domain.credit.account import CreditAccount
from ledger.domain.credit.receivables import DunningNotice
from ledger.domain.credit.rules import CreditOutcome
from ledger.domain.order import SalesOrder
from projections.model import (
    PositionedEvent,
    ReadModel,
    event_topics,
    fetch_rows,
    insert_rows,
    update_rows,
)


@dataclass
class OrderChanges:
    """Orders placed, and later changes of their state (applied in order)."""

    placed: list[tuple[Any, ...]] = field(default_factory=list)
    updates: list[tuple[Any, ...]] = field(default_factory=list)


_KEEP = "ON CONFLICT DO NOTHING"
"""A row already there is kept as it is."""
_ORDER_COLUMNS = (
    "order_id", "order_ref", "customer", "currency", "amount", "state", "placed_at", "position",
)  # fmt: skip
_ORDER_UPDATE = (
    "UPDATE {} SET state = %s, rule = coalesce(%s, rule), shipment = coalesce(%s, shipment),"
    " invoice = coalesce(%s, invoice) WHERE order_id = %s"
)


class SalesOrders(ReadModel[OrderChanges]):
    """Every sales order with its amount, credit state and shipment."""

    name: ClassVar[str] = "sales_orders"
    tables: ClassVar[tuple[str, ...]] = ("sales_orders",)
    topics: ClassVar[frozenset[str]] = event_topics(
        SalesOrder, orders.OrderPlaced, orders.OrderCreditDecided, orders.OrderInvoiced,
        orders.OrderCancelled,
    )  # fmt: skip

    def fold(self, events: Sequence[PositionedEvent]) -> OrderChanges:
        """Placed orders, and (id, state, rule, shipment, invoice) updates."""
        changes = OrderChanges()
        for item in events:
            e = item.event
            if isinstance(e, orders.OrderPlaced):
                changes.placed.append(
                    (e.originator_id, e.order, e.customer, e.currency, e.amount, "placed",
                     e.placed_at, item.position)
                )  # fmt: skip
            elif isinstance(e, orders.OrderCreditDecided):
                state = orders.STATE_OF_OUTCOME[CreditOutcome(e.outcome)].value
                changes.updates.append((state, e.rule, None, None, e.originator_id))
            elif isinstance(e, orders.OrderInvoiced):
                state = orders.OrderState.INVOICED.value
                changes.updates.append((state, None, e.shipment, e.invoice, e.originator_id))
            elif isinstance(e, orders.OrderCancelled):
                state = orders.OrderState.CANCELLED.value
                changes.updates.append((state, None, None, None, e.originator_id))
        return changes

    def write(self, cursor: Cursor[Any], changes: OrderChanges, tables: Mapping[str, str]) -> None:
        """Insert placed orders, then apply the state changes in order."""
        table = tables["sales_orders"]
        insert_rows(cursor, table, columns=_ORDER_COLUMNS, rows=changes.placed, conflict=_KEEP)
        update_rows(cursor, table, statement=_ORDER_UPDATE, rows=changes.updates)


@dataclass
class CollectionChanges:
    """Notices sent, tasks opened, and task updates (applied in order)."""

    notices: list[tuple[Any, ...]] = field(default_factory=list)
    opened: list[tuple[Any, ...]] = field(default_factory=list)
    updates: list[tuple[Any, ...]] = field(default_factory=list)


_NOTICE_COLUMNS = (
    "customer", "invoice", "level", "as_of", "due_on", "outstanding", "days_overdue", "position",
)  # fmt: skip
_TASK_COLUMNS = (
    "customer", "task", "invoice", "level", "owner", "status", "opened_on", "updated_on",
)  # fmt: skip
_TASK_UPDATE = (
    "UPDATE {} SET status = %s, owner = %s, note = %s, updated_on = %s"
    " WHERE customer = %s AND task = %s"
)


class Collections(ReadModel[CollectionChanges]):
    """Dunning notices sent and collection tasks, per customer."""

    name: ClassVar[str] = "collections"
    tables: ClassVar[tuple[str, ...]] = ("dunning_notices", "collection_tasks")
    topics: ClassVar[frozenset[str]] = event_topics(
        CreditAccount, ev.DunningNoticeSent, ev.CollectionTaskOpened, ev.CollectionTaskUpdated
    )

    def fold(self, events: Sequence[PositionedEvent]) -> CollectionChanges:
        """The notices, opened tasks and task updates of the events."""
        changes = CollectionChanges()
        for item in events:
            e = item.event
            if isinstance(e, ev.DunningNoticeSent):
                changes.notices.append(
                    (e.customer, e.invoice, e.level, e.as_of, e.due_on, e.outstanding,
                     e.days_overdue, item.position)
                )  # fmt: skip
            elif isinstance(e, ev.CollectionTaskOpened):
                changes.opened.append(
                    (e.customer, e.task, e.invoice, e.level, e.owner, "open", e.opened_on,
                     e.opened_on)
                )  # fmt: skip
            elif isinstance(e, ev.CollectionTaskUpdated):
                changes.updates.append(
                    (e.status, e.owner, e.note, e.updated_on, e.customer, e.task)
                )
        return changes

    def write(
        self, cursor: Cursor[Any], changes: CollectionChanges, tables: Mapping[str, str]
    ) -> None:
        """Insert notices and tasks, then apply task updates in order."""
        tasks = tables["collection_tasks"]
        notices = tables["dunning_notices"]
        insert_rows(cursor, notices, columns=_NOTICE_COLUMNS, rows=changes.notices, conflict=_KEEP)
        insert_rows(cursor, tasks, columns=_TASK_COLUMNS, rows=changes.opened, conflict=_KEEP)
        update_rows(cursor, tasks, statement=_TASK_UPDATE, rows=changes.updates)


@dataclass(frozen=True)
class OrderRow:
    """A sales order as the read model lists it."""

    order: str
    customer: str
    currency: str
    amount: Decimal
    state: str
    rule: str
    placed_at: datetime
    shipment: str | None
    invoice: str | None


def list_orders(
    cursor: Cursor[Any],
    *,
    customer: str | None = None,
    state: str | None = None,
    limit: int = 1000,
) -> list[OrderRow]:
    """Orders, latest first, of one customer or all, in one state or any."""
    return fetch_rows(
        cursor,
        OrderRow,
        "SELECT order_ref, customer, currency, amount, state, rule, placed_at, shipment, invoice"
        " FROM sales_orders WHERE (%(c)s::text IS NULL OR customer = %(c)s)"
        " AND (%(s)s::text IS NULL OR state = %(s)s) ORDER BY placed_at DESC, order_ref"
        " LIMIT %(limit)s",
        {"c": customer, "s": state, "limit": limit},
    )


def list_notices(
    cursor: Cursor[Any], *, customer: str | None = None, limit: int = 1000
) -> list[DunningNotice]:
    """Notices sent, latest first."""
    return fetch_rows(
        cursor,
        DunningNotice,
        "SELECT customer, invoice, level, as_of, due_on, outstanding, days_overdue"
        " FROM dunning_notices WHERE (%(c)s::text IS NULL OR customer = %(c)s)"
        " ORDER BY as_of DESC, customer, invoice, position DESC LIMIT %(limit)s",
        {"c": customer, "limit": limit},
    )


@dataclass(frozen=True)
class TaskRow:
    """A collection task."""

    customer: str
    task: str
    invoice: str
    level: str
    owner: str
    status: str
    note: str
    opened_on: date
    updated_on: date


def list_tasks(
    cursor: Cursor[Any],
    *,
    customer: str | None = None,
    owner: str | None = None,
    status: str | None = None,
    limit: int = 1000,
) -> list[TaskRow]:
    """Collection tasks, oldest first, filtered by customer, owner and status."""
    return fetch_rows(
        cursor,
        TaskRow,
        "SELECT customer, task, invoice, level, owner, status, note, opened_on, updated_on"
        " FROM collection_tasks WHERE (%(c)s::text IS NULL OR customer = %(c)s)"
        " AND (%(o)s::text IS NULL OR owner = %(o)s) AND (%(s)s::text IS NULL OR status = %(s)s)"
        " ORDER BY opened_on, customer, task LIMIT %(limit)s",
        {"c": customer, "o": owner, "s": status, "limit": limit},
    )


def credit_customers(cursor: Cursor[Any]) -> list[str]:
    """Every customer with a credit account, as the receivables model knows them."""
    return [
        row[0]
        for row in cursor.execute(
            "SELECT customer FROM receivable_accounts ORDER BY customer"
        ).fetchall()
    ]
