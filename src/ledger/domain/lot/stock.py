"""A lot's units on hand and in transit: the state its events change, and the checks on it."""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from ledger.domain.lot.errors import InsufficientStock
from ledger.domain.values import StockStatus


class TransitKind(enum.Enum):
    """What kind of movement units are in transit under."""

    TRANSFER = "transfer"  # between two of our warehouses
    SHIPMENT = "shipment"  # to a customer (the consignee)


@dataclass(frozen=True, slots=True)
class InTransit:
    """Units on their way under one movement reference.

    Attributes:
        kind: transfer or shipment.
        destination: the receiving location (transfer) or the consignee's party code.
        quantity: units in transit.
        excursion: whether a temperature excursion was recorded on the way.
    """

    kind: TransitKind
    destination: str
    quantity: int
    excursion: bool = False


class Stock:
    """Units on hand per (location, status): part of a lot's state, changed only by events.

    Empty balances are dropped, so ``balances()`` lists only what is there.
    """

    def __init__(self) -> None:
        self._balances: dict[tuple[str, StockStatus], int] = {}

    def quantity(self, location: str, status: StockStatus) -> int:
        """Units at ``location`` in ``status``."""
        return self._balances.get((location, status), 0)

    def balances(self) -> dict[tuple[str, StockStatus], int]:
        """Every non-zero balance, keyed by (location, status)."""
        return dict(self._balances)

    def total(self, status: StockStatus | None = None) -> int:
        """Units on hand in all locations (in one status, when given)."""
        return sum(q for (_, s), q in self._balances.items() if status in (None, s))

    def locations(self, status: StockStatus) -> dict[str, int]:
        """Units per location in ``status``."""
        return {loc: q for (loc, s), q in self._balances.items() if s is status}

    def __iter__(self) -> Iterator[tuple[str, StockStatus, int]]:
        return ((loc, status, q) for (loc, status), q in sorted(self._balances.items(), key=_key))

    def add(self, location: str, status: StockStatus, quantity: int) -> None:
        """Change a balance by ``quantity`` (negative to take units away)."""
        key = (location, status)
        balance = self._balances.get(key, 0) + quantity
        if balance:
            self._balances[key] = balance
        else:
            self._balances.pop(key, None)

    def move(self, location: str, source: StockStatus, target: StockStatus, quantity: int) -> None:
        """Change the status of units at one location."""
        self.add(location, source, -quantity)
        self.add(location, target, quantity)

    def move_all(
        self, quantities: Mapping[str, int], source: StockStatus, target: StockStatus
    ) -> None:
        """Change the status of the given units per location."""
        for location, quantity in quantities.items():
            self.move(location, source, target, quantity)

    def require(self, lot: str, location: str, status: StockStatus, requested: int) -> None:
        """Check that ``requested`` units are at ``location`` in ``status``.

        Raises:
            InsufficientStock: the balance falls short.
        """
        there = self.quantity(location, status)
        if there < requested:
            raise InsufficientStock(lot, location, status.value, requested, there)


def _key(item: tuple[tuple[str, StockStatus], int]) -> tuple[str, str]:
    (location, status), _ = item
    return location, status.value
