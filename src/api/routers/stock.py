"""``/v1/stock``: units on hand from the stock read model; partners see only their own."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import AfterValidator, AwareDatetime, BaseModel, Field

from api.deps import AnyKey, ReadsDep, caught_up
from api.keys import ApiKey, Role
from api.routers.common import READ_PROBLEMS
from projections.lot_trace import AT_CONSIGNEE, LotTrace, consignee_stock
from projections.stock import Stock, StockLine, expiring_lots, stock_on_hand

router = APIRouter(prefix="/v1/stock", tags=["stock"])
MAX_LINES = 5000
EXPIRY_HORIZONS = (90, 180)
StatusFilter = Literal["available", "quarantine", "hold", "in_transit", "at_consignee"]
_CaughtUp = Annotated[int | None, Depends(caught_up(Stock.name, LotTrace.name))]


class StockLineView(BaseModel):
    """Units of one lot at one location in one status."""

    gtin: str
    lot: str = Field(description="The lot number.")
    expiry: date | None
    location: str = Field(
        description="A location code, a transfer or shipment reference for units in transit, "
        "or a partner's own party code for the units it holds."
    )
    status: str = Field(description="available, quarantine, hold, in_transit or at_consignee.")
    quantity: int


class StockView(BaseModel):
    """Units on hand, ordered by GTIN, expiry and lot."""

    items: list[StockLineView]


def _view(lines: list[StockLine]) -> StockView:
    return StockView(
        items=[
            StockLineView(
                gtin=line.gtin,
                lot=line.lot_number,
                expiry=line.expiry,
                location=line.location,
                status=line.status,
                quantity=line.quantity,
            )
            for line in lines
        ]
    )


def _horizon(days: int) -> int:
    if days not in EXPIRY_HORIZONS:
        raise ValueError(f"must be one of {', '.join(map(str, EXPIRY_HORIZONS))}")
    return days


def _own_location(key: ApiKey, location: str | None) -> bool:
    """Whether a partner's location filter (a code or a prefix of one) names its own code."""
    party = key.party or ""
    return location is None or party == location or party.startswith(location + "-")


@router.get("", response_model=StockView, responses=READ_PROBLEMS)
def list_stock(
    key: AnyKey,
    _caught_up: _CaughtUp,
    reads: ReadsDep,
    gtin: Annotated[str | None, Query(max_length=20, description="Only this GTIN-14.")] = None,
    lot: Annotated[str | None, Query(max_length=20, description="Only this lot number.")] = None,
    location: Annotated[
        str | None,
        Query(max_length=64, description="Only this location, or a warehouse (its prefix)."),
    ] = None,
    status: Annotated[StatusFilter | None, Query(description="Only this status.")] = None,
    as_of: Annotated[
        AwareDatetime | None, Query(description="Stock as it was at this moment (occurred).")
    ] = None,
    known_at: Annotated[
        AwareDatetime | None, Query(description="Stock as the ledger knew it then (recorded).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LINES, description="Lines at most.")] = 1000,
) -> StockView:
    """List units on hand per lot, location and status, now or at a past moment."""
    filters: dict[str, Any] = {
        "gtin": gtin,
        "lot_number": lot,
        "as_of": as_of,
        "known_at": known_at,
        "limit": limit,
    }
    with reads.connection() as conn, conn.cursor() as cursor:
        if key.role is Role.PARTNER:
            if status not in (None, AT_CONSIGNEE) or not _own_location(key, location):
                return StockView(items=[])
            return _view(consignee_stock(cursor, key.party or "", **filters))
        return _view(stock_on_hand(cursor, location=location, status=status, **filters))


@router.get("/expiring", response_model=StockView, responses=READ_PROBLEMS)
def list_expiring(
    key: AnyKey,
    _caught_up: _CaughtUp,
    reads: ReadsDep,
    within_days: Annotated[
        int,
        Query(description="Lots expiring within this many days: 90 or 180."),
        AfterValidator(_horizon),
    ] = 90,
    on: Annotated[date | None, Query(description="Counted from this day (default: today).")] = None,
    location: Annotated[
        str | None,
        Query(max_length=64, description="Only this location, or a warehouse (its prefix)."),
    ] = None,
) -> StockView:
    """List units on hand of lots expiring soon, first expiry first."""
    day = on or datetime.now(UTC).date()
    with reads.connection() as conn, conn.cursor() as cursor:
        if key.role is Role.PARTNER:
            if not _own_location(key, location):
                return StockView(items=[])
            by = day + timedelta(days=within_days)
            return _view(consignee_stock(cursor, key.party or "", expiring_by=by))
        return _view(expiring_lots(cursor, on=day, within_days=within_days, location=location))
