"""Pick suggestions: which lots to take units from, first expiry first out (FEFO)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ledger.domain.errors import InvalidValue
from ledger.domain.lot.state import LotState
from ledger.domain.values import StockStatus, parse_quantity, warehouse_of


@dataclass(frozen=True, slots=True)
class Pick:
    """Units to take from one lot at one location.

    Attributes:
        lot_number: the lot to pick.
        expiry: its expiry date (None when it has none).
        location: where to pick.
        quantity: how many units.
    """

    lot_number: str
    expiry: date | None
    location: str
    quantity: int


@dataclass(frozen=True, slots=True)
class PickSuggestion:
    """Where to pick ``requested`` units of a product, soonest expiry first.

    Attributes:
        gtin: the product.
        requested: units asked for.
        picks: the picks, in the order to take them.
    """

    gtin: str
    requested: int
    picks: tuple[Pick, ...]

    @property
    def picked(self) -> int:
        """Units the picks add up to."""
        return sum(pick.quantity for pick in self.picks)

    @property
    def shortfall(self) -> int:
        """Units that could not be found (0 when the request is covered)."""
        return self.requested - self.picked


def suggest_picks(
    lots: Iterable[LotState], *, gtin: str, quantity: int, location: str, on: date
) -> PickSuggestion:
    """Suggest picks of available units from the given lots, first expiry first out.

    Lots on hold or expired on ``on`` are passed over. ``location`` is a location code or a
    warehouse code (then every location of that warehouse counts). Among lots with the same
    expiry the lower lot number goes first, and within a lot the lower location code, so the
    suggestion is the same for the same stock.

    Raises:
        InvalidValue: ``quantity`` is not positive, or a lot is of another product.
    """
    remaining = parse_quantity(quantity)
    candidates = list(lots)
    for lot in candidates:
        if lot.gtin != gtin:
            raise InvalidValue("lots", f"lot {lot.lot_number} is of GTIN {lot.gtin}, not {gtin}")
    usable = [lot for lot in candidates if not lot.holds and not lot.is_expired(on)]
    usable.sort(key=lambda lot: (lot.expiry is None, lot.expiry or on, lot.lot_number))
    picks: list[Pick] = []
    for lot in usable:
        for place, available in sorted(lot.stock.locations(StockStatus.AVAILABLE).items()):
            if remaining and location in (place, warehouse_of(place)):
                take = min(remaining, available)
                picks.append(Pick(lot.lot_number, lot.expiry, place, take))
                remaining -= take
    return PickSuggestion(gtin, quantity, tuple(picks))
