"""JSON transcodings for the value types the domain's events carry."""

from __future__ import annotations

import enum
from datetime import date
from typing import Any

from eventsourcing.persistence import Transcoding


class DateAsISO(Transcoding):
    """A calendar date (expiry, manufacture, due date) as ``YYYY-MM-DD``."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        """The ISO form of the date."""
        return obj.isoformat()

    def decode(self, data: str) -> date:
        """The date from its ISO form."""
        return date.fromisoformat(data)


class EnumAsValue(Transcoding):
    """A domain enum member as its value, named by the enum's class name."""

    def __init__(self, enum_class: type[enum.Enum]) -> None:
        self.type = enum_class
        self.name = f"enum_{enum_class.__name__}"

    def encode(self, obj: enum.Enum) -> Any:
        """The member's value."""
        return obj.value

    def decode(self, data: Any) -> enum.Enum:
        """The member with that value."""
        return self.type(data)
