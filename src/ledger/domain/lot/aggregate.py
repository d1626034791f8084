"""The ``Lot`` aggregate: one lot of one product, every unit of it accounted for.

A lot's units are on hand (per location and status), in transit (per movement reference),
at consignees (per party code), or gone: used, scrapped, adjusted away or lost in transit.

Decide, then record. Each command decides in the module of its part and then calls one of
the ``_record_*`` methods here, whose bodies only change the state (they run again on every
replay): ``warehouse`` (receipts, put-away, transfers), ``status`` (counts, quarantine,
holds, scrapping, temperature) and ``channel`` (shipments and what customers report). The
library makes an event class only of the ``@event`` methods in the aggregate's own class
body, so every recording method is here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from eventsourcing.domain import Aggregate, event

from ledger.domain.errors import InvalidValue
from ledger.domain.lot import channel, status, warehouse
from ledger.domain.lot.events import (
    HoldReleased,
    LotOpened,
    LotReceived,
    QuarantineReleased,
    ReturnReceived,
    SalesReported,
    ShipmentDelivered,
    ShipmentDispatched,
    StockAdjusted,
    StockHeld,
    StockPutAway,
    StockQuarantined,
    StockScrapped,
    TemperatureExcursionRecorded,
    TemperatureRecorded,
    TransferDiscrepancyRecorded,
    TransferDispatched,
    TransferReceived,
    UseReported,
)
from ledger.domain.lot.state import AVAILABLE, HOLD, QUARANTINE, LotState
from ledger.domain.lot.stock import InTransit, TransitKind
from ledger.domain.topics import stored_under
from ledger.domain.values import Gtin, StockStatus, lot_id, parse_lot_number


class Lot(LotState, Aggregate):
    """A lot (batch) of a product: where its units are, in which status, and who holds them.

    See ``LotState`` for its attributes. Stored event topics are ``ledger.domain.lot:Lot.<Event>``
    (``LotOpened`` under its own class).
    """

    # Commands: each is a function ``(self: Lot, ...)`` in its part's module, bound here. A
    # mixin's method could not take ``Lot`` as its self type (mypy refuses a self type that
    # is not a supertype of its class), so its calls of the recording methods below would go
    # unchecked.

    receive = warehouse.receive
    put_away = warehouse.put_away
    dispatch_transfer = warehouse.dispatch_transfer
    receive_transfer = warehouse.receive_transfer

    adjust = status.adjust
    quarantine = status.quarantine
    release_quarantine = status.release_quarantine
    hold = status.hold
    release_hold = status.release_hold
    scrap = status.scrap
    record_temperature = status.record_temperature

    ship = channel.ship
    confirm_delivery = channel.confirm_delivery
    receive_return = channel.receive_return
    report_use = channel.report_use
    report_sales = channel.report_sales

    # Events: the library finds each class named in @event on the aggregate class ---------

    LotReceived = LotReceived
    StockPutAway = StockPutAway
    TransferDispatched = TransferDispatched
    TransferReceived = TransferReceived
    TransferDiscrepancyRecorded = TransferDiscrepancyRecorded
    StockAdjusted = StockAdjusted
    StockQuarantined = StockQuarantined
    QuarantineReleased = QuarantineReleased
    StockHeld = StockHeld
    HoldReleased = HoldReleased
    StockScrapped = StockScrapped
    TemperatureRecorded = TemperatureRecorded
    TemperatureExcursionRecorded = TemperatureExcursionRecorded
    ShipmentDispatched = ShipmentDispatched
    ShipmentDelivered = ShipmentDelivered
    ReturnReceived = ReturnReceived
    UseReported = UseReported
    SalesReported = SalesReported

    @classmethod
    def open(
        cls,
        *,
        gtin: Gtin,
        lot_number: str,
        expiry: date | None = None,
        manufactured_on: date | None = None,
    ) -> Lot:
        """Record a lot's facts when it is first received."""
        number = parse_lot_number(lot_number)
        if expiry is not None and manufactured_on is not None and manufactured_on > expiry:
            raise InvalidValue("manufactured_on", "is after the expiry date")
        # _create with the id given skips the library's generic argument handling.
        return cls._create(
            LotOpened,
            id=lot_id(gtin, number),
            gtin=gtin.value,
            lot_number=number,
            expiry=expiry,
            manufactured_on=manufactured_on,
        )

    @event(LotOpened)
    def __init__(
        self, *, gtin: str, lot_number: str, expiry: date | None, manufactured_on: date | None
    ) -> None:
        self._start(
            gtin=gtin, lot_number=lot_number, expiry=expiry, manufactured_on=manufactured_on
        )

    # In our warehouses --------------------------------------------------------------------

    @event(LotReceived)
    def _record_receipt(
        self,
        *,
        supplier: str,
        purchase_order: str,
        location: str,
        accepted: int,
        rejected: int,
        accepted_status: StockStatus,
        serials: list[str],
        note: str,
        occurred_at: datetime,
    ) -> None:
        self.stock.add(location, accepted_status, accepted)
        self.stock.add(location, QUARANTINE, rejected)
        self.serials.update(serials)
        self.received += accepted + rejected

    @event(StockPutAway)
    def _record_put_away(
        self,
        *,
        from_location: str,
        to_location: str,
        status: StockStatus,
        quantity: int,
        occurred_at: datetime,
    ) -> None:
        self.stock.add(from_location, status, -quantity)
        self.stock.add(to_location, status, quantity)

    @event(TransferDispatched)
    def _record_transfer_dispatch(
        self,
        *,
        transfer: str,
        from_location: str,
        to_location: str,
        quantity: int,
        occurred_at: datetime,
    ) -> None:
        self.stock.add(from_location, AVAILABLE, -quantity)
        self.in_transit[transfer] = InTransit(TransitKind.TRANSFER, to_location, quantity)

    @event(TransferReceived)
    def _record_transfer_receipt(
        self,
        *,
        transfer: str,
        location: str,
        quantity: int,
        status: StockStatus,
        occurred_at: datetime,
    ) -> None:
        self.stock.add(location, status, quantity)
        self._take_transit(transfer, quantity)

    @event(TransferDiscrepancyRecorded)
    def _record_transfer_discrepancy(
        self, *, transfer: str, dispatched: int, received: int, occurred_at: datetime
    ) -> None:
        self._take_transit(transfer, dispatched - received)
        self.lost += dispatched - received

    # Status of the units on hand ----------------------------------------------------------

    @event(StockAdjusted)
    def _record_adjustment(
        self,
        *,
        location: str,
        status: StockStatus,
        change: int,
        reason: str,
        occurred_at: datetime,
    ) -> None:
        self.stock.add(location, status, change)
        self.adjusted += change

    @event(StockQuarantined)
    def _record_quarantine(
        self, *, location: str, quantity: int, reason: str, occurred_at: datetime
    ) -> None:
        self.stock.move(location, AVAILABLE, QUARANTINE, quantity)

    @event(QuarantineReleased)
    def _record_quarantine_release(
        self,
        *,
        location: str,
        quantity: int,
        to_status: StockStatus,
        reason: str,
        occurred_at: datetime,
    ) -> None:
        self.stock.move(location, QUARANTINE, to_status, quantity)

    @event(StockHeld)
    def _record_hold(
        self, *, hold: str, reason: str, quantities: dict[str, int], occurred_at: datetime
    ) -> None:
        self.holds[hold] = reason
        self.stock.move_all(quantities, AVAILABLE, HOLD)

    @event(HoldReleased)
    def _record_hold_release(
        self, *, hold: str, quantities: dict[str, int], occurred_at: datetime
    ) -> None:
        del self.holds[hold]
        self.closed_references.add(hold)
        self.stock.move_all(quantities, HOLD, AVAILABLE)

    @event(StockScrapped)
    def _record_scrap(
        self,
        *,
        location: str,
        status: StockStatus,
        quantity: int,
        reason: str,
        occurred_at: datetime,
    ) -> None:
        self.stock.add(location, status, -quantity)
        self.scrapped += quantity

    @event(TemperatureRecorded)
    def _record_reading(
        self,
        *,
        celsius: Decimal,
        location: str | None,
        shipment: str | None,
        occurred_at: datetime,
    ) -> None:
        pass  # a reading within range changes no balance

    @event(TemperatureExcursionRecorded)
    def _record_excursion(
        self,
        *,
        celsius: Decimal,
        min_celsius: Decimal | None,
        max_celsius: Decimal | None,
        location: str | None,
        shipment: str | None,
        quarantined: int,
        occurred_at: datetime,
    ) -> None:
        if location is not None:
            self.stock.move(location, AVAILABLE, QUARANTINE, quarantined)
        if shipment is not None:
            self.in_transit[shipment] = replace(self.in_transit[shipment], excursion=True)

    # In the channel -----------------------------------------------------------------------

    @event(ShipmentDispatched)
    def _record_shipment(
        self,
        *,
        shipment: str,
        consignee: str,
        from_locations: dict[str, int],
        quantity: int,
        order: str | None,
        occurred_at: datetime,
    ) -> None:
        for location, units in from_locations.items():
            self.stock.add(location, AVAILABLE, -units)
        self.in_transit[shipment] = InTransit(TransitKind.SHIPMENT, consignee, quantity)

    @event(ShipmentDelivered)
    def _record_delivery(
        self, *, shipment: str, consignee: str, quantity: int, occurred_at: datetime
    ) -> None:
        self._take_transit(shipment, quantity)
        self.consignees[consignee] = self.consignees.get(consignee, 0) + quantity

    @event(ReturnReceived)
    def _record_return(
        self, *, consignee: str, location: str, quantity: int, reason: str, occurred_at: datetime
    ) -> None:
        self._take_from_consignee(consignee, quantity)
        self.stock.add(location, QUARANTINE, quantity)

    @event(UseReported)
    def _record_use(self, *, consignee: str, quantity: int, occurred_at: datetime) -> None:
        self._take_from_consignee(consignee, quantity)
        self.used += quantity

    @event(SalesReported)
    def _record_sales(
        self,
        *,
        seller: str,
        buyer: str,
        quantity: int,
        reference: str | None,
        occurred_at: datetime,
    ) -> None:
        self._take_from_consignee(seller, quantity)
        self.consignees[buyer] = self.consignees.get(buyer, 0) + quantity


stored_under(Lot, "ledger.domain.lot")  # its module in 0.1.0
