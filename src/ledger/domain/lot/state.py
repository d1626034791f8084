"""What the parts of a ``Lot`` share: its state, the questions it answers, and the steps
its events take on that state."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from ledger.domain.lot.errors import (
    ExceedsConsigneeHolding,
    LotExpired,
    LotFactsConflict,
    LotOnHold,
    LotQuarantined,
    NothingInTransit,
    ReferenceAlreadyUsed,
)
from ledger.domain.lot.stock import InTransit, Stock, TransitKind
from ledger.domain.values import (
    StockStatus,
    lot_label,
    parse_location,
    parse_quantity,
    parse_text,
    parse_time,
)

AVAILABLE, QUARANTINE, HOLD = StockStatus.AVAILABLE, StockStatus.QUARANTINE, StockStatus.HOLD


class LotState:
    """A lot (batch) of a product: where its units are, in which status, and who holds them.

    Attributes:
        gtin, lot_number, expiry, manufactured_on: the lot's facts.
        stock: units on hand per (location, status).
        in_transit: units on their way, per transfer or shipment reference.
        closed_references: references of movements and holds that are over.
        consignees: units held by customers, per party code.
        holds: open holds (e.g. recalls), reference to reason.
        serials: serial numbers received, for serialised products.
        received, used, scrapped, adjusted, lost: running totals of units.
    """

    gtin: str
    lot_number: str
    expiry: date | None
    manufactured_on: date | None
    stock: Stock
    in_transit: dict[str, InTransit]
    closed_references: set[str]
    consignees: dict[str, int]
    holds: dict[str, str]
    serials: set[str]
    received: int
    used: int
    scrapped: int
    adjusted: int
    lost: int

    def _start(
        self, *, gtin: str, lot_number: str, expiry: date | None, manufactured_on: date | None
    ) -> None:
        self.gtin = gtin
        self.lot_number = lot_number
        self.expiry = expiry
        self.manufactured_on = manufactured_on
        self.stock = Stock()
        self.in_transit = {}
        self.closed_references = set()
        self.consignees = {}
        self.holds = {}
        self.serials = set()
        self.received = self.used = self.scrapped = self.adjusted = self.lost = 0

    # Queries -----------------------------------------------------------------------------

    @property
    def label(self) -> str:
        """The lot as printed on a label: ``(01)<GTIN>(10)<lot>``."""
        return lot_label(self.gtin, self.lot_number)

    def available(self, location: str) -> int:
        """Units available at a location."""
        return self.stock.quantity(location, AVAILABLE)

    def in_transit_quantity(self) -> int:
        """Units in transit under all references."""
        return sum(transit.quantity for transit in self.in_transit.values())

    def at_consignees(self) -> int:
        """Units held by all consignees."""
        return sum(self.consignees.values())

    def is_expired(self, on: date) -> bool:
        """Whether the lot's expiry date is before ``on``."""
        return self.expiry is not None and self.expiry < on

    def check_facts(self, *, expiry: date | None, manufactured_on: date | None) -> None:
        """Check that stated facts (from a label or a receipt) agree with the recorded ones.

        Raises:
            LotFactsConflict: naming the first fact that differs.
        """
        for field, recorded, given in (
            ("expiry", self.expiry, expiry),
            ("manufactured_on", self.manufactured_on, manufactured_on),
        ):
            if given is not None and recorded is not None and given != recorded:
                raise LotFactsConflict(self.label, field, recorded, given)

    # Steps shared by several movements ----------------------------------------------------

    def _check_reference(self, reference: str) -> None:
        # A reference names one movement of the lot (or one hold), never a second one.
        if reference in self.in_transit or reference in self.closed_references:
            raise ReferenceAlreadyUsed(self.label, reference)

    def _transit(self, reference: str, kind: TransitKind | None = None) -> InTransit:
        transit = self.in_transit.get(reference)
        if transit is None or kind not in (None, transit.kind):
            raise NothingInTransit(self.label, reference)
        return transit

    def _consignee_units(
        self, consignee: str, quantity: int, field: str = "consignee"
    ) -> tuple[str, int]:
        party, quantity = parse_text(field, consignee), parse_quantity(quantity)
        held = self.consignees.get(party, 0)
        if quantity > held:
            raise ExceedsConsigneeHolding(self.label, party, quantity, held)
        return party, quantity

    def _take_transit(self, reference: str, quantity: int) -> None:
        transit = self.in_transit[reference]
        if transit.quantity == quantity:
            del self.in_transit[reference]
            self.closed_references.add(reference)
        else:
            self.in_transit[reference] = replace(transit, quantity=transit.quantity - quantity)

    def _take_from_consignee(self, consignee: str, quantity: int) -> None:
        remaining = self.consignees[consignee] - quantity
        if remaining:
            self.consignees[consignee] = remaining
        else:
            del self.consignees[consignee]


@dataclass(frozen=True)
class Movement:
    """One movement of a lot being decided: the lot, and when the movement happened.

    Attributes:
        lot: the lot's state.
        at: when the movement happened (UTC).
    """

    lot: LotState
    at: datetime

    @classmethod
    def of(cls, lot: LotState, occurred_at: datetime) -> Movement:
        """Start deciding a movement; ``occurred_at`` must be timezone-aware.

        Raises:
            InvalidValue: ``occurred_at`` is naive.
        """
        return cls(lot, parse_time("occurred_at", occurred_at))

    @property
    def on(self) -> date:
        """The (UTC) date of the movement, for expiry checks."""
        return self.at.date()

    @property
    def incoming_status(self) -> StockStatus:
        """The status units coming into our stock take: held while any hold is open."""
        return HOLD if self.lot.holds else AVAILABLE

    def require_unexpired(self) -> None:
        """Check that the lot has not expired by the movement's date.

        Raises:
            LotExpired: its expiry date is before the movement's date.
        """
        if self.lot.is_expired(self.on):
            raise LotExpired(self.lot.label, self.lot.expiry or self.on, self.on)

    def units_at(self, location: str, quantity: int, status: StockStatus) -> tuple[str, int]:
        """The location and quantity as given, once ``quantity`` units are there in ``status``.

        Raises:
            InvalidValue: the location or the quantity is malformed.
            InsufficientStock: fewer units are there in ``status``.
        """
        place, count = parse_location(location), parse_quantity(quantity)
        self.lot.stock.require(self.lot.label, place, status, count)
        return place, count

    def require_outbound(self, location: str, quantity: int) -> None:
        """Check that ``quantity`` available units may leave ``location``.

        Raises:
            LotOnHold: a hold is open on the lot.
            LotQuarantined: the units there are quarantined.
            InsufficientStock: fewer units are available there.
        """
        lot = self.lot
        if lot.holds:
            raise LotOnHold(lot.label, sorted(lot.holds))
        available = lot.stock.quantity(location, AVAILABLE)
        quarantined = lot.stock.quantity(location, QUARANTINE)
        if available < quantity <= available + quarantined:
            raise LotQuarantined(lot.label, location, quantity, quarantined)
        lot.stock.require(lot.label, location, AVAILABLE, quantity)
