"""Stock movements of lots: receipts, transfers, shipments, returns, status changes, reports.

Every body names its lot by ``gtin`` and ``lot`` or by ``udi``, and says when the movement
``occurred_at`` (timezone-aware). Writes need an ``Idempotency-Key``; the answer is 201 with
the command's outcome and the positions of its events, or 200 on a replay.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt

from api.deps import LedgerDep, OperatorKey, ReporterKey, WriteCaller
from api.errors import NotPermitted
from api.keys import ApiKey, Role
from api.routers.common import WRITE_RESPONSES, DecimalText, answer
from ledger.domain.errors import InvalidValue
from ledger.domain.udi import parse_udi
from ledger.domain.values import ShipmentLine, StockStatus

router = APIRouter(prefix="/v1", tags=["movements"])
Code = Annotated[str, Field(min_length=1, max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=500)]
Reference = Annotated[str, Field(min_length=1, max_length=64)]
ReferencePath = Annotated[str, Path(max_length=64, description="The movement's reference.")]


class LotName(BaseModel):
    """A lot, named by GTIN and lot number, or by the UDI on its label."""

    model_config = ConfigDict(extra="forbid")

    gtin: str | None = Field(default=None, max_length=20, description="The product's GTIN.")
    lot: str | None = Field(default=None, max_length=20, description="The lot number.")
    udi: str | None = Field(
        default=None,
        max_length=200,
        description="The UDI, bracketed `(01)…(17)…(10)…` or as scanned; instead of gtin/lot.",
    )


class Movement(LotName):
    """What every movement of one lot states: the lot and when the movement occurred."""

    occurred_at: AwareDatetime = Field(description="When it happened (timezone-aware).")

    def arguments(self) -> dict[str, Any]:
        """The use case's keyword arguments (``lot`` becomes ``lot_number``)."""
        values = {name: getattr(self, name) for name in type(self).model_fields}
        values["lot_number"] = values.pop("lot")
        return values


class MovementRecorded(BaseModel):
    """The answer to a movement (the same on every replay of its key): the command's
    outcome (lot, events, figures moved) and the positions of the events it recorded."""

    model_config = ConfigDict(extra="allow")

    positions: list[int] = Field(description="Positions of the events recorded.")


class ReceiveLot(Movement):
    """A supplier's delivery against a purchase order, after inspection."""

    supplier: Code
    purchase_order: Reference
    location: Code
    accepted: StrictInt = Field(description="Units that passed inspection (available).")
    rejected: StrictInt = Field(default=0, description="Units that failed (quarantined).")
    expiry: date | None = None
    manufactured_on: date | None = None
    serials: list[Annotated[str, Field(max_length=64)]] = Field(default=[], max_length=10000)
    note: str = Field(default="", max_length=500)


class PutAway(Movement):
    """Units moved between two locations of one warehouse."""

    from_location: Code
    to_location: Code
    quantity: StrictInt
    status: StockStatus = StockStatus.AVAILABLE


class DispatchTransfer(Movement):
    """Available units sent to another of the ledger's warehouses."""

    transfer: Reference
    from_location: Code
    to_location: Code
    quantity: StrictInt


class ReceiveTransfer(Movement):
    """A transfer's units taken in as counted."""

    transfer: Reference
    location: Code
    quantity: StrictInt


class ShipLine(LotName):
    """One line of a shipment: units of one lot picked at one location."""

    quantity: StrictInt
    from_location: Code


class Ship(BaseModel):
    """A shipment of one or more lots to a customer: every line leaves, or none does."""

    model_config = ConfigDict(extra="forbid")

    shipment: Reference
    consignee: Code
    lines: list[ShipLine] = Field(min_length=1, max_length=500)
    order: Reference | None = None
    occurred_at: AwareDatetime


class ConfirmDelivery(BaseModel):
    """The consignee's confirmation that a shipment's lots arrived."""

    model_config = ConfigDict(extra="forbid")

    consignee: Code
    lots: list[LotName] = Field(min_length=1, max_length=500)
    occurred_at: AwareDatetime


class ReceiveReturn(Movement):
    """Units a consignee sends back, taken into quarantine."""

    consignee: Code
    location: Code
    quantity: StrictInt
    reason: Text


class AdjustStock(Movement):
    """A balance corrected after a stock count."""

    location: Code
    change: StrictInt = Field(description="Units added (positive) or removed (negative).")
    reason: Text
    status: StockStatus = StockStatus.AVAILABLE


