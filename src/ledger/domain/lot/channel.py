"""A lot's movements in the channel: shipments to customers and what customers report.

These are commands of ``Lot``, written out of its class and bound in it (``Lot.ship`` is
``ship`` here): each decides, then records through one of ``Lot``'s ``_record_*`` methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from ledger.domain.errors import InvalidValue
from ledger.domain.lot.errors import NotTheConsignee
from ledger.domain.lot.state import Movement
from ledger.domain.lot.stock import TransitKind
from ledger.domain.values import parse_location, parse_quantity, parse_text

if TYPE_CHECKING:
    from ledger.domain.lot.aggregate import Lot


def ship(
    self: Lot,
    *,
    shipment: str,
    consignee: str,
    picks: Mapping[str, int],
    occurred_at: datetime,
    order: str | None = None,
) -> None:
    """Send available, unexpired units of a lot not on hold to a customer, picked at one
    or more locations (``picks``: units per location)."""
    move = Movement.of(self, occurred_at)
    reference = parse_text("shipment", shipment)
    consignee = parse_text("consignee", consignee)
    if not picks:
        raise InvalidValue("picks", "a shipment takes units from at least one location")
    taken = {
        parse_location(place, "from_location"): parse_quantity(q) for place, q in picks.items()
    }
    for place, quantity in taken.items():
        move.require_outbound(place, quantity)
    move.require_unexpired()
    self._check_reference(reference)
    self._record_shipment(
        shipment=reference,
        consignee=consignee,
        from_locations=taken,
        quantity=sum(taken.values()),
        order=None if order is None else parse_text("order", order),
        occurred_at=move.at,
    )


def confirm_delivery(self: Lot, *, shipment: str, consignee: str, occurred_at: datetime) -> None:
    """Record the consignee's confirmation that the units of ``shipment`` arrived."""
    move = Movement.of(self, occurred_at)
    transit = self._transit(shipment, TransitKind.SHIPMENT)
    consignee = parse_text("consignee", consignee)
    if consignee != transit.destination:
        raise NotTheConsignee(self.label, shipment, consignee, transit.destination)
    self._record_delivery(
        shipment=shipment, consignee=consignee, quantity=transit.quantity, occurred_at=move.at
    )


def receive_return(
    self: Lot, *, consignee: str, location: str, quantity: int, reason: str, occurred_at: datetime
) -> None:
    """Take back units a consignee holds, into quarantine until they are inspected."""
    move = Movement.of(self, occurred_at)
    consignee, quantity = self._consignee_units(consignee, quantity)
    self._record_return(
        consignee=consignee,
        location=parse_location(location),
        quantity=quantity,
        reason=parse_text("reason", reason),
        occurred_at=move.at,
    )


def report_use(self: Lot, *, consignee: str, quantity: int, occurred_at: datetime) -> None:
    """Record units a consignee (a hospital) used."""
    move = Movement.of(self, occurred_at)
    consignee, quantity = self._consignee_units(consignee, quantity)
    self._record_use(consignee=consignee, quantity=quantity, occurred_at=move.at)


def report_sales(
    self: Lot,
    *,
    seller: str,
    buyer: str,
    quantity: int,
    occurred_at: datetime,
    reference: str | None = None,
) -> None:
    """Record a distributor's sale of units it holds to its own customer."""
    move = Movement.of(self, occurred_at)
    seller, quantity = self._consignee_units(seller, quantity, field="seller")
    buyer = parse_text("buyer", buyer)
    if buyer == seller:
        raise InvalidValue("buyer", "is the seller")
    self._record_sales(
        seller=seller,
        buyer=buyer,
        quantity=quantity,
        reference=None if reference is None else parse_text("reference", reference),
        occurred_at=move.at,
    )
