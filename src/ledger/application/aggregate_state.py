"""An aggregate's state as plain JSON values, for showing it as it was at a version."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

_LIBRARY_FIELDS = frozenset({"id", "version", "created_on", "modified_on", "pending_events"})


def plain(value: Any) -> Any:
    """``value`` as JSON values: decimals and ids as text, times in ISO 8601, enums by value,
    sets sorted, tuple keys joined with ``|``, other objects by their public attributes."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return plain(value.value)
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {_key(key): plain(item) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((plain(item) for item in value), key=str)
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            field.name: plain(getattr(value, field.name)) for field in dataclasses.fields(value)
        }
    return {name.lstrip("_"): plain(item) for name, item in vars(value).items()}


def _key(key: Any) -> str:
    if isinstance(key, tuple):
        return "|".join(str(plain(part)) for part in key)
    return str(plain(key))


def aggregate_state(aggregate: Aggregate) -> dict[str, Any]:
    """The aggregate's type, id, version, times and fields."""
    fields = {
        name: plain(value)
        for name, value in vars(aggregate).items()
        if not name.startswith("_") and name not in _LIBRARY_FIELDS
    }
    return {
        "id": str(aggregate.id),
        "type": get_topic(type(aggregate)),
        "version": aggregate.version,
        "created_on": aggregate.created_on.isoformat(),
        "modified_on": aggregate.modified_on.isoformat(),
        "state": fields,
    }
