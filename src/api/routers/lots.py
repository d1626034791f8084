"""``/v1/lots``: a lot's state (its aggregate) and its trace (the lot trace read model)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from api.deps import AnyKey, LedgerDep, ReadsDep, caught_up
from api.keys import ApiKey, Role
from api.routers.common import READ_PROBLEMS, aggregate
from ledger.domain.lot.aggregate import Lot
from ledger.domain.values import Gtin, lot_id, lot_label
from projections.lot_trace import (
    ConsigneeHolding,
    LotTrace,
    TraceEntry,
    backward_trace,
    forward_trace,
    lot_history,
)

router = APIRouter(prefix="/v1/lots", tags=["lots"])
GtinPath = Annotated[str, Path(max_length=20, description="The product's GTIN.")]
LotPath = Annotated[str, Path(max_length=20, description="The lot number.")]


class StockBalance(BaseModel):
    """Units of the lot at one of the ledger's locations in one status."""

    location: str
    status: str
    quantity: int


class Transit(BaseModel):
    """Units of the lot on their way under one transfer or shipment."""

    reference: str
    kind: str
    destination: str
    quantity: int
    excursion: bool


class Holding(BaseModel):
    """Units of the lot a consignee holds."""

    party: str
    quantity: int


class LotTotals(BaseModel):
    """Running totals of the lot's units."""

    received: int
    used: int
    scrapped: int
    adjusted: int
    lost: int


class LotView(BaseModel):
    """A lot as its aggregate stands; a partner sees its facts and its own holding only."""

    lot_id: str
    gtin: str
    lot: str
    label: str
    expiry: date | None
    manufactured_on: date | None
    stock: list[StockBalance]
    in_transit: list[Transit]
    consignees: list[Holding]
    holds: dict[str, str] = Field(description="Open holds: reference to reason.")
    totals: LotTotals | None = Field(description="Null for partner keys.")
    version: int = Field(description="The aggregate's version (its number of events).")


class TraceLine(BaseModel):
    """One event of the lot as the trace shows it."""

    position: int
    movement: str
    occurred_at: datetime | None
    location: str | None
    party: str | None
    counterparty: str | None
    quantity: int | None
    reference: str | None


class HolderView(BaseModel):
    """A holder of the lot's units, how it got them, and what it did with them."""

    consignee: str
    supplied_by: list[str]
    depth: int = Field(description="1 for the ledger's own customers, 2 for theirs, …")
    shipped: int
    delivered: int
    bought: int
    sold_on: int
    returned: int
    used: int
    in_transit: int
    on_hand: int


class TraceView(BaseModel):
    """A lot's history, forward to its holders and back to its receipts."""

    gtin: str
    lot: str
    history: list[TraceLine]
    forward: list[HolderView]
    backward: list[TraceLine]


def _lot(ledger: LedgerDep, gtin: GtinPath, lot: LotPath) -> Lot:
    product = Gtin.parse(gtin)
    label = lot_label(product.value, lot)
    return aggregate(ledger, lot_id(product, lot), Lot, name="lot", key=label)


LotDep = Annotated[Lot, Depends(_lot)]


def _partner(key: ApiKey) -> str | None:
    return key.party if key.role is Role.PARTNER else None


@router.get("/{gtin}/{lot}", response_model=LotView, responses=READ_PROBLEMS)
def read_lot(key: AnyKey, found: LotDep) -> LotView:
    """Read a lot's facts and where its units are."""
    partner = _partner(key)
    own = partner is None
    return LotView(
        lot_id=str(found.id),
        gtin=found.gtin,
        lot=found.lot_number,
        label=found.label,
        expiry=found.expiry,
        manufactured_on=found.manufactured_on,
        stock=[
            StockBalance(location=location, status=status.value, quantity=quantity)
            for location, status, quantity in (found.stock if own else ())
        ],
        in_transit=[
            Transit(
                reference=reference,
                kind=t.kind.value,
                destination=t.destination,
                quantity=t.quantity,
                excursion=t.excursion,
            )
            for reference, t in sorted(found.in_transit.items())
            if own and t.quantity
        ],
        consignees=[
            Holding(party=party, quantity=quantity)
            for party, quantity in sorted(found.consignees.items())
            if quantity and (own or party == partner)
        ],
        holds=dict(found.holds) if own else {},
        totals=LotTotals(
            received=found.received,
            used=found.used,
            scrapped=found.scrapped,
            adjusted=found.adjusted,
            lost=found.lost,
        )
        if own
        else None,
        version=found.version,
    )


def _line(entry: TraceEntry) -> TraceLine:
    return TraceLine(**vars(entry))


def _holder(holding: ConsigneeHolding) -> HolderView:
    return HolderView(
        **{**vars(holding), "supplied_by": list(holding.supplied_by)},
        in_transit=holding.in_transit,
        on_hand=holding.on_hand,
    )


@router.get("/{gtin}/{lot}/trace", response_model=TraceView, responses=READ_PROBLEMS)
def trace_lot(
    key: AnyKey,
    found: LotDep,
    _caught_up: Annotated[int | None, Depends(caught_up(LotTrace.name))],
    reads: ReadsDep,
) -> TraceView:
    """Trace a lot: its history, its holders (forward) and its receipts (backward)."""
    partner = _partner(key)
    with reads.connection() as conn, conn.cursor() as cursor:
        history = lot_history(cursor, found.id)
        forward = forward_trace(cursor, found.id)
        backward = backward_trace(cursor, found.id) if partner is None else []
    if partner is not None:
        history = [e for e in history if partner in (e.party, e.counterparty)]
        forward = [h for h in forward if h.consignee == partner]
    return TraceView(
        gtin=found.gtin,
        lot=found.lot_number,
        history=[_line(entry) for entry in history],
        forward=[_holder(holding) for holding in forward],
        backward=[_line(entry) for entry in backward],
    )
