"""How a command names a lot: by GTIN and lot number, or by the UDI printed on its label."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ledger.domain.errors import InvalidValue
from ledger.domain.udi import Udi, parse_udi
from ledger.domain.values import Gtin, parse_lot_number


@dataclass(frozen=True, slots=True)
class NamedLot:
    """A lot as a command names it, checked: its GTIN, its number, and the UDI if read.

    Attributes:
        gtin: the product's GTIN.
        number: the lot number, as GS1 allows it.
        udi: the label read, when the lot was named by its UDI (its dates and serial).
    """

    gtin: Gtin
    number: str
    udi: Udi | None = None


@dataclass(frozen=True, slots=True)
class LotRef:
    """A lot as a client names it, exactly as given: ``gtin`` and ``lot_number``, or ``udi``.

    The names are kept as given because a command's idempotency record hashes them; ``read``
    checks them, once, into a ``NamedLot``.
    """

    gtin: str | None = None
    lot_number: str | None = None
    udi: str | None = None

    def read(self, on: date) -> NamedLot:
        """The lot named, checked; a UDI's two-digit years are read as of ``on`` (the date
        of the movement that names it).

        Raises:
            InvalidValue: both or neither ways of naming the lot, a bad GTIN or lot number.
            InvalidUdi: a UDI that cannot be read.
        """
        if self.udi is not None:
            label = self._label(self.udi, on)
            return NamedLot(Gtin.parse(label.gtin), label.lot, label)
        gtin, number = self._given()
        return NamedLot(Gtin.parse(gtin), parse_lot_number(number))

    def plain(self, on: date) -> tuple[str, str]:
        """GTIN and lot number as a line of a shipment or delivery states them: as given
        (checked when the line is decided), or as read from the UDI."""
        if self.udi is not None:
            label = self._label(self.udi, on)
            return label.gtin, label.lot
        return self._given()

    def names(self) -> dict[str, str | None]:
        """The names as given, as a command's arguments list them."""
        return {"gtin": self.gtin, "lot_number": self.lot_number, "udi": self.udi}

    def _label(self, udi: str, on: date) -> Udi:
        if self.gtin is not None or self.lot_number is not None:
            raise InvalidValue("udi", "name the lot by a UDI or by GTIN and lot number")
        return parse_udi(udi, on)

    def _given(self) -> tuple[str, str]:
        if self.gtin is None or self.lot_number is None:
            raise InvalidValue("gtin", "a GTIN and a lot number, or a UDI, must name the lot")
        return self.gtin, self.lot_number