class ChangeQuarantine(Movement):
    """Units put into or released from quarantine at a location."""

    location: Code
    quantity: StrictInt
    reason: Text


class PlaceHold(Movement):
    """A hold on a lot (e.g. under a recall id): none of its units may leave."""

    hold: Reference
    reason: Text


class ReleaseHold(Movement):
    """A hold lifted."""


class Scrap(Movement):
    """Units destroyed or written off."""

    location: Code
    quantity: StrictInt
    reason: Text
    status: StockStatus = StockStatus.QUARANTINE


class ReportUse(Movement):
    """Units a consignee (a hospital) reports as used."""

    consignee: Code
    quantity: StrictInt


class ReportSales(Movement):
    """Units a distributor reports as sold on to its own customer."""

    seller: Code
    buyer: Code
    quantity: StrictInt
    reference: Reference | None = None


class RecordTemperature(Movement):
    """A temperature reading where a lot is kept (``location``) or carried (``shipment``)."""

    celsius: DecimalText
    location: Code | None = None
    shipment: Reference | None = None


def _lot_of(name: LotName, movement: Movement | Ship | ConfirmDelivery) -> tuple[str, str]:
    """GTIN and lot number of a line that may name its lot by UDI."""
    if name.udi is not None:
        if name.gtin is not None or name.lot is not None:
            raise InvalidValue("udi", "name the lot by a UDI or by GTIN and lot number")
        read = parse_udi(name.udi, movement.occurred_at.date())
        return read.gtin, read.lot
    if name.gtin is None or name.lot is None:
        raise InvalidValue("gtin", "a GTIN and a lot number, or a UDI, must name the lot")
    return name.gtin, name.lot


def _own_party(key: ApiKey, party: str, field: str) -> None:
    """A partner may report only for its own party."""
    if key.role is Role.PARTNER and party.strip() != key.party:
        raise NotPermitted(
            f"a partner key of {key.party} may report only as {field} {key.party}",
            role=key.role,
            field=field,
        )


_RECORDED: dict[str, Any] = {
    "status_code": 201,
    "response_model": MovementRecorded,
    "responses": WRITE_RESPONSES,
}


@router.post("/lots/receipts", **_RECORDED)
def receive(
    body: ReceiveLot, key: OperatorKey, caller: WriteCaller, ledger: LedgerDep, response: Response
) -> dict[str, Any]:
    """Receive a supplier's delivery of a lot (opens the lot at its first receipt)."""
    return answer(ledger.receive(**body.arguments(), caller=caller), response)


@router.post("/stock/put-away", **_RECORDED)
def put_away(
    body: PutAway, key: OperatorKey, caller: WriteCaller, ledger: LedgerDep, response: Response
) -> dict[str, Any]:
    """Move units between two locations of one warehouse."""
    return answer(ledger.put_away(**body.arguments(), caller=caller), response)


@router.post("/transfers/dispatch", **_RECORDED)
def dispatch_transfer(
    body: DispatchTransfer,
    key: OperatorKey,
    caller: WriteCaller,
    ledger: LedgerDep,
    response: Response,
) -> dict[str, Any]:
    """Send units to another warehouse, in transit under the transfer's reference."""
    return answer(ledger.dispatch_transfer(**body.arguments(), caller=caller), response)


@router.post("/transfers/receive", **_RECORDED)
def receive_transfer(
    body: ReceiveTransfer,
    key: OperatorKey,
    caller: WriteCaller,
    ledger: LedgerDep,
    response: Response,
) -> dict[str, Any]:
    """Take in a transfer's units as counted (a shortfall is a discrepancy)."""
    return answer(ledger.receive_transfer(**body.arguments(), caller=caller), response)


@router.post("/shipments", **_RECORDED)
def ship(
    body: Ship, key: OperatorKey, caller: WriteCaller, ledger: LedgerDep, response: Response
) -> dict[str, Any]:
    """Ship lines of one or more lots to a customer, all or nothing."""
    lines = [
        ShipmentLine(*_lot_of(line, body), quantity=line.quantity, from_location=line.from_location)
        for line in body.lines
    ]
    result = ledger.ship(
        shipment=body.shipment,
        consignee=body.consignee,
        lines=lines,
        order=body.order,
        occurred_at=body.occurred_at,
        caller=caller,
    )
    return answer(result, response)


