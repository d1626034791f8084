"""The events of a ``Lot``: every stock movement of a lot, as the ledger records it.

Each event carries ``occurred_at``, the time the movement happened as the client states it
(UTC); the time it was recorded is the event's ``timestamp``. ``Lot`` decorates its methods
with these classes, so the library stores each event under the subclass it defines on the
aggregate: the topic of ``LotReceived`` is ``ledger.domain.lot:Lot.LotReceived`` (use
``get_topic(Lot.LotReceived)``; ``isinstance(event, LotReceived)`` holds for both). The
created event ``LotOpened`` is stored under its own class.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from eventsourcing.domain import Aggregate

from ledger.domain.topics import stored_under
from ledger.domain.values import StockStatus


class LotOpened(Aggregate.Created):
    """A lot entered the ledger, at its first receipt.

    Fields: gtin (14 digits), lot_number, expiry and manufactured_on (full dates, None when
    unknown).
    """

    gtin: str
    lot_number: str
    expiry: date | None
    manufactured_on: date | None


class LotReceived(Aggregate.Event):
    """Units arrived from a supplier against a purchase order and were inspected.

    Fields: supplier (party code), purchase_order, location, accepted (into
    ``accepted_status``: available, or held while a hold is open), rejected (into
    quarantine), serials (empty unless serialised units were listed), note, occurred_at.
    """

    supplier: str
    purchase_order: str
    location: str
    accepted: int
    rejected: int
    accepted_status: StockStatus
    serials: list[str]
    note: str
    occurred_at: datetime


class StockPutAway(Aggregate.Event):
    """Units moved between two locations of one warehouse, keeping their status.

    Fields: from_location, to_location, status, quantity, occurred_at.
    """

    from_location: str
    to_location: str
    status: StockStatus
    quantity: int
    occurred_at: datetime


class TransferDispatched(Aggregate.Event):
    """Available units left a warehouse for another one, in transit under ``transfer``.

    Fields: transfer (reference), from_location, to_location, quantity, occurred_at.
    """

    transfer: str
    from_location: str
    to_location: str
    quantity: int
    occurred_at: datetime


class TransferReceived(Aggregate.Event):
    """Units in transit under ``transfer`` arrived at ``location`` in ``status``.

    Fields: transfer, location, quantity (as counted on arrival), status (available, held
    while a hold is open, quarantined after an excursion on the way), occurred_at.
    """

    transfer: str
    location: str
    quantity: int
    status: StockStatus
    occurred_at: datetime


class TransferDiscrepancyRecorded(Aggregate.Event):
    """Fewer units arrived under ``transfer`` than were dispatched; the rest is lost.

    Fields: transfer, dispatched, received, occurred_at.
    """

    transfer: str
    dispatched: int
    received: int
    occurred_at: datetime


class ShipmentDispatched(Aggregate.Event):
    """Available units left for a customer, in transit to ``consignee`` under ``shipment``.

    Fields: shipment (reference), consignee (party code), from_locations (units picked per
    location), quantity (their sum), order (the sales order's reference, if any),
    occurred_at.
    """

    shipment: str
    consignee: str
    from_locations: dict[str, int]
    quantity: int
    order: str | None
    occurred_at: datetime


class ShipmentDelivered(Aggregate.Event):
    """The consignee confirmed delivery: the units of ``shipment`` are now theirs to hold.

    Fields: shipment, consignee, quantity, occurred_at.
    """

    shipment: str
    consignee: str
    quantity: int
    occurred_at: datetime


class ReturnReceived(Aggregate.Event):
    """Units a consignee held came back, into quarantine at ``location``.

    Fields: consignee, location, quantity, reason, occurred_at.
    """

    consignee: str
    location: str
    quantity: int
    reason: str
    occurred_at: datetime


class StockAdjusted(Aggregate.Event):
    """A stock count changed a balance; ``change`` is positive for a gain, negative for a loss.

    Fields: location, status, change, reason, occurred_at.
    """

    location: str
    status: StockStatus
    change: int
    reason: str
    occurred_at: datetime


class StockQuarantined(Aggregate.Event):
    """Available units at ``location`` were put in quarantine.

    Fields: location, quantity, reason, occurred_at.
    """

    location: str
    quantity: int
    reason: str
    occurred_at: datetime


class QuarantineReleased(Aggregate.Event):
    """Quarantined units at ``location`` were released into ``to_status``.

    Fields: location, quantity, to_status (available, or held while a hold is open),
    reason, occurred_at.
    """

    location: str
    quantity: int
    to_status: StockStatus
    reason: str
    occurred_at: datetime


class StockHeld(Aggregate.Event):
    """A hold (e.g. a recall) was placed on the lot: its available units are frozen.

    Fields: hold (reference), reason, quantities (units moved from available to held, per
    location), occurred_at.
    """

    hold: str
    reason: str
    quantities: dict[str, int]
    occurred_at: datetime


class HoldReleased(Aggregate.Event):
    """A hold was lifted; ``quantities`` of held units became available again.

    Fields: hold, quantities (per location; empty while another hold stays open),
    occurred_at.
    """

    hold: str
    quantities: dict[str, int]
    occurred_at: datetime


class StockScrapped(Aggregate.Event):
    """Units were destroyed or written off.

    Fields: location, status (available or quarantine), quantity, reason, occurred_at.
    """

    location: str
    status: StockStatus
    quantity: int
    reason: str
    occurred_at: datetime


class UseReported(Aggregate.Event):
    """A consignee (a hospital) reported units used.

    Fields: consignee, quantity, occurred_at.
    """

    consignee: str
    quantity: int
    occurred_at: datetime


class SalesReported(Aggregate.Event):
    """A distributor reported selling units on to its own customer (``buyer``).

    Fields: seller and buyer (party codes), quantity, reference (the seller's document, if
    any), occurred_at.
    """

    seller: str
    buyer: str
    quantity: int
    reference: str | None
    occurred_at: datetime


class TemperatureRecorded(Aggregate.Event):
    """A temperature reading where units of the lot are kept or carried.

    Fields: celsius, location or shipment (the reference of a movement in transit; one of
    the two is None), occurred_at.
    """

    celsius: Decimal
    location: str | None
    shipment: str | None
    occurred_at: datetime


class TemperatureExcursionRecorded(Aggregate.Event):
    """A reading fell outside the product's storage range; available units there are
    quarantined (units in transit are quarantined on arrival when they are ours).

    Fields: celsius, min_celsius and max_celsius (the range), location or shipment,
    quarantined (units put in quarantine at the location), occurred_at.
    """

    celsius: Decimal
    min_celsius: Decimal | None
    max_celsius: Decimal | None
    location: str | None
    shipment: str | None
    quarantined: int
    occurred_at: datetime


stored_under(LotOpened, "ledger.domain.lot_events")  # its module in 0.1.0
