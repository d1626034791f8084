"""Value objects shared by the aggregates."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from uuid import UUID, uuid5

from ledger.domain.errors import InvalidGtin

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
