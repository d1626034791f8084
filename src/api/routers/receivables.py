"""``/v1/invoices``, ``/v1/payments``, ``/v1/credit-notes``, ``/v1/write-offs``,
``/v1/receivables``: open items, cash and credit booked by finance, write-offs with
approval, and ageing, DSO, provision and totals as of any date. Partners see their own."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import ConfigDict, Field, StrictBool

from api.deps import ReadsDep, caught_up
from api.keys import Role
from api.routers.common import (
    READ_PROBLEMS,
    WRITE_RESPONSES,
    CommandBody,
    DecimalText,
    command,
    json_row,
    scoped_items,
    scoped_rows,
)
from api.routers.credit import CodeQuery, today
from api.routers.orders import Code, CreditReaderKey, FinanceKey, Reason, Reference
from ledger.domain.credit.rules import BUCKETS
from projections.receivable_reports import (
    EARLIEST_REPORT_DAY,
    CustomerReceivables,
    Totals,
    open_items,
    receivables_as_of,
    regions,
    totals,
    totals_by_product,
)
from projections.receivables import Receivables

router = APIRouter(tags=["receivables"])
_CaughtUp = Annotated[int | None, Depends(caught_up(Receivables.name))]
_RECORDED: dict[str, Any] = {"status_code": 201, "responses": WRITE_RESPONSES}
Allocations = dict[Annotated[str, Field(max_length=64)], DecimalText]


class ReceivePayment(CommandBody):
    """A customer's payment; allocations name invoices, else oldest first."""

    model_config = ConfigDict(extra="forbid")

    customer: Code
    payment: Reference
    amount: DecimalText
    currency: str = Field(min_length=3, max_length=3)
    received_on: date
    allocations: Allocations | None = Field(default=None, max_length=1000)


class IssueCreditNote(CommandBody):
    """A credit note; allocations name invoices, else oldest first."""

    model_config = ConfigDict(extra="forbid")

    customer: Code
    credit_note: Reference
    amount: DecimalText
    issued_on: date
    reason: Reason
    allocations: Allocations | None = Field(default=None, max_length=1000)


class AllocateUnapplied(CommandBody):
    """Apply cash kept on account to invoices (named, or oldest first)."""

    model_config = ConfigDict(extra="forbid")

    customer: Code
    reference: Reference
    applied_on: date
    allocations: Allocations | None = Field(default=None, max_length=1000)


class RequestWriteOff(CommandBody):
    """A request to write off part of an invoice as bad debt."""

    model_config = ConfigDict(extra="forbid")

    customer: Code
    write_off: Reference
    invoice: Reference
    amount: DecimalText
    requested_on: date
    reason: Reason


class DecideWriteOff(CommandBody):
    """Finance's decision on a write-off (by another key than the requester's)."""

    model_config = ConfigDict(extra="forbid")

    customer: Code
    approve: StrictBool
    decided_on: date
    reason: Reason


ReportDay = Annotated[
    date | None,
    Query(ge=EARLIEST_REPORT_DAY, description="As of this date (default today)."),
]


@router.get("/v1/invoices", responses=READ_PROBLEMS)
def list_invoices(
    key: CreditReaderKey,
    _caught_up: _CaughtUp,
    reads: ReadsDep,
    customer: CodeQuery = None,
    settled: Annotated[bool, Query(description="Include settled invoices.")] = False,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> dict[str, Any]:
    """Open items (invoices still owed), earliest due first; a partner sees its own."""
    return scoped_items(key, customer, reads, partial(open_items, settled=settled, limit=limit))


for path, endpoint in (
    ("/v1/payments", command("credit.receive_payment", ReceivePayment, key=FinanceKey,
        doc="Book a payment: to named invoices or oldest first; the rest is unapplied cash.")),
    ("/v1/credit-notes", command("credit.issue_credit_note", IssueCreditNote, key=FinanceKey,
        doc="Issue a credit note: to named invoices or oldest first; the rest stays on account.")),
    ("/v1/payments/unapplied-allocations", command("credit.allocate_unapplied",
        AllocateUnapplied, key=FinanceKey,
        doc="Apply a customer's unapplied cash or credit to invoices.")),
    ("/v1/write-offs", command("credit.request_write_off", RequestWriteOff, key=FinanceKey,
        doc="Ask for part of an invoice to be written off; another finance key approves.")),
    ("/v1/write-offs/{write_off}/decision", command("credit.decide_write_off", DecideWriteOff,
        key=FinanceKey, path={"write_off": (Annotated[str, Path(max_length=64)], "write_off")},
        doc="Approve (the receivable is reduced) or reject a write-off.")),
):  # fmt: skip
    router.add_api_route(path, endpoint, methods=["POST"], **_RECORDED)


def _customer_row(row: CustomerReceivables) -> dict[str, Any]:
    return {
        "customer": row.customer,
        "currency": row.currency,
        "buckets": {b: str(row.buckets[b]) for b in BUCKETS},
        "open": str(row.open),
        "invoiced": str(row.invoiced),
        "paid": str(row.paid),
        "credited": str(row.credited),
        "written_off": str(row.written_off),
        "unapplied": str(row.unapplied),
        "dso": None if row.dso is None else str(row.dso),
        "provision": str(row.provision),
    }


def _total_row(total: Totals) -> dict[str, Any]:
    return {
        "group": total.key,
        "currency": total.currency,
        "customers": total.customers,
        "buckets": {b: str(total.buckets[b]) for b in BUCKETS},
        "open": str(total.open),
        "invoiced": str(total.invoiced),
        "paid": str(total.paid),
        "credited": str(total.credited),
        "written_off": str(total.written_off),
        "dso": None if total.dso is None else str(total.dso),
        "provision": str(total.provision),
    }


@router.get("/v1/receivables/ageing", responses=READ_PROBLEMS)
def ageing(
    key: CreditReaderKey,
    _caught_up: _CaughtUp,
    reads: ReadsDep,
    as_of: ReportDay = None,
    customer: CodeQuery = None,
) -> dict[str, Any]:
    """Ageing buckets, DSO and bad-debt provision per customer, and totals per currency."""
    day = as_of or today()
    rows = scoped_rows(key, customer, reads, partial(receivables_as_of, as_of=day))
    return {
        "as_of": day.isoformat(),
        "customers": [_customer_row(row) for row in rows],
        "totals": [_total_row(total) for total in totals(rows)],
    }


@router.get("/v1/receivables/totals", responses=READ_PROBLEMS)
def receivable_totals(
    key: CreditReaderKey,
    _caught_up: _CaughtUp,
    reads: ReadsDep,
    by: Annotated[Literal["customer", "region", "product"], Query()] = "customer",
    as_of: ReportDay = None,
) -> dict[str, Any]:
    """Totals by customer, region or product (invoiced units and amounts) as of a date."""
    day = as_of or today()
    customer = key.party if key.role is Role.PARTNER else None
    with reads.connection() as conn, conn.cursor() as cur:
        if by == "product":
            products = totals_by_product(cur, as_of=day, customer=customer)
            items = [json_row(vars(p)) for p in products]
            return {"as_of": day.isoformat(), "by": by, "items": items}
        rows = receivables_as_of(cur, as_of=day, customer=customer)
        group = regions(cur) if by == "region" else {r.customer: r.customer for r in rows}
    return {
        "as_of": day.isoformat(),
        "by": by,
        "items": [_total_row(total) for total in totals(rows, group)],
    }
