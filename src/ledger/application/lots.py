"""The ledger's use cases for lots of stock: receipts, moves, shipments, reports, readings.

A lot is named by GTIN and lot number, or by a UDI as printed or scanned (``udi``). Every
movement is decided on the lot's current state and saved with the library's optimistic
concurrency check; a movement that loses the race to another is decided again on fresh
state, up to ``MOVEMENT_RETRIES`` times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository

from ledger.application.commands import SYSTEM, Caller, CommandOutcome, Decision
from ledger.domain.errors import InvalidValue, LedgerError, UnknownParty, UnknownProduct
from ledger.domain.lot.aggregate import Lot
from ledger.domain.lot.errors import UnknownLot
from ledger.domain.lot.picking import PickSuggestion, suggest_picks
from ledger.domain.party import Party
from ledger.domain.product import Product
from ledger.domain.udi import Udi, parse_udi
from ledger.domain.values import (
    Gtin,
    ShipmentLine,
    StockStatus,
    lot_id,
    lot_label,
    parse_lot_number,
    parse_text,
    parse_time,
    party_id,
    product_id,
)

MOVEMENT_RETRIES = 12
"""How many times a movement is decided again after losing a race on one of its lots."""

_LOT_NAME = ("gtin", "lot_number", "udi")
_ECHOED = ("quantity", "accepted", "rejected", "change", "transfer", "shipment", "hold")
AVAILABLE = StockStatus.AVAILABLE


@dataclass(frozen=True, slots=True)
class NamedLot:
    """A lot as a command names it, checked: its GTIN, its number, and the UDI if given."""

    gtin: Gtin
    number: str
    udi: Udi | None = None


class StockMovements:
    """Use cases that move the stock of lots; ``Ledger`` mixes them in and saves."""

    repository: Repository[UUID]

    def _execute(
        self,
        command: str,
        arguments: dict[str, Any],
        caller: Caller,
        decide: Callable[[], Decision],
        *,
        on_duplicate: Callable[[], LedgerError] | None = None,
        retries: int = 0,
        one_at_a_time: UUID | None = None,
    ) -> CommandOutcome:
        raise NotImplementedError  # provided by Ledger

    def receive(
        self,
        *,
        supplier: str,
        purchase_order: str,
        location: str,
        accepted: int,
        occurred_at: datetime,
        gtin: str | None = None,
        lot_number: str | None = None,
        udi: str | None = None,
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
            named = self._name_lot(gtin, lot_number, udi, occurred_at)
            self._party(supplier)
            lot = self._lot_to_receive(named, _lot_facts(named.udi, expiry, manufactured_on))
            read_serial = named.udi.serial if named.udi else None
            lot.receive(
                supplier=supplier,
                purchase_order=purchase_order,
                location=location,
                accepted=accepted,
                rejected=rejected,
                serials=serials or ([read_serial] if read_serial else []),
                note=note,
                occurred_at=occurred_at,
            )
            return [lot], _lot_outcome(lot, arguments)

        return self._execute("receive", arguments, caller, decide, retries=MOVEMENT_RETRIES)

    def put_away(
        self,
        *,
        from_location: str,
        to_location: str,
        quantity: int,
        occurred_at: datetime,
        status: StockStatus = AVAILABLE,
        gtin: str | None = None,
        lot_number: str | None = None,
        udi: str | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Move units between two locations of one warehouse, keeping their status."""
        return self._on_lot("put_away", arguments_of(locals()), caller, Lot.put_away)

    def dispatch_transfer(
        self,
        *,
        transfer: str,
        from_location: str,
        to_location: str,
        quantity: int,
        occurred_at: datetime,
        gtin: str | None = None,
        lot_number: str | None = None,
        udi: str | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Send available units to another of our warehouses, in transit under ``transfer``."""
        return self._on_lot(
            "dispatch_transfer", arguments_of(locals()), caller, Lot.dispatch_transfer
        )

    def receive_transfer(
        self,
        *,
        transfer: str,
        location: str,
        quantity: int,
        occurred_at: datetime,
        gtin: str | None = None,
        lot_number: str | None = None,
        udi: str | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Take in a transfer's units as counted; a shortfall is recorded as a discrepancy."""
        return self._on_lot(
            "receive_transfer", arguments_of(locals()), caller, Lot.receive_transfer
        )

    def ship(
        self,
        *,
        shipment: str,
        consignee: str,
        lines: Sequence[ShipmentLine],
        occurred_at: datetime,
        order: str | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Ship lines of one or more lots to a customer: every line leaves, or none does."""
        arguments = arguments_of(locals())
        arguments["lines"] = [asdict(line) for line in lines]

        def decide() -> Decision:
            if not lines:
                raise InvalidValue("lines", "a shipment has at least one line")
            self._party(consignee)
            picks: dict[UUID, tuple[Lot, dict[str, int]]] = {}
            for line in lines:
                named = self._name_lot(line.gtin, line.lot_number, None, occurred_at)
                key = lot_id(named.gtin, named.number)
                if key not in picks:
                    picks[key] = (self._load_lot(named), {})
                from_locations = picks[key][1]
                place = line.from_location.strip()
                from_locations[place] = from_locations.get(place, 0) + line.quantity
            for lot, from_locations in picks.values():
                lot.ship(
                    shipment=shipment,
                    consignee=consignee,
                    picks=from_locations,
                    order=order,
                    occurred_at=occurred_at,
                )
            lots = [lot for lot, _ in picks.values()]
            shipped = [_lot_outcome(lot, {}) for lot in lots]
            return lots, {"shipment": shipment, "consignee": consignee, "lots": shipped}

        return self._execute("ship", arguments, caller, decide, retries=MOVEMENT_RETRIES)

    def confirm_delivery(
        self,
        *,
        shipment: str,
        consignee: str,
        lots: Sequence[tuple[str, str]],
        occurred_at: datetime,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Record the consignee's confirmation that a shipment's lots (GTIN, lot number)
        arrived; the units are theirs from then on."""
        arguments = arguments_of(locals())

        def decide() -> Decision:
            if not lots:
                raise InvalidValue("lots", "name the lots of the shipment")
            found: dict[UUID, Lot] = {}
            for gtin, number in lots:
                lot = self._load_lot(self._name_lot(gtin, number, None, occurred_at))
                if lot.id not in found:
                    lot.confirm_delivery(
                        shipment=shipment, consignee=consignee, occurred_at=occurred_at
                    )
                    found[lot.id] = lot
            delivered = [_lot_outcome(lot, {}) for lot in found.values()]
            return list(found.values()), {"shipment": shipment, "lots": delivered}

        return self._execute(
            "confirm_delivery", arguments, caller, decide, retries=MOVEMENT_RETRIES
        )

    def receive_return(
        self,
        *,
        consignee: str,
        location: str,
        quantity: int,
        reason: str,
        occurred_at: datetime,
        gtin: str | None = None,
        lot_number: str | None = None,
        udi: str | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Take back units a consignee holds, into quarantine at ``location``."""
        return self._on_lot("receive_return", arguments_of(locals()), caller, Lot.receive_return)

    def report_use(
        self,
        *,
        consignee: str,
        quantity: int,
        occurred_at: datetime,
        gtin: str | None = None,
        lot_number: str | None = None,
        udi: str | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Record units a consignee (a hospital) reports as used."""
        return self._on_lot("report_use", arguments_of(locals()), caller, Lot.report_use)

    def report_sales(
        self,
        *,
        seller: str,
        buyer: str,
        quantity: int,
        occurred_at: datetime,
        reference: str | None = None,
        gtin: str | None = None,
        lot_number: str | None = None,
        udi: str | None = None,
        caller: Caller = SYSTEM,
    ) -> CommandOutcome:
        """Record a distributor's report of units it sold on to its own customer (``buyer``)."""
        arguments = arguments_of(locals())
        return self._on_lot(
            "report_sales", arguments, caller, Lot.report_sales, parties=("seller", "buyer")
        )

    def suggest_picks(
        self, *, gtin: str, quantity: int, location: str, lot_ids: Sequence[UUID], on: date
    ) -> PickSuggestion:
        """Suggest which of the given lots to pick ``quantity`` units from, first expiry first
        out, at a location or anywhere in a warehouse (a read model lists a GTIN's lots)."""
        product = Gtin.parse(gtin)
        lots: list[Lot] = []
        for identifier in lot_ids:
            try:
                lots.append(self.repository.get(identifier))
            except AggregateNotFoundError:
                raise UnknownLot(str(identifier)) from None
        return suggest_picks(lots, gtin=product.value, quantity=quantity, location=location, on=on)

    # Finding lots, products and parties --------------------------------------------------

    def _on_lot(
        self,
        command: str,
        arguments: dict[str, Any],
        caller: Caller,
        movement: Callable[..., None],
        *,
        parties: Sequence[str] = (),
        context: Callable[[Lot], dict[str, Any]] | None = None,
    ) -> CommandOutcome:
        """Run a movement of one lot: its arguments, less the lot's name, go to ``movement``."""
        params = {key: value for key, value in arguments.items() if key not in _LOT_NAME}

        def decide() -> Decision:
            named = self._name_lot(
                arguments["gtin"], arguments["lot_number"], arguments["udi"], params["occurred_at"]
            )
            lot = self._load_lot(named)
            for role in parties:
                self._party(params[role])
            movement(lot, **params, **(context(lot) if context else {}))
            return [lot], _lot_outcome(lot, arguments)

        return self._execute(command, arguments, caller, decide, retries=MOVEMENT_RETRIES)

    def _name_lot(
        self, gtin: str | None, lot_number: str | None, udi: str | None, occurred_at: datetime
    ) -> NamedLot:
        if udi is not None:
            if gtin is not None or lot_number is not None:
                raise InvalidValue("udi", "name the lot by a UDI or by GTIN and lot number")
            # Two-digit years on the label are read as of the movement's own date.
            read = parse_udi(udi, parse_time("occurred_at", occurred_at).date())
            return NamedLot(Gtin.parse(read.gtin), read.lot, read)
        if gtin is None or lot_number is None:
            raise InvalidValue("gtin", "a GTIN and a lot number, or a UDI, must name the lot")
        return NamedLot(Gtin.parse(gtin), parse_lot_number(lot_number))

    def _find_lot(self, named: NamedLot) -> Lot | None:
        try:
            lot: Lot = self.repository.get(lot_id(named.gtin, named.number))
        except AggregateNotFoundError:
            return None
        return lot

    def _lot_to_receive(self, named: NamedLot, facts: dict[str, Any]) -> Lot:
        """The lot a receipt goes to: opened with its facts at the first receipt."""
        self._product(named.gtin)
        lot = self._find_lot(named)
        if lot is None:
            lot = Lot.open(gtin=named.gtin, lot_number=named.number, **facts)
        lot.check_facts(**facts)
        return lot

    def _load_lot(self, named: NamedLot) -> Lot:
        lot = self._find_lot(named)
        if lot is None:
            self._product(named.gtin)
            raise UnknownLot(lot_label(named.gtin.value, named.number))
        if named.udi is not None:
            lot.check_facts(expiry=named.udi.expiry, manufactured_on=named.udi.production_date)
        return lot

    def _product(self, gtin: Gtin) -> Product:
        try:
            product: Product = self.repository.get(product_id(gtin))
        except AggregateNotFoundError:
            raise UnknownProduct(gtin.value) from None
        return product

    def _party(self, code: str) -> Party:
        code = parse_text("party", code)
        try:
            party: Party = self.repository.get(party_id(code))
        except AggregateNotFoundError:
            raise UnknownParty(code) from None
        return party


def arguments_of(values: dict[str, Any]) -> dict[str, Any]:
    """A use case's arguments as its request hash sees them (called with ``locals()`` first
    thing, so they are exactly the parameters): all but ``self`` and ``caller``."""
    return {key: value for key, value in values.items() if key not in ("self", "caller")}


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


def _lot_outcome(lot: Lot, arguments: dict[str, Any]) -> dict[str, Any]:
    """A lot movement's answer: the lot, the events it records, and the figures it moved."""
    outcome: dict[str, Any] = {
        "lot_id": str(lot.id),
        "gtin": lot.gtin,
        "lot_number": lot.lot_number,
        "events": [type(event).__name__ for event in lot.pending_events],
    }
    outcome.update({key: arguments[key] for key in _ECHOED if arguments.get(key) is not None})
    return outcome