@router.post("/shipments/{shipment}/delivery", **_RECORDED)
def confirm_delivery(
    shipment: ReferencePath,
    body: ConfirmDelivery,
    key: OperatorKey,
    caller: WriteCaller,
    ledger: LedgerDep,
    response: Response,
) -> dict[str, Any]:
    """Record that a shipment's lots reached the consignee."""
    result = ledger.confirm_delivery(
        shipment=shipment,
        consignee=body.consignee,
        lots=[_lot_of(name, body) for name in body.lots],
        occurred_at=body.occurred_at,
        caller=caller,
    )
    return answer(result, response)


@router.post("/returns", **_RECORDED)
def receive_return(
    body: ReceiveReturn,
    key: OperatorKey,
    caller: WriteCaller,
    ledger: LedgerDep,
    response: Response,
) -> dict[str, Any]:
    """Take back units a consignee holds, into quarantine."""
    return answer(ledger.receive_return(**body.arguments(), caller=caller), response)


@router.post("/stock/adjustments", **_RECORDED)
def adjust_stock(
    body: AdjustStock, key: OperatorKey, caller: WriteCaller, ledger: LedgerDep, response: Response
) -> dict[str, Any]:
    """Correct a balance after a stock count."""
    return answer(ledger.adjust_stock(**body.arguments(), caller=caller), response)


@router.post("/stock/quarantine", **_RECORDED)
def quarantine(
    body: ChangeQuarantine,
    key: OperatorKey,
    caller: WriteCaller,
    ledger: LedgerDep,
    response: Response,
) -> dict[str, Any]:
    """Put available units at a location in quarantine."""
    return answer(ledger.quarantine(**body.arguments(), caller=caller), response)


@router.post("/stock/quarantine-release", **_RECORDED)
def release_quarantine(
    body: ChangeQuarantine,
    key: OperatorKey,
    caller: WriteCaller,
    ledger: LedgerDep,
    response: Response,
) -> dict[str, Any]:
    """Release quarantined units (into hold while the lot is on hold)."""
    return answer(ledger.release_quarantine(**body.arguments(), caller=caller), response)


@router.post("/holds", **_RECORDED)
def hold(
    body: PlaceHold, key: OperatorKey, caller: WriteCaller, ledger: LedgerDep, response: Response
) -> dict[str, Any]:
    """Put a lot on hold: none of its units may leave until it is released."""
    return answer(ledger.hold(**body.arguments(), caller=caller), response)


@router.post("/holds/{hold}/release", **_RECORDED)
def release_hold(
    hold: ReferencePath,
    body: ReleaseHold,
    key: OperatorKey,
    caller: WriteCaller,
    ledger: LedgerDep,
    response: Response,
) -> dict[str, Any]:
    """Lift a hold on a lot."""
    return answer(ledger.release_hold(hold=hold, **body.arguments(), caller=caller), response)


@router.post("/stock/scrap", **_RECORDED)
def scrap(
    body: Scrap, key: OperatorKey, caller: WriteCaller, ledger: LedgerDep, response: Response
) -> dict[str, Any]:
    """Destroy or write off units."""
    return answer(ledger.scrap(**body.arguments(), caller=caller), response)


@router.post("/uses", **_RECORDED)
def report_use(
    body: ReportUse, key: ReporterKey, caller: WriteCaller, ledger: LedgerDep, response: Response
) -> dict[str, Any]:
    """Report units used by a consignee (a partner reports only its own)."""
    _own_party(key, body.consignee, "consignee")
    return answer(ledger.report_use(**body.arguments(), caller=caller), response)


@router.post("/sales-reports", **_RECORDED)
def report_sales(
    body: ReportSales, key: ReporterKey, caller: WriteCaller, ledger: LedgerDep, response: Response
) -> dict[str, Any]:
    """Report units a distributor sold on (a partner reports only its own sales)."""
    _own_party(key, body.seller, "seller")
    return answer(ledger.report_sales(**body.arguments(), caller=caller), response)


@router.post("/temperature-readings", **_RECORDED)
def record_temperature(
    body: RecordTemperature,
    key: OperatorKey,
    caller: WriteCaller,
    ledger: LedgerDep,
    response: Response,
) -> dict[str, Any]:
    """Record a temperature reading; outside the storage range, units are quarantined."""
    return answer(ledger.record_temperature(**body.arguments(), caller=caller), response)
