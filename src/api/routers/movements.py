"""Stock movements of lots: receipts, transfers, shipments, returns, status changes, reports.

Every body names its lot by ``gtin`` and ``lot`` or by ``udi``, and says when the movement
``occurred_at`` (timezone-aware). Writes need an ``Idempotency-Key``; the answer is 201 with
the command's outcome and the positions of its events, or 200 on a replay.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt

from api.deps import OperatorKey, ReporterKey
from api.keys import ApiKey, Role
from api.problems import NotPermitted
from api.routers.common import WRITE_RESPONSES, CommandBody, DecimalText, command
from ledger.domain.lot_ref import LotRef
from ledger.domain.values import ShipmentLine, StockStatus

router = APIRouter(prefix="/v1", tags=["movements"])
Code = Annotated[str, Field(min_length=1, max_length=64)]
Text = Annotated[str, Field(min_length=1, max_length=500)]
Reference = Annotated[str, Field(min_length=1, max_length=64)]
ReferencePath = Annotated[str, Path(max_length=64, description="The movement's reference.")]


class LotName(CommandBody):
    """A lot, named by GTIN and lot number, or by the UDI on its label."""

    model_config = ConfigDict(extra="forbid")

    gtin: str | None = Field(default=None, max_length=20, description="The product's GTIN.")
    lot: str | None = Field(default=None, max_length=20, description="The lot number.")
    udi: str | None = Field(
        default=None,
        max_length=200,
        description="The UDI, bracketed `(01)…(17)…(10)…` or as scanned; instead of gtin/lot.",
    )

    def ref(self) -> LotRef:
        """The lot as named, for the use case to read."""
        return LotRef(self.gtin, self.lot, self.udi)


class Movement(LotName):
    """What every movement of one lot states: the lot and when the movement occurred."""

    occurred_at: AwareDatetime = Field(description="When it happened (timezone-aware).")

    def arguments(self) -> dict[str, Any]:
        """The use case's keyword arguments: the lot as named, and the movement's fields."""
        names = set(LotName.model_fields)
        values = {name: getattr(self, name) for name in type(self).model_fields}
        return {"lot": self.ref(), **{k: v for k, v in values.items() if k not in names}}


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


class Ship(CommandBody):
    """A shipment of one or more lots to a customer: every line leaves, or none does."""

    model_config = ConfigDict(extra="forbid")

    shipment: Reference
    consignee: Code
    lines: list[ShipLine] = Field(min_length=1, max_length=500)
    order: Reference | None = None
    occurred_at: AwareDatetime

    def arguments(self) -> dict[str, Any]:
        """The lines as the use case takes them: each lot by GTIN and lot number."""
        on = self.occurred_at.date()
        lines = [
            ShipmentLine(*line.ref().plain(on), line.quantity, line.from_location)
            for line in self.lines
        ]
        return {**super().arguments(), "lines": lines}


class ConfirmDelivery(CommandBody):
    """The consignee's confirmation that a shipment's lots arrived."""

    model_config = ConfigDict(extra="forbid")

    consignee: Code
    lots: list[LotName] = Field(min_length=1, max_length=500)
    occurred_at: AwareDatetime

    def arguments(self) -> dict[str, Any]:
        """The lots as the use case takes them: by GTIN and lot number."""
        lots = [name.ref().plain(self.occurred_at.date()) for name in self.lots]
        return {**super().arguments(), "lots": lots}


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


def _reporting_as(field: str) -> Callable[[ApiKey, Any], None]:
    """A partner may report only as the party in ``field`` of the body: itself."""

    def check(key: ApiKey, body: Any) -> None:
        party = getattr(body, field)
        if key.role is Role.PARTNER and party.strip() != key.party:
            raise NotPermitted(
                f"a partner key of {key.party} may report only as {field} {key.party}",
                role=key.role,
                field=field,
            )

    return check


_RECORDED: dict[str, Any] = {
    "status_code": 201,
    "response_model": MovementRecorded,
    "responses": WRITE_RESPONSES,
}
_MOVEMENTS = (
    ("/lots/receipts", command("lots.receive", ReceiveLot, key=OperatorKey, doc=
        "Receive a supplier's delivery of a lot (opens the lot at its first receipt).")),
    ("/stock/put-away", command("lots.put_away", PutAway, key=OperatorKey, doc=
        "Move units between two locations of one warehouse.")),
    ("/transfers/dispatch", command("lots.dispatch_transfer", DispatchTransfer, key=OperatorKey,
        doc="Send units to another warehouse, in transit under the transfer's reference.")),
    ("/transfers/receive", command("lots.receive_transfer", ReceiveTransfer, key=OperatorKey,
        doc="Take in a transfer's units as counted (a shortfall is a discrepancy).")),
    ("/shipments", command("channel.ship", Ship, key=OperatorKey, doc=
        "Ship lines of one or more lots to a customer, all or nothing.")),
    ("/shipments/{shipment}/delivery", command("channel.confirm_delivery", ConfirmDelivery,
        key=OperatorKey, path={"shipment": (ReferencePath, "shipment")},
        doc="Record that a shipment's lots reached the consignee.")),
    ("/returns", command("channel.receive_return", ReceiveReturn, key=OperatorKey, doc=
        "Take back units a consignee holds, into quarantine.")),
    ("/stock/adjustments", command("lots.adjust_stock", AdjustStock, key=OperatorKey, doc=
        "Correct a balance after a stock count.")),
    ("/stock/quarantine", command("lots.quarantine", ChangeQuarantine, key=OperatorKey, doc=
        "Put available units at a location in quarantine.")),
    ("/stock/quarantine-release", command("lots.release_quarantine", ChangeQuarantine,
        key=OperatorKey, doc="Release quarantined units (into hold while the lot is on hold).")),
    ("/holds", command("lots.hold", PlaceHold, key=OperatorKey, doc=
        "Put a lot on hold: none of its units may leave until it is released.")),
    ("/holds/{hold}/release", command("lots.release_hold", ReleaseHold, key=OperatorKey,
        path={"hold": (ReferencePath, "hold")}, doc="Lift a hold on a lot.")),
    ("/stock/scrap", command("lots.scrap", Scrap, key=OperatorKey, doc=
        "Destroy or write off units.")),
    ("/uses", command("channel.report_use", ReportUse, key=ReporterKey,
        check=_reporting_as("consignee"),
        doc="Report units used by a consignee (a partner reports only its own).")),
    ("/sales-reports", command("channel.report_sales", ReportSales, key=ReporterKey,
        check=_reporting_as("seller"),
        doc="Report units a distributor sold on (a partner reports only its own sales).")),
    ("/temperature-readings", command("lots.record_temperature", RecordTemperature,
        key=OperatorKey,
        doc="Record a temperature reading; outside the storage range, units are quarantined.")),
)  # fmt: skip
for path, endpoint in _MOVEMENTS:
    router.add_api_route(path, endpoint, methods=["POST"], **_RECORDED)
