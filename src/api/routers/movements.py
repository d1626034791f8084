"""Stock movements of lots: receipts, transfers, shipments, returns, status changes, reports.

Every body names its lot by ``gtin`` and ``lot`` or by ``udi``, and says when the movement
``occurred_at`` (timezone-aware). Writes need an ``Idempotency-Key``; the answer is 201 with
the command's outcome and the positions of its events, or 200 on a replay.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date
from operator import attrgetter
from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt

from api.deps import LedgerDep, OperatorKey, ReporterKey, WriteCaller
from api.errors import NotPermitted
from api.keys import ApiKey, Role
from api.routers.common import WRITE_RESPONSES, DecimalText, answer
from ledger.application.commands import CommandOutcome
from ledger.domain.lot_ref import LotRef
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


def _one_lot(
    body: type[Movement], use_case: str, doc: str, *, reporter: str | None = None
) -> Callable[..., dict[str, Any]]:
    """The route of a movement of one lot: the body's fields go to the use case.

    Args:
        use_case: the ledger's use case, by its path (``lots.receive``); it names the route.
        reporter: the body's party field when partners may report it, for their own party.
    """
    run = attrgetter(use_case)

    def record(
        body: Movement, key: ApiKey, caller: Any, ledger: Any, response: Response
    ) -> dict[str, Any]:
        if reporter is not None:
            _own_party(key, getattr(body, reporter), reporter)
        outcome: CommandOutcome = run(ledger)(**body.arguments(), caller=caller)
        return answer(outcome, response)

    # FastAPI reads the body's model and the dependencies from the signature.
    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    annotations = {
        "body": body,
        "key": ReporterKey if reporter else OperatorKey,
        "caller": WriteCaller,
        "ledger": LedgerDep,
        "response": Response,
    }
    record.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(name, keyword, annotation=kind) for name, kind in annotations.items()],
        return_annotation=dict[str, Any],
    )
    record.__name__ = record.__qualname__ = use_case.rsplit(".", 1)[-1]
    record.__doc__ = doc
    return record


def ship(
    body: Ship, key: OperatorKey, caller: WriteCaller, ledger: LedgerDep, response: Response
) -> dict[str, Any]:
    """Ship lines of one or more lots to a customer, all or nothing."""
    on = body.occurred_at.date()
    lines = [
        ShipmentLine(*line.ref().plain(on), line.quantity, line.from_location)
        for line in body.lines
    ]
    result = ledger.channel.ship(
        shipment=body.shipment,
        consignee=body.consignee,
        lines=lines,
        order=body.order,
        occurred_at=body.occurred_at,
        caller=caller,
    )
    return answer(result, response)


def confirm_delivery(
    shipment: ReferencePath,
    body: ConfirmDelivery,
    key: OperatorKey,
    caller: WriteCaller,
    ledger: LedgerDep,
    response: Response,
) -> dict[str, Any]:
    """Record that a shipment's lots reached the consignee."""
    result = ledger.channel.confirm_delivery(
        shipment=shipment,
        consignee=body.consignee,
        lots=[name.ref().plain(body.occurred_at.date()) for name in body.lots],
        occurred_at=body.occurred_at,
        caller=caller,
    )
    return answer(result, response)


def release_hold(
    hold: ReferencePath,
    body: ReleaseHold,
    key: OperatorKey,
    caller: WriteCaller,
    ledger: LedgerDep,
    response: Response,
) -> dict[str, Any]:
    """Lift a hold on a lot."""
    return answer(ledger.lots.release_hold(hold=hold, **body.arguments(), caller=caller), response)


_ROUTES: tuple[tuple[str, Callable[..., dict[str, Any]]], ...] = (
    ("/lots/receipts", _one_lot(ReceiveLot, "lots.receive",
        "Receive a supplier's delivery of a lot (opens the lot at its first receipt).")),
    ("/stock/put-away", _one_lot(PutAway, "lots.put_away",
        "Move units between two locations of one warehouse.")),
    ("/transfers/dispatch", _one_lot(DispatchTransfer, "lots.dispatch_transfer",
        "Send units to another warehouse, in transit under the transfer's reference.")),
    ("/transfers/receive", _one_lot(ReceiveTransfer, "lots.receive_transfer",
        "Take in a transfer's units as counted (a shortfall is a discrepancy).")),
    ("/shipments", ship),
    ("/shipments/{shipment}/delivery", confirm_delivery),
    ("/returns", _one_lot(ReceiveReturn, "channel.receive_return",
        "Take back units a consignee holds, into quarantine.")),
    ("/stock/adjustments", _one_lot(AdjustStock, "lots.adjust_stock",
        "Correct a balance after a stock count.")),
    ("/stock/quarantine", _one_lot(ChangeQuarantine, "lots.quarantine",
        "Put available units at a location in quarantine.")),
    ("/stock/quarantine-release", _one_lot(ChangeQuarantine, "lots.release_quarantine",
        "Release quarantined units (into hold while the lot is on hold).")),
    ("/holds", _one_lot(PlaceHold, "lots.hold",
        "Put a lot on hold: none of its units may leave until it is released.")),
    ("/holds/{hold}/release", release_hold),
    ("/stock/scrap", _one_lot(Scrap, "lots.scrap", "Destroy or write off units.")),
    ("/uses", _one_lot(ReportUse, "channel.report_use",
        "Report units used by a consignee (a partner reports only its own).",
        reporter="consignee")),
    ("/sales-reports", _one_lot(ReportSales, "channel.report_sales",
        "Report units a distributor sold on (a partner reports only its own sales).",
        reporter="seller")),
    ("/temperature-readings", _one_lot(RecordTemperature, "lots.record_temperature",
        "Record a temperature reading; outside the storage range, units are quarantined.")),
)  # fmt: skip
for path, endpoint in _ROUTES:
    router.add_api_route(path, endpoint, methods=["POST"], **_RECORDED)
