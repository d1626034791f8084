"""Value objects shared by the aggregates."""

from __future__ import annotations

import enum
import re
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from uuid import UUID, uuid5

from ledger.domain.errors import InvalidGtin, InvalidValue

# Fixed namespace for the ledger's name-based identifiers (uuid5).
LEDGER_NAMESPACE = UUID("6f1c1d3e-6c1b-5a57-9a44-2f0e4d1b7a90")


def gs1_check_digit(digits: str) -> int:
    """The GS1 mod-10 check digit for the given digits (without their check digit)."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        total += int(char) * (3 if index % 2 == 0 else 1)
    return (10 - total % 10) % 10


@dataclass(frozen=True, slots=True)
class Gtin:
    """A GS1 Global Trade Item Number, held as 14 digits (GTIN-8/12/13 are left-padded)."""

    value: str

    @classmethod
    def parse(cls, text: str) -> Gtin:
        """Validate and normalise a GTIN-8, -12, -13 or -14.

        Raises:
            InvalidGtin: wrong length, non-digits, or a wrong check digit.
        """
        digits = text.strip()
        if not digits.isdigit() or not digits.isascii():
            raise InvalidGtin(text, "only digits are allowed")
        if len(digits) not in (8, 12, 13, 14):
            raise InvalidGtin(text, f"{len(digits)} digits; a GTIN has 8, 12, 13 or 14")
        expected = gs1_check_digit(digits[:-1])
        if int(digits[-1]) != expected:
            raise InvalidGtin(text, f"check digit is {digits[-1]}, expected {expected}")
        return cls(digits.zfill(14))

    def __str__(self) -> str:
        return self.value


class RiskClass(enum.Enum):
    """Regulatory risk class of a device (China NMPA I/II/III; EU/US map onto these)."""

    I = "I"  # noqa: E741 - the regulator's own name for the class
    II = "II"
    III = "III"


class PartyRole(enum.Enum):
    """The part a party plays in the channel."""

    MANUFACTURER = "manufacturer"
    SUPPLIER = "supplier"
    DISTRIBUTOR = "distributor"
    SUB_DISTRIBUTOR = "sub_distributor"
    HOSPITAL = "hospital"
    LOGISTICS_PROVIDER = "3pl"


def product_id(gtin: Gtin) -> UUID:
    """The permanent id of a product: uuid5 of its GTIN-14."""
    return uuid5(LEDGER_NAMESPACE, f"product|{gtin.value}")


def party_id(code: str) -> UUID:
    """The permanent id of a party: uuid5 of its ledger code."""
    return uuid5(LEDGER_NAMESPACE, f"party|{code}")


def lot_id(gtin: Gtin, lot_number: str) -> UUID:
    """The permanent id of a lot: uuid5 of its GTIN-14 and lot number."""
    return uuid5(LEDGER_NAMESPACE, f"lot|{gtin.value}|{lot_number}")


def lot_label(gtin: str, lot_number: str) -> str:
    """A lot as people read it on a label: ``(01)<GTIN>(10)<lot>``."""
    return f"(01){gtin}(10){lot_number}"


# GS1 AI (10) holds up to 20 characters of the GS1 AI encodable character set 82.
_SET_82 = frozenset(string.ascii_letters + string.digits + "!\"%&'()*+,-./:;<=>?_")
_LOCATION_CODE = re.compile(r"^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)+$")


def parse_lot_number(text: str) -> str:
    """A lot number as GS1 allows it in AI (10): 1 to 20 characters of character set 82.

    Raises:
        InvalidValue: empty, too long, or a character outside the set.
    """
    number = text.strip()
    if not 1 <= len(number) <= 20:
        raise InvalidValue("lot_number", "a lot number has 1 to 20 characters")
    outside = sorted(set(number) - _SET_82)
    if outside:
        raise InvalidValue("lot_number", f"characters not allowed in a GS1 lot number: {outside}")
    return number


def parse_location(text: str, field: str = "location") -> str:
    """A stock location code ``<warehouse>-<place>``, e.g. ``WH-SH-01`` in warehouse ``WH-SH``.

    Raises:
        InvalidValue: not letters and digits in dash-separated parts, at least two parts.
    """
    code = text.strip()
    if not _LOCATION_CODE.match(code):
        raise InvalidValue(field, "a location code is <warehouse>-<place>, e.g. WH-SH-01")
    return code


def warehouse_of(location: str) -> str:
    """The warehouse a location belongs to: its code up to the last dash."""
    return location.rsplit("-", 1)[0]


def parse_time(field: str, value: datetime) -> datetime:
    """A timezone-aware time, converted to UTC.

    Raises:
        InvalidValue: the time is naive (its zone unknown, so its instant is unknown).
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidValue(field, "must be timezone-aware (e.g. 2026-03-01T08:00:00+08:00)")
    return value.astimezone(UTC)


def parse_quantity(value: int, field: str = "quantity", *, minimum: int = 1) -> int:
    """A whole number of units of use, at least ``minimum`` (positive unless told otherwise).

    Raises:
        InvalidValue: not an int, or below ``minimum``.
    """
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        kind = "positive" if minimum == 1 else f"at least {minimum}"
        raise InvalidValue(field, f"must be a whole number of units, {kind}, not {value!r}")
    return value


def parse_text(field: str, value: str) -> str:
    """Text that must say something (a reason, a reference, a party code), stripped.

    Raises:
        InvalidValue: empty or blank.
    """
    text = value.strip()
    if not text:
        raise InvalidValue(field, "must not be empty")
    return text


class StockStatus(enum.Enum):
    """What may be done with units on hand at a location."""

    AVAILABLE = "available"  # may be picked, shipped, transferred
    QUARANTINE = "quarantine"  # awaiting a decision: inspection, returns, excursions
    HOLD = "hold"  # frozen by a hold such as a recall until it is released


@dataclass(frozen=True, slots=True)
class StorageRange:
    """The temperatures a product may be kept at, in °C; None means no limit on that side."""

    min_celsius: Decimal | None
    max_celsius: Decimal | None

    def admits(self, celsius: Decimal) -> bool:
        """Whether a reading lies within the range (limits included)."""
        if self.min_celsius is not None and celsius < self.min_celsius:
            return False
        return self.max_celsius is None or celsius <= self.max_celsius


@dataclass(frozen=True, slots=True)
class ShipmentLine:
    """One line of a shipment: how many units of which lot leave from where.

    Attributes:
        gtin: the product's GTIN (any GS1 length).
        lot_number: the lot's number.
        quantity: units of use, positive.
        from_location: the location the units are picked at.
    """

    gtin: str
    lot_number: str
    quantity: int
    from_location: str
