"""Changes of a lot's stock status: counts, quarantine, holds, scrapping, temperature.

These are commands of ``Lot``, written out of its class and bound in it (``Lot.adjust`` is
``adjust`` here): each decides, then records through one of ``Lot``'s ``_record_*`` methods.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from ledger.domain.errors import InvalidValue
from ledger.domain.lot.errors import NoSuchHold, ReferenceAlreadyUsed
from ledger.domain.lot.state import AVAILABLE, HOLD, QUARANTINE, Movement
from ledger.domain.values import (
    StockStatus,
    StorageRange,
    parse_location,
    parse_quantity,
    parse_text,
)

if TYPE_CHECKING:
    from ledger.domain.lot.aggregate import Lot


def adjust(
    self: Lot,
    *,
    location: str,
    change: int,
    reason: str,
    occurred_at: datetime,
    status: StockStatus = AVAILABLE,
) -> None:
    """Correct a balance after a stock count: a gain (positive) or a loss (negative)."""
    move = Movement.of(self, occurred_at)
    location = parse_location(location)
    if isinstance(change, bool) or not isinstance(change, int) or change == 0:
        raise InvalidValue("change", f"must be a non-zero whole number, not {change!r}")
    if change < 0:
        self.stock.require(self.label, location, status, -change)
    self._record_adjustment(
        location=location,
        status=status,
        change=change,
        reason=parse_text("reason", reason),
        occurred_at=move.at,
    )


def quarantine(
    self: Lot, *, location: str, quantity: int, reason: str, occurred_at: datetime
) -> None:
    """Put available units at a location in quarantine."""
    move = Movement.of(self, occurred_at)
    location, quantity = move.units_at(location, quantity, AVAILABLE)
    self._record_quarantine(
        location=location,
        quantity=quantity,
        reason=parse_text("reason", reason),
        occurred_at=move.at,
    )


def release_quarantine(
    self: Lot, *, location: str, quantity: int, reason: str, occurred_at: datetime
) -> None:
    """Release quarantined units: available again, or held while a hold is open."""
    move = Movement.of(self, occurred_at)
    location, quantity = move.units_at(location, quantity, QUARANTINE)
    self._record_quarantine_release(
        location=location,
        quantity=quantity,
        to_status=move.incoming_status,
        reason=parse_text("reason", reason),
        occurred_at=move.at,
    )


def hold(self: Lot, *, hold: str, reason: str, occurred_at: datetime) -> None:
    """Freeze the lot under a hold (e.g. a recall): no unit may leave until released."""
    move = Movement.of(self, occurred_at)
    reference = parse_text("hold", hold)
    if reference in self.holds:
        raise ReferenceAlreadyUsed(self.label, reference)
    self._check_reference(reference)
    self._record_hold(
        hold=reference,
        reason=parse_text("reason", reason),
        quantities=self.stock.locations(AVAILABLE),
        occurred_at=move.at,
    )


def release_hold(self: Lot, *, hold: str, occurred_at: datetime) -> None:
    """Lift a hold; held units become available when no other hold remains open."""
    move = Movement.of(self, occurred_at)
    if hold not in self.holds:
        raise NoSuchHold(self.label, hold)
    last = len(self.holds) == 1
    quantities = self.stock.locations(HOLD) if last else {}
    self._record_hold_release(hold=hold, quantities=quantities, occurred_at=move.at)


def scrap(
    self: Lot,
    *,
    location: str,
    quantity: int,
    reason: str,
    occurred_at: datetime,
    status: StockStatus = QUARANTINE,
) -> None:
    """Destroy or write off available or quarantined units."""
    move = Movement.of(self, occurred_at)
    location, quantity = parse_location(location), parse_quantity(quantity)
    if status is HOLD:
        raise InvalidValue("status", "held units are released or quarantined first")
    self.stock.require(self.label, location, status, quantity)
    self._record_scrap(
        location=location,
        status=status,
        quantity=quantity,
        reason=parse_text("reason", reason),
        occurred_at=move.at,
    )


def record_temperature(
    self: Lot,
    *,
    celsius: Decimal,
    storage: StorageRange,
    occurred_at: datetime,
    location: str | None = None,
    shipment: str | None = None,
) -> None:
    """Record a reading at a location or on a movement in transit; outside the storage
    range, quarantine the available units there (units in transit on arrival)."""
    move = Movement.of(self, occurred_at)
    if not isinstance(celsius, Decimal) or not celsius.is_finite():
        raise InvalidValue("celsius", "must be a finite Decimal")
    if (location is None) == (shipment is None):
        raise InvalidValue("location", "give either a location or a shipment reference")
    if location is not None:
        location = parse_location(location)
    else:
        self._transit(shipment or "")
    self._record_reading(celsius=celsius, location=location, shipment=shipment, occurred_at=move.at)
    if not storage.admits(celsius):
        self._record_excursion(
            celsius=celsius,
            min_celsius=storage.min_celsius,
            max_celsius=storage.max_celsius,
            location=location,
            shipment=shipment,
            quarantined=self.available(location) if location else 0,
            occurred_at=move.at,
        )
