"""A lot's movements in our warehouses: receipts, put-away and transfers.

These are commands of ``Lot``, written out of its class and bound in it (``Lot.receive`` is
``receive`` here): each decides, then records through one of ``Lot``'s ``_record_*``
methods.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from ledger.domain.errors import InvalidValue
from ledger.domain.lot.errors import (
    DuplicateSerial,
    ExceedsInTransit,
    NotOneWarehouse,
    TransferWithinWarehouse,
)
from ledger.domain.lot.state import AVAILABLE, QUARANTINE, LotState, Movement
from ledger.domain.lot.stock import TransitKind
from ledger.domain.values import (
    StockStatus,
    parse_location,
    parse_quantity,
    parse_text,
    warehouse_of,
)

if TYPE_CHECKING:
    from ledger.domain.lot.aggregate import Lot


def receive(
    self: Lot,
    *,
    supplier: str,
    purchase_order: str,
    location: str,
    accepted: int,
    occurred_at: datetime,
    rejected: int = 0,
    serials: Sequence[str] = (),
    note: str = "",
) -> None:
    """Take in a supplier's delivery after inspection: accepted units become available,
    rejected ones go to quarantine."""
    move = Movement.of(self, occurred_at)
    accepted = parse_quantity(accepted, "accepted", minimum=0)
    rejected = parse_quantity(rejected, "rejected", minimum=0)
    parse_quantity(accepted + rejected, "accepted + rejected")
    if accepted:
        move.require_unexpired()
    self._record_receipt(
        supplier=parse_text("supplier", supplier),
        purchase_order=parse_text("purchase_order", purchase_order),
        location=parse_location(location),
        accepted=accepted,
        rejected=rejected,
        accepted_status=move.incoming_status,
        serials=_new_serials(self, serials, accepted + rejected),
        note=note.strip(),
        occurred_at=move.at,
    )


def put_away(
    self: Lot,
    *,
    from_location: str,
    to_location: str,
    quantity: int,
    occurred_at: datetime,
    status: StockStatus = AVAILABLE,
) -> None:
    """Move units between two locations of one warehouse; their status stays."""
    move = Movement.of(self, occurred_at)
    source, target = _route(from_location, to_location)
    if warehouse_of(source) != warehouse_of(target):
        raise NotOneWarehouse(source, target)
    if source == target:
        raise InvalidValue("to_location", "is the location the units are already at")
    quantity = parse_quantity(quantity)
    self.stock.require(self.label, source, status, quantity)
    self._record_put_away(
        from_location=source,
        to_location=target,
        status=status,
        quantity=quantity,
        occurred_at=move.at,
    )


def dispatch_transfer(
    self: Lot,
    *,
    transfer: str,
    from_location: str,
    to_location: str,
    quantity: int,
    occurred_at: datetime,
) -> None:
    """Send available units to another of our warehouses, in transit under ``transfer``."""
    move = Movement.of(self, occurred_at)
    source, target = _route(from_location, to_location)
    if warehouse_of(source) == warehouse_of(target):
        raise TransferWithinWarehouse(source, target)
    reference = parse_text("transfer", transfer)
    quantity = parse_quantity(quantity)
    move.require_outbound(source, quantity)
    self._check_reference(reference)
    self._record_transfer_dispatch(
        transfer=reference,
        from_location=source,
        to_location=target,
        quantity=quantity,
        occurred_at=move.at,
    )


def receive_transfer(
    self: Lot, *, transfer: str, location: str, quantity: int, occurred_at: datetime
) -> None:
    """Take in the units of a transfer as counted; a shortfall is recorded as lost."""
    move = Movement.of(self, occurred_at)
    transit = self._transit(transfer, TransitKind.TRANSFER)
    location = parse_location(location)
    if warehouse_of(location) != warehouse_of(transit.destination):
        raise NotOneWarehouse(transit.destination, location)
    quantity = parse_quantity(quantity, minimum=0)
    if quantity > transit.quantity:
        raise ExceedsInTransit(self.label, transfer, quantity, transit.quantity)
    self._record_transfer_receipt(
        transfer=transfer,
        location=location,
        quantity=quantity,
        status=QUARANTINE if transit.excursion else move.incoming_status,
        occurred_at=move.at,
    )
    if quantity < transit.quantity:
        self._record_transfer_discrepancy(
            transfer=transfer,
            dispatched=transit.quantity,
            received=quantity,
            occurred_at=move.at,
        )


def _route(from_location: str, to_location: str) -> tuple[str, str]:
    source = parse_location(from_location, "from_location")
    return source, parse_location(to_location, "to_location")


def _new_serials(lot: LotState, serials: Sequence[str], quantity: int) -> list[str]:
    listed = [parse_text("serials", serial) for serial in serials]
    if listed and len(listed) != quantity:
        raise InvalidValue("serials", f"{len(listed)} serials listed for {quantity} units")
    repeated = sorted({s for s in listed if s in lot.serials or listed.count(s) > 1})
    if repeated:
        raise DuplicateSerial(lot.label, repeated)
    return listed
