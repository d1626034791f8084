"""The ledger's use cases for lots in our warehouses: receipts, moves, transfers, and changes
of status (counts, quarantine, holds, scrapping, temperature); ``channel`` has shipments.

A lot is named by a ``LotRef``: GTIN and lot number, or a UDI as printed or scanned. Every
movement is decided on the lot's current state and saved with the library's optimistic
concurrency check; a movement that loses the race to another is decided again on fresh
state, up to ``MOVEMENT_RETRIES`` times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.application.commands import SYSTEM, Caller, CommandOutcome, Decision, arguments_of
from ledger.domain.errors import InvalidValue
from ledger.domain.lot.aggregate import Lot
from ledger.domain.lot.errors import UnknownLot
from ledger.domain.lot.picking import PickSuggestion, suggest_picks
from ledger.domain.lot_ref import LotRef, NamedLot
from ledger.domain.udi import Udi
from ledger.domain.values import (
    Gtin,
    StockStatus,
    StorageRange,
    lot_id,
    lot_label,
    parse_time,
)

if TYPE_CHECKING:
    from ledger.application.ledger import Ledger

MOVEMENT_RETRIES = 12
"""How many times a movement is decided again after losing a race on one of its lots."""

_ECHOED = ("quantity", "accepted", "rejected", "change", "transfer", "shipment", "hold")
_LOT_NAMES = frozenset(LotRef().names())
AVAILABLE = StockStatus.AVAILABLE


class Lots:
    """The use cases that move lots' units or change their status."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    # Receipts and moves in our warehouses ------------------------------------------------

    def receive(
        self,
        *,
        lot: LotRef,
        supplier: str,
        purchase_order: str,
        location: str,
        accepted: int,
        occurred_at: datetime,
        rejected: int = 0,
        expiry: date | None = None,
        manufactured_on: date | None = None,
        serials: Sequence[str] = (),
        note: str = "",
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Receive a supplier's delivery against a purchase order, after inspection: accepted
        units become available at ``location``, rejected ones are quarantined there. The first
        receipt of a lot opens it, with its expiry and manufacture dates (from the UDI when
        one is given)."""
        arguments = arguments_of(locals())

        def decide() -> Decision:
            named = read_lot(lot, occurred_at)
            self._ledger.party(supplier)
            received = self._lot_to_receive(named, _lot_facts(named.udi, expiry, manufactured_on))
            read_serial = named.udi.serial if named.udi else None
            received.receive(
                supplier=supplier,
                purchase_order=purchase_order,
                location=location,
                accepted=accepted,
                rejected=rejected,
                serials=serials or ([read_serial] if read_serial else []),
                note=note,
                occurred_at=occurred_at,
            )
            return [received], lot_outcome(received, arguments)

        return self._ledger.execute("receive", arguments, caller, decide, retries=MOVEMENT_RETRIES)

    def put_away(
        self,
        *,
        lot: LotRef,
        from_location: str,
        to_location: str,
        quantity: int,
        occurred_at: datetime,
        status: StockStatus = AVAILABLE,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Move units between two locations of one warehouse, keeping their status."""
        return self.on_lot("put_away", arguments_of(locals()), caller, lot, Lot.put_away)

    def dispatch_transfer(
        self,
        *,
        lot: LotRef,
        transfer: str,
        from_location: str,
        to_location: str,
        quantity: int,
        occurred_at: datetime,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Send available units to another of our warehouses, in transit under ``transfer``."""
        arguments = arguments_of(locals())
        return self.on_lot("dispatch_transfer", arguments, caller, lot, Lot.dispatch_transfer)

    def receive_transfer(
        self,
        *,
        lot: LotRef,
        transfer: str,
        location: str,
        quantity: int,
        occurred_at: datetime,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Take in a transfer's units as counted; a shortfall is recorded as a discrepancy."""
        arguments = arguments_of(locals())
        return self.on_lot("receive_transfer", arguments, caller, lot, Lot.receive_transfer)

    # Status of the units on hand ---------------------------------------------------------

    def adjust_stock(
        self,
        *,
        lot: LotRef,
        location: str,
        change: int,
        reason: str,
        occurred_at: datetime,
        status: StockStatus = AVAILABLE,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Correct a balance after a stock count (``change`` positive or negative)."""
        return self.on_lot("adjust_stock", arguments_of(locals()), caller, lot, Lot.adjust)

    def quarantine(
        self,
        *,
        lot: LotRef,
        location: str,
        quantity: int,
        reason: str,
        occurred_at: datetime,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Put available units at a location in quarantine."""
        return self.on_lot("quarantine", arguments_of(locals()), caller, lot, Lot.quarantine)

    def release_quarantine(
        self,
        *,
        lot: LotRef,
        location: str,
        quantity: int,
        reason: str,
        occurred_at: datetime,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Release quarantined units (into hold while the lot is on hold)."""
        arguments = arguments_of(locals())
        return self.on_lot("release_quarantine", arguments, caller, lot, Lot.release_quarantine)

    def hold(
        self,
        *,
        lot: LotRef,
        hold: str,
        reason: str,
        occurred_at: datetime,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Put a lot on hold (e.g. under a recall id): none of its units may leave."""
        return self.on_lot("hold", arguments_of(locals()), caller, lot, Lot.hold)

    def release_hold(
        self, *, lot: LotRef, hold: str, occurred_at: datetime, caller: Caller = SYSTEM
    ) -> CommandOutcome:
        """Lift a hold; held units become available once no hold remains open."""
        return self.on_lot("release_hold", arguments_of(locals()), caller, lot, Lot.release_hold)

    def scrap(
        self,
        *,
        lot: LotRef,
        location: str,
        quantity: int,
        reason: str,
        occurred_at: datetime,
        status: StockStatus = StockStatus.QUARANTINE,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Destroy or write off quarantined (or available) units."""
        return self.on_lot("scrap", arguments_of(locals()), caller, lot, Lot.scrap)

    def record_temperature(
        self,
        *,
        lot: LotRef,
        celsius: Decimal,
        occurred_at: datetime,
        location: str | None = None,
        shipment: str | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Record a temperature reading where a lot is kept or carried; outside the product's
        storage range, its available units there are quarantined."""
        arguments = arguments_of(locals())

        def storage(kept: Lot) -> dict[str, Any]:
            product = self._ledger.product(Gtin(kept.gtin))
            return {
                "storage": StorageRange(product.storage_min_celsius, product.storage_max_celsius)
            }

        return self.on_lot(
            "record_temperature", arguments, caller, lot, Lot.record_temperature, context=storage
        )

    def suggest_picks(
        self, *, gtin: str, quantity: int, location: str, lot_ids: Sequence[UUID], on: date
    ) -> PickSuggestion:
        """Suggest which of the given lots to pick ``quantity`` units from, first expiry first
        out, at a location or anywhere in a warehouse (a read model lists a GTIN's lots)."""
        product = Gtin.parse(gtin)
        lots: list[Lot] = []
        for identifier in lot_ids:
            found = self._ledger.find(identifier, Lot)
            if found is None:
                raise UnknownLot(str(identifier))
            lots.append(found)
        return suggest_picks(lots, gtin=product.value, quantity=quantity, location=location, on=on)

    # Finding lots ------------------------------------------------------------------------

    def find(self, named: NamedLot) -> Lot | None:
        """The lot named, if the ledger has received it."""
        return self._ledger.find(lot_id(named.gtin, named.number), Lot)

    def load(self, named: NamedLot) -> Lot:
        """The lot named; its facts checked against the UDI's when it was named by one.

        Raises:
            UnknownProduct: the GTIN is not registered.
            UnknownLot: the product is, but the ledger never received this lot.
        """
        found = self.find(named)
        if found is None:
            self._ledger.product(named.gtin)
            raise UnknownLot(lot_label(named.gtin.value, named.number))
        if named.udi is not None:
            found.check_facts(expiry=named.udi.expiry, manufactured_on=named.udi.production_date)
        return found

    def _lot_to_receive(self, named: NamedLot, facts: dict[str, Any]) -> Lot:
        """The lot a receipt goes to: opened with its facts at the first receipt."""
        self._ledger.product(named.gtin)
        found = self.find(named)
        if found is None:
            found = Lot.open(gtin=named.gtin, lot_number=named.number, **facts)
        found.check_facts(**facts)
        return found

    def on_lot(
        self,
        command: str,
        arguments: dict[str, Any],
        caller: Caller,
        lot: LotRef,
        movement: Callable[..., None],
        *,
        parties: Sequence[str] = (),
        context: Callable[[Lot], dict[str, Any]] | None = None,
    ) -> CommandOutcome:
        """Run a movement of one lot: its arguments, but the lot's names, go to ``movement``.

        Args:
            parties: arguments naming parties that must be registered.
            context: what else ``movement`` needs from the ledger, given the lot.
        """
        params = {key: value for key, value in arguments.items() if key not in _LOT_NAMES}

        def decide() -> Decision:
            moved = self.load(read_lot(lot, params["occurred_at"]))
            for role in parties:
                self._ledger.party(params[role])
            movement(moved, **params, **(context(moved) if context else {}))
            return [moved], lot_outcome(moved, arguments)

        return self._ledger.execute(command, arguments, caller, decide, retries=MOVEMENT_RETRIES)


def read_lot(lot: LotRef, occurred_at: datetime) -> NamedLot:
    """The lot a movement names, checked; two-digit years on a label are read as of the
    movement's own date."""
    on = parse_time("occurred_at", occurred_at) if lot.udi is not None else occurred_at
    return lot.read(on.date())


def _lot_facts(
    udi: Udi | None, expiry: date | None, manufactured_on: date | None
) -> dict[str, Any]:
    """The lot facts a receipt states, from its arguments and its UDI, which must agree."""
    facts = {"expiry": expiry, "manufactured_on": manufactured_on}
    if udi is not None:
        for field, read in (("expiry", udi.expiry), ("manufactured_on", udi.production_date)):
            if read is not None and facts[field] not in (None, read):
                raise InvalidValue(field, f"differs from the UDI's {read.isoformat()}")
            facts[field] = facts[field] or read
    return facts


def lot_outcome(lot: Lot, arguments: dict[str, Any]) -> dict[str, Any]:
    """A lot movement's answer: the lot, the events it records, and the figures it moved."""
    outcome: dict[str, Any] = {
        "lot_id": str(lot.id),
        "gtin": lot.gtin,
        "lot_number": lot.lot_number,
        "events": [type(event).__name__ for event in lot.pending_events],
    }
    outcome.update({key: arguments[key] for key in _ECHOED if arguments.get(key) is not None})
    return outcome
