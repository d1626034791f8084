"""``/v1/orders``: sales orders placed with their credit check, reviewed by finance,
shipped (and invoiced) or cancelled. Partners place and see only their own orders."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictBool, StrictInt

from api.deps import LedgerDep, ReadsDep, allow, caught_up
from api.keys import ApiKey, Role
from api.problems import NotPermitted, ResourceNotFound
from api.routers.common import (
    READ_PROBLEMS,
    WRITE_RESPONSES,
    CommandBody,
    DecimalText,
    command,
    customer_scope,
)
from api.routers.movements import LotName
from ledger.application.orders import order_view
from ledger.domain.credit.account import CreditAccount
from ledger.domain.credit.errors import UnknownOrder
from ledger.domain.order import OrderLine
from ledger.domain.values import ShipmentLine
from projections.collections import SalesOrders, list_orders

router = APIRouter(prefix="/v1/orders", tags=["orders"])
Code = Annotated[str, Field(min_length=1, max_length=64)]
Reference = Annotated[str, Field(min_length=1, max_length=64)]
Reason = Annotated[str, Field(min_length=1, max_length=500)]
OrderPath = Annotated[str, Path(max_length=64, description="The order number.")]
CreditReaderKey = Annotated[
    ApiKey, Depends(allow(Role.OPERATOR, Role.FINANCE, Role.AUDITOR, Role.PARTNER))
]
"""Who may read orders and credit: operator, finance, auditor; partners their own."""
OrderWriterKey = Annotated[ApiKey, Depends(allow(Role.OPERATOR, Role.PARTNER))]
"""Who may place orders: the operator, or a partner for its own party."""
OperatorKey = Annotated[ApiKey, Depends(allow(Role.OPERATOR))]
FinanceKey = Annotated[ApiKey, Depends(allow(Role.FINANCE))]
_CaughtUp = Annotated[int | None, Depends(caught_up(SalesOrders.name))]
_RECORDED: dict[str, Any] = {"status_code": 201, "responses": WRITE_RESPONSES}


class OrderLineIn(BaseModel):
    """One line: units of a product at a unit price, less a discount (percent)."""

    model_config = ConfigDict(extra="forbid")

    gtin: str = Field(max_length=20)
    quantity: StrictInt
    unit_price: DecimalText
    discount: DecimalText = Field(default=Decimal(0), description="Percent off the line, 0-100.")


class PlaceOrder(CommandBody):
    """An order to place; its credit is checked on the customer's account at once."""

    model_config = ConfigDict(extra="forbid")

    order: Reference
    customer: Code
    currency: str = Field(min_length=3, max_length=3)
    lines: list[OrderLineIn] = Field(min_length=1, max_length=500)
    placed_at: AwareDatetime

    def arguments(self) -> dict[str, Any]:
        """The lines as the use case takes them."""
        lines = [OrderLine(ln.gtin, ln.quantity, ln.unit_price, ln.discount) for ln in self.lines]
        return {**super().arguments(), "lines": lines}


class ReviewOrder(CommandBody):
    """Finance's decision on a held order."""

    model_config = ConfigDict(extra="forbid")

    approve: StrictBool
    reason: Reason


class ShipOrderLine(LotName):
    """Units of one lot picked at one location for the order."""

    quantity: StrictInt
    from_location: Code


class ShipOrder(CommandBody):
    """The shipment of an approved order; it is invoiced with it."""

    model_config = ConfigDict(extra="forbid")

    shipment: Reference
    lines: list[ShipOrderLine] = Field(min_length=1, max_length=500)
    occurred_at: AwareDatetime
    invoice: Reference | None = Field(default=None, description="Default: INV-<order>.")

    def arguments(self) -> dict[str, Any]:
        """The lines as the use case takes them: each lot by GTIN and lot number."""
        on = self.occurred_at.date()
        lines = [
            ShipmentLine(*line.ref().plain(on), line.quantity, line.from_location)
            for line in self.lines
        ]
        return {**super().arguments(), "lines": lines}


class CancelOrder(CommandBody):
    """Why and when an unshipped order is cancelled."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason
    occurred_at: AwareDatetime


def own_party(key: ApiKey, customer: str) -> None:
    """A partner key acts only for its own party."""
    if key.role is Role.PARTNER and customer.strip() != key.party:
        raise NotPermitted(
            f"a partner key of {key.party} may act only for {key.party}", role=key.role
        )


router.post("", **_RECORDED)(
    command("orders.place_order", PlaceOrder, key=OrderWriterKey,
            check=lambda key, body: own_party(key, body.customer),
            location=lambda _, outcome: f"/v1/orders/{outcome.outcome['order']}",
            doc="Place an order: approved, held, prepayment required or rejected, with the "
                "figures.")
)  # fmt: skip


@router.get("", responses=READ_PROBLEMS)
def list_sales_orders(
    key: CreditReaderKey,
    _caught_up: _CaughtUp,
    reads: ReadsDep,
    customer: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
) -> dict[str, Any]:
    """List orders, latest first (a partner sees its own)."""
    allowed, customer = customer_scope(key, customer)
    if not allowed:
        return {"items": []}
    with reads.connection() as conn, conn.cursor() as cur:
        rows = list_orders(cur, customer=customer, state=state, limit=limit)
    return {
        "items": [
            {**vars(row), "amount": str(row.amount), "placed_at": row.placed_at.isoformat()}
            for row in rows
        ]
    }


@router.get("/{order}", responses=READ_PROBLEMS)
def get_order(order: OrderPath, key: CreditReaderKey, ledger: LedgerDep) -> dict[str, Any]:
    """An order as its aggregate stands, with the credit decisions recorded for it."""
    try:
        found = ledger.sales_order(order)
    except UnknownOrder:
        found = None
    if found is None or (key.role is Role.PARTNER and found.customer != key.party):
        raise ResourceNotFound(f"no order {order} is placed", kind="order", key=order)
    account = ledger.credit_account(found.customer)
    return {**order_view(found), "credit_decisions": decisions_of(ledger, account, found.number)}


def decisions_of(ledger: LedgerDep, account: CreditAccount, order: str) -> list[dict[str, Any]]:
    """The credit checks and reviews recorded on the account for ``order``."""
    kinds = (CreditAccount.OrderCreditChecked, CreditAccount.OrderCreditReviewed)
    found = []
    for event in ledger.repository.event_store.get(account.id):
        if isinstance(event, kinds) and event.order == order:
            fields = {k: v for k, v in event.__dict__.items() if not k.startswith("originator")}
            fields = {
                k: str(v) if not isinstance(v, int | str | bool) else v for k, v in fields.items()
            }
            found.append({"event": type(event).__name__, **fields})
    return found


_ORDER = {"order": (OrderPath, "order")}
router.post("/{order}/review", **_RECORDED)(
    command("orders.review_order", ReviewOrder, key=FinanceKey, path=_ORDER,
            doc="Approve or reject a held order (finance), with the reason.")
)  # fmt: skip


router.post("/{order}/shipments", **_RECORDED)(
    command("orders.ship_order", ShipOrder, key=OperatorKey, path=_ORDER,
            doc="Ship an approved order from the named lots and invoice it, all at once.")
)  # fmt: skip


router.post("/{order}/cancel", **_RECORDED)(
    command("orders.cancel_order", CancelOrder, key=OperatorKey, path=_ORDER,
            doc="Cancel an unshipped order; its credit reservation is released.")
)  # fmt: skip
